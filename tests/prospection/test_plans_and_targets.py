"""Preparing a call plan: objective, channel, assignees, script; targets from a saved filter,
by hand, from overdue invoices and open orders (A2T1)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.clients import services as clients
from crm.core.errors import DomainError
from crm.extensions import db
from crm.formation.models import Activity
from crm.prospection import services
from crm.prospection.models import CallPlan, CallPlanEntry
from tests.conftest import page_text
from tests.prospection.conftest import TODAY, commit


def _entries(plan):
    return db.session.scalars(select(CallPlanEntry).where(CallPlanEntry.plan_id == plan.id)
                              .order_by(CallPlanEntry.id)).all()


def test_a_trainee_creates_a_plan_from_the_browser(auth, firm_a, world):
    auth.login("eleve_a")
    response = auth.post("/prospection/plans/nouveau", {
        "name": "Relance des devis", "objective": "phone_reminder", "channel": "phone",
        "starts_on": "2026-03-16", "ends_on": "2026-03-31", "assignee_ids": [str(world.trainee_a.id)],
        "template_id": "", "script": "Bonjour, je vous appelle au sujet de notre devis."},
        form_page="/prospection/plans/nouveau")
    assert response.status_code == 302
    plan = db.session.scalar(select(CallPlan).where(CallPlan.firm_id == firm_a.id))
    assert (plan.name, plan.objective, plan.channel) == ("Relance des devis", "phone_reminder", "phone")
    assert plan.assignees == [world.trainee_a]
    assert plan.ends_on == date(2026, 3, 31)
    codes = {c.code for a in db.session.scalars(select(Activity).where(Activity.firm_id == firm_a.id))
             for c in a.competencies}
    assert {"A2T1C1", "A2T1C3", "A2T1C4"} <= codes
    page = page_text(auth.client.get(response.headers["Location"]))
    assert "Relance des devis" in page and "Ce plan n'a encore aucune cible" in page


def test_a_plan_ending_before_it_starts_is_refused(auth, firm_a, world):
    auth.login("eleve_a")
    response = auth.post("/prospection/plans/nouveau", {
        "name": "Mauvaises dates", "objective": "promotion", "channel": "phone",
        "starts_on": "2026-03-16", "ends_on": "2026-03-01", "template_id": ""},
        form_page="/prospection/plans/nouveau")
    assert response.status_code == 422
    assert "La date de fin précède la date de début." in page_text(response)
    assert "Mauvaises dates" in page_text(response)  # typed values kept
    assert db.session.scalar(select(func.count(CallPlan.id))) == 0


def test_targets_from_a_saved_filter(firm_a, world, make_party, make_plan):
    for name in ("Dupont", "Durand", "Petit"):
        make_party(firm_a, last_name=name, segment="Senior")
    make_party(firm_a, last_name="Leroy", segment="Artisan")
    make_party(world.firm_b, last_name="Dupuis", segment="Senior")  # another firm's: never a target
    saved = clients.save_filter(firm_a, world.trainee_a, "Seniors", {"segment": "Senior", "sort": "nom"})
    plan = make_plan(firm_a, world.trainee_a)
    assert services.add_targets_from_filter(plan, world.trainee_a, saved) == 3
    names = [e.party.last_name for e in _entries(plan)]
    assert names == ["Dupont", "Durand", "Petit"]  # the filter's order: by name
    assert {e.source for e in _entries(plan)} == {"filter"}
    # The same filter again adds nobody, and says why.
    with pytest.raises(DomainError, match="déjà tous dans le plan"):
        services.add_targets_from_filter(plan, world.trainee_a, saved)


def test_a_filter_finding_nobody_is_refused_and_changes_nothing(auth, firm_a, world, make_plan):
    saved = clients.save_filter(firm_a, world.trainee_a, "Personne", {"q": "introuvable"})
    plan = make_plan(firm_a, world.trainee_a)
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/plans/{plan.id}/cibles/filtre", {"saved_filter_id": str(saved.id)},
                         form_page=f"/prospection/plans/{plan.id}")
    assert response.status_code == 422
    assert "ne trouve aucun tiers : aucune cible ajoutée" in page_text(response)
    assert _entries(plan) == []


def test_another_firms_filter_is_not_found(auth, firm_a, world, make_plan):
    foreign = clients.save_filter(world.firm_b, world.trainee_b, "Filtre de B", {"kind": "client"})
    plan = make_plan(firm_a, world.trainee_a)
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/plans/{plan.id}/cibles/filtre", {"saved_filter_id": str(foreign.id)},
                         form_page=f"/prospection/plans/{plan.id}")
    assert response.status_code == 422  # not among the firm's choices
    assert _entries(plan) == []


def test_targets_picked_by_hand_through_the_search_step(auth, firm_a, world, make_party, make_plan):
    party = make_party(firm_a, last_name="Garnier", city="Lyon", postcode="69003")
    make_party(world.firm_b, last_name="Garnier")  # same name in firm B: not offered
    plan = make_plan(firm_a, world.trainee_a)
    commit()
    auth.login("eleve_a")
    page = page_text(auth.client.get(f"/prospection/plans/{plan.id}/cibles?q=garnier"))
    assert "1 tiers trouvé" in page
    response = auth.post(f"/prospection/plans/{plan.id}/cibles/ajouter", {"party_id": str(party.id), "q": "garnier"},
                         form_page=f"/prospection/plans/{plan.id}/cibles?q=garnier")
    assert response.status_code == 302
    assert [e.party_id for e in _entries(plan)] == [party.id]
    assert "Déjà dans le plan" in page_text(auth.client.get(f"/prospection/plans/{plan.id}/cibles?q=garnier"))
    again = auth.post(f"/prospection/plans/{plan.id}/cibles/ajouter", {"party_id": str(party.id)},
                      form_page=f"/prospection/plans/{plan.id}", follow_redirects=True)
    assert "est déjà dans le plan" in page_text(again)
    assert len(_entries(plan)) == 1


def test_targets_generated_from_overdue_invoices(firm_a, world, make_party, make_plan, make_invoice):
    client = make_party(firm_a, kind="client", category="business", company_name="Lycée Jean Moulin")
    late = make_invoice(firm_a, world.trainee_a, client, date(2026, 1, 5))  # due 04/02: late
    make_invoice(firm_a, world.trainee_a, client, date(2026, 3, 10))  # due 09/04: not yet
    plan = make_plan(firm_a, world.trainee_a, objective="unpaid_reminder")
    assert services.add_targets_from_documents(plan, world.trainee_a, "overdue") == 1
    [entry] = _entries(plan)
    assert (entry.party_id, entry.document_id, entry.source) == (client.id, late.id, "overdue")
    with pytest.raises(DomainError, match="déjà tous dans le plan"):
        services.add_targets_from_documents(plan, world.trainee_a, "overdue")


def test_no_overdue_invoice_means_an_empty_list_refused(auth, firm_a, world, make_plan):
    plan = make_plan(firm_a, world.trainee_a, objective="unpaid_reminder")
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/plans/{plan.id}/cibles/factures", {},
                         form_page=f"/prospection/plans/{plan.id}", follow_redirects=True)
    assert "Aucune facture n'est en retard de paiement : aucune cible ajoutée." in page_text(response)
    assert _entries(plan) == []


def test_targets_generated_from_open_orders(firm_a, world, make_party, make_plan):
    from decimal import Decimal

    from crm.ventes.documents import services as documents

    client = make_party(firm_a, kind="client", last_name="Dubois")
    order = documents.create_document(firm_a, world.trainee_a, "order", client, date(2026, 3, 2))
    documents.save_draft(order, {}, [documents.LineData("Chaise", Decimal("4"), Decimal("45"), Decimal("20"))])
    documents.validate_document(order, world.trainee_a)
    plan = make_plan(firm_a, world.trainee_a, objective="order_follow_up")
    assert services.add_targets_from_documents(plan, world.trainee_a, "open_orders") == 1
    assert _entries(plan)[0].document_id == order.id


def test_starting_a_session_without_targets_is_refused(auth, firm_a, world, make_plan):
    plan = make_plan(firm_a, world.trainee_a)
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/plans/{plan.id}/suivant", {}, form_page=f"/prospection/plans/{plan.id}",
                         follow_redirects=True)
    assert "Ce plan n'a aucune cible" in page_text(response)


def test_objections_and_answers_are_part_of_the_script(auth, firm_a, world, make_plan):
    plan = make_plan(firm_a, world.trainee_a)
    commit()
    auth.login("eleve_a")
    auth.post(f"/prospection/plans/{plan.id}/objections", {"objection": "C'est trop cher.",
                                                            "answer": "Garantie cinq ans."},
              form_page=f"/prospection/plans/{plan.id}")
    empty = auth.post(f"/prospection/plans/{plan.id}/objections", {"objection": "Sans réponse", "answer": ""},
                      form_page=f"/prospection/plans/{plan.id}")
    assert empty.status_code == 422
    db.session.expire_all()
    assert [(o.objection, o.answer) for o in db.session.get(CallPlan, plan.id).objections] == [
        ("C'est trop cher.", "Garantie cinq ans.")]
