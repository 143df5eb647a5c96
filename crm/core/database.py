"""Engine settings per database backend, and the kind of transaction each piece of work opens.

SQLite in WAL mode lets any number of readers run beside one writer. So that a
class can work on one SQLite file, work opens one of three kinds of transaction:

- READ (GET and HEAD requests, and the first phase of a `reads_first` view):
  a deferred `BEGIN`, a snapshot that never takes the write lock. Writing in it
  is refused at once: in WAL, a transaction that has read and then writes after
  another writer committed fails with SQLITE_BUSY_SNAPSHOT, which no busy
  timeout can wait out.
- WRITE (other requests, the CLI, services called from threads): `BEGIN
  IMMEDIATE` at the first statement, so a read-then-write (numbering, stock)
  queues behind the current writer instead of failing half-way.
- NONE (inside `outside_transaction()`): slow work such as argon2 runs with no
  transaction open, and any statement is refused, so no lock is held meanwhile.

PostgreSQL needs no special BEGIN; the same guards apply so both databases
behave alike and the tests catch a misplaced write on either.
"""
from __future__ import annotations

import enum
import re
from contextlib import contextmanager
from contextvars import ContextVar, Token
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import event, insert, select
from sqlalchemy.engine import Engine

from crm.extensions import db

T = TypeVar("T")


class Transactions(enum.Enum):
    READ = "read"
    WRITE = "write"
    NONE = "none"


class TransactionMisuse(RuntimeError):
    """A programming error: a write in a read-only phase, or a query during slow work."""


_kind: ContextVar[Transactions] = ContextVar("transactions", default=Transactions.WRITE)
# What work turns to after outside_transaction(): WRITE, except in read-only requests.
_after_slow_work: ContextVar[Transactions] = ContextVar("after_slow_work", default=Transactions.WRITE)

BUSY_TIMEOUT_MS = 30_000
_WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE|CREATE|DROP|ALTER)\b", re.I)


def current_kind() -> Transactions:
    return _kind.get()


def memo_while_reading(key, compute: Callable[[], T]) -> T:
    """compute() once per read-only request (a GET page), then the same value.

    In a READ request nothing is written, so a value read from the database (the
    firm's settings, what settles an invoice) cannot change before the page is
    done; elsewhere (writes, the CLI) compute() runs every time, as writes may
    change it between two calls.
    """
    from flask import g, has_request_context

    if _kind.get() is not Transactions.READ or not has_request_context():
        return compute()
    memo = g.setdefault("read_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def remember_while_reading(key, value) -> None:
    """Give memo_while_reading its value for `key` now, read along with something else."""
    from flask import g, has_request_context

    if _kind.get() is Transactions.READ and has_request_context():
        g.setdefault("read_memo", {})[key] = value


def set_kind(kind: Transactions, after_slow_work: Transactions = Transactions.WRITE) -> tuple[Token, Token]:
    """Choose the transactions of the current context (a request); reset with reset_kind()."""
    return _kind.set(kind), _after_slow_work.set(after_slow_work)


def reset_kind(tokens: tuple[Token, Token]) -> None:
    _kind.reset(tokens[0])
    _after_slow_work.reset(tokens[1])


def reads_first(view):
    """Mark a view whose request reads, then does slow work, then writes (login, passwords).

    Its request starts with READ transactions; the view's service ends the read
    with outside_transaction() before hashing, and what follows writes.
    """
    view.transactions_read_first = True
    return view


@contextmanager
def outside_transaction() -> Iterator[None]:
    """End the current (read) transaction and run the block with no transaction open.

    Read every value the block needs *before* entering: objects loaded earlier are
    expired, and reloading one inside the block is refused (TransactionMisuse).
    After the block, the next statement opens a write transaction (a read one in a
    read-only request).
    """
    from crm.extensions import db

    session = db.session
    _check_nothing_written(session, "outside_transaction()")
    session.rollback()  # a read transaction: nothing to keep, and its snapshot is released
    token = _kind.set(Transactions.NONE)
    try:
        yield
    finally:
        _kind.reset(token)
        _kind.set(_after_slow_work.get())


def begin_writing() -> None:
    """A request that only now knows it will write: end the read; what follows writes (BEGIN IMMEDIATE).

    Objects read so far are reloaded under the write lock when next used, so the
    checks the write makes (stock, numbering, an event not yet fired) see the latest
    committed data. Also for the rare page (GET) that must write. Nothing to do when
    the request already writes.
    """
    if _kind.get() is Transactions.WRITE:
        return
    from crm.extensions import db

    _check_nothing_written(db.session, "begin_writing()")
    db.session.rollback()  # a read transaction: nothing to keep
    _kind.set(Transactions.WRITE)


def _check_nothing_written(session, what: str) -> None:
    if session.info.get("wrote") or session.new or session.dirty or session.deleted:
        raise TransactionMisuse(f"{what} after a write or with unsaved changes: they would be lost")


def configure_engine(engine: Engine) -> None:
    """Apply the SQLite recipe; on every backend, guard the transaction kinds."""
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    event.listen(engine, "before_cursor_execute", _guard_statement)


def _guard_statement(_conn, _cursor, statement, _parameters, _context, _executemany):
    kind = _kind.get()
    if kind is Transactions.NONE:
        raise TransactionMisuse(f"database used during slow work: {statement[:80]!r}")
    if kind is Transactions.READ and _WRITE_STATEMENT.match(statement):
        raise TransactionMisuse(
            f"write in a read-only transaction (a GET request, or before outside_transaction()): "
            f"{statement[:80]!r}"
        )


def _configure_sqlite(engine: Engine) -> None:
    # SQLAlchemy's documented pysqlite recipe: take transaction control away from
    # the driver and emit BEGIN ourselves, deferred or immediate by the kind of work.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # A writer waits its turn for up to 30 s: writes hold the lock for milliseconds, but on an
        # overloaded server (an old PC, a whole class at once) the queue can grow past 10 s, and
        # waiting is better than a "database is locked" error page.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        kind = _kind.get()
        connection.exec_driver_sql("BEGIN" if kind is Transactions.READ else "BEGIN IMMEDIATE")


def schema_of(dialect_name: str):
    """Alembic's include_object: leave out what the models declare for another database only
    (an index with info={"dialect": …} and ddl_if, such as PostgreSQL's trigram index)."""

    def include_object(obj, _name, _type, _reflected, _compare_to) -> bool:
        return getattr(obj, "info", {}).get("dialect", dialect_name) == dialect_name

    return include_object


def insert_ignoring_conflict(model, values: dict, unique_columns: list[str]) -> None:
    """INSERT a row unless one with the same unique key exists (also when another transaction races us)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        exists = db.session.scalar(
            select(model.id).filter_by(**{c: values[c] for c in unique_columns})
        )
        if exists is None:
            db.session.execute(insert(model).values(**values))
        return
    db.session.execute(
        dialect_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique_columns)
    )

def track_flushes(session_class) -> None:
    """Remember on each session whether its transaction has written (see end_read_transaction)."""
    if event.contains(session_class, "after_flush", _flushed):
        return
    event.listen(session_class, "after_flush", _flushed)
    event.listen(session_class, "do_orm_execute", _executed)
    event.listen(session_class, "after_transaction_end", _ended)


def _flushed(session, _context) -> None:
    session.info["wrote"] = True


def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("wrote", None)


def end_read_transaction(session) -> None:
    """End a transaction that only read, before slow work (a PDF, an SMTP exchange).

    In a writing request (POST) on SQLite the transaction began IMMEDIATE, so even
    its reads hold the write lock until it ends: other users would wait for the slow
    work (see also outside_transaction, which also refuses queries meanwhile). Ending it is a
    rollback, harmless while nothing was written; objects loaded so far reload on
    their next use. Writing first and then calling this is a programming error.
    """
    if session.info.get("wrote") or session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_transaction() after a write would lose it")
    session.rollback()
