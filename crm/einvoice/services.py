"""Exchanging e-invoices: the classroom's directory of firms, delivery between firms, uploads.

- The directory lists the other live practice firms of the current firm's
  classroom, and only those: a firm of another classroom is never listed, never
  linked (404), never delivered to.
- A client (or supplier) may be linked to such a firm (Party.linked_firm_id).
  Validating an invoice or credit note to a linked client delivers its Factur-X,
  once stored, into the buyer firm's incoming invoices, as a platform would.
- A firm may upload a Factur-X PDF or a CII XML received from outside.

Every received file goes through `receive()`: the XML is extracted (a PDF without
one is refused), read (not CII: refused), checked against the Factur-X XSD, then
the EN 16931 rules (every failed rule listed), then what a buyer checks: its own
SIREN, totals that add up, no duplicate (same seller and number). A refusal is a
RefusedInvoice with a French message and its reasons; nothing is kept.
"""
from __future__ import annotations

import hashlib
import logging
from decimal import Decimal

from flask import abort
from sqlalchemy import func, select

from crm.core.errors import DomainError
from crm.core.formatting import counted
from crm.core.models import Firm, User
from crm.einvoice import cii, reader, validation
from crm.einvoice.models import IncomingInvoice
from crm.extensions import db
from crm.formation.journal import record_activity

MAX_FILE_BYTES = 4 * 1024 * 1024
LINK_KINDS = {"client": "client", "supplier": "fournisseur"}
_log = logging.getLogger(__name__)


class RefusedInvoice(DomainError):
    """A received file refused: `message` says why in French, `reasons` lists the failed checks."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        super().__init__(message, field="file")
        self.reasons = list(reasons or [])


# --- the directory --------------------------------------------------------------

def directory(firm: Firm) -> list[Firm]:
    """The other live practice firms of the firm's classroom, by name."""
    return list(db.session.scalars(
        select(Firm).where(Firm.classroom_id == firm.classroom_id, Firm.id != firm.id, Firm.archived_at.is_(None))
        .order_by(Firm.trade_name, Firm.id)))


def directory_firm_or_404(firm: Firm, other_id: int) -> Firm:
    """A firm of the directory; any other id (another classroom, archived, itself) answers 404."""
    other = db.session.get(Firm, other_id) if 0 < other_id < 2**31 else None
    if (other is None or other.id == firm.id or other.classroom_id != firm.classroom_id
            or other.archived_at is not None):
        abort(404)
    return other


def linked_parties(firm: Firm) -> dict[int, list]:
    """Linked firm id → the parties of `firm` linked to it (for the directory page)."""
    from crm.clients.models import Party

    result: dict[int, list] = {}
    for party in db.session.scalars(select(Party).where(Party.firm_id == firm.id, Party.linked_firm_id.is_not(None))):
        result.setdefault(party.linked_firm_id, []).append(party)
    return result


def link_firm(firm: Firm, user: User | None, other: Firm, kind: str):
    """The firm's client (or supplier) that is `other`: created from its identity sheet if need be."""
    from crm.clients import services as party_services
    from crm.clients.models import Party

    if kind not in LINK_KINDS:
        raise DomainError("Choisissez client ou fournisseur.")
    if other.classroom_id != firm.classroom_id or other.id == firm.id or other.archived_at is not None:
        raise DomainError("Seules les autres entreprises de la classe peuvent être liées.")
    existing = db.session.scalar(select(Party).where(
        Party.firm_id == firm.id, Party.linked_firm_id == other.id, Party.kind == kind))
    if existing is not None:
        return existing
    party = party_services.create_party(firm, user, {
        "kind": kind, "category": "business", "company_name": other.trade_name, "legal_form": other.legal_form,
        "siret": other.siret, "vat_number": other.vat_number, "address_line1": other.address_line1,
        "address_line2": other.address_line2, "postcode": other.postcode, "city": other.city,
        "email": other.email, "phone": other.phone,
    }, journal=False)
    party.linked_firm_id = other.id
    db.session.flush()
    record_activity(firm, user, "party.firm_linked", party,
                    f"{party.name} : {LINK_KINDS[kind]} lié à l'entreprise de la classe")
    return party


# --- receiving ------------------------------------------------------------------

def xml_of_file(data: bytes) -> bytes:
    """The CII XML of an uploaded file: the XML itself, or the one embedded in a Factur-X PDF."""
    if not data:
        raise RefusedInvoice("Le fichier est vide.")
    if len(data) > MAX_FILE_BYTES:
        raise RefusedInvoice("Le fichier dépasse 4 Mo.")
    if data[:5] == b"%PDF-":
        from facturx import get_xml_from_pdf

        try:
            _name, xml = get_xml_from_pdf(data, check_xsd=False)
        except Exception:  # a PDF the library cannot read
            xml = None
        if not xml:
            raise RefusedInvoice("Ce PDF ne contient pas de facture électronique : aucun fichier XML Factur-X "
                                 "(factur-x.xml) n'y est joint. Demandez au fournisseur sa facture au format "
                                 "Factur-X, ou saisissez la facture papier.")
        return xml
    return data


def check(firm: Firm, xml: bytes) -> cii.Invoice:
    """Every check of a received XML, in order; the invoice it describes when it passes them all."""
    try:
        invoice = reader.read(xml)
    except reader.NotCii as error:
        raise RefusedInvoice("Ce fichier n'est pas une facture électronique CII (Factur-X, EN 16931) : "
                             f"{error}.") from None
    try:
        validation.check_xsd(xml, level="autodetect")
    except validation.InvalidXml as error:
        raise RefusedInvoice("La facture ne respecte pas le schéma XML Factur-X (XSD).", [str(error)]) from None
    totals = totals_problems(invoice, xml)
    if totals:
        raise RefusedInvoice("Les totaux de la facture ne s'additionnent pas : rien n'a été enregistré.", totals)
    fatal = validation.fatal_failures(xml)
    if fatal:
        raise RefusedInvoice(
            f"La facture ne respecte pas les règles EN 16931 ({counted(len(fatal), 'règle')} en échec).",
            [f"{failure.rule} : {failure.text}" for failure in fatal])
    _check_buyer(firm, invoice)
    if not invoice.number or invoice.issue_date is None:
        raise RefusedInvoice("La facture n'a pas de numéro ou de date d'émission.")
    if _duplicate(firm, invoice):
        raise RefusedInvoice(f"Facture déjà reçue : {invoice.seller.name} a déjà envoyé la facture "
                             f"n° {invoice.number}. Un doublon n'est pas enregistré.")
    return invoice


def totals_problems(invoice: cii.Invoice, xml: bytes) -> list[str]:
    """What does not add up (EN 16931 BR-CO-10, 13, 14, 15, 16), in French."""
    from crm.core.formatting import money

    problems = []
    lines = sum((line.net for line in invoice.lines), Decimal("0"))
    if lines != invoice.line_total:
        problems.append(f"La somme des lignes ({money(lines)}) n'est pas le total des lignes annoncé "
                        f"({money(invoice.line_total)}).")
    basis = invoice.line_total - invoice.allowance_total + reader.charge_total(xml)
    if basis != invoice.tax_basis:
        problems.append(f"Total HT annoncé {money(invoice.tax_basis)} au lieu de {money(basis)} "
                        "(lignes − remises + frais).")
    vat = sum((v.amount for v in invoice.vat), Decimal("0"))
    if vat != invoice.tax_total:
        problems.append(f"TVA totale annoncée {money(invoice.tax_total)} au lieu de {money(vat)} "
                        "(somme des TVA par taux).")
    if invoice.tax_basis + invoice.tax_total != invoice.grand_total:
        problems.append(f"Total TTC annoncé {money(invoice.grand_total)} au lieu de "
                        f"{money(invoice.tax_basis + invoice.tax_total)} (HT + TVA).")
    due = _due_payable(xml)
    if due is not None and invoice.grand_total - invoice.prepaid != due:
        problems.append(f"Net à payer annoncé {money(due)} au lieu de {money(invoice.grand_total - invoice.prepaid)}"
                        " (TTC − déjà réglé).")
    return problems


def _due_payable(xml: bytes) -> Decimal | None:
    root = reader.parse(xml)
    return reader._decimal(root, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount", None)


def _check_buyer(firm: Firm, invoice: cii.Invoice) -> None:
    own = firm.siren or (firm.siret or "")[:9]
    if not own:
        raise RefusedInvoice("Votre entreprise n'a pas de SIREN sur sa fiche d'identité : impossible de vérifier "
                             "que la facture vous est adressée. Demandez au professeur de le renseigner.")
    if not invoice.buyer.siren:
        raise RefusedInvoice("La facture n'indique pas le SIREN de l'acheteur : impossible de vérifier qu'elle "
                             "vous est adressée.")
    if invoice.buyer.siren != own:
        raise RefusedInvoice(f"Cette facture est adressée à l'acheteur de SIREN {invoice.buyer.siren} "
                             f"({invoice.buyer.name}), pas à votre entreprise (SIREN {own}).")


def seller_key(invoice: cii.Invoice) -> str:
    return (invoice.seller.siren or invoice.seller.vat_number or invoice.seller.name.strip().lower())[:200]


def _duplicate(firm: Firm, invoice: cii.Invoice) -> bool:
    return bool(db.session.scalar(select(func.count(IncomingInvoice.id)).where(
        IncomingInvoice.firm_id == firm.id, IncomingInvoice.seller_key == seller_key(invoice),
        IncomingInvoice.number == invoice.number[:60])))


def receive(firm: Firm, user: User | None, data: bytes, filename: str, channel: str = "upload",
            sender_firm_id: int | None = None, source_document_id: int | None = None) -> IncomingInvoice:
    """Check a received file and keep it in the firm's incoming invoices (RefusedInvoice otherwise)."""
    xml = xml_of_file(data)
    invoice = check(firm, xml)
    incoming = IncomingInvoice(
        firm_id=firm.id, channel=channel, status="received", sender_firm_id=sender_firm_id,
        source_document_id=source_document_id, type_code=invoice.type_code or "380", number=invoice.number[:60],
        issue_date=invoice.issue_date, due_date=invoice.due_date, seller_name=invoice.seller.name[:200] or "?",
        seller_siren=invoice.seller.siren, seller_vat=invoice.seller.vat_number[:20], seller_key=seller_key(invoice),
        buyer_siren=invoice.buyer.siren, buyer_order=invoice.buyer_order[:60],
        corrected_invoice=invoice.corrected_invoice[:60], total_ht=invoice.tax_basis, total_vat=invoice.tax_total,
        total_ttc=invoice.grand_total, due_payable=invoice.due_payable, filename=(filename or "facture")[:120],
        content_type="application/pdf" if data[:5] == b"%PDF-" else "application/xml", data=data, xml=xml,
        sha256=hashlib.sha256(data).hexdigest(), received_by_id=user.id if user else None)
    db.session.add(incoming)
    db.session.flush()
    record_activity(firm, user, "einvoice.received", incoming,
                    f"{incoming.type_label} {incoming.number} de {incoming.seller_name} reçue")
    return incoming


def read_incoming(incoming: IncomingInvoice) -> cii.Invoice:
    return reader.read(incoming.xml)


def incoming_query(firm: Firm):
    return (select(IncomingInvoice).where(IncomingInvoice.firm_id == firm.id)
            .order_by(IncomingInvoice.received_at.desc(), IncomingInvoice.id.desc()))


# --- delivery between firms of the classroom -------------------------------------------

def deliver_after_storage(document_id: int) -> IncomingInvoice | None:
    """After a linked client's invoice was stored as Factur-X: deliver it to the buyer firm (its own commit).

    Runs after the validating request committed (crm.core.web.after_commit, through
    crm.ventes.documents.storage). A delivery the buyer's checks refuse is logged and
    shown on the seller's document page as not delivered; the invoice stays valid.
    """
    from crm.ventes.documents.models import DocumentFile, SalesDocument

    document = db.session.get(SalesDocument, document_id)
    party = document.party if document is not None else None
    if party is None or party.linked_firm_id is None:
        return None
    seller = db.session.get(Firm, document.firm_id)
    buyer = db.session.get(Firm, party.linked_firm_id)
    if buyer is None or buyer.classroom_id != seller.classroom_id or buyer.archived_at is not None:
        return None
    stored = db.session.scalar(select(DocumentFile).where(DocumentFile.document_id == document_id,
                                                          DocumentFile.purpose == "facturx"))
    if stored is None:
        return None
    try:
        with db.session.begin_nested():
            incoming = receive(buyer, None, stored.data, stored.filename, "platform", seller.id, document_id)
    except DomainError as error:
        _log.warning("Factur-X %s not delivered to firm %s: %s", document.number, buyer.id, error.message)
        return None
    db.session.commit()
    return incoming


def delivery_of(document) -> IncomingInvoice | None:
    """The delivery of a sales document to a linked firm, if any (for the seller's document page)."""
    return db.session.scalar(select(IncomingInvoice).where(IncomingInvoice.source_document_id == document.id))
