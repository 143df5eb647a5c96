"""How gunicorn runs Comptoir's workers (`make run`, `make serve`: `--config python:crm.serving`).

Python's full garbage collection walks every object still alive. A worker holds a few hundred
thousand once it has served its first pages (the app, its modules, compiled templates and
statements), and each full collection then held a request back for 40 to 80 ms (measured by
`python -m benchmarks.pages`: the slowest requests of a page). Objects frozen with gc.freeze()
are never walked again, the usual advice for long-running pre-forked servers; what a request
creates is collected as before.
"""
from __future__ import annotations

import gc
import itertools

# Requests after which a worker's caches are warm (its pages compiled): frozen once more then.
WARM_REQUESTS = 200
_served = itertools.count(1)


def settle_heap() -> None:
    """Collect what is garbage now, then freeze everything still alive."""
    gc.collect()
    gc.freeze()


def post_worker_init(worker) -> None:
    """Gunicorn hook: the worker has loaded the app."""
    settle_heap()
    _log(worker, "loaded")


def post_request(worker, req, environ, resp) -> None:
    """Gunicorn hook: once, after the worker's first WARM_REQUESTS requests."""
    if next(_served) == WARM_REQUESTS:  # itertools.count: one thread gets each number
        settle_heap()
        _log(worker, "warm")


def _log(worker, moment: str) -> None:
    if worker is not None:
        worker.log.info("Heap frozen (%s): %d objects out of the garbage collector's way", moment,
                        gc.get_freeze_count())
