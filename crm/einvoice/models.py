"""Received e-invoices: the Factur-X or CII files that reached a firm (platform delivery or upload)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import FirmScoped, User, utcnow
from crm.extensions import db

CHANNELS = {"platform": "Reçue d'une entreprise de la classe", "upload": "Déposée (fichier reçu)"}
TYPE_LABELS = {"380": "Facture", "381": "Avoir", "384": "Facture rectificative", "389": "Autofacture",
               "386": "Facture d'acompte"}
INCOMING_STATUSES = {"received": "À traiter", "booked": "Enregistrée"}


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
