"""Preparing, calling, writing, sending and updating contact data record the eleven
competencies of activity 2 (A2T1C1 … A2T3C3)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crm.clients import services as clients
from crm.extensions import db
from crm.formation.models import Activity, ActivityCompetency
from crm.formation.referentiel import catalogue
from crm.prospection import letters, messaging, services
from crm.prospection.models import EMAIL
from tests.prospection.conftest import TODAY


def test_a_full_prospection_covers_activity_2(firm_a, world, make_party, make_template):
    user = world.trainee_a
    party = make_party(firm_a, last_name="Garnier", email="t.garnier@exemple.fr", segment="Senior")
    saved = clients.save_filter(firm_a, user, "Seniors", {"segment": "Senior"})
    email_template = make_template(firm_a, user, name="Courriel", kind=EMAIL)
    plan = services.create_plan(firm_a, user, services.PlanData(
        "Offre", "promotion", "phone", TODAY, script="Bonjour", template=email_template, assignees=[user]))
    services.add_targets_from_filter(plan, user, saved)
    entry = services.take_next(plan, user, TODAY)
    services.record_call(entry, user, services.CallData("reached", "OK", date(2026, 3, 20)), today=TODAY)
    data = {key: getattr(party, key) for key in clients.PARTY_FIELDS}
    clients.update_party(party, user, {**data, "phone": "06 98 76 54 32", "tags": ""})
    messaging.send_email(firm_a, user, messaging.Outgoing("t.garnier@exemple.fr", "Notre offre", "Bonjour",
                                                          party=party), None, proofread=True)
    letter_plan = services.create_plan(firm_a, user, services.PlanData(
        "Courrier", "promotion", "letter", TODAY, template=make_template(firm_a, user, name="Lettre")))
    letter_entry = services.add_target(letter_plan, user, party)
    services.mark_sent(letter_entry, user, letter=True)
    mailing = letters.start_mailing(letter_plan, user)
    letters.finish_mailing(mailing, user)

    codes = set(db.session.scalars(
        select(ActivityCompetency.code).join(Activity).where(Activity.firm_id == firm_a.id)))
    activity_2 = {code for code, entry in catalogue().items()
                  if entry.kind == "competency" and code.startswith("A2")}
    assert len(activity_2) == 11
    assert activity_2 <= codes, sorted(activity_2 - codes)
    assert "A2T2CP2" in codes  # proofread before sending
