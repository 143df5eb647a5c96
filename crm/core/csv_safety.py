"""Cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) are prefixed with a quote.

Stop-gap until the shared helper of the class-list work lands on main; same rule as DESIGN.md.
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(v) for v in values]
