"""Two trainees validating invoices at the same moment: distinct numbers, no gap.

Real connections in threads, real commits. Validated invoices cannot be deleted
(freeze triggers), so this test's own firm stays in the test database until the
next session resets it; no other test counts rows across firms.
"""
import random
import threading
import time
import uuid
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

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

    committed, errors = [], []
    guard, barrier = threading.Lock(), threading.Barrier(THREADS)

    def validate(chunk: list[int], seed: int) -> None:
        rng = random.Random(seed)
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                for invoice_id in chunk:
                    invoice = db.session.get(Invoice, invoice_id)
                    services.validate_document(invoice, db.session.get(User, user_id))
                    number = invoice.number
                    time.sleep(rng.uniform(0, 0.005))
                    if rng.random() < 0.25:
                        db.session.rollback()  # a validation that fails late gives its number back
                    else:
                        db.session.commit()
                        with guard:
                            committed.append(number)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    chunks = [invoice_ids[i::THREADS] for i in range(THREADS)]
    workers = [threading.Thread(target=validate, args=(chunk, n)) for n, chunk in enumerate(chunks)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert committed, "every validation rolled back: the test proved nothing"
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in committed)
    assert sequences == list(range(1, len(committed) + 1))  # no duplicate, no gap
    with app.app_context():
        stored = db.session.scalars(
            select(Invoice.number).where(Invoice.firm_id == firm_id, Invoice.number.is_not(None))
        ).all()
        assert sorted(stored) == sorted(committed)
