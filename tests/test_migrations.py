"""The migration history gives exactly the schema the models declare."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from crm.core.database import schema_of
from crm.extensions import db


@pytest.mark.real_commits  # reads the schema on its own connection, outside the test transaction
def test_upgraded_database_matches_the_models(app):
    # The session fixture built the schema with `flask db upgrade`, on SQLite or PostgreSQL.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True,
                              "include_object": schema_of(connection.dialect.name)}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"


def test_history_is_linear(app):
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "several heads: re-chain the new migration"
    assert len(script.get_bases()) == 1


def test_upgrading_a_populated_sqlite_database_keeps_every_row(tmp_path):
    """Batch migrations rebuild SQLite tables (copy, DROP, rename): no row may be lost on the way.

    With foreign keys on, DROP TABLE user deleted its rows first and ON DELETE CASCADE
    emptied membership (and every table that refers to a rebuilt one).
    """
    from flask_migrate import upgrade
    from sqlalchemy import create_engine

    from crm import create_app

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="52b9293e4072")  # before the batch rebuilds of user, party, sales_document…
        db.engine.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO classroom (id, name, school_year, created_at) VALUES (1, 'Classe', '2026-2027', '2026-09-01')",
            "INSERT INTO firm (id, classroom_id, trade_name, legal_form, siren, siret, vat_number, address_line1,"
            " address_line2, postcode, city, country, phone, email, website, iban, bic, logo_mimetype,"
            " terms_of_sale, created_at) VALUES (1, 1, 'Firme', '', '', '', '', '', '', '', '', 'FR', '', '',"
            " '', '', '', '', '', '2026-09-01')",
            "INSERT INTO user (id, username, display_name, password_hash, role, active, session_token, created_at)"
            " VALUES (1, 'eleve', 'Élève', 'x', 'trainee', 1, 't', '2026-09-01')",
            "INSERT INTO membership (id, user_id, firm_id, position) VALUES (1, 1, 1, 'responsable')",
        ):
            connection.exec_driver_sql(statement)
    engine.dispose()

    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM membership").scalar() == 1
            assert connection.exec_driver_sql("SELECT must_change_password FROM user").scalar() == 0
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again for the app
        db.engine.dispose()
