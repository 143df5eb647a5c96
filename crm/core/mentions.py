"""Which legal mentions a document prints: the one place that decides, from the firm's identity and settings.

- A company seller (SARL, SAS…: C. com. R123-237) prints its legal form and share
  capital, and its RCS registration: « RCS <city> <SIREN> » (the RCS number is the
  SIREN, preceded by the city of the registry).
- Invoices and credit notes print the mentions of the e-invoicing reform (CGI
  art. 242 nonies A as amended for 2026): the client's SIREN (business clients),
  the nature of the operation (goods, services or both), the delivery address when
  it differs from the billing address, and « Option pour le paiement de la taxe
  d'après les débits » when the firm chose it (FirmSettings.vat_on_debits).
- Every document prints the delivery address when it differs.

crm.ventes.documents.printing puts these on the page and the PDF, crm.einvoice
puts the same in the XML (notes with subject code REG, VAT point date code).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from crm.core.formatting import money

COMPANY_FORMS = ("EURL", "SARL", "SAS", "SASU", "SA", "SNC", "SCOP", "SCI", "SELARL")
VAT_ON_DEBITS = "Option pour le paiement de la taxe d'après les débits"
INVOICE_KINDS = ("invoice", "credit_note")


@dataclass
class DocumentMentions:
    seller_legal: list[str] = field(default_factory=list)  # legal form and capital, RCS: the footer
    client_siren: str = ""
    nature: str | None = None
    delivery_address: list[str] | None = None
    vat_on_debits: bool = False

    @property
    def tax_mentions(self) -> list[str]:
        return [VAT_ON_DEBITS] if self.vat_on_debits else []


def is_company(firm) -> bool:
    return (firm.legal_form or "").upper() in COMPANY_FORMS


def format_siren(siren: str) -> str:
    return f"{siren[:3]} {siren[3:6]} {siren[6:9]}" if len(siren) == 9 else siren


def seller_legal_mentions(firm) -> list[str]:
    """« SARL au capital de 8 000,00 € », « RCS Lyon 732 829 320 » for a company; nothing else."""
    if not is_company(firm):
        return []
    lines = []
    capital = firm.share_capital
    if capital is not None:
        lines.append(f"{firm.legal_form} au capital de {money(Decimal(capital))}")
    siren = firm.siren or (firm.siret or "")[:9]
    if firm.rcs_city and siren:
        lines.append(f"RCS {firm.rcs_city} {format_siren(siren)}")
    return lines


def operation_nature(lines) -> str:
    """Goods (stock-tracked articles), services (the rest), or both."""
    goods = any(item.product is not None and item.product.stock_tracked for item in lines)
    services = any(item.product is None or not item.product.stock_tracked for item in lines)
    if goods and services:
        return "Livraison de biens et prestation de services"
    return "Livraison de biens" if goods else "Prestation de services"


def document_mentions(document, firm, settings) -> DocumentMentions:
    """Everything legal a sales document prints beside its lines and payment terms."""
    from crm.ventes.documents.printing import delivery_address_lines

    mentions = DocumentMentions(seller_legal=seller_legal_mentions(firm),
                                delivery_address=delivery_address_lines(document.party))
    party = document.party
    if party.category == "business" and party.siret:
        mentions.client_siren = party.siret[:9]
    if document.kind in INVOICE_KINDS:
        mentions.nature = operation_nature(document.lines)
        mentions.vat_on_debits = bool(settings.vat_on_debits)
    return mentions


def einvoice_notes(document, firm, settings) -> list[str]:
    """The legal mentions the e-invoice carries as notes (subject code REG)."""
    mentions = document_mentions(document, firm, settings)
    notes = list(mentions.seller_legal)
    if mentions.nature:
        notes.append(f"Nature de l'opération : {mentions.nature}")
    return notes + mentions.tax_mentions
