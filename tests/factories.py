"""The factories every test builds its world from: plain functions with sensible defaults.

Each flushes (never commits) and returns the object; keyword arguments override the
defaults. Fixtures of the same names (tests/conftest.py) hand them to tests.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from crm.core.clock import DEFAULT_TIME_ZONE
from crm.core.models import Classroom, Firm, Membership, Role, User
from crm.core.passwords import hash_password
from crm.extensions import db

PASSWORD = "correct-horse-1"
_numbers = itertools.count(1)

def firm_today() -> date:
    """Today where a firm with the default settings is (Europe/Paris), as the app dates its
    documents and closes its till. The machine's date.today() is the day before there between
    midnight in Paris and midnight UTC: tests dated with it failed during that hour."""
    return datetime.now(ZoneInfo(DEFAULT_TIME_ZONE)).date()



def make_user(role: Role = Role.TRAINEE, username: str | None = None, **overrides) -> User:
    n = next(_numbers)
    user = User(
        username=username or f"{role.value}{n}",
        display_name=overrides.pop("display_name", f"{role.label} {n}"),
        role=role.value,
        password_hash=hash_password(overrides.pop("password", PASSWORD)),
        **overrides,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_classroom(teacher: User | None = None, **overrides) -> Classroom:
    classroom = Classroom(
        name=overrides.pop("name", f"Classe {next(_numbers)}"),
        school_year=overrides.pop("school_year", "2026-2027"),
        teachers=[teacher] if teacher else [],
        **overrides,
    )
    db.session.add(classroom)
    db.session.flush()
    return classroom


def make_firm(classroom: Classroom | None = None, **overrides) -> Firm:
    firm = Firm(
        classroom=classroom or make_classroom(),
        trade_name=overrides.pop("trade_name", f"Entreprise {next(_numbers)}"),
        **overrides,
    )
    db.session.add(firm)
    db.session.flush()
    return firm


def make_member(user: User, firm: Firm, position: str = "commercial") -> Membership:
    membership = Membership(user=user, firm=firm, position=position)
    db.session.add(membership)
    db.session.flush()
    return membership


def make_product(firm, **overrides):
    """A stock-tracked product at 10,00 € bought, 15,00 € HT sold, VAT 20 %."""
    from crm.ventes.models import Product

    n = next(_numbers)
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


def make_party(firm, user=None, **overrides):
    """A private prospect by default, created through the service (search text, journal off)."""
    from crm.clients import services

    data = {"kind": "prospect", "category": "private", "last_name": "Martin", "first_name": "Léa"}
    data.update(overrides)
    return services.create_party(firm, user, data, journal=False)
