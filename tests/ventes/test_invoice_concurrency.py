"""Two trainees validating invoices at the same moment: distinct numbers, no gap.

Real connections in threads, real commits. Validated invoices cannot be deleted
(freeze triggers), so this test's own firm stays in the test database until the
next session resets it; no other test counts rows across firms.
"""
import uuid
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.race import race
from crm.clients.services import create_party
from crm.core.models import Classroom, Firm, Role, User
from crm.core.passwords import hash_password
from crm.extensions import db
from crm.ventes.documents import services
from crm.ventes.documents.models import Invoice, SalesLine

THREADS, INVOICES_EACH = 4, 4


@pytest.mark.real_commits
def test_concurrent_invoice_validations(app):
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        classroom = Classroom(name=f"Concurrence {tag}", school_year="2026-2027")
        firm = Firm(classroom=classroom, trade_name=f"Facturation simultanée {tag}")
        user = User(username=f"conc_{tag}", display_name="Élève pressé", role=Role.TRAINEE.value,
                    password_hash=hash_password("x" * 12))
        db.session.add_all([firm, user])
        db.session.flush()
        party = create_party(firm, None, {"kind": "client", "category": "private",
                                          "last_name": "Client"}, journal=False)
        invoice_ids = []
        for n in range(THREADS * INVOICES_EACH):
            invoice = Invoice(firm_id=firm.id, party=party, issue_date=date(2026, 9, 1), status="draft")
            invoice.lines.append(SalesLine(firm_id=firm.id, position=1, description=f"Prestation {n}",
                                           quantity=D("1"), unit_price=D("100.00"),
                                           vat_rate=D("20"), net=D("100.00")))
            db.session.add(invoice)
            db.session.flush()
            invoice_ids.append(invoice.id)
        db.session.commit()
        firm_id, user_id = firm.id, user.id

    chunks = [invoice_ids[i::THREADS] for i in range(THREADS)]

    def validate(worker: int, round_: int, rng) -> str:
        invoice = db.session.get(Invoice, chunks[worker][round_])
        services.validate_document(invoice, db.session.get(User, user_id))
        return invoice.number  # a validation rolled back late gives its number back

    committed = race(app, THREADS, validate, rounds=INVOICES_EACH, rollback_rate=0.25, hold=0.005)
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in committed)
    assert sequences == list(range(1, len(committed) + 1))  # no duplicate, no gap
    with app.app_context():
        stored = db.session.scalars(
            select(Invoice.number).where(Invoice.firm_id == firm_id, Invoice.number.is_not(None))
        ).all()
        assert sorted(stored) == sorted(committed)
