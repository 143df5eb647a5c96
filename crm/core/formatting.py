"""French display formats (Babel): amounts, dates, percentages."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

LOCALE = "fr_FR"


# Amounts, numbers and dates are written by hand in Babel's fr_FR format (the test compares both
# on many values): Babel re-reads its pattern and locale data on every call, and a list of 50
# invoices calls money() hundreds of times. Rounding is Babel's: half to even.
_GROUP, _NBSP = "\u202f", "\xa0"


def _grouped(value: Decimal, digits: int, keep_zeros: bool) -> str:
    """value rounded to `digits` decimals in French: '-1 234,5' (keep_zeros: '-1 234,50')."""
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    units, _, decimals = f"{abs(rounded):f}".partition(".")
    if not keep_zeros:
        decimals = decimals.rstrip("0")
    text = f"{int(units):,}".replace(",", _GROUP) + ("," + decimals if decimals else "")
    return ("-" if rounded.is_signed() else "") + text


def money(value: Decimal | int | None, currency: str = "EUR") -> str:
    """1234.5 → '1 234,50 €'."""
    if value is None:
        return ""
    if currency != "EUR":
        return format_currency(Decimal(value), currency, locale=LOCALE)
    return _grouped(Decimal(value), 2, keep_zeros=True) + _NBSP + "€"


def number(value: Decimal | int | None, digits: int = 2) -> str:
    """A plain decimal number in French format, with `digits` decimals at most."""
    if value is None:
        return ""
    return _grouped(Decimal(value), digits, keep_zeros=False)


def percent(value: Decimal | int | None, digits: int = 2) -> str:
    """A rate given in percent: Decimal('5.5') → '5,5 %'."""
    if value is None:
        return ""
    return _grouped(Decimal(value), digits, keep_zeros=False) + " %"


def day(value: date | datetime | None) -> str:
    """22/11/2026."""
    if value is None:
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def weekday(value: date | None) -> str:
    """The day's name: Lundi."""
    if value is None:
        return ""
    return format_date(value, format="EEEE", locale=LOCALE).capitalize()


TIMESTAMP = "dd/MM/yyyy HH:mm"
# The patterns lists show once per row, written by hand as day() is (Babel's are equal: tested).
_BY_HAND = {
    TIMESTAMP: lambda shown: f"{day(shown)} {shown.hour:02d}:{shown.minute:02d}",
    "HH:mm:ss": lambda shown: f"{shown.hour:02d}:{shown.minute:02d}:{shown.second:02d}",
}


def timestamp(value: datetime | None, pattern: str = TIMESTAMP, zone=None) -> str:
    """A stored UTC instant as read where the firm is: 22/11/2026 14:05 (crm.core.clock)."""
    if value is None:
        return ""
    from crm.core.clock import local

    shown = local(value, zone)
    if pattern in _BY_HAND:
        return _BY_HAND[pattern](shown)
    return format_datetime(shown, format=pattern, tzinfo=shown.tzinfo, locale=LOCALE)


# Unit symbols never take the plural mark (1 kg, 3 kg); words do (1 pièce, 8 pièces).
_INVARIABLE_UNITS = {"kg", "g", "mg", "t", "m", "cm", "mm", "km", "m2", "m²", "m3", "m³", "l", "cl", "ml", "h",
                     "min", "j", "u", "u.", "%"}


def plural(count, singular: str, plural_form: str | None = None) -> str:
    """The word for `count` things, French rule: singular for 0 and 1 (and −1…1), plural from 2."""
    if abs(Decimal(count)) < 2:
        return singular
    return plural_form or _plural_of(singular)


def counted(count, singular: str, plural_form: str | None = None) -> str:
    """'1 article', '3 articles', '1 234 commandes'."""
    return f"{number(count, 3)} {plural(count, singular, plural_form)}"


def with_unit(quantity, unit: str | None, digits: int = 3) -> str:
    """A quantity and its unit, the unit agreeing with it: '8 pièces', '1,5 kg', '1 lot'."""
    if not unit:
        return number(quantity, digits)
    return f"{number(quantity, digits)} {plural(quantity, unit)}"


def _plural_of(word: str) -> str:
    """French plural of one word or of a unit symbol (left as is)."""
    if " " in word:  # "boîte de 10" → "boîtes de 10": the first word agrees
        head, _, rest = word.partition(" ")
        return f"{_plural_of(head)} {rest}"
    if word.lower() in _INVARIABLE_UNITS or not word[-1:].isalpha() or word[-1:] in "sxzSXZ":
        return word
    if word.endswith(("eau", "au", "eu")):
        return word + "x"
    return word + "s"


_VOWELS = tuple("aeiouyàâäéèêëîïôöùûüœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŒÆ")


def of(name: str) -> str:
    """The French 'de' before a name, elided before a vowel: 'de Hugo', 'd'Aïssata'."""
    return f"d'{name}" if name.startswith(_VOWELS) else f"de {name}"


FEMININE = "f"


def agree(subject, masculine: str, feminine: str | None = None) -> str:
    """A word agreeing with the grammatical gender of `subject` (an object with a `gender`, or "m"/"f"):
    agree(invoice, "validé") → "validée"; agree(invoice, "il", "elle") → "elle". Each kind of thing
    says its gender once (e.g. crm.ventes.documents.models.KIND_GENDERS), never each template."""
    gender = getattr(subject, "gender", subject)
    if gender != FEMININE:
        return masculine
    return feminine if feminine is not None else masculine + "e"


def register(app) -> None:
    app.add_template_global(agree, "agree")
    app.add_template_filter(of, "of")
    app.add_template_filter(counted, "counted")
    app.add_template_filter(with_unit, "with_unit")
    app.add_template_global(plural, "plural")
    app.add_template_filter(money, "money")
    app.add_template_filter(number, "number")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(day, "day")
    app.add_template_filter(timestamp, "timestamp")
    app.add_template_filter(weekday, "weekday")
