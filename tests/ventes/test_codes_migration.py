"""One set of codes: a database with real till data at the previous revision, upgraded, still verifies.

The till used French payment codes (especes, carte…) and the numbering French types
(facture, ticket…). Till records are sealed in a hash chain, so the migration renames
the stored codes but never a hash: records sealed before it verify with the old codes.
The data below is written as the previous code wrote it (same canonical JSON, same
chain), in a database of its own at revision 5f98e439750c, then upgraded to head.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from flask_migrate import upgrade
from sqlalchemy import (
    JSON, Boolean, Date, DateTime, Integer, LargeBinary, MetaData, Numeric, create_engine, insert, select, text,
)
from sqlalchemy.engine import make_url

from crm import create_app
from crm.core.models import Firm
from crm.extensions import db
from crm.ventes.caisse import services as till_services
from crm.ventes.caisse.models import CounterSalePayment, DailyClosingTotal
from crm.ventes.caisse.till import GENESIS_HASH, chain_hash
from tests.conftest import TEST_CONFIG

PREVIOUS_REVISION = "5f98e439750c"  # the schema before the codes were unified
DAY = date(2026, 11, 20)


@pytest.fixture
def empty_database(tmp_path, database_url_for_tests):
    """A database of its own (SQLite file, or a sibling PostgreSQL database), dropped afterwards."""
    if not database_url_for_tests.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    url = make_url(database_url_for_tests)
    name = f"{url.database}_upgrade"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def _filler(column):
    """A value for a NOT NULL column the old code filled from a Python default."""
    kind = column.type
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime):
        return datetime(2026, 11, 20, 9, 0)
    if isinstance(kind, Date):
        return DAY
    if isinstance(kind, (Integer, Numeric)):
        return 0
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, LargeBinary):
        return None
    return ""


def _insert(connection, metadata, table_name: str, **values) -> int:
    table = metadata.tables[table_name]
    for column in table.columns:
        if (column.name not in values and not column.nullable and column.server_default is None
                and not column.primary_key):
            values[column.name] = _filler(column)
    return connection.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()


def _old_till_data(connection) -> int:
    """Two receipts (cash with change; card + cash) and the day's Z, sealed as the old code sealed them."""
    metadata = MetaData()
    metadata.reflect(connection)
    classroom = _insert(connection, metadata, "classroom", name="Classe", school_year="2026-2027")
    firm = _insert(connection, metadata, "firm", classroom_id=classroom, trade_name="Boutique d'avant")
    product = _insert(connection, metadata, "product", firm_id=firm, reference="STYLO", label="Stylo",
                      purchase_price=D("4.00"), sale_price=D("10.00"), vat_rate=D("20"), stock_tracked=False)
    _insert(connection, metadata, "document_counter", firm_id=firm, doc_type="ticket", year=2026, last_number=2,
            last_date=DAY)
    _insert(connection, metadata, "document_counter", firm_id=firm, doc_type="cloture", year=2026, last_number=1,
            last_date=DAY)
    _insert(connection, metadata, "firm_settings", firm_id=firm, number_prefixes={"facture": "F-{yy}-"},
            late_payment_rate=D("10.00"), payment_terms_days=30, escompte_terms="", allow_negative_stock=False,
            time_zone="Europe/Paris")
    previous, sequence = GENESIS_HASH, 0
    sales = [("TK2026-0001", [("especes", D("20.00"))], D("20.00"), D("8.00")),
             ("TK2026-0002", [("carte", D("10.00")), ("especes", D("5.00"))], D("15.00"), D("3.00"))]
    for number, payments, tendered, change in sales:
        sequence += 1
        sold_at = datetime(2026, 11, 20, 9, sequence)
        data = {"type": "ticket", "firm_id": firm, "number": number, "sequence": sequence, "sold_at": sold_at,
                "sale_date": DAY, "party_id": None, "cashier_id": None, "total_ht": D("10.00"),
                "total_vat": D("2.00"), "total_ttc": D("12.00"), "tendered": tendered, "change": change,
                "payments": [{"mode": mode, "amount": amount} for mode, amount in payments]}
        lines = [{"position": 1, "product_id": product, "reference": "STYLO", "label": "Stylo", "quantity": 1,
                  "unit_price": D("10.00"), "vat_rate": D("20"), "net": D("10.00")}]
        sealed = chain_hash(previous, data, lines)
        sale = _insert(connection, metadata, "counter_sale", firm_id=firm, number=number, sequence=sequence,
                       sold_at=sold_at, sale_date=DAY, total_ht=D("10.00"), total_vat=D("2.00"),
                       total_ttc=D("12.00"), tendered=tendered, change_given=change, previous_hash=previous,
                       hash=sealed)
        _insert(connection, metadata, "counter_sale_line", firm_id=firm, sale_id=sale, **lines[0])
        for position, (mode, amount) in enumerate(payments, start=1):
            _insert(connection, metadata, "counter_sale_payment", firm_id=firm, sale_id=sale, position=position,
                    mode=mode, amount=amount)
        previous = sealed
    sequence += 1
    closed_at = datetime(2026, 11, 20, 18, 0)
    data = {"type": "cloture", "firm_id": firm, "number": "Z2026-0001", "sequence": sequence,
            "closing_date": DAY, "closed_at": closed_at, "closed_by_id": None, "sales_count": 2,
            "first_ticket": "TK2026-0001", "last_ticket": "TK2026-0002", "total_ht": D("20.00"),
            "total_vat": D("4.00"), "total_ttc": D("24.00"), "average_basket": D("12.00"),
            "grand_total": D("24.00")}
    totals = [{"kind": "mode", "key": "especes", "base": D("0.00"), "amount": D("14.00")},
              {"kind": "mode", "key": "carte", "base": D("0.00"), "amount": D("10.00")},
              {"kind": "vat", "key": "20", "base": D("20.00"), "amount": D("4.00")}]
    sealed = chain_hash(previous, data, totals)
    columns = {k: v for k, v in data.items() if k not in ("type", "firm_id")}
    closing = _insert(connection, metadata, "daily_closing", **columns, firm_id=firm, previous_hash=previous,
                      hash=sealed)
    for position, total in enumerate(totals, start=1):
        _insert(connection, metadata, "daily_closing_total", firm_id=firm, closing_id=closing, position=position,
                **total)
    _insert(connection, metadata, "till_chain", firm_id=firm, last_sequence=sequence, last_hash=sealed,
            grand_total=D("24.00"))
    return firm


@pytest.mark.real_commits
def test_the_till_chain_still_verifies_after_the_codes_migration(empty_database):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    try:
        with app.app_context():
            upgrade(revision=PREVIOUS_REVISION)
            with db.engine.begin() as connection:
                firm_id = _old_till_data(connection)
            upgrade()

            result = app.test_cli_runner().invoke(args=["ventes", "verify"])
            assert result.exit_code == 0, result.output
            assert "Boutique d'avant : chaîne intègre (3 enregistrements)." in result.output

            modes = db.session.scalars(select(CounterSalePayment.mode).order_by(CounterSalePayment.id)).all()
            assert modes == ["cash", "card", "cash"]
            keys = db.session.scalars(select(DailyClosingTotal.key).order_by(DailyClosingTotal.id)).all()
            assert keys == ["cash", "card", "20"]
            types = db.session.scalars(text("SELECT doc_type FROM document_counter ORDER BY id")).all()
            assert types == ["receipt", "daily_closing"]
            prefixes = db.session.scalar(text("SELECT number_prefixes FROM firm_settings"))
            assert "invoice" in str(prefixes) and "facture" not in str(prefixes)

            # The chain goes on with the new codes: a sale sealed today verifies too.
            firm = db.session.get(Firm, firm_id)
            product = db.session.scalar(text("SELECT id FROM product"))
            from crm.ventes.models import Product

            line = till_services.TicketLine(db.session.get(Product, product), 1)
            sale = till_services.sell(firm, None, [line], [("card", "12")], today=date(2026, 11, 21))
            db.session.commit()
            assert sale.number == "TK2026-0003" and sale.seal_version == 2
            assert till_services.verify(firm).intact and till_services.verify(firm).records == 4
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

