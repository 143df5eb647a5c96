"""Emails: the outbox, internal delivery to another practice firm of the server (and nothing else
crossing over), real SMTP against a local test server, bad addresses refused."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import func, select

from crm.clients.models import Interaction
from crm.extensions import db
from crm.formation.models import Activity
from crm.prospection import mailer, messaging
from crm.prospection.models import Message
from tests.conftest import Auth, page_text
from tests.prospection.conftest import commit, visible

COMPOSE = "/prospection/messagerie/nouveau"


def _send(auth, to, subject="Proposition de rendez-vous", body="Bonjour, nous vous proposons un rendez-vous.",
          **extra):
    return auth.post(COMPOSE, {"to_address": to, "subject": subject, "body": body, "action": "send", **extra},
                     form_page=COMPOSE)


def test_an_email_to_another_firm_lands_in_its_inbox_and_is_answered(app, auth, firm_a, world, make_party):
    prospect_in_a = make_party(firm_a, category="business", company_name="Firme B", email="bonjour@firme-b.fr")
    seller_in_b = make_party(world.firm_b, kind="supplier", category="business", company_name="Firme A",
                             email="contact@firme-a.fr")
    commit()
    auth.login("eleve_a")
    sent = _send(auth, "Bonjour@Firme-B.fr", party_id=str(prospect_in_a.id))
    assert sent.status_code == 302
    outbox = db.session.scalar(select(Message).where(Message.firm_id == firm_a.id))
    assert (outbox.folder, outbox.status, outbox.delivery, outbox.to_address) == (
        "outbox", "delivered", "internal", "Bonjour@firme-b.fr")  # matched without regard to case
    inbox = db.session.scalar(select(Message).where(Message.firm_id == world.firm_b.id))
    assert (inbox.folder, inbox.status, inbox.from_address, inbox.subject) == (
        "inbox", "received", "contact@firme-a.fr", "Proposition de rendez-vous")
    assert inbox.party_id == seller_in_b.id  # matched in firm B's own file by the sender's address
    # Recorded in the sender's party history, and in the receiver's.
    a_history = db.session.scalars(select(Interaction.subject).where(Interaction.party_id == prospect_in_a.id)).all()
    assert a_history == ["Courriel envoyé : Proposition de rendez-vous"]
    b_history = db.session.scalars(select(Interaction.subject).where(Interaction.party_id == seller_in_b.id)).all()
    assert b_history == ["Courriel reçu : Proposition de rendez-vous"]
    verbs = db.session.scalars(select(Activity.verb).where(Activity.firm_id == firm_a.id)).all()
    assert "message.sent_to_party" in verbs and "message.proofread" in verbs

    # Firm B's trainee reads it and answers; the answer lands in firm A's inbox.
    trainee_b = Auth(app.test_client())
    trainee_b.login("eleve_b")
    box = visible(trainee_b.client.get("/prospection/messagerie"))
    assert "Non lu : Proposition de rendez-vous" in box
    reading = page_text(trainee_b.client.get(f"/prospection/messagerie/{inbox.id}"))
    assert "Bonjour, nous vous proposons un rendez-vous." in reading
    draft = page_text(trainee_b.client.get(f"{COMPOSE}?repondre={inbox.id}"))
    assert 'value="contact@firme-a.fr"' in draft and "Re : Proposition de rendez-vous" in draft
    answer = trainee_b.post(COMPOSE, {"to_address": "contact@firme-a.fr", "subject": "Re : Proposition de rendez-vous",
                                      "body": "Volontiers, mardi à 10 heures.", "reply_to_id": str(inbox.id),
                                      "party_id": str(seller_in_b.id), "action": "send"}, form_page=COMPOSE)
    assert answer.status_code == 302
    reply = db.session.scalar(select(Message).where(Message.firm_id == firm_a.id, Message.folder == "inbox"))
    assert reply.body == "Volontiers, mardi à 10 heures." and reply.party_id == prospect_in_a.id
    db.session.expire_all()
    assert db.session.get(Message, inbox.id).read_at is not None


def test_nothing_else_crosses_between_firms(app, auth, firm_a, world):
    commit()
    auth.login("eleve_a")
    _send(auth, "bonjour@firme-b.fr")
    mine = db.session.scalar(select(Message).where(Message.firm_id == firm_a.id))
    theirs = db.session.scalar(select(Message).where(Message.firm_id == world.firm_b.id))
    trainee_b = Auth(app.test_client())
    trainee_b.login("eleve_b")
    assert trainee_b.client.get(f"/prospection/messagerie/{mine.id}").status_code == 404  # A's outbox copy
    assert "Proposition" not in page_text(trainee_b.client.get("/prospection/messagerie/envoyes"))
    assert auth.client.get(f"/prospection/messagerie/{theirs.id}").status_code == 404  # B's inbox copy
    assert auth.client.get(f"{COMPOSE}?repondre={theirs.id}").status_code == 404
    # Replying to one's own outbox message is not a thing either.
    assert auth.client.get(f"{COMPOSE}?repondre={mine.id}").status_code == 404


def test_an_invalid_address_is_refused_and_nothing_is_kept(auth, firm_a, world):
    commit()
    auth.login("eleve_a")
    response = _send(auth, "pas une adresse", body="Mon message")
    assert response.status_code == 422
    page = page_text(response)
    assert "Adresse électronique invalide" in page and "Mon message" in page
    assert db.session.scalar(select(func.count(Message.id))) == 0
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.verb.like("message.%"))) == 0


def test_without_smtp_an_outside_address_waits_in_the_outbox(auth, firm_a, world):
    commit()
    auth.login("eleve_a")
    response = _send(auth, "client@exemple.fr")
    message = db.session.scalar(select(Message))
    assert (message.status, message.folder) == ("queued", "outbox")
    followed = page_text(auth.client.get(response.headers["Location"]))
    assert "En attente d'envoi" in followed and "Aucun serveur de messagerie n'est configuré" in followed


def test_the_spell_check_stops_the_first_send_and_the_second_click_sends(auth, firm_a, world):
    commit()
    auth.login("eleve_a")
    first = _send(auth, "bonjour@firme-b.fr", body="Nous vous proposon un rendez-vous.")
    assert first.status_code == 200
    page = page_text(first)
    assert "1 mot inconnu du dictionnaire est surligné" in page and ">proposon</mark>" in page
    assert "Envoyer quand même" in page
    assert db.session.scalar(select(func.count(Message.id))) == 0
    import re

    checked = re.search(r'name="checked" type="hidden" value="([0-9a-f]+)"', page).group(1)
    second = _send(auth, "bonjour@firme-b.fr", body="Nous vous proposon un rendez-vous.", checked=checked)
    assert second.status_code == 302
    assert db.session.scalar(select(func.count(Message.id))) == 2  # A's outbox, B's inbox
    verbs = db.session.scalars(select(Activity.verb)).all()
    assert "message.proofread" not in verbs  # sent with a spelling mistake: no credit for A2T2CP2


def _free_port() -> int:
    for port in range(5153, 5160):  # this worktree's ports
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free local port for the test SMTP server")


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received = []

    class Keep(MessageHandler):
        def handle_message(self, message):
            received.append(message)

    controller = Controller(Keep(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, received
    controller.stop()


def test_smtp_sends_for_real_when_configured(app, auth, firm_a, world, make_party, smtp_server):
    controller, received = smtp_server
    party = make_party(firm_a, civility="Mme", first_name="Claire", last_name="Dubois", email="claire@exemple.fr")
    commit()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SECURITY="none",
                      SMTP_FROM="ecole@lycee.fr")
    try:
        auth.login("eleve_a")
        response = _send(auth, "claire@exemple.fr", subject="Votre rendez-vous de mardi",
                         body="Bonjour Madame, nous confirmons notre rendez-vous.", party_id=str(party.id))
    finally:
        app.config.update(SMTP_HOST="", SMTP_PORT=0, SMTP_FROM="")
    assert response.status_code == 302
    [mail] = received
    assert mail["To"] == "claire@exemple.fr"
    assert mail["From"] == "Firme A <ecole@lycee.fr>"
    assert mail["Reply-To"] == "Firme A <contact@firme-a.fr>"
    assert mail["Subject"] == "Votre rendez-vous de mardi"
    assert "nous confirmons notre rendez-vous" in mail.get_payload(decode=True).decode()
    message = db.session.scalar(select(Message))
    assert (message.status, message.delivery, message.error) == ("sent", "smtp", "")


def test_an_unreachable_smtp_server_keeps_the_message_as_failed(app, firm_a, world):
    settings = mailer.SmtpSettings(host="127.0.0.1", port=_free_port(), security="none")
    message = messaging.send_email(firm_a, world.trainee_a,
                                   messaging.Outgoing("client@exemple.fr", "Essai", "Bonjour"), settings)
    assert message.status == "failed"
    assert message.error.startswith("Le serveur de messagerie n'a pas pris le message")


def test_mail_to_another_firm_never_goes_out_by_smtp(app, firm_a, world):
    settings = mailer.SmtpSettings(host="127.0.0.1", port=1, security="none")  # would fail if used
    message = messaging.send_email(firm_a, world.trainee_a,
                                   messaging.Outgoing("bonjour@firme-b.fr", "Essai", "Bonjour"), settings)
    assert (message.status, message.delivery) == ("delivered", "internal")


def test_an_address_of_another_firms_organigramme_is_internal_too(firm_a, world):
    from crm.accueil import services as desk

    service = desk.create_service(world.firm_b, world.trainee_b, "Achats")
    desk.add_staff_member(service, world.trainee_b, {"name": "M. Achat", "email": "achats@firme-b.fr"})
    assert messaging.firm_of_address("ACHATS@firme-b.fr").id == world.firm_b.id
    assert messaging.firm_of_address("inconnu@firme-b.fr") is None


def test_end_read_transaction_refuses_after_a_write(firm_a, world):
    from crm.core.database import end_read_transaction

    firm_a.city = "Villeurbanne"
    db.session.flush()
    with pytest.raises(RuntimeError):
        end_read_transaction(db.session)
