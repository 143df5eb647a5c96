"""Periods of the indicators: day, week, month, school term or custom, and the period before.

Pure functions (no database). A period is a range of business dates, both
ends included. The calendar units:
- day;
- week: Monday to Sunday (ISO week, as French calendars print it);
- month: the calendar month;
- school term (*trimestre scolaire*): September–December, January–March and
  April–August (the third term keeps the summer, so that every day of the
  year belongs to one term);
- custom: any range up to MAX_CUSTOM_DAYS days.

The period being lived is cut at the firm's business date (nothing after it
can exist yet), and it is compared with the same number of days at the start
of the previous unit ("à date égale"): 1–15 November against 1–15 October,
never against the whole of October. A custom period is compared with the
range of the same length just before it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from crm.core.errors import DomainError
from crm.core.limits import MAX_DATE, MIN_DATE

KINDS = {
    "day": "Jour",
    "week": "Semaine",
    "month": "Mois",
    "term": "Trimestre scolaire",
    "custom": "Période personnalisée",
}
DEFAULT_KIND = "month"
MAX_CUSTOM_DAYS = 3 * 366
# Dates outside this range are refused: date arithmetic never overflows and ranges stay sensible.
FIRST_DAY = MIN_DATE
LAST_DAY = MAX_DATE

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                "nov.", "déc.")
# First month of each school term, and its French name.
TERMS = ((9, "1er trimestre (septembre à décembre)"), (1, "2e trimestre (janvier à mars)"),
         (4, "3e trimestre (avril à août)"))


@dataclass(frozen=True)
class Range:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Period:
    """The period shown and the one it is compared with."""

    kind: str
    current: Range
    previous: Range
    label: str  # "novembre 2026", "semaine du 16/11/2026"…
    truncated: bool  # the unit goes on after the business date: shown up to that date
    unit: Range  # the whole calendar unit (for the navigation)

    @property
    def start(self) -> date:
        return self.current.start

    @property
    def end(self) -> date:
        return self.current.end

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


def period_of(kind: str, today: date, reference: date | None = None, start: date | None = None,
              end: date | None = None) -> Period:
    """The period of `kind` holding `reference` (today by default), or the custom range start–end.

    Raises DomainError (French) for an unknown kind or a bad custom range.
    """
    if kind not in KINDS:
        raise DomainError("Choisissez une période : jour, semaine, mois, trimestre ou personnalisée.", "periode")
    if kind == "custom":
        return _custom(start, end, today)
    reference = _checked(reference or today, "date")
    unit = unit_of(kind, reference)
    truncated = unit.start <= today < unit.end
    current = Range(unit.start, today) if truncated else unit
    before = unit_of(kind, unit.start - timedelta(days=1))
    previous = Range(before.start, min(before.start + timedelta(days=current.days - 1), before.end))
    return Period(kind, current, previous, unit_label(kind, unit), truncated, unit)


def unit_of(kind: str, day: date) -> Range:
    """The whole calendar unit of `kind` holding `day`."""
    if kind == "day":
        return Range(day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Range(monday, monday + timedelta(days=6))
    if kind == "month":
        return Range(day.replace(day=1), _month_end(day))
    if kind == "term":
        return _term_of(day)
    raise ValueError(kind)


def unit_label(kind: str, unit: Range) -> str:
    if kind == "day":
        return f"{unit.start:%d/%m/%Y}"
    if kind == "week":
        return f"semaine du {unit.start:%d/%m/%Y} au {unit.end:%d/%m/%Y}"
    if kind == "month":
        return f"{MONTHS[unit.start.month - 1]} {unit.start.year}"
    if kind == "term":
        name = next(label for month, label in TERMS if month == unit.start.month)
        year = unit.start.year if unit.start.month == 9 else unit.start.year - 1
        return f"{name}, année scolaire {year}-{year + 1}"
    return f"du {unit.start:%d/%m/%Y} au {unit.end:%d/%m/%Y}"


def neighbours(period: Period, today: date) -> tuple[date | None, date | None]:
    """Reference dates of the previous and next unit (None for the next one when it starts after today)."""
    if period.kind == "custom":
        return None, None
    previous = period.unit.start - timedelta(days=1)
    following = period.unit.end + timedelta(days=1)
    return (previous if previous >= FIRST_DAY else None,
            following if following <= min(today, LAST_DAY) else None)


@dataclass(frozen=True)
class Bucket:
    """One bar of the revenue chart: a day, a week or a month of the period."""

    start: date
    end: date
    label: str


def bucket_step(span: Range) -> str:
    """What each bar of a period's chart is: "jour" up to 31 days, "semaine" up to 26 weeks, else "mois"."""
    if span.days <= 31:
        return "jour"
    return "semaine" if span.days <= 26 * 7 else "mois"


def buckets(span: Range) -> list[Bucket]:
    """The days, weeks or months of the period (see bucket_step), the first and last clipped to it."""
    if bucket_step(span) == "jour":
        return [Bucket(d, d, f"{d:%d/%m}") for d in _days(span)]
    result = []
    step = "week" if bucket_step(span) == "semaine" else "month"
    day = span.start
    while day <= span.end:
        unit = unit_of(step, day)
        last = min(unit.end, span.end)
        label = f"{day:%d/%m}" if step == "week" else f"{SHORT_MONTHS[day.month - 1]} {day:%Y}"
        result.append(Bucket(day, last, label))
        day = last + timedelta(days=1)
    return result


# --- internals ---------------------------------------------------------------

def _custom(start: date | None, end: date | None, today: date) -> Period:
    if start is None or end is None:
        raise DomainError("Indiquez la date de début et la date de fin de la période.", "du")
    start, end = _checked(start, "du"), _checked(end, "au")
    if end < start:
        raise DomainError("La date de fin précède la date de début.", "au")
    current = Range(start, end)
    if current.days > MAX_CUSTOM_DAYS:
        raise DomainError("Une période personnalisée dure trois ans au plus.", "au")
    previous_end = start - timedelta(days=1)
    previous = Range(previous_end - timedelta(days=current.days - 1), previous_end)
    return Period("custom", current, previous, unit_label("custom", current), False, current)


def _checked(day: date, field: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DomainError(f"Choisissez une date entre {FIRST_DAY:%d/%m/%Y} et {LAST_DAY:%d/%m/%Y}.", field)
    return day


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _term_of(day: date) -> Range:
    if day.month >= 9:
        return Range(date(day.year, 9, 1), date(day.year, 12, 31))
    if day.month <= 3:
        return Range(date(day.year, 1, 1), date(day.year, 3, 31))
    return Range(date(day.year, 4, 1), date(day.year, 8, 31))


def _days(span: Range):
    day = span.start
    while day <= span.end:
        yield day
        day += timedelta(days=1)
