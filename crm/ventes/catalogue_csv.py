"""A catalogue from a CSV file a French spreadsheet saves: families, products, prices, VAT,
opening stock and thresholds. Same rules as the party import (crm.clients.csv_io): `;`
separated, UTF-8 or Windows-1252, French headers, every line checked first, all or nothing.
"""
from __future__ import annotations


from sqlalchemy import select

from crm.clients.csv_io import decode  # noqa: F401 - the one decoder of spreadsheet files
from crm.clients.services import fold
from crm.core.errors import DomainError, ImportErrors
from crm.core.models import Firm, User
from crm.core.money import VAT_RATES_TEXT, check_vat_rate, to_decimal
from crm.core.spreadsheet_csv import ImportReader, UnreadableCsv
from crm.extensions import db
from crm.ventes.models import Product, ProductFamily

COLUMNS = [
    ("référence", "reference"), ("désignation", "label"), ("famille", "family"), ("unité", "unit"),
    ("prix d'achat HT", "purchase_price"), ("prix de vente HT", "sale_price"), ("TVA", "vat_rate"),
    ("stock", "stock"), ("stock minimum", "minimum"), ("stock de sécurité", "safety"),
    ("stock d'alerte", "alert"), ("stock maximum", "maximum"), ("description", "description"),
]
HEADERS = {fold(header): field for header, field in COLUMNS} | {
    "ref": "reference", "libelle": "label", "designation": "label", "prix d'achat": "purchase_price",
    "prix de vente": "sale_price", "taux de tva": "vat_rate", "quantite": "stock"}
MAX_LINES = 5000
THRESHOLDS = ("minimum", "safety", "alert", "maximum")


def parse(text: str, firm: Firm) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """Rows (line, product data) and errors (line, French message), nothing written."""
    try:
        return _parse(text, firm)
    except UnreadableCsv as error:
        return [], [(error.line, error.message)]


def _parse(text: str, firm: Firm) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    lines = text.splitlines()
    if not lines or ";" not in lines[0]:
        return [], [(1, "La première ligne doit porter les en-têtes, séparés par des points-virgules (;).")]
    reader = ImportReader(text, delimiter=";")
    fields, errors = [], []
    for header in next(reader):
        field = HEADERS.get(fold(header.strip()))
        if field is None and header.strip():
            errors.append((1, f"Colonne inconnue « {header.strip()} »."))
        fields.append(field)
    for needed in ("reference", "label", "sale_price"):
        if needed not in fields:
            errors.append((1, f"Il manque la colonne « {dict((f, h) for h, f in COLUMNS)[needed]} »."))
    if errors:
        return [], errors
    existing = set(db.session.scalars(select(Product.reference).where(Product.firm_id == firm.id)))
    seen: dict[str, int] = {}
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_LINES:
            errors.append((line, f"Le fichier dépasse {MAX_LINES} lignes : découpez-le."))
            break
        raw = {f: v.strip() for f, v in zip(fields, values, strict=False) if f}
        try:
            data = _row(raw)
        except DomainError as error:
            errors.append((line, error.message))
            continue
        reference = data["reference"]
        if reference in existing:
            errors.append((line, f"La référence {reference} existe déjà dans le catalogue."))
        elif reference in seen:
            errors.append((line, f"La référence {reference} figure déjà ligne {seen[reference]}."))
        else:
            seen[reference] = line
            rows.append((line, data))
    if not rows and not errors:
        errors.append((2, "Le fichier ne contient aucun article sous les en-têtes."))
    return rows, errors


def _row(raw: dict) -> dict:
    reference = raw.get("reference", "").upper()
    if not reference or len(reference) > 40:
        raise DomainError("Référence manquante ou trop longue (40 caractères au plus).")
    label = raw.get("label", "")
    if not label or len(label) > 160:
        raise DomainError("Désignation manquante ou trop longue (160 caractères au plus).")
    data = {"reference": reference, "label": label, "family": raw.get("family", "")[:80],
            "unit": raw.get("unit", "") or "unité", "description": raw.get("description", "")}
    for field, what in (("purchase_price", "le prix d'achat"), ("sale_price", "le prix de vente")):
        value = to_decimal(raw.get(field) or "0", field, what)
        if value < 0:
            raise DomainError(f"{what.capitalize()} ne peut pas être négatif.")
        data[field] = value.quantize(to_decimal("0.01"))
    try:
        data["vat_rate"] = check_vat_rate(raw.get("vat_rate") or "20")
    except DomainError:
        raise DomainError(f"Taux de TVA « {raw.get('vat_rate')} » inconnu : {VAT_RATES_TEXT}.") from None
    for field in ("stock",) + THRESHOLDS:
        text = raw.get(field, "")
        if text and (not text.isdigit() or int(text) > 1_000_000):
            raise DomainError(f"« {text} » : une quantité de stock est un nombre entier positif.")
        data[field] = int(text) if text else None
    levels = [data[f] for f in THRESHOLDS]
    if any(v is not None for v in levels):
        minimum, safety, alert, maximum = (v or 0 for v in levels)
        if not (maximum >= minimum and maximum >= alert >= safety):
            raise DomainError("Seuils incohérents : il faut sécurité ≤ alerte ≤ maximum et minimum ≤ maximum.")
    return data


def import_catalogue(firm: Firm, user: User | None, text: str) -> list[Product]:
    """All lines or none: any error raises ImportErrors listing every faulty line."""
    from crm.stocks.services import move_stock, set_thresholds
    from crm.ventes.catalogue import create_family, create_product

    rows, errors = parse(text, firm)
    if errors:
        raise ImportErrors(errors)
    families = {
        fold(f.name): f for f in db.session.scalars(select(ProductFamily).where(ProductFamily.firm_id == firm.id))
    }
    products = []
    for _line, data in rows:
        family = None
        if data["family"]:
            family = families.get(fold(data["family"]))
            if family is None:
                family = families[fold(data["family"])] = create_family(firm, data["family"])
        product = create_product(firm, user, {
            "reference": data["reference"], "label": data["label"], "family_id": family.id if family else None,
            "description": data["description"], "advantages": "", "unit": data["unit"],
            "purchase_price": data["purchase_price"], "sale_price": data["sale_price"],
            "vat_rate": data["vat_rate"], "stock_tracked": True, "active": True})
        if data["stock"]:
            move_stock(firm, user, product, data["stock"], "reception", unit_cost=product.purchase_price,
                       source="Import du catalogue")
        if any(data[f] is not None for f in THRESHOLDS):
            set_thresholds(product, data["minimum"] or 0, data["safety"] or 0, data["maximum"] or 0, "typed",
                           alert=data["alert"] or 0)
        products.append(product)
    return products
