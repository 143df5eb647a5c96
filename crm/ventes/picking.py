"""Product pickers: the search behind every "choose an article" field (crm.core.picker)."""
from __future__ import annotations

from sqlalchemy import case, select

from crm.core.picker import Match, PickerSource
from crm.core.text import escape_like, fold
from crm.extensions import db
from crm.ventes.models import Product

HELP = "Tapez la référence, quelques lettres de la désignation ou le code-barres."


def _match(product: Product) -> Match:
    if not product.stock_tracked:
        stock = "prestation"
    elif product.on_hand <= 0:
        stock = "RUPTURE DE STOCK"
    else:
        stock = f"stock {product.on_hand}"
    return Match(product.id, f"{product.reference} — {product.label}", stock, product.reference)


def _scope(firm_id: int, tracked_only: bool):
    query = select(Product).where(Product.firm_id == firm_id, Product.active.is_(True))
    return query.where(Product.stock_tracked.is_(True)) if tracked_only else query


def _searcher(tracked_only: bool):
    def search(firm_id: int, text: str, limit: int) -> list[Match]:
        query = _scope(firm_id, tracked_only)
        for word in fold(text).split():
            query = query.where(Product.search_text.like(f"%{escape_like(word)}%", escape="\\"))
        # A reference or barcode typed from its start comes first, then reference order.
        start = text.strip().upper()
        first = case((Product.reference.like(f"{escape_like(start)}%", escape="\\"), 0),
                     (Product.barcode == text.strip(), 0), else_=1)
        products = db.session.scalars(query.order_by(first, Product.reference).limit(limit))
        return [_match(p) for p in products]

    return search


def _loader(tracked_only: bool):
    def load(firm_id: int, product_id: int) -> Match | None:
        product = db.session.scalar(_scope(firm_id, tracked_only).where(Product.id == product_id))
        return _match(product) if product is not None else None

    return load


def _source(tracked_only: bool, name: str) -> PickerSource:
    return PickerSource(endpoint="ventes.pick_products", search=_searcher(tracked_only),
                        load=_loader(tracked_only), help=HELP, endpoint_args=(("type", name),))


# ?type= of the JSON endpoint → source
SOURCES = {
    "tous": _source(False, "tous"),  # sales documents, till
    "stock": _source(True, "stock"),  # purchase orders, manual stock moves
}
PRODUCTS = SOURCES["tous"]
STOCK_PRODUCTS = SOURCES["stock"]
