"""Issuing: the CII data of a stored invoice or credit note, and its Factur-X PDF.

`invoice_of(document)` reads the validated document as stored (lines, rates, the
totals of crm.ventes.computation, the firm's identity and settings, the client);
`facturx_pdf(pdf, xml)` embeds the XML into the PDF/A-3b printed from the same
template as the page (crm.ventes.documents.storage keeps the result, once).
"""
from __future__ import annotations

from decimal import Decimal

from crm.core.firm_settings import get_firm_settings, payment_mentions
from crm.core.models import Firm
from crm.einvoice import cii
from crm.extensions import db

FACTURX_KINDS = ("invoice", "credit_note")
PDF_VARIANT = "pdf/a-3b"


class FacturxError(RuntimeError):
    """The Factur-X file could not be produced (the XML failed the Factur-X XSD…)."""


def is_einvoice(document) -> bool:
    return document.kind in FACTURX_KINDS


def firm_party(firm: Firm) -> cii.TradeParty:
    return cii.TradeParty(
        name=firm.trade_name,
        address=cii.Address([line for line in (firm.address_line1, firm.address_line2) if line],
                            firm.postcode, firm.city, cii.country_code(firm.country)),
        siren=firm.siren or (firm.siret or "")[:9],
        vat_number=cii.vat_number_of(firm.siren or (firm.siret or "")[:9], firm.vat_number),
        email=firm.email,
    )


def client_party(party) -> cii.TradeParty:
    from crm.ventes.documents.printing import billing_address

    line1, line2, postcode, city = billing_address(party)
    business = party.category == "business"
    return cii.TradeParty(
        name=party.name or "Client",
        address=cii.Address([line for line in (line1, line2) if line], postcode, city),
        siren=(party.siret or "")[:9] if business else "",
        vat_number=(party.vat_number or "").replace(" ", "").upper() if business else "",
        email=party.email,
    )


def invoice_of(document, paid: Decimal | None = None) -> cii.Invoice:
    """The CII invoice of a validated invoice or credit note, from the stored document."""
    from crm.ventes.documents import printing
    from crm.ventes.documents.services import totals_of

    firm = db.session.get(Firm, document.firm_id)
    totals = totals_of(document)
    settings = get_firm_settings(firm)
    lines = [
        cii.Line(number=position, reference=line.product.reference if line.product else "",
                 name=line.description, quantity=computed.quantity,
                 unit_code=cii.unit_code(line.product.unit if line.product else ""),
                 unit_price=computed.unit_price, discount_rate=computed.discount_rate,
                 discount_amount=computed.discount_amount, gross=computed.gross,
                 vat_rate=computed.vat_rate, net=computed.net)
        for position, (line, computed) in enumerate(zip(document.lines, totals.lines, strict=True), start=1)
    ]
    allowances = cii.allowances(totals)
    if paid is None:
        paid = paid_at_validation(document)
    invoice = cii.Invoice(
        kind=document.kind, number=document.number, issue_date=document.issue_date,
        seller=firm_party(firm), buyer=client_party(document.party), lines=lines, allowances=allowances,
        vat=[cii.VatBreakdown(vat.rate, vat.base, vat.amount) for vat in totals.vat],
        line_total=totals.gross_ht, allowance_total=sum((a.amount for a in allowances), Decimal("0.00")),
        tax_basis=totals.net_financier, tax_total=totals.total_vat, grand_total=totals.total_ttc,
        prepaid=Decimal(paid), due_date=document.due_date if document.kind == "invoice" else None,
        delivery_date=document.delivery_date, iban=(firm.iban or "").replace(" ", "").upper(),
        bic=(firm.bic or "").replace(" ", "").upper(),
    )
    delivery = printing.delivery_address(document.party)
    if delivery is not None:
        line1, line2, postcode, city = delivery
        invoice.ship_to = cii.TradeParty(document.party.name or "Client",
                                         cii.Address([x for x in (line1, line2) if x], postcode, city))
    _references(document, invoice)
    _terms_and_notes(document, invoice, settings, firm)
    return invoice


def paid_at_validation(document) -> Decimal:
    """What was paid on the invoice when it was validated (BT-113): the file shows the document as issued."""
    from sqlalchemy import func, select

    from crm.ventes.documents.models import Payment

    if document.kind != "invoice" or document.validated_at is None:
        return Decimal("0.00")
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.invoice_id == document.id, Payment.created_at <= document.validated_at)))


def _references(document, invoice: cii.Invoice) -> None:
    source = document.source
    if source is not None and source.kind == "delivery":
        invoice.despatch_advice = source.number or ""
        source = source.source
    if source is not None and source.kind == "order":
        invoice.seller_order = source.number or ""
    deliveries = [d for d in getattr(document, "deliveries", []) if d.number]
    if deliveries and not invoice.despatch_advice:
        invoice.despatch_advice = deliveries[0].number  # BT-16 holds one: the first delivery note
    if document.kind == "credit_note" and document.credited_invoice is not None:
        invoice.corrected_invoice = document.credited_invoice.number or ""
        invoice.corrected_invoice_date = document.credited_invoice.issue_date


def _terms_and_notes(document, invoice: cii.Invoice, settings, firm: Firm) -> None:
    """The printed mentions: terms as BT-20, the others as notes with the French subject codes."""
    from crm.ventes.documents.printing import mentions

    if document.kind == "invoice":
        printed = mentions(document, firm)
        terms, escompte, penalties, *recovery = printed + [""] * (3 - len(printed))
        invoice.payment_terms = terms
        invoice.notes += [("AAB", escompte), ("PMD", penalties)]
        if recovery and recovery[0]:
            invoice.notes.append(("PMT", recovery[0]))
    else:
        invoice.payment_terms = (f"Avoir sur la facture {invoice.corrected_invoice} : "
                                 "montant à déduire ou à rembourser.")
        business = document.party.category == "business"
        invoice.notes.append(("PMD", payment_mentions(settings, business)[2]))
    from crm.core.mentions import einvoice_notes

    invoice.notes += [("REG", text) for text in einvoice_notes(document, firm, settings)]
    invoice.notes = [(code, text) for code, text in invoice.notes if text]
    if settings.vat_on_debits:
        invoice.vat_point_code = "5"  # VAT due on the invoice date (option pour les débits)


def xml_of(document) -> bytes:
    return cii.to_xml(invoice_of(document))


def facturx_pdf(pdf: bytes, xml: bytes) -> bytes:
    """The Factur-X PDF: the XML embedded into the PDF/A-3b, checked against the Factur-X EN 16931 XSD."""
    from facturx import generate_from_binary

    try:
        return generate_from_binary(pdf, xml, flavor="factur-x", level="en16931", check_xsd=True,
                                    lang="fr-FR")
    except Exception as error:  # the library raises bare Exceptions for a failed XSD check
        raise FacturxError(f"Factur-X : {error}") from error
