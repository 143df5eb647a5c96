"""The database's own wall around validated documents: triggers refusing changes.

Services refuse to edit a validated document; these triggers refuse it a second
time in the database itself, whatever the client (a crafted request, a shell,
a bug). Used from a migration:

    from crm.core.immutability import create_freeze, drop_freeze

    def upgrade():
        ...
        # An invoice is frozen once numbered; its status and paid amount may still change.
        create_freeze("invoice", when="{row}.number IS NOT NULL",
                      columns=["number", "issue_date", "party_id", "total_ttc", ...])
        # Its lines are frozen (insert, update, delete) once the invoice is numbered.
        create_freeze("invoice_line", on_insert=True,
                      when="EXISTS (SELECT 1 FROM invoice WHERE invoice.id = {row}.invoice_id "
                           "AND invoice.number IS NOT NULL)")

`{row}` stands for the row concerned: OLD for an update or a delete, NEW for an
insert. A refused statement raises IntegrityError on both SQLite and PostgreSQL.

SQLite drops a table's triggers when Alembic's batch mode rebuilds it: a later
migration altering a frozen table in batch mode must call create_freeze again.
"""
from __future__ import annotations

from collections.abc import Sequence

MESSAGE = "Document validé : il ne peut plus être modifié ni supprimé (établissez un avoir)."


def freeze_ddl(
    dialect: str,
    table: str,
    when: str,
    columns: Sequence[str] | None = None,
    on_insert: bool = False,
    message: str = MESSAGE,
) -> list[str]:
    """The statements creating the triggers of `table` (see the module docstring).

    `columns`: the columns an update may not change on a frozen row (None: all of them,
    i.e. any UPDATE of a frozen row is refused). Deleting a frozen row is always refused.
    """
    name = _name(table)
    quoted = message.replace("'", "''")
    old, new = when.replace("{row}", "OLD"), when.replace("{row}", "NEW")
    if dialect == "sqlite":
        if columns:
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
            update_when = f"({old}) AND ({changed})"
        else:
            update_when = old
        statements = [
            f"CREATE TRIGGER {name}_update BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN {update_when} BEGIN SELECT RAISE(ABORT, '{quoted}'); END",
            f"CREATE TRIGGER {name}_delete BEFORE DELETE ON {table} FOR EACH ROW "
            f"WHEN {old} BEGIN SELECT RAISE(ABORT, '{quoted}'); END",
        ]
        if on_insert:
            statements.append(
                f"CREATE TRIGGER {name}_insert BEFORE INSERT ON {table} FOR EACH ROW "
                f"WHEN {new} BEGIN SELECT RAISE(ABORT, '{quoted}'); END"
            )
        return statements
    if dialect == "postgresql":
        # A function, not a WHEN clause: PostgreSQL's WHEN may not hold a subquery.
        changed = (
            " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns) if columns else "TRUE"
        )
        raise_ = f"RAISE EXCEPTION '{quoted}' USING ERRCODE = 'integrity_constraint_violation';"
        insert_check = f"IF ({new}) THEN {raise_} END IF;" if on_insert else ""
        events = "INSERT OR UPDATE OR DELETE" if on_insert else "UPDATE OR DELETE"
        return [
            f"""CREATE FUNCTION {name}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF ({old}) THEN {raise_} END IF;
    RETURN OLD;
  ELSIF TG_OP = 'UPDATE' THEN
    IF ({old}) AND ({changed}) THEN {raise_} END IF;
    RETURN NEW;
  END IF;
  {insert_check}
  RETURN NEW;
END $$""",
            f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {name}_guard()",
        ]
    raise ValueError(f"unsupported database {dialect!r}")


def unfreeze_ddl(dialect: str, table: str) -> list[str]:
    """The statements dropping what freeze_ddl created."""
    name = _name(table)
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}_{event}" for event in ("update", "delete", "insert")]
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}_guard()"]
    raise ValueError(f"unsupported database {dialect!r}")


def create_freeze(table: str, when: str, columns: Sequence[str] | None = None, on_insert: bool = False,
                  message: str = MESSAGE) -> None:
    """In a migration: create the triggers freezing `table`'s validated rows."""
    from alembic import op

    dialect = op.get_bind().dialect.name
    for statement in freeze_ddl(dialect, table, when, columns, on_insert, message):
        op.execute(statement)


def drop_freeze(table: str) -> None:
    """In a migration's downgrade: drop them."""
    from alembic import op

    for statement in unfreeze_ddl(op.get_bind().dialect.name, table):
        op.execute(statement)


def _name(table: str) -> str:
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a plain table name: {table!r}")
    return f"freeze_{table}"
