"""Satisfaction surveys: offered from the ticket, the invoice or the desk request; answered once
through a signed link without logging in; scoped to one firm and one sale or visit."""
from __future__ import annotations

import time
from datetime import date

import itsdangerous
from sqlalchemy import func, select

from crm.extensions import db
from crm.formation.models import Activity
from crm.indicateurs.models import SatisfactionSurvey
from crm.indicateurs.surveys import SALT, token_for
from tests.conftest import Auth, csrf_token
from tests.indicateurs.test_pages import page_text


def _offer(auth, subject, subject_id, page):
    return auth.post("/indicateurs/satisfaction/questionnaires", {"subject": subject, "subject_id": str(subject_id)},
                     form_page=page)


def _survey_count():
    return db.session.scalar(select(func.count()).select_from(SatisfactionSurvey))


def _answer(client, link, data):
    token = csrf_token(client, link)
    return client.post(link, data={**data, "csrf_token": token})


def test_desk_visit_survey_answered_on_the_desk_screen_without_login(shop, auth, app):
    request = shop.desk_requests["prices"]  # closed with 5/5 already: no survey offered there
    auth.login("eleve_a")
    assert "Questionnaire de satisfaction" not in page_text(auth.client.get(f"/accueil/demandes/{request.id}"))
    from crm.accueil import services as desk

    visit = desk.record_request(shop.firm, shop.seller, desk.RequestData(
        channel="face", nature="info_product", request_text="Garantie ?", visitor_name="M. Durand", answer="2 ans"))
    db.session.commit()
    page = f"/accueil/demandes/{visit.id}"
    assert "Faire remplir sur cet écran" in page_text(auth.client.get(page))
    offered = _offer(auth, "desk_request", visit.id, page)
    assert offered.status_code == 302 and "/avis/" in offered.headers["Location"]
    link = offered.headers["Location"].replace("http://localhost", "")
    activity = db.session.scalar(select(Activity).where(Activity.verb == "satisfaction_survey.offered",
                                                        Activity.summary.contains("M. Durand")))
    assert activity.codes == ["A1T5C2", "A1T5CP1"]

    client = app.test_client()  # the visitor: nobody logged in
    late = app.test_client()  # the same link opened elsewhere, sent after the first answer
    late_token = csrf_token(late, link)
    form = client.get(link)
    assert form.status_code == 200
    assert "Firme A" in page_text(form) and "votre visite à notre accueil" in page_text(form)
    refused = _answer(client, link, {"comment": "Très bien"})
    assert refused.status_code == 422 and "Choisissez une note de 1 à 5." in page_text(refused)
    assert "Très bien" in page_text(refused)  # what was typed is kept
    done = _answer(client, link, {"overall": "4", "welcome": "5", "would_recommend": "oui", "comment": "Très bien"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/merci")
    assert "Merci" in page_text(client.get(done.headers["Location"]))
    db.session.expire_all()
    survey = db.session.scalar(select(SatisfactionSurvey).where(SatisfactionSurvey.desk_request_id == visit.id))
    assert (survey.overall, survey.welcome, survey.advice, survey.would_recommend) == (4, 5, None, True)
    assert survey.answered_on == date(2026, 11, 20)  # the firm's business date
    # The visit's one score is on the desk request: the register and its closing form show it.
    visit = db.session.get(type(visit), visit.id)
    assert (visit.satisfaction, visit.satisfaction_comment) == (4, "Très bien")
    html = auth.client.get(page).get_data(as_text=True)
    assert '<option selected value="4">' in html or 'value="4" selected' in html
    assert "Le client a répondu le 20/11/2026 : 4 / 5" in page_text(auth.client.get(page))

    # Single use: the same link cannot answer again, whoever follows it.
    again = late.post(link, data={"overall": "1", "csrf_token": late_token})
    assert "déjà été rempli" in page_text(again)
    db.session.expire_all()
    assert db.session.get(SatisfactionSurvey, survey.id).overall == 4


def test_ticket_and_invoice_pages_offer_the_questionnaire(shop, auth):
    auth.login("eleve_a")
    ticket = shop.tickets["TK1"]
    receipt = f"/ventes/caisse/tickets/{ticket.id}"
    assert "Questionnaire de satisfaction" in page_text(auth.client.get(receipt))
    first = _offer(auth, "counter_sale", ticket.id, receipt)
    second = _offer(auth, "counter_sale", ticket.id, receipt)
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert db.session.scalar(select(func.count()).select_from(SatisfactionSurvey)
                             .where(SatisfactionSurvey.counter_sale_id == ticket.id)) == 1
    codes = [a.codes for a in db.session.scalars(select(Activity).where(
        Activity.verb == "satisfaction_survey.offered", Activity.object_id != shop.surveys["TK2"].id))]
    assert ["A3T3C3", "A3T3CP1"] in codes
    # TK2's client has answered: its page shows the score, no button.
    text = page_text(auth.client.get(f"/ventes/caisse/tickets/{shop.tickets['TK2'].id}"))
    assert "Avis du client : 4 / 5" in text
    invoice_page = f"/ventes/documents/{shop.invoices['FA2'].id}"
    assert "Faire remplir sur cet écran" in page_text(auth.client.get(invoice_page))
    assert _offer(auth, "invoice", shop.invoices["FA2"].id, invoice_page).status_code == 302


def test_pending_survey_link_is_listed_with_its_link(shop, auth, app):
    import re

    auth.login("eleve_a")
    response = auth.client.get("/indicateurs/satisfaction")
    text = page_text(response)
    assert "En attente" in text
    links = re.findall(r'readonly value="http://localhost(/avis/[^"]+)"', response.get_data(as_text=True))
    assert len(links) == 1  # TK3's survey, the only one not answered
    assert "ticket TK2026-0003" in page_text(app.test_client().get(links[0]))
    assert "4 / 5 le 13/11/2026" in text and "« Bon accueil »" in text
    assert "Taux de satisfaction 50 %" in text


def test_forged_expired_or_foreign_links_open_nothing(shop, app, monkeypatch):
    client = app.test_client()
    good = token_for(shop.surveys["TK3"])
    forged = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    response = client.get(f"/avis/{forged}")
    assert response.status_code == 404 and "n'est pas valide" in page_text(response)
    # A correctly signed link naming another firm for this survey: no such survey.
    survey = shop.surveys["TK3"]
    with app.app_context():
        serializer = itsdangerous.URLSafeTimedSerializer(app.secret_key, salt=SALT)
        crossed = serializer.dumps({"s": survey.id, "f": shop.world.firm_b.id, "n": survey.nonce})
    assert client.get(f"/avis/{crossed}").status_code == 404
    assert client.get("/avis/" + "x" * 400).status_code == 404
    later = int(time.time()) + 31 * 24 * 3600
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: later)
    expired = client.get(f"/avis/{good}")
    assert expired.status_code == 404 and "Ce lien a expiré" in page_text(expired)


def test_offering_refuses_what_is_not_the_firms(shop, auth):
    from crm.ventes.documents import services as documents
    from crm.ventes.documents.services import LineData
    from decimal import Decimal as D

    auth.login("eleve_a")
    before = _survey_count()
    page = "/indicateurs/satisfaction"
    b_ticket_id = db.session.scalar(select(func.max(SatisfactionSurvey.id)))  # any id; firm B has no ticket
    draft = documents.create_document(shop.firm, shop.seller, "invoice", shop.parties["lycee"], date(2026, 11, 20))
    documents.save_draft(draft, {}, [LineData("x", D("1"), D("1"), D("20"))])
    db.session.commit()
    from crm.ventes.documents.models import Invoice

    b_invoice = db.session.scalar(select(Invoice.id).where(Invoice.firm_id == shop.world.firm_b.id))
    for subject, subject_id in (("invoice", b_invoice), ("invoice", draft.id), ("counter_sale", 999999),
                                ("desk_request", 10**15), ("party", shop.parties["lycee"].id), ("invoice", "abc"),
                                ("counter_sale", b_ticket_id + 1000)):
        assert _offer(auth, subject, subject_id, page).status_code == 404, (subject, subject_id)
    rated = shop.desk_requests["complaint"]  # closed with a score already
    refused = _offer(auth, "desk_request", rated.id, page)
    assert refused.status_code == 302
    assert "La satisfaction du visiteur est déjà relevée" in page_text(auth.client.get(refused.headers["Location"]))
    assert _survey_count() == before


def test_another_firms_trainee_link_still_answers_only_its_survey(shop, app):
    """The link works for anyone (the client has no account); logged in elsewhere changes nothing."""
    browser = Auth(app.test_client())
    browser.login("eleve_b")
    link = f"/avis/{token_for(shop.surveys['TK3'])}"
    response = browser.client.get(link)
    assert response.status_code == 200 and "Firme A" in page_text(response)
    assert "ticket TK2026-0003" in page_text(response)
