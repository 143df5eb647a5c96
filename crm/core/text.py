"""Text folding shared by every search: the same rule on SQLite and PostgreSQL."""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without accents: 'Éloïse' → 'eloise' (search is accent-insensitive)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def escape_like(text: str) -> str:
    """Text to look for with LIKE … ESCAPE '\\': its own %, _ and \\ match literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
