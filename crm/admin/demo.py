"""Loading the demo data: one classroom, its teacher, two firms and three trainees."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from crm.admin import services
from crm.core import identifiers
from crm.core.firm_settings import update_firm_settings
from crm.core.models import Role, User
from crm.core.passwords import generate_password
from crm.extensions import db

DEMO_FILE = Path(__file__).parent / "data" / "demo.yaml"


def load_demo(password: str | None = None) -> list[tuple[str, str]] | None:
    """Create the demo accounts and firms; None if they exist already (nothing changed).

    Returns (username, password) pairs to print. One password for every demo
    account: given by the caller (CRM_DEMO_PASSWORD) or generated.
    """
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    if db.session.scalar(select(User.id).where(User.username == data["teacher"]["username"])):
        return None
    password = password or generate_password()
    teacher = services.create_user(
        data["teacher"]["username"], data["teacher"]["display_name"], Role.TEACHER, password
    )
    classroom = services.create_classroom(
        teacher, data["classroom"]["name"], data["classroom"]["school_year"]
    )
    accounts = [(teacher.username, password)]
    for firm_data in data["firms"]:
        trainees = firm_data.pop("trainees")
        parties = firm_data.pop("parties", [])
        products = firm_data.pop("products", [])
        organigramme = firm_data.pop("organigramme", [])
        settings = firm_data.pop("settings", {})
        firm = services.create_firm(classroom, _checked(firm_data))
        if settings:
            update_firm_settings(firm, **settings)
        _load_organigramme(firm, organigramme)
        suppliers = _load_parties(firm, parties)
        _load_products(firm, products, suppliers)
        for trainee in trainees:
            user = services.create_user(
                trainee["username"], trainee["display_name"], Role.TRAINEE, password, classroom
            )
            services.add_member(firm, user, trainee["position"])
            accounts.append((user.username, password))
    return accounts


def _load_organigramme(firm, services_data: list[dict]) -> None:
    from crm.accueil import services as desk

    for service_data in services_data:
        service = desk.create_service(firm, None, service_data["name"])
        for person in service_data.get("people", []):
            desk.add_staff_member(service, None, person)


def _load_parties(firm, parties: list[dict]) -> dict:
    """Create the parties; returns the suppliers by name, with their terms set."""
    from decimal import Decimal

    from crm.clients.services import create_party
    from crm.stocks.purchasing import set_supplier_terms

    suppliers = {}
    for data in parties:
        terms = data.pop("terms", None)
        party = create_party(firm, None, data, journal=False)
        if party.kind == "supplier":
            suppliers[party.name] = party
        if terms:
            set_supplier_terms(party, terms["lead_time_days"], Decimal(terms["minimum_order"]))
    return suppliers


def _load_products(firm, products: list[dict], suppliers: dict) -> None:
    """Catalogue and opening stock (a reception at the purchase price)."""
    from decimal import Decimal

    from crm.stocks.services import move_stock, set_thresholds
    from crm.ventes.catalogue import create_product

    for item in products:
        stock = item.pop("stock", 0)
        thresholds = item.pop("thresholds", None)
        data = {"description": "", "advantages": "", "stock_tracked": True, "active": True,
                "family_id": None, **item}
        data["purchase_price"] = Decimal(data["purchase_price"])
        data["sale_price"] = Decimal(data["sale_price"])
        product = create_product(firm, None, data)
        if stock:
            move_stock(firm, None, product, stock, "reception", unit_cost=product.purchase_price,
                       source="Stock d'ouverture")
        if thresholds:
            supplier = suppliers.get(thresholds.get("supplier", ""))
            set_thresholds(product, thresholds["minimum"], thresholds["safety"],
                           thresholds["maximum"], "typed", alert=thresholds["alert"],
                           supplier_id=supplier.id if supplier else None)


def _checked(firm_data: dict) -> dict:
    """Normalise identifiers as the firm form would, so demo data obeys the same rules."""
    checks = {"siret": identifiers.siret, "vat_number": identifiers.vat_number,
              "postcode": identifiers.postcode, "phone": identifiers.phone,
              "email": identifiers.email, "iban": identifiers.iban, "bic": identifiers.bic}
    return {key: checks[key](value) if key in checks else value for key, value in firm_data.items()}
