"""The thread-race harness of the concurrency tests: workers that start together on their own connections."""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from crm.extensions import db


def race(app, threads: int, attempt: Callable[[int, int, random.Random], object], rounds: int = 1,
         rollback_rate: float = 0.0, hold: float = 0.01) -> list:
    """Run `threads` workers released together by a barrier, each making `rounds` attempts.

    attempt(worker, round, rng) runs inside the worker's own app context (so its own
    session and connection), does the action (it flushes, never commits) and returns the
    value to keep. The worker then holds its locks a little, as a real request does, and
    commits, or rolls back with probability `rollback_rate` (a late failure giving back
    what it took). Returns the values of the committed attempts; an error in a worker
    fails the caller.
    """
    committed: list = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    barrier = threading.Barrier(threads)

    def work(worker: int) -> None:
        rng = random.Random(worker)
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                for round_ in range(rounds):
                    value = attempt(worker, round_, rng)
                    time.sleep(rng.uniform(0, hold))
                    if rng.random() < rollback_rate:
                        db.session.rollback()
                    else:
                        db.session.commit()
                        with guard:
                            committed.append(value)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the caller's thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert committed, "every attempt rolled back: the race proved nothing"
    return committed
