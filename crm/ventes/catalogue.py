"""Catalogue services: families, products, their argumentaire and promotional prices."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from crm.core.errors import DomainError
from crm.core.money import VAT_RATES_TEXT
from crm.core.models import Firm, User
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.ventes.models import (
    VAT_RATES, Product, ProductFamily, ProductObjection, PromotionalPrice,
)

def promotions_on(product_ids, day: date) -> dict[int, PromotionalPrice]:
    """The promotion running on `day` for each of these products, in one query (lists)."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(PromotionalPrice)
        .where(PromotionalPrice.product_id.in_(ids), PromotionalPrice.starts_on <= day,
               PromotionalPrice.ends_on >= day)
        .order_by(PromotionalPrice.starts_on, PromotionalPrice.id)
    )
    # Same rule as Product.promotion_on: the latest started wins (later rows overwrite).
    return {promotion.product_id: promotion for promotion in rows}


PRODUCT_FIELDS = (
    "reference", "label", "family_id", "description", "advantages", "unit", "purchase_price",
    "sale_price", "vat_rate", "stock_tracked", "active", "barcode",
)


def families_with_counts(firm: Firm) -> list[tuple[ProductFamily, int]]:
    """The firm's families by name, each with its number of articles (counted by the database)."""
    return db.session.execute(
        select(ProductFamily, func.count(Product.id)).where(ProductFamily.firm_id == firm.id)
        .outerjoin(Product, Product.family_id == ProductFamily.id)
        .group_by(ProductFamily.id).order_by(ProductFamily.name)).all()


def create_family(firm: Firm, name: str) -> ProductFamily:
    _check_family_name(firm, name)
    family = ProductFamily(firm_id=firm.id, name=name)
    db.session.add(family)
    db.session.flush()
    return family


def rename_family(family: ProductFamily, name: str) -> None:
    _check_family_name(family, name, family.id)
    family.name = name
    db.session.flush()


def _check_family_name(firm, name: str, own_id: int | None = None) -> None:
    firm_id = firm.firm_id
    other = db.session.scalar(
        select(ProductFamily.id).where(ProductFamily.firm_id == firm_id,
                                       func.lower(ProductFamily.name) == name.lower())
    )
    if other is not None and other != own_id:
        raise DomainError(f"La famille « {name} » existe déjà.", "name")


def delete_family(family: ProductFamily) -> None:
    """Its products stay in the catalogue, without family."""
    db.session.delete(family)
    db.session.flush()


def create_product(firm: Firm, user: User | None, data: dict) -> Product:
    product = Product(firm_id=firm.id)
    _apply(product, data)
    db.session.add(product)
    db.session.flush()
    if user is not None:
        record_activity(firm, user, "product.created", product, f"Fiche article créée : {product.reference}")
    return product


def update_product(product: Product, data: dict) -> None:
    _apply(product, data)
    db.session.flush()


def _apply(product: Product, data: dict) -> None:
    data = {k: v for k, v in data.items() if k in PRODUCT_FIELDS}
    reference = data["reference"].strip().upper()
    if not reference:
        raise DomainError("La référence est obligatoire.", "reference")
    other = db.session.scalar(
        select(Product.id).where(Product.firm_id == product.firm_id, Product.reference == reference)
    )
    if other is not None and other != product.id:
        raise DomainError(f"La référence {reference} est déjà utilisée par un autre article.", "reference")
    if Decimal(data["vat_rate"]) not in VAT_RATES:
        raise DomainError(f"Taux de TVA inconnu : choisissez {VAT_RATES_TEXT}.", "vat_rate")
    for key, label in (("purchase_price", "prix d'achat HT"), ("sale_price", "prix de vente HT")):
        if data[key] is None or Decimal(data[key]) < 0:
            raise DomainError(f"Le {label} doit être un montant positif ou nul.", key)
    barcode = (data.get("barcode") or "").strip()
    if barcode:
        taken = db.session.scalar(select(Product.reference).where(
            Product.firm_id == product.firm_id, Product.barcode == barcode, Product.id != product.id))
        if taken is not None:
            raise DomainError(f"Le code-barres {barcode} est déjà celui de l'article {taken}.", "barcode")
    family_id = data.get("family_id") or None
    if family_id is not None:
        family = db.session.get(ProductFamily, family_id)
        if family is None or family.firm_id != product.firm_id:
            raise DomainError("Cette famille n'existe pas dans votre entreprise.", "family_id")
    data["family_id"] = family_id
    data["reference"] = reference
    data["vat_rate"] = Decimal(data["vat_rate"])
    for key, value in data.items():
        setattr(product, key, value)


def present_technical_sheet(firm: Firm, user: User | None, product: Product) -> None:
    """A trainee presented the product's technical sheet (journal only)."""
    record_activity(firm, user, "product.sheet_presented", product,
                    f"Fiche technique présentée : {product.reference} {product.label}")


def add_objection(product: Product, user: User | None, objection: str, answer: str) -> ProductObjection:
    if not objection.strip() or not answer.strip():
        raise DomainError("Saisissez l'objection et la réponse à lui apporter.", "objection")
    item = ProductObjection(firm_id=product.firm_id, product=product,
                            objection=objection.strip(), answer=answer.strip())
    db.session.add(item)
    db.session.flush()
    if user is not None:
        record_activity(db.session.get(Firm, product.firm_id), user, "product.objection_added", product,
                        f"Réponse à l'objection « {item.objection[:80]} » : {product.reference}")
    return item


def delete_objection(item: ProductObjection) -> None:
    db.session.delete(item)
    db.session.flush()


def add_promotion(product: Product, price: Decimal, starts_on: date, ends_on: date,
                  label: str = "") -> PromotionalPrice:
    if price is None or price < 0:
        raise DomainError("Le prix promotionnel doit être un montant positif ou nul.", "price")
    if ends_on < starts_on:
        raise DomainError("La date de fin doit être postérieure ou égale à la date de début.", "ends_on")
    overlapping = db.session.scalar(
        select(PromotionalPrice.id).where(
            PromotionalPrice.product_id == product.id,
            PromotionalPrice.starts_on <= ends_on, PromotionalPrice.ends_on >= starts_on,
        )
    )
    if overlapping is not None:
        raise DomainError("Une autre promotion de cet article couvre déjà une partie de ces dates.",
                          "starts_on")
    promotion = PromotionalPrice(firm_id=product.firm_id, product=product, price=price,
                                 starts_on=starts_on, ends_on=ends_on, label=label)
    db.session.add(promotion)
    db.session.flush()
    return promotion


def delete_promotion(promotion: PromotionalPrice) -> None:
    db.session.delete(promotion)
    db.session.flush()
