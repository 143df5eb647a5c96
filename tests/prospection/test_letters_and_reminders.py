"""Letters as French business letters in PDF, a mailing printed in parts into one PDF, and the
unpaid invoices' reminders with the figures the invoice states (A2T2, relances impayées)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.clients.models import Interaction
from crm.core.pdf import pdf_available
from crm.extensions import db
from crm.prospection import reminders, services
from crm.prospection.models import LETTER, CallPlanEntry, Mailing, PaymentReminder
from tests.conftest import page_text
from tests.prospection.conftest import TODAY, commit, visible

needs_pdf = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load (Pango missing)")


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def pages_of(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def letter_plan(firm_a, world, make_plan, make_template):
    template = make_template(firm_a, world.trainee_a)
    return make_plan(firm_a, world.trainee_a, channel=LETTER, template=template)


@needs_pdf
def test_one_letter_is_a_french_business_letter(auth, firm_a, world, make_party, letter_plan, tmp_path):
    party = make_party(firm_a, civility="Mme", first_name="Claire", last_name="Dubois",
                       address_line1="8 avenue Foch", postcode="69006", city="Lyon")
    entry = services.add_target(letter_plan, world.trainee_a, party)
    commit()
    auth.login("eleve_a")
    response = auth.client.get(f"/prospection/cibles/{entry.id}/courrier.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    for expected in ("Firme A", "Mme Claire Dubois", "8 avenue Foch", "69006 LYON", "Lyon, le 16 mars 2026",
                     "Objet : Notre offre de printemps", "Madame,",
                     "Nous vous proposons une remise de 10 % jusqu'au 30 avril.", "À bientôt à Lyon.",
                     "Nous vous prions d'agréer, Madame, nos salutations distinguées.",
                     world.trainee_a.display_name):
        assert expected in text, expected
    assert pages_of(response.data) == 1
    # Marked as sent: in the party's history, the plan's results and the journal (A2T2C2).
    auth.post(f"/prospection/cibles/{entry.id}/envoye", {}, form_page=f"/prospection/appels/{entry.id}")
    assert db.session.scalars(select(Interaction.subject).where(Interaction.party_id == party.id)).all() == [
        "Courrier envoyé : Notre offre de printemps"]
    assert services.plan_results(letter_plan).outcomes == {"sent": 1}


@needs_pdf
def test_a_mailing_prints_in_parts_into_one_pdf_and_records_each_letter(
        auth, firm_a, world, make_party, letter_plan, tmp_path):
    for n in range(45):
        services.add_target(letter_plan, world.trainee_a, make_party(firm_a, last_name=f"Client{n:02d}",
                                                                    postcode="69003", city="Lyon"))
    commit()
    auth.login("eleve_a")
    preview = page_text(auth.client.get(f"/prospection/plans/{letter_plan.id}/publipostage"))
    assert "Lancer le publipostage (45 lettres)" in preview and "Orthographe vérifiée" in preview
    started = auth.post(f"/prospection/plans/{letter_plan.id}/publipostage", {},
                        form_page=f"/prospection/plans/{letter_plan.id}/publipostage")
    mailing_url = started.headers["Location"]
    mailing_id = int(mailing_url.rsplit("/", 1)[1])
    token_page = auth.client.get(mailing_url).get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', token_page).group(1)
    steps = []
    for _ in range(5):
        step = auth.client.post(f"/prospection/publipostages/{mailing_id}/suite",
                                headers={"Accept": "application/json", "X-CSRFToken": token})
        steps.append(step.get_json())
        if step.get_json()["ready"]:
            break
    assert [(s["done"], s["total"], s["ready"]) for s in steps] == [(20, 45, False), (40, 45, False), (45, 45, True)]
    pdf = auth.client.get(f"/prospection/publipostages/{mailing_id}.pdf")
    assert pdf.status_code == 200
    assert pages_of(pdf.data) == 45
    assert "CLIENT00" not in pdf_text(pdf.data, tmp_path)  # names as written, city in capitals
    assert "Léa Client00" in pdf_text(pdf.data, tmp_path) and "Léa Client44" in pdf_text(pdf.data, tmp_path)
    mailing = db.session.get(Mailing, mailing_id)
    assert mailing.status == "ready" and mailing.parts == []
    assert db.session.scalar(select(func.count(Interaction.id)).where(Interaction.channel == "letter")) == 45
    assert set(db.session.scalars(select(CallPlanEntry.status).where(CallPlanEntry.plan_id == letter_plan.id))) == {
        "done"
    }
    assert services.plan_results(letter_plan).contacted == 45


def test_a_mailing_without_targets_is_refused(auth, firm_a, world, letter_plan):
    commit()
    auth.login("eleve_a")
    response = auth.post(f"/prospection/plans/{letter_plan.id}/publipostage", {},
                         form_page=f"/prospection/plans/{letter_plan.id}", follow_redirects=True)
    assert "Ce plan n'a aucune cible" in page_text(response)
    assert db.session.scalar(select(func.count(Mailing.id))) == 0


# --- unpaid invoices ---------------------------------------------------------------------

@pytest.fixture
def reminder_templates(firm_a, world, make_template):
    body = ("La facture {{ numero_document }} du {{ date_document }}, échue le {{ date_echeance }}, reste due : "
            "{{ reste_du }}, pénalités {{ penalites_de_retard }}, indemnité {{ indemnite_forfaitaire }}, "
            "total {{ total_a_regler }}.")
    for level, name in (("friendly", "Relance amiable"), ("second", "Deuxième relance"),
                        ("formal_notice", "Mise en demeure")):
        make_template(firm_a, world.trainee_a, name=name, purpose=level, subject=f"{name} {{{{ numero_document }}}}",
                      body=body)
    make_template(firm_a, world.trainee_a, name="Relance courriel", kind="email", purpose="friendly",
                  subject="Facture {{ numero_document }}", salutation="Bonjour,", body=body, closing="Cordialement,")


@pytest.fixture
def late_invoice(firm_a, world, make_party, make_invoice):
    client = make_party(firm_a, kind="client", category="business", company_name="Lycée Jean Moulin",
                        email="intendance@lycee-moulin.fr", address_line1="1 rue du Lycée", postcode="69003",
                        city="Lyon")
    return make_invoice(firm_a, world.trainee_a, client, date(2026, 1, 5))  # 1 200 € TTC, due 04/02/2026


def test_overdue_figures_as_the_invoice_states_them(firm_a, world, make_party, make_invoice, late_invoice):
    private = make_party(firm_a, kind="client", last_name="Dubois")
    make_invoice(firm_a, world.trainee_a, private, date(2026, 1, 10), net="500.00")  # 600 € TTC, due 09/02
    rows = {row.invoice.party.name: row for row in reminders.overdue_list(firm_a, TODAY)}
    business = rows["Lycée Jean Moulin"].figures
    # 40 days late; 1 200,00 × 10 % × 40 / 365 = 13,150… → 13,15 €; a business owes the 40 € indemnity.
    assert (business.balance_due, business.days_late, business.penalties, business.indemnity,
            business.total_to_pay) == (Decimal("1200.00"), 40, Decimal("13.15"), Decimal("40"), Decimal("1253.15"))
    person = rows["Léa Dubois"].figures
    # 35 days late; 600,00 × 10 % × 35 / 365 = 5,753… → 5,75 €; no indemnity for a private client.
    assert (person.days_late, person.penalties, person.indemnity, person.total_to_pay) == (
        35, Decimal("5.75"), Decimal("0"), Decimal("605.75"))
    assert rows["Lycée Jean Moulin"].next_level == "friendly"


def test_the_reminders_page(auth, firm_a, world, late_invoice):
    commit()
    auth.login("eleve_a")
    page = visible(auth.client.get("/prospection/relances")).replace("\u202f", " ")
    for expected in (late_invoice.number, "Lycée Jean Moulin", "04/02/2026", "40 jours", "1 200,00 €", "13,15 €",
                     "40,00 €", "1 253,15 €", "Relance amiable :"):
        assert expected in page, expected


def test_the_reminders_page_is_paginated(auth, firm_a, world, make_party, make_invoice):
    """26 overdue invoices: 25 on the first page, the 26th (the latest due) on the second."""
    from crm.core.pagination import PER_PAGE

    client = make_party(firm_a, kind="client", company_name="Mairie de Bron")
    invoices = [make_invoice(firm_a, world.trainee_a, client, date(2026, 1, 1 + n), net="10.00")
                for n in range(PER_PAGE + 1)]
    commit()
    auth.login("eleve_a")
    first = visible(auth.client.get("/prospection/relances"))
    second = visible(auth.client.get("/prospection/relances?page=2"))
    assert invoices[0].number in first and invoices[-1].number not in first
    assert invoices[-1].number in second and invoices[0].number not in second
    assert "26 résultats" in first


@needs_pdf
def test_reminder_levels_in_order_each_with_its_template(auth, firm_a, world, late_invoice, reminder_templates,
                                                         tmp_path):
    commit()
    auth.login("eleve_a")
    url = f"/prospection/relances/{late_invoice.id}/courrier"
    skipped = auth.client.get(f"{url}?niveau=formal_notice", follow_redirects=True)
    assert "La prochaine relance de la facture" in page_text(skipped) and "relance amiable" in page_text(skipped)
    preview = page_text(auth.client.get(f"{url}?niveau=friendly"))
    assert "Relance amiable — facture" in preview and "1 253,15" in preview.replace("\u202f", " ")
    recorded = auth.post(f"{url}?niveau=friendly", {}, form_page=f"{url}?niveau=friendly")
    assert "/relances/lettre/" in recorded.headers["Location"]
    letter = auth.client.get(recorded.headers["Location"])
    text = pdf_text(letter.data, tmp_path)
    assert f"Objet : Relance amiable {late_invoice.number}" in text
    assert "reste due : 1 200,00 €, pénalités 13,15 €, indemnité 40,00 €, total 1 253,15 €" in text
    assert "À l'attention de" not in text and "Lycée Jean Moulin" in text
    reminder = db.session.scalar(select(PaymentReminder))
    assert (reminder.level, reminder.channel, reminder.sent_on, reminder.penalties) == (
        "friendly", "letter", TODAY, Decimal("13.15"))
    # The level reached shows on the invoice and on the party.
    invoice_page = visible(auth.client.get(f"/ventes/documents/{late_invoice.id}"))
    assert "Relance amiable le 16/03/2026" in invoice_page
    assert "Relance amiable" in visible(auth.client.get(f"/clients/{late_invoice.party_id}"))
    # The same level again is refused; the next one is the second reminder.
    again = auth.post(f"{url}?niveau=friendly", {}, form_page=f"{url}?niveau=second", follow_redirects=True)
    assert "La prochaine relance de la facture" in page_text(again) and "deuxième relance" in page_text(again)
    assert db.session.scalar(select(func.count(PaymentReminder.id))) == 1
    assert "Deuxième relance :" in visible(auth.client.get("/prospection/relances"))


def test_a_reminder_by_email(auth, firm_a, world, late_invoice, reminder_templates):
    commit()
    auth.login("eleve_a")
    url = f"/prospection/relances/{late_invoice.id}/courriel?niveau=friendly"
    draft = page_text(auth.client.get(url))
    assert 'value="intendance@lycee-moulin.fr"' in draft and f"Facture {late_invoice.number}" in draft
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\s*(.*?)</textarea>', draft, re.S).group(1)
    sent = auth.post(url, {"to_address": "intendance@lycee-moulin.fr", "subject": f"Facture {late_invoice.number}",
                           "body": body, "action": "send"}, form_page=url)
    assert sent.status_code == 302
    reminder = db.session.scalar(select(PaymentReminder))
    assert (reminder.level, reminder.channel) == ("friendly", "email")


def test_a_missing_reminder_template_is_said(auth, firm_a, world, late_invoice):
    commit()
    auth.login("eleve_a")
    response = auth.client.get(f"/prospection/relances/{late_invoice.id}/courrier?niveau=friendly",
                               follow_redirects=True)
    assert "Créez d'abord un courrier type pour l'usage « Relance amiable »" in page_text(response)


def test_letters_are_printed_outside_any_transaction(app, monkeypatch, firm_a, world, make_party, letter_plan):
    """SQLite begins every transaction IMMEDIATE: printing inside one would hold every other user's writes."""
    from crm.prospection import letters

    services.add_target(letter_plan, world.trainee_a, make_party(firm_a, last_name="Dubois"))
    mailing = letters.start_mailing(letter_plan, world.trainee_a)
    db.session.commit()
    seen = []

    def fake_pdf(html):
        seen.append(db.session().in_transaction())
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(letters, "html_to_pdf", fake_pdf)
    monkeypatch.setattr(letters, "finish_mailing", lambda mailing, user: mailing)
    with app.test_request_context():
        letters.print_next_part(mailing, world.trainee_a)
    assert seen == [False]
    assert db.session.get(Mailing, mailing.id).done == 1  # the part was stored afterwards
