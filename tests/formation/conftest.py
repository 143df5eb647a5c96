"""Scenario text for the teacher-side tests (the till's cash code read from the model)."""
from pathlib import Path

import pytest

from crm.ventes.till import CASH

SMALL = Path(__file__).parent / "data" / "small.yaml"


def small_source() -> str:
    return SMALL.read_text(encoding="utf-8").replace("CASH_MODE", CASH)


@pytest.fixture
def small():
    return small_source()
