"""The phone session: next contact, one-click outcomes, interactions, call-backs to the agenda,
contact data corrected in place, progress and results with hand-checked rates (A2T3)."""
from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.clients.models import Interaction, Party
from crm.core.errors import DomainError
from crm.extensions import db
from crm.formation.models import Activity
from crm.prospection import services
from crm.prospection.models import AgendaItem, CallAttempt, CallPlanEntry
from tests.conftest import page_text
from tests.prospection.conftest import TODAY, commit, visible


@pytest.fixture
def plan_of_five(firm_a, world, make_party, make_plan):
    plan = make_plan(firm_a, world.trainee_a)
    parties = [make_party(firm_a, last_name=name, phone=f"01 23 45 67 0{n}")
               for n, name in enumerate(("Arnaud", "Bernard", "Colin", "Dumas", "Estève"), start=1)]
    for party in parties:
        services.add_target(plan, world.trainee_a, party)
    return plan


def _call(entry, user, outcome, note="", on=None, at=None):
    return services.record_call(entry, user, services.CallData(outcome, note, on, at), today=TODAY)


def test_the_session_walks_the_targets_in_order_and_each_call_becomes_an_interaction(
        auth, firm_a, world, plan_of_five):
    commit()
    auth.login("eleve_a")
    start = auth.post(f"/prospection/plans/{plan_of_five.id}/suivant", {}, form_page=f"/prospection/plans/{plan_of_five.id}")
    first = db.session.scalar(select(CallPlanEntry).where(CallPlanEntry.plan_id == plan_of_five.id)
                              .order_by(CallPlanEntry.id))
    assert start.headers["Location"].endswith(f"/prospection/appels/{first.id}")
    screen = page_text(auth.client.get(f"/prospection/appels/{first.id}"))
    assert "MARTIN" not in screen  # the target's own name, not a default
    assert "Arnaud" in screen and "01 23 45 67 01" in screen and "Bonjour, ici Firme A." in screen
    answer = auth.post(f"/prospection/appels/{first.id}/issue",
                       {"outcome": "reached", "note": "Intéressée par la remise.", "follow_up_on": "",
                        "follow_up_at": ""}, form_page=f"/prospection/appels/{first.id}")
    assert answer.status_code == 302
    second = db.session.scalar(select(CallPlanEntry).where(CallPlanEntry.plan_id == plan_of_five.id,
                                                          CallPlanEntry.id > first.id).order_by(CallPlanEntry.id))
    assert answer.headers["Location"].endswith(f"/prospection/appels/{second.id}")  # straight to the next one
    db.session.expire_all()
    first = db.session.get(CallPlanEntry, first.id)
    assert (first.status, first.last_outcome, first.attempts) == ("done", "reached", 1)
    [interaction] = db.session.scalars(select(Interaction).where(Interaction.party_id == first.party_id)).all()
    assert interaction.channel == "call_out"
    assert interaction.subject == "Offre de printemps — Joint"
    assert interaction.summary == "Intéressée par la remise."
    assert interaction.author_id == world.trainee_a.id
    verbs = db.session.scalars(select(Activity.verb).where(Activity.firm_id == firm_a.id)).all()
    assert "call.recorded" in verbs


def test_absent_goes_back_in_the_queue_and_the_call_back_goes_to_the_agenda(firm_a, world, plan_of_five):
    user = world.trainee_a
    first = services.take_next(plan_of_five, user, TODAY)
    _call(first, user, "absent", "Rappeler après 14 h.", date(2026, 3, 17), time(14, 30))
    assert (first.status, first.callback_on) == ("callback", date(2026, 3, 17))
    [item] = db.session.scalars(select(AgendaItem)).all()
    assert (item.user_id, item.kind, item.day, item.at_time, item.entry_id) == (
        user.id, "callback", date(2026, 3, 17), time(14, 30), first.id)
    assert item.title == f"Rappel : {first.party.name}"
    # Today, the call-back is not due: the next target is the second one.
    assert services.take_next(plan_of_five, user, TODAY).party.last_name == "Bernard"
    # The trainee holding Bernard gets Bernard back first (a reload of the screen).
    assert services.take_next(plan_of_five, user, date(2026, 3, 17)).party.last_name == "Bernard"


def test_a_due_call_back_comes_before_fresh_targets(firm_a, world, plan_of_five):
    user = world.trainee_a
    first = services.take_next(plan_of_five, user, TODAY)
    _call(first, user, "absent", on=date(2026, 3, 17))
    second = services.take_next(plan_of_five, user, TODAY)
    _call(second, user, "refused")
    assert services.take_next(plan_of_five, user, date(2026, 3, 17)).id == first.id


def test_two_trainees_never_get_the_same_target(firm_a, world, make_member, plan_of_five):
    colleague = world.trainee_b
    make_member(colleague, firm_a, "commercial")
    mine = services.take_next(plan_of_five, world.trainee_a, TODAY)
    theirs = services.take_next(plan_of_five, colleague, TODAY)
    assert mine.id != theirs.id
    # Asking again gives each their own target back (a reload of the screen).
    assert services.take_next(plan_of_five, world.trainee_a, TODAY).id == mine.id
    with pytest.raises(DomainError, match="est en train d'appeler ce contact"):
        _call(theirs, world.trainee_a, "reached")


def test_a_call_back_in_the_past_is_refused_and_nothing_changes(auth, firm_a, world, plan_of_five):
    entry = services.take_next(plan_of_five, world.trainee_a, TODAY)
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/appels/{entry.id}/issue",
                         {"outcome": "absent", "note": "Absente", "follow_up_on": "2026-03-13"},
                         form_page=f"/prospection/appels/{entry.id}")
    assert response.status_code == 422
    page = page_text(response)
    assert "La date de rappel ou de rendez-vous ne peut pas être passée : nous sommes le 16/03/2026" in page
    assert "Absente" in page  # the note typed is kept
    db.session.expire_all()
    assert db.session.get(CallPlanEntry, entry.id).attempts == 0
    assert db.session.scalar(select(func.count(CallAttempt.id))) == 0
    assert db.session.scalar(select(func.count(Interaction.id))) == 0
    assert db.session.scalar(select(func.count(AgendaItem.id))) == 0


def test_an_appointment_needs_its_date_and_a_transmission_its_note(firm_a, world, plan_of_five):
    entry = services.take_next(plan_of_five, world.trainee_a, TODAY)
    with pytest.raises(DomainError, match="Indiquez la date du rendez-vous"):
        _call(entry, world.trainee_a, "appointment")
    with pytest.raises(DomainError, match="Notez ce qui est à transmettre"):
        _call(entry, world.trainee_a, "to_transmit", "  ")
    _call(entry, world.trainee_a, "appointment", "Showroom", date(2026, 3, 20), time(10, 0))
    item = db.session.scalar(select(AgendaItem))
    assert (item.kind, item.day) == ("appointment", date(2026, 3, 20))


def test_an_unknown_outcome_is_a_french_form_error(auth, firm_a, world, plan_of_five):
    entry = services.take_next(plan_of_five, world.trainee_a, TODAY)
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/appels/{entry.id}/issue", {"outcome": "hacked"},
                         form_page=f"/prospection/appels/{entry.id}")
    assert response.status_code == 422
    assert "Choisissez l'issue de l'appel." in page_text(response)


def test_contact_data_corrected_during_the_call(auth, firm_a, world, plan_of_five):
    entry = services.take_next(plan_of_five, world.trainee_a, TODAY)
    commit()
    auth.login("eleve_a")
    bad = auth.post(f"/prospection/appels/{entry.id}/coordonnees",
                    {"phone": "12", "email": "pas-une-adresse", "postcode": "69003", "city": "Lyon"},
                    form_page=f"/prospection/appels/{entry.id}")
    assert bad.status_code == 422
    assert "Adresse électronique invalide" in page_text(bad)
    db.session.expire_all()
    assert db.session.get(Party, entry.party_id).phone == "01 23 45 67 01"
    good = auth.post(f"/prospection/appels/{entry.id}/coordonnees",
                     {"phone": "0478123456", "email": "l.arnaud@exemple.fr", "address_line1": "3 rue Neuve",
                      "postcode": "69003", "city": "Lyon"}, form_page=f"/prospection/appels/{entry.id}")
    assert good.status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, entry.party_id)
    assert (party.phone, party.email, party.city) == ("04 78 12 34 56", "l.arnaud@exemple.fr", "Lyon")
    assert party.last_name == "Arnaud" and party.kind == "prospect"  # the rest of the file is untouched
    codes = {c.code for a in db.session.scalars(select(Activity).where(Activity.verb == "party.updated"))
             for c in a.competencies}
    assert "A2T3C3" in codes


def test_results_count_outcomes_and_compute_the_rates(firm_a, world, make_party, make_plan):
    """Ten targets: 8 called; 6 reached (3 appointments, 1 sale), hand-checked rates."""
    user = world.trainee_a
    plan = make_plan(firm_a, user)
    for n in range(10):
        services.add_target(plan, user, make_party(firm_a, last_name=f"Cible{n:02d}"))
    script = ["voicemail", "reached", "refused", "appointment", "appointment", "sale", "wrong_number", "appointment"]
    for outcome in script:
        entry = services.take_next(plan, user, TODAY)
        on = date(2026, 3, 18) if outcome in ("appointment",) else None
        _call(entry, user, outcome, on=on)
    # The voicemail target is called again (no date): this time reached.
    again = services.take_next(plan, user, TODAY)
    assert again.last_outcome is None  # fresh targets first…
    results = services.plan_results(plan)
    assert (results.total, results.contacted, results.done, results.to_call_back) == (10, 8, 7, 1)
    assert results.outcomes == {"voicemail": 1, "reached": 1, "refused": 1, "appointment": 3, "sale": 1,
                                "wrong_number": 1}
    assert (results.reached, results.appointments, results.sales) == (6, 3, 1)
    assert results.progress == Decimal("80.0")  # 8 / 10
    assert results.reach_rate == Decimal("75.0")  # 6 / 8
    assert results.appointment_rate == Decimal("50.0")  # 3 / 6
    assert results.sale_rate == Decimal("16.7")  # 1 / 6
    assert results.share("appointment") == Decimal("37.5")  # 3 / 8 calls


def test_results_page_reads_like_the_textbook(auth, firm_a, world, plan_of_five):
    user = world.trainee_a
    for outcome in ("reached", "appointment", "absent"):
        entry = services.take_next(plan_of_five, user, TODAY)
        _call(entry, user, outcome, on=date(2026, 3, 19) if outcome == "appointment" else None)
    commit()
    auth.login("eleve_a")
    page = visible(auth.client.get(f"/prospection/plans/{plan_of_five.id}/resultats"))
    assert "3 / 5 cibles contactées (60 %)" in page
    assert "66,7 %" in page  # reached 2 of 3 called
    assert "50 %" in page  # 1 appointment of 2 reached
    assert "Rendez-vous pris" in page and "Absent — rappeler" in page
