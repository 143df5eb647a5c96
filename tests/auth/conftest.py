"""A clock the login throttling reads, moved forward by the tests."""
from datetime import timedelta

import pytest

from crm.core.models import utcnow


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = utcnow()

        def advance(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    frozen = Clock()
    monkeypatch.setattr("crm.auth.services.utcnow", lambda: frozen.now)
    return frozen
