"""Document numbering: per firm, type and year, chronological, without gaps."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select

from tests.race import race
from crm.core.errors import DomainError
from crm.core.firm_settings import update_firm_settings
from crm.core.models import Classroom, Firm
from crm.core.numbering import format_number, last_numbered_date, next_number
from crm.core.numbering_models import DocumentCounter
from crm.extensions import db


def numbers(firm, doc_type, *dates):
    return [next_number(firm, doc_type, d).text for d in dates]


def test_numbers_follow_each_other_with_the_default_prefix(make_firm):
    firm = make_firm()
    d = date(2026, 3, 2)
    assert numbers(firm, "invoice", d, d, date(2026, 3, 5)) == [
        "FA2026-0001",
        "FA2026-0002",
        "FA2026-0003",
    ]
    issued = next_number(firm, "invoice", date(2026, 3, 5))
    assert (issued.doc_type, issued.year, issued.sequence, str(issued)) == (
        "invoice", 2026, 4, "FA2026-0004",
    )


def test_each_year_starts_again_at_one(make_firm):
    firm = make_firm()
    assert numbers(firm, "invoice", date(2026, 12, 30), date(2026, 12, 31)) == [
        "FA2026-0001", "FA2026-0002",
    ]
    assert numbers(firm, "invoice", date(2027, 1, 2), date(2027, 1, 2)) == [
        "FA2027-0001", "FA2027-0002",
    ]


def test_firms_and_document_types_have_their_own_sequences(make_firm):
    firm_a, firm_b = make_firm(), make_firm()
    d = date(2026, 5, 4)
    assert numbers(firm_a, "invoice", d, d) == ["FA2026-0001", "FA2026-0002"]
    assert numbers(firm_b, "invoice", d) == ["FA2026-0001"]
    assert numbers(firm_a, "credit_note", d) == ["AV2026-0001"]
    assert numbers(firm_a, "quote", d) == ["DE2026-0001"]
    assert numbers(firm_a, "invoice", d) == ["FA2026-0003"]


def test_the_prefix_comes_from_the_firm_settings(make_firm):
    firm, other = make_firm(), make_firm()
    update_firm_settings(firm, number_prefixes={"invoice": "F-{yy}/", "credit_note": "AV{year}-"})
    d = date(2026, 6, 1)
    assert numbers(firm, "invoice", d) == ["F-26/0001"]
    assert numbers(firm, "credit_note", d) == ["AV2026-0001"]
    assert numbers(other, "invoice", d) == ["FA2026-0001"]  # the other firm keeps the default


def test_a_rolled_back_validation_consumes_no_number(make_firm):
    firm = make_firm()
    d = date(2026, 2, 10)
    assert numbers(firm, "invoice", d) == ["FA2026-0001"]
    savepoint = db.session.begin_nested()
    assert numbers(firm, "invoice", d) == ["FA2026-0002"]
    savepoint.rollback()  # the validation failed after taking its number
    assert numbers(firm, "invoice", d) == ["FA2026-0002"]


def test_a_date_before_the_last_numbered_document_is_refused(make_firm):
    firm = make_firm()
    next_number(firm, "invoice", date(2026, 4, 15))
    with pytest.raises(DomainError) as refused:
        next_number(firm, "invoice", date(2026, 4, 14))
    assert refused.value.field == "date"
    assert refused.value.message == (
        "Date refusée : le dernier document « facture » numéroté est daté du 15/04/2026. "
        "Les numéros suivent l'ordre chronologique : choisissez une date au 15/04/2026 ou après."
    )
    # The refusal consumed nothing; the same day and later days are accepted.
    assert numbers(firm, "invoice", date(2026, 4, 15), date(2026, 4, 16)) == [
        "FA2026-0002", "FA2026-0003",
    ]
    # Another type has its own chronology.
    assert numbers(firm, "credit_note", date(2026, 1, 5)) == ["AV2026-0001"]
    assert last_numbered_date(firm, "invoice") == date(2026, 4, 16)
    assert last_numbered_date(firm, "delivery") is None


def test_chronology_holds_across_years(make_firm):
    firm = make_firm()
    next_number(firm, "invoice", date(2027, 1, 3))
    with pytest.raises(DomainError, match="03/01/2027"):
        next_number(firm, "invoice", date(2026, 12, 31))


def test_an_unknown_document_type_is_a_programming_error(make_firm):
    with pytest.raises(ValueError):
        next_number(make_firm(), "bon_cadeau", date(2026, 1, 1))


def test_format_number():
    assert format_number("FA{year}-", 2026, 7) == "FA2026-0007"
    assert format_number("{yy}/", 2031, 12345) == "31/12345"


def test_the_database_refuses_an_unknown_type_or_a_negative_counter(make_firm):
    from sqlalchemy.exc import IntegrityError

    firm = make_firm()
    for bad in (
        DocumentCounter(firm_id=firm.id, doc_type="bon_cadeau", year=2026, last_number=0),
        DocumentCounter(firm_id=firm.id, doc_type="invoice", year=2026, last_number=-1),
    ):
        savepoint = db.session.begin_nested()
        db.session.add(bad)
        with pytest.raises(IntegrityError):
            db.session.flush()
        savepoint.rollback()


@pytest.mark.real_commits
def test_concurrent_validations_get_distinct_numbers_without_gaps(app):
    """Threads on their own connections validate at the same moment; some roll back.

    The committed numbers must be exactly 1..n: no duplicate (the lock) and no
    gap (a rolled-back validation gives its number back).
    """
    threads_count, rounds = 6, 5
    with app.app_context():
        classroom = Classroom(name="Concurrence numérotation", school_year="2026-2027")
        firm = Firm(classroom=classroom, trade_name="Course aux numéros")
        db.session.add(firm)
        db.session.commit()
        firm_id, classroom_id = firm.id, classroom.id

    def validate(worker: int, round_: int, rng) -> int:
        firm = db.session.get(Firm, firm_id)
        return next_number(firm, "invoice", date(2026, 9, 1)).sequence

    try:
        committed = race(app, threads_count, validate, rounds=rounds, rollback_rate=0.3)
        assert sorted(committed) == list(range(1, len(committed) + 1))
        with app.app_context():
            last = db.session.scalar(
                select(DocumentCounter.last_number).where(DocumentCounter.firm_id == firm_id)
            )
            assert last == len(committed)
    finally:
        with app.app_context():
            db.session.execute(delete(DocumentCounter).where(DocumentCounter.firm_id == firm_id))
            db.session.execute(delete(Firm).where(Firm.id == firm_id))
            db.session.execute(delete(Classroom).where(Classroom.id == classroom_id))
            db.session.commit()
