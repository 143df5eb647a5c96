"""The numbered document types, their default prefixes and the numbering counters."""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.core.models import FirmScoped
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
    "supplier_return": "Bon de retour fournisseur",
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
    "supplier_return": "RF{year}-",
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
