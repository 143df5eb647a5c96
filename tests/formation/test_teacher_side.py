"""Teacher screens: instantiate for four groups, reset, events, calendar, grid and assessment, journal."""
from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from crm.core.models import Firm, Membership, Position, Role
from crm.extensions import db
from crm.formation.models import Activity, Assessment, Scenario, ScenarioEvent
from tests.conftest import page_text
from tests.formation.conftest import small_source


def _upload(auth, text: str):
    return auth.post("/formation/scenarios", {"text": text}, form_page="/formation/scenarios")


def test_upload_refuses_a_faulty_scenario_with_every_error_then_keeps_a_good_one(auth, world):
    auth.login("prof_a")
    bad = small_source().replace("vat_rate: 5.5", "vat_rate: 7").replace("segment: \"Écoles\"", "segment: Mairies")
    refused = _upload(auth, bad.replace('segment: "Écoles"', "segment: Mairies"))
    text = page_text(refused)
    assert refused.status_code == 422
    assert "Scénario refusé" in text and "products[2].vat_rate" in text and "taux de TVA inconnu" in text
    assert db.session.scalar(select(func.count(Scenario.id))) == 0
    kept = _upload(auth, small_source())
    assert kept.status_code == 302
    assert db.session.scalar(select(Scenario.name)) == "Papeterie test"


def test_instantiate_for_four_groups_spreads_the_trainees(auth, world, make_user):
    for n in range(7):
        make_user(Role.TRAINEE, f"groupe{n}", classroom=world.classroom_a)
    db.session.commit()
    auth.login("prof_a")
    _upload(auth, small_source())
    scenario = db.session.scalar(select(Scenario))
    page = f"/formation/scenarios/{scenario.id}"
    response = auth.post(f"{page}/instancier", {"classroom_id": world.classroom_a.id, "groups": "4",
                                                 "spread_trainees": "y", "position": "commercial"}, form_page=page)
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    firms = db.session.scalars(select(Firm).where(Firm.trade_name.like("Papeterie test — groupe %"))
                               .order_by(Firm.trade_name)).all()
    assert [f.trade_name for f in firms] == [f"Papeterie test — groupe {n}" for n in range(1, 5)]
    # 7 unassigned trainees dealt round-robin: 2, 2, 2, 1 (eleve_a already works in Firme A).
    sizes = [db.session.scalar(select(func.count(Membership.id)).where(Membership.firm_id == f.id)) for f in firms]
    assert sizes == [2, 2, 2, 1]
    for firm in firms:  # each group has its own copy, numbered from 1
        from crm.ventes.documents.models import Invoice

        assert db.session.scalar(select(Invoice.number).where(Invoice.firm_id == firm.id)) == "FA2026-0001"
    trainee_b = make_user  # noqa: F841 - teacher B cannot use teacher A's scenario
    auth.logout()
    auth.login("prof_b")
    assert auth.client.get(page).status_code == 404


def _loaded_firm(world):
    from crm.formation.scenarios.loader import load_source

    firm = Firm(classroom=world.classroom_a, trade_name="…")
    db.session.add(firm)
    db.session.flush()
    load_source(firm, small_source())
    db.session.add(Membership(user=world.trainee_a, firm=firm, position="accueil"))
    db.session.commit()
    return firm


def test_reset_archives_the_firm_and_starts_again_from_the_scenario(auth, world):
    from crm.ventes.documents.models import Invoice
    from crm.ventes.models import Product

    firm = _loaded_firm(world)
    auth.login("eleve_a")
    auth.post(f"/entreprises/{firm.id}/entrer")
    # The trainee sells: the stock moves.
    from crm.ventes.caisse import services as till
    from crm.ventes.till import CASH

    product = db.session.scalar(select(Product).where(Product.firm_id == firm.id, Product.reference == "CH-01"))
    till.sell(firm, world.trainee_a, [till.TicketLine(product, 3)], [(CASH, "200")], today=date(2026, 10, 5))
    db.session.commit()
    auth.logout()
    auth.login("prof_a")
    page = f"/admin/entreprises/{firm.id}"
    assert "Réinitialiser l'entreprise" in page_text(auth.client.get(page))
    response = auth.post(f"{page}/reinitialiser", form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    old = db.session.get(Firm, firm.id)
    assert old.is_archived and "Réinitialisée" in old.archive_note
    new = db.session.scalar(select(Firm).where(Firm.archived_at.is_(None), Firm.trade_name == "Papeterie test"))
    assert db.session.scalar(select(Membership.firm_id).where(Membership.user_id == world.trainee_a.id,
                                                               Membership.firm_id == new.id)) == new.id
    assert db.session.scalar(select(Product.on_hand).where(Product.firm_id == new.id, Product.reference == "CH-01")) == 8
    assert db.session.scalar(select(Product.on_hand).where(Product.firm_id == old.id, Product.reference == "CH-01")) == 5
    assert db.session.scalar(select(Invoice.number).where(Invoice.firm_id == new.id)) == "FA2026-0001"
    # Recorded in both journals.
    assert db.session.scalar(select(Activity.summary).where(Activity.firm_id == new.id, Activity.verb == "firm.reset"))
    assert db.session.scalar(select(Activity.id).where(Activity.firm_id == old.id, Activity.verb == "firm.archived"))
    # The archived firm left the class list.
    assert new in world.classroom_a.firms and old not in world.classroom_a.firms


def test_delete_firm_asks_confirmation_and_frees_its_members(auth, world):
    auth.login("prof_a")
    page = f"/admin/entreprises/{world.firm_a.id}"
    assert "L'entreprise quitte la classe" in page_text(auth.client.get(page))
    assert auth.post(f"{page}/supprimer", form_page=page).status_code == 302
    db.session.expire_all()
    firm = db.session.get(Firm, world.firm_a.id)
    assert firm.is_archived and firm.memberships == []


def test_duplicate_firm_copies_its_data(auth, world):
    from crm.ventes.models import Product

    firm = _loaded_firm(world)
    auth.login("prof_a")
    page = f"/admin/entreprises/{firm.id}"
    assert auth.post(f"{page}/dupliquer", form_page=page).status_code == 302
    copy = db.session.scalar(select(Firm).where(Firm.trade_name == "Papeterie test (copie)"))
    assert db.session.scalar(select(func.count(Product.id)).where(Product.firm_id == copy.id)) == 4


def test_events_fire_once_when_their_moment_comes(auth, world):
    from crm.accueil.models import DeskRequest
    from crm.ventes.documents.models import SalesOrder

    firm = _loaded_firm(world)  # business date 5 October; complaint at 10:00 that day, order on the 7th
    complaint = db.session.scalar(select(ScenarioEvent).where(ScenarioEvent.kind == "complaint",
                                                              ScenarioEvent.firm_id == firm.id))
    complaint.due_time = time(0, 0)  # due now, whatever the hour the test runs
    db.session.commit()
    auth.login("eleve_a")
    auth.post(f"/entreprises/{firm.id}/entrer")
    for _ in range(2):  # a second request fires nothing more
        assert auth.client.get("/accueil/").status_code == 200
    db.session.expire_all()
    requests = db.session.scalars(select(DeskRequest).where(DeskRequest.firm_id == firm.id)).all()
    assert [(r.nature, r.status, r.party.name, r.received_on) for r in requests] == [
        ("complaint", "open", "École Jules Ferry", date(2026, 10, 5))]
    assert "Deux chaises rayées." in page_text(auth.client.get(f"/accueil/demandes/{requests[0].id}"))
    order_event = db.session.scalar(select(ScenarioEvent).where(ScenarioEvent.kind == "incoming_order"))
    assert order_event.fired_at is None
    # The teacher moves the class by a week: the incoming order arrives as a draft order.
    auth.logout()
    auth.login("prof_a")
    page = f"/admin/classes/{world.classroom_a.id}"
    response = auth.post(f"{page}/calendrier", {"step": "7"}, form_page=page, follow_redirects=True)
    assert "1 événement du scénario a eu lieu" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Firm, firm.id).business_date == date(2026, 10, 12)
    order = db.session.scalar(select(SalesOrder).where(SalesOrder.firm_id == firm.id, SalesOrder.number.is_(None)))
    assert order is not None and order.lines[0].quantity == 20 and order.issue_date == date(2026, 10, 12)


def test_teacher_fires_an_event_now_and_adds_one(auth, world):
    from crm.accueil.models import DeskRequest

    firm = _loaded_firm(world)
    event = db.session.scalar(select(ScenarioEvent).where(ScenarioEvent.kind == "incoming_order"))
    auth.login("prof_a")
    page = f"/admin/entreprises/{firm.id}"
    assert auth.post(f"/admin/evenements/{event.id}/declencher", form_page=page).status_code == 302
    again = auth.post(f"/admin/evenements/{event.id}/declencher", form_page=page, follow_redirects=True)
    assert "Cet événement a déjà eu lieu." in page_text(again)
    added = auth.post(f"{page}/evenements", {"kind": "phone_message", "title": "Rappeler M. Roux",
                                              "visitor_name": "M. Roux", "text": "Veut un devis."}, form_page=page)
    assert added.status_code == 302
    natures = db.session.scalars(select(DeskRequest.channel).where(DeskRequest.firm_id == firm.id)
                                 .order_by(DeskRequest.id)).all()
    assert natures == ["email", "phone"]


def test_calendar_never_goes_back_before_numbered_documents_and_z_ends_the_day(auth, world):
    from crm.formation.calendar import latest_used_date
    from crm.ventes.caisse import services as till

    firm = _loaded_firm(world)
    assert latest_used_date(firm) == date(2026, 9, 16)
    auth.login("prof_a")
    page = f"/admin/entreprises/{firm.id}"
    back = auth.post(f"{page}/calendrier", {"step": "date", "target": "2026-09-01"}, form_page=page,
                     follow_redirects=True)
    assert "ne peut pas revenir avant cette date" in page_text(back)
    db.session.expire_all()
    assert db.session.get(Firm, firm.id).business_date == date(2026, 10, 5)
    till.close_day(firm, world.trainee_a, date(2026, 10, 5))
    assert firm.business_date == date(2026, 10, 6)  # the Z ended the simulated day


def test_grid_assessment_and_observation(auth, world):
    from crm.formation.journal import record_activity

    record_activity(world.firm_a, world.trainee_a, "desk_request.recorded", None, "Demande 1")
    record_activity(world.firm_a, world.trainee_a, "desk_request.recorded", None, "Demande 2")
    db.session.commit()
    auth.login("prof_a")
    grid = page_text(auth.client.get(f"/formation/suivi/classes/{world.classroom_a.id}"))
    assert "A1T3C3 : 2 actions, Non évalué" in grid
    page = f"/formation/suivi/eleves/{world.trainee_a.id}"
    assessed = auth.post(page, {"action": "assess", "code": "A1T3C3", "level": "acquired",
                                "assessed_on": "2026-10-05", "comment": "Registre bien tenu"}, form_page=page)
    assert assessed.status_code == 302
    auth.post(page, {"action": "assess", "code": "A1T3C3", "level": "mastered", "assessed_on": "2026-10-12",
                     "comment": ""}, form_page=page)
    observed = auth.post(page, {"action": "observe", "obs-code": "A1T2C1", "obs-firm_id": world.firm_a.id,
                                "obs-note": "A salué le visiteur"}, form_page=page)
    assert observed.status_code == 302
    bad = auth.post(page, {"action": "assess", "code": "A1T3C3", "level": "parfait", "assessed_on": "2026-10-12"},
                    form_page=page)
    assert bad.status_code == 422
    levels = db.session.scalars(select(Assessment.level).where(Assessment.user_id == world.trainee_a.id)
                                .order_by(Assessment.id)).all()
    assert levels == ["acquired", "mastered"]  # history kept
    grid = page_text(auth.client.get(f"/formation/suivi/classes/{world.classroom_a.id}"))
    assert "A1T3C3 : 2 actions, Maîtrisé" in grid
    assert "A1T2C1 : 1 action, Non évalué" in grid
    csv = auth.client.get(f"/formation/suivi/classes/{world.classroom_a.id}?format=csv")
    assert csv.status_code == 200 and "2 · Maîtrisé" in csv.get_data(as_text=True)
    xlsx = auth.client.get(f"/formation/suivi/classes/{world.classroom_a.id}?format=xlsx")
    assert xlsx.data[:2] == b"PK"
    # Teacher B sees neither the grid nor the trainee.
    auth.logout()
    auth.login("prof_b")
    assert auth.client.get(f"/formation/suivi/classes/{world.classroom_a.id}").status_code == 404
    assert auth.client.get(page).status_code == 404


def test_journal_filters_links_and_csv(auth, world):
    from crm.clients.services import create_party
    from crm.formation.journal import record_activity

    party = create_party(world.firm_a, None, {"kind": "client", "category": "private", "last_name": "Roux"},
                         journal=False)
    record_activity(world.firm_a, world.trainee_a, "party.updated", party, "Fiche mise à jour : Roux")
    record_activity(world.firm_a, world.trainee_a, "desk_request.recorded", None, "=Demande piégée")
    db.session.commit()
    auth.login("prof_a")
    url = f"/formation/journal?classe={world.classroom_a.id}"
    page = page_text(auth.client.get(url))
    accueil = Position.ACCUEIL.label
    assert accueil in page and "Fiche mise à jour : Roux" in page
    filtered = page_text(auth.client.get(url + "&activite=A1"))
    assert "Demande piégée" in filtered and "Fiche mise à jour : Roux" not in filtered
    by_code = page_text(auth.client.get(url + "&code=A2T3C3"))
    assert "Fiche mise à jour : Roux" in by_code and "Demande piégée" not in by_code
    activity = db.session.scalar(select(Activity).where(Activity.verb == "party.updated"))
    opened = auth.client.get(f"/formation/activites/{activity.id}/ouvrir")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/clients/{party.id}")
    csv = auth.client.get(url + "&format=csv").get_data(as_text=True)
    assert "'=Demande piégée" in csv and accueil in csv
