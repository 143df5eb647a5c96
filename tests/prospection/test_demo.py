"""The demo (`make run`) has what a first prospection lesson needs, and its two firms write to each other."""
from __future__ import annotations

from sqlalchemy import select

from crm.admin.demo import load_demo
from crm.clients.models import Party
from crm.core.models import Firm, User
from crm.extensions import db
from crm.prospection import messaging
from crm.prospection.models import CallPlan, CallPlanEntry, MessageTemplate


def test_the_demo_has_a_plan_templates_and_two_firms_that_can_write_to_each_other(app_ctx):
    load_demo("demo-password-1")
    firms = {f.trade_name: f for f in db.session.scalars(select(Firm))}
    seller, shop = firms["Comptoir démo"], firms["Boutique voisine"]
    plan = db.session.scalar(select(CallPlan).where(CallPlan.firm_id == seller.id))
    assert plan.name == "Offre de rentrée aux professionnels" and plan.channel == "phone"
    assert [u.username for u in plan.assignees] == ["eleve2"] and len(plan.objections) == 3
    targets = db.session.scalars(select(CallPlanEntry).where(CallPlanEntry.plan_id == plan.id)).all()
    assert len(targets) == 4
    purposes = set(db.session.scalars(select(MessageTemplate.purpose).where(MessageTemplate.firm_id == seller.id)))
    assert {"friendly", "second", "formal_notice"} <= purposes
    # Each firm has the other in its file, with the other's address: mail goes inside Comptoir.
    assert messaging.firm_of_address("bonjour@boutique-voisine.fr").id == shop.id
    assert messaging.firm_of_address("contact@comptoir-demo.fr").id == seller.id
    assert db.session.scalar(select(Party.email).where(Party.firm_id == shop.id,
                                                       Party.company_name == "Comptoir démo")) == "contact@comptoir-demo.fr"
    eleve2 = db.session.scalar(select(User).where(User.username == "eleve2"))
    message = messaging.send_email(seller, eleve2, messaging.Outgoing("bonjour@boutique-voisine.fr", "Bonjour",
                                                                      "Un message de démonstration."), None)
    assert message.status == "delivered"
