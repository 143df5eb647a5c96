"""Every validated invoice and credit note is a Factur-X EN 16931: XML from the stored document, 0 fatal rule."""
from __future__ import annotations

import hashlib
import io
import re
from decimal import Decimal as D

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from crm.core.pdf import pdf_available
from crm.einvoice import cii, issuing, validation
from crm.extensions import db
from crm.ventes.documents import services
from crm.ventes.documents.models import DocumentFile
from tests.conftest import Auth, page_text
from tests.einvoice.conftest import ISSUED, credit, every_rate_lines, issue_invoice

NS = {"rsm": cii.RSM, "ram": cii.RAM, "udt": cii.UDT, "qdt": cii.QDT}


def _xpath(xml: bytes, path: str) -> list[str]:
    return [getattr(node, "text", node) for node in etree.fromstring(xml).xpath(path, namespaces=NS)]


def _assert_valid(xml: bytes) -> None:
    validation.check_xsd(xml)  # the Factur-X EN 16931 XSD
    fatal = validation.fatal_failures(xml)  # the CEN/TC 434 rules
    assert fatal == [], "\n".join(f"{f.rule} {f.location} {f.text}" for f in fatal)


def _documents(seller):
    """Invoices and credit notes covering every rate, the whole cascade with escompte, line discounts,
    partial payments, a business and a private client (with a delivery address of its own)."""
    lines = every_rate_lines(seller)
    cascade = issue_invoice(seller, seller.business, lines, remise="10", rabais="5", ristourne="2.5", escompte="2")
    plain = issue_invoice(seller, seller.private, lines[:2])
    escompte_only = issue_invoice(seller, seller.private, lines, escompte="1.5")
    paid = issue_invoice(seller, seller.business, lines[2:], remise="3")
    services.record_payment(paid, seller.user, D("50.00"), "transfer", ISSUED)
    services.record_payment(paid, seller.user, D("20.10"), "cheque", ISSUED)
    full_credit = credit(seller, cascade)
    partial_credit = credit(seller, paid, {"LI-001": D("1"), "FO-003": D("0.5")})
    return [cascade, plain, escompte_only, paid, full_credit, partial_credit]


def test_every_invoice_and_credit_note_passes_the_xsd_and_the_en16931_rules(seller):
    documents = _documents(seller)
    rates = set()
    for document in documents:
        xml = issuing.xml_of(document)
        _assert_valid(xml)
        totals = services.totals_of(document)
        # The XML says what the stored document says.
        assert _xpath(xml, "//rsm:ExchangedDocument/ram:ID") == [document.number]
        assert _xpath(xml, "//rsm:ExchangedDocument/ram:TypeCode") == [cii.TYPE_CODES[document.kind]]
        assert _xpath(xml, "//ram:GrandTotalAmount") == [f"{document.total_ttc:.2f}"]
        assert _xpath(xml, "//ram:TaxBasisTotalAmount") == [f"{document.total_ht:.2f}"]
        assert _xpath(xml, "//ram:TaxTotalAmount") == [f"{document.total_vat:.2f}"]
        assert _xpath(xml, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount") == [
            f"{totals.gross_ht:.2f}"]
        assert [D(x) for x in _xpath(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:LineTotalAmount")] == [
            line.net for line in document.lines]
        assert _xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == ["732829320"]
        rates |= {D(x) for x in _xpath(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                           "ram:RateApplicablePercent")}
    assert rates == {D("20"), D("10"), D("5.5"), D("2.1"), D("0")}

    cascade, plain, escompte_only, paid, full_credit, partial_credit = documents
    xml = issuing.xml_of(cascade)
    # Each reduction of the cascade, split by VAT rate, adds up to the printed amount to the cent.
    totals = services.totals_of(cascade)
    pieces = issuing.invoice_of(cascade).allowances
    for step in list(totals.reductions) + [totals.escompte]:
        assert sum(p.amount for p in pieces if p.kind == step.kind) == step.amount
    for vat in totals.vat:
        assert sum(p.amount for p in pieces if p.vat_rate == vat.rate) == vat.lines_net - vat.base
    assert {r.split(" ")[0] for r in _xpath(xml, "//ram:ApplicableHeaderTradeSettlement/"
                                                 "ram:SpecifiedTradeAllowanceCharge/ram:Reason")} == {
        "Remise", "Rabais", "Ristourne", "Escompte"}
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == ["196900014"]
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["FR15196900014"]
    assert _xpath(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["FR44732829320"]
    assert _xpath(xml, "//ram:IBANID") == ["FR7630006000011234567890189"]
    assert _xpath(xml, "//ram:DueDateDateTime/udt:DateTimeString") == [cascade.due_date.strftime("%Y%m%d")]
    assert "2.375" in _xpath(xml, "//ram:BilledQuantity") and "HUR" in _xpath(xml, "//ram:BilledQuantity/@unitCode")
    assert _xpath(xml, "//ram:IncludedSupplyChainTradeLineItem//ram:SpecifiedTradeAllowanceCharge/"
                       "ram:ActualAmount") == ["5.00", "31.50"]  # the two line discounts
    # The private client: no SIREN, its delivery address as ship-to.
    xml = issuing.xml_of(plain)
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:Name") == ["Léa Martin"]
    assert _xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization") == []
    assert _xpath(xml, "//ram:ShipToTradeParty//ram:LineOne") == ["12 quai Perrache"]
    # Credit notes cite the invoice they correct (BT-25).
    for note, invoice in ((full_credit, cascade), (partial_credit, paid)):
        xml = issuing.xml_of(note)
        assert _xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [invoice.number]


def test_amounts_already_paid_are_carried_and_still_valid(seller):
    invoice = issue_invoice(seller, seller.business, every_rate_lines(seller), remise="5", escompte="2")
    assert issuing.invoice_of(invoice).prepaid == 0  # the file shows the invoice as validated
    services.record_payment(invoice, seller.user, D("100.00"), "transfer", ISSUED)
    services.record_payment(invoice, seller.user, D("33.33"), "cash", ISSUED)
    paid = services.paid_amount(invoice)
    xml = cii.to_xml(issuing.invoice_of(invoice, paid=paid))
    _assert_valid(xml)
    assert _xpath(xml, "//ram:TotalPrepaidAmount") == ["133.33"]
    assert _xpath(xml, "//ram:DuePayableAmount") == [f"{invoice.total_ttc - D('133.33'):.2f}"]


def test_every_unit_code_of_the_catalogue_is_one_en16931_accepts(seller):
    invoice = issue_invoice(seller, seller.business, every_rate_lines(seller)[:1])
    data = issuing.invoice_of(invoice)
    for code in sorted(set(cii.UNIT_CODES.values())):
        data.lines[0].unit_code = code
        assert validation.fatal_failures(cii.to_xml(data)) == [], code


def test_a_broken_total_is_caught_by_the_rules(seller):
    """The check can fail: a grand total that does not add up is a fatal BR-CO-15."""
    invoice = issue_invoice(seller, seller.business, every_rate_lines(seller)[:2])
    data = issuing.invoice_of(invoice)
    data.grand_total += D("0.01")
    rules = {failure.rule for failure in validation.fatal_failures(cii.to_xml(data))}
    assert "BR-CO-15" in rules


@pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load its system libraries here")
def test_validation_stores_one_facturx_pdf_served_unchanged_with_its_hash(app, seller):
    draft = issue_invoice(seller, seller.business, every_rate_lines(seller), remise="10", escompte="2",
                          validate=False)
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    response = browser.post(f"/ventes/documents/{draft.id}/valider", form_page="/ventes/devis/")
    assert response.status_code == 302
    db.session.expire_all()
    [stored] = db.session.scalars(select(DocumentFile).where(DocumentFile.document_id == draft.id)).all()
    assert stored.purpose == "facturx" and stored.sha256 == hashlib.sha256(stored.data).hexdigest()
    from facturx import get_xml_from_pdf

    name, xml = get_xml_from_pdf(stored.data, check_xsd=True)
    assert name == "factur-x.xml"
    _assert_valid(xml)
    xmp = PdfReader(io.BytesIO(stored.data)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert re.search(rb"pdfaid:part(>|=\")3", xmp) and re.search(rb"pdfaid:conformance(>|=\")B", xmp)  # PDF/A-3b
    assert b"EN 16931" in xmp  # the Factur-X extension schema: ConformanceLevel
    assert _xpath(xml, "//ram:GrandTotalAmount") == [f"{draft.total_ttc:.2f}"]
    for _ in range(2):
        assert browser.client.get(f"/ventes/documents/{draft.id}/pdf").data == stored.data
    page = page_text(browser.client.get(f"/ventes/documents/{draft.id}"))
    assert stored.sha256 in page and "Factur-X" in page
