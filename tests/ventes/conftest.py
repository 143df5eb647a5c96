"""Catalogue factories, shared with tests/stocks."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crm.extensions import db
from crm.ventes.models import Product


@pytest.fixture
def make_product(app_ctx):
    counter = iter(range(1, 10_000))

    def make(firm, **overrides) -> Product:
        n = next(counter)
        product = Product(
            firm_id=firm.id,
            reference=overrides.pop("reference", f"ART-{n:03d}"),
            label=overrides.pop("label", f"Article {n}"),
            purchase_price=overrides.pop("purchase_price", Decimal("10.00")),
            sale_price=overrides.pop("sale_price", Decimal("15.00")),
            vat_rate=overrides.pop("vat_rate", Decimal("20")),
            **overrides,
        )
        db.session.add(product)
        db.session.flush()
        return product

    return make
