"""French display formats (Babel): amounts, dates, percentages."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"


def money(value: Decimal | int | None, currency: str = "EUR") -> str:
    """1234.5 → '1 234,50 €'."""
    if value is None:
        return ""
    return format_currency(Decimal(value), currency, locale=LOCALE)


def number(value: Decimal | int | None, digits: int = 2) -> str:
    """A plain decimal number in French format, with `digits` decimals at most."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(Decimal(value), format=pattern, locale=LOCALE)


def percent(value: Decimal | int | None, digits: int = 2) -> str:
    """A rate given in percent: Decimal('5.5') → '5,5 %'."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "#" * digits if digits else "") + " %"
    return format_percent(Decimal(value) / 100, format=pattern, locale=LOCALE)


def day(value: date | datetime | None) -> str:
    """22/11/2026."""
    if value is None:
        return ""
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def weekday(value: date | None) -> str:
    """The day's name: Lundi."""
    if value is None:
        return ""
    return format_date(value, format="EEEE", locale=LOCALE).capitalize()


def timestamp(value: datetime | None, pattern: str = "dd/MM/yyyy HH:mm", zone=None) -> str:
    """A stored UTC instant as read where the firm is: 22/11/2026 14:05 (crm.core.clock)."""
    if value is None:
        return ""
    from crm.core.clock import local

    shown = local(value, zone)
    return format_datetime(shown, format=pattern, tzinfo=shown.tzinfo, locale=LOCALE)


def register(app) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(number, "number")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(day, "day")
    app.add_template_filter(timestamp, "timestamp")
    app.add_template_filter(weekday, "weekday")
