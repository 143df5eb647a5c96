"""Freeze triggers: the database itself refuses to change a validated document."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm.core.immutability import MESSAGE, freeze_ddl, unfreeze_ddl
from crm.extensions import db


@pytest.fixture
def frozen_tables(app_ctx):
    """A document table and its lines, frozen like a migration would (rolled back after the test)."""
    dialect = db.session.get_bind().dialect.name
    run = lambda sql: db.session.execute(text(sql))  # noqa: E731
    run("CREATE TABLE demo_doc (id INTEGER PRIMARY KEY, number VARCHAR(20), status VARCHAR(20), total NUMERIC(12, 2))")
    run(
        "CREATE TABLE demo_line (id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES demo_doc (id), "
        "amount NUMERIC(12, 2))"
    )
    for statement in freeze_ddl(dialect, "demo_doc", when="{row}.number IS NOT NULL", columns=["number", "total"]):
        run(statement)
    for statement in freeze_ddl(
        dialect, "demo_line", on_insert=True,
        when="EXISTS (SELECT 1 FROM demo_doc WHERE demo_doc.id = {row}.doc_id AND demo_doc.number IS NOT NULL)",
    ):
        run(statement)
    # Two drafts with a line each; then document 2 is validated.
    run(
        "INSERT INTO demo_doc (id, number, status, total) VALUES (1, NULL, 'brouillon', 10), (2, NULL, 'brouillon', 20)"
    )
    run("INSERT INTO demo_line (id, doc_id, amount) VALUES (1, 1, 10), (2, 2, 20)")
    run("UPDATE demo_doc SET number = 'FA2026-0001', status = 'envoyée' WHERE id = 2")
    return run


def refused(run, sql):
    savepoint = db.session.begin_nested()
    with pytest.raises(IntegrityError) as error:
        run(sql)
    savepoint.rollback()
    assert MESSAGE in str(error.value)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE demo_doc SET total = 1 WHERE id = 2",
        "UPDATE demo_doc SET number = NULL WHERE id = 2",
        "DELETE FROM demo_doc WHERE id = 2",
        "INSERT INTO demo_line (id, doc_id, amount) VALUES (3, 2, 5)",
        "UPDATE demo_line SET amount = 0 WHERE id = 2",
        "UPDATE demo_line SET doc_id = 1 WHERE id = 2",
        "DELETE FROM demo_line WHERE id = 2",
    ],
)
def test_a_validated_document_and_its_lines_are_refused_any_change(frozen_tables, sql):
    refused(frozen_tables, sql)
    assert frozen_tables("SELECT total FROM demo_doc WHERE id = 2").scalar() == 20
    assert frozen_tables("SELECT count(*) FROM demo_line WHERE doc_id = 2").scalar() == 1


def test_drafts_stay_free_and_a_validated_document_may_change_its_status(frozen_tables):
    run = frozen_tables
    run("UPDATE demo_doc SET status = 'payée' WHERE id = 2")  # not a frozen column
    run("UPDATE demo_doc SET total = 12 WHERE id = 1")
    run("INSERT INTO demo_line (id, doc_id, amount) VALUES (3, 1, 2)")
    run("UPDATE demo_line SET amount = 3 WHERE id = 3")
    run("DELETE FROM demo_line WHERE id = 1")
    # Validating the draft (numbering it) is allowed; afterwards it is frozen.
    run("UPDATE demo_doc SET number = 'FA2026-0002', total = 3 WHERE id = 1")
    refused(run, "UPDATE demo_doc SET total = 4 WHERE id = 1")
    refused(run, "DELETE FROM demo_line WHERE id = 3")
    run("DELETE FROM demo_doc WHERE id = 1 AND number IS NULL")  # nothing matched: nothing refused
    assert run("SELECT status FROM demo_doc WHERE id = 2").scalar() == "payée"


def test_unfreeze_drops_the_triggers(frozen_tables):
    dialect = db.session.get_bind().dialect.name
    for statement in unfreeze_ddl(dialect, "demo_doc"):
        frozen_tables(statement)
    frozen_tables("UPDATE demo_doc SET total = 1 WHERE id = 2")
    assert frozen_tables("SELECT total FROM demo_doc WHERE id = 2").scalar() == 1


def test_only_plain_table_names_and_known_databases():
    with pytest.raises(ValueError):
        freeze_ddl("sqlite", "doc; DROP TABLE firm", when="1")
    with pytest.raises(ValueError):
        freeze_ddl("mysql", "doc", when="1")


def test_the_migration_helpers_create_and_drop_the_triggers(app_ctx):
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from crm.core.immutability import create_freeze, drop_freeze

    connection = db.session.connection()
    connection.execute(text("CREATE TABLE demo_doc (id INTEGER PRIMARY KEY, number VARCHAR(20))"))
    connection.execute(text("INSERT INTO demo_doc (id, number) VALUES (1, 'DE2026-0001')"))
    with Operations.context(MigrationContext.configure(connection)):
        create_freeze("demo_doc", when="{row}.number IS NOT NULL")
    refused(lambda sql: db.session.execute(text(sql)), "UPDATE demo_doc SET number = 'X' WHERE id = 1")
    with Operations.context(MigrationContext.configure(connection)):
        drop_freeze("demo_doc")
    db.session.execute(text("DELETE FROM demo_doc WHERE id = 1"))
