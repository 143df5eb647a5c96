"""Count the SQL statements (and their time) an engine runs: a page's cost, whatever the data."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event


# The test suite's savepoints (one rolled-back transaction per test) are not the page's queries.
TEST_ONLY = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class Tally:
    statements: list[str] = field(default_factory=list)
    parameters: list = field(default_factory=list)  # of each statement, for EXPLAIN
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.statements)


class _TimedCursor:
    """The driver's cursor, its fetches timed too: SQLite computes the rows of a statement
    as they are fetched (execute() only runs it to its first row), so the time of a query
    is its execute plus its fetches. What the ORM then makes of the rows is not counted."""

    def __init__(self, cursor, tally: Tally):
        self._cursor, self._tally = cursor, tally

    def __getattr__(self, name):
        return getattr(self._cursor, name)

    def _timed(self, fetch, *args):
        began = time.perf_counter()
        try:
            return fetch(*args)
        finally:
            self._tally.seconds += time.perf_counter() - began

    def fetchone(self):
        return self._timed(self._cursor.fetchone)

    def fetchmany(self, *args):
        return self._timed(self._cursor.fetchmany, *args)

    def fetchall(self):
        return self._timed(self._cursor.fetchall)


@contextmanager
def counting(engine):
    """Within the block, every statement sent to the database is recorded, with the time
    the driver spends running it and fetching its rows."""
    tally = Tally()
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        tally.seconds += time.perf_counter() - started.pop()
        if context is not None and context.cursor is cursor:  # the result reads context.cursor
            context.cursor = _TimedCursor(cursor, tally)
        if not statement.startswith(TEST_ONLY):
            tally.statements.append(statement)
            tally.parameters.append(parameters)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
