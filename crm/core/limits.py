"""The bounds of what a request may carry: integers, ids, dates and texts the database can hold.

One place for them, so a form, a query parameter or a URL never reaches the database with a
value it refuses (SQLite integers stop at 2^63, PostgreSQL's at 2^31; PostgreSQL refuses NUL
bytes in text; a date of year 1 or 9999 overflows the first computation on it).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

# The smaller of the two databases' INTEGER ranges (PostgreSQL's 32-bit integer).
MAX_INT = 2**31 - 1
MIN_INT = -(2**31)
# Amounts and decimal quantities: below ten billion (every Numeric column holds them).
MAX_AMOUNT = Decimal("1e10")
# Business dates: a practice firm works in this century.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
DATE_MESSAGE = "Choisissez une date entre le 01/01/2000 et le 31/12/2099."
INT_MESSAGE = "Ce nombre est trop grand."
NUL_MESSAGE = "Le texte envoyé contient un caractère invalide (octet nul) : rien n'a été enregistré."


def int_in_range(value: int) -> bool:
    return MIN_INT <= value <= MAX_INT


def is_id(value) -> bool:
    """An int that may be the id of a row (ids are positive and within the database's range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT


def date_in_range(value: date) -> bool:
    return MIN_DATE <= (value.date() if hasattr(value, "date") else value) <= MAX_DATE


def bounded_int(text) -> int:
    """int(text) limited to the database's range: ValueError otherwise (for MultiDict.get(type=…))."""
    value = int(text)
    if not int_in_range(value):
        raise ValueError("out of range")
    return value


def parse_date(text: str | None) -> date | None:
    """An ISO date within the business range, None when absent, malformed or out of range."""
    try:
        value = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return value if date_in_range(value) else None
