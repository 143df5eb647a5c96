"""Document numbers: per firm, type and year, chronological and without gaps.

A number is taken inside the transaction that validates the document, from a
counter row locked until that transaction ends (SELECT … FOR UPDATE on
PostgreSQL; on SQLite every transaction already begins with BEGIN IMMEDIATE, so
writers queue up). A rolled-back validation therefore gives its number back,
and two validations at the same moment wait for each other instead of sharing
a number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from crm.core.errors import DomainError
from crm.core.formatting import day
from crm.core.numbering_models import DOCUMENT_TYPES, DocumentCounter
from crm.core.database import insert_ignoring_conflict
from crm.core.firm_settings import get_firm_settings
from crm.extensions import db

SEQUENCE_WIDTH = 4  # FA2026-0001; the 10 000th document simply gets 5 digits


@dataclass(frozen=True)
class DocumentNumber:
    """A number given to a validated document."""

    doc_type: str
    year: int
    sequence: int  # 1, 2, 3… within the firm, type and year
    text: str  # "FA2026-0001", what the document prints and stores

    def __str__(self) -> str:
        return self.text


def format_number(prefix_template: str, year: int, sequence: int) -> str:
    """'FA{year}-', 2026, 7 → 'FA2026-0007' ('{yy}' gives the year on two digits)."""
    prefix = prefix_template.replace("{year}", f"{year:04d}").replace("{yy}", f"{year % 100:02d}")
    return f"{prefix}{sequence:0{SEQUENCE_WIDTH}d}"


def next_number(firm, doc_type: str, doc_date: date) -> DocumentNumber:
    """Take the next number of `doc_type` for `firm` in `doc_date`'s year; flush only.

    Refuses (DomainError on field "date") a date earlier than the last numbered
    document of the same type, whatever its year. The caller stores the number
    on its document in the same transaction and never catches a failure to keep
    going: the rollback of that transaction is what gives the number back.
    """
    if doc_type not in DOCUMENT_TYPES:
        raise ValueError(f"unknown document type {doc_type!r}")
    year = doc_date.year
    insert_ignoring_conflict(
        DocumentCounter,
        {"firm_id": firm.id, "doc_type": doc_type, "year": year, "last_number": 0},
        ["firm_id", "doc_type", "year"],
    )
    # Lock this year's counter and any later year's (their dates bound ours too).
    counters = db.session.scalars(
        select(DocumentCounter)
        .where(
            DocumentCounter.firm_id == firm.id,
            DocumentCounter.doc_type == doc_type,
            DocumentCounter.year >= year,
        )
        .order_by(DocumentCounter.year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    counter = counters[0]
    latest = max((c.last_date for c in counters if c.last_date is not None), default=None)
    if latest is not None and doc_date < latest:
        label = DOCUMENT_TYPES[doc_type].lower()
        raise DomainError(
            f"Date refusée : le dernier document « {label} » numéroté est daté du {day(latest)}. "
            f"Les numéros suivent l'ordre chronologique : choisissez une date au {day(latest)} ou après.",
            field="date",
        )
    counter.last_number += 1
    counter.last_date = doc_date
    db.session.flush()
    template = get_firm_settings(firm).prefix_template(doc_type)
    return DocumentNumber(
        doc_type=doc_type,
        year=year,
        sequence=counter.last_number,
        text=format_number(template, year, counter.last_number),
    )


def last_numbered_date(firm, doc_type: str) -> date | None:
    """Date of the last numbered document of that type (forms can propose it as the earliest)."""
    return db.session.scalar(
        select(DocumentCounter.last_date)
        .where(DocumentCounter.firm_id == firm.id, DocumentCounter.doc_type == doc_type)
        .order_by(DocumentCounter.last_date.desc())
        .limit(1)
    )
