"""What a sales document prints, for documents/base_document.html (page and PDF alike)."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from crm.core.firm_settings import get_firm_settings, payment_mentions
from crm.core.mentions import document_mentions
from crm.core.formatting import day, percent
from crm.core.models import Firm
from flask import render_template

from crm.core.pdf import firm_logo_uri
from crm.extensions import db
from crm.ventes.computation import LineInput, compute_line
from crm.ventes.documents.models import SalesDocument

# One template per kind, all extending documents/base_document.html (page and PDF alike).
TEMPLATES = {"quote": "documents/quote.html", "order": "documents/order.html",
             "delivery": "documents/delivery_note.html", "invoice": "documents/invoice.html",
             "credit_note": "documents/credit_note.html"}


def template_of(document: SalesDocument) -> str:
    return TEMPLATES[document.kind]


def document_context(document: SalesDocument, totals) -> dict:
    """The context of documents/base_document.html for one sales document."""
    firm = db.session.get(Firm, document.firm_id)
    party = document.party
    legal = document_mentions(document, firm, get_firm_settings(firm))
    return {
        "firm": firm,
        "logo_src": firm_logo_uri(firm),
        "doc": SimpleNamespace(
            title=document.label, number=document.number, issue_date=document.issue_date,
            sale_date=document.delivery_date if document.kind != "quote" else None,
            due_date=document.due_date if document.kind == "invoice" else None,
            valid_until=document.valid_until if document.kind == "quote" else None,
            delivery_date=document.delivery_date,
            credited_invoice=document.credited_invoice, reason="",
            nature=legal.nature,
            references=_references(document), client_code=f"C{party.id:05d}",
            notes=document.notes, payment_method=None,
        ),
        "client": SimpleNamespace(
            name=party.name, address_lines=_party_address(party),
            is_business=party.category == "business",
            siren=legal.client_siren, vat_number=party.vat_number,
        ),
        "delivery_address_lines": legal.delivery_address,
        "seller_legal": legal.seller_legal,
        "tax_mentions": legal.tax_mentions,
        "lines": _lines(document),
        "totals": None if document.kind == "delivery" else totals,
        "mentions": mentions(document, firm),
        "kind": document.kind,
    }


def _lines(document: SalesDocument) -> list[SimpleNamespace]:
    delivered = {}
    if document.kind == "delivery":
        from crm.ventes.documents.services import delivered_quantities

        delivered = delivered_quantities([line.source_line for line in document.lines if line.source_line is not None],
                                         exclude=document)
    return [_line(document, line, delivered) for line in document.lines]


def _line(document: SalesDocument, line, delivered: dict) -> SimpleNamespace:
    row = SimpleNamespace(
        reference=line.product.reference if line.product else "", label=line.description,
        description="", quantity=line.quantity, unit=line.product.unit if line.product else "",
        unit_price=line.unit_price, discount_rate=line.discount_rate, vat_rate=line.vat_rate,
        discount_amount=line_discount(line), net=line.net, ordered_quantity=line.quantity, remaining=0)
    if document.kind == "delivery" and line.source_line is not None:
        ordered = line.source_line
        row.ordered_quantity = ordered.quantity
        already = delivered[ordered.id]
        row.remaining = ordered.quantity - already - line.quantity
    return row


def line_discount(line) -> Decimal:
    """The line discount as the amount subtracted (rounded half-up to the cent), as computed."""
    return compute_line(LineInput(line.quantity, line.unit_price, line.vat_rate, line.discount_rate)).discount_amount


def document_html(document: SalesDocument) -> str:
    """The document as printed to PDF (HTML for WeasyPrint; crm.ventes.documents.storage keeps the PDF)."""
    from crm.ventes.documents.services import totals_of

    return render_template(template_of(document), for_pdf=True,
                           **document_context(document, totals_of(document)))


def mentions(document: SalesDocument, firm: Firm) -> list[str]:
    """Payment and legal mentions (CGI ann. II art. 242 nonies A, C. com. L441-9 and L441-10)."""
    if document.kind == "quote":
        return []  # documents/quote.html prints the validity and the signature box
    if document.kind == "invoice":
        lines = payment_mentions(get_firm_settings(firm), document.party.category == "business")
        if document.escompte_rate:
            lines[1] = (f"Escompte de {percent(document.escompte_rate)} pour paiement anticipé, "
                        "déjà déduit du montant de la facture.")
        return lines
    return []  # documents/credit_note.html cites the invoice itself


def _references(document: SalesDocument) -> list[str]:
    references = []
    if document.source is not None and document.source.number:
        references.append(f"{document.source.label} {document.source.number} du "
                          f"{day(document.source.issue_date)}")
    for delivery in getattr(document, "deliveries", []):
        if delivery is not document.source and delivery.number:
            references.append(f"{delivery.label} {delivery.number} du {day(delivery.issue_date)}")
    return references


def _lines_of(line1: str, line2: str, postcode: str, city: str) -> list[str]:
    town = " ".join(p for p in (postcode, city) if p)
    return [line for line in (line1, line2, town) if line]


def billing_address(party) -> tuple[str, str, str, str]:
    """The client's billing address (line 1, line 2, postcode, city): its billing address, else its address."""
    billing = next((a for a in party.addresses if a.kind == "billing"), None)
    if billing is not None:
        return billing.line1, billing.line2, billing.postcode, billing.city
    return party.address_line1, party.address_line2, party.postcode, party.city


def delivery_address(party) -> tuple[str, str, str, str] | None:
    """The delivery address when the client has one that differs from its billing address, else None."""
    delivery = next((a for a in party.addresses if a.kind == "delivery"), None)
    if delivery is None:
        return None
    address = (delivery.line1, delivery.line2, delivery.postcode, delivery.city)
    return address if _lines_of(*address) != _lines_of(*billing_address(party)) else None


def _party_address(party) -> list[str]:
    return _lines_of(*billing_address(party))


def delivery_address_lines(party) -> list[str] | None:
    """The delivery address, printed only when it differs from the client's address."""
    address = delivery_address(party)
    return _lines_of(*address) if address is not None else None
