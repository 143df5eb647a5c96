"""Exchanging e-invoices: the directory of firms, delivery between firms, uploads.

- The directory lists the other live practice firms of the current firm's
  classroom; when the teacher opened the classroom's directory to the server
  (Classroom.directory_open), also the firms of the other open classrooms. Any
  other firm is never listed, never linked (404), never delivered to: a closed
  classroom (the default) neither sees nor receives from outside.
- A client (or supplier) may be linked to such a firm (Party.linked_firm_id), a
  new party made from its identity sheet or one already in the file.
- Validating an invoice or credit note to a linked client registers its delivery
  (EinvoiceDelivery, whatever path validated it); once its Factur-X is stored it
  is delivered, once, into the buyer firm's incoming invoices, as a platform
  would. A refusal by the buyer's checks is kept and shown to the seller with how
  to fix it, and the delivery can be retried.
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
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from crm.core.errors import DomainError
from crm.core.formatting import counted
from crm.core.models import Classroom, Firm, User, utcnow
from crm.einvoice import cii, reader, validation
from crm.einvoice.models import EinvoiceDelivery, IncomingInvoice
from crm.extensions import db
from crm.formation.journal import record_activity

MAX_FILE_BYTES = 4 * 1024 * 1024
LINK_KINDS = {"client": "client", "supplier": "fournisseur"}
_log = logging.getLogger(__name__)


class RefusedInvoice(DomainError):
    """A received file refused: `message` says why in French, `reasons` lists the failed checks,
    `code` names the check (kept with a refused delivery to say how to fix it)."""

    def __init__(self, message: str, reasons: list[str] | None = None, code: str = "invalid"):
        super().__init__(message, field="file")
        self.reasons = list(reasons or [])
        self.code = code
        self.seller_message = message  # the same refusal told to the seller of a delivery


# --- the directory --------------------------------------------------------------

def _classroom_open(classroom_id: int) -> bool:
    return bool(db.session.scalar(select(Classroom.directory_open).where(Classroom.id == classroom_id)))


def in_directory(firm: Firm, other: Firm | None) -> bool:
    """Whether `other` is in `firm`'s directory (a symmetric relation): same classroom, or both classrooms open."""
    if other is None or other.id == firm.id or other.archived_at is not None or firm.archived_at is not None:
        return False
    if other.classroom_id == firm.classroom_id:
        return True
    return _classroom_open(firm.classroom_id) and _classroom_open(other.classroom_id)


def directory(firm: Firm) -> list[Firm]:
    """The firm's classroom's other live firms, then those of the other open classrooms if its own is open."""
    reach = Firm.classroom_id == firm.classroom_id
    if _classroom_open(firm.classroom_id):
        reach = or_(reach, Classroom.directory_open.is_(True))
    return list(db.session.scalars(
        select(Firm).join(Classroom, Classroom.id == Firm.classroom_id).options(contains_eager(Firm.classroom))
        .where(reach, Firm.id != firm.id, Firm.archived_at.is_(None))
        .order_by((Firm.classroom_id != firm.classroom_id), Classroom.name, Firm.trade_name, Firm.id)))


def directory_firm_or_404(firm: Firm, other_id: int) -> Firm:
    """A firm of the directory; any other id (a closed classroom, archived, itself) answers 404."""
    other = db.session.get(Firm, other_id) if 0 < other_id < 2**31 else None
    if not in_directory(firm, other):
        abort(404)
    return other


def link_proposals(firm: Firm, firms: list[Firm]) -> dict[int, list]:
    """Directory firm id → the firm's parties not yet linked whose SIREN is that firm's (one query)."""
    from crm.clients.models import Party

    by_siren = {(other.siren or (other.siret or "")[:9]): other.id for other in firms}
    by_siren.pop("", None)
    if not by_siren:
        return {}
    result: dict[int, list] = {}
    for party in db.session.scalars(select(Party).where(
            Party.firm_id == firm.id, Party.linked_firm_id.is_(None), Party.category == "business",
            Party.kind.in_(("client", "prospect", "supplier")),
            func.substr(Party.siret, 1, 9).in_(list(by_siren))).order_by(Party.id)):
        result.setdefault(by_siren[party.siret[:9]], []).append(party)
    return result


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
    if not in_directory(firm, other):
        raise DomainError("Seules les entreprises de votre annuaire (votre classe, et les classes ouvertes "
                          "si la vôtre l'est) peuvent être liées.")
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


def link_existing_party(firm: Firm, user: User | None, other: Firm, party):
    """Link a party already in the firm's file to the directory firm `other` (instead of a duplicate).

    The party must be a business; its SIRET, when it has one, must carry `other`'s SIREN
    (when empty, `other`'s SIRET is copied: the e-invoice names the buyer by it). A
    client or prospect is linked as client, a supplier as supplier; one party per kind.
    """
    from crm.clients.models import Party

    if not in_directory(firm, other):
        raise DomainError("Seules les entreprises de votre annuaire peuvent être liées.")
    if party.firm_id != firm.id:
        abort(404)
    if party.linked_firm_id == other.id:
        return party
    if party.linked_firm_id is not None:
        raise DomainError(f"La fiche « {party.name} » est déjà liée à une autre entreprise de l'annuaire.")
    if party.kind not in ("client", "prospect", "supplier"):
        raise DomainError("Seul un client, un prospect ou un fournisseur peut être lié.")
    if party.category != "business":
        raise DomainError(f"« {party.name} » est un particulier : une entreprise de l'annuaire se lie à une "
                          "fiche de professionnel.")
    siren = other.siren or (other.siret or "")[:9]
    if party.siret and siren and party.siret[:9] != siren:
        raise DomainError(f"Le SIRET de la fiche « {party.name} » ({party.siret}) ne correspond pas au SIREN "
                          f"de {other.trade_name} ({siren}) : corrigez la fiche ou choisissez la bonne.")
    kind = "supplier" if party.kind == "supplier" else "client"
    twin = db.session.scalar(select(Party).where(Party.firm_id == firm.id, Party.linked_firm_id == other.id,
                                                 Party.kind.in_(("client", "prospect") if kind == "client"
                                                                else ("supplier",))))
    if twin is not None:
        raise DomainError(f"{other.trade_name} est déjà liée à votre fiche « {twin.name} ».")
    if not party.siret and other.siret:
        party.siret = other.siret
    party.linked_firm_id = other.id
    db.session.flush()
    record_activity(firm, user, "party.firm_linked", party,
                    f"{party.name} : fiche existante liée à l'entreprise {other.trade_name}")
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
                             f"{error}.", code="not_cii") from None
    try:
        validation.check_xsd(xml, level="autodetect")
    except validation.InvalidXml as error:
        raise RefusedInvoice("La facture ne respecte pas le schéma XML Factur-X (XSD).", [str(error)],
                             code="xsd") from None
    totals = totals_problems(invoice, xml)
    if totals:
        raise RefusedInvoice("Les totaux de la facture ne s'additionnent pas : rien n'a été enregistré.", totals,
                             code="totals")
    fatal = validation.fatal_failures(xml)
    if fatal:
        raise RefusedInvoice(
            f"La facture ne respecte pas les règles EN 16931 ({counted(len(fatal), 'règle')} en échec).",
            [f"{failure.rule} : {failure.text}" for failure in fatal], code="en16931")
    _check_buyer(firm, invoice)
    if not invoice.number or invoice.issue_date is None:
        raise RefusedInvoice("La facture n'a pas de numéro ou de date d'émission.", code="no_number")
    if _duplicate(firm, invoice):
        raise RefusedInvoice(f"Facture déjà reçue : {invoice.seller.name} a déjà envoyé la facture "
                             f"n° {invoice.number}. Un doublon n'est pas enregistré.", code="duplicate")
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
        error = RefusedInvoice("Votre entreprise n'a pas de SIREN sur sa fiche d'identité : impossible de vérifier "
                               "que la facture vous est adressée. Demandez au professeur de le renseigner.",
                               code="buyer_no_siren")
        error.seller_message = ("L'entreprise cliente n'a pas de SIREN sur sa fiche d'identité : elle ne peut pas "
                                "vérifier que la facture lui est adressée.")
        raise error
    if not invoice.buyer.siren:
        error = RefusedInvoice("La facture n'indique pas le SIREN de l'acheteur : impossible de vérifier qu'elle "
                               "vous est adressée.", code="buyer_siren_absent")
        error.seller_message = "La facture n'indique pas le SIREN du client (le SIRET de votre fiche client est vide)."
        raise error
    if invoice.buyer.siren != own:
        error = RefusedInvoice(f"Cette facture est adressée à l'acheteur de SIREN {invoice.buyer.siren} "
                               f"({invoice.buyer.name}), pas à votre entreprise (SIREN {own}).",
                               code="buyer_mismatch")
        error.seller_message = (f"La facture est adressée au SIREN {invoice.buyer.siren} (votre fiche client), "
                                f"mais l'entreprise cliente a le SIREN {own}.")
        raise error


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


# --- delivery between firms ------------------------------------------------------------

DELIVERY_HINTS = {
    "buyer_no_siren": "L'entreprise cliente n'a pas de SIREN sur sa fiche d'identité : son responsable "
                      "(Identité de l'entreprise) ou le professeur le renseigne, puis transmettez à nouveau.",
    "buyer_mismatch": "Si c'est le SIREN de l'entreprise cliente qui est faux, faites-le corriger puis "
                      "transmettez à nouveau. Si c'est le SIRET de votre fiche client, corrigez la fiche : "
                      "la facture validée ne change plus, établissez un avoir puis une nouvelle facture.",
    "buyer_siren_absent": "Votre fiche client n'a pas de SIRET : la facture validée ne change plus. Complétez "
                          "la fiche (ou liez-la depuis l'annuaire), établissez un avoir puis une nouvelle facture.",
    "duplicate": "L'entreprise cliente a déjà une facture de ce numéro de votre part (déposée à la main ?) : "
                 "rien à retransmettre, prévenez-la.",
    "unreachable": "L'entreprise cliente n'est plus dans votre annuaire (supprimée, ou classe fermée aux "
                   "autres classes) : le professeur ouvre l'annuaire des deux classes, puis transmettez à nouveau.",
}
DEFAULT_HINT = ("Corrigez l'identité de votre entreprise ou la fiche client (adresse, SIREN, TVA…) : la facture "
                "validée ne change plus, établissez un avoir puis une nouvelle facture. Prévenez le professeur "
                "si le problème persiste.")
DELIVERY_RETRIABLE = ("buyer_no_siren", "buyer_mismatch", "unreachable")


def register_delivery(document) -> EinvoiceDelivery | None:
    """At validation of an invoice or credit note to a client linked to a firm: its delivery, pending.

    The one hook every validation goes through (crm.ventes.documents.services), so a
    document validated by a trainee, the scenario loader or any other path is delivered
    once its Factur-X is stored. Idempotent (one row per document). Flushes.
    """
    from crm.core.database import insert_ignoring_conflict
    from crm.einvoice.issuing import is_einvoice

    party = document.party
    if not is_einvoice(document) or party is None or party.linked_firm_id is None:
        return None
    insert_ignoring_conflict(EinvoiceDelivery, {
        "firm_id": document.firm_id, "document_id": document.id, "buyer_firm_id": party.linked_firm_id,
        "status": "pending", "reason_code": "", "reason": "", "attempts": 0, "updated_at": utcnow(),
    }, ["document_id"])
    return delivery_of(document)


def deliver(document_id: int) -> EinvoiceDelivery | None:
    """Deliver a registered document's stored Factur-X to the buyer firm: once (a delivered one stays as it is).

    Without a stored file the delivery stays pending; the buyer's checks refusing it
    leave it refused with their reason (nothing booked at the buyer's). Flushes; the
    caller commits (crm.ventes.documents.storage, after storing the file).
    """
    from crm.ventes.documents.models import DocumentFile, SalesDocument

    delivery = db.session.scalar(select(EinvoiceDelivery).where(EinvoiceDelivery.document_id == document_id)
                                 .with_for_update().execution_options(populate_existing=True))
    if delivery is None or delivery.status == "delivered":
        return delivery
    stored = db.session.scalar(select(DocumentFile).where(DocumentFile.document_id == document_id,
                                                          DocumentFile.purpose == "facturx"))
    if stored is None:
        return delivery
    document = db.session.get(SalesDocument, document_id)
    seller = db.session.get(Firm, document.firm_id)
    buyer = db.session.get(Firm, delivery.buyer_firm_id) if delivery.buyer_firm_id else None
    delivery.attempts += 1
    delivery.updated_at = utcnow()
    try:
        if not in_directory(seller, buyer):
            raise RefusedInvoice("L'entreprise cliente n'est pas dans votre annuaire : la facture ne peut pas "
                                 "lui être transmise.", code="unreachable")
        try:
            with db.session.begin_nested():
                incoming = receive(buyer, None, stored.data, stored.filename, "platform", seller.id, document_id)
        except IntegrityError:  # the same invoice booked meanwhile by the buyer (an upload): a duplicate
            raise RefusedInvoice("L'entreprise cliente a déjà reçu cette facture.", code="duplicate") from None
    except RefusedInvoice as error:
        _log.info("Factur-X %s not delivered to firm %s: %s", document.number, delivery.buyer_firm_id,
                  error.message)
        reasons = " ; ".join(error.reasons[:5])
        delivery.status, delivery.reason_code = "refused", error.code
        delivery.reason = (error.seller_message + (f" ({reasons})" if reasons else ""))[:2000]
    else:
        delivery.status, delivery.reason_code, delivery.reason = "delivered", "", ""
        delivery.incoming_id = incoming.id
    db.session.flush()
    return delivery


def delivery_hint(delivery: EinvoiceDelivery) -> str:
    return DELIVERY_HINTS.get(delivery.reason_code, DEFAULT_HINT)


def delivery_of(document) -> EinvoiceDelivery | None:
    """The delivery of a sales document to a linked firm, if any (for the seller's document page)."""
    return db.session.scalar(select(EinvoiceDelivery).where(EinvoiceDelivery.document_id == document.id))
