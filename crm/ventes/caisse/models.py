"""Counter sales: receipts (tickets), their lines and payments, daily closings (Z), the chain head.

Receipts and closings of a firm form ONE hash chain (crm.ventes.caisse.till): each
stores its place in the chain (`sequence`), the previous record's hash and its
own hash, sealed at creation. Nothing here is ever updated or deleted: the
services never do it, and database triggers (migration) refuse it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import User
from crm.core.money import vat_rate_check
from crm.core.models import FirmScoped
from crm.extensions import db
from crm.ventes.codes import LEGACY_PAYMENT_MODES, PAYMENT_MODES
from crm.ventes.caisse.till import GENESIS_HASH

ZERO = Decimal("0.00")
MODES_SQL = "mode IN ({})".format(", ".join(f"'{m}'" for m in PAYMENT_MODES))
# How a record is sealed. 1: before the codes were unified, payment modes sealed with their
# old French codes (LEGACY_PAYMENT_MODES); 2: the codes as stored. A migration changed the
# stored codes but never a hash: each record is verified the way it was sealed.
SEAL_VERSION = 2


def _sealed_mode(mode: str, seal_version: int) -> str:
    return LEGACY_PAYMENT_MODES.get(mode, mode) if seal_version == 1 else mode


class TillChain(FirmScoped, db.Model):
    """The head of a firm's chain: locked (FOR UPDATE) by whoever seals the next record."""

    __tablename__ = "till_chain"
    __table_args__ = (UniqueConstraint("firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last_sequence: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    # Perpetual grand total of the closings (the next Z adds its period total to it).
    grand_total: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=ZERO)


class CounterSale(FirmScoped, db.Model):
    """A receipt (ticket de caisse), numbered and sealed at the moment of the sale."""

    __tablename__ = "counter_sale"
    __table_args__ = (
        UniqueConstraint("firm_id", "number"),
        UniqueConstraint("firm_id", "sequence"),
        CheckConstraint("total_ttc >= 0 AND total_ht >= 0 AND total_vat >= 0", name="totals"),
        CheckConstraint("change_given >= 0 AND tendered >= total_ttc", name="change"),
        # The tickets of a firm over a period (indicators): one index range.
        Index("ix_counter_sale_firm_day", "firm_id", "sale_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))  # TK2026-0001
    sequence: Mapped[int]  # place in the firm's chain (receipts and closings together)
    sold_at: Mapped[datetime]  # UTC, to the second
    sale_date: Mapped[date] = mapped_column(index=True)  # the till day it belongs to
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    cashier_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    total_ht: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    tendered: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # all that was handed over
    change_given: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # given back in cash
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    seal_version: Mapped[int] = mapped_column(default=SEAL_VERSION, server_default="1")

    party = relationship("Party")
    cashier: Mapped[User | None] = relationship()
    lines: Mapped[list[CounterSaleLine]] = relationship(
        back_populates="sale", order_by="CounterSaleLine.position"
    )
    payments: Mapped[list[CounterSalePayment]] = relationship(
        back_populates="sale", order_by="CounterSalePayment.position"
    )

    @property
    def label(self) -> str:
        return f"le ticket {self.number}"

    def sealed_data(self) -> dict:
        """What the hash covers (with sealed_lines), as stored."""
        return {
            "type": "ticket", "firm_id": self.firm_id, "number": self.number,
            "sequence": self.sequence, "sold_at": self.sold_at, "sale_date": self.sale_date,
            "party_id": self.party_id, "cashier_id": self.cashier_id,
            "total_ht": self.total_ht, "total_vat": self.total_vat, "total_ttc": self.total_ttc,
            "tendered": self.tendered, "change": self.change_given,
            "payments": [{"mode": _sealed_mode(p.mode, self.seal_version), "amount": p.amount}
                         for p in self.payments],
        }

    def sealed_lines(self) -> list[dict]:
        return [line.sealed_data() for line in self.lines]


class CounterSaleLine(FirmScoped, db.Model):
    """One line of a receipt; reference and label are copied so the ticket never changes."""

    __tablename__ = "counter_sale_line"
    __table_args__ = (
        UniqueConstraint("sale_id", "position"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint(vat_rate_check(), name="vat_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("counter_sale.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(160))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # HT, as in the catalogue
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    net: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # quantity × unit price HT, to the cent

    sale: Mapped[CounterSale] = relationship(back_populates="lines")
    product = relationship("Product")

    def sealed_data(self) -> dict:
        return {"position": self.position, "product_id": self.product_id, "reference": self.reference,
                "label": self.label, "quantity": self.quantity, "unit_price": self.unit_price,
                "vat_rate": self.vat_rate, "net": self.net}


class CounterSalePayment(FirmScoped, db.Model):
    """What was handed over in one mode (cash before change)."""

    __tablename__ = "counter_sale_payment"
    __table_args__ = (
        UniqueConstraint("sale_id", "position"),
        CheckConstraint(MODES_SQL, name="mode"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("counter_sale.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    mode: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    sale: Mapped[CounterSale] = relationship(back_populates="payments")

    @property
    def mode_label(self) -> str:
        return PAYMENT_MODES[self.mode]


class DailyClosing(FirmScoped, db.Model):
    """The Z report of one till day, sealed in the same chain as the receipts."""

    __tablename__ = "daily_closing"
    __table_args__ = (
        UniqueConstraint("firm_id", "closing_date"),
        UniqueConstraint("firm_id", "number"),
        UniqueConstraint("firm_id", "sequence"),
        CheckConstraint("sales_count >= 0", name="sales_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30))  # Z2026-0001
    sequence: Mapped[int]
    closing_date: Mapped[date]
    closed_at: Mapped[datetime]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    sales_count: Mapped[int]
    first_ticket: Mapped[str | None] = mapped_column(String(30))
    last_ticket: Mapped[str | None] = mapped_column(String(30))
    total_ht: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # the period total
    average_basket: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    grand_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # perpetual
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    seal_version: Mapped[int] = mapped_column(default=SEAL_VERSION, server_default="1")

    closed_by: Mapped[User | None] = relationship()
    totals: Mapped[list[DailyClosingTotal]] = relationship(
        back_populates="closing", order_by="DailyClosingTotal.position"
    )

    @property
    def label(self) -> str:
        return f"la clôture {self.number} du {self.closing_date:%d/%m/%Y}"

    @property
    def by_mode(self) -> list[DailyClosingTotal]:
        return [t for t in self.totals if t.kind == "mode"]

    @property
    def by_vat_rate(self) -> list[DailyClosingTotal]:
        return [t for t in self.totals if t.kind == "vat"]

    def sealed_data(self) -> dict:
        return {
            "type": "cloture", "firm_id": self.firm_id, "number": self.number,
            "sequence": self.sequence, "closing_date": self.closing_date, "closed_at": self.closed_at,
            "closed_by_id": self.closed_by_id, "sales_count": self.sales_count,
            "first_ticket": self.first_ticket, "last_ticket": self.last_ticket,
            "total_ht": self.total_ht, "total_vat": self.total_vat, "total_ttc": self.total_ttc,
            "average_basket": self.average_basket, "grand_total": self.grand_total,
        }

    def sealed_lines(self) -> list[dict]:
        return [{"kind": t.kind, "key": _sealed_mode(t.key, self.seal_version) if t.kind == "mode" else t.key,
                 "base": t.base, "amount": t.amount} for t in self.totals]


class DailyClosingTotal(FirmScoped, db.Model):
    """One total of a Z: by payment mode (key = mode, amount kept) or by VAT rate (key = rate)."""

    __tablename__ = "daily_closing_total"
    __table_args__ = (
        UniqueConstraint("closing_id", "position"),
        CheckConstraint("kind IN ('mode', 'vat')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    closing_id: Mapped[int] = mapped_column(ForeignKey("daily_closing.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(4))
    key: Mapped[str] = mapped_column(String(12))
    base: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)  # HT base (VAT rows)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    closing: Mapped[DailyClosing] = relationship(back_populates="totals")

    @property
    def mode_label(self) -> str:
        return PAYMENT_MODES.get(self.key, self.key)

    @property
    def rate(self) -> Decimal:
        return Decimal(self.key)
