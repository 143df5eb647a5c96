"""Scenario files shipped with Comptoir (the demo is one of them)."""
from pathlib import Path

LIBRARY = Path(__file__).parent


def shipped_scenarios() -> list[Path]:
    return sorted(LIBRARY.glob("*.yaml"))
