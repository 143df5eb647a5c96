"""Catalogue: products through the real forms, per-firm references, VAT rates, promotions, argumentaire."""
import re
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.formation.models import Activity
from crm.ventes import catalogue
from crm.ventes.models import Product, ProductFamily, PromotionalPrice
from tests.conftest import page_text

FORM = {"reference": "caf-250", "label": "Café moulu 250 g", "family_id": "0", "unit": "paquet",
        "purchase_price": "2,40", "sale_price": "4,90", "vat_rate": "5.5", "stock_tracked": "y",
        "active": "y", "description": "Pur arabica", "advantages": "Torréfié en France\nSachet refermable"}


def _products(firm):
    return db.session.scalars(select(Product).where(Product.firm_id == firm.id)).all()


def test_create_product_through_the_form(client, auth, world):
    auth.login("eleve_a")
    response = auth.post("/ventes/catalogue/nouveau", FORM, form_page="/ventes/catalogue/nouveau")
    assert response.status_code == 302
    db.session.expire_all()
    (product,) = _products(world.firm_a)
    assert product.reference == "CAF-250"  # normalised to upper case
    assert product.purchase_price == D("2.40") and product.sale_price == D("4.90")
    assert product.vat_rate == D("5.5") and product.unit == "paquet"
    assert product.advantage_list == ["Torréfié en France", "Sachet refermable"]
    page = page_text(client.get(response.headers["Location"]))
    assert "Café moulu 250 g" in page and "Sachet refermable" in page


@pytest.mark.parametrize("field, value, message", [
    ("vat_rate", "19.6", "N'est pas un choix valide"),
    ("purchase_price", "-3", "ne peut pas être négative"),
    ("sale_price", "douze", "Ce n'est pas un nombre"),
    ("sale_price", "4,999", "2 décimales au plus"),
    ("reference", "", "obligatoire"),
])
def test_bad_input_is_refused_in_french(client, auth, world, field, value, message):
    auth.login("eleve_a")
    response = auth.post("/ventes/catalogue/nouveau", {**FORM, field: value}, form_page="/ventes/catalogue/nouveau")
    assert response.status_code == 422
    assert message in page_text(response)
    assert _products(world.firm_a) == []


def test_reference_unique_per_firm_only(client, auth, world, make_product):
    make_product(world.firm_a, reference="CAF-250")
    make_product(world.firm_b, reference="CAF-250")  # another firm may use the same reference
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post("/ventes/catalogue/nouveau", FORM, form_page="/ventes/catalogue/nouveau")
    assert response.status_code == 422
    assert "La référence CAF-250 est déjà utilisée" in page_text(response)
    with pytest.raises(IntegrityError), db.session.begin_nested():  # the database refuses it too
            db.session.add(Product(firm_id=world.firm_a.id, reference="CAF-250", label="x",
                                   purchase_price=1, sale_price=1, vat_rate=20))
            db.session.flush()


def test_database_refuses_a_vat_rate_not_in_the_list(world):
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Product(firm_id=world.firm_a.id, reference="X", label="x",
                               purchase_price=1, sale_price=1, vat_rate=D("19.6")))
        db.session.flush()


def test_service_refuses_a_vat_rate_not_in_the_list(world):
    from crm.core.errors import DomainError

    data = {**FORM, "family_id": None, "purchase_price": D("1"), "sale_price": D("2"),
            "vat_rate": D("7"), "stock_tracked": True, "active": True}
    with pytest.raises(DomainError, match="Taux de TVA inconnu"):
        catalogue.create_product(world.firm_a, world.trainee_a, data)


def test_family_of_another_firm_is_not_a_choice(client, auth, world):
    foreign = ProductFamily(firm_id=world.firm_b.id, name="Famille B")
    own = ProductFamily(firm_id=world.firm_a.id, name="Boissons")
    db.session.add_all([foreign, own])
    db.session.commit()
    auth.login("eleve_a")
    page = page_text(client.get("/ventes/catalogue/nouveau"))
    assert "Boissons" in page and "Famille B" not in page
    response = auth.post("/ventes/catalogue/nouveau", {**FORM, "family_id": str(foreign.id)},
                         form_page="/ventes/catalogue/nouveau")
    assert response.status_code == 422
    assert _products(world.firm_a) == []


def test_promotional_price_applies_within_its_dates(world, make_product):
    product = make_product(world.firm_a, sale_price=D("10.00"))
    catalogue.add_promotion(product, D("8.50"), date(2026, 12, 1), date(2026, 12, 24), "Noël")
    assert product.price_on(date(2026, 11, 30)) == D("10.00")
    assert product.price_on(date(2026, 12, 1)) == D("8.50")
    assert product.price_on(date(2026, 12, 24)) == D("8.50")
    assert product.price_on(date(2026, 12, 25)) == D("10.00")


def test_promotion_bad_dates_and_overlap(client, auth, world, make_product):
    product = make_product(world.firm_a)
    catalogue.add_promotion(product, D("8"), date(2026, 12, 1), date(2026, 12, 24))
    db.session.commit()
    auth.login("eleve_a")
    url = f"/ventes/catalogue/{product.id}/promotions"
    page = f"/ventes/catalogue/{product.id}"
    response = auth.post(url, {"price": "7", "starts_on": "2027-01-10", "ends_on": "2027-01-01"}, form_page=page)
    assert response.status_code == 422
    assert "La date de fin doit être postérieure" in page_text(response)
    response = auth.post(url, {"price": "7", "starts_on": "2026-12-20", "ends_on": "2027-01-05"}, form_page=page)
    assert response.status_code == 422
    assert "couvre déjà une partie de ces dates" in page_text(response)
    response = auth.post(url, {"price": "7", "starts_on": "2027-01-02", "ends_on": "2027-01-05"}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PromotionalPrice)) == 2


def test_objection_and_sheet_presentation_are_journalled(client, auth, world, make_product):
    product = make_product(world.firm_a, label="Bouilloire")
    db.session.commit()
    auth.login("eleve_a")
    page = f"/ventes/catalogue/{product.id}"
    response = auth.post(f"{page}/objections", {"objection": "C'est trop cher.",
                                                "answer": "Elle consomme 30 % d'énergie en moins."}, form_page=page)
    assert response.status_code == 302
    response = auth.post(f"{page}/objections", {"objection": "", "answer": ""}, form_page=page)
    assert response.status_code == 422 and "obligatoire" in page_text(response)
    response = auth.post(f"{page}/presenter", {}, form_page=page)
    assert response.status_code == 302
    sheet = page_text(client.get(response.headers["Location"]))
    assert "« C'est trop cher. »" in sheet and "30 % d'énergie" in sheet
    db.session.expire_all()
    activity = db.session.scalar(select(Activity).where(Activity.verb == "product.sheet_presented"))
    assert activity.user_id == world.trainee_a.id
    assert activity.codes == ["A3T1C4", "A3T1C5"]


def test_apply_pricing_updates_the_product(client, auth, world, make_product):
    product = make_product(world.firm_a, purchase_price=D("40"), sale_price=D("45"))
    db.session.commit()
    auth.login("eleve_a")
    page = client.get(f"/ventes/catalogue/{product.id}/prix?vat_rate=20&purchase_price=40&coefficient=1.5")
    assert "50,00\xa0€" in page_text(page)
    response = auth.post(f"/ventes/catalogue/{product.id}/prix",
                         {"vat_rate": "20", "purchase_price": "40", "sale_price": "50.00"},
                         form_page=f"/ventes/catalogue/{product.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Product, product.id).sale_price == D("50.00")


def test_catalogue_list_and_empty_state(client, auth, world, make_product):
    auth.login("eleve_a")
    assert "Le catalogue est vide" in page_text(client.get("/ventes/catalogue"))
    make_product(world.firm_a, label="Thé vert")
    make_product(world.firm_b, label="Secret de B")
    db.session.commit()
    text = page_text(client.get("/ventes/catalogue"))
    assert "Thé vert" in text and "Secret de B" not in text
    index = page_text(client.get("/ventes/"))
    assert "Catalogue" in index and "devis" in index


def test_edit_product_keeps_its_vat_rate_selected(client, auth, world, make_product):
    product = make_product(world.firm_a, reference="THE", vat_rate=D("5.5"))
    db.session.commit()
    auth.login("eleve_a")
    url = f"/ventes/catalogue/{product.id}/modifier"
    assert '<option selected value="5.5">' in page_text(client.get(url))
    response = auth.post(url, {**FORM, "reference": "THE", "vat_rate": "10", "active": ""}, form_page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert (product.vat_rate, product.active, product.label) == (D("10"), False, "Café moulu 250 g")


def test_families_duplicate_name_and_delete(client, auth, world, make_product):
    auth.login("eleve_a")
    assert (
        auth.post(
            "/ventes/catalogue/familles", {"name": "Boissons"}, form_page="/ventes/catalogue/familles"
        ).status_code
        == 302
    )
    response = auth.post("/ventes/catalogue/familles", {"name": "boissons"}, form_page="/ventes/catalogue/familles")
    assert response.status_code == 422
    assert "La famille « boissons » existe déjà" in page_text(response)
    db.session.expire_all()
    family = db.session.scalar(select(ProductFamily))
    product = make_product(world.firm_a, family_id=family.id)
    make_product(world.firm_a, reference="SANS-FAMILLE")
    db.session.commit()
    listed = re.sub(r"\s+", " ", page_text(client.get("/ventes/catalogue/familles")))
    assert re.search(r">Boissons</a></td><td class=\"num\">1</td>", listed)  # its one article
    response = auth.post(
        f"/ventes/catalogue/familles/{family.id}/supprimer", {}, form_page="/ventes/catalogue/familles"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert product.family_id is None and db.session.get(Product, product.id) is not None
