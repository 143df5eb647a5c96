"""French spell check of letters and emails before they leave (A2T2CP2), offline.

pyspellchecker ships its French word list inside the PyPI package (≈ 140 000
inflected forms, no system dictionary, no network), so it installs and runs the
same on every school server. Hunspell would know more words, but needs the
Debian dictionary and a compiled binding that PyPI does not provide cleanly.
The check only warns: unknown words are highlighted and the trainee may still
send. Names of the recipient and of the firm are not words to check.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape

LETTERS = "A-Za-zÀ-ÖØ-öø-ÿŒœÆæ"
WORD = re.compile(rf"[{LETTERS}]+(?:[-'’][{LETTERS}]+)*")
# Elided words before an apostrophe: l'offre, qu'il, jusqu'au…
ELISIONS = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu"}
# Words of commercial French the word list lacks.
EXTRA_WORDS = {"aujourd'hui", "empilable", "empilables", "publipostage", "courriels", "e-mail", "ci-joint",
               "ci-jointe", "ci-joints", "ci-dessous", "ci-dessus", "recouvrement", "escompte", "ristourne",
               "re", "tr"}  # « Re : » and « Tr : » before a subject
MAX_SUGGESTIONS = 3
MAX_WORDS_SUGGESTED = 20


@lru_cache(maxsize=1)
def _checker():
    """The French dictionary, loaded once per process (about a second)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="fr", distance=1)


@dataclass
class Unknown:
    word: str
    start: int
    end: int
    suggestions: list[str] = field(default_factory=list)


def _known(word: str, checker, ignored: set[str]) -> bool:
    lower = word.lower().replace("’", "'")
    if lower in ignored or lower in EXTRA_WORDS or lower in checker:
        return True
    if "'" in lower:
        head, _, rest = lower.partition("'")
        if head in ELISIONS:
            return _known(rest, checker, ignored)
    if "-" in lower:
        return all(_known(part, checker, ignored) for part in lower.split("-"))
    return False


def _skipped(word: str) -> bool:
    """Acronyms (TTC, SIRET), initials and mixed-case names are not checked."""
    return len(word) == 1 or any(c.isupper() for c in word[1:])


def ignored_words(*texts: str) -> set[str]:
    """The lower-case words of names and addresses, never flagged."""
    return {w.lower().replace("’", "'") for text in texts for w in WORD.findall(text or "")}


def check(text: str, ignored: set[str] | None = None) -> list[Unknown]:
    """The words of `text` missing from the French dictionary, with a few suggestions."""
    checker = _checker()
    ignored = ignored or set()
    unknown = []
    for match in WORD.finditer(text or ""):
        word = match.group(0)
        if _skipped(word) or _known(word, checker, ignored):
            continue
        unknown.append(Unknown(word, match.start(), match.end()))
    for item in unknown[:MAX_WORDS_SUGGESTED]:
        candidates = checker.candidates(item.word.lower()) or set()
        item.suggestions = sorted(c for c in candidates if c != item.word.lower())[:MAX_SUGGESTIONS]
    return unknown


def highlight(text: str, unknown: list[Unknown]) -> Markup:
    """The text, escaped, with each unknown word in a <mark> (its suggestions as a title)."""
    out, cursor = [], 0
    for item in unknown:
        out.append(escape(text[cursor:item.start]))
        hint = ("Suggestions : " + ", ".join(item.suggestions)) if item.suggestions else "Mot inconnu du dictionnaire"
        out.append(Markup('<mark class="misspelt" title="{}">{}</mark>').format(hint, item.word))
        cursor = item.end
    out.append(escape(text[cursor:]))
    return Markup("").join(out)
