"""A prospect becomes a client, stage "converti", when its first order is validated (not before)."""
from sqlalchemy import select

from crm.clients import services as party_services
from crm.clients.models import Party
from crm.extensions import db
from crm.formation.models import Activity
from tests.conftest import page_text
from tests.ventes.test_documents import _document, _form, _new, _post, _validate
from tests.ventes.test_documents import shop  # noqa: F401 - the fixture


def _prospect(shop) -> Party:
    party = party_services.create_party(shop.firm, None, {"kind": "prospect", "category": "private",
                                                          "last_name": "Perrin"}, journal=False)
    db.session.commit()
    return party


def _reload(party) -> Party:
    db.session.expire_all()
    return db.session.get(Party, party.id)


def test_the_first_validated_order_converts_the_prospect(shop):
    prospect = _prospect(shop)
    quote = _document(_new(shop, "devis", _form(shop, party_id=prospect.id)))
    _validate(shop, quote)
    assert (_reload(prospect).kind, _reload(prospect).stage) == ("prospect", "devis_envoye")
    order = _document(_post(shop, f"/ventes/documents/{quote.id}/accepter"))
    assert _reload(prospect).kind == "prospect"  # a draft order converts no one (it may be deleted)
    _validate(shop, order)
    party = _reload(prospect)
    assert (party.kind, party.stage) == ("client", "converti") and party.converted_at is not None
    verbs = db.session.scalars(select(Activity.verb).where(Activity.object_id == party.id)).all()
    assert "party.converted" in verbs
    assert "Converti" in page_text(shop.browser.client.get(f"/clients/{party.id}"))


def test_an_invoice_without_order_converts_too_and_a_deleted_draft_does_not(shop):
    prospect = _prospect(shop)
    draft = _document(_new(shop, "commandes", _form(shop, party_id=prospect.id)))
    assert _post(shop, f"/ventes/documents/{draft.id}/supprimer").status_code == 302
    assert (_reload(prospect).kind, _reload(prospect).stage) == ("prospect", "nouveau")
    invoice = _document(_new(shop, "factures", _form(shop, party_id=prospect.id)))
    _validate(shop, invoice)
    assert (_reload(prospect).kind, _reload(prospect).stage) == ("client", "converti")
