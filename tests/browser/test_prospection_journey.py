"""Prospection in a real browser, on the demo data: a phone session run with one-click outcomes,
a mailing printed into one PDF with its progress bar, and an email between the two demo firms."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest

from tests.browser.conftest import SCREENSHOTS, html, login, shot
from tests.factories import firm_today

pytestmark = pytest.mark.browser
PLAN = "Offre de rentrée aux professionnels"


def _logout(page):
    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Se déconnecter").click()


def test_a_phone_session_from_the_plan_to_its_results(page, live_server, browser):
    login(page, live_server, "eleve2")
    page.goto(f"{live_server}/prospection/")
    shot(page, "prospection-plans")
    page.get_by_role("link", name=PLAN).click()
    page.get_by_role("button", name="Commencer la séance d'appels").click()
    assert page.locator("h1").inner_text().startswith("Boulangerie Martin")
    assert "Présentation" in page.locator(".script-card").inner_text()
    shot(page, "prospection-session")
    # An appointment without its date is refused, the note kept.
    page.fill("#note", "Intéressée, veut voir les chaises.")
    page.get_by_role("button", name="Rendez-vous pris").click()
    assert "Indiquez la date du rendez-vous pris." in html(page)
    assert page.locator("#note").input_value() == "Intéressée, veut voir les chaises."
    tomorrow = (firm_today() + timedelta(days=1)).isoformat()
    page.fill("#follow_up_on", tomorrow)
    page.fill("#follow_up_at", "10:30")
    page.get_by_role("button", name="Rendez-vous pris").click()
    assert "Appel enregistré : rendez-vous pris." in html(page)
    assert page.locator("h1").inner_text().startswith("Boutique voisine")
    page.get_by_role("button", name="Absent — rappeler").click()
    page.get_by_role("button", name="Vente").click()
    page.get_by_role("button", name="Refus").click()
    # The absent target comes back once the others are called.
    assert page.locator("h1").inner_text().startswith("Boutique voisine")
    page.get_by_role("button", name="Joint").click()
    assert "Résultats du plan" in page.locator("h1").inner_text()
    text = page.locator("main").inner_text()
    assert "4 / 4 cibles contactées (100 %)" in text
    assert "Absent — rappeler" in text and "25 %" in text  # 1 appointment, 1 sale of 4 reached
    shot(page, "prospection-results")
    page.goto(f"{live_server}/prospection/agenda?date={tomorrow}")
    assert "Rendez-vous : Boulangerie Martin" in html(page)
    shot(page, "prospection-agenda")
    # The same screen on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True)
    mobile = phone.new_page()
    login(mobile, live_server, "eleve2")
    mobile.goto(f"{live_server}/prospection/")
    mobile.get_by_role("link", name=PLAN).click()
    mobile.get_by_role("link", name="Ouvrir").nth(1).click()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "prospection-session-phone")
    mobile.goto(f"{live_server}/prospection/agenda?date={tomorrow}")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "prospection-agenda-phone")
    phone.close()


def test_a_mailing_prints_into_one_pdf(page, live_server, tmp_path):
    login(page, live_server, "eleve2")
    page.goto(f"{live_server}/prospection/plans/nouveau")
    page.fill("#name", "Courrier de rentrée")
    page.select_option("#channel", "letter")
    page.select_option("#template_id", label="Offre de rentrée (courrier) (courrier type)")
    page.get_by_role("button", name="Créer le plan").click()
    page.get_by_role("link", name="Choisir des tiers à la main").click()
    for search, name in (("moulin", "Lycée Jean Moulin"), ("claire dubois", "Claire Dubois")):
        page.fill("#q", search)
        page.get_by_role("button", name="Rechercher").click()
        page.get_by_role("button", name=re.compile(f"Ajouter .*{name}")).click()
    page.get_by_role("link", name="Retour au plan").click()
    page.get_by_role("link", name="Publipostage (PDF)").click()
    assert "Orthographe vérifiée" in html(page) or "surligné" in html(page)
    shot(page, "prospection-mailing-preview")
    page.get_by_role("button", name=re.compile("Lancer le publipostage")).click()
    download = page.get_by_role("link", name=re.compile("Télécharger le PDF"))
    download.wait_for(state="visible", timeout=60_000)
    assert "2 lettres sont prêtes" in page.locator("#mailing-status").inner_text()
    shot(page, "prospection-mailing-done")
    pdf = page.request.get(live_server + download.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "publipostage.pdf"
    path.write_bytes(pdf.body())
    if shutil.which("pdftoppm"):
        SCREENSHOTS.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                        str(SCREENSHOTS / "prospection-letter-pdf")], check=True)


def test_two_demo_firms_exchange_an_email(page, live_server):
    login(page, live_server, "eleve2")
    page.goto(f"{live_server}/prospection/messagerie/nouveau")
    page.fill("#to_address", "bonjour@boutique-voisine.fr")
    page.fill("#subject", "Proposition de rendez-vous")
    page.fill("#body", "Bonjour,\n\nNous aimerions vous présenter notre mobilier de bureau. Seriez-vous disponible "
                       "mardi prochain ?\n\nCordialement,\nHugo Nguyen")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    assert "Courriel distribué dans la messagerie de l'entreprise destinataire" in html(page)
    _logout(page)

    login(page, live_server, "eleve3")
    page.goto(f"{live_server}/prospection/messagerie")
    assert "Comptoir démo" in page.locator(".mail-list").inner_text()
    shot(page, "prospection-inbox")
    page.get_by_role("link", name=re.compile("Proposition de rendez-vous")).click()
    assert "Seriez-vous disponible mardi prochain ?" in html(page)
    page.get_by_role("link", name="Répondre").click()
    page.fill("#body", "Bonjour,\n\nVolontiers : mardi à 10 heures dans notre boutique.\n\nInès Benali")
    page.get_by_role("button", name="Envoyer", exact=True).click()
    if page.get_by_role("button", name="Envoyer quand même").count():
        page.get_by_role("button", name="Envoyer quand même").click()
    assert "Courriel distribué" in html(page)
    _logout(page)

    login(page, live_server, "eleve2")
    page.goto(f"{live_server}/prospection/messagerie")
    page.get_by_role("link", name=re.compile("Re : Proposition de rendez-vous")).click()
    assert "mardi à 10 heures dans notre boutique" in html(page)
    shot(page, "prospection-message")
