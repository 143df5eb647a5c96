"""French agreement of the messages about documents: one table says each kind's gender."""
import pytest

from crm.extensions import db

from crm.core.formatting import agree
from crm.stocks.models import MOVE_GENDERS, MOVE_LABELS
from crm.ventes.documents.models import KIND_GENDERS, KINDS
from tests.conftest import page_text
from tests.ventes.test_documents import _document, _form, _new, _post, shop  # noqa: F401 - the fixture


def test_agree_follows_the_gender_of_its_subject():
    class Invoice:
        gender = "f"

    assert agree(Invoice(), "validé") == "validée" and agree("m", "validé") == "validé"
    assert agree("f", "il", "elle") == "elle" and agree("m", "il", "elle") == "il"


def test_every_kind_says_its_gender_once():
    assert set(KIND_GENDERS) == set(KINDS) and set(KIND_GENDERS.values()) <= {"m", "f"}
    assert set(MOVE_GENDERS) == set(MOVE_LABELS)


def _flash_after(shop, response) -> str:
    assert response.status_code == 302
    return page_text(shop.browser.client.get(response.headers["Location"]))


@pytest.mark.parametrize(("slug", "saved", "validated"), [
    ("factures", "Facture enregistrée en brouillon.", "validée : elle est numérotée et ne peut plus être modifiée."),
    ("devis", "Devis enregistré en brouillon.", "validé : il est numéroté et ne peut plus être modifié."),
    ("commandes", "Bon de commande enregistré en brouillon.", "validé : il est numéroté et ne peut plus être modifié."),
])
def test_messages_agree_with_the_document(shop, slug, saved, validated):
    response = _new(shop, slug, _form(shop))
    assert saved in _flash_after(shop, response)
    document = _document(response)
    page = _flash_after(shop, _post(shop, f"/ventes/documents/{document.id}/valider"))
    db.session.expire_all()
    assert f"{document.label} {document.number} {validated}" in page
    # Asking to edit it afterwards: the refusal agrees too.
    refused = page_text(shop.browser.client.get(f"/ventes/documents/{document.id}/modifier", follow_redirects=True))
    frozen = ("validée : elle ne peut plus être modifiée" if slug == "factures"
              else "validé : il ne peut plus être modifié")
    assert frozen in refused


def test_a_derived_invoice_is_prepared_in_the_feminine(shop):
    order = _document(_new(shop, "commandes", _form(shop)))
    _post(shop, f"/ventes/documents/{order.id}/valider")
    delivery = _document(_post(shop, f"/ventes/documents/{order.id}/suite/delivery"))
    shown = page_text(shop.browser.client.get(f"/ventes/documents/{delivery.id}"))
    assert "Bon de livraison préparé en brouillon" in shown
    _post(shop, f"/ventes/documents/{delivery.id}/valider")
    invoice = _post(shop, f"/ventes/documents/{delivery.id}/suite/invoice")
    assert "Facture préparée en brouillon" in _flash_after(shop, invoice)
