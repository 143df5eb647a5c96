"""Purchasing services: supplier terms, purchase orders (*commandes fournisseur*) and
goods receipts (*bons de réception*).

A purchase order is a draft until validated: validation numbers it
("purchase_order") and freezes it (service here, triggers in the database);
only its status moves on (validated → partially received → received) as goods
receipts are validated. A goods receipt is numbered ("goods_receipt") and frozen at
validation, which moves the accepted units into stock at the order line's unit
cost, so the CMUP is recomputed.

A supplier return (*bon de retour fournisseur*) sends units back against a validated
order: units found damaged at a reception (they never entered the stock: no move) or
units taken back from the stock (found damaged later: a "supplier_return" exit valued
at the CMUP). Validation numbers it ("supplier_return") and freezes it; the supplier
answers with a credit note (crm.einvoice.purchasing.link_return).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, exists, func, select

from crm.core.clock import business_today
from crm.clients.models import Party
from crm.core.errors import DomainError
from crm.core.formatting import counted, money, plural, with_unit
from crm.core.models import Firm, User, utcnow
from crm.core.numbering import next_number
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.stocks.models import (
    RETURN_SOURCES, GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, StockThreshold,
    SupplierReturn, SupplierReturnLine, SupplierTerms,
)
from crm.core.money import VAT_RATES, VAT_RATES_TEXT, parse_amount, percentage_of, round_cent
from crm.stocks.services import (
    MoveKind, StockAlert, alert_thresholds, allows_negative_stock, compute_alert, keep_alert_point, move_stock,
    stock_alerts,
)
from crm.ventes.models import Product

OPEN_STATUSES = ("validated", "partially_received")


# --- supplier terms ----------------------------------------------------------------

def terms_of(party: Party) -> SupplierTerms | None:
    return db.session.scalar(select(SupplierTerms).where(SupplierTerms.party_id == party.id))


def set_supplier_terms(party: Party, lead_time_days: int | None, minimum_order: Decimal | None) -> SupplierTerms:
    """Save a supplier's lead time and minimum order; recompute the computed alert points using it."""
    if party.kind != "supplier":
        raise DomainError("Délai et minimum de commande ne concernent que les fournisseurs.")
    if lead_time_days is None or lead_time_days < 0:
        raise DomainError("Le délai de livraison doit être un nombre entier de jours, positif ou nul.",
                          "lead_time_days")
    minimum_order = Decimal("0") if minimum_order is None else Decimal(minimum_order)
    if minimum_order < 0:
        raise DomainError("Le minimum de commande ne peut pas être négatif.", "minimum_order")
    terms = terms_of(party)
    if terms is None:
        terms = SupplierTerms(firm_id=party.firm_id, party_id=party.id)
        db.session.add(terms)
    terms.lead_time_days, terms.minimum_order = lead_time_days, round_cent(minimum_order)
    thresholds = db.session.scalars(select(StockThreshold).where(
        StockThreshold.supplier_id == party.id, StockThreshold.alert_mode == "computed")).all()
    for threshold in thresholds:
        alert = compute_alert(threshold.product, threshold.period_days, lead_time_days, threshold.safety).alert
        if alert > threshold.maximum:
            raise DomainError(
                f"Avec ce délai, le stock d'alerte calculé de {threshold.product.reference} serait de {alert}, "
                f"au-dessus de son stock maximum ({threshold.maximum}) : relevez d'abord ce maximum.",
                "lead_time_days")
        threshold.alert, threshold.lead_time_days = alert, lead_time_days
        keep_alert_point(threshold.product, threshold)
    db.session.flush()
    return terms


def supplier_of_firm(firm: Firm, party_id: int | None) -> Party | None:
    """The firm's supplier with this id, or None."""
    if not party_id:
        return None
    return db.session.scalar(select(Party).where(Party.id == party_id, Party.firm_id == firm.id,
                                                 Party.kind == "supplier"))


# --- quantities on order and received ---------------------------------------------

def accepted_by_line(order_line_ids) -> dict[int, int]:
    """Units accepted into stock (delivered less damaged) per order line, on validated receipts."""
    ids = list(order_line_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(GoodsReceiptLine.order_line_id,
               func.sum(GoodsReceiptLine.received - GoodsReceiptLine.damaged))
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
        .where(GoodsReceiptLine.order_line_id.in_(ids), GoodsReceipt.status == "validated")
        .group_by(GoodsReceiptLine.order_line_id)
    ).all()
    return {line_id: int(total or 0) for line_id, total in rows}


# A booked credit note: deducted from an invoice (paid with it) or kept to the account's credit.
BOOKED_CREDIT_STATUSES = ("booked", "partially_paid", "paid")


def _credited(supplier_return):
    """SQL: a booked credit note is linked to the return (found by its return_id index, not by
    reading every supplier invoice of the server)."""
    from crm.einvoice.models import SupplierInvoice  # the purchase side builds on the stock side

    return exists().where(SupplierInvoice.return_id == supplier_return.id, SupplierInvoice.kind == "credit_note",
                          SupplierInvoice.status.in_(BOOKED_CREDIT_STATUSES))


def credited_back_by_line(order_line_ids) -> dict[int, int]:
    """Units damaged at the reception, sent back and credited by the supplier, per order line.

    The supplier credited them instead of delivering them again: they are no longer
    expected. A return counts once a booked credit note is linked to it (as its page says
    « Crédité »); until then a replacement may still come on this order.
    """
    ids = list(order_line_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(SupplierReturnLine.order_line_id, func.sum(SupplierReturnLine.quantity))
        .join(SupplierReturn, SupplierReturn.id == SupplierReturnLine.return_id)
        .where(SupplierReturnLine.order_line_id.in_(ids), SupplierReturnLine.source == "damaged",
               SupplierReturn.status == "validated", _credited(SupplierReturn))
        .group_by(SupplierReturnLine.order_line_id)
    ).all()
    return {line_id: int(total or 0) for line_id, total in rows}


def settled_by_line(order_line_ids) -> dict[int, int]:
    """Units no longer expected per order line: accepted into stock, or credited back (see above)."""
    ids = list(order_line_ids)
    settled = dict(accepted_by_line(ids))
    for line_id, units in credited_back_by_line(ids).items():
        settled[line_id] = settled.get(line_id, 0) + units
    return settled


def close_if_settled(order: PurchaseOrder) -> None:
    """An order whose every unit is accepted or credited back is received (after a credit note is booked)."""
    if order.status in OPEN_STATUSES and not any(remaining_by_line(order).values()):
        order.status = "received"
        db.session.flush()


def on_order(firm: Firm, product_ids=None) -> dict[int, int]:
    """Already on order per product: ordered less accepted or credited back, on validated orders not fully
    received. One statement: each open order line with what settles it (the sums of settled_by_line)."""
    statement = _on_order_statement(every_product=product_ids is None)
    values = {"firm_id": firm.id} | ({} if product_ids is None else {"product_ids": list(product_ids)})
    result: dict[int, int] = defaultdict(int)
    for product_id, expected in db.session.execute(statement, values):
        result[product_id] += max(int(expected), 0)
    return dict(result)


@cache
def _on_order_statement(every_product: bool):
    """Built once per process (it is dearer to build than to run): the firm and products are bound."""
    line = PurchaseOrderLine
    accepted = (select(func.coalesce(func.sum(GoodsReceiptLine.received - GoodsReceiptLine.damaged), 0))
                .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
                .where(GoodsReceiptLine.order_line_id == line.id, GoodsReceipt.status == "validated")
                .scalar_subquery())
    credited = (select(func.coalesce(func.sum(SupplierReturnLine.quantity), 0))
                .join(SupplierReturn, SupplierReturn.id == SupplierReturnLine.return_id)
                .where(SupplierReturnLine.order_line_id == line.id, SupplierReturnLine.source == "damaged",
                       SupplierReturn.status == "validated", _credited(SupplierReturn))
                .scalar_subquery())
    statement = (select(line.product_id, line.quantity - accepted - credited)
                 .join(PurchaseOrder, PurchaseOrder.id == line.order_id)
                 .where(PurchaseOrder.firm_id == bindparam("firm_id"), PurchaseOrder.status.in_(OPEN_STATUSES)))
    if every_product:
        return statement
    return statement.where(line.product_id.in_(bindparam("product_ids", expanding=True)))


def alerts_with_orders(firm: Firm):
    """The alerts page's rows, with "already on order" filled in (the proposal subtracts it)."""
    return _with_orders(firm, stock_alerts(firm))


def alerts_page(firm: Firm, page: int):
    """One page of the alerts (Flask-SQLAlchemy Pagination of StockAlert rows, in reference order)."""
    pagination = db.paginate(alert_thresholds(firm), page=page, error_out=False)
    pagination.items = _with_orders(firm, [StockAlert(t.product, t, on_order=0) for t in pagination.items])
    return pagination


def _with_orders(firm: Firm, alerts: list[StockAlert]) -> list[StockAlert]:
    ordered = on_order(firm, [a.product.id for a in alerts])
    for alert in alerts:
        alert.on_order = ordered.get(alert.product.id, 0)
    return alerts


# --- purchase orders ----------------------------------------------------------------

@dataclass
class VatRow:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass
class OrderTotals:
    """The shape documents/base_document.html prints (a subset of DocumentTotals)."""

    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    vat: list[VatRow] = field(default_factory=list)
    reductions: tuple = ()
    escompte: None = None
    paid: Decimal = Decimal("0")

    @property
    def net_financier(self) -> Decimal:
        return self.total_ht

    @property
    def balance_due(self) -> Decimal:
        return self.total_ttc


def order_totals(order: PurchaseOrder) -> OrderTotals:
    """Total HT = Σ quantity × unit price; VAT per rate on the rate's base, rounded to the cent."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in order.lines:
        bases[Decimal(line.vat_rate)] += line.net
    rows = [VatRow(rate, base, percentage_of(base, rate)) for rate, base in sorted(bases.items(), reverse=True)]
    total_ht = sum((row.base for row in rows), Decimal("0.00"))
    total_vat = sum((row.amount for row in rows), Decimal("0.00"))
    return OrderTotals(total_ht, total_vat, total_ht + total_vat, rows)


def _refresh_totals(order: PurchaseOrder) -> None:
    db.session.flush()
    db.session.refresh(order, ["lines"])
    totals = order_totals(order)
    order.total_ht, order.total_vat, order.total_ttc = totals.total_ht, totals.total_vat, totals.total_ttc
    db.session.flush()


def _check_draft(order: PurchaseOrder) -> None:
    if not order.is_draft:
        raise DomainError(f"La commande {order.number} est validée : elle est figée et ne peut plus être modifiée.")


def create_order(firm: Firm, user: User | None, supplier: Party, order_date: date, notes: str = "",
                 from_alerts: bool = False) -> PurchaseOrder:
    if supplier.firm_id != firm.id:
        raise ValueError("supplier of another firm")
    if supplier.kind != "supplier":
        raise DomainError("Choisissez un fournisseur (un tiers de type « fournisseur »).", "supplier_id")
    order = PurchaseOrder(firm_id=firm.id, supplier_id=supplier.id, order_date=order_date or business_today(firm),
                          notes=(notes or "").strip()[:255], status="draft", from_alerts=from_alerts,
                          author_id=user.id if user else None)
    db.session.add(order)
    db.session.flush()
    return order


def set_order_line(order: PurchaseOrder, product: Product, quantity: int, unit_price: Decimal | None = None,
                   vat_rate: Decimal | None = None) -> PurchaseOrderLine:
    """Add a product to a draft order, or change its line if the product is already there."""
    _check_draft(order)
    if product.firm_id != order.firm_id:
        raise ValueError("product of another firm")
    if not product.stock_tracked:
        raise DomainError(f"L'article {product.reference} n'est pas suivi en stock : il ne se commande pas ici.",
                          "product_id")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
        raise DomainError("La quantité commandée doit être un nombre entier d'au moins 1.", "quantity")
    unit_price = parse_amount(product.purchase_price if unit_price is None else unit_price, "unit_price",
                              "Le prix d'achat unitaire HT")
    vat_rate = product.vat_rate if vat_rate is None else Decimal(vat_rate)
    if vat_rate not in VAT_RATES:
        raise DomainError(f"Choisissez un taux de TVA en vigueur ({VAT_RATES_TEXT}).", "vat_rate")
    line = next((item for item in order.lines if item.product_id == product.id), None)
    if line is None:
        line = PurchaseOrderLine(firm_id=order.firm_id, product_id=product.id)
        order.lines.append(line)
    line.quantity, line.unit_price, line.vat_rate = quantity, unit_price, vat_rate
    _refresh_totals(order)
    return line


def remove_order_line(order: PurchaseOrder, line: PurchaseOrderLine) -> None:
    _check_draft(order)
    if line.order_id != order.id:
        raise DomainError("Cette ligne n'appartient pas à la commande.")
    order.lines.remove(line)
    _refresh_totals(order)


def delete_order(order: PurchaseOrder) -> None:
    _check_draft(order)
    db.session.delete(order)
    db.session.flush()


def minimum_shortfall(order: PurchaseOrder) -> str | None:
    """A French message when the order's total HT is under the supplier's minimum order, else None."""
    terms = terms_of(order.supplier)
    if terms is None or not terms.minimum_order or order.total_ht >= terms.minimum_order:
        return None
    return (f"Le minimum de commande de {order.supplier.name} est de {money(terms.minimum_order)} HT ; "
            f"cette commande fait {money(order.total_ht)} HT : complétez-la avant de la valider.")


def _lock(model, row) -> None:
    """Lock the row until the commit (PostgreSQL; SQLite's write transaction already serialises)
    and read it afresh: two validations at the same moment run one after the other."""
    db.session.execute(select(model).where(model.id == row.id).with_for_update()
                       .execution_options(populate_existing=True))


def validate_order(firm: Firm, user: User | None, order: PurchaseOrder) -> PurchaseOrder:
    """Number the order and freeze it; refused when empty or under the supplier's minimum order."""
    _lock(PurchaseOrder, order)
    _check_draft(order)
    if not order.lines:
        raise DomainError("Ajoutez au moins une ligne avant de valider la commande.")
    _refresh_totals(order)
    shortfall = minimum_shortfall(order)
    if shortfall:
        raise DomainError(f"Commande refusée. {shortfall}")
    order.number = next_number(firm, "purchase_order", order.order_date).text
    order.status = "validated"
    order.validated_at = utcnow()
    db.session.flush()
    record_activity(firm, user, "stock.purchase_ordered", order,
                    f"Commande fournisseur {order.number} validée : {order.supplier.name}, "
                    f"{money(order.total_ht)} HT")
    if order.from_alerts:
        references = ", ".join(line.product.reference for line in order.lines)
        record_activity(firm, user, "stock.alert_answered", order,
                        f"Alerte de stock traitée par la commande {order.number} : {references}")
    return order


@dataclass
class ProposalResult:
    orders: list[PurchaseOrder]
    without_supplier: list[Product]
    warnings: list[str]


def orders_from_proposals(firm: Firm, user: User | None, order_date: date | None = None) -> ProposalResult:
    """One draft per preferred supplier with the proposed quantities (up to the maximum, less on order).

    A draft already made from the alerts for that supplier is updated instead of duplicated.
    Products with no preferred supplier are left out and reported. An order under the
    supplier's minimum is not a refusal: it is the intended draft, flagged so the trainee
    completes it; the rule holds at validation, which refuses it until the minimum is reached.
    """
    alerts = [a for a in alerts_with_orders(firm) if a.proposed > 0]
    by_supplier: dict[int, list] = defaultdict(list)
    without = []
    for alert in alerts:
        if alert.threshold.supplier_id:
            by_supplier[alert.threshold.supplier_id].append(alert)
        else:
            without.append(alert.product)
    if not alerts:
        raise DomainError("Aucune quantité à commander : aucune alerte ne demande de réapprovisionnement.")
    orders, warnings = [], []
    for supplier_id, rows in by_supplier.items():
        supplier = db.session.get(Party, supplier_id)
        order = db.session.scalar(select(PurchaseOrder).where(
            PurchaseOrder.firm_id == firm.id, PurchaseOrder.supplier_id == supplier_id,
            PurchaseOrder.status == "draft", PurchaseOrder.from_alerts.is_(True)).order_by(PurchaseOrder.id))
        if order is None:
            order = create_order(firm, user, supplier, order_date or business_today(firm),
                                 notes="Réapprovisionnement sur alertes de stock", from_alerts=True)
        for alert in rows:
            set_order_line(order, alert.product, alert.proposed)
        orders.append(order)
        shortfall = minimum_shortfall(order)
        if shortfall:
            warnings.append(f"Brouillon préparé, à compléter : {shortfall}")
    return ProposalResult(orders, without, warnings)


# --- goods receipts -------------------------------------------------------------

@dataclass
class ReceiptLineInput:
    received: int
    damaged: int = 0
    extra: bool = False
    note: str = ""


def remaining_by_line(order: PurchaseOrder, exclude: GoodsReceipt | None = None) -> dict[int, int]:
    """Units still expected per order line: ordered less accepted on validated receipts and credited back."""
    settled = settled_by_line(line.id for line in order.lines)
    return {line.id: max(line.quantity - settled.get(line.id, 0), 0) for line in order.lines}


def _check_receipt_lines(order: PurchaseOrder, values: dict[int, ReceiptLineInput]) -> None:
    lines = {line.id: line for line in order.lines}
    remaining = remaining_by_line(order)
    for line_id, value in values.items():
        if line_id not in lines:
            raise DomainError("Cette ligne n'appartient pas à la commande.")
        reference = lines[line_id].product.reference
        if value.received is None or value.received < 0:
            raise DomainError(f"{reference} : la quantité reçue doit être un nombre entier positif ou nul.")
        if value.damaged is None or value.damaged < 0:
            raise DomainError(f"{reference} : la quantité abîmée doit être un nombre entier positif ou nul.")
        if value.damaged > value.received:
            raise DomainError(f"{reference} : il ne peut pas y avoir plus d'unités abîmées ({value.damaged}) "
                              f"que d'unités reçues ({value.received}).")
        if value.received > remaining[line_id] and not value.extra:
            raise DomainError(
                f"{reference} : {value.received} {plural(value.received, 'reçu')} pour {remaining[line_id]} "
                f"{plural(remaining[line_id], 'attendu')}. Réception "
                "refusée : cochez « En plus » pour accepter l'excédent livré, ou corrigez la quantité.")
        if (value.damaged or value.extra) and not (value.note or "").strip():
            raise DomainError(f"{reference} : décrivez l'écart (abîmé ou en plus) dans la remarque de la ligne.")
    if not any(value.received for value in values.values()):
        raise DomainError("Saisissez au moins une quantité reçue.")


def create_receipt(firm: Firm, user: User | None, order: PurchaseOrder, received_on: date,
                   values: dict[int, ReceiptLineInput], delivery_note: str = "", note: str = "") -> GoodsReceipt:
    """A draft goods receipt against a validated order, with what arrived per order line."""
    if order.firm_id != firm.id:
        raise ValueError("order of another firm")
    if order.status not in OPEN_STATUSES:
        raise DomainError("Seule une commande validée et pas encore entièrement reçue peut être réceptionnée.")
    _check_receipt_lines(order, values)
    receipt = GoodsReceipt(firm_id=firm.id, order_id=order.id, received_on=received_on or business_today(firm),
                           delivery_note=(delivery_note or "").strip()[:80], note=(note or "").strip()[:255],
                           status="draft", author_id=user.id if user else None)
    for line_id, value in values.items():
        receipt.lines.append(GoodsReceiptLine(
            firm_id=firm.id, order_line_id=line_id, received=value.received, damaged=value.damaged,
            extra=bool(value.extra), note=(value.note or "").strip()[:255]))
    db.session.add(receipt)
    db.session.flush()
    return receipt


def delete_receipt(receipt: GoodsReceipt) -> None:
    if not receipt.is_draft:
        raise DomainError(f"Le bon de réception {receipt.number} est validé : il est figé.")
    db.session.delete(receipt)
    db.session.flush()


def validate_receipt(firm: Firm, user: User | None, receipt: GoodsReceipt) -> GoodsReceipt:
    """Number the receipt, move the accepted units into stock, update the order's status, freeze it."""
    # The order's row lock makes concurrent receipts of one order check what remains one after the other.
    _lock(PurchaseOrder, receipt.order)
    _lock(GoodsReceipt, receipt)
    if not receipt.is_draft:
        raise DomainError(f"Le bon de réception {receipt.number} est déjà validé : il est figé.")
    order = receipt.order
    if order.status not in OPEN_STATUSES:
        raise DomainError("Cette commande est déjà entièrement reçue.")
    # Checked again: another receipt may have been validated since this draft was written.
    values = {line.order_line_id: ReceiptLineInput(line.received, line.damaged, line.extra, line.note)
              for line in receipt.lines}
    _check_receipt_lines(order, values)
    remaining = remaining_by_line(order)
    for line in receipt.lines:  # written before the number: the numbered receipt's lines are frozen
        line.expected = remaining[line.order_line_id]
    db.session.flush()
    receipt.number = next_number(firm, "goods_receipt", receipt.received_on).text
    receipt.status = "validated"
    receipt.validated_at = utcnow()
    db.session.flush()
    for line in receipt.lines:
        if line.accepted > 0:
            order_line = line.order_line
            move_stock(firm, user, order_line.product, line.accepted, MoveKind.RECEPTION,
                       unit_cost=order_line.unit_price, source=f"{receipt.number} ({order.number})",
                       note=line.note, moved_on=receipt.received_on)
    remaining = remaining_by_line(order)
    if all(value == 0 for value in remaining.values()):
        order.status = "received"
    elif any(line.accepted for line in receipt.lines) or order.status == "partially_received":
        order.status = "partially_received"
    db.session.flush()
    units = sum(line.accepted for line in receipt.lines)
    record_activity(
        firm,
        user,
        "stock.goods_received",
        receipt,
        f"Réception {receipt.number} sur la commande {order.number} : "
        f"{counted(units, 'unité entrée', 'unités entrées')}",
    )
    return receipt


def receipt_discrepancies(line: GoodsReceiptLine) -> list[str]:
    """The discrepancies of a receipt line, in French (missing, damaged, extra)."""
    expected = line.expected
    if expected is None:
        expected = remaining_by_line(line.receipt.order).get(line.order_line_id, 0)
    found = []
    if line.received < expected:
        found.append(f"{expected - line.received} {plural(expected - line.received, 'manquant')}")
    if line.damaged:
        found.append(f"{line.damaged} {plural(line.damaged, 'abîmé')}")
    if line.received > expected:
        found.append(f"{line.received - expected} en plus")
    return found


# --- returns to the supplier ------------------------------------------------------

@dataclass
class Returnable:
    """What may still be sent back of one order line."""

    order_line: PurchaseOrderLine
    damaged: int  # damaged at the reception(s), not returned yet
    from_stock: int  # accepted into stock, not returned yet (the stock on hand caps it at validation)

    @property
    def on_hand(self) -> int:
        return self.order_line.product.on_hand


def _damaged_by_line(order: PurchaseOrder, receipt: GoodsReceipt | None = None) -> dict[int, int]:
    query = (select(GoodsReceiptLine.order_line_id, func.sum(GoodsReceiptLine.damaged))
             .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
             .where(GoodsReceipt.order_id == order.id, GoodsReceipt.status == "validated")
             .group_by(GoodsReceiptLine.order_line_id))
    if receipt is not None:
        query = query.where(GoodsReceipt.id == receipt.id)
    return {line_id: int(total or 0) for line_id, total in db.session.execute(query).all()}


def returned_by_line(order: PurchaseOrder, source: str, receipt: GoodsReceipt | None = None) -> dict[int, int]:
    """Units of each order line sent back on validated returns (from `source`; of one receipt if given)."""
    query = (select(SupplierReturnLine.order_line_id, func.sum(SupplierReturnLine.quantity))
             .join(SupplierReturn, SupplierReturn.id == SupplierReturnLine.return_id)
             .where(SupplierReturn.order_id == order.id, SupplierReturn.status == "validated",
                    SupplierReturnLine.source == source)
             .group_by(SupplierReturnLine.order_line_id))
    if receipt is not None:
        query = query.where(SupplierReturn.receipt_id == receipt.id)
    return {line_id: int(total or 0) for line_id, total in db.session.execute(query).all()}


def returnable_by_line(order: PurchaseOrder, receipt: GoodsReceipt | None = None) -> dict[int, Returnable]:
    """Per order line: damaged units not yet returned (of the receipt if given, never more than the
    order's), and units accepted into stock not yet returned."""
    damaged = _damaged_by_line(order)
    returned_damaged = returned_by_line(order, "damaged")
    accepted = accepted_by_line(line.id for line in order.lines)
    returned_stock = returned_by_line(order, "stock")
    if receipt is not None:
        damaged_here = _damaged_by_line(order, receipt)
        returned_here = returned_by_line(order, "damaged", receipt)
    result = {}
    for line in order.lines:
        left = damaged.get(line.id, 0) - returned_damaged.get(line.id, 0)
        if receipt is not None:
            left = min(left, damaged_here.get(line.id, 0) - returned_here.get(line.id, 0))
        result[line.id] = Returnable(line, max(left, 0),
                                     max(accepted.get(line.id, 0) - returned_stock.get(line.id, 0), 0))
    return result


def _check_return_lines(firm: Firm, order: PurchaseOrder, receipt: GoodsReceipt | None,
                        values: dict[tuple[int, str], int]) -> None:
    returnable = returnable_by_line(order, receipt)
    negative_allowed = allows_negative_stock(firm)
    for (line_id, source), quantity in values.items():
        if line_id not in returnable or source not in RETURN_SOURCES:
            raise DomainError("Cette ligne n'appartient pas à la commande.")
        line = returnable[line_id]
        reference = line.order_line.product.reference
        if quantity is None or not isinstance(quantity, int) or quantity < 0:
            raise DomainError(f"{reference} : la quantité retournée doit être un nombre entier positif ou nul.")
        if not quantity:
            continue
        if source == "damaged" and quantity > line.damaged:
            where = f"à la réception {receipt.number}" if receipt is not None else "aux réceptions"
            raise DomainError(
                f"{reference} : {quantity} {plural(quantity, 'unité abîmée', 'unités abîmées')} à retourner, mais "
                f"{counted(line.damaged, 'unité abîmée', 'unités abîmées')} {where} et pas encore "
                f"{plural(line.damaged, 'retournée')}. Retour refusé : corrigez la quantité.")
        if source == "stock":
            if quantity > line.from_stock:
                raise DomainError(
                    f"{reference} : {quantity} {plural(quantity, 'unité')} à reprendre du stock, mais "
                    f"{counted(line.from_stock, 'unité acceptée', 'unités acceptées')} sur cette commande et pas "
                    f"encore {plural(line.from_stock, 'retournée')}. Retour refusé : corrigez la quantité.")
            if quantity > line.on_hand and not negative_allowed:
                raise DomainError(
                    f"{reference} : {quantity} {plural(quantity, 'unité')} à reprendre du stock, mais "
                    f"{with_unit(line.on_hand, line.order_line.product.unit)} en stock. Retour refusé.")
    if not any(values.values()):
        raise DomainError("Saisissez au moins une quantité à retourner.")


def create_return(firm: Firm, user: User | None, order: PurchaseOrder, receipt: GoodsReceipt | None,
                  returned_on: date | None, reason: str, values: dict[tuple[int, str], int]) -> SupplierReturn:
    """A draft return: per (order line id, source) the units sent back; `reason` says why (required)."""
    if order.firm_id != firm.id or (receipt is not None and receipt.firm_id != firm.id):
        raise ValueError("order or receipt of another firm")
    if order.is_draft:
        raise DomainError("Un retour se fait sur une commande validée.")
    if receipt is not None and (receipt.order_id != order.id or receipt.is_draft):
        raise DomainError("Un retour se fait depuis un bon de réception validé de la commande.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Indiquez le motif du retour (casse, défaut, erreur de livraison…).", "reason")
    if len(reason) > 255:
        raise DomainError("Le motif tient en 255 caractères au plus.", "reason")
    returned_on = returned_on or business_today(firm)
    first_receipt = receipt.received_on if receipt is not None else min(
        (r.received_on for r in order.receipts if not r.is_draft), default=None)
    if first_receipt is not None and returned_on < first_receipt:
        raise DomainError(f"Un retour ne peut pas précéder la réception du {first_receipt:%d/%m/%Y}.", "returned_on")
    _check_return_lines(firm, order, receipt, values)
    supplier_return = SupplierReturn(firm_id=firm.id, order_id=order.id, receipt_id=receipt.id if receipt else None,
                                     returned_on=returned_on, reason=reason, status="draft",
                                     author_id=user.id if user else None)
    for (line_id, source), quantity in sorted(values.items()):
        if quantity:
            supplier_return.lines.append(SupplierReturnLine(firm_id=firm.id, order_line_id=line_id, source=source,
                                                            quantity=quantity))
    db.session.add(supplier_return)
    db.session.flush()
    return supplier_return


def delete_return(supplier_return: SupplierReturn) -> None:
    if not supplier_return.is_draft:
        raise DomainError(f"Le bon de retour {supplier_return.number} est validé : il est figé.")
    db.session.delete(supplier_return)
    db.session.flush()


def validate_return(firm: Firm, user: User | None, supplier_return: SupplierReturn) -> SupplierReturn:
    """Number the return, take the units returned from stock out of it (at the CMUP), freeze it."""
    _lock(PurchaseOrder, supplier_return.order)
    _lock(SupplierReturn, supplier_return)
    if not supplier_return.is_draft:
        raise DomainError(f"Le bon de retour {supplier_return.number} est déjà validé : il est figé.")
    order = supplier_return.order
    # Checked again: another return may have been validated since this draft was written.
    _check_return_lines(firm, order, supplier_return.receipt,
                        {(line.order_line_id, line.source): line.quantity for line in supplier_return.lines})
    number = next_number(firm, "supplier_return", supplier_return.returned_on).text
    for line in supplier_return.lines:  # written before the number: the numbered return's lines are frozen
        if line.source == "stock":
            move = move_stock(firm, user, line.order_line.product, -line.quantity, MoveKind.SUPPLIER_RETURN,
                              source=f"{number} ({order.number})", note=supplier_return.reason,
                              moved_on=supplier_return.returned_on)
            line.unit_cost = move.unit_cost if move is not None else None
    db.session.flush()
    supplier_return.number = number
    supplier_return.status = "validated"
    supplier_return.validated_at = utcnow()
    db.session.flush()
    units = sum(line.quantity for line in supplier_return.lines)
    record_activity(firm, user, "stock.supplier_returned", supplier_return,
                    f"Retour {number} à {order.supplier.name} sur la commande {order.number} : "
                    f"{counted(units, 'unité retournée', 'unités retournées')} ({supplier_return.reason})")
    return supplier_return
