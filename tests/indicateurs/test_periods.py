"""Periods: the calendar units, the cut at the business date, the period compared with, the chart's bars."""
from datetime import date

import pytest

from crm.core.errors import DomainError
from crm.indicateurs.periods import Range, bucket_step, buckets, neighbours, period_of

TODAY = date(2026, 11, 20)  # a Friday


def test_month_being_lived_is_cut_at_the_business_date_and_compared_day_for_day():
    period = period_of("month", TODAY)
    assert period.current == Range(date(2026, 11, 1), date(2026, 11, 20))
    assert period.truncated and period.label == "novembre 2026"
    # 20 days against the first 20 days of October, not the whole of October.
    assert period.previous == Range(date(2026, 10, 1), date(2026, 10, 20))


def test_a_past_month_is_whole_and_compared_with_the_whole_month_before():
    period = period_of("month", TODAY, reference=date(2026, 3, 15))
    assert period.current == Range(date(2026, 3, 1), date(2026, 3, 31)) and not period.truncated
    assert period.previous == Range(date(2026, 2, 1), date(2026, 2, 28))


def test_the_previous_period_never_runs_past_its_own_unit():
    # 1–31 March compared with February, which has 28 days: 1–28 February, not into March.
    period = period_of("month", date(2026, 3, 31))
    assert period.current == Range(date(2026, 3, 1), date(2026, 3, 31))
    assert period.previous == Range(date(2026, 2, 1), date(2026, 2, 28))


def test_day_and_week():
    day = period_of("day", TODAY)
    assert day.current == Range(TODAY, TODAY) and day.previous == Range(date(2026, 11, 19), date(2026, 11, 19))
    week = period_of("week", TODAY)  # Monday 16 to Friday 20 (cut), against Monday 9 to Friday 13
    assert week.current == Range(date(2026, 11, 16), date(2026, 11, 20))
    assert week.previous == Range(date(2026, 11, 9), date(2026, 11, 13))
    assert week.label == "semaine du 16/11/2026 au 22/11/2026"


@pytest.mark.parametrize("day, start, end, label", [
    (date(2026, 11, 20), date(2026, 9, 1), date(2026, 12, 31), 
     "1er trimestre (septembre à décembre), année scolaire 2026-2027"),
    (date(2027, 2, 3), date(2027, 1, 1), date(2027, 3, 31), "2e trimestre (janvier à mars), année scolaire 2026-2027"),
    (date(2027, 5, 3), date(2027, 4, 1), date(2027, 8, 31), "3e trimestre (avril à août), année scolaire 2026-2027"),
    (date(2027, 7, 14), date(2027, 4, 1), date(2027, 8, 31), "3e trimestre (avril à août), année scolaire 2026-2027"),
])
def test_school_terms(day, start, end, label):
    period = period_of("term", date(2027, 12, 31), reference=day)
    assert period.unit == Range(start, end) and period.label == label


def test_term_compared_with_the_term_before():
    period = period_of("term", TODAY)  # 1 Sept – 20 Nov (81 days) against 1 April + 80 days = 20 June
    assert period.current == Range(date(2026, 9, 1), TODAY)
    assert period.previous == Range(date(2026, 4, 1), date(2026, 6, 20))


def test_custom_period_compared_with_the_same_length_just_before():
    period = period_of("custom", TODAY, start=date(2026, 11, 10), end=date(2026, 11, 19))
    assert period.current == Range(date(2026, 11, 10), date(2026, 11, 19))
    assert period.previous == Range(date(2026, 10, 31), date(2026, 11, 9))
    assert neighbours(period, TODAY) == (None, None)


@pytest.mark.parametrize("kind, start, end, field, message", [
    ("custom", None, date(2026, 11, 1), "du", "Indiquez la date de début et la date de fin"),
    ("custom", date(2026, 11, 2), date(2026, 11, 1), "au", "La date de fin précède la date de début"),
    ("custom", date(2020, 1, 1), date(2026, 11, 1), "au", "trois ans au plus"),
    ("custom", date(1990, 1, 1), date(1990, 2, 1), "du", "Choisissez une date entre"),
    ("year", None, None, "periode", "Choisissez une période"),
])
def test_bad_periods_are_refused_in_french(kind, start, end, field, message):
    with pytest.raises(DomainError) as refused:
        period_of(kind, TODAY, start=start, end=end)
    assert refused.value.field == field and message in refused.value.message


def test_navigation_never_goes_past_today():
    previous_day, next_day = neighbours(period_of("month", TODAY), TODAY)
    assert previous_day == date(2026, 10, 31) and next_day is None
    assert neighbours(period_of("month", TODAY, reference=date(2026, 10, 5)), TODAY)[1] == date(2026, 11, 1)


def test_chart_bars_are_days_then_weeks_then_months():
    month = Range(date(2026, 11, 1), date(2026, 11, 20))
    assert bucket_step(month) == "jour" and len(buckets(month)) == 20
    term = Range(date(2026, 9, 1), date(2026, 12, 31))  # 122 days: weeks, the first from Tue 1 Sept
    weeks = buckets(term)
    assert bucket_step(term) == "semaine"
    assert (weeks[0].start, weeks[0].end) == (date(2026, 9, 1), date(2026, 9, 6))
    assert weeks[-1].end == date(2026, 12, 31) and weeks[1].start == date(2026, 9, 7)
    year = Range(date(2026, 1, 15), date(2026, 12, 31))
    months = buckets(year)
    assert bucket_step(year) == "mois" and len(months) == 12
    assert (months[0].start, months[0].end, months[0].label) == (date(2026, 1, 15), date(2026, 1, 31), "janv. 2026")
