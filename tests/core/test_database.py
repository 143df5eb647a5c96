"""SQLite settings: foreign keys, WAL, and read-then-write transactions that never fail busy."""
import threading

from sqlalchemy import create_engine, text

from crm.core.database import configure_engine


def _engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    configure_engine(engine)
    return engine


def test_pragmas(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_concurrent_read_then_write_transactions_all_succeed(tmp_path):
    engine = _engine(tmp_path)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    errors, barrier = [], threading.Barrier(8)

    def increment():
        try:
            barrier.wait()
            for _ in range(10):
                with engine.begin() as connection:  # BEGIN IMMEDIATE
                    n = connection.execute(text("SELECT n FROM counter")).scalar()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=increment) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        # No lost update: each read-then-write saw the previous one's result.
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 80
    engine.dispose()
