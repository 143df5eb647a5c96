"""Per-firm settings of the commercial documents and their numbering counters."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.core.tenancy import FirmScoped
from crm.extensions import db

# Document types numbered by the firm (code name → stored value). The values are
# also the keys of FirmSettings.number_prefixes and of DocumentCounter.doc_type.
DOCUMENT_TYPES: dict[str, str] = {
    "quote": "Devis",
    "order": "Bon de commande",
    "delivery": "Bon de livraison",
    "invoice": "Facture",
    "credit_note": "Avoir",
    "purchase_order": "Commande fournisseur",
    "goods_receipt": "Bon de réception",
    "receipt": "Ticket de caisse",
    "daily_closing": "Clôture de caisse",
}

# Printed before the sequence number; "{year}" becomes the document's year.
DEFAULT_PREFIXES: dict[str, str] = {
    "quote": "DE{year}-",
    "order": "BC{year}-",
    "delivery": "BL{year}-",
    "invoice": "FA{year}-",
    "credit_note": "AV{year}-",
    "purchase_order": "CF{year}-",
    "goods_receipt": "BR{year}-",
    "receipt": "TK{year}-",
    "daily_closing": "Z{year}-",
}

_TYPES_SQL = ", ".join(f"'{t}'" for t in DOCUMENT_TYPES)


class DocumentCounter(FirmScoped, db.Model):
    """The last number given to a document type in a year; locked while numbering."""

    __tablename__ = "document_counter"
    __table_args__ = (
        UniqueConstraint("firm_id", "doc_type", "year"),
        CheckConstraint(f"doc_type IN ({_TYPES_SQL})", name="doc_type"),
        CheckConstraint("last_number >= 0", name="last_number"),
        CheckConstraint("year BETWEEN 1900 AND 9999", name="year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(24))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)
    # Date of the last numbered document: the next one may not be dated earlier.
    last_date: Mapped[date | None] = mapped_column(Date)


class FirmSettings(FirmScoped, db.Model):
    """The firm's commercial settings, in one place (one row per firm, optional)."""

    __tablename__ = "firm_settings"
    __table_args__ = (
        UniqueConstraint("firm_id"),
        CheckConstraint(
            "late_payment_rate >= 0 AND late_payment_rate <= 100", name="late_payment_rate"
        ),
        CheckConstraint(
            "payment_terms_days >= 0 AND payment_terms_days <= 60", name="payment_terms_days"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only the prefixes the firm changed; DEFAULT_PREFIXES fill the others.
    number_prefixes: Mapped[dict] = mapped_column(JSON, default=dict)
    allow_negative_stock: Mapped[bool] = mapped_column(default=False)
    # Annual rate of late-payment penalties, in percent (Code de commerce L441-10); None: three
    # times the legal interest rate (the legal minimum). Invoices print it from here only.
    late_payment_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=Decimal("10.00"))
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    # Empty: documents print « Pas d'escompte pour paiement anticipé ».
    escompte_terms: Mapped[str] = mapped_column(Text, default="")
    # IANA name; times are stored in UTC and shown in this zone (crm.core.clock).
    time_zone: Mapped[str] = mapped_column(String(40), default="Europe/Paris")

    def __init__(self, **kwargs):
        # Defaults also on unsaved rows: get_firm_settings() hands one out for firms without a row.
        kwargs.setdefault("number_prefixes", {})
        kwargs.setdefault("allow_negative_stock", False)
        kwargs.setdefault("late_payment_rate", Decimal("10.00"))
        kwargs.setdefault("payment_terms_days", 30)
        kwargs.setdefault("escompte_terms", "")
        kwargs.setdefault("time_zone", "Europe/Paris")
        super().__init__(**kwargs)

    def prefix_template(self, doc_type: str) -> str:
        return (self.number_prefixes or {}).get(doc_type, DEFAULT_PREFIXES[doc_type])
