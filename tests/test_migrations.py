"""The migration history gives exactly the schema the models declare."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from crm.extensions import db


@pytest.mark.real_commits  # reads the schema on its own connection, outside the test transaction
def test_upgraded_database_matches_the_models(app):
    # The session fixture built the schema with `flask db upgrade`, on SQLite or PostgreSQL.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"


def test_history_is_linear(app):
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, "several heads: re-chain the new migration"
    assert len(script.get_bases()) == 1
