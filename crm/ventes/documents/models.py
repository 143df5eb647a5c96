"""Sales documents and their lines (one table, one class per kind), payments.

Single-table inheritance keeps one numbering, one computation and one
immutability rule for every kind, while the code speaks the glossary:
Quote, SalesOrder, DeliveryNote, Invoice, CreditNote.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.clock import business_today
from crm.core.formatting import agree
from crm.core.models import User, utcnow
from crm.core.money import vat_rate_check
from crm.core.models import FirmScoped
from crm.extensions import db
from crm.ventes.codes import PAYMENT_MODES

ZERO = Decimal("0")

# kind → label; the kind is also the document's numbering type (crm.core.numbering_models).
KINDS = {
    "quote": "Devis",
    "order": "Bon de commande",
    "delivery": "Bon de livraison",
    "invoice": "Facture",
    "credit_note": "Avoir",
}

# kind → grammatical gender of its label: "Facture … validée", "Devis … validé" (crm.core.formatting.agree).
KIND_GENDERS = {"quote": "m", "order": "m", "delivery": "m", "invoice": "f", "credit_note": "m"}

STATUSES = {
    "draft": "Brouillon",
    # quotes
    "sent": "Envoyé",
    "accepted": "Accepté",
    "refused": "Refusé",
    # orders
    "confirmed": "Confirmée",
    "partially_delivered": "Livrée en partie",
    "delivered": "Livrée",
    # delivery notes
    "issued": "Émis",
    "invoiced": "Facturé",
    # invoices
    "unpaid": "À régler",
    "partially_paid": "Réglée en partie",
    "paid": "Réglée",
    # credit notes
    "validated": "Validé",
}

PAYMENT_METHODS = PAYMENT_MODES  # the same codes at the till and on invoices



def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


UNSETTLED = ("unpaid", "partially_paid")  # validated invoices with a balance still due


def unsettled_invoices_sql(table: str = "") -> str:
    """The invoices still to be settled, as SQL: the condition of their partial index and of the
    overdue list, word for word (SQLite uses a partial index only for a query stating its condition)."""
    prefix = f"{table}." if table else ""
    return f"{prefix}kind = 'invoice' AND {_in(prefix + 'status', UNSETTLED)}"


invoice_deliveries = Table(
    "invoice_delivery",
    db.metadata,
    Column("invoice_id", ForeignKey("sales_document.id", ondelete="CASCADE"), primary_key=True),
    Column("delivery_id", ForeignKey("sales_document.id", ondelete="RESTRICT"), primary_key=True,
           index=True),
)


class SalesDocument(FirmScoped, db.Model):
    __tablename__ = "sales_document"
    __table_args__ = (
        UniqueConstraint("firm_id", "kind", "number"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(
            "remise_rate BETWEEN 0 AND 100 AND rabais_rate BETWEEN 0 AND 100 "
            "AND ristourne_rate BETWEEN 0 AND 100 AND escompte_rate BETWEEN 0 AND 100",
            name="rates",
        ),
        Index("ix_sales_document_firm_kind_date", "firm_id", "kind", "issue_date"),
        # The lists filter by status; overdue invoices are unpaid ones by due date.
        Index("ix_sales_document_firm_kind_status_due", "firm_id", "kind", "status", "due_date"),
        # Only the invoices still to be settled, in the order of the overdue list: its page 20 reads
        # 1 000 index entries, not the firm's thousands of unsettled invoices sorted first.
        Index("ix_sales_document_unsettled_due", "firm_id", "due_date", "id",
              sqlite_where=text(unsettled_invoices_sql()), postgresql_where=text(unsettled_invoices_sql())),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    # Given at validation; a document with a number is frozen (service and database triggers).
    number: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    issue_date: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # quotes
    due_date: Mapped[date | None] = mapped_column(Date)  # invoices
    delivery_date: Mapped[date | None] = mapped_column(Date)  # sale / delivery date
    remise_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    rabais_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    ristourne_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    escompte_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    # Stored totals, always equal to the computation of the lines (checked by tests).
    total_ht: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    total_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The document this one was made from (quote of an order, order of a delivery note…).
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_document.id", ondelete="RESTRICT"), index=True
    )
    # Credit notes: the invoice they correct, and whether goods come back to stock.
    credited_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_document.id", ondelete="RESTRICT"), index=True
    )
    goods_returned: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None]

    __mapper_args__ = {"polymorphic_on": "kind"}

    party = relationship("Party")
    lines: Mapped[list[SalesLine]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="SalesLine.position"
    )
    source: Mapped[SalesDocument | None] = relationship(
        remote_side=[id], foreign_keys=[source_id], back_populates="derived"
    )
    derived: Mapped[list[SalesDocument]] = relationship(
        foreign_keys=[source_id], back_populates="source", order_by="SalesDocument.id"
    )
    credited_invoice: Mapped[SalesDocument | None] = relationship(
        remote_side=[id], foreign_keys=[credited_invoice_id]
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    validated_by: Mapped[User | None] = relationship(foreign_keys=[validated_by_id])

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def gender(self) -> str:
        return KIND_GENDERS[self.kind]

    def agree(self, masculine: str, feminine: str | None = None) -> str:
        """`masculine` or its feminine, agreeing with the document's label: invoice.agree("validé") → "validée"."""
        return agree(self, masculine, feminine)

    @property
    def number_type(self) -> str:
        return self.kind

    @property
    def is_draft(self) -> bool:
        return self.number is None

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def title(self) -> str:
        return f"{self.label} {self.number or '(brouillon)'}"


class Quote(SalesDocument):
    __mapper_args__ = {"polymorphic_identity": "quote"}

    @property
    def is_expired(self) -> bool:
        """A sent quote past its validity date, still unanswered, has expired."""
        return (self.status == "sent" and self.valid_until is not None
                and self.valid_until < business_today(self.firm_id))

    @property
    def status_label(self) -> str:
        return "Expiré" if self.is_expired else STATUSES[self.status]


class SalesOrder(SalesDocument):
    __mapper_args__ = {"polymorphic_identity": "order"}


class DeliveryNote(SalesDocument):
    __mapper_args__ = {"polymorphic_identity": "delivery"}


class Invoice(SalesDocument):
    __mapper_args__ = {"polymorphic_identity": "invoice"}

    deliveries: Mapped[list[DeliveryNote]] = relationship(
        secondary=invoice_deliveries,
        primaryjoin=lambda: SalesDocument.id == invoice_deliveries.c.invoice_id,
        secondaryjoin=lambda: SalesDocument.id == invoice_deliveries.c.delivery_id,
        order_by=lambda: SalesDocument.id,
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="(Payment.paid_on, Payment.id)"
    )


class CreditNote(SalesDocument):
    __mapper_args__ = {"polymorphic_identity": "credit_note"}


class SalesLine(FirmScoped, db.Model):
    __tablename__ = "sales_line"
    __table_args__ = (
        CheckConstraint(vat_rate_check(), name="vat_rate"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price"),
        CheckConstraint("discount_rate BETWEEN 0 AND 100", name="discount_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("sales_document.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=ZERO)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    net: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    # The line of the previous document this one carries on (order line of a delivery line…).
    source_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_line.id", ondelete="RESTRICT"), index=True
    )

    document: Mapped[SalesDocument] = relationship(back_populates="lines")
    product = relationship("Product")
    source_line: Mapped[SalesLine | None] = relationship(remote_side=[id])


class Payment(FirmScoped, db.Model):
    """A *règlement* of an invoice; never edited nor deleted once recorded."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("sales_document.id", ondelete="RESTRICT"), index=True
    )
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(60), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    created_by: Mapped[User | None] = relationship()

    @property
    def method_label(self) -> str:
        return PAYMENT_METHODS[self.method]


FILE_PURPOSES = {
    "pdf": "PDF du document validé",
    # Invoices and credit notes: PDF/A-3b with the EN 16931 CII XML embedded (crm.einvoice).
    "facturx": "Facture électronique Factur-X (EN 16931)",
}


class DocumentFile(FirmScoped, db.Model):
    """A file of a validated document, rendered once and kept as it was (never updated nor deleted).

    The PDF of a validated document is stored at validation so that it prints the
    same forever, whatever later changes to the firm, the client or the templates.
    One row per document and purpose; the e-invoicing work adds a "facturx" row
    (application/pdf, PDF/A-3 with its XML) beside, or instead of, the plain "pdf".
    """

    __tablename__ = "document_file"
    __table_args__ = (
        UniqueConstraint("document_id", "purpose"),
        CheckConstraint(_in("purpose", FILE_PURPOSES), name="purpose"),
        CheckConstraint("size = length(data)", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("sales_document.id", ondelete="RESTRICT"))
    purpose: Mapped[str] = mapped_column(String(12))
    content_type: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(120))
    # The document's page shows the file's name, size and fingerprint: the bytes load only when served.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def purpose_label(self) -> str:
        return FILE_PURPOSES[self.purpose]
