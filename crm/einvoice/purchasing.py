"""The purchase side: supplier invoices, the three-way match, booking, supplier payments and account.

A supplier invoice comes from a received e-invoice (every figure read from its XML,
nothing retyped) or is typed from a paper invoice against a purchase order. It is
matched to the purchase order (prices ordered) and the goods receipts (quantities
accepted into stock): `match()` lists every difference (price, quantity, missing
receipt, article not ordered). The trainee then books it, accepting the differences
with a reason, or disputes it. Booked invoices are paid (SupplierPayment); the
supplier's account statement and the due dates follow.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from crm.core.errors import DomainError
from crm.core.formatting import counted, money, plural, with_unit
from crm.core.models import Firm, User, utcnow
from crm.core.money import ZERO, percentage_of, round_cent
from crm.einvoice import reader
from crm.einvoice.models import (
    SUPPLIER_PAYMENT_METHODS, IncomingInvoice, SupplierInvoice, SupplierInvoiceLine, SupplierPayment,
)
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.ventes.documents.services import StatementEntry  # one line of an account, client or supplier

PRICE_TOLERANCE = Decimal("0.005")  # a net price read from the XML may carry more decimals than the order's
UNSETTLED = ("booked", "partially_paid")


@dataclass
class Difference:
    kind: str  # price, quantity, missing_receipt, not_ordered, not_invoiced, no_order
    line: str  # the article concerned
    text: str  # French, for the trainee


@dataclass
class TypedLine:
    order_line_id: int
    quantity: Decimal
    unit_price: Decimal


# --- creating ---------------------------------------------------------------------

def supplier_for(firm: Firm, user: User | None, incoming: IncomingInvoice, seller) -> object:
    """The firm's supplier that sent it: the party linked to the sender firm, else the same SIREN, else a new one."""
    from crm.clients import services as party_services
    from crm.clients.models import Party

    query = select(Party).where(Party.firm_id == firm.id, Party.kind == "supplier", Party.anonymised_at.is_(None))
    if incoming.sender_firm_id is not None:
        party = db.session.scalar(query.where(Party.linked_firm_id == incoming.sender_firm_id).limit(1))
        if party is not None:
            return party
    if incoming.seller_siren:
        party = db.session.scalar(query.where(Party.siret.like(f"{incoming.seller_siren}%")).limit(1))
        if party is not None:
            return party
    party = party_services.create_party(firm, user, {
        "kind": "supplier", "category": "business", "company_name": seller.name[:120] or incoming.seller_name[:120],
        "vat_number": (seller.vat_number if len(seller.vat_number) <= 13 else ""),
        "address_line1": (seller.address.lines[0] if seller.address.lines else "")[:120],
        "postcode": seller.address.postcode[:10], "city": seller.address.city[:80],
    }, journal=False)
    party.linked_firm_id = incoming.sender_firm_id
    db.session.flush()
    return party


def from_incoming(firm: Firm, user: User | None, incoming: IncomingInvoice) -> SupplierInvoice:
    """The supplier invoice of a received e-invoice: header and lines read from its XML."""
    if incoming.status != "received":
        raise DomainError("Cette facture reçue est déjà saisie en facture fournisseur.")
    invoice_data = reader.read(incoming.xml)
    supplier = supplier_for(firm, user, incoming, invoice_data.seller)
    _check_unique(firm, supplier.id, incoming.number)
    invoice = SupplierInvoice(
        firm_id=firm.id, kind="credit_note" if incoming.is_credit_note else "invoice", status="to_check",
        supplier_id=supplier.id, incoming=incoming, number=incoming.number, issue_date=incoming.issue_date,
        due_date=incoming.due_date, total_ht=incoming.total_ht, total_vat=incoming.total_vat,
        total_ttc=incoming.total_ttc, created_by_id=user.id if user else None)
    for line in invoice_data.lines:
        quantity = line.quantity if line.quantity > 0 else Decimal("1")
        invoice.lines.append(SupplierInvoiceLine(
            firm_id=firm.id, position=line.number, reference=line.reference[:60], description=line.name[:255] or "?",
            quantity=quantity, unit_price=(line.net / quantity).quantize(Decimal("0.0001")),
            vat_rate=line.vat_rate, net=line.net))
    incoming.status = "booked"
    db.session.add(invoice)
    db.session.flush()
    order = _order_named(firm, supplier, incoming.buyer_order) or _only_open_order(firm, supplier)
    if order is not None:
        attach_order(invoice, order, user)
    return invoice


def typed_from_order(firm: Firm, user: User | None, order, number: str, issue_date: date,
                     due_date: date | None, lines: list[TypedLine]) -> SupplierInvoice:
    """A paper invoice typed against a purchase order: per order line, the quantity and unit price billed."""
    number = (number or "").strip()
    if not number:
        raise DomainError("Indiquez le numéro de la facture du fournisseur.", "number")
    if len(number) > 60:
        raise DomainError("Le numéro tient en 60 caractères au plus.", "number")
    if order.status == "draft":
        raise DomainError("Une facture fournisseur se rapproche d'une commande validée.")
    if due_date is not None and due_date < issue_date:
        raise DomainError("L'échéance ne peut pas précéder la date de la facture.", "due_date")
    _check_unique(firm, order.supplier_id, number)
    order_lines = {line.id: line for line in order.lines}
    invoice = SupplierInvoice(firm_id=firm.id, kind="invoice", status="to_check", supplier_id=order.supplier_id,
                              number=number, issue_date=issue_date, due_date=due_date, order_id=order.id,
                              total_ht=ZERO, total_vat=ZERO, total_ttc=ZERO,
                              created_by_id=user.id if user else None)
    bases: dict[Decimal, Decimal] = {}
    position = 0
    for typed in lines:
        order_line = order_lines.get(typed.order_line_id)
        if order_line is None:
            raise DomainError("Cette ligne n'est pas sur la commande.")
        if typed.quantity is None or typed.quantity <= 0:
            continue
        if typed.unit_price is None or typed.unit_price < 0:
            raise DomainError(f"« {order_line.product.label} » : indiquez le prix unitaire HT facturé.",
                              f"price_{order_line.id}")
        position += 1
        net = round_cent(typed.quantity * typed.unit_price)
        invoice.lines.append(SupplierInvoiceLine(
            firm_id=firm.id, position=position, reference=order_line.product.reference,
            description=order_line.product.label, quantity=typed.quantity, unit_price=typed.unit_price,
            vat_rate=order_line.vat_rate, net=net, order_line_id=order_line.id))
        bases[Decimal(order_line.vat_rate)] = bases.get(Decimal(order_line.vat_rate), ZERO) + net
    if not invoice.lines:
        raise DomainError("Indiquez au moins une quantité facturée.")
    invoice.total_ht = sum(bases.values(), ZERO)
    invoice.total_vat = sum((percentage_of(base, rate) for rate, base in bases.items()), ZERO)
    invoice.total_ttc = invoice.total_ht + invoice.total_vat
    db.session.add(invoice)
    db.session.flush()
    firm_obj = db.session.get(Firm, firm.id)
    record_activity(firm_obj, user, "supplier_invoice.checked", invoice,
                    f"Facture fournisseur {invoice.number} saisie et rapprochée de la commande {order.number}")
    return invoice


def _check_unique(firm: Firm, supplier_id: int, number: str) -> None:
    if db.session.scalar(select(func.count(SupplierInvoice.id)).where(
            SupplierInvoice.firm_id == firm.id, SupplierInvoice.supplier_id == supplier_id,
            SupplierInvoice.number == number)):
        raise DomainError(f"La facture n° {number} de ce fournisseur est déjà saisie : un doublon n'est pas "
                          "enregistré.", "number")


def _order_named(firm: Firm, supplier, number: str):
    from crm.stocks.models import PurchaseOrder

    if not number:
        return None
    return db.session.scalar(select(PurchaseOrder).where(
        PurchaseOrder.firm_id == firm.id, PurchaseOrder.number == number, PurchaseOrder.supplier_id == supplier.id))


def _only_open_order(firm: Firm, supplier):
    """The supplier's one validated order not yet invoiced, if there is exactly one."""
    from crm.stocks.models import PurchaseOrder

    invoiced = select(SupplierInvoice.order_id).where(SupplierInvoice.order_id.is_not(None),
                                                      SupplierInvoice.status != "disputed")
    orders = db.session.scalars(select(PurchaseOrder).where(
        PurchaseOrder.firm_id == firm.id, PurchaseOrder.supplier_id == supplier.id,
        PurchaseOrder.status != "draft", PurchaseOrder.id.not_in(invoiced)).limit(2)).all()
    return orders[0] if len(orders) == 1 else None


def orders_to_match(invoice: SupplierInvoice) -> list:
    """The supplier's validated orders, newest first (to choose the one the invoice bills)."""
    from crm.stocks.models import PurchaseOrder

    return list(db.session.scalars(select(PurchaseOrder).where(
        PurchaseOrder.firm_id == invoice.firm_id, PurchaseOrder.supplier_id == invoice.supplier_id,
        PurchaseOrder.status != "draft").order_by(PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc())
        .limit(20)))


# --- the three-way match ----------------------------------------------------------------

def attach_order(invoice: SupplierInvoice, order, user: User | None) -> None:
    """Match the invoice to a purchase order: each line to the order line of the same article."""
    _check_open(invoice)
    if order.firm_id != invoice.firm_id or order.supplier_id != invoice.supplier_id:
        raise DomainError("Choisissez une commande passée à ce fournisseur.", "order_id")
    if order.status == "draft":
        raise DomainError("Une facture se rapproche d'une commande validée.", "order_id")
    invoice.order_id = order.id
    invoice.order = order
    by_reference = {line.product.reference.strip().lower(): line for line in order.lines}
    by_label = {line.product.label.strip().lower(): line for line in order.lines}
    for line in invoice.lines:
        match = by_reference.get(line.reference.strip().lower()) or by_label.get(line.description.strip().lower())
        line.order_line_id = match.id if match is not None else None
    db.session.flush()
    record_activity(db.session.get(Firm, invoice.firm_id), user, "supplier_invoice.checked", invoice,
                    f"{invoice.title} rapprochée de la commande {order.number} et de ses réceptions")


def match(invoice: SupplierInvoice) -> list[Difference]:
    """Every difference between the invoice, its purchase order (prices) and its receipts (quantities)."""
    from crm.stocks.purchasing import accepted_by_line

    if invoice.order is None:
        return [Difference("no_order", "", "La facture n'est rapprochée d'aucune commande fournisseur : "
                                           "choisissez la commande qu'elle facture.")]
    order = invoice.order
    accepted = accepted_by_line(line.id for line in order.lines)
    invoiced_before = _invoiced_elsewhere(invoice, [line.id for line in order.lines])
    billed: dict[int, Decimal] = {}
    differences = []
    for line in invoice.lines:
        if line.order_line_id is None:
            differences.append(Difference("not_ordered", line.description,
                                          f"« {line.description} » ({line.reference or 'sans référence'}) est facturé "
                                          f"mais ne figure pas sur la commande {order.number}."))
            continue
        billed[line.order_line_id] = billed.get(line.order_line_id, ZERO) + Decimal(line.quantity)
        ordered_price = Decimal(line.order_line.unit_price)
        if abs(Decimal(line.unit_price) - ordered_price) > PRICE_TOLERANCE:
            gap = round_cent((Decimal(line.unit_price) - ordered_price) * Decimal(line.quantity))
            differences.append(Difference(
                "price", line.description,
                f"« {line.description} » : facturé {money(Decimal(line.unit_price))} HT l'unité, commandé "
                f"{money(ordered_price)} ; écart de {money(gap)} sur la ligne."))
    for order_line in order.lines:
        label, unit = order_line.product.label, order_line.product.unit
        invoiced = billed.get(order_line.id)
        if invoiced is None:
            continue
        received = Decimal(accepted.get(order_line.id, 0)) - invoiced_before.get(order_line.id, ZERO)
        if accepted.get(order_line.id, 0) == 0:
            differences.append(Difference(
                "missing_receipt", label,
                f"« {label} » : quantité facturée {with_unit(invoiced, unit)}, mais aucune réception "
                f"validée sur la commande {order.number}."))
        elif invoiced != received:
            differences.append(Difference(
                "quantity", label,
                f"« {label} » : quantité facturée {with_unit(invoiced, unit)} ; quantité reçue en bon état "
                f"et pas encore facturée {with_unit(max(received, ZERO), unit)} "
                f"(quantité commandée {with_unit(order_line.quantity, unit)})."))
    return differences


def _invoiced_elsewhere(invoice: SupplierInvoice, order_line_ids: list[int]) -> dict[int, Decimal]:
    """Quantities of these order lines already billed by the firm's other booked supplier invoices."""
    if not order_line_ids:
        return {}
    rows = db.session.execute(
        select(SupplierInvoiceLine.order_line_id, func.sum(SupplierInvoiceLine.quantity))
        .join(SupplierInvoice, SupplierInvoice.id == SupplierInvoiceLine.invoice_id)
        .where(SupplierInvoiceLine.order_line_id.in_(order_line_ids), SupplierInvoice.id != invoice.id,
               SupplierInvoice.kind == "invoice", SupplierInvoice.status.in_(("booked", "partially_paid", "paid")))
        .group_by(SupplierInvoiceLine.order_line_id)).all()
    return {line_id: Decimal(total) for line_id, total in rows}


# --- deciding ------------------------------------------------------------------------------

def _check_open(invoice: SupplierInvoice) -> None:
    if invoice.status not in ("to_check", "disputed"):
        raise DomainError(f"{invoice.title} est déjà enregistrée : elle ne peut plus être modifiée.")


def book(invoice: SupplierInvoice, user: User | None, reason: str = "") -> list[Difference]:
    """Book the invoice: accepted as it is, its differences (if any) with the trainee's reason."""
    _check_open(invoice)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise DomainError("La raison tient en 500 caractères au plus.", "reason")
    differences = match(invoice)
    if any(d.kind == "no_order" for d in differences) and invoice.kind == "invoice":
        raise DomainError("Rapprochez d'abord la facture de la commande qu'elle facture.", "reason")
    if differences and not reason:
        raise DomainError(f"{counted(len(differences), 'écart')} avec la commande et les réceptions : "
                          "indiquez pourquoi vous les acceptez, ou contestez la facture.", "reason")
    invoice.status = "booked"
    invoice.decision_reason = reason
    invoice.booked_at = utcnow()
    db.session.flush()
    summary = f"{invoice.title} de {invoice.supplier.name} enregistrée ({money(invoice.total_ttc)})"
    if differences:
        summary += f", {counted(len(differences), 'écart')} {plural(len(differences), 'accepté')} : {reason}"
    record_activity(db.session.get(Firm, invoice.firm_id), user, "supplier_invoice.booked", invoice, summary[:255])
    return differences


def dispute(invoice: SupplierInvoice, user: User | None, reason: str) -> None:
    """Dispute the invoice with the supplier: the reason says what is wrong; it is not booked."""
    _check_open(invoice)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indiquez ce que vous contestez (prix, quantité, réception manquante…).", "reason")
    if len(reason) > 500:
        raise DomainError("La raison tient en 500 caractères au plus.", "reason")
    invoice.status = "disputed"
    invoice.decision_reason = reason
    db.session.flush()
    record_activity(db.session.get(Firm, invoice.firm_id), user, "supplier_invoice.disputed", invoice,
                    f"{invoice.title} de {invoice.supplier.name} contestée : {reason}"[:255])


# --- paying ---------------------------------------------------------------------------------

def paid_amount(invoice: SupplierInvoice) -> Decimal:
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(SupplierPayment.amount), 0)).where(
        SupplierPayment.invoice_id == invoice.id)) or 0)


def balance_of(invoice: SupplierInvoice) -> Decimal:
    return Decimal(invoice.total_ttc) - paid_amount(invoice)


def record_supplier_payment(invoice: SupplierInvoice, user: User | None, amount: Decimal | None, method: str,
                            paid_on: date | None, reference: str = "") -> SupplierPayment:
    if invoice.kind != "invoice":
        raise DomainError("Un avoir fournisseur se déduit d'un prochain règlement : il ne se règle pas.")
    if invoice.status not in UNSETTLED:
        raise DomainError("On règle une facture fournisseur enregistrée et pas encore soldée.")
    if method not in SUPPLIER_PAYMENT_METHODS:
        raise DomainError("Mode de règlement inconnu.", "method")
    if amount is None or amount <= 0:
        raise DomainError("Le montant du règlement doit être positif.", "amount")
    if paid_on is None or paid_on < invoice.issue_date:
        raise DomainError("Un règlement ne peut pas précéder la date de la facture.", "paid_on")
    balance = balance_of(invoice)
    if amount > balance:
        raise DomainError(f"Le règlement dépasse ce qui reste à payer ({money(balance)}).", "amount")
    payment = SupplierPayment(firm_id=invoice.firm_id, invoice=invoice, amount=amount, method=method,
                              paid_on=paid_on, reference=(reference or "")[:60],
                              created_by_id=user.id if user else None)
    db.session.add(payment)
    db.session.flush()
    invoice.status = "paid" if amount == balance else "partially_paid"
    db.session.flush()
    record_activity(db.session.get(Firm, invoice.firm_id), user, "supplier_payment.recorded", payment,
                    f"Règlement de {money(amount)} à {invoice.supplier.name} ({invoice.number})")
    return payment


# --- reading ----------------------------------------------------------------------------------

def supplier_statement(firm: Firm, supplier) -> list[StatementEntry]:
    """The supplier's account as the buyer keeps it: invoices (credit), credit notes and payments (debit).

    Balance: what the firm owes the supplier. Only booked invoices enter it.
    """
    booked = ("booked", "partially_paid", "paid")
    entries = []
    for invoice in db.session.scalars(select(SupplierInvoice).where(
            SupplierInvoice.firm_id == firm.id, SupplierInvoice.supplier_id == supplier.id,
            SupplierInvoice.status.in_(booked))):
        if invoice.kind == "invoice":
            entries.append(StatementEntry(invoice.issue_date, f"Facture {invoice.number}", ZERO, invoice.total_ttc))
        else:
            entries.append(StatementEntry(invoice.issue_date, f"Avoir {invoice.number}", invoice.total_ttc, ZERO))
    for payment in db.session.scalars(select(SupplierPayment).join(SupplierInvoice).where(
            SupplierPayment.firm_id == firm.id, SupplierInvoice.supplier_id == supplier.id)):
        entries.append(StatementEntry(payment.paid_on, f"Règlement {payment.method_label} — {payment.invoice.number}",
                                      payment.amount, ZERO))
    entries.sort(key=lambda e: (e.on, e.credit == 0))
    balance = ZERO
    for entry in entries:
        balance += entry.credit - entry.debit
        entry.balance = balance
    return entries


def supplier_invoices_query(firm: Firm, status: str = ""):
    """The firm's supplier invoices: those to settle first, by due date."""
    from sqlalchemy.orm import selectinload

    query = select(SupplierInvoice).where(SupplierInvoice.firm_id == firm.id).options(
        selectinload(SupplierInvoice.supplier))
    if status:
        query = query.where(SupplierInvoice.status == status)
    return query.order_by(SupplierInvoice.status.in_(("paid", "disputed")), SupplierInvoice.due_date.is_(None),
                          SupplierInvoice.due_date, SupplierInvoice.id)


def balances(invoices) -> dict[int, Decimal]:
    ids = [invoice.id for invoice in invoices]
    if not ids:
        return {}
    paid = dict(db.session.execute(select(SupplierPayment.invoice_id, func.sum(SupplierPayment.amount))
                                   .where(SupplierPayment.invoice_id.in_(ids))
                                   .group_by(SupplierPayment.invoice_id)).all())
    return {invoice.id: Decimal(invoice.total_ttc) - Decimal(paid.get(invoice.id) or 0) for invoice in invoices}
