"""What a document prints: the firm's identity, the legal mentions, the PDF."""
from __future__ import annotations

import base64
from pathlib import Path

from flask import current_app, render_template, url_for

from crm.core.firm_settings import get_firm_settings, payment_mentions
from crm.core.formatting import day, percent
from crm.core.models import Firm
from crm.extensions import db
from crm.ventes.documents.models import SalesDocument


def sheet_context(document: SalesDocument, for_pdf: bool = False) -> dict:
    """Variables of ventes/documents/_sheet.html, shared by the page and the PDF."""
    firm = db.session.get(Firm, document.firm_id)
    if firm.logo:
        logo_src = (f"data:{firm.logo_mimetype};base64,{base64.b64encode(firm.logo).decode()}"
                    if for_pdf else url_for("core.firm_logo", firm_id=firm.id))
    else:
        logo_src = None
    return {"document_firm": firm, "logo_src": logo_src,
            "legal_mentions": legal_mentions(document, firm)}


def legal_mentions(document: SalesDocument, firm: Firm) -> list[str]:
    """The mentions of CGI ann. II art. 242 nonies A and Code de commerce L441-9/L441-10."""
    mentions = [_seller_identity(firm)]
    if document.kind == "quote":
        if document.valid_until:
            mentions.append(f"Devis valable jusqu'au {day(document.valid_until)}. "
                            "Bon pour accord : date, signature et cachet du client.")
    if document.kind in ("invoice", "credit_note"):
        mentions.append(f"Nature de l'opération : {_operation_nature(document)}.")
    if document.kind == "invoice":
        settings = get_firm_settings(firm)
        lines = payment_mentions(settings, document.party.category == "business")
        if document.escompte_rate:
            lines[1] = (f"Escompte de {percent(document.escompte_rate)} pour paiement anticipé, "
                        "déjà déduit du montant de la facture.")
        mentions.extend(lines)
    if document.kind == "credit_note" and document.credited_invoice is not None:
        invoice = document.credited_invoice
        mentions.append(f"Avoir se rapportant à la facture {invoice.number} du {day(invoice.issue_date)}.")
    return mentions


def _seller_identity(firm: Firm) -> str:
    parts = [firm.trade_name]
    if firm.legal_form:
        parts.append(firm.legal_form)
    if firm.siret:
        parts.append(f"SIRET {firm.siret}")
    elif firm.siren:
        parts.append(f"SIREN {firm.siren}")
    if firm.vat_number:
        parts.append(f"N° TVA intracommunautaire {firm.vat_number}")
    if firm.iban:
        parts.append(f"IBAN {firm.iban}")
    return " — ".join(parts)


def _operation_nature(document: SalesDocument) -> str:
    goods = any(l.product is not None and l.product.stock_tracked for l in document.lines)
    services = any(l.product is None or not l.product.stock_tracked for l in document.lines)
    if goods and services:
        return "livraison de biens et prestation de services"
    return "livraison de biens" if goods else "prestation de services"


def document_pdf(document: SalesDocument, totals) -> bytes:
    from crm.core.pdf import render_pdf

    css = (Path(current_app.static_folder) / "css" / "sales-document.css").read_text(encoding="utf-8")
    html = render_template("ventes/documents/print.html", document=document, totals=totals,
                           stylesheet=css, **sheet_context(document, for_pdf=True))
    return render_pdf(html)
