"""The rules of sales documents: drafts, validation, the chain, credit notes, payments.

Every function flushes and never commits (one commit per request). A refusal
raises DomainError with a French message and leaves the session to be rolled
back by the caller's request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import Select, bindparam, func, select, text, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from crm.clients import services as party_services
from crm.core.clock import business_today
from crm.core.database import memo_while_reading
from crm.core.errors import DomainError
from crm.core.formatting import money, number
from crm.core.firm_settings import due_date, get_firm_settings
from crm.core.models import Firm, User, utcnow
from crm.core.numbering import next_number
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.ventes.documents import rules
from crm.ventes.computation import DocumentTotals, LineInput, compute_document, compute_line
from crm.ventes.documents.models import (
    ZERO,
    CreditNote,
    DeliveryNote,
    Invoice,
    Payment,
    PAYMENT_METHODS,
    Quote,
    SalesDocument,
    SalesLine,
    SalesOrder,
    unsettled_invoices_sql,
)
from crm.ventes.documents.models import invoice_deliveries as invoice_deliveries_table

CLASSES = {"quote": Quote, "order": SalesOrder, "delivery": DeliveryNote,
           "invoice": Invoice, "credit_note": CreditNote}
FIRST_STATUS = {"quote": "sent", "order": "confirmed", "delivery": "issued",
                "invoice": "unpaid", "credit_note": "validated"}
QUOTE_VALIDITY_DAYS = 30


@dataclass
class LineData:
    """One line as typed in a form (or copied from another document)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount_rate: Decimal = ZERO
    product: object | None = None  # crm.ventes.models.Product
    source_line: SalesLine | None = None
    index: int | None = None  # its row in the form (from 0), so a message names that row


def carried_line(source: SalesLine, quantity: Decimal) -> LineData:
    """A line carried on from a line of the source document: same article, same prices."""
    return LineData(source.description, quantity, source.unit_price, source.vat_rate,
                    source.discount_rate, source.product, source)


# --- computation ------------------------------------------------------------

def totals_of(document: SalesDocument) -> DocumentTotals:
    """The full computation of a document (cascade, escompte, VAT per rate), as it was issued.

    Nothing paid or credited since enters it: a validated invoice prints as it was at
    validation; what remains to pay is balance_due(), shown on the document's page and
    on the client's account statement.
    """
    return compute_document(
        [_line_input(line) for line in document.lines],
        remise=document.remise_rate,
        rabais=document.rabais_rate,
        ristourne=document.ristourne_rate,
        escompte=document.escompte_rate,
    )


@dataclass(frozen=True)
class RunningTotals:
    """The totals of a line editor as typed so far (shown, never stored): see running_totals()."""

    line_nets: tuple[Decimal | None, ...]  # per row of the editor; None: blank or not complete
    totals: DocumentTotals | None  # None while no line is complete
    incomplete: tuple[int, ...]  # numbers (from 1) of the rows left out
    rates_ignored: bool = False  # a document-level rate is not valid yet: totals without reductions


def running_totals(lines: list[LineData], incomplete: list[int], rates: dict, rows: int) -> RunningTotals:
    """The same computation as a saved draft's, on the complete lines; a line the computation
    refuses (a negative quantity…) is left out like an incomplete one."""
    nets: list[Decimal | None] = [None] * rows
    inputs, left_out = [], set(incomplete)
    for line in lines:
        try:
            nets[line.index] = compute_line(_line_input(line), line.index).net
        except DomainError:
            left_out.add(line.index)
            continue
        inputs.append(_line_input(line))
    totals, ignored = None, False
    if inputs:
        try:
            totals = compute_document(inputs, **{name: rate or ZERO for name, rate in rates.items()})
        except DomainError:
            totals, ignored = compute_document(inputs), True
    return RunningTotals(tuple(nets), totals, tuple(sorted(index + 1 for index in left_out)), ignored)


def _line_input(line: SalesLine | LineData) -> LineInput:
    return LineInput(quantity=line.quantity, unit_price=line.unit_price,
                     vat_rate=line.vat_rate, discount_rate=line.discount_rate)


def paid_amount(invoice: Invoice) -> Decimal:
    return settlement(invoice).paid


def credited_amount(invoice: Invoice) -> Decimal:
    """Total TTC of the validated credit notes of an invoice."""
    return settlement(invoice).credited


@dataclass(frozen=True)
class Settlement:
    """What has settled an invoice so far: its payments and its validated credit notes (TTC)."""

    paid: Decimal = ZERO
    credited: Decimal = ZERO

    @property
    def settled(self) -> Decimal:
        return self.paid + self.credited


def settlement(invoice: Invoice) -> Settlement:
    """Payments and credit notes of an invoice, summed by the database in one query."""
    if not invoice.id:
        return Settlement()
    return memo_while_reading(("settlement", invoice.id), lambda: _read_settlement(invoice))


def _read_settlement(invoice: Invoice) -> Settlement:
    row = db.session.execute(_settlement_statement(), {"invoice_id": invoice.id}).one()
    return Settlement(Decimal(row[0]), Decimal(row[1]))


@cache
def _settlement_statement() -> Select:
    """What settles the bound invoice: its payments and validated credit notes, summed (built once)."""
    invoice_id = bindparam("invoice_id")
    paid = (select(func.coalesce(func.sum(Payment.amount), 0)).where(Payment.invoice_id == invoice_id)
            .scalar_subquery())
    credited = (select(func.coalesce(func.sum(CreditNote.total_ttc), 0))
                .where(CreditNote.credited_invoice_id == invoice_id, CreditNote.number.is_not(None))
                .scalar_subquery())
    return select(paid, credited)


def credit_notes_of(invoice: Invoice) -> list[CreditNote]:
    """The validated credit notes of an invoice, oldest first."""
    if not invoice.id:
        return []
    return list(db.session.scalars(_credit_notes_statement(), {"invoice_id": invoice.id}))


@cache
def _credit_notes_statement() -> Select:
    return (select(CreditNote).where(CreditNote.credited_invoice_id == bindparam("invoice_id"),
                                     CreditNote.number.is_not(None))
            .order_by(CreditNote.issue_date, CreditNote.id))


def settled_amount(invoice: Invoice) -> Decimal:
    """What no longer has to be paid: payments plus credit notes."""
    return settlement(invoice).settled


def balance_due(invoice: Invoice) -> Decimal:
    return invoice.total_ttc - settled_amount(invoice)


# --- drafts -----------------------------------------------------------------

def create_document(firm: Firm, user: User, kind: str, party, issue_date: date,
                    source: SalesDocument | None = None) -> SalesDocument:
    _check_party(party, kind)
    document = CLASSES[kind](
        firm_id=firm.id, party=party, issue_date=issue_date, status="draft",
        created_by_id=_user_id(user), source=source,
    )
    if kind == "quote":
        document.valid_until = date.fromordinal(issue_date.toordinal() + QUOTE_VALIDITY_DAYS)
    db.session.add(document)
    db.session.flush()
    if kind == "quote":
        record_activity(firm, user, "quote.created", document, f"Devis pour {party.name}")
    return document


def _check_party(party, kind: str) -> None:
    if party.kind == "supplier":
        raise DomainError("Un document de vente s'adresse à un client ou à un prospect, pas à un fournisseur.",
                          field="party_id")
    if party.anonymised_at is not None:
        raise DomainError("Ce tiers a été anonymisé : aucun nouveau document ne peut lui être adressé.",
                          field="party_id")
    # A prospect may receive any draft; it becomes a client when its first order (or invoice) is
    # validated: _after_validation, through the clients' conversion service.


def save_draft(document: SalesDocument, header: dict, lines: list[LineData]) -> None:
    """Replace a draft's header fields and lines, and store its totals."""
    _check_draft(document)
    for name in ("party", "issue_date", "valid_until", "delivery_date", "remise_rate",
                 "rabais_rate", "ristourne_rate", "escompte_rate", "notes", "goods_returned"):
        if name in header and not (name == "valid_until" and header[name] is None):
            setattr(document, name, header[name])
    if "party" in header:
        _check_party(header["party"], document.kind)
    for position, line in enumerate(lines):
        compute_line(_line_input(line), _row(line, position))  # DomainError names the faulty row
    if is_derived(document):
        _check_derived_lines(document, lines)
    document.lines.clear()
    db.session.flush()
    for position, line in enumerate(lines, start=1):
        document.lines.append(_new_line(document, position, line))
    _store_totals(document)


def _row(line: LineData, position: int) -> int:
    return line.index if line.index is not None else position


def _new_line(document: SalesDocument, position: int, line: LineData) -> SalesLine:
    computed = compute_line(_line_input(line), _row(line, position - 1))
    return SalesLine(
        firm_id=document.firm_id, position=position, product=line.product,
        description=line.description, quantity=computed.quantity, unit_price=computed.unit_price,
        discount_rate=computed.discount_rate, vat_rate=computed.vat_rate, net=computed.net,
        source_line=line.source_line,
    )


def _store_totals(document: SalesDocument) -> None:
    totals = totals_of(document)
    document.total_ht = totals.net_financier
    document.total_vat = totals.total_vat
    document.total_ttc = totals.total_ttc
    db.session.flush()


def source_lines(document: SalesDocument) -> dict[int, SalesLine]:
    """The lines a draft may carry on: those of its source and of the delivery notes it bills."""
    documents = [document.source] if document.source is not None else []
    documents += list(getattr(document, "deliveries", []))
    return {line.id: line for source in documents for line in source.lines}


# --- documents derived from another ---------------------------------------------

def is_derived(document: SalesDocument) -> bool:
    """Made from a previous document of the chain: its client, articles and prices come from there."""
    return document.source_id is not None or document.source is not None or bool(
        getattr(document, "deliveries", None))


def quantity_limits(document: SalesDocument) -> dict[int, Decimal]:
    """Per line of the source: the most this draft may carry of it (what remains to deliver or to credit)."""
    limits = {}
    for line_id, line in source_lines(document).items():
        if document.kind == "delivery":
            limits[line_id] = line.quantity - delivered_quantity(line, exclude=document)
        elif document.kind == "credit_note":
            limits[line_id] = line.quantity - credited_quantity(line, exclude=document)
        else:
            limits[line_id] = line.quantity
    return limits


def credited_quantity(invoice_line: SalesLine, exclude: SalesDocument | None = None) -> Decimal:
    """Quantity of an invoice line already cancelled by validated credit notes."""
    return _carried_quantity(invoice_line, "credit_note", exclude)


def _carried_quantity(line: SalesLine, kind: str, exclude: SalesDocument | None) -> Decimal:
    """How much of `line` the validated documents of `kind` carried on (`exclude` left out)."""
    query = (
        select(func.coalesce(func.sum(SalesLine.quantity), 0))
        .join(SalesDocument, SalesLine.document_id == SalesDocument.id)
        .where(SalesLine.source_line_id == line.id, SalesDocument.kind == kind, SalesDocument.number.is_not(None))
    )
    if exclude is not None and exclude.id:
        query = query.where(SalesDocument.id != exclude.id)
    return Decimal(db.session.scalar(query))


def _source_title(document: SalesDocument) -> str:
    sources = [document.source] if document.source is not None else list(getattr(document, "deliveries", []))
    return ", ".join(source.title for source in sources) or "le document d'origine"


def _check_derived_lines(document: SalesDocument, lines: list[LineData]) -> None:
    """A derived document keeps its source's client and prices, and carries only the source's articles."""
    source = document.source or next(iter(getattr(document, "deliveries", [])), None)
    if source is not None and document.party is not None and document.party is not source.party:
        raise DomainError(f"Le client est celui de {source.title} : il ne peut pas être changé.", "party_id")
    for name in REDUCTION_RATES:
        if source is not None and Decimal(getattr(document, name) or 0) != Decimal(getattr(source, name) or 0):
            raise DomainError(f"Les remises, rabais, ristournes et escomptes sont ceux de {source.title} : "
                              "ils ne peuvent pas être changés.", name)
    sources = source_lines(document)
    limits = quantity_limits(document)
    seen: set[int] = set()
    for position, line in enumerate(lines):
        origin = line.source_line
        if origin is None or origin.id not in sources:
            raise DomainError(
                f"Ligne {_row(line, position) + 1} : « {line.description} » ne figure pas sur "
                f"{_source_title(document)} ; un document établi à partir d'un autre n'en reprend que les articles.",
                f"lines-{_row(line, position)}-description")
        field = f"quantity_{origin.id}"
        if origin.id in seen:
            raise DomainError(f"« {origin.description} » figure deux fois : une ligne par article d'origine.", field)
        seen.add(origin.id)
        same = (line.product is origin.product or getattr(line.product, "id", None) == origin.product_id)
        if not same or any(Decimal(getattr(line, name)) != getattr(origin, name)
                           for name in ("unit_price", "discount_rate", "vat_rate")):
            raise DomainError(
                f"« {origin.description} » : l'article, le prix, la remise et la TVA sont ceux de "
                f"{origin.document.title} et ne peuvent pas être changés.", field)
        if Decimal(line.quantity) > limits[origin.id]:
            raise DomainError(
                f"« {origin.description} » : {number(Decimal(line.quantity), 3)} alors que "
                f"{number(max(limits[origin.id], ZERO), 3)} au plus peut être repris de {origin.document.title}.",
                field)


def set_derived_quantities(document: SalesDocument, header: dict, quantities: dict[int, Decimal]) -> None:
    """The trainee's quantity for each line of the source (0: not delivered, not billed, not returned)."""
    _check_draft(document)
    sources = source_lines(document)
    limits = quantity_limits(document)
    lines = []
    for line_id, quantity in quantities.items():
        field = f"quantity_{line_id}"
        origin = sources.get(line_id)
        if origin is None:
            raise DomainError("Cette ligne ne figure pas sur le document d'origine.", field)
        if quantity is None or quantity < 0:
            raise DomainError(f"« {origin.description} » : indiquez une quantité de 0 ou plus.", field)
        if quantity > limits[line_id]:
            raise DomainError(
                f"« {origin.description} » : {number(quantity, 3)} alors que "
                f"{number(max(limits[line_id], ZERO), 3)} au plus peut être repris de {origin.document.title}.",
                field)
        if quantity:
            lines.append(carried_line(origin, quantity))
    if not lines:
        raise DomainError("Indiquez au moins une quantité supérieure à zéro.")
    allowed = {name: header[name] for name in ("issue_date", "delivery_date", "notes", "goods_returned")
               if name in header}
    save_draft(document, allowed, lines)


def delete_draft(document: SalesDocument) -> None:
    _check_draft(document)
    db.session.delete(document)
    db.session.flush()


def _check_draft(document: SalesDocument) -> None:
    if not document.is_draft:
        raise DomainError(_frozen_message(document))


# --- what a document may become next ---------------------------------------------

# Every action a document may offer, per kind, in the order the page shows them.
STEPS = {
    "quote": ("edit", "delete", "validate", "refuse", "accept", "order"),
    "order": ("edit", "delete", "validate", "invoice", "delivery"),
    "delivery": ("edit", "delete", "validate", "invoice"),
    "invoice": ("edit", "delete", "validate", "payment", "credit_note"),
    "credit_note": ("edit", "delete", "validate"),
}
DERIVED_KINDS = ("order", "delivery", "invoice", "credit_note")


def next_steps(document: SalesDocument) -> tuple[str, ...]:
    """What the document may do or become now; the page shows these and every transition checks them."""
    return tuple(step for step in STEPS[document.kind] if step_refusal(document, step) is None)


def require_step(document: SalesDocument, step: str) -> None:
    """Refuse (DomainError in French) a step the document does not allow now."""
    reason = step_refusal(document, step)
    if reason is not None:
        raise DomainError(reason)


def step_refusal(document: SalesDocument, step: str) -> str | None:
    """Why `step` is impossible for the document now, in French; None when it is allowed."""
    if step not in STEPS[document.kind]:
        return f"{document.title} ne peut pas faire l'objet de cette action."
    if step in ("edit", "delete", "validate"):
        return None if document.is_draft else _frozen_message(document)
    if document.is_draft:
        return "Validez d'abord le document avant d'en établir la suite."
    check = {"accept": _answer_refusal, "refuse": _answer_refusal, "order": _order_refusal,
             "delivery": _delivery_refusal, "invoice": _invoice_refusal,
             "credit_note": _credit_refusal, "payment": _payment_refusal}[step]
    return check(document)


def _answer_refusal(quote: Quote) -> str | None:
    """A quote is answered (accepted or refused) once, while it is still valid."""
    if quote.is_expired:
        return ("Ce devis a expiré : sa date de validité est passée. Établissez un nouveau devis "
                "aux conditions du jour.")
    if quote.status != "sent":
        return f"Le devis {quote.number} a déjà reçu une réponse ({quote.status_label.lower()})."
    return None


def _order_refusal(quote: Quote) -> str | None:
    if quote.status != "accepted":
        return "Un bon de commande s'établit à partir d'un devis accepté par le client (et encore valable)."
    if _derived(quote, "order"):
        return f"Le bon de commande du devis {quote.number} est déjà établi."
    return None


def _delivery_refusal(order: SalesOrder) -> str | None:
    if order.status not in ("confirmed", "partially_delivered"):
        return f"La commande {order.number} est entièrement livrée."
    if _derived(order, "invoice"):
        return f"La commande {order.number} est déjà facturée sans livraison."
    if all(line.quantity - delivered_quantity(line) <= 0 for line in order.lines):
        return "Tout a déjà été livré sur cette commande."
    return None


def _invoice_refusal(document: SalesDocument) -> str | None:
    if isinstance(document, DeliveryNote):
        if document.status != "issued" or _invoices_of_delivery(document):
            return f"Le bon de livraison {document.number} est déjà facturé (ou sa facture est en brouillon)."
        return None
    if document.status != "confirmed" or _derived(document, "delivery"):
        return (f"La commande {document.number} est livrée par bons de livraison : "
                "facturez ces bons de livraison.")
    if _derived(document, "invoice"):
        return f"La commande {document.number} est déjà facturée (ou sa facture est en brouillon)."
    return None


def _credit_refusal(invoice: Invoice) -> str | None:
    if rules.creditable_remaining(invoice.total_ttc, [credited_amount(invoice)]) <= 0:
        return f"La facture {invoice.number} est déjà entièrement annulée par des avoirs."
    return None


def _payment_refusal(invoice: Invoice) -> str | None:
    if balance_due(invoice) <= 0:
        return "Cette facture est déjà entièrement réglée."
    return None


def _derived(document: SalesDocument, kind: str) -> list[SalesDocument]:
    """The documents of `kind` made from this one (drafts included)."""
    return list(db.session.scalars(
        select(SalesDocument).where(SalesDocument.source_id == document.id, SalesDocument.kind == kind)))


def _invoices_of_delivery(delivery: DeliveryNote, exclude: SalesDocument | None = None) -> list[Invoice]:
    """The invoices (drafts included) that bill this delivery note."""
    query = (select(Invoice).join(invoice_deliveries_table, invoice_deliveries_table.c.invoice_id == Invoice.id)
             .where(invoice_deliveries_table.c.delivery_id == delivery.id))
    if exclude is not None and exclude.id:
        query = query.where(Invoice.id != exclude.id)
    return list(db.session.scalars(query))


KIND_ORDER = ("quote", "order", "delivery", "invoice", "credit_note")
MAX_LINKED = 100  # an invoice grouping the deliveries of many orders: enough to list, bounded


def linked_documents(document: SalesDocument) -> list[SalesDocument]:
    """Every document this one comes from and every one made from it, in the order of the chain.

    Up: the source, all the delivery notes an invoice groups (not only the first, its source), the
    invoice a credit note corrects, then theirs. Down: the documents made from it, the invoices of a
    delivery note (also those grouping it with others), the credit notes of an invoice, then theirs.
    One statement: a step of the chain per kind from this one to each end (four in all).
    """
    position = KIND_ORDER.index(document.kind)
    statement = _linked_statement(position, len(KIND_ORDER) - 1 - position)
    found = db.session.scalars(statement, {"firm_id": document.firm_id, "document_id": document.id})
    return sorted(found, key=lambda d: (KIND_ORDER.index(d.kind), d.issue_date, d.id))[:MAX_LINKED]


@cache
def _linked_statement(steps_up: int, steps_down: int) -> Select:
    """The firm's documents `steps_up` steps up the chain from the bound document and `steps_down`
    down (built once per process for each kind). Each step is a set of ids read from the previous
    one by index seeks (an `IN` of a `UNION ALL`: with an OR, SQLite reads every document)."""
    start = select(SalesDocument.id).where(SalesDocument.id == bindparam("document_id"))
    reached = []
    for step, count in ((_parents, steps_up), (_children, steps_down)):
        frontier = start
        for level in range(count):
            frontier = select(step(frontier).cte(f"{step.__name__[1:]}_{level + 1}"))
            reached.append(frontier)
    ids = union_all(*reached) if reached else start.where(False)
    return select(SalesDocument).where(SalesDocument.firm_id == bindparam("firm_id"),
                                       SalesDocument.id != bindparam("document_id"), SalesDocument.id.in_(ids))


def _parents(ids: Select):
    """The documents the documents of `ids` come from: source, credited invoice, grouped delivery notes."""
    return union_all(
        select(SalesDocument.source_id).where(SalesDocument.id.in_(ids), SalesDocument.source_id.is_not(None)),
        select(SalesDocument.credited_invoice_id).where(SalesDocument.id.in_(ids),
                                                        SalesDocument.credited_invoice_id.is_not(None)),
        select(invoice_deliveries_table.c.delivery_id).where(invoice_deliveries_table.c.invoice_id.in_(ids)))


def _children(ids: Select):
    """The documents made from the documents of `ids`: next in the chain, credit notes, grouping invoices."""
    return union_all(
        select(SalesDocument.id).where(SalesDocument.source_id.in_(ids)),
        select(SalesDocument.id).where(SalesDocument.credited_invoice_id.in_(ids)),
        select(invoice_deliveries_table.c.invoice_id).where(invoice_deliveries_table.c.delivery_id.in_(ids)))


def _frozen_message(document: SalesDocument) -> str:
    it, changed, deleted = document.agree("il", "elle"), document.agree("modifié"), document.agree("supprimé")
    return (f"{document.title} est {document.agree('validé')} : {it} ne peut plus être {changed} ni {deleted}. "
            f"Pour {document.agree('le', 'la')} corriger, établissez un avoir.")


# --- validation -------------------------------------------------------------

def validate_document(document: SalesDocument, user: User) -> None:
    """Number and freeze a draft, with the rules of its kind."""
    _check_draft(document)
    if not document.lines:
        raise DomainError("Ajoutez au moins une ligne avant de valider le document.")
    firm = db.session.get(Firm, document.firm_id)
    _check_source_still_allows(document)
    if is_derived(document):
        _check_derived_lines(document, [carried_line(line.source_line, line.quantity) if line.source_line
                                        else LineData(line.description, line.quantity, line.unit_price,
                                                      line.vat_rate, line.discount_rate, line.product)
                                        for line in document.lines])
    checks = {"delivery": _before_delivery, "invoice": _before_invoice,
              "credit_note": _before_credit_note}
    if document.kind in checks:
        checks[document.kind](document, firm, user)
    _store_totals(document)
    number = next_number(firm, document.number_type, document.issue_date)
    document.number = number.text
    document.status = FIRST_STATUS[document.kind]
    document.validated_by_id = _user_id(user)
    document.validated_at = utcnow()
    db.session.flush()
    _after_validation(document, firm, user)


def _check_source_still_allows(document: SalesDocument) -> None:
    """At validation, the source must still allow this document (another one may have been validated since)."""
    source = document.source
    if document.kind == "order" and isinstance(source, Quote):
        if source.status != "accepted":
            raise DomainError(f"Le devis {source.number} n'est pas accepté : la commande ne peut pas être validée.")
        if any(order.number for order in _derived(source, "order") if order.id != document.id):
            raise DomainError(f"Le devis {source.number} a déjà son bon de commande validé.")
    if isinstance(document, Invoice):
        for delivery in document.deliveries:
            billed = [invoice for invoice in _invoices_of_delivery(delivery, exclude=document) if invoice.number]
            if delivery.is_draft or delivery.status != "issued" or billed:
                raise DomainError(f"Le bon de livraison {delivery.title} est déjà facturé : "
                                  "un bon de livraison n'est facturé qu'une fois.")
        if isinstance(source, SalesOrder):
            if any(d.number for d in _derived(source, "delivery")):
                raise DomainError(f"La commande {source.number} est livrée par bons de livraison : "
                                  "facturez ces bons de livraison.")
            if any(i.number for i in _derived(source, "invoice") if i.id != document.id):
                raise DomainError(f"La commande {source.number} est déjà facturée.")


def _before_delivery(document: DeliveryNote, firm: Firm, user: User) -> None:
    order = document.source
    if not isinstance(order, SalesOrder):
        raise DomainError("Un bon de livraison s'établit à partir d'une commande validée.")
    rules.check_delivery(
        ordered={line.id: line.quantity for line in order.lines},
        delivered=[{line.id: delivered_quantity(line, exclude=document) for line in order.lines}],
        to_deliver={line.source_line_id: line.quantity for line in document.lines},
        labels={line.id: line.description for line in order.lines},
    )
    if document.delivery_date is None:
        document.delivery_date = document.issue_date


def _before_invoice(document: Invoice, firm: Firm, user: User) -> None:
    settings = get_firm_settings(firm)
    document.due_date = due_date(settings, document.issue_date)
    if document.delivery_date is None:
        dates = [d.delivery_date for d in document.deliveries if d.delivery_date]
        document.delivery_date = max(dates) if dates else document.issue_date


def _before_credit_note(document: CreditNote, firm: Firm, user: User) -> None:
    invoice = document.credited_invoice
    if invoice is None or invoice.is_draft:
        raise DomainError("Un avoir corrige une facture validée : choisissez la facture.")
    _store_totals(document)
    rules.check_credit_note(invoice.number, invoice.total_ttc, [credited_amount(invoice)],
                            document.total_ttc)


def _after_validation(document: SalesDocument, firm: Firm, user: User) -> None:
    _move_goods(document, firm, user)
    verb = f"{document.kind}.validated"
    record_activity(firm, user, verb, document, f"{document.title} — {document.party.name}")
    if isinstance(document, DeliveryNote) and isinstance(document.source, SalesOrder):
        refresh_order_status(document.source)
    if isinstance(document, Invoice):
        for delivery in document.deliveries:
            delivery.status = "invoiced"
    if isinstance(document, CreditNote):
        refresh_invoice_status(document.credited_invoice)
    if isinstance(document, Quote) and document.party.kind == "prospect":
        document.party.stage = "devis_envoye"
    elif not isinstance(document, Quote) and document.party.kind == "prospect":
        # The first order (or an invoice without one) makes the prospect a client: kind, stage
        # "converti", conversion date and journal, as the "Convertir en client" button does.
        party_services.convert_to_client(document.party, user)
    db.session.flush()
    _register_delivery(document)


def _register_delivery(document: SalesDocument) -> None:
    """An invoice or credit note to a client that is a practice firm: delivered once its Factur-X is stored.

    Every validation passes here (trainee, scenario loader…). Inside a request the
    Factur-X is printed once that request committed, then delivered; elsewhere (a
    command) it is delivered when first printed (download, « Transmettre »).
    """
    from flask import has_request_context

    from crm.einvoice.services import register_delivery

    if register_delivery(document) is not None and has_request_context():
        from crm.ventes.documents import storage

        storage.store_pdf_after_commit(document)


def _move_goods(document: SalesDocument, firm: Firm, user: User) -> None:
    """Delivered goods leave the stock; goods returned with a credit note come back."""
    if isinstance(document, DeliveryNote):
        sign, kind = -1, "delivery"
    elif isinstance(document, CreditNote) and document.goods_returned:
        sign, kind = 1, "customer_return"
    else:
        return
    for line in document.lines:
        if line.product is not None and line.product.stock_tracked:
            _move_stock(firm, user, line.product, sign * line.quantity, kind, document)


def delivered_quantity(order_line: SalesLine, exclude: SalesDocument | None = None) -> Decimal:
    """Quantity of an order line already delivered by validated delivery notes."""
    return _carried_quantity(order_line, "delivery", exclude)


def delivered_quantities(order_lines, exclude: SalesDocument | None = None) -> dict[int, Decimal]:
    """delivered_quantity() of several order lines in one query (a delivery note's print)."""
    ids = [line.id for line in order_lines]
    if not ids:
        return {}
    query = (
        select(SalesLine.source_line_id, func.sum(SalesLine.quantity))
        .join(SalesDocument, SalesLine.document_id == SalesDocument.id)
        .where(SalesLine.source_line_id.in_(ids), SalesDocument.kind == "delivery",
               SalesDocument.number.is_not(None))
        .group_by(SalesLine.source_line_id)
    )
    if exclude is not None and exclude.id:
        query = query.where(SalesDocument.id != exclude.id)
    delivered = {line_id: Decimal(total) for line_id, total in db.session.execute(query)}
    return {line_id: delivered.get(line_id, ZERO) for line_id in ids}


def with_lines(document_id: int) -> SalesDocument:
    """This firm's document with its lines, their products and the party, in a fixed number of queries."""
    from crm.core.tenancy import fetch_or_404

    return fetch_or_404(_with_lines_statement(), document_id)


@cache
def _with_lines_statement() -> Select:
    from crm.core.tenancy import by_id

    return by_id(SalesDocument, joinedload(SalesDocument.party),
                 selectinload(SalesDocument.lines).joinedload(SalesLine.product),
                 selectinload(SalesDocument.lines).joinedload(SalesLine.source_line))


def refresh_order_status(order: SalesOrder) -> None:
    remaining = [line.quantity - delivered_quantity(line) for line in order.lines]
    if all(r <= 0 for r in remaining):
        order.status = "delivered"
    elif any(delivered_quantity(line) > 0 for line in order.lines):
        order.status = "partially_delivered"


def refresh_invoice_status(invoice: Invoice) -> None:
    if invoice.is_draft:
        return
    settled = settled_amount(invoice)
    if settled >= invoice.total_ttc:
        invoice.status = "paid"
    elif settled > 0:
        invoice.status = "partially_paid"
    else:
        invoice.status = "unpaid"
    db.session.flush()


# --- quotes -----------------------------------------------------------------

def accept_quote(quote: Quote, user: User) -> SalesOrder:
    """The client agrees: the quote is accepted and its order drafted from it."""
    require_step(quote, "accept")
    quote.status = "accepted"
    return derive_document(quote, "order", user)


def refuse_quote(quote: Quote, user: User) -> None:
    require_step(quote, "refuse")
    quote.status = "refused"
    db.session.flush()


# --- the chain --------------------------------------------------------------

REDUCTION_RATES = ("remise_rate", "rabais_rate", "ristourne_rate", "escompte_rate")


def derive_document(source: SalesDocument, kind: str, user: User,
                    today: date | None = None) -> SalesDocument:
    """Draft the next document of the chain from a validated one, linked both ways."""
    if kind not in DERIVED_KINDS:
        raise DomainError("Ce document ne peut pas être établi à partir de celui-ci.")
    require_step(source, kind)
    firm = db.session.get(Firm, source.firm_id)
    document = create_document(firm, user, kind, source.party, today or business_today(firm), source=source)
    for name in REDUCTION_RATES:
        setattr(document, name, getattr(source, name))
    if kind == "credit_note":
        document.credited_invoice = source
    if kind == "invoice" and isinstance(source, DeliveryNote):
        document.deliveries.append(source)
    db.session.flush()
    limits = quantity_limits(document)  # what remains to deliver or to credit; all of it otherwise
    lines = [carried_line(line, limits[line.id]) for line in source.lines if limits[line.id] > 0]
    if not lines:
        raise DomainError("Il ne reste rien à reprendre de ce document.")
    save_draft(document, {}, lines)
    return document


def invoice_deliveries(deliveries: list[DeliveryNote], user: User,
                       today: date | None = None) -> Invoice:
    """One invoice for several delivery notes of the same client."""
    if not deliveries:
        raise DomainError("Choisissez au moins un bon de livraison à facturer.")
    party_ids = {d.party_id for d in deliveries}
    if len(party_ids) > 1:
        raise DomainError("Une facture regroupe les bons de livraison d'un seul client.")
    for delivery in deliveries:
        require_step(delivery, "invoice")
    invoice = derive_document(deliveries[0], "invoice", user, today)
    extra = []
    for delivery in deliveries[1:]:
        invoice.deliveries.append(delivery)
        extra += [carried_line(line, line.quantity) for line in delivery.lines]
    if extra:
        current = [carried_line(item.source_line, item.quantity) for item in invoice.lines]
        save_draft(invoice, {}, current + extra)
    return invoice


# --- payments ---------------------------------------------------------------

def record_payment(invoice: Invoice, user: User, amount: Decimal, method: str, paid_on: date,
                   reference: str = "", allow_overpayment: bool = False) -> Payment:
    if invoice.is_draft:
        raise DomainError("On encaisse une facture validée, pas un brouillon.")
    if not allow_overpayment:
        require_step(invoice, "payment")
    if method not in PAYMENT_METHODS:
        raise DomainError("Mode de règlement inconnu.", field="method")
    rules.check_payment(balance_due(invoice), amount, allow_overpayment)
    if paid_on < invoice.issue_date:
        raise DomainError("Un règlement ne peut pas précéder la date de la facture.", field="paid_on")
    payment = Payment(firm_id=invoice.firm_id, invoice=invoice, amount=amount, method=method,
                      paid_on=paid_on, reference=reference, created_by_id=_user_id(user))
    db.session.add(payment)
    db.session.flush()
    refresh_invoice_status(invoice)
    firm = db.session.get(Firm, invoice.firm_id)
    record_activity(firm, user, "payment.recorded", payment,
                    f"Règlement de {money(amount)} sur {invoice.number}")
    return payment


# --- reading ----------------------------------------------------------------

@dataclass
class StatementEntry:
    on: date
    label: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO


def account_statement(firm: Firm, party) -> list[StatementEntry]:
    """A client's account: invoices (debit), credit notes and payments (credit), running balance."""
    entries: list[StatementEntry] = []
    documents = db.session.scalars(
        select(SalesDocument).where(
            SalesDocument.firm_id == firm.id, SalesDocument.party_id == party.id,
            SalesDocument.kind.in_(["invoice", "credit_note"]), SalesDocument.number.is_not(None))
    )
    for document in documents:
        if document.kind == "invoice":
            entries.append(StatementEntry(document.issue_date, f"Facture {document.number}",
                                          document.total_ttc, ZERO))
        else:
            entries.append(StatementEntry(document.issue_date, f"Avoir {document.number}",
                                          ZERO, document.total_ttc))
    payments = db.session.scalars(
        select(Payment).join(Invoice, Payment.invoice_id == Invoice.id)
        .where(Payment.firm_id == firm.id, Invoice.party_id == party.id)
    )
    for payment in payments:
        entries.append(StatementEntry(payment.paid_on, f"Règlement {payment.method_label} — "
                                      f"{payment.invoice.number}", ZERO, payment.amount))
    entries.sort(key=lambda e: (e.on, e.debit == 0))
    balance = ZERO
    for entry in entries:
        balance += entry.debit - entry.credit
        entry.balance = balance
    return entries


def documents_of_party(firm: Firm, party, limit: int = 20) -> list[SalesDocument]:
    """The latest sales documents of a party, for its page in the client file."""
    return list(db.session.scalars(
        select(SalesDocument).where(SalesDocument.firm_id == firm.id,
                                    SalesDocument.party_id == party.id)
        .order_by(SalesDocument.issue_date.desc(), SalesDocument.id.desc()).limit(limit)
    ))


@cache
def _balances_due_statement() -> Select:
    """SQL of the balances of the invoices whose ids are bound as `ids`: built once per process
    (building it is several times dearer than running it)."""
    return select(Invoice.id, _balance_due_sql()).where(Invoice.id.in_(bindparam("ids", expanding=True)))


def _balance_due_sql():
    """SQL of an invoice's balance: total TTC less payments and validated credit notes.

    The same figure as balance_due(), computed by the database for a whole list at once.
    """
    credit = aliased(SalesDocument)
    paid = (select(func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.invoice_id == Invoice.id).scalar_subquery())
    credited = (select(func.coalesce(func.sum(credit.total_ttc), 0))
                .where(credit.credited_invoice_id == Invoice.id, credit.kind == "credit_note",
                       credit.number.is_not(None)).scalar_subquery())
    return Invoice.total_ttc - paid - credited


def overdue_invoices(firm: Firm, today: date) -> list[Invoice]:
    """Validated invoices past their due date and not fully settled (for *relances*)."""
    return list(db.session.scalars(overdue_invoices_query(firm, today)))


def overdue_invoices_query(firm: Firm, today: date) -> Select:
    """overdue_invoices() as a query, for a paginated list.

    The status says "not fully settled": refresh_invoice_status() keeps it with every
    payment and credit note, in their transaction. So the list reads the partial index of
    the invoices still to be settled (firm, due date, id), in its order, instead of summing
    payments for every invoice or sorting all the unsettled ones.
    """
    return (
        select(SalesDocument)  # an Invoice each: the condition names the kind for the index
        .where(SalesDocument.firm_id == firm.id, text(unsettled_invoices_sql(SalesDocument.__tablename__)),
               SalesDocument.due_date < today)
        .options(selectinload(SalesDocument.party))  # a JOIN would run for every candidate before the sort
        .order_by(SalesDocument.due_date, SalesDocument.id)
    )


def balances_due(invoices) -> dict[int, Decimal]:
    """balance_due() of several invoices in one query (lists of invoices)."""
    ids = [invoice.id for invoice in invoices]
    if not ids:
        return {}
    rows = db.session.execute(_balances_due_statement(), {"ids": ids})
    return {invoice_id: Decimal(balance) for invoice_id, balance in rows}


def open_orders(firm: Firm) -> list[SalesOrder]:
    """Validated orders not fully delivered yet (for a *suivi de commande*), oldest first."""
    return list(db.session.scalars(
        select(SalesOrder).where(
            SalesOrder.firm_id == firm.id, SalesOrder.number.is_not(None),
            SalesOrder.status.in_(["confirmed", "partially_delivered"]))
        .order_by(SalesOrder.issue_date, SalesOrder.id)
    ))


# --- helpers ----------------------------------------------------------------

def _user_id(user: User | None) -> int | None:
    """Loading a scenario replays documents with no user behind them."""
    return user.id if user is not None else None


def _move_stock(firm: Firm, user: User, product, quantity: Decimal, kind: str,
                document: SalesDocument) -> None:
    """The stock ledger owns stock: one move per delivered or returned product line."""
    from crm.stocks.services import move_stock

    if quantity != quantity.to_integral_value():
        raise DomainError(f"« {product.label} » se compte en unités entières.")
    move_stock(firm, user, product, int(quantity), kind, source=document.number or document.title)
