"""Front desk: organigramme, request lifecycle with history, journal, manager report."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from crm.core.clock import business_today
from crm.accueil import services
from crm.accueil.models import DeskRequest, Service, StaffMember
from crm.clients import services as clients
from crm.clients.models import Party
from crm.extensions import db
from crm.formation.models import Activity
from tests.conftest import page_text
from tests.factories import firm_today

NEW = "/accueil/nouvelle"
TOMORROW = (firm_today() + timedelta(days=1)).isoformat()


def _form(**overrides):
    data = {"visitor_name": "Léa Martin", "visitor_phone": "", "visitor_email": "", "channel": "face",
            "nature": "info_hours", "request_text": "Horaires du samedi ?", "handling": "immediate",
            "answer": "Ouvert de 9 h à 12 h", "documentation": "", "service_id": "", "recipient_id": "",
            "due_on": "", "message": "", "party_id": ""}
    data.update(overrides)
    return data


def _organigramme(world):
    service = services.create_service(world.firm_a, world.trainee_a, "SAV")
    person = services.add_staff_member(service, world.trainee_a, {"name": "Paul Roux", "role": "Technicien"})
    other = services.create_service(world.firm_a, world.trainee_a, "Comptabilité")
    db.session.commit()
    return service, person, other


def _verbs():
    return db.session.scalars(select(Activity.verb).order_by(Activity.id)).all()


def test_organigramme_services_and_people(auth, world):
    auth.login("eleve_a")
    page = "/accueil/organigramme"
    assert auth.post(page, {"name": "Service commercial"}, form_page=page).status_code == 302
    again = auth.post(page, {"name": "service COMMERCIAL"}, form_page=page)
    assert again.status_code == 422 and "Le service « service COMMERCIAL » existe déjà." in page_text(again)
    service = db.session.scalar(select(Service).where(Service.firm_id == world.firm_a.id))
    bad = auth.post(f"/accueil/organigramme/services/{service.id}/personnes",
                    {"name": "Ana", "phone": "12"}, form_page=page)
    assert bad.status_code == 422 and "Numéro de téléphone invalide" in page_text(bad)
    assert auth.post(f"/accueil/organigramme/services/{service.id}/personnes",
                     {"name": "Ana Costa", "role": "Commerciale", "phone": "0612345678",
                      "email": "ana@firme.fr"}, form_page=page).status_code == 302
    db.session.expire_all()
    [person] = db.session.get(Service, service.id).people
    assert (person.name, person.phone) == ("Ana Costa", "06 12 34 56 78")
    assert "Ana Costa" in page_text(auth.client.get(page))
    assert _verbs() == ["organigramme.updated", "organigramme.updated"]


def test_request_treated_at_once_then_closed_with_satisfaction(auth, world):
    auth.login("eleve_a")
    response = auth.post(NEW, _form(), form_page=NEW)
    assert response.status_code == 302
    r = db.session.scalar(select(DeskRequest).where(DeskRequest.firm_id == world.firm_a.id))
    assert (r.status, r.handling, r.visitor_name, r.party_id) == ("treated", "immediate", "Léa Martin", None)
    assert [(e.from_status, e.to_status) for e in r.events] == [(None, "open"), ("open", "treated")]
    page = f"/accueil/demandes/{r.id}"
    assert "Clore la demande" in page_text(auth.client.get(page))
    refused = auth.post(f"{page}/cloturer", {"satisfaction": "7"}, form_page=page)
    assert refused.status_code == 422 and "N'est pas un choix valide." in page_text(refused)
    assert auth.post(f"{page}/cloturer", {"satisfaction": "4", "satisfaction_comment": "Rapide",
                                          "reactions_note": "Trouve les horaires trop courts",
                                          "improvement_note": "Afficher les horaires en vitrine"},
                     form_page=page).status_code == 302
    db.session.expire_all()
    r = db.session.get(DeskRequest, r.id)
    assert (r.status, r.satisfaction, r.satisfaction_comment) == ("closed", 4, "Rapide")
    assert [e.to_status for e in r.events] == ["open", "treated", "closed"]
    # A closed request cannot be treated again.
    again = auth.post(f"{page}/traiter", {"note": "x"}, form_page=page, follow_redirects=False)
    assert again.status_code == 422
    assert "Une demande « close » ne peut pas passer à « traitée »." in page_text(again)
    activities = db.session.scalars(select(Activity).order_by(Activity.id)).all()
    assert [a.verb for a in activities] == ["desk_request.recorded", "desk_request.answered",
                                            "desk_request.closed", "desk_request.feedback"]
    assert "A1T3C3" in activities[0].codes
    assert activities[2].codes == ["A1T5C1"]
    assert activities[3].codes == ["A1T6C1", "A1T6C3"]


def test_transmitted_complaint_lifecycle_for_a_known_party(auth, world):
    service, person, other = _organigramme(world)
    party = clients.create_party(world.firm_a, None, {"kind": "client", "category": "private",
                                                      "last_name": "Durand"}, journal=False)
    db.session.commit()
    auth.login("eleve_a")
    form_page = f"{NEW}?tiers={party.id}"
    assert "Durand" in page_text(auth.client.get(form_page))
    data = _form(party_id=str(party.id), visitor_name="", nature="complaint", channel="phone",
                 request_text="Produit livré cassé", handling="transmitted", answer="",
                 service_id=str(service.id), recipient_id=str(person.id), due_on=TOMORROW,
                 message="Merci de rappeler M. Durand")
    # Refusals first: a person of another service, a past due date, no message.
    wrong_person = auth.post(NEW, {**data, "service_id": str(other.id)}, form_page=form_page)
    assert wrong_person.status_code == 422
    assert "Paul Roux ne fait pas partie du service Comptabilité." in page_text(wrong_person)
    past = auth.post(NEW, {**data, "due_on": "2020-01-01"}, form_page=form_page)
    assert "L'échéance ne peut pas être déjà passée." in page_text(past)
    assert "Rédigez le message" in page_text(auth.post(NEW, {**data, "message": ""}, form_page=form_page))
    assert db.session.scalar(select(DeskRequest.id)) is None
    assert auth.post(NEW, data, form_page=form_page).status_code == 302
    r = db.session.scalar(select(DeskRequest))
    assert (r.status, r.service_id, r.recipient_id, r.party_id) == ("transmitted", service.id, person.id, party.id)
    # On the party's timeline too.
    db.session.expire_all()
    [interaction] = db.session.get(Party, party.id).interactions
    assert (interaction.channel, interaction.subject, interaction.desk_request_id) == ("desk", "Réclamation", r.id)
    assert f"Voir la demande n° {r.id} au registre d'accueil" in page_text(auth.client.get(f"/clients/{party.id}"))
    page = f"/accueil/demandes/{r.id}"
    assert auth.post(f"{page}/traiter", {"note": ""}, form_page=page).status_code == 422
    assert auth.post(f"{page}/traiter", {"note": "Produit échangé"}, form_page=page).status_code == 302
    assert auth.post(f"{page}/cloturer", {"satisfaction": ""}, form_page=page).status_code == 302
    db.session.expire_all()
    r = db.session.get(DeskRequest, r.id)
    assert [e.to_status for e in r.events] == ["open", "transmitted", "treated", "closed"]
    assert r.answer == "Produit échangé" and r.satisfaction is None
    transmitted = db.session.scalar(select(Activity).where(Activity.verb == "desk_request.transmitted"))
    assert transmitted.codes == ["A1T3C5", "A1T6C2"]


def test_open_request_transmitted_later(auth, world):
    service, person, _ = _organigramme(world)
    r = DeskRequest(firm_id=world.firm_a.id, visitor_name="X", channel="email", nature="other",
                    request_text="?", status="open")
    db.session.add(r)
    db.session.commit()
    auth.login("eleve_a")
    page = f"/accueil/demandes/{r.id}"
    refused = auth.post(f"{page}/transmettre", {"service_id": "", "due_on": TOMORROW, "message": "m"}, form_page=page)
    assert refused.status_code == 422 and "Choisissez le service" in page_text(refused)
    assert (
        auth.post(
            f"{page}/transmettre",
            {"service_id": str(service.id), "recipient_id": "", "due_on": TOMORROW, "message": "À voir"},
            form_page=page,
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(DeskRequest, r.id).status == "transmitted"


def test_visitor_saved_as_prospect_and_bad_input(auth, world):
    auth.login("eleve_a")
    missing = auth.post(NEW, _form(visitor_name=""), form_page=NEW)
    assert missing.status_code == 422 and "Indiquez qui fait la demande" in page_text(missing)
    no_answer = auth.post(NEW, _form(answer=""), form_page=NEW)
    assert "Indiquez la réponse donnée ou la documentation remise" in page_text(no_answer)
    no_text = auth.post(NEW, _form(request_text=""), form_page=NEW)
    assert "Le champ « Demande reformulée » est obligatoire." in page_text(no_text)
    no_service = auth.post(NEW, _form(handling="transmitted"), form_page=NEW)
    assert "Choisissez le service" in page_text(no_service)
    assert db.session.scalar(select(DeskRequest.id)) is None
    ok = auth.post(NEW, _form(visitor_name="Zoé Fabre", visitor_phone="0612345678", save_as_prospect="y",
                              answer="", documentation="Catalogue 2026"), form_page=NEW)
    assert ok.status_code == 302
    db.session.expire_all()
    party = db.session.scalar(select(Party).where(Party.firm_id == world.firm_a.id))
    assert (party.kind, party.last_name, party.phone) == ("prospect", "Zoé Fabre", "06 12 34 56 78")
    r = db.session.scalar(select(DeskRequest))
    assert r.party_id == party.id and r.documentation == "Catalogue 2026"


def test_foreign_party_or_service_in_the_form_answers_404(auth, world):
    other_service = services.create_service(world.firm_b, world.trainee_b, "SAV B")
    party_b = clients.create_party(world.firm_b, None, {"kind": "client", "category": "private",
                                                        "last_name": "B"}, journal=False)
    db.session.commit()
    auth.login("eleve_a")
    assert auth.client.get(f"{NEW}?tiers={party_b.id}").status_code == 404
    assert auth.post(NEW, _form(party_id=str(party_b.id)), form_page=NEW).status_code == 404
    response = auth.post(NEW, _form(handling="transmitted", service_id=str(other_service.id),
                                     due_on=TOMORROW, message="m"), form_page=NEW)
    assert response.status_code == 422  # not among this firm's choices
    assert db.session.scalar(select(DeskRequest.id)) is None


def _request(world, created, nature="info_prices", channel="face", status="closed", satisfaction=None,
             due_on=None, reactions="", improvement=""):
    r = DeskRequest(firm_id=world.firm_a.id, visitor_name="V", channel=channel, nature=nature,
                    request_text="?", status=status, satisfaction=satisfaction, due_on=due_on,
                    created_at=created, reactions_note=reactions, improvement_note=improvement,
                    created_by_id=world.trainee_a.id)
    db.session.add(r)
    return r


def test_manager_report_with_hand_checked_figures(auth, world):
    nov = lambda d: datetime(2026, 11, d, 10, 0)  # noqa: E731
    _request(world, nov(2), satisfaction=5)
    _request(world, nov(3), satisfaction=4, channel="phone")
    _request(world, nov(5), nature="complaint", status="transmitted", due_on=date(2026, 11, 10))
    _request(world, nov(6), nature="complaint", status="open")
    _request(world, nov(7), nature="complaint", status="closed", satisfaction=2, channel="email",
             reactions="Livraison lente", improvement="Prévenir des délais")
    _request(world, nov(30), satisfaction=1)  # after the period
    _request(world, datetime(2026, 10, 31, 23, 0), nature="order", status="transmitted",
             due_on=date(2026, 11, 1))  # before the period, but overdue
    r_b = DeskRequest(firm_id=world.firm_b.id, visitor_name="B", channel="face", nature="complaint",
                      request_text="?", status="open", created_at=nov(5))
    db.session.add(r_b)
    db.session.commit()
    report = services.report(world.firm_a.id, date(2026, 11, 1), date(2026, 11, 15), today=date(2026, 11, 20))
    assert report.total == 5
    assert report.by_nature == [("Information : tarifs", 2), ("Réclamation", 3)]
    assert report.by_channel == [("Face à face", 3), ("Téléphone", 1), ("Courriel", 1)]
    assert report.by_status == [("Ouverte", 1), ("Transmise", 1), ("Close", 3)]
    assert report.satisfaction_count == 3 and report.average_satisfaction == 3.7  # (5 + 4 + 2) / 3
    assert [r.due_on for r in report.overdue] == [date(2026, 11, 1), date(2026, 11, 10)]
    assert len(report.open_complaints) == 2
    assert [r.improvement_note for r in report.notes] == ["Prévenir des délais"]
    auth.login("eleve_a")
    page = page_text(auth.client.get("/accueil/remontee?start=2026-11-01&end=2026-11-15"))
    assert "période du 01/11/2026 au 15/11/2026" in page
    assert "3,7 / 5" in page and "Prévenir des délais" in page and "Livraison lente" in page
    # Without a period typed, the fields show the period the page reports (this month so far).
    default = page_text(auth.client.get("/accueil/remontee"))
    today = business_today(world.firm_a)
    assert f'value="{today.replace(day=1).isoformat()}"' in default and f'value="{today.isoformat()}"' in default
    bad = auth.client.get("/accueil/remontee?start=2026-11-15&end=2026-11-01")
    assert bad.status_code == 422 and "La date de fin précède la date de début." in page_text(bad)


def test_register_lists_and_filters(auth, world):
    _request(world, datetime(2026, 11, 2), nature="complaint", status="open")
    _request(world, datetime(2026, 11, 3), nature="order", status="closed")
    db.session.commit()
    auth.login("eleve_a")
    text = page_text(auth.client.get("/accueil/?status=open"))
    assert "<td>Réclamation" in text and "<td>Commande" not in text
    empty = page_text(auth.client.get("/accueil/?nature=after_sales"))
    assert "Aucune demande ne correspond à ce filtre." in empty


def test_deleting_a_service_keeps_its_transmitted_requests(auth, world):
    service, person, _ = _organigramme(world)
    r = services.record_request(world.firm_a, world.trainee_a, services.RequestData(
        channel="face", nature="after_sales", request_text="Panne", visitor_name="V", handling="transmitted",
        service=service, recipient=person, due_on=firm_today(), message="Rappeler"))
    db.session.commit()
    auth.login("eleve_a")
    page = "/accueil/organigramme"
    assert "Supprimer le service « SAV » et ses personnes ?" in page_text(auth.client.get(page))
    assert auth.post(f"/accueil/organigramme/services/{service.id}/supprimer", {}, form_page=page).status_code == 302
    db.session.expire_all()
    r = db.session.get(DeskRequest, r.id)
    assert (r.status, r.service_id, r.recipient_id) == ("transmitted", None, None)
    assert db.session.scalar(select(StaffMember.id)) is None
    assert auth.client.get(f"/accueil/demandes/{r.id}").status_code == 200


def test_anonymising_a_party_erases_what_its_desk_requests_and_history_say(auth, world):
    """The name and phone stayed in the request text, the answer and the interaction outcome."""
    from crm.clients.models import Interaction

    party = clients.create_party(world.firm_a, None, {"kind": "client", "category": "private",
                                                      "first_name": "Léa", "last_name": "Martin"}, journal=False)
    db.session.commit()
    auth.login("eleve_a")
    data = _form(party_id=str(party.id), visitor_name="",
                 request_text="Léa Martin (06 12 34 56 78) demande un devis",
                 answer="Rappeler Léa Martin au 06 12 34 56 78")
    assert auth.post(NEW, data, form_page=NEW).status_code == 302
    page = f"/clients/{party.id}"
    assert auth.post(f"{page}/anonymiser", {}, form_page=page).status_code == 302
    db.session.expire_all()
    desk_request = db.session.scalar(select(DeskRequest).where(DeskRequest.party_id == party.id))
    interaction = db.session.scalar(select(Interaction).where(Interaction.party_id == party.id))
    texts = [desk_request.request_text, desk_request.answer, desk_request.visitor_name,
             interaction.summary, interaction.outcome]
    assert not any("Martin" in text or "06 12" in text for text in texts), texts
    assert desk_request.request_text == services.ERASED and desk_request.nature == "info_hours"


def test_clients_hears_nothing_of_accueil_directly():
    """The import circle is gone: accueil listens to a signal of clients."""
    import inspect

    from crm.clients import services as party_services

    assert "crm.accueil" not in inspect.getsource(party_services)


def test_searching_a_known_visitor_keeps_every_typed_value(auth, world):
    party = clients.create_party(world.firm_a, None, {"kind": "client", "category": "private",
                                                      "last_name": "Durand", "city": "Lyon"}, journal=False)
    db.session.commit()
    auth.login("eleve_a")
    typed = _form(visitor_name="", channel="phone", nature="complaint", request_text="Colis arrivé ouvert",
                  answer="Échange proposé", documentation="Bon de retour")
    # The search step (the no-script "Rechercher" of the picker) saves nothing and loses nothing.
    step = auth.post(NEW, {**typed, "party_id-q": "durand", "picker-search": "party_id"}, form_page=NEW)
    html = page_text(step)
    assert step.status_code == 200
    assert f'type="radio" name="party_id" value="{party.id}"' in html and "Lyon" in html
    assert '<option selected value="phone">' in html and '<option selected value="complaint">' in html
    assert "Colis arrivé ouvert" in html and "Échange proposé" in html and 'value="Bon de retour"' in html
    assert db.session.scalar(select(DeskRequest.id)) is None
    # Text typed but nothing chosen: the matches again, with a message, and still nothing saved.
    unsettled = auth.post(NEW, {**typed, "party_id-q": "durand"}, form_page=NEW)
    assert unsettled.status_code == 422 and "Choisissez dans la liste" in page_text(unsettled)
    assert "Colis arrivé ouvert" in page_text(unsettled)
    chosen = auth.post(NEW, {**typed, "party_id-q": "durand", "party_id": str(party.id), "party_id-picked": "1"},
                       form_page=NEW)
    assert chosen.status_code == 302
    r = db.session.scalar(select(DeskRequest))
    assert (r.party_id, r.channel, r.nature, r.request_text) == (party.id, "phone", "complaint", "Colis arrivé ouvert")


def test_the_visitor_search_comes_first_in_the_form(auth, world):
    """On a phone the columns stack: the search must come before the fields and the submit button."""
    auth.login("eleve_a")
    html = page_text(auth.client.get(NEW))
    assert html.index('id="party_id-q"') < html.index('id="visitor_name"') < html.index("Enregistrer la demande")
    assert html.count("<form") == html.count("<form method=\"post\"")  # one form: no separate search form
