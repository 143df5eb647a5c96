"""Two tills (or more) selling at the same moment never chain on the same previous record."""
from __future__ import annotations

import importlib.util
import itertools
from decimal import Decimal as D
from pathlib import Path

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, select

from tests.race import race
from crm.core.models import Classroom, Firm
from crm.core.numbering_models import DocumentCounter
from crm.extensions import db
from crm.formation.models import Activity
from crm.stocks.models import StockMove
from crm.stocks.services import move_stock
from crm.ventes.caisse import services
from crm.ventes.caisse.models import (
    CounterSale, CounterSaleLine, CounterSalePayment, DailyClosing, DailyClosingTotal, TillChain,
)
from crm.ventes.models import Product
from tests.factories import firm_today

MIGRATION = next(Path(__file__).parents[2].glob("migrations/versions/*_12f8599ee122_*.py"))


def _migration():
    spec = importlib.util.spec_from_file_location("till_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.real_commits
def test_concurrent_sales_chain_one_after_the_other(app):
    threads_count, rounds = 5, 4
    today = firm_today()
    with app.app_context():
        classroom = Classroom(name="Concurrence caisse", school_year="2026-2027")
        firm = Firm(classroom=classroom, trade_name="Deux caisses")
        db.session.add(firm)
        db.session.flush()
        product = Product(firm_id=firm.id, reference="GOMME", label="Gomme", sale_price=D("1.00"),
                          vat_rate=D("20"))
        db.session.add(product)
        db.session.flush()
        move_stock(firm, None, product, 1000, "reception", unit_cost=D("0.5"), source="stock initial")
        db.session.commit()
        firm_id, classroom_id, product_id = firm.id, classroom.id, product.id

    def sell(worker: int, round_: int, rng) -> str:
        firm = db.session.get(Firm, firm_id)
        product = db.session.get(Product, product_id)
        sale = services.sell(firm, None, [services.TicketLine(product, rng.randint(1, 3))], [("cash", "10")])
        return sale.number  # a cancelled sale gives back its number and its place in the chain

    try:
        committed = race(app, threads_count, sell, rounds=rounds, rollback_rate=0.25)
        with app.app_context():
            firm = db.session.get(Firm, firm_id)
            sales = db.session.scalars(select(CounterSale).where(CounterSale.firm_id == firm_id)
                                       .order_by(CounterSale.sequence)).all()
            assert [s.sequence for s in sales] == list(range(1, len(committed) + 1))
            assert [int(s.number.rsplit("-", 1)[1]) for s in sales] == list(range(1, len(committed) + 1))
            assert sorted(committed) == [s.number for s in sales]
            assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(sales))
            assert services.verify(firm).intact
            sold = sum(line.quantity for s in sales for line in s.lines)
            assert db.session.get(Product, product_id).on_hand == 1000 - sold
            services.close_day(firm, None, today)
            db.session.commit()
            assert services.verify(firm).records == len(committed) + 1
    finally:
        _cleanup(app, firm_id, classroom_id, product_id)


def _cleanup(app, firm_id: int, classroom_id: int, product_id: int) -> None:
    """Sealed rows cannot be deleted: lift the triggers in one transaction, delete, put them back."""
    migration = _migration()
    with app.app_context(), db.engine.begin() as connection, \
            Operations.context(MigrationContext.configure(connection)):
            migration._drop_triggers()
            sale_ids = select(CounterSale.id).where(CounterSale.firm_id == firm_id)
            closing_ids = select(DailyClosing.id).where(DailyClosing.firm_id == firm_id)
            for statement in (
                delete(CounterSalePayment).where(CounterSalePayment.sale_id.in_(sale_ids)),
                delete(CounterSaleLine).where(CounterSaleLine.sale_id.in_(sale_ids)),
                delete(CounterSale).where(CounterSale.firm_id == firm_id),
                delete(DailyClosingTotal).where(DailyClosingTotal.closing_id.in_(closing_ids)),
                delete(DailyClosing).where(DailyClosing.firm_id == firm_id),
                delete(TillChain).where(TillChain.firm_id == firm_id),
                delete(StockMove).where(StockMove.firm_id == firm_id),
                delete(Activity).where(Activity.firm_id == firm_id),
                delete(DocumentCounter).where(DocumentCounter.firm_id == firm_id),
                delete(Product).where(Product.id == product_id),
                delete(Firm).where(Firm.id == firm_id),
                delete(Classroom).where(Classroom.id == classroom_id),
            ):
                connection.execute(statement)
            migration._create_triggers()
