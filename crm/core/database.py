"""Engine settings per database backend."""
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine) -> None:
    """Apply the SQLite recipe; PostgreSQL needs nothing special."""
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)


def _configure_sqlite(engine: Engine) -> None:
    # SQLAlchemy's documented pysqlite recipe: take transaction control away from
    # the driver and begin every transaction ourselves with BEGIN IMMEDIATE, so a
    # read-then-write never fails half-way with SQLITE_BUSY (it waits instead).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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

    On SQLite every transaction begins IMMEDIATE, so even a read holds the write
    lock until it ends: other users would wait for the slow work. Ending it is a
    rollback, harmless while nothing was written; objects loaded so far reload on
    their next use. Writing first and then calling this is a programming error.
    """
    if session.info.get("wrote") or session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_transaction() after a write would lose it")
    session.rollback()
