"""French formats through Babel."""
from datetime import date, datetime
from decimal import Decimal

from crm.core import formatting


def _plain(text):
    # Babel uses narrow/normal no-break spaces, as French typography wants.
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_money():
    assert _plain(formatting.money(Decimal("1234.56"))) == "1 234,56 €"
    assert _plain(formatting.money(Decimal("0.5"))) == "0,50 €"
    assert _plain(formatting.money(Decimal("-12"))) == "-12,00 €"
    assert formatting.money(None) == ""


def test_dates():
    assert formatting.day(date(2026, 11, 22)) == "22/11/2026"
    # Stored in UTC, shown in Paris time (the default zone): UTC+1 in winter, UTC+2 in summer.
    assert formatting.timestamp(datetime(2026, 11, 22, 14, 5)) == "22/11/2026 15:05"
    assert formatting.timestamp(datetime(2026, 7, 1, 10, 0), "HH:mm:ss") == "12:00:00"


def test_percent_and_number():
    assert _plain(formatting.percent(Decimal("5.5"))) == "5,5 %"
    assert _plain(formatting.percent(Decimal("20"))) == "20 %"
    assert _plain(formatting.number(Decimal("1234.5"))) == "1 234,5"
