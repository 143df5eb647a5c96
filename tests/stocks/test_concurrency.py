"""Concurrent sales of the last units: never below zero, no lost move (real connections, real commits)."""
from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from sqlalchemy import delete, select

from crm.core.errors import DomainError
from crm.core.models import Classroom, Firm
from crm.extensions import db
from crm.stocks import services
from crm.stocks.models import StockMove
from crm.ventes.models import Product

THREADS = 8


@pytest.mark.real_commits
@pytest.mark.parametrize("stock, per_sale", [(5, 1), (5, 2)])
def test_concurrent_sales_of_the_last_units(app, stock, per_sale):
    with app.app_context():
        classroom = Classroom(name=f"Concurrence {stock}-{per_sale}", school_year="2026-2027")
        firm = Firm(classroom=classroom, trade_name="Concurrence")
        db.session.add_all([classroom, firm])
        db.session.flush()
        product = Product(firm_id=firm.id, reference="LAST", label="Dernières unités",
                          purchase_price=D("3"), sale_price=D("5"), vat_rate=D("20"))
        db.session.add(product)
        db.session.flush()
        services.move_stock(firm, None, product, stock, "reception", D("3"))
        db.session.commit()
        firm_id, classroom_id, product_id = firm.id, classroom.id, product.id
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sell():
        with app.app_context():
            firm = db.session.get(Firm, firm_id)
            product = db.session.get(Product, product_id)
            # End the read transaction: on SQLite every transaction is BEGIN IMMEDIATE and
            # would hold the write lock while the other threads wait at the barrier.
            db.session.commit()
            barrier.wait()
            try:
                services.move_stock(firm, None, product, -per_sale, "counter_sale", source="Ticket")
                db.session.commit()
                result = "sold"
            except DomainError:
                db.session.rollback()
                result = "refused"
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                result = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=sell) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        sold = stock // per_sale
        assert sorted(outcomes) == ["refused"] * (THREADS - sold) + ["sold"] * sold
        with app.app_context():
            on_hand = db.session.scalar(select(Product.on_hand).where(Product.id == product_id))
            moves = db.session.scalars(select(StockMove).where(StockMove.product_id == product_id)
                                       .order_by(StockMove.id)).all()
            assert on_hand == stock - sold * per_sale >= 0
            assert len(moves) == 1 + sold  # the reception and every successful sale: no move lost
            assert sum(m.quantity for m in moves) == on_hand
            # The balances recorded move by move form one unbroken chain.
            assert [m.on_hand_after for m in moves] == [stock - i * per_sale for i in range(sold + 1)]
    finally:
        with app.app_context():
            db.session.execute(delete(StockMove).where(StockMove.firm_id == firm_id))
            db.session.execute(delete(Product).where(Product.firm_id == firm_id))
            db.session.execute(delete(Firm).where(Firm.id == firm_id))
            db.session.execute(delete(Classroom).where(Classroom.id == classroom_id))
            db.session.commit()
