"""Check a whole scenario file and say, in French, every error with its path and line.

Three passes, each reporting all it finds: YAML syntax (PyYAML, which gives the
line), the shape of each field (pydantic, schema.py), then the references
between sections (references.py). PyYAML's node API keeps the line of every
value, so an error on `clients[3].siret` is reported at the line of that value.
"""
from __future__ import annotations

from dataclasses import dataclass

import yaml
from pydantic import ValidationError

from crm.formation.scenarios.schema import ScenarioFile

MAX_SOURCE_BYTES = 2 * 1024 * 1024
MAX_ERRORS = 200


@dataclass(frozen=True)
class ScenarioError:
    path: str  # clients[3].siret
    line: int | None  # 1-based
    message: str  # in French

    def __str__(self) -> str:
        where = f"ligne {self.line} — " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class ScenarioInvalid(Exception):
    """The file is refused as a whole; `errors` lists every problem found."""

    def __init__(self, errors: list[ScenarioError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def path_text(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- YAML with lines ------------------------------------------------------------------

def _read_yaml(source: str) -> tuple[object, dict[tuple, int], list[ScenarioError]]:
    """The data, the line of each path, and the duplicate keys found (PyYAML keeps the last)."""
    loader = yaml.SafeLoader(source)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        line = mark.line + 1 if mark else None
        raise ScenarioInvalid([ScenarioError("", line, f"erreur de syntaxe YAML : {problem} "
                                                       "(vérifiez l'indentation, les deux-points et les guillemets)")])
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}
    duplicates: list[ScenarioError] = []
    if node is not None:
        _walk(node, (), lines, duplicates)
    return data, lines, duplicates


def _walk(node, path: tuple, lines: dict, duplicates: list) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                duplicates.append(ScenarioError(path_text(path + (key,)), key_node.start_mark.line + 1,
                                                "clé écrite deux fois : seule la dernière serait lue"))
            seen.add(key)
            _walk(value_node, path + (key,), lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, duplicates)


def line_of(lines: dict[tuple, int], path: tuple) -> int | None:
    """The line of `path`, or of its nearest written parent (a missing key: its mapping)."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)


# --- pydantic errors in French --------------------------------------------------------

def _french(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    messages = {
        "missing": "champ obligatoire manquant",
        "extra_forbidden": "clé inconnue (vérifiez l'orthographe : voir docs/scenarios.md)",
        "int_parsing": "nombre entier attendu",
        "int_type": "nombre entier attendu",
        "int_from_float": "nombre entier attendu (sans décimales)",
        "decimal_parsing": "nombre attendu (avec un point décimal : 12.50)",
        "decimal_type": "nombre attendu (avec un point décimal : 12.50)",
        "bool_parsing": "oui/non attendu (true ou false)",
        "bool_type": "oui/non attendu (true ou false)",
        "string_type": "texte attendu",
        "date_type": "date attendue au format AAAA-MM-JJ",
        "date_parsing": "date attendue au format AAAA-MM-JJ",
        "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
        "time_parsing": "heure attendue au format HH:MM",
        "time_type": "heure attendue au format HH:MM",
        "list_type": "liste attendue (lignes commençant par « - »)",
        "dict_type": "rubrique attendue (clé: valeur)",
        "model_type": "rubrique attendue (clé: valeur)",
        "model_attributes_type": "rubrique attendue (clé: valeur)",
        "union_tag_not_found": "indiquez le type de l'opération (type: quote, order, delivery…)",
        "union_tag_invalid": f"type d'opération inconnu « {ctx.get('tag')} » : "
                             f"choisissez parmi {ctx.get('expected_tags', '')}",
        "literal_error": f"valeur inconnue : choisissez parmi {ctx.get('expected', '')}",
    }
    if kind in messages:
        return messages[kind]
    if kind == "string_too_long":
        return f"texte trop long ({ctx.get('max_length')} caractères au plus)"
    if kind == "string_too_short":
        return "ne peut pas être vide"
    if kind in ("too_short",):
        return f"il faut au moins {ctx.get('min_length')} élément"
    if kind in ("greater_than_equal",):
        return f"doit être supérieur ou égal à {ctx.get('ge')}"
    if kind in ("greater_than",):
        return f"doit être supérieur à {ctx.get('gt')}"
    if kind in ("less_than_equal",):
        return f"doit être inférieur ou égal à {ctx.get('le')}"
    if kind == "decimal_max_places":
        return f"{ctx.get('decimal_places')} décimales au plus"
    if kind == "decimal_max_digits":
        return "nombre trop grand"
    if kind == "not_equal":
        return "ne peut pas valoir 0"
    return error["msg"]


def _shape_errors(error: ValidationError, lines: dict) -> list[ScenarioError]:
    found = []
    for item in error.errors(include_url=False):
        # A discriminated union adds the tag to the path ("history", 3, "quote", "lines"): drop it.
        path = tuple(p for p in item["loc"] if not (isinstance(p, str) and p in _TAGS))
        found.append(ScenarioError(path_text(path), line_of(lines, path), _french(item)))
    return found


_TAGS = {"quote", "order", "delivery", "invoice", "credit_note", "payment", "stock_move",
         "purchase_order", "goods_receipt", "counter_sale", "closing"}


# --- the whole check --------------------------------------------------------------------

def check_scenario(source: str | bytes) -> tuple[ScenarioFile, dict[tuple, int]]:
    """The validated scenario and its line map; ScenarioInvalid listing every error otherwise."""
    if isinstance(source, bytes):
        if len(source) > MAX_SOURCE_BYTES:
            raise ScenarioInvalid([ScenarioError("", None, "fichier trop volumineux (2 Mo au plus)")])
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScenarioInvalid([ScenarioError("", None, "le fichier doit être enregistré en UTF-8")]) from None
    if "\x00" in source:
        raise ScenarioInvalid([ScenarioError("", None, "le fichier contient des caractères nuls : "
                                                       "ce n'est pas un fichier texte")])
    data, lines, errors = _read_yaml(source)
    if not isinstance(data, dict):
        raise ScenarioInvalid([ScenarioError("", 1, "le fichier doit commencer par les rubriques "
                                                    "« scenario: » et « firm: » (voir docs/scenarios.md)")])
    try:
        scenario = ScenarioFile.model_validate(data)
    except ValidationError as error:
        raise ScenarioInvalid((errors + _shape_errors(error, lines))[:MAX_ERRORS]) from None
    from crm.formation.scenarios.references import reference_errors

    errors += reference_errors(scenario, lines)
    if errors:
        raise ScenarioInvalid(errors[:MAX_ERRORS])
    return scenario, lines
