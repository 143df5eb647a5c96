"""The purchase side: supplier invoices, the three-way match, booking, supplier payments and account.

A supplier invoice comes from a received e-invoice (every figure read from its XML,
nothing retyped) or is typed from a paper invoice against a purchase order. It is
matched to the purchase order (prices ordered) and the goods receipts (quantities
accepted into stock): `match()` lists every difference (price, quantity, missing
receipt, article not ordered). The trainee then books it, accepting the differences
with a reason, or disputes it. Booked invoices are paid (SupplierPayment); the
supplier's account statement and the due dates follow.

A supplier credit note (kind "credit_note", typed from the return or read from a
received Factur-X 381) credits a supplier return (crm.stocks: SupplierReturn): its
match compares the credited quantities with the returned ones and the prices with
the ordered ones. Booked, it is deducted from the invoice it is applied to
(`applied_to`), or stays to the credit of the supplier account: either way the
amount due to the supplier (statement, invoice balance) is reduced by it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.core.errors import DomainError
from crm.core.formatting import agree, counted, money, plural, with_unit
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
BOOKED = ("booked", "partially_paid", "paid")


@dataclass
class Difference:
    # price, quantity, missing_receipt, not_ordered, not_invoiced, no_order; for a credit note:
    # price, quantity, not_returned, no_return
    kind: str
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
    if invoice.kind == "credit_note":
        _credit_note_links(firm, user, invoice, supplier, incoming)
        return invoice
    order = _order_named(firm, supplier, incoming.buyer_order) or _only_open_order(firm, supplier)
    if order is not None:
        attach_order(invoice, order, user)
    return invoice


def _credit_note_links(firm: Firm, user: User | None, note: SupplierInvoice, supplier, incoming) -> None:
    """A received credit note: the invoice it corrects (BT-25) and the return it credits, when they are clear."""
    corrected = None
    if incoming.corrected_invoice:
        corrected = db.session.scalar(select(SupplierInvoice).where(
            SupplierInvoice.firm_id == firm.id, SupplierInvoice.supplier_id == supplier.id,
            SupplierInvoice.kind == "invoice", SupplierInvoice.number == incoming.corrected_invoice))
    order = _order_named(firm, supplier, incoming.buyer_order) or (corrected.order if corrected else None)
    candidates = returns_to_credit(note, order)
    if len(candidates) == 1:
        applied = corrected if corrected is not None and corrected.status in UNSETTLED else None
        link_return(note, candidates[0], user, applied)


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
    _add_typed_lines(invoice, order_lines, lines, "Cette ligne n'est pas sur la commande.", "facturé")
    db.session.add(invoice)
    db.session.flush()
    firm_obj = db.session.get(Firm, firm.id)
    record_activity(firm_obj, user, "supplier_invoice.checked", invoice,
                    f"Facture fournisseur {invoice.number} saisie et rapprochée de la commande {order.number}")
    return invoice


def _add_typed_lines(document: SupplierInvoice, order_lines: dict, lines: list[TypedLine], foreign_line: str,
                     billed: str) -> None:
    """The lines of a typed paper invoice or credit note (quantity and net price per order line) and its totals."""
    bases: dict[Decimal, Decimal] = {}
    for typed in lines:
        order_line = order_lines.get(typed.order_line_id)
        if order_line is None:
            raise DomainError(foreign_line)
        if typed.quantity is None or typed.quantity <= 0:
            continue
        if typed.unit_price is None or typed.unit_price < 0:
            raise DomainError(f"« {order_line.product.label} » : indiquez le prix unitaire HT {billed}.",
                              f"price_{order_line.id}")
        net = round_cent(typed.quantity * typed.unit_price)
        document.lines.append(SupplierInvoiceLine(
            firm_id=document.firm_id, position=len(document.lines) + 1, reference=order_line.product.reference,
            description=order_line.product.label, quantity=typed.quantity, unit_price=typed.unit_price,
            vat_rate=order_line.vat_rate, net=net, order_line_id=order_line.id))
        bases[Decimal(order_line.vat_rate)] = bases.get(Decimal(order_line.vat_rate), ZERO) + net
    if not document.lines:
        raise DomainError(f"Indiquez au moins une quantité {billed}e.")  # facturée, créditée
    document.total_ht = sum(bases.values(), ZERO)
    document.total_vat = sum((percentage_of(base, rate) for rate, base in bases.items()), ZERO)
    document.total_ttc = document.total_ht + document.total_vat


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
                                                      SupplierInvoice.kind == "invoice",
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
    _map_lines(invoice, order)
    record_activity(db.session.get(Firm, invoice.firm_id), user, "supplier_invoice.checked", invoice,
                    f"{invoice.title} rapprochée de la commande {order.number} et de ses réceptions")


def _map_lines(invoice: SupplierInvoice, order) -> None:
    """Each line of the invoice to the order line of the same article (reference, else label)."""
    invoice.order_id = order.id
    invoice.order = order
    by_reference = {line.product.reference.strip().lower(): line for line in order.lines}
    by_label = {line.product.label.strip().lower(): line for line in order.lines}
    for line in invoice.lines:
        if line.order_line_id is not None and line.order_line_id in {item.id for item in order.lines}:
            continue  # typed against this order: already known
        found = by_reference.get(line.reference.strip().lower()) or by_label.get(line.description.strip().lower())
        line.order_line_id = found.id if found is not None else None
    db.session.flush()


def match(invoice: SupplierInvoice) -> list[Difference]:
    """Every difference between the invoice, its purchase order (prices) and its receipts (quantities)."""
    from crm.stocks.purchasing import accepted_by_line, returned_by_line

    if invoice.kind == "credit_note":
        return credit_match(invoice)
    if invoice.order is None:
        return [Difference("no_order", "", "La facture n'est rapprochée d'aucune commande fournisseur : "
                                           "choisissez la commande qu'elle facture.")]
    order = invoice.order
    accepted = accepted_by_line(line.id for line in order.lines)
    returned_damaged = returned_by_line(order, "damaged")
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
            text = (f"« {label} » : quantité facturée {with_unit(invoiced, unit)} ; quantité reçue en bon état "
                    f"et pas encore facturée {with_unit(max(received, ZERO), unit)} "
                    f"(quantité commandée {with_unit(order_line.quantity, unit)}).")
            sent_back = returned_damaged.get(order_line.id, 0)
            if sent_back:
                text += (f" Retour au fournisseur pour casse à la réception : {with_unit(sent_back, unit)} ; "
                         "un avoir est attendu.")
            differences.append(Difference("quantity", label, text))
    return differences


def credit_match(note: SupplierInvoice) -> list[Difference]:
    """A credit note against its return: quantities credited vs returned, prices credited vs ordered."""
    supplier_return = note.supplier_return
    if supplier_return is None:
        return [Difference("no_return", "", "L'avoir n'est rattaché à aucun bon de retour : choisissez le retour "
                                            "qu'il crédite, ou enregistrez-le avec une raison (geste commercial, "
                                            "erreur de prix…).")]
    returned: dict[int, int] = {}
    order_lines = {}
    for line in supplier_return.lines:
        returned[line.order_line_id] = returned.get(line.order_line_id, 0) + line.quantity
        order_lines[line.order_line_id] = line.order_line
    before = _credited_elsewhere(note)
    credited: dict[int, Decimal] = {}
    differences = []
    for line in note.lines:
        if line.order_line_id not in returned:
            differences.append(Difference(
                "not_returned", line.description,
                f"« {line.description} » ({line.reference or 'sans référence'}) est crédité mais ne figure pas "
                f"sur le bon de retour {supplier_return.number}."))
            continue
        credited[line.order_line_id] = credited.get(line.order_line_id, ZERO) + Decimal(line.quantity)
        ordered_price = Decimal(order_lines[line.order_line_id].unit_price)
        if abs(Decimal(line.unit_price) - ordered_price) > PRICE_TOLERANCE:
            gap = round_cent((Decimal(line.unit_price) - ordered_price) * Decimal(line.quantity))
            differences.append(Difference(
                "price", line.description,
                f"« {line.description} » : crédité {money(Decimal(line.unit_price))} HT l'unité, commandé "
                f"{money(ordered_price)} ; écart de {money(gap)} sur la ligne."))
    for order_line_id, quantity in returned.items():
        order_line = order_lines[order_line_id]
        label, unit = order_line.product.label, order_line.product.unit
        expected = Decimal(quantity) - before.get(order_line_id, ZERO)
        got = credited.get(order_line_id, ZERO)
        if got != expected:
            differences.append(Difference(
                "quantity", label,
                f"« {label} » : quantité créditée {with_unit(got, unit)} ; quantité retournée (bon "
                f"{supplier_return.number}) et pas encore créditée {with_unit(max(expected, ZERO), unit)}."))
    return differences


def _credited_elsewhere(note: SupplierInvoice) -> dict[int, Decimal]:
    """Quantities of the return's order lines already credited by the firm's other booked credit notes of it."""
    rows = db.session.execute(
        select(SupplierInvoiceLine.order_line_id, func.sum(SupplierInvoiceLine.quantity))
        .join(SupplierInvoice, SupplierInvoice.id == SupplierInvoiceLine.invoice_id)
        .where(SupplierInvoice.return_id == note.return_id, SupplierInvoice.id != note.id,
               SupplierInvoice.kind == "credit_note", SupplierInvoice.status.in_(BOOKED),
               SupplierInvoiceLine.order_line_id.is_not(None))
        .group_by(SupplierInvoiceLine.order_line_id)).all()
    return {line_id: Decimal(total) for line_id, total in rows}


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
        raise DomainError(f"{invoice.title} est déjà {agree(invoice, 'enregistré')} : "
                          f"{agree(invoice, 'il', 'elle')} ne peut plus être {agree(invoice, 'modifié')}.")


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
        if invoice.kind == "credit_note":
            raise DomainError(f"{counted(len(differences), 'écart')} avec le bon de retour et la commande : "
                              "indiquez pourquoi vous les acceptez, ou contestez l'avoir.", "reason")
        raise DomainError(f"{counted(len(differences), 'écart')} avec la commande et les réceptions : "
                          "indiquez pourquoi vous les acceptez, ou contestez la facture.", "reason")
    applied = invoice.applied_to if invoice.kind == "credit_note" else None
    if applied is not None:
        _lock_invoice(applied)
        if applied.status not in UNSETTLED:
            raise DomainError(f"La facture {applied.number} n'est plus à régler : l'avoir ne peut pas s'en déduire. "
                              "Choisissez « aucune facture » pour le garder au crédit du compte fournisseur.",
                              "applied_to_id")
        left = balance_of(applied)
        if Decimal(invoice.total_ttc) > left:
            raise DomainError(f"Il ne reste que {money(left)} à payer sur la facture {applied.number} : l'avoir de "
                              f"{money(invoice.total_ttc)} ne peut pas s'en déduire. Choisissez « aucune facture » "
                              "pour le garder au crédit du compte fournisseur.", "applied_to_id")
    invoice.status = "booked"
    invoice.decision_reason = reason
    invoice.booked_at = utcnow()
    db.session.flush()
    if applied is not None:
        _settle(applied)
    if invoice.supplier_return is not None:  # damaged units credited back are no longer expected
        from crm.stocks.purchasing import close_if_settled

        close_if_settled(invoice.supplier_return.order)
    summary = f"{invoice.title} de {invoice.supplier.name} {agree(invoice, 'enregistré')} ({money(invoice.total_ttc)})"
    if invoice.supplier_return is not None:
        summary += f", retour {invoice.supplier_return.number}"
    if applied is not None:
        summary += f", déduit de la facture {applied.number}"
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
                    f"{invoice.title} de {invoice.supplier.name} {agree(invoice, 'contesté')} : {reason}"[:255])


# --- paying ---------------------------------------------------------------------------------

def paid_amount(invoice: SupplierInvoice) -> Decimal:
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(SupplierPayment.amount), 0)).where(
        SupplierPayment.invoice_id == invoice.id)) or 0)


def credited_amount(invoice: SupplierInvoice) -> Decimal:
    """The booked credit notes deducted from this invoice (TTC)."""
    return Decimal(db.session.scalar(select(func.coalesce(func.sum(SupplierInvoice.total_ttc), 0)).where(
        SupplierInvoice.applied_to_id == invoice.id, SupplierInvoice.kind == "credit_note",
        SupplierInvoice.status.in_(BOOKED))) or 0)


def balance_of(invoice: SupplierInvoice) -> Decimal:
    """What remains to pay on an invoice: total TTC less payments less the credit notes deducted from it.
    A credit note has nothing to pay (0)."""
    if invoice.kind != "invoice":
        return ZERO
    return Decimal(invoice.total_ttc) - paid_amount(invoice) - credited_amount(invoice)


def _lock_invoice(invoice: SupplierInvoice) -> None:
    db.session.execute(select(SupplierInvoice).where(SupplierInvoice.id == invoice.id).with_for_update()
                       .execution_options(populate_existing=True))


def _settle(invoice: SupplierInvoice) -> None:
    """An invoice's status from what remains to pay (after a payment or a credit note deducted from it)."""
    left = balance_of(invoice)
    invoice.status = "paid" if left <= 0 else ("partially_paid" if left < invoice.total_ttc else "booked")
    db.session.flush()


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
    _settle(invoice)
    record_activity(db.session.get(Firm, invoice.firm_id), user, "supplier_payment.recorded", payment,
                    f"Règlement de {money(amount)} à {invoice.supplier.name} ({invoice.number})")
    return payment


# --- reading ----------------------------------------------------------------------------------

def supplier_statement(firm: Firm, supplier) -> list[StatementEntry]:
    """The supplier's account as the buyer keeps it: invoices (credit), credit notes and payments (debit).

    Balance: what the firm owes the supplier (negative: the supplier owes the firm). Only booked
    invoices and credit notes enter it; a credit note lowers it whether it is deducted from an
    invoice or kept to the credit of the account.
    """
    entries = []
    for invoice in db.session.scalars(select(SupplierInvoice).where(
            SupplierInvoice.firm_id == firm.id, SupplierInvoice.supplier_id == supplier.id,
            SupplierInvoice.status.in_(BOOKED)).options(
                selectinload(SupplierInvoice.applied_to), selectinload(SupplierInvoice.supplier_return))):
        if invoice.kind == "invoice":
            entries.append(StatementEntry(invoice.issue_date, f"Facture {invoice.number}", ZERO, invoice.total_ttc))
        else:
            label = f"Avoir {invoice.number}"
            if invoice.supplier_return is not None:
                label += f" (retour {invoice.supplier_return.number})"
            if invoice.applied_to is not None:
                label += f", déduit de la facture {invoice.applied_to.number}"
            entries.append(StatementEntry(invoice.issue_date, label, invoice.total_ttc, ZERO))
    for payment in db.session.scalars(select(SupplierPayment).join(SupplierInvoice).where(
            SupplierPayment.firm_id == firm.id, SupplierInvoice.supplier_id == supplier.id)
            .options(selectinload(SupplierPayment.invoice))):
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


def balances(invoices) -> dict[int, Decimal | None]:
    """What remains to pay per invoice (payments and deducted credit notes subtracted); None for a credit note."""
    ids = [invoice.id for invoice in invoices]
    if not ids:
        return {}
    paid = dict(db.session.execute(select(SupplierPayment.invoice_id, func.sum(SupplierPayment.amount))
                                   .where(SupplierPayment.invoice_id.in_(ids))
                                   .group_by(SupplierPayment.invoice_id)).all())
    credited = dict(db.session.execute(
        select(SupplierInvoice.applied_to_id, func.sum(SupplierInvoice.total_ttc))
        .where(SupplierInvoice.applied_to_id.in_(ids), SupplierInvoice.kind == "credit_note",
               SupplierInvoice.status.in_(BOOKED))
        .group_by(SupplierInvoice.applied_to_id)).all())
    return {invoice.id: (Decimal(invoice.total_ttc) - Decimal(paid.get(invoice.id) or 0)
                         - Decimal(credited.get(invoice.id) or 0)) if invoice.kind == "invoice" else None
            for invoice in invoices}


def amount_due(firm: Firm, supplier) -> Decimal:
    """What the firm owes the supplier: the balance of its account (booked invoices less payments and credit notes)."""
    entries = supplier_statement(firm, supplier)
    return entries[-1].balance if entries else ZERO


# --- credit notes and supplier returns ------------------------------------------------------

def returns_to_credit(note: SupplierInvoice, order=None) -> list:
    """The supplier's validated returns a credit note may credit (of `order` if given), newest first."""
    from crm.stocks.models import PurchaseOrder, SupplierReturn

    query = (select(SupplierReturn).join(PurchaseOrder, PurchaseOrder.id == SupplierReturn.order_id)
             .where(SupplierReturn.firm_id == note.firm_id, SupplierReturn.status == "validated",
                    PurchaseOrder.supplier_id == note.supplier_id)
             .order_by(SupplierReturn.returned_on.desc(), SupplierReturn.id.desc()).limit(20))
    if order is not None:
        query = query.where(SupplierReturn.order_id == order.id)
    return list(db.session.scalars(query))


def invoices_to_deduct_from(note: SupplierInvoice) -> list[SupplierInvoice]:
    """The supplier's booked invoices not settled yet: those a credit note may be deducted from."""
    return list(db.session.scalars(select(SupplierInvoice).where(
        SupplierInvoice.firm_id == note.firm_id, SupplierInvoice.supplier_id == note.supplier_id,
        SupplierInvoice.kind == "invoice", SupplierInvoice.status.in_(UNSETTLED))
        .order_by(SupplierInvoice.issue_date.desc(), SupplierInvoice.id.desc()).limit(20)))


def _default_invoice(note: SupplierInvoice, order) -> SupplierInvoice | None:
    """The one unsettled booked invoice of the return's order, if there is exactly one."""
    found = [invoice for invoice in invoices_to_deduct_from(note) if order is not None and invoice.order_id == order.id]
    return found[0] if len(found) == 1 else None


def link_return(note: SupplierInvoice, supplier_return, user: User | None,
                applied_to: SupplierInvoice | None | bool = True) -> None:
    """Match a credit note to the return it credits (its lines to the return's order lines), and choose the
    invoice it is deducted from: an invoice, None (kept to the credit of the account) or True (the order's
    one unsettled invoice, if any)."""
    if note.kind != "credit_note":
        raise DomainError("Seul un avoir se rattache à un bon de retour.", "return_id")
    _check_open(note)
    order = supplier_return.order
    if (supplier_return.firm_id != note.firm_id or order.supplier_id != note.supplier_id
            or supplier_return.is_draft):
        raise DomainError("Choisissez un bon de retour validé, envoyé à ce fournisseur.", "return_id")
    if applied_to is True:
        applied_to = _default_invoice(note, order)
    if applied_to is not None and (applied_to.firm_id != note.firm_id or applied_to.supplier_id != note.supplier_id
                                   or applied_to.kind != "invoice" or applied_to.status not in UNSETTLED):
        raise DomainError("Choisissez une facture de ce fournisseur enregistrée et pas encore soldée.",
                          "applied_to_id")
    note.return_id = supplier_return.id
    note.supplier_return = supplier_return
    note.applied_to_id = applied_to.id if applied_to is not None else None
    note.applied_to = applied_to
    _map_lines(note, order)
    record_activity(db.session.get(Firm, note.firm_id), user, "supplier_invoice.checked", note,
                    f"{note.title} rapproché du bon de retour {supplier_return.number} "
                    f"(commande {order.number})")


def typed_credit_note(firm: Firm, user: User | None, supplier_return, number: str, issue_date: date | None,
                      lines: list[TypedLine]) -> SupplierInvoice:
    """A paper credit note typed from the return it credits: per order line, the quantity and unit price credited."""
    number = (number or "").strip()
    if not number:
        raise DomainError("Indiquez le numéro de l'avoir du fournisseur.", "number")
    if len(number) > 60:
        raise DomainError("Le numéro tient en 60 caractères au plus.", "number")
    if supplier_return.firm_id != firm.id:
        raise ValueError("return of another firm")
    if supplier_return.is_draft:
        raise DomainError("Validez d'abord le bon de retour : l'avoir crédite un retour validé.")
    if issue_date is None:
        raise DomainError("Indiquez la date de l'avoir.", "issue_date")
    if issue_date < supplier_return.returned_on:
        raise DomainError(f"L'avoir ne peut pas précéder le retour du {supplier_return.returned_on:%d/%m/%Y}.",
                          "issue_date")
    order = supplier_return.order
    _check_unique(firm, order.supplier_id, number)
    order_lines = {line.order_line_id: line.order_line for line in supplier_return.lines}
    note = SupplierInvoice(firm_id=firm.id, kind="credit_note", status="to_check", supplier_id=order.supplier_id,
                           number=number, issue_date=issue_date, order_id=order.id,
                           total_ht=ZERO, total_vat=ZERO, total_ttc=ZERO, created_by_id=user.id if user else None)
    _add_typed_lines(note, order_lines, lines, "Cette ligne n'est pas sur le bon de retour.", "crédité")
    db.session.add(note)
    db.session.flush()
    link_return(note, supplier_return, user)
    return note


def credit_notes_of_returns(return_ids) -> dict[int, list[SupplierInvoice]]:
    """Return id → its credit notes (any status), in one query."""
    ids = list(return_ids)
    if not ids:
        return {}
    result: dict[int, list[SupplierInvoice]] = {}
    for note in db.session.scalars(select(SupplierInvoice).where(SupplierInvoice.return_id.in_(ids))
                                   .order_by(SupplierInvoice.id)):
        result.setdefault(note.return_id, []).append(note)
    return result


def return_credit_status(supplier_return, notes: list[SupplierInvoice]) -> str:
    """draft, awaiting_credit or credited (a booked credit note credits it)."""
    if supplier_return.is_draft:
        return "draft"
    return "credited" if any(note.status in BOOKED for note in notes) else "awaiting_credit"


RETURN_CREDIT_LABELS = {"draft": "Brouillon", "awaiting_credit": "En attente d'avoir", "credited": "Crédité"}
