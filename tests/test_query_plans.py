"""The long lists read their page from an index, in its order, on both databases (EXPLAIN).

A list sorted by an index stops after its page; a list whose rows must all be read and
sorted first costs as much as the firm has rows. These tests ask each database for the
plan of a list's page query and require the index named, with no sort step. The tables
of a test are tiny, so PostgreSQL is told to prefer any index to a full read (as it does
at a school's scale) and to avoid sorting when an index gives the order.
"""
from __future__ import annotations

from datetime import date

from crm.extensions import db
from crm.ventes.documents import services as documents


def plan_of(statement) -> str:
    """The database's plan for `statement` (a SELECT), as one text."""
    bind = db.session.get_bind()
    sql = str(statement.compile(bind, compile_kwargs={"literal_binds": True}))
    connection = db.session.connection()
    if bind.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    return "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))


def assert_read_in_index_order(plan: str, index: str) -> None:
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_overdue_invoices_page_is_read_from_the_unsettled_invoices_index(world):
    page = documents.overdue_invoices_query(world.firm_a, date(2026, 11, 29))
    model = page.column_descriptions[0]["entity"]
    ids = page.with_only_columns(model.id).limit(50).offset(950)
    assert_read_in_index_order(plan_of(ids), "ix_sales_document_unsettled_due")
