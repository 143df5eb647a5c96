"""Loading the demo data: one classroom, its teacher, two firms and three trainees."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from crm.admin import services
from crm.core import identifiers
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
        templates = firm_data.pop("message_templates", [])
        call_plans = firm_data.pop("call_plans", [])
        firm = services.create_firm(classroom, _checked(firm_data))
        _load_organigramme(firm, organigramme)
        suppliers = _load_parties(firm, parties)
        _load_products(firm, products, suppliers)
        users = {}
        for trainee in trainees:
            user = services.create_user(
                trainee["username"], trainee["display_name"], Role.TRAINEE, password, classroom
            )
            services.add_member(firm, user, trainee["position"])
            accounts.append((user.username, password))
            users[user.username] = user
        _load_prospection(firm, teacher, templates, call_plans, users)
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


def _load_prospection(firm, author, templates: list[dict], call_plans: list[dict], users: dict) -> None:
    """Message templates and call plans (targets named by party), as trainees would prepare them."""
    from crm.clients.models import Party
    from crm.core.clock import business_today
    from crm.prospection import messaging
    from crm.prospection import services as prospection
    from crm.prospection.models import MessageTemplate

    for item in templates:
        messaging.save_template(firm, author, messaging.TemplateData(
            name=item["name"], kind=item["kind"], purpose=item.get("purpose", ""), subject=item["subject"],
            salutation=item.get("salutation", ""), body=item["body"].strip(), closing=item.get("closing", "")))
    parties = {party.name: party for party in db.session.scalars(select(Party).where(Party.firm_id == firm.id))}
    for item in call_plans:
        template = db.session.scalar(select(MessageTemplate).where(
            MessageTemplate.firm_id == firm.id, MessageTemplate.name == item["template"])) if item.get("template") else None
        plan = prospection.create_plan(firm, author, prospection.PlanData(
            name=item["name"], objective=item["objective"], channel=item["channel"],
            starts_on=business_today(firm), script=item.get("script", "").strip(), template=template,
            assignees=[users[name] for name in item.get("assignees", [])]))
        for objection in item.get("objections", []):
            prospection.add_objection(plan, author, objection["objection"], objection["answer"])
        for name in item.get("targets", []):
            prospection.add_target(plan, author, parties[name])


def _checked(firm_data: dict) -> dict:
    """Normalise identifiers as the firm form would, so demo data obeys the same rules."""
    checks = {"siret": identifiers.siret, "vat_number": identifiers.vat_number,
              "postcode": identifiers.postcode, "phone": identifiers.phone,
              "email": identifiers.email, "iban": identifiers.iban, "bic": identifiers.bic}
    return {key: checks[key](value) if key in checks else value for key, value in firm_data.items()}
