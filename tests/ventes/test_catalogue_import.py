"""Catalogue import from a French spreadsheet CSV: preview, then all or nothing."""
from decimal import Decimal as D

from sqlalchemy import func, select

from crm.extensions import db
from crm.stocks.models import StockThreshold
from crm.ventes.models import Product, ProductFamily
from tests.conftest import page_text

PAGE = "/ventes/catalogue/import"
GOOD = ("référence;désignation;famille;prix d'achat HT;prix de vente HT;TVA;stock;stock d'alerte;stock maximum\n"
        "ra-a4;Ramette A4;Papeterie;3,00;6,00;20;50;10;100\n"
        "LI-01;Livre;Papeterie;5;10;5,5;20;;\n").encode("cp1252")


def _send(auth, raw: bytes):
    import io

    return auth.post(PAGE, {"file": (io.BytesIO(raw), "catalogue.csv")}, form_page=PAGE,
                     content_type="multipart/form-data")


def test_preview_then_import_everything(auth, world):
    auth.login("eleve_a")
    preview = _send(auth, GOOD)
    assert preview.status_code == 200 and "Aperçu : 2 articles prêts à importer" in page_text(preview)
    assert db.session.scalar(select(func.count(Product.id))) == 0  # nothing before confirmation
    done = auth.post(PAGE, {"content": GOOD.decode("cp1252")}, form_page=PAGE)
    assert done.status_code == 302
    products = {p.reference: p for p in db.session.scalars(select(Product).where(Product.firm_id == world.firm_a.id))}
    assert set(products) == {"RA-A4", "LI-01"}
    assert (products["RA-A4"].sale_price, products["RA-A4"].on_hand, products["LI-01"].vat_rate) == (
        D("6.00"), 50, D("5.5"))
    assert db.session.scalar(select(ProductFamily.name).where(ProductFamily.firm_id == world.firm_a.id)) == "Papeterie"
    threshold = db.session.scalar(select(StockThreshold).where(StockThreshold.product_id == products["RA-A4"].id))
    assert (threshold.alert, threshold.maximum) == (10, 100)


def test_a_faulty_line_refuses_the_whole_file(auth, world):
    auth.login("eleve_a")
    bad = GOOD + "XX-1;Article;;1;2;19,6;;;\nRA-A4;Doublon;;1;2;20;;;\n".encode()
    response = _send(auth, bad)
    text = page_text(response)
    assert response.status_code == 422 and "Rien n'a été importé." in text
    assert "Ligne 4 : Taux de TVA « 19,6 » inconnu" in text
    assert "Ligne 5 : La référence RA-A4 figure déjà ligne 2." in text
    forced = auth.post(PAGE, {"content": bad.decode("cp1252", errors="replace")}, form_page=PAGE)
    assert forced.status_code == 422
    assert db.session.scalar(select(func.count(Product.id))) == 0
