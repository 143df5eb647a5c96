"""Catalogue: product families, products (with their sales pitch) and promotional prices."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, event, select, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import utcnow
from crm.core.models import FirmScoped
from crm.core.text import fold
from crm.extensions import db

from crm.core.money import VAT_RATES, round_cent, vat_rate_check  # noqa: F401 - VAT_RATES re-exported for the catalogue


class ProductFamily(FirmScoped, db.Model):
    __tablename__ = "product_family"
    __table_args__ = (UniqueConstraint("firm_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))

    products: Mapped[list[Product]] = relationship(back_populates="family")


class Product(FirmScoped, db.Model):
    """An article (goods) or a service the firm sells; `on_hand` moves only with the stock ledger."""

    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("firm_id", "reference"),
        CheckConstraint(vat_rate_check(), name="vat_rate"),
        CheckConstraint("purchase_price >= 0 AND sale_price >= 0", name="prices"),
        CheckConstraint("average_cost >= 0", name="average_cost"),
        # The catalogue filters by family and activity, sorted by reference; the till scans barcodes.
        Index("ix_product_firm_active_reference", "firm_id", "active", "reference", "search_text"),
        Index("ix_product_firm_barcode", "firm_id", "barcode"),
        Index("ix_product_firm_stock", "firm_id", "active", "stock_tracked", "on_hand"),
        # The products in alert (the count in every page's menu): only they are in this index.
        Index("ix_product_in_alert", "firm_id", "active", "stock_tracked",
              sqlite_where=text("on_hand <= alert_point"), postgresql_where=text("on_hand <= alert_point")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(160))
    # EAN-13 or any code printed on the article, as the till's scanner reads it (optional).
    barcode: Mapped[str] = mapped_column(String(20), default="")
    # reference, label and barcode folded (lower case, no accents), for the search-as-you-type field.
    search_text: Mapped[str] = mapped_column(String(240), default="")
    family_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_family.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    # Fiche technique / argumentaire (A3T1C4): one advantage per line.
    advantages: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="unité")
    purchase_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    sale_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(4, 1), default=Decimal("20"))
    stock_tracked: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Kept by crm.stocks.services.move_stock only (atomic UPDATE with each move).
    on_hand: Mapped[int] = mapped_column(default=0)
    # The level at or under which the product is in alert: the greater of its threshold's alert
    # point and minimum (None without a threshold). Kept by crm.stocks.services.set_thresholds and
    # the computed alert points, so the alert count reads the partial index above, not a join.
    alert_point: Mapped[int | None]
    # Weighted average unit cost (CMUP), recomputed at each reception.
    average_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    family: Mapped[ProductFamily | None] = relationship(back_populates="products")
    objections: Mapped[list[ProductObjection]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductObjection.id"
    )
    promotions: Mapped[list[PromotionalPrice]] = relationship(
        back_populates="product", cascade="all, delete-orphan",
        order_by="PromotionalPrice.starts_on",
    )

    @property
    def advantage_list(self) -> list[str]:
        return [line.strip() for line in self.advantages.splitlines() if line.strip()]

    def promotion_on(self, day: date) -> PromotionalPrice | None:
        """The promotion running on `day` (the latest started if several overlap)."""
        return db.session.scalar(
            select(PromotionalPrice)
            .where(PromotionalPrice.product_id == self.id,
                   PromotionalPrice.starts_on <= day, PromotionalPrice.ends_on >= day)
            .order_by(PromotionalPrice.starts_on.desc(), PromotionalPrice.id.desc())
            .limit(1)
        )

    def price_on(self, day: date) -> Decimal:
        """The sale price HT applying on `day`: the promotional one when a promotion runs."""
        promotion = self.promotion_on(day)
        return promotion.price if promotion else self.sale_price

    @property
    def stock_value(self) -> Decimal:
        return round_cent(self.on_hand * self.average_cost)


@event.listens_for(Product, "before_insert")
@event.listens_for(Product, "before_update")
def _fold_search_text(_mapper, _connection, product: Product) -> None:
    """Every way a product is saved keeps its search text (forms, imports, scenarios, tests)."""
    product.search_text = product_search_text(product.reference, product.label, product.barcode)


def product_search_text(reference: str | None, label: str | None, barcode: str | None) -> str:
    return fold(" ".join(p for p in (reference, label, barcode) if p))[:240]


class ProductObjection(FirmScoped, db.Model):
    """A common objection and the answer to give (argumentaire, A3T1C5)."""

    __tablename__ = "product_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    objection: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str] = mapped_column(Text)

    product: Mapped[Product] = relationship(back_populates="objections")


class PromotionalPrice(FirmScoped, db.Model):
    """A promotional sale price HT valid from starts_on to ends_on, both included."""

    __tablename__ = "promotional_price"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("price >= 0", name="price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    label: Mapped[str] = mapped_column(String(80), default="")

    product: Mapped[Product] = relationship(back_populates="promotions")
