"""Parties to and from CSV files a French spreadsheet opens and saves.

Export: through crm.core.spreadsheet_csv (`;`, UTF-8 with a BOM, formulas neutralised). Import:
UTF-8 (with or without BOM) or Windows-1252, `;` separated, French headers;
every line is checked first and the whole file is refused on any error.
"""
from __future__ import annotations

from datetime import date, datetime

from crm.core.formatting import counted
from crm.clients.models import CATEGORIES, INTEREST_LEVELS, KINDS, SOURCES, STAGES, Party
from crm.clients.services import create_party, fold
from crm.core import identifiers
from crm.core.errors import ImportErrors
from crm.core.spreadsheet_csv import ImportReader, UnreadableCsv, csv_bytes, restore
from crm.core.models import Firm, User
from crm.formation.journal import record_activity

# (header, party attribute) in file order.
COLUMNS = [
    ("type", "kind"), ("catégorie", "category"), ("civilité", "civility"), ("prénom", "first_name"),
    ("nom", "last_name"), ("raison sociale", "company_name"), ("SIRET", "siret"),
    ("TVA intracommunautaire", "vat_number"), ("forme juridique", "legal_form"), ("secteur", "sector"),
    ("téléphone", "phone"), ("courriel", "email"), ("adresse", "address_line1"),
    ("complément d'adresse", "address_line2"), ("code postal", "postcode"), ("ville", "city"),
    ("segment", "segment"), ("origine", "source"), ("étiquettes", "tags"),
    ("consentement prospection", "marketing_consent"), ("date du consentement", "marketing_consent_on"),
    ("étape", "stage"), ("intérêt", "interest"), ("notes", "notes"),
]
HEADER_TO_FIELD = {fold(header): field for header, field in COLUMNS}
HEADER_ALIASES = {"tva": "vat_number", "email": "email", "e-mail": "email", "mail": "email",
                  "telephone": "phone", "cp": "postcode", "societe": "company_name",
                  "entreprise": "company_name", "etiquette": "tags", "complement": "address_line2"}
MAX_LINES = 5000
LENGTHS = {"first_name": 80, "last_name": 80, "company_name": 120, "legal_form": 40, "sector": 80,
           "address_line1": 120, "address_line2": 120, "city": 80, "segment": 60, "notes": 5000}


def _reverse(labels: dict) -> dict:
    return {fold(label): key for key, label in labels.items()} | {fold(str(k)): k for k in labels}


KIND_VALUES = _reverse(KINDS) | {"fournisseur": "supplier"}
CATEGORY_VALUES = _reverse(CATEGORIES) | {"pro": "business", "part": "private"}
STAGE_VALUES = _reverse(STAGES)
SOURCE_VALUES = _reverse(SOURCES)
INTEREST_VALUES = _reverse(INTEREST_LEVELS)
YES = {"oui", "o", "1", "vrai", "x", "yes"}
NO = {"non", "n", "0", "faux", "", "no"}


def export_parties(parties) -> bytes:
    return csv_bytes(
        [header for header, _ in COLUMNS],
        ([_export_value(party, field) for _, field in COLUMNS] for party in parties),
    )


def _export_value(party: Party, field: str) -> str:
    value = getattr(party, field)
    if field == "kind":
        return KINDS[value]
    if field == "category":
        return CATEGORIES[value]
    if field == "stage":
        return STAGES.get(value or "", "")
    if field == "interest":
        return INTEREST_LEVELS.get(value or 0, "")
    if field == "source":
        return SOURCES.get(value, value)
    if field == "tags":
        return ", ".join(party.tag_list)
    if field == "marketing_consent":
        return "oui" if value else "non"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value or ""


def decode(raw: bytes) -> str:
    """UTF-8 (BOM or not) when it decodes, Windows-1252 otherwise (what Excel saves in France)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse(text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """Rows (line number, party data) and errors (line number, French message)."""
    try:
        return _parse(text)
    except UnreadableCsv as error:
        return [], [(error.line, error.message)]


def _parse(text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return [], [(1, "Le fichier est vide : la première ligne doit porter les en-têtes de colonnes.")]
    if ";" not in lines[0]:
        return [], [(1, "Les colonnes doivent être séparées par des points-virgules (;), "
                        "comme dans un fichier « CSV (séparateur : point-virgule) ».")]
    reader = ImportReader(text, delimiter=";")
    headers = next(reader)
    fields, errors = [], []
    for header in headers:
        key = fold(header.strip())
        field = HEADER_TO_FIELD.get(key) or HEADER_ALIASES.get(key)
        if field is None and header.strip():
            errors.append((1, f"Colonne inconnue « {header.strip()} »."))
        fields.append(field)
    if errors:
        return [], errors
    if "last_name" not in fields and "company_name" not in fields:
        return [], [(1, "Il faut au moins une colonne « nom » ou « raison sociale ».")]
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_LINES:
            errors.append((line, f"Le fichier dépasse {MAX_LINES} lignes : découpez-le."))
            break
        if len(values) > len(fields):
            errors.append((line, f"{len(values)} colonnes au lieu de {len(fields)} : vérifiez les points-virgules."))
            continue
        raw = {f: restore(v.strip()) for f, v in zip(fields, values, strict=False) if f}
        try:
            rows.append((line, _row_data(raw)))
        except ValueError as error:
            errors.append((line, str(error)))
    if not rows and not errors:
        errors.append((2, "Le fichier ne contient aucune ligne de données sous les en-têtes."))
    return rows, errors


def _row_data(raw: dict) -> dict:
    """One CSV row as party data; ValueError listing every problem of the row."""
    problems: list[str] = []
    data: dict = {}
    for step in (_row_choices, _row_civility, _row_identifiers, _row_texts, _row_consent, _row_required):
        step(raw, data, problems)
    if problems:
        raise ValueError(" ; ".join(problems) + ".")
    return data


def _row_choices(raw: dict, data: dict, problems: list[str]) -> None:
    def choice(field, values, what, default=""):
        value = raw.get(field, "")
        if not value:
            return default
        found = values.get(fold(value))
        if found is None:
            problems.append(f"{what} « {value} » : valeur inconnue")
        return found if found is not None else default

    data["kind"] = choice("kind", KIND_VALUES, "Type", "prospect")
    default_category = "business" if raw.get("company_name") else "private"
    data["category"] = choice("category", CATEGORY_VALUES, "Catégorie", default_category)
    data["stage"] = choice("stage", STAGE_VALUES, "Étape", None) or None
    data["interest"] = choice("interest", INTEREST_VALUES, "Intérêt", None) or None
    data["source"] = choice("source", SOURCE_VALUES, "Origine", "")


def _row_civility(raw: dict, data: dict, problems: list[str]) -> None:
    civility = raw.get("civility", "")
    if civility and fold(civility).rstrip(".") in ("m", "monsieur", "mr"):
        data["civility"] = "M."
    elif civility and fold(civility) in ("mme", "madame"):
        data["civility"] = "Mme"
    elif civility:
        problems.append(f"Civilité « {civility} » inconnue (M. ou Mme)")


def _row_identifiers(raw: dict, data: dict, problems: list[str]) -> None:
    for field, check in (("siret", identifiers.siret), ("vat_number", identifiers.vat_number),
                         ("phone", identifiers.phone), ("email", identifiers.email),
                         ("postcode", identifiers.postcode)):
        value = raw.get(field, "")
        if value:
            try:
                data[field] = check(value)
            except ValueError as error:
                problems.append(f"{str(error)} (« {value} »)")


def _row_texts(raw: dict, data: dict, problems: list[str]) -> None:
    for field in ("first_name", "last_name", "company_name", "legal_form", "sector",
                  "address_line1", "address_line2", "city", "segment", "notes"):
        value = raw.get(field, "")
        if len(value) > LENGTHS[field]:
            problems.append(f"« {value[:20]}… » est trop long ({LENGTHS[field]} caractères au plus)")
        data[field] = value
    data["tags"] = raw.get("tags", "")


def _row_consent(raw: dict, data: dict, problems: list[str]) -> None:
    consent = fold(raw.get("marketing_consent", ""))
    if consent in YES:
        data["marketing_consent"] = True
    elif consent in NO:
        data["marketing_consent"] = False
    else:
        problems.append(f"Consentement « {raw['marketing_consent']} » : écrivez oui ou non")
    consent_on = raw.get("marketing_consent_on", "")
    if consent_on:
        try:
            data["marketing_consent_on"] = datetime.strptime(consent_on, "%d/%m/%Y").date()
        except ValueError:
            problems.append(f"Date du consentement « {consent_on} » : format attendu JJ/MM/AAAA")


def _row_required(raw: dict, data: dict, problems: list[str]) -> None:
    if data["category"] == "business" and not data["company_name"]:
        problems.append("La raison sociale d'un professionnel est obligatoire")
    if data["category"] == "private" and not data["last_name"]:
        problems.append("Le nom d'un particulier est obligatoire")


def import_parties(firm: Firm, user: User, text: str) -> list[Party]:
    """All lines or none: any error raises ImportErrors listing every faulty line."""
    rows, errors = parse(text)
    if errors:
        raise ImportErrors(errors)
    parties = [create_party(firm, user, data, journal=False) for _, data in rows]
    record_activity(firm, user, "party.imported", None, counted(len(parties), "fiche importée", "fiches importées"))
    return parties
