"""The gunicorn hooks of `make run` and `make serve` (crm/serving.py): a warm worker's heap is frozen."""
import gc
from pathlib import Path

import pytest

from crm import serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process itself stays as it was


def test_a_worker_freezes_its_heap_once_loaded_and_once_warm(unfrozen, monkeypatch):
    serving.post_worker_init(worker=None)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()
    monkeypatch.setattr(serving, "_served", iter(range(1, 1000)))
    for _ in range(serving.WARM_REQUESTS - 1):
        serving.post_request(None, None, None, None)
    assert gc.get_freeze_count() == 0  # not before its first WARM_REQUESTS requests…
    serving.post_request(None, None, None, None)
    assert gc.get_freeze_count() > 0  # …then once
    gc.unfreeze()
    serving.post_request(None, None, None, None)
    assert gc.get_freeze_count() == 0  # and never again


def test_make_run_and_make_serve_load_the_hooks():
    makefile = (ROOT / "Makefile").read_text()
    definition = makefile.split("GUNICORN = ", 1)[1].split("\n\n", 1)[0]
    assert "--config python:crm.serving" in definition
    for target in ("run", "serve"):
        recipe = makefile.split(f"\n{target}: ", 1)[1].split("\n\n", 1)[0]
        assert "$(GUNICORN)" in recipe, target
