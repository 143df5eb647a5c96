"""Received e-invoices: the Factur-X or CII files that reached a firm (platform delivery or upload)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import FirmScoped, User, utcnow
from crm.extensions import db

CHANNELS = {"platform": "Reçue d'une entreprise de l'annuaire", "upload": "Déposée (fichier reçu)"}
TYPE_LABELS = {"380": "Facture", "381": "Avoir", "384": "Facture rectificative", "389": "Autofacture",
               "386": "Facture d'acompte"}
INCOMING_STATUSES = {"received": "À traiter", "booked": "Saisie en facture fournisseur"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class IncomingInvoice(FirmScoped, db.Model):
    """An e-invoice received by the firm (the buyer): the file as received, and what its XML says.

    Only files that passed every check are kept (XSD, EN 16931 rules, buyer SIREN,
    totals, no duplicate): a refused file leaves no row. The seller is named by its
    SIREN (else its VAT number, else its name) in `seller_key`, unique with the number.
    """

    __tablename__ = "incoming_invoice"
    __table_args__ = (
        UniqueConstraint("firm_id", "seller_key", "number"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("status", INCOMING_STATUSES), name="status"),
        Index("ix_incoming_invoice_firm_received", "firm_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="received")
    # Platform delivery: the practice firm that sent it (its own records stay its own).
    sender_firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id", ondelete="SET NULL"), index=True)
    source_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_document.id", ondelete="SET NULL"), index=True)
    type_code: Mapped[str] = mapped_column(String(3))
    number: Mapped[str] = mapped_column(String(60))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    seller_name: Mapped[str] = mapped_column(String(200))
    seller_siren: Mapped[str] = mapped_column(String(9), default="")
    seller_vat: Mapped[str] = mapped_column(String(20), default="")
    seller_key: Mapped[str] = mapped_column(String(200))
    buyer_siren: Mapped[str] = mapped_column(String(9), default="")
    buyer_order: Mapped[str] = mapped_column(String(60), default="")
    corrected_invoice: Mapped[str] = mapped_column(String(60), default="")
    total_ht: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    due_payable: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(80))
    data: Mapped[bytes] = mapped_column(LargeBinary)  # the file as received (PDF or XML)
    xml: Mapped[bytes] = mapped_column(LargeBinary)  # its CII XML
    sha256: Mapped[str] = mapped_column(String(64))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    received_by: Mapped[User | None] = relationship()
    sender_firm = relationship("Firm", foreign_keys=[sender_firm_id])

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type_code, f"Document {self.type_code}")

    @property
    def channel_label(self) -> str:
        return CHANNELS[self.channel]

    @property
    def status_label(self) -> str:
        return INCOMING_STATUSES[self.status]

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == "381"


DELIVERY_STATUSES = {"pending": "En attente", "delivered": "Transmise", "refused": "Refusée"}


class EinvoiceDelivery(FirmScoped, db.Model):
    """The delivery of a validated invoice or credit note (the seller's, `firm_id`) to the buyer firm.

    One row per document whose client is linked to a practice firm, created at validation
    (crm.ventes.documents.services, whatever path validated it): pending until its Factur-X
    is stored, then delivered (once: `incoming_id`) or refused with the buyer's reason,
    shown to the seller with how to fix it; a refused or pending delivery may be retried.
    """

    __tablename__ = "einvoice_delivery"
    __table_args__ = (
        UniqueConstraint("document_id"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("sales_document.id", ondelete="CASCADE"))
    buyer_firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason_code: Mapped[str] = mapped_column(String(30), default="")
    reason: Mapped[str] = mapped_column(String(2000), default="")
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_invoice.id", ondelete="SET NULL"))
    attempts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    buyer_firm = relationship("Firm", foreign_keys=[buyer_firm_id])
    incoming: Mapped[IncomingInvoice | None] = relationship()

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES[self.status]


# --- the purchase side: supplier invoices, their lines, supplier payments ------------------

SUPPLIER_INVOICE_STATUSES = {
    "to_check": "À contrôler",
    "disputed": "Contestée",
    "booked": "Enregistrée, à régler",
    "partially_paid": "Réglée en partie",
    "paid": "Réglée",
}
SUPPLIER_INVOICE_KINDS = {"invoice": "Facture", "credit_note": "Avoir"}
SUPPLIER_PAYMENT_METHODS = {"transfer": "Virement", "cheque": "Chèque", "card": "Carte bancaire", "cash": "Espèces"}


class SupplierInvoice(FirmScoped, db.Model):
    """A supplier's invoice (or credit note) as the buyer books it: from a received e-invoice, or typed.

    Checked against the purchase order and its goods receipts (crm.einvoice.purchasing.match),
    then booked (differences accepted with a reason) or disputed; booked ones are paid.
    """

    __tablename__ = "supplier_invoice"
    __table_args__ = (
        UniqueConstraint("firm_id", "supplier_id", "number"),
        UniqueConstraint("incoming_id"),
        CheckConstraint(_in("status", SUPPLIER_INVOICE_STATUSES), name="status"),
        CheckConstraint(_in("kind", SUPPLIER_INVOICE_KINDS), name="kind"),
        CheckConstraint("total_ht >= 0 AND total_vat >= 0 AND total_ttc >= 0", name="totals"),
        # Only a credit note credits a return and is deducted from an invoice (never from itself).
        CheckConstraint("kind = 'credit_note' OR (return_id IS NULL AND applied_to_id IS NULL)",
                        name="credit_note_links"),
        Index("ix_supplier_invoice_firm_status_due", "firm_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), default="invoice")
    status: Mapped[str] = mapped_column(String(16), default="to_check")
    supplier_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="RESTRICT"), index=True)
    incoming_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_invoice.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id", ondelete="RESTRICT"), index=True)
    # A credit note: the supplier return it credits, and the invoice it is deducted from (None: it stays
    # to the credit of the supplier account, deducted from a later payment).
    return_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_return.id", ondelete="RESTRICT"), index=True)
    applied_to_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_invoice.id", ondelete="RESTRICT"),
                                                      index=True)
    number: Mapped[str] = mapped_column(String(60))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    total_ht: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_ttc: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # Why the differences of the three-way match were accepted, or why the invoice is disputed.
    decision_reason: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    booked_at: Mapped[datetime | None]

    supplier = relationship("Party")
    incoming: Mapped[IncomingInvoice | None] = relationship()
    order = relationship("PurchaseOrder")
    supplier_return = relationship("SupplierReturn", backref="credit_notes")
    applied_to = relationship("SupplierInvoice", remote_side=[id], foreign_keys=[applied_to_id])
    lines: Mapped[list[SupplierInvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="SupplierInvoiceLine.position")
    payments: Mapped[list[SupplierPayment]] = relationship(
        back_populates="invoice", order_by="(SupplierPayment.paid_on, SupplierPayment.id)")

    @property
    def status_label(self) -> str:
        if self.kind == "credit_note" and self.status == "booked":
            return "Enregistré, déduit" if self.applied_to_id else "Enregistré, à déduire"
        return SUPPLIER_INVOICE_STATUSES[self.status]

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def gender(self) -> str:
        """Grammatical gender of the title: "Facture … enregistrée", "Avoir … enregistré"."""
        return "m" if self.kind == "credit_note" else "f"

    @property
    def kind_label(self) -> str:
        return SUPPLIER_INVOICE_KINDS[self.kind]

    @property
    def title(self) -> str:
        return f"{self.kind_label} fournisseur {self.number}"


class SupplierInvoiceLine(FirmScoped, db.Model):
    __tablename__ = "supplier_invoice_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    reference: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4))  # net price HT, after the line discount
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    net: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # The purchase order line it bills (set when the invoice is matched to its order).
    order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id", ondelete="RESTRICT"), index=True)

    invoice: Mapped[SupplierInvoice] = relationship(back_populates="lines")
    order_line = relationship("PurchaseOrderLine")


class SupplierPayment(FirmScoped, db.Model):
    """A payment to a supplier against a booked invoice; never edited nor deleted."""

    __tablename__ = "supplier_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(_in("method", SUPPLIER_PAYMENT_METHODS), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoice.id", ondelete="RESTRICT"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(60), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[SupplierInvoice] = relationship(back_populates="payments")

    @property
    def method_label(self) -> str:
        return SUPPLIER_PAYMENT_METHODS[self.method]
