"""CSV (and xlsx) files the app writes, safe to open in a spreadsheet: the one helper every export uses.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would be run
as a formula by Excel or LibreOffice (OWASP "CSV injection"): such a cell is
written with a leading apostrophe, which the spreadsheet shows as text. Imports
keep the text as typed; they only take back the apostrophe this module added
(`restore`), so an export re-imported gives the same data.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def neutralise(value) -> str:
    """The cell's text, with an apostrophe before anything a spreadsheet would evaluate."""
    text = "" if value is None else str(value)
    return ESCAPE + text if text.startswith(FORMULA_STARTS) else text


def neutralise_typed(value):
    """For a typed spreadsheet (xlsx): only text can become a formula; numbers and dates stay as they are."""
    return neutralise(value) if isinstance(value, str) else value


def restore(text: str) -> str:
    """Undo neutralise() on an imported cell: "'=A1" → "=A1"; any other text is kept as typed."""
    if text.startswith(ESCAPE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_bytes(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """`;` separated, CRLF, UTF-8 with a BOM (Excel reads the accents), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# The longest cell an import reads (the csv module's own limit): a longer one is no typed text.
MAX_IMPORTED_CELL = 131_072


class UnreadableCsv(ValueError):
    """An imported file the csv module cannot read: the line and a French message."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class ImportReader:
    """csv.reader over imported text: CR (old Mac Excel), LF or CRLF line ends alike; a broken
    file raises UnreadableCsv with its line instead of csv.Error."""

    def __init__(self, text: str, delimiter: str = ";"):
        # newline=None: universal newlines, so "\r" alone also ends a line (also inside quotes).
        self._reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as error:
            line = self._reader.line_num or 1
            if "field larger than field limit" in str(error):
                message = (f"Une cellule dépasse {MAX_IMPORTED_CELL:,} caractères".replace(",", " ")
                           + " : ce n'est pas un fichier de saisie. Rien n'a été importé.")
            else:
                message = ("Le fichier n'est pas un CSV lisible (guillemets ou fins de ligne incorrects) : "
                           "enregistrez-le de nouveau au format « CSV (séparateur : point-virgule) ».")
            raise UnreadableCsv(line, message) from None
