"""The purchase side: supplier invoices from a received Factur-X or typed, three-way match, booking, paying."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm.core.errors import DomainError
from crm.einvoice import cii, issuing, purchasing, services
from crm.einvoice.models import SupplierInvoice
from crm.extensions import db
from crm.formation.models import Activity, ActivityCompetency
from tests.conftest import Auth, page_text
from tests.einvoice.conftest import ISSUED, issue_invoice, receive_goods, trade_lines


def _incoming(trade, **invoice_args):
    """The seller invoices the buyer; the XML is received in the buyer's incoming invoices."""
    invoice = issue_invoice(trade.seller, trade.client, trade_lines(trade, **invoice_args))
    xml = cii.to_xml(issuing.invoice_of(invoice))
    return invoice, services.receive(trade.buyer, trade.buyer_user, xml, f"{invoice.number}.xml")


def _kinds(differences) -> list[tuple[str, str]]:
    return sorted((d.kind, d.line) for d in differences)


def _codes(firm, verb) -> set[str]:
    return set(db.session.scalars(select(ActivityCompetency.code).join(Activity).where(
        Activity.firm_id == firm.id, Activity.verb == verb)))


def test_an_incoming_invoice_becomes_a_supplier_invoice_with_nothing_retyped(trade):
    sale, incoming = _incoming(trade)
    invoice = purchasing.from_incoming(trade.buyer, trade.buyer_user, incoming)
    assert (invoice.supplier_id, invoice.number, invoice.total_ttc) == (trade.supplier.id, sale.number, sale.total_ttc)
    assert (invoice.total_ht, invoice.total_vat, invoice.due_date) == (sale.total_ht, sale.total_vat, sale.due_date)
    assert [(line.reference, line.quantity, line.unit_price, line.net) for line in invoice.lines] == [
        ("CH-045", D("10"), D("45.0000"), D("450.00")), ("LI-001", D("4"), D("11.2500"), D("45.00"))]
    assert invoice.order_id == trade.order.id  # the supplier's only open order
    assert incoming.status == "booked"
    with pytest.raises(DomainError, match="déjà saisie"):
        purchasing.from_incoming(trade.buyer, trade.buyer_user, incoming)
    assert {"A3T3C2", "S131"} <= _codes(trade.buyer, "supplier_invoice.checked")


def test_the_three_way_match_lists_every_difference(trade):
    receive_goods(trade, chairs=10, damaged=2)  # 8 chairs accepted, no books received
    _sale, incoming = _incoming(trade, chair_price="46.00")
    invoice = purchasing.from_incoming(trade.buyer, trade.buyer_user, incoming)
    differences = purchasing.match(invoice)
    assert _kinds(differences) == [("missing_receipt", "Livre de caisse"), ("price", "Chaise empilable"),
                                   ("quantity", "Chaise empilable")]
    texts = " ".join(d.text for d in differences).replace("\u202f", " ").replace("\xa0", " ")
    assert "facturé 46,00 € HT l'unité, commandé 45,00 €" in texts and "écart de 10,00 €" in texts
    assert ("« Chaise empilable » : quantité facturée 10 unités ; quantité reçue en bon état et pas encore "
            "facturée 8 unités (quantité commandée 10 unités).") in texts
    assert "« Livre de caisse » : quantité facturée 4 unités, mais aucune réception validée" in texts
    # Booking with differences needs a reason; disputing too.
    with pytest.raises(DomainError, match="indiquez pourquoi"):
        purchasing.book(invoice, trade.buyer_user, "")
    with pytest.raises(DomainError, match="Indiquez ce que vous contestez"):
        purchasing.dispute(invoice, trade.buyer_user, " ")
    purchasing.dispute(invoice, trade.buyer_user, "Prix des chaises : 45 € commandés ; 2 chaises abîmées.")
    assert invoice.status == "disputed" and _codes(trade.buyer, "supplier_invoice.disputed") >= {"A3T3C2"}
    # Once the receipt is complete the trainee may accept the price difference with a reason.
    receive_goods(trade, chairs=2, books=4)
    assert _kinds(purchasing.match(invoice)) == [("price", "Chaise empilable")]
    purchasing.book(invoice, trade.buyer_user, "Hausse de tarif annoncée par le fournisseur le 15/11.")
    assert invoice.status == "booked" and {"A3T3C2", "S131"} <= _codes(trade.buyer, "supplier_invoice.booked")
    with pytest.raises(DomainError, match="déjà enregistrée"):
        purchasing.dispute(invoice, trade.buyer_user, "trop tard")


def test_a_matching_invoice_is_booked_paid_and_on_the_supplier_account(trade):
    receive_goods(trade, chairs=10, books=4)
    _sale, incoming = _incoming(trade)
    invoice = purchasing.from_incoming(trade.buyer, trade.buyer_user, incoming)
    assert purchasing.match(invoice) == []
    purchasing.book(invoice, trade.buyer_user)
    with pytest.raises(DomainError, match="dépasse"):
        purchasing.record_supplier_payment(invoice, trade.buyer_user, invoice.total_ttc + 1, "transfer", ISSUED)
    purchasing.record_supplier_payment(invoice, trade.buyer_user, D("100.00"), "transfer", ISSUED)
    assert invoice.status == "partially_paid" and purchasing.balance_of(invoice) == invoice.total_ttc - 100
    purchasing.record_supplier_payment(invoice, trade.buyer_user, invoice.total_ttc - 100, "cheque", ISSUED, "CHQ 12")
    assert invoice.status == "paid" and purchasing.balance_of(invoice) == 0
    entries = purchasing.supplier_statement(trade.buyer, trade.supplier)
    assert [(e.credit, e.debit) for e in entries] == [(invoice.total_ttc, 0), (0, D("100.00")),
                                                      (0, invoice.total_ttc - 100)]
    assert entries[-1].balance == 0
    assert {"A3T3C2", "S131"} <= _codes(trade.buyer, "supplier_payment.recorded")


def test_a_paper_invoice_typed_against_the_order(trade):
    receive_goods(trade, chairs=10, books=4)
    lines = {line.product.reference: line.id for line in trade.order.lines}
    invoice = purchasing.typed_from_order(trade.buyer, trade.buyer_user, trade.order, "P-77", ISSUED, None, [
        purchasing.TypedLine(lines["CH-045"], D("10"), D("45.00")),
        purchasing.TypedLine(lines["LI-001"], D("3"), D("11.25"))])
    assert (invoice.total_ht, invoice.total_vat) == (D("483.75"), D("90.00") + D("1.86"))
    assert _kinds(purchasing.match(invoice)) == [("quantity", "Livre de caisse")]
    with pytest.raises(DomainError, match="déjà saisie"):
        purchasing.typed_from_order(trade.buyer, trade.buyer_user, trade.order, "P-77", ISSUED, None, [
            purchasing.TypedLine(lines["CH-045"], D("1"), D("45.00"))])


def test_the_pages_walk_from_the_received_file_to_the_payment(app, trade):
    receive_goods(trade, chairs=10, books=4)
    _sale, incoming = _incoming(trade)
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_c")
    page = f"/echanges/recues/{incoming.id}"
    response = browser.post(f"{page}/saisir", {}, form_page=page)
    assert response.status_code == 302
    invoice = db.session.scalar(select(SupplierInvoice).where(SupplierInvoice.incoming_id == incoming.id))
    page = f"/echanges/achats/{invoice.id}"
    assert "Conforme" in page_text(browser.client.get(page))
    assert browser.post(f"{page}/enregistrer", {"reason": ""}, form_page=page).status_code == 302
    response = browser.post(f"{page}/reglement", {"amount": "99999", "method": "transfer",
                                                  "paid_on": ISSUED.isoformat(), "reference": ""}, form_page=page)
    assert response.status_code == 422 and "dépasse" in page_text(response)
    db.session.expire_all()
    total = f"{invoice.total_ttc:.2f}".replace(".", ",")
    response = browser.post(f"{page}/reglement", {"amount": total, "method": "transfer",
                                                  "paid_on": ISSUED.isoformat(), "reference": "VIR-1"}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(SupplierInvoice, invoice.id).status == "paid"
    statement = page_text(browser.client.get(f"/echanges/fournisseurs/{trade.supplier.id}/releve"))
    assert invoice.number in statement and "VIR-1" not in statement  # the label names the invoice
    listing = page_text(browser.client.get("/echanges/achats"))
    assert invoice.number in listing and "Réglée" in listing
    # Another firm sees none of it.
    other = Auth(app.test_client())
    other.login("eleve_a")
    assert other.client.get(page).status_code == 404
