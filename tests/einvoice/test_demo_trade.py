"""The demo's two firms trade from the browser: Comptoir démo orders from Boutique voisine, Boutique voisine
invoices, the Factur-X arrives in Comptoir démo's incoming invoices, is matched to the order and its
reception, booked and paid."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.admin.demo import load_demo
from crm.clients.models import Party
from crm.core.clock import business_today
from crm.core.models import Firm
from crm.core.pdf import pdf_available
from crm.einvoice import validation
from crm.einvoice.models import IncomingInvoice, SupplierInvoice
from crm.extensions import db
from crm.stocks.models import GoodsReceipt, PurchaseOrder
from crm.ventes.documents.models import SalesDocument
from crm.ventes.models import Product
from tests.conftest import Auth, page_text

PASSWORD = "demo-password-1"
pytestmark = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load its system libraries here")


def _browser(app, username):
    browser = Auth(app.test_client())
    browser.login(username, PASSWORD)
    return browser


def _id(response) -> int:
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _product(firm, reference) -> Product:
    return db.session.scalar(select(Product).where(Product.firm_id == firm.id, Product.reference == reference))


def test_the_two_demo_firms_trade_from_the_browser(app, app_ctx):
    load_demo(PASSWORD)
    db.session.commit()
    firms = {f.trade_name: f for f in db.session.scalars(select(Firm))}
    comptoir, boutique = firms["Comptoir démo"], firms["Boutique voisine"]
    supplier = db.session.scalar(select(Party).where(Party.firm_id == comptoir.id, Party.linked_firm_id == boutique.id))
    client = db.session.scalar(select(Party).where(Party.firm_id == boutique.id, Party.linked_firm_id == comptoir.id))
    assert (supplier.kind, client.kind) == ("supplier", "client")
    day = max(business_today(comptoir), business_today(boutique)).isoformat()

    # Comptoir démo orders six plants and ten packets of coffee from Boutique voisine.
    buyer = _browser(app, "eleve2")
    page = "/stocks/commandes/nouvelle"
    order_id = _id(buyer.post(page, {"supplier_id": supplier.id, "order_date": day, "notes": ""}, form_page=page))
    page = f"/stocks/commandes/{order_id}"
    for reference, quantity in (("PL-ACC", 6), ("CA-FE", 10)):
        response = buyer.post(page, {"product_id": _product(comptoir, reference).id, "quantity": quantity,
                                     "unit_price": "", "vat_rate": ""}, form_page=page)
        assert response.status_code == 302
    assert buyer.post(f"{page}/valider", {}, form_page=page).status_code == 302
    order = db.session.get(PurchaseOrder, order_id)
    db.session.refresh(order)
    assert order.status == "validated"

    # Boutique voisine invoices them; validating delivers the Factur-X to Comptoir démo.
    seller = _browser(app, "eleve3")
    page = "/ventes/factures/nouveau"
    data = {"party_id": client.id, "issue_date": day, "remise_rate": "", "rabais_rate": "", "ristourne_rate": "",
            "escompte_rate": "", "notes": "Votre commande " + order.number}
    for i, (reference, quantity) in enumerate((("PL-ACC", "6"), ("CA-FE", "10"))):
        data.update({f"lines-{i}-product_id": str(_product(boutique, reference).id), f"lines-{i}-quantity": quantity,
                     f"lines-{i}-description": "", f"lines-{i}-unit_price": "", f"lines-{i}-discount_rate": "",
                     f"lines-{i}-vat_rate": "", f"lines-{i}-source_line_id": ""})
    invoice_id = _id(seller.post(page, data, form_page=page))
    response = seller.post(f"/ventes/documents/{invoice_id}/valider", {}, form_page="/ventes/devis/")
    assert response.status_code == 302
    db.session.expire_all()
    invoice = db.session.get(SalesDocument, invoice_id)
    assert invoice.number and invoice.total_ttc == Decimal("202.95")  # 90 + 18 VAT, 90 + 4.95 VAT
    [incoming] = db.session.scalars(select(IncomingInvoice).where(IncomingInvoice.firm_id == comptoir.id)).all()
    assert (incoming.channel, incoming.number, incoming.total_ttc) == ("platform", invoice.number, invoice.total_ttc)
    assert validation.fatal_failures(incoming.xml) == []
    assert "Factur-X transmise" in page_text(seller.client.get(f"/ventes/documents/{invoice_id}"))

    # Comptoir démo finds it in its incoming invoices and books it as a supplier invoice.
    assert invoice.number in page_text(buyer.client.get("/echanges/"))
    page = f"/echanges/recues/{incoming.id}"
    supplier_invoice_id = _id(buyer.post(f"{page}/saisir", {}, form_page=page))
    db.session.expire_all()
    supplier_invoice = db.session.get(SupplierInvoice, supplier_invoice_id)
    assert supplier_invoice.order_id == order_id  # matched to its order
    page = f"/echanges/achats/{supplier_invoice_id}"
    assert "Réception manquante" in page_text(buyer.client.get(page))

    # The goods arrive: the reception is recorded, then the match is clean.
    lines = {line.product.reference: line.id for line in order.lines}
    reception = f"/stocks/commandes/{order_id}/reception"
    receipt_id = _id(buyer.post(reception, {"received_on": day, "delivery_note": invoice.number, "note": "",
                                            f"received-{lines['PL-ACC']}": "6", f"received-{lines['CA-FE']}": "10"},
                                form_page=reception))
    assert buyer.post(f"/stocks/receptions/{receipt_id}/valider", {},
                      form_page=f"/stocks/receptions/{receipt_id}").status_code == 302
    assert db.session.get(GoodsReceipt, receipt_id).number
    assert "Conforme" in page_text(buyer.client.get(page))
    assert buyer.post(f"{page}/enregistrer", {"reason": ""}, form_page=page).status_code == 302
    total = f"{invoice.total_ttc:.2f}".replace(".", ",")
    response = buyer.post(f"{page}/reglement", {"amount": total, "method": "transfer", "paid_on": day,
                                                "reference": "VIR-DEMO"}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplierInvoice, supplier_invoice_id).status == "paid"
    statement = page_text(buyer.client.get(f"/echanges/fournisseurs/{supplier.id}/releve"))
    assert invoice.number in statement
