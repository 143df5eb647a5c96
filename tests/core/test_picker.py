"""The search-as-you-type fields: JSON search endpoints, the no-script search step, bounded pages."""
from __future__ import annotations

import re

import pytest

from crm.clients import services as parties
from crm.extensions import db
from crm.ventes.models import Product
from tests.conftest import page_text


@pytest.fixture
def shop(world, auth):
    firm = world.firm_a

    def party(**data):
        return parties.create_party(firm, None, {"category": "private", "kind": "client", **data}, journal=False)

    class Shop:
        pass

    s = Shop()
    s.lefevre = party(last_name="Lefèvre", first_name="Éloïse", city="Évreux")
    s.durand = party(last_name="Durand", first_name="Paul", city="Lyon")
    s.acme = party(category="business", company_name="Acme Outillage", siret="73282932000074", city="Lille")
    s.supplier = party(kind="supplier", category="business", company_name="Grossiste Lefèvre")
    s.foreign = parties.create_party(world.firm_b, None, {"category": "private", "kind": "client",
                                                          "last_name": "Lefèvre"}, journal=False)
    s.chair = Product(firm_id=firm.id, reference="CH-045", label="Chaise empilable", barcode="3760000000045",
                      sale_price=45, vat_rate=20, on_hand=12)
    s.shelf = Product(firm_id=firm.id, reference="ET-100", label="Étagère murale", sale_price=80, vat_rate=20)
    s.service = Product(firm_id=firm.id, reference="LIV-1", label="Livraison", sale_price=20, vat_rate=20,
                        stock_tracked=False)
    db.session.add_all([s.chair, s.shelf, s.service])
    db.session.commit()
    auth.login("eleve_a")
    s.client = auth.client
    s.auth = auth
    return s


def _ids(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return [r["id"] for r in response.get_json()["results"]]


def test_party_search_is_accent_insensitive_firm_scoped_and_by_city_siret_and_code(shop):
    assert _ids(shop.client, "/clients/choix.json?q=lefevre") == [shop.lefevre.id]  # not the supplier, not firm B
    assert _ids(shop.client, "/clients/choix.json?q=ELOISE") == [shop.lefevre.id]
    assert _ids(shop.client, "/clients/choix.json?q=evreux") == [shop.lefevre.id]
    assert _ids(shop.client, "/clients/choix.json?q=732+829+320") == [shop.acme.id]  # SIRET typed with spaces
    assert _ids(shop.client, f"/clients/choix.json?q=C{shop.durand.id:05d}") == [shop.durand.id]
    assert _ids(shop.client, "/clients/choix.json?q=lefevre&type=fournisseurs") == [shop.supplier.id]
    results = shop.client.get("/clients/choix.json?q=acme").get_json()["results"]
    assert results == [{"id": shop.acme.id, "label": "Acme Outillage",
                        "hint": f"Client · Lille · SIRET 73282932000074 · C{shop.acme.id:05d}",
                        "code": f"C{shop.acme.id:05d}"}]


def test_product_search_by_reference_label_and_barcode(shop):
    assert _ids(shop.client, "/ventes/catalogue/choix.json?q=ch-0") == [shop.chair.id]
    assert _ids(shop.client, "/ventes/catalogue/choix.json?q=etagere") == [shop.shelf.id]
    assert _ids(shop.client, "/ventes/catalogue/choix.json?q=3760000000045") == [shop.chair.id]
    assert _ids(shop.client, "/ventes/catalogue/choix.json?q=liv") == [shop.service.id]
    assert _ids(shop.client, "/ventes/catalogue/choix.json?q=liv&type=stock") == []  # a service has no stock


def test_search_returns_at_most_twenty_matches(shop, world):
    for n in range(30):
        parties.create_party(world.firm_a, None, {"category": "private", "kind": "prospect",
                                                  "last_name": f"Martin{n:02d}"}, journal=False)
    db.session.commit()
    ids = _ids(shop.client, "/clients/choix.json?q=martin")
    assert len(ids) == 20


@pytest.mark.parametrize("q", ["", "%", "_", "\\", "zz\x00zz", "x" * 5000, "' OR 1=1 --"])
def test_odd_search_text_is_harmless(shop, q):
    for url in ("/clients/choix.json", "/ventes/catalogue/choix.json"):
        response = shop.client.get(url, query_string={"q": q})
        assert response.status_code == 200
        assert response.get_json()["results"] == [] or q == ""


def test_the_quote_form_never_lists_the_parties_or_products(shop):
    html = page_text(shop.client.get("/ventes/devis/nouveau"))
    assert "Durand" not in html and "Acme" not in html and "Chaise" not in html
    assert 'data-picker-url="/clients/choix.json?type=clients"' in html
    assert 'data-picker-url="/ventes/catalogue/choix.json?type=tous"' in html
    assert '<script src="/static/js/picker.js" defer></script>' in html


def test_the_search_step_without_script_keeps_what_was_typed_and_saves_nothing(shop):
    from crm.ventes.documents.models import SalesDocument

    form = {"issue_date": "2026-09-01", "party_id-q": "lef", "notes": "Livraison au 2e étage",
            "lines-0-product_id-q": "", "lines-0-description": "Montage", "lines-0-quantity": "2",
            "lines-0-unit_price": "30", "lines-0-vat_rate": "20", "remise_rate": "5"}
    documents_before = db.session.query(SalesDocument).count()
    response = shop.auth.post("/ventes/devis/nouveau", {**form, "picker-search": "party_id"},
                              form_page="/ventes/devis/nouveau")
    html = page_text(response)
    assert response.status_code == 200
    assert db.session.query(SalesDocument).count() == documents_before
    assert re.search(rf'<input type="radio" name="party_id" value="{shop.lefevre.id}"\s*> Éloïse Lefèvre', html)
    assert "Grossiste" not in html  # a supplier is not a client
    assert "1 résultat pour « lef »" in html
    for typed in ('value="Livraison au 2e étage"', 'value="Montage"', 'value="30"', 'value="5"'):
        assert typed in html or "Livraison au 2e étage</textarea>" in html
    # The trainee picks the radio and saves: the quote is drafted for that client.
    response = shop.auth.post("/ventes/devis/nouveau", {**form, "party_id": shop.lefevre.id, "party_id-picked": "1"},
                              form_page="/ventes/devis/nouveau")
    assert response.status_code == 302
    quote = db.session.query(SalesDocument).filter_by(firm_id=shop.lefevre.firm_id).one()  # this firm's
    assert quote.party_id == shop.lefevre.id and quote.notes == "Livraison au 2e étage"


def test_text_without_a_choice_is_refused_with_the_matches(shop):
    response = shop.auth.post("/ventes/devis/nouveau", {"issue_date": "2026-09-01", "party_id-q": "durand"},
                              form_page="/ventes/devis/nouveau")
    html = page_text(response)
    assert response.status_code == 422
    assert "Choisissez dans la liste des résultats" in html
    assert f'name="party_id" value="{shop.durand.id}"' in html


def test_a_party_of_another_firm_is_a_404(shop):
    response = shop.auth.post("/ventes/devis/nouveau", {"issue_date": "2026-09-01", "party_id": shop.foreign.id,
                                                        "lines-0-description": "X", "lines-0-quantity": "1",
                                                        "lines-0-unit_price": "1", "lines-0-vat_rate": "20"},
                              form_page="/ventes/devis/nouveau")
    assert response.status_code == 404


def test_the_till_offers_close_articles_when_a_reference_is_unknown(shop):
    response = shop.auth.post("/ventes/caisse/", {"reference": "chaise", "quantity": "2", "action": "add"},
                              form_page="/ventes/caisse/")
    html = page_text(response)
    assert response.status_code == 422
    assert f'name="action" value="pick-{shop.chair.id}"' in html
    response = shop.auth.post("/ventes/caisse/", {"reference": "chaise", "quantity": "2",
                                                  "action": f"pick-{shop.chair.id}"}, form_page="/ventes/caisse/")
    html = page_text(response)
    assert response.status_code == 200
    assert f'name="line_product" value="{shop.chair.id}"' in html and 'name="line_quantity" value="2"' in html


def test_the_till_scans_a_barcode(shop):
    response = shop.auth.post("/ventes/caisse/", {"reference": "3760000000045", "quantity": "1", "action": "add"},
                              form_page="/ventes/caisse/")
    assert f'name="line_product" value="{shop.chair.id}"' in page_text(response)


def test_a_purchase_order_chooses_its_supplier_by_search(shop):
    response = shop.auth.post("/stocks/commandes/nouvelle", {"supplier_id-q": "gross", "order_date": "2026-09-01",
                                                             "picker-search": "supplier_id"},
                              form_page="/stocks/commandes/nouvelle")
    assert response.status_code == 200
    assert f'name="supplier_id" value="{shop.supplier.id}"' in page_text(response)
    response = shop.auth.post("/stocks/commandes/nouvelle", {"supplier_id": shop.supplier.id,
                                                             "order_date": "2026-09-01"},
                              form_page="/stocks/commandes/nouvelle")
    assert response.status_code == 302


def test_typing_another_name_without_choosing_does_not_keep_the_old_choice(shop):
    """Without script the hidden id stays when the box is retyped: the form asks to choose again."""
    response = shop.auth.post("/ventes/devis/nouveau", {"issue_date": "2026-09-01", "party_id": shop.lefevre.id,
                                                        "party_id-q": "durand", "lines-0-description": "X",
                                                        "lines-0-quantity": "1", "lines-0-unit_price": "1",
                                                        "lines-0-vat_rate": "20"},
                              form_page="/ventes/devis/nouveau")
    html = page_text(response)
    assert response.status_code == 422
    assert "Choisissez dans la liste des résultats" in html
    assert f'name="party_id" value="{shop.durand.id}"' in html
