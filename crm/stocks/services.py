"""Stock services: the ledger (move_stock), CMUP, thresholds, alerts, inventories.

`move_stock` is the one way to change a product's on-hand quantity: the sales
package calls it for deliveries, customer returns and counter sales.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import Boolean, bindparam, func, or_, select, true, update
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.sql.elements import BindParameter

from crm.core.tenancy import manages_firm
from crm.core.formatting import counted, with_unit
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.database import memo_while_reading
from crm.core.firm_settings import get_firm_settings, update_firm_settings
from crm.core.models import Firm, User, utcnow
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.stocks.models import (
    MoveKind, StockCount, StockCountLine, StockMove, StockThreshold, SupplierTerms,
)
from crm.core.money import round_cent, round_places
from crm.ventes.models import Product


# --- settings -----------------------------------------------------------------

def allows_negative_stock(firm: Firm) -> bool:
    """The per-firm setting, kept with the firm's other settings (crm.core.firm_settings)."""
    return get_firm_settings(firm).allow_negative_stock


def set_allow_negative_stock(firm: Firm, user: User, allowed: bool) -> None:
    """A firm-wide rule: only the teacher or the firm's *responsable* may change it."""
    if not manages_firm(user, firm):
        raise DomainError("Seul le professeur ou l'élève au poste de responsable peut changer ce paramètre "
                          "de l'entreprise.")
    update_firm_settings(firm, allow_negative_stock=allowed)


# --- the ledger -----------------------------------------------------------------

def move_stock(
    firm: Firm,
    user: User | None,
    product: Product,
    quantity: int,
    kind: str | MoveKind,
    unit_cost: Decimal | None = None,
    source: str = "",
    note: str = "",
    moved_on: date | None = None,
) -> StockMove | None:
    """Record one move and change the product's on-hand in the same transaction.

    `quantity` is signed: positive enters the stock, negative leaves it. The
    on-hand changes only by an atomic UPDATE that refuses to go below zero
    (unless the firm allows negative stock), so concurrent sales of the last
    units can never both succeed. A reception recomputes the CMUP; every other
    move is valued at the current CMUP. Raises DomainError on refusal.
    A product not tracked in stock (a service) has no stock to move: None is returned.
    """
    kind = MoveKind(kind)
    if product.firm_id != firm.id:
        raise ValueError("product of another firm")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity == 0:
        raise DomainError("La quantité doit être un nombre entier différent de zéro.", "quantity")
    if kind.sign and (quantity > 0) != (kind.sign > 0):
        direction = "une entrée (quantité positive)" if kind.sign > 0 else "une sortie (quantité négative)"
        raise DomainError(f"Un mouvement « {kind.label} » est {direction}.", "quantity")
    if not product.stock_tracked:
        return None
    if kind is MoveKind.RECEPTION:
        unit_cost = product.purchase_price if unit_cost is None else Decimal(unit_cost)
        if unit_cost < 0:
            raise DomainError("Le coût unitaire ne peut pas être négatif.", "unit_cost")
    moved_on = moved_on or business_today(firm)
    source, note = (source or "").strip(), (note or "").strip()
    last_day = db.session.scalar(select(func.max(StockMove.moved_on)).where(StockMove.product_id == product.id))
    if last_day is not None and moved_on < last_day:
        raise DomainError(
            f"Le dernier mouvement de cet article est daté du {last_day:%d/%m/%Y} : "
            "un nouveau mouvement ne peut pas être antérieur.", "moved_on")

    allow_negative = allows_negative_stock(firm)
    # The atomic update: the check and the change are one statement, under the row lock.
    new_on_hand = db.session.execute(
        update(Product)
        .where(Product.id == product.id, Product.firm_id == firm.id,
               or_(Product.on_hand + quantity >= 0, bindparam("allow_negative", allow_negative, Boolean)))
        .values(on_hand=Product.on_hand + quantity)
        .returning(Product.on_hand)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if new_on_hand is None:
        on_hand = db.session.scalar(select(Product.on_hand).where(Product.id == product.id))
        raise DomainError(
            f"Stock insuffisant pour {product.reference} : {with_unit(on_hand, product.unit)} en stock, "
            f"sortie de {-quantity} refusée.", "quantity")

    # We now hold the product row (row lock on PostgreSQL, the write lock on SQLite):
    # its CMUP cannot change under us until the commit.
    cmup = db.session.scalar(select(Product.average_cost).where(Product.id == product.id))
    if kind is MoveKind.RECEPTION:
        previous = max(new_on_hand - quantity, 0)
        total = previous + quantity
        cmup = round_cent((previous * cmup + quantity * unit_cost) / total) if total > 0 else round_cent(unit_cost)
        db.session.execute(
            update(Product).where(Product.id == product.id).values(average_cost=cmup)
            .execution_options(synchronize_session=False)
        )
    else:
        unit_cost = cmup
    db.session.expire(product, ["on_hand", "average_cost"])
    move = StockMove(
        firm_id=firm.id, product_id=product.id, kind=kind.value, quantity=quantity,
        unit_cost=round_cent(Decimal(unit_cost)), moved_on=moved_on, source=source[:80],
        note=note[:255], author_id=user.id if user else None,
        on_hand_after=new_on_hand, average_cost_after=cmup,
    )
    db.session.add(move)
    db.session.flush()
    return move


def record_manual_move(firm: Firm, user: User | None, product: Product, kind: str, quantity: int,
                       unit_cost: Decimal | None, source: str, note: str,
                       answers_alert: bool = False) -> StockMove:
    """The magasinier's form: a reception without order, or a breakage/loss (quantity typed positive)."""
    kind = MoveKind(kind)
    if kind not in (MoveKind.RECEPTION, MoveKind.LOSS):
        raise DomainError("Seules une réception ou une casse/perte se saisissent ici.", "kind")
    if quantity is None or quantity <= 0:
        raise DomainError("Saisissez une quantité positive.", "quantity")
    note = (note or "").strip()
    if kind is MoveKind.LOSS and not note:
        raise DomainError("Indiquez la cause de la casse ou de la perte.", "note")
    if not product.stock_tracked:
        raise DomainError(f"L'article {product.reference} n'est pas suivi en stock.", "product_id")
    signed = quantity if kind is MoveKind.RECEPTION else -quantity
    move = move_stock(firm, user, product, signed, kind, unit_cost=unit_cost, source=source, note=note)
    if kind is MoveKind.RECEPTION:
        record_activity(firm, user, "stock.goods_received", move,
                        f"Réception de {with_unit(quantity, product.unit)} de {product.reference}")
        if answers_alert:
            record_activity(firm, user, "stock.alert_answered", move,
                            f"Alerte de stock traitée : {product.reference}")
    else:
        record_activity(firm, user, "stock.loss_recorded", move,
                        f"Casse/perte de {with_unit(quantity, product.unit)} de {product.reference}")
    return move


# --- thresholds and alerts --------------------------------------------------------

@dataclass
class AlertComputation:
    """alert = average daily consumption × lead time + safety stock, rounded up to a unit."""

    period_days: int
    lead_time_days: int
    safety: int
    consumption: int
    daily: Decimal
    alert: int

    @property
    def explanation(self) -> str:
        daily = format(self.daily, "f").replace(".", ",")
        return (
            f"Consommation sur {self.period_days} jours : {self.consumption} ; "
            f"consommation moyenne journalière : {self.consumption} ÷ {self.period_days} = {daily} ; "
            f"stock d'alerte = {daily} × {self.lead_time_days} j de délai + {self.safety} de sécurité "
            f"= {self.alert} (arrondi à l'unité supérieure)."
        )


def consumption(product: Product, period_days: int, today: date | None = None) -> int:
    """Units sold (deliveries and counter sales, less customer returns) over the last `period_days`."""
    today = today or business_today(product.firm_id)
    start = today - timedelta(days=period_days - 1)
    total = db.session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0)).where(
            StockMove.product_id == product.id,
            StockMove.kind.in_(("delivery", "counter_sale", "customer_return")),
            StockMove.moved_on >= start, StockMove.moved_on <= today,
        )
    )
    return max(-int(total), 0)


def compute_alert(product: Product, period_days: int, lead_time_days: int, safety: int,
                  today: date | None = None) -> AlertComputation:
    used = consumption(product, period_days, today)
    daily = round_places(Decimal(used) / Decimal(period_days), 2)
    exact = Decimal(used) * lead_time_days / Decimal(period_days)
    alert = math.ceil(exact) + safety
    return AlertComputation(period_days, lead_time_days, safety, used, daily, alert)


def threshold_of(product: Product) -> StockThreshold | None:
    return db.session.scalar(select(StockThreshold).where(StockThreshold.product_id == product.id))


def set_thresholds(product: Product, minimum: int, safety: int, maximum: int, alert_mode: str,
                   alert: int | None = None, period_days: int | None = None,
                   lead_time_days: int | None = None, today: date | None = None,
                   supplier_id: int | None = None) -> StockThreshold:
    """Save the four levels; a computed alert point comes from compute_alert().

    With a preferred supplier whose lead time is known (SupplierTerms), a computed alert
    point uses that lead time, whatever was typed.
    """
    supplier_lead_time = None
    if supplier_id:
        from crm.clients.models import Party

        supplier = db.session.scalar(select(Party).where(Party.id == supplier_id, Party.firm_id == product.firm_id,
                                                         Party.kind == "supplier"))
        if supplier is None:
            raise DomainError("Choisissez un fournisseur de l'entreprise.", "supplier_id")
        supplier_lead_time = db.session.scalar(
            select(SupplierTerms.lead_time_days).where(SupplierTerms.party_id == supplier.id))
    for name, label, value in (("minimum", "stock minimum", minimum), ("safety", "stock de sécurité", safety),
                               ("maximum", "stock maximum", maximum)):
        if value is None or value < 0:
            raise DomainError(f"Le {label} doit être un nombre entier positif ou nul.", name)
    if alert_mode == "computed":
        if supplier_lead_time is not None:
            lead_time_days = supplier_lead_time
        if not period_days or period_days <= 0:
            raise DomainError("Indiquez la période d'observation, en jours (au moins 1).", "period_days")
        if lead_time_days is None or lead_time_days < 0:
            raise DomainError("Indiquez le délai de livraison du fournisseur, en jours.", "lead_time_days")
        alert = compute_alert(product, period_days, lead_time_days, safety, today).alert
    elif alert_mode == "typed":
        if alert is None or alert < 0:
            raise DomainError("Le stock d'alerte doit être un nombre entier positif ou nul.", "alert")
        period_days = lead_time_days = None
    else:
        raise DomainError("Choisissez comment fixer le stock d'alerte.", "alert_mode")
    if maximum < minimum:
        raise DomainError("Le stock maximum ne peut pas être inférieur au stock minimum.", "maximum")
    if alert < safety:
        raise DomainError("Le stock d'alerte ne peut pas être inférieur au stock de sécurité.", "alert")
    if maximum < alert:
        raise DomainError(f"Le stock maximum ({maximum}) ne peut pas être inférieur au stock d'alerte ({alert}).",
                          "maximum")
    threshold = threshold_of(product)
    if threshold is None:
        threshold = StockThreshold(firm_id=product.firm_id, product_id=product.id)
        db.session.add(threshold)
    threshold.minimum, threshold.safety, threshold.alert, threshold.maximum = minimum, safety, alert, maximum
    threshold.alert_mode, threshold.period_days, threshold.lead_time_days = alert_mode, period_days, lead_time_days
    threshold.supplier_id = supplier_id or None
    keep_alert_point(product, threshold)
    db.session.flush()
    return threshold


def keep_alert_point(product: Product, threshold: StockThreshold) -> None:
    """After a threshold's levels change: the product is in alert at or under the greater of them."""
    product.alert_point = max(threshold.alert, threshold.minimum)


@dataclass
class StockAlert:
    product: Product
    threshold: StockThreshold
    on_order: int

    @property
    def under_minimum(self) -> bool:
        return self.product.on_hand <= self.threshold.minimum

    @property
    def proposed(self) -> int:
        """Reorder up to the maximum, less what is already on order."""
        return max(self.threshold.maximum - self.product.on_hand - self.on_order, 0)


def _in_alert(firm: Firm | BindParameter) -> tuple:
    """Active stock-tracked products at or under their alert point or minimum (Product.alert_point)."""
    # `= true`, not `IS TRUE`: PostgreSQL then answers the count from the index alone.
    firm_id = firm if isinstance(firm, BindParameter) else firm.id
    return (Product.firm_id == firm_id, Product.active == true(), Product.stock_tracked == true(),
            Product.on_hand <= Product.alert_point)


def _alert_query(firm: Firm):
    return (
        select(Product, StockThreshold)
        .join(StockThreshold, StockThreshold.product_id == Product.id)
        .where(*_in_alert(firm))
    )


def stock_alerts(firm: Firm) -> list[StockAlert]:
    """Products at or under their alert point or minimum (on order: 0 until purchase orders exist)."""
    rows = db.session.execute(_alert_query(firm).order_by(Product.reference)
                              .options(selectinload(StockThreshold.supplier))).all()
    return [StockAlert(product, threshold, on_order=0) for product, threshold in rows]


def alert_thresholds(firm: Firm):
    """The thresholds reached, with their product and supplier loaded, in reference order (a query)."""
    return (
        select(StockThreshold).join(Product, StockThreshold.product_id == Product.id)
        .where(*_in_alert(firm))
        .options(contains_eager(StockThreshold.product), selectinload(StockThreshold.supplier))
        .order_by(Product.reference, Product.id)
    )


def stock_alert_count(firm: Firm) -> int:
    """How many products are in alert: read from the partial index ix_product_in_alert alone."""
    return memo_while_reading(  # the menu's badge and the stock pages ask: once per page
        ("stock_alert_count", firm.id), lambda: db.session.scalar(_alert_count_statement(), {"firm_id": firm.id}))


@cache
def _alert_count_statement():
    """Built once per process: every page's menu runs it."""
    return select(func.count()).select_from(Product).where(*_in_alert(bindparam("firm_id")))


# --- inventories ------------------------------------------------------------------

def create_count(firm: Firm, user: User | None, label: str, counted_on: date,
                 family_id: int | None = None) -> StockCount:
    """A draft inventory listing every active stock-tracked product (of one family, if given)."""
    query = select(Product).where(Product.firm_id == firm.id, Product.active.is_(True),
                                  Product.stock_tracked.is_(True)).order_by(Product.reference)
    if family_id:
        query = query.where(Product.family_id == family_id)
    products = db.session.scalars(query).all()
    if not products:
        raise DomainError("Aucun article suivi en stock à compter.", "family_id")
    count = StockCount(firm_id=firm.id, label=label, counted_on=counted_on,
                       author_id=user.id if user else None, status="draft")
    count.lines = [StockCountLine(firm_id=firm.id, product_id=p.id) for p in products]
    db.session.add(count)
    db.session.flush()
    return count


def _check_draft(count: StockCount) -> None:
    if count.is_validated:
        raise DomainError("Cet inventaire est validé : il est figé et ne peut plus être modifié.")


def enter_counts(count: StockCount, counted: dict[int, int | None]) -> None:
    """Record counted quantities by line id (None clears a line)."""
    _check_draft(count)
    lines = {line.id: line for line in count.lines}
    for line_id, value in counted.items():
        if line_id not in lines:
            raise DomainError("Cette ligne n'appartient pas à l'inventaire.")
        if value is not None and value < 0:
            raise DomainError("Une quantité comptée ne peut pas être négative.")
        lines[line_id].counted = value
    db.session.flush()


def validate_count(firm: Firm, user: User | None, count: StockCount) -> list[StockMove]:
    """Freeze the inventory: expected = ledger on-hand now, adjustment moves for each difference."""
    _check_draft(count)
    missing = [line for line in count.lines if line.counted is None]
    if missing:
        raise DomainError(f"Il reste {counted(len(missing), 'article non compté', 'articles non comptés')} : "
                          "saisissez 0 pour un article absent.")
    moves = []
    for line in count.lines:
        # Lock the product row so the expected quantity cannot change before the adjustment.
        expected, cost = db.session.execute(
            select(Product.on_hand, Product.average_cost).where(Product.id == line.product_id).with_for_update()
        ).one()
        line.expected, line.unit_cost = expected, cost
        difference = line.counted - expected
        if difference:
            move = move_stock(firm, user, line.product, difference, MoveKind.ADJUSTMENT,
                              source=f"Inventaire n° {count.id}", note=count.label)
            if move is not None:
                moves.append(move)
    count.status = "validated"
    count.validated_at = utcnow()
    count.validated_by_id = user.id if user else None
    db.session.flush()
    record_activity(firm, user, "stock.counted", count,
                    f"Inventaire validé : {count.label} ({counted(len(moves), 'ajustement')})")
    return moves


def delete_count(count: StockCount) -> None:
    _check_draft(count)
    db.session.delete(count)
    db.session.flush()
