"""Parsing a class list (CSV pasted or uploaded) into trainee rows.

Accepts what a French spreadsheet saves: `;` or `,` separated, UTF-8 (with or
without BOM) or Windows-1252, with or without a header line.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crm.core.models import Position
from crm.core.spreadsheet_csv import ImportReader, UnreadableCsv

# One class at a time: every line's password is hashed (about 0,05 s each) before the accounts are written.
MAX_ROWS = 200
COLUMNS = ("last_name", "first_name", "username", "firm", "position")
HEADER_NAMES = {
    "nom": "last_name",
    "nom de famille": "last_name",
    "prenom": "first_name",
    "identifiant": "username",
    "login": "username",
    "entreprise": "firm",
    "poste": "position",
}
POSITION_NAMES = {p.value: p.value for p in Position} | {
    "magasiniere": "magasinier",
    "commerciale": "commercial",
    "vendeur": "commercial",
    "vendeuse": "commercial",
}


@dataclass
class ClassListRow:
    line: int
    last_name: str
    first_name: str
    username: str = ""
    firm: str = ""
    position: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def fold(text: str) -> str:
    """Lowercase ASCII without accents: 'Prénom ' → 'prenom'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def parse(text: str) -> tuple[list[ClassListRow], list[tuple[int, str]]]:
    """Rows and per-line errors (line numbers as the teacher sees them in the file)."""
    try:
        return _parse(text)
    except UnreadableCsv as error:
        return [], [(error.line, error.message)]


def _parse(text: str) -> tuple[list[ClassListRow], list[tuple[int, str]]]:
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    reader = ImportReader(text, delimiter=_delimiter(first))
    rows: list[ClassListRow] = []
    errors: list[tuple[int, str]] = []
    columns = list(COLUMNS[:2]) + ["firm", "position"]
    header_seen = False
    for number, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not header_seen and not rows and not errors and _is_header(cells):
            columns = [HEADER_NAMES.get(fold(c), "") for c in cells]
            header_seen = True
            continue
        values = dict(zip(columns, cells, strict=False))
        values.pop("", None)
        row = ClassListRow(
            line=number,
            last_name=values.get("last_name", ""),
            first_name=values.get("first_name", ""),
            username=values.get("username", "").lower(),
            firm=values.get("firm", ""),
            position=values.get("position", ""),
        )
        problem = _row_problem(row, len(cells), len(columns))
        if problem:
            errors.append((number, problem))
            continue
        row.position = POSITION_NAMES.get(fold(row.position), row.position) if row.position else ""
        rows.append(row)
    if len(rows) + len(errors) > MAX_ROWS:
        return [], [(0, f"La liste compte {len(rows) + len(errors)} élèves : {MAX_ROWS} au plus par import. "
                        "Importez-la en plusieurs fois (une classe à la fois).")]
    if not rows and not errors:
        errors.append((0, "La liste est vide : collez ou envoyez au moins une ligne « nom ; prénom »."))
    return rows, errors


def _is_header(cells: list[str]) -> bool:
    return any(fold(c) in ("nom", "nom de famille") for c in cells)


def _row_problem(row: ClassListRow, cell_count: int, column_count: int) -> str | None:
    if cell_count > column_count:
        return f"{cell_count} colonnes au lieu de {column_count} au plus : vérifiez le séparateur."
    if not row.last_name:
        return "Le nom est manquant."
    if not row.first_name:
        return "Le prénom est manquant."
    if len(row.last_name) > 60 or len(row.first_name) > 60:
        return "Nom ou prénom trop long (60 caractères au plus)."
    if row.username and not re.fullmatch(r"[a-z0-9][a-z0-9._-]{2,63}", row.username):
        return (
            f"Identifiant « {row.username} » invalide : 3 à 64 caractères, "
            "lettres minuscules sans accent, chiffres, point, tiret."
        )
    if row.position and fold(row.position) not in POSITION_NAMES:
        return (
            f"Poste « {row.position} » inconnu : accueil, commercial, magasinier ou responsable."
        )
    return None


def suggest_username(first_name: str, last_name: str) -> str:
    """'Élodie', 'Le Gall' → 'elodie.legall'."""
    def part(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", fold(text))

    return f"{part(first_name)}.{part(last_name)}".strip(".")[:40] or "eleve"
