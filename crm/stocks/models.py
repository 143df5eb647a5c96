"""Stock: the ledger of moves, thresholds per product, firm settings, inventories."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.clients.models import Party
from crm.core.models import User, utcnow
from crm.core.money import round_cent, vat_rate_check
from crm.core.models import FirmScoped
from crm.extensions import db
from crm.ventes.models import Product


class MoveKind(enum.StrEnum):
    RECEPTION = "reception"
    DELIVERY = "delivery"
    COUNTER_SALE = "counter_sale"
    CUSTOMER_RETURN = "customer_return"
    LOSS = "loss"
    ADJUSTMENT = "adjustment"
    SUPPLIER_RETURN = "supplier_return"

    @property
    def label(self) -> str:
        return MOVE_LABELS[self.value]

    @property
    def sign(self) -> int:
        """+1 entries, -1 exits, 0 either way (inventory adjustment)."""
        if self in (MoveKind.RECEPTION, MoveKind.CUSTOMER_RETURN):
            return 1
        if self is MoveKind.ADJUSTMENT:
            return 0
        return -1


MOVE_LABELS = {
    "reception": "Réception fournisseur",
    "delivery": "Livraison client",
    "counter_sale": "Vente comptoir",
    "customer_return": "Retour client",
    "loss": "Casse / perte",
    "adjustment": "Ajustement d'inventaire",
    "supplier_return": "Retour fournisseur",
}
# kind → grammatical gender of its label ("Casse / perte enregistrée", "Retour client enregistré").
MOVE_GENDERS = {"reception": "f", "delivery": "f", "counter_sale": "f", "customer_return": "m", "loss": "f",
                "adjustment": "m", "supplier_return": "m"}


class StockMove(FirmScoped, db.Model):
    """One line of the ledger; the product's on-hand and CMUP after it are recorded with it."""

    __tablename__ = "stock_move"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('reception', 'delivery', 'counter_sale', 'customer_return', 'loss', 'adjustment', "
            "'supplier_return')",
            name="kind",
        ),
        CheckConstraint(
            "quantity <> 0 AND ("
            "(kind IN ('reception', 'customer_return') AND quantity > 0) OR "
            "(kind IN ('delivery', 'counter_sale', 'loss', 'supplier_return') AND quantity < 0) OR "
            "kind = 'adjustment')",
            name="quantity_sign",
        ),
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        # The CMUP of a product on a given day (the indicators' cost of sales, one per sales line)
        # is one seek here, read from the index alone.
        Index("ix_stock_move_product_day_cost", "product_id", "moved_on", "id", "average_cost_after"),
        # The last move of each product up to a day (the stock value): the firm's moves read in
        # product order from the index alone.
        Index("ix_stock_move_firm_product_day", "firm_id", "product_id", "moved_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int]
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    moved_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(String(255), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The product's state right after this move (read under the row lock).
    on_hand_after: Mapped[int]
    average_cost_after: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return MOVE_LABELS[self.kind]

    @property
    def gender(self) -> str:
        return MOVE_GENDERS[self.kind]

    @property
    def value(self) -> Decimal:
        return round_cent(abs(self.quantity) * self.unit_cost)


class StockThreshold(FirmScoped, db.Model):
    """Minimum, safety, alert (reorder point) and maximum levels of one product."""

    __tablename__ = "stock_threshold"
    __table_args__ = (
        UniqueConstraint("product_id"),
        # The alert count joins on the product and compares these levels: read from the index alone.
        Index("ix_stock_threshold_levels", "product_id", "firm_id", "alert", "minimum"),
        CheckConstraint(
            "minimum >= 0 AND safety >= 0 AND alert >= 0 AND maximum >= 0", name="non_negative"
        ),
        CheckConstraint("maximum >= minimum AND maximum >= alert AND alert >= safety", name="order"),
        CheckConstraint("alert_mode IN ('typed', 'computed')", name="alert_mode"),
        CheckConstraint("period_days IS NULL OR period_days > 0", name="period_days"),
        CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    minimum: Mapped[int] = mapped_column(default=0)
    safety: Mapped[int] = mapped_column(default=0)
    alert: Mapped[int] = mapped_column(default=0)
    maximum: Mapped[int] = mapped_column(default=0)
    alert_mode: Mapped[str] = mapped_column(String(10), default="typed")
    # For a computed alert point: consumption period and supplier lead time, in days.
    period_days: Mapped[int | None]
    lead_time_days: Mapped[int | None]
    # Preferred supplier: its lead time feeds the computed alert point; reorders go to it.
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"), index=True)

    product: Mapped[Product] = relationship()
    supplier: Mapped[Party | None] = relationship()


class StockCount(FirmScoped, db.Model):
    """An inventory: counted quantities per product; validation writes adjustments and freezes it."""

    __tablename__ = "stock_count"
    __table_args__ = (CheckConstraint("status IN ('draft', 'validated')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    counted_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="draft")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None]
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    validated_by: Mapped[User | None] = relationship(foreign_keys=[validated_by_id])
    lines: Mapped[list[StockCountLine]] = relationship(
        back_populates="count", cascade="all, delete-orphan", order_by="StockCountLine.id"
    )

    @property
    def is_validated(self) -> bool:
        return self.status == "validated"


class StockCountLine(FirmScoped, db.Model):
    """One product of an inventory; expected and unit cost are frozen at validation."""

    __tablename__ = "stock_count_line"
    __table_args__ = (
        UniqueConstraint("count_id", "product_id"),
        CheckConstraint("counted IS NULL OR counted >= 0", name="counted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    counted: Mapped[int | None]
    expected: Mapped[int | None]
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    count: Mapped[StockCount] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def difference(self) -> int | None:
        if self.counted is None or self.expected is None:
            return None
        return self.counted - self.expected

    @property
    def difference_value(self) -> Decimal | None:
        if self.difference is None or self.unit_cost is None:
            return None
        return round_cent(self.difference * self.unit_cost)


# --- purchasing: supplier terms, purchase orders, goods receipts ------------------

class SupplierTerms(FirmScoped, db.Model):
    """A supplier's lead time and minimum order amount (one row per supplier party)."""

    __tablename__ = "supplier_terms"
    __table_args__ = (
        UniqueConstraint("party_id"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_days"),
        CheckConstraint("minimum_order >= 0", name="minimum_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    lead_time_days: Mapped[int] = mapped_column(default=0)
    minimum_order: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))

    party: Mapped[Party] = relationship()


ORDER_STATUSES = {
    "draft": "Brouillon",
    "validated": "Validée",
    "partially_received": "Reçue en partie",
    "received": "Reçue",
}


class PurchaseOrder(FirmScoped, db.Model):
    """A *commande fournisseur*: a draft until validated, then numbered and frozen."""

    __tablename__ = "purchase_order"
    __table_args__ = (
        UniqueConstraint("firm_id", "number"),
        CheckConstraint("status IN ('draft', 'validated', 'partially_received', 'received')", name="status"),
        CheckConstraint("(number IS NULL) = (status = 'draft')", name="numbered"),
        CheckConstraint("total_ht >= 0 AND total_vat >= 0 AND total_ttc >= 0", name="totals"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    supplier_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    order_date: Mapped[date]
    notes: Mapped[str] = mapped_column(String(255), default="")
    from_alerts: Mapped[bool] = mapped_column(default=False)
    total_ht: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    supplier: Mapped[Party] = relationship()
    author: Mapped[User | None] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="PurchaseOrderLine.id"
    )
    receipts: Mapped[list[GoodsReceipt]] = relationship(back_populates="order", order_by="GoodsReceipt.id")
    returns: Mapped[list[SupplierReturn]] = relationship(back_populates="order", order_by="SupplierReturn.id")

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def status_label(self) -> str:
        return ORDER_STATUSES[self.status]

    @property
    def title(self) -> str:
        return (
            f"Commande fournisseur {self.number}" if self.number else f"Commande fournisseur (brouillon n° {self.id})"
        )


class PurchaseOrderLine(FirmScoped, db.Model):
    """One product ordered: quantity, unit purchase price HT, VAT rate."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint(vat_rate_check(), name="vat_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(4, 1))

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def net(self) -> Decimal:
        return round_cent(self.quantity * self.unit_price)


class GoodsReceipt(FirmScoped, db.Model):
    """A *bon de réception* against a purchase order; validation numbers it, moves stock in, freezes it."""

    __tablename__ = "goods_receipt"
    __table_args__ = (
        UniqueConstraint("firm_id", "number"),
        CheckConstraint("status IN ('draft', 'validated')", name="status"),
        CheckConstraint("(number IS NULL) = (status = 'draft')", name="numbered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    received_on: Mapped[date]
    delivery_note: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(String(255), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[PurchaseOrder] = relationship(back_populates="receipts")
    author: Mapped[User | None] = relationship()
    lines: Mapped[list[GoodsReceiptLine]] = relationship(
        back_populates="receipt", cascade="all, delete-orphan", order_by="GoodsReceiptLine.id"
    )
    returns: Mapped[list[SupplierReturn]] = relationship(back_populates="receipt", order_by="SupplierReturn.id")

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def title(self) -> str:
        return f"Bon de réception {self.number}" if self.number else f"Bon de réception (brouillon n° {self.id})"


class GoodsReceiptLine(FirmScoped, db.Model):
    """What arrived of one order line: delivered, of which damaged; extra units flagged explicitly."""

    __tablename__ = "goods_receipt_line"
    __table_args__ = (
        UniqueConstraint("receipt_id", "order_line_id"),
        CheckConstraint("received >= 0 AND damaged >= 0 AND damaged <= received", name="quantities"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id", ondelete="RESTRICT"),
                                               index=True)
    received: Mapped[int] = mapped_column(default=0)
    damaged: Mapped[int] = mapped_column(default=0)
    extra: Mapped[bool] = mapped_column(default=False)
    # Expected quantity (ordered less already accepted) when the receipt was validated.
    expected: Mapped[int | None]
    note: Mapped[str] = mapped_column(String(255), default="")

    receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines")
    order_line: Mapped[PurchaseOrderLine] = relationship()

    @property
    def accepted(self) -> int:
        """Units put in stock: delivered less damaged."""
        return self.received - self.damaged


# --- returns to the supplier ----------------------------------------------------------

RETURN_SOURCES = {
    "damaged": "Abîmé à la réception",  # never entered the stock: no stock move
    "stock": "Repris du stock",  # found damaged later: leaves the stock (move "supplier_return")
}
RETURN_STATUSES = {"draft": "Brouillon", "validated": "Validé"}


class SupplierReturn(FirmScoped, db.Model):
    """A *bon de retour fournisseur*: units sent back to the supplier against a purchase order
    (and the goods receipt that found them damaged). Validation numbers it ("supplier_return"),
    takes the units returned from stock out of the stock, and freezes it; the supplier answers
    with a credit note (crm.einvoice: SupplierInvoice of kind credit_note, return_id)."""

    __tablename__ = "supplier_return"
    __table_args__ = (
        UniqueConstraint("firm_id", "number"),
        CheckConstraint("status IN ('draft', 'validated')", name="status"),
        CheckConstraint("(number IS NULL) = (status = 'draft')", name="numbered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("goods_receipt.id", ondelete="RESTRICT"), index=True)
    returned_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(255))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[PurchaseOrder] = relationship(back_populates="returns")
    receipt: Mapped[GoodsReceipt | None] = relationship(back_populates="returns")
    author: Mapped[User | None] = relationship()
    lines: Mapped[list[SupplierReturnLine]] = relationship(
        back_populates="supplier_return", cascade="all, delete-orphan", order_by="SupplierReturnLine.id"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def title(self) -> str:
        return (f"Bon de retour fournisseur {self.number}" if self.number
                else f"Bon de retour fournisseur (brouillon n° {self.id})")

    @property
    def total_ht(self) -> Decimal:
        """What the supplier should credit, HT: returned units at the ordered price."""
        return sum((line.net for line in self.lines), Decimal("0.00"))


class SupplierReturnLine(FirmScoped, db.Model):
    """Units of one order line sent back, either damaged at the reception or taken from the stock."""

    __tablename__ = "supplier_return_line"
    __table_args__ = (
        UniqueConstraint("return_id", "order_line_id", "source"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("source IN ('damaged', 'stock')", name="source"),
        CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("supplier_return.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id", ondelete="RESTRICT"),
                                               index=True)
    source: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int]
    # The CMUP the units left the stock at (units from stock, written at validation).
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    supplier_return: Mapped[SupplierReturn] = relationship(back_populates="lines")
    order_line: Mapped[PurchaseOrderLine] = relationship()

    @property
    def source_label(self) -> str:
        return RETURN_SOURCES[self.source]

    @property
    def net(self) -> Decimal:
        """Returned units at the ordered price HT (what a credit note should give back)."""
        return round_cent(self.quantity * self.order_line.unit_price)
