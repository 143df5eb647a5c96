"""Factories of the prospection tests: parties, invoices, plans, templates."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm.clients import services as clients
from crm.extensions import db
from crm.prospection import messaging, services
from crm.prospection.models import PHONE

# The firms' business calendar in these tests (the teacher's simulated date).
TODAY = date(2026, 3, 16)


@pytest.fixture
def firm_a(world):
    world.firm_a.business_date = TODAY
    world.firm_a.email = "contact@firme-a.fr"
    world.firm_a.city = "Lyon"
    world.firm_b.business_date = TODAY
    world.firm_b.email = "bonjour@firme-b.fr"
    db.session.commit()
    return world.firm_a


@pytest.fixture
def make_party(app_ctx):
    def make(firm, **overrides):
        data = {"kind": "prospect", "category": "private", "last_name": "Martin", "first_name": "Léa"}
        data.update(overrides)
        return clients.create_party(firm, None, data, journal=False)

    return make


@pytest.fixture
def make_plan(app_ctx):
    def make(firm, user, **overrides):
        data = {"name": "Offre de printemps", "objective": "promotion", "channel": PHONE,
                "starts_on": TODAY, "script": "Bonjour, ici Firme A.", "assignees": [user]}
        data.update(overrides)
        return services.create_plan(firm, user, services.PlanData(**data))

    return make


@pytest.fixture
def make_template(app_ctx):
    def make(firm, user, **overrides):
        data = {"name": "Offre", "kind": "letter", "purpose": "", "subject": "Notre offre de printemps",
                "salutation": "{{ formule_appel }},",
                "body": "Nous vous proposons une remise de 10 % jusqu'au 30 avril.\n\nÀ bientôt à {{ ville_entreprise }}.",
                "closing": "Nous vous prions d'agréer, {{ formule_appel }}, nos salutations distinguées."}
        data.update(overrides)
        return messaging.save_template(firm, user, messaging.TemplateData(**data))

    return make


@pytest.fixture
def make_invoice(app_ctx):
    """A validated invoice of `net` € HT at 20 % VAT, issued on `issued` (due 30 days later)."""
    from crm.ventes.documents import services as documents

    def make(firm, user, party, issued: date, net: str = "1000.00"):
        invoice = documents.create_document(firm, user, "invoice", party, issued)
        documents.save_draft(invoice, {}, [documents.LineData("Prestation de conseil", Decimal("1"),
                                                             Decimal(net), Decimal("20"))])
        documents.validate_document(invoice, user)
        return invoice

    return make


def commit():
    """A savepoint: what the test prepared is seen by the test client's requests."""
    db.session.commit()


def visible(response) -> str:
    """The page's text as read on screen: tags removed, spaces collapsed."""
    import html
    import re

    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(text)).replace(" ,", ",").replace(" .", ".")
