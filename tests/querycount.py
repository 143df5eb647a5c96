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
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def counting(engine):
    """Within the block, every statement sent to the database is recorded with its duration."""
    tally = Tally()
    started: list[float] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        started.append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        tally.seconds += time.perf_counter() - started.pop()
        if not statement.startswith(TEST_ONLY):
            tally.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield tally
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
