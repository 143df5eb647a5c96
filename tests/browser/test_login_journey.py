"""A teacher imports a trainee; the trainee mistypes, waits, is unblocked, then chooses a password."""
import re

import pytest

from tests.browser.conftest import html, login, shot

pytestmark = pytest.mark.browser


def test_new_trainee_throttled_unblocked_then_chooses_a_password(page, browser, live_server):
    login(page, live_server, "prof")
    # A class of its own: the demo class keeps its trainees for the other journeys.
    page.goto(f"{live_server}/admin/classes/nouvelle")
    page.fill("#name", "Essai connexions")
    page.fill("#school_year", "2026-2027")
    page.get_by_role("button", name="Enregistrer").click()
    classroom_url = page.url
    page.get_by_role("link", name="Importer des élèves").first.click()
    page.fill("#text", "Navarro;Sacha")
    page.get_by_role("button", name=re.compile("Créer les comptes|Importer")).click()
    sheet = html(page)
    assert "à la première connexion, choisissez le vôtre" in sheet
    username = re.search(r"Identifiant : <code>([^<]+)</code>", sheet).group(1)
    given = re.search(r'class="password">([^<]+)<', sheet).group(1)

    trainee_context = browser.new_context(viewport={"width": 390, "height": 800}, locale="fr-FR")
    trainee = trainee_context.new_page()
    for _ in range(8):  # 3 free failures, then 1, 2, 4 … s to wait (a slow machine may let 1 s pass)
        login(trainee, live_server, username, "pas-le-bon")
        if "patientez" in trainee.locator("[role=alert]").inner_text():
            break
    assert "patientez" in trainee.locator("[role=alert]").inner_text()
    shot(trainee, "login-throttled-phone")

    page.goto(classroom_url)
    row = page.locator("tr", has_text="Sacha Navarro")
    assert "trop d'essais de connexion" in row.inner_text()
    assert "mot de passe provisoire" in row.inner_text()
    shot(page, "teacher-classroom-unblock")
    row.locator("summary", has_text="Débloquer la connexion").click()
    row.get_by_role("button", name="Débloquer").click()
    assert "peut de nouveau se connecter" in page.locator(".flash").inner_text()

    login(trainee, live_server, username, given)
    assert trainee.url.endswith("/mot-de-passe")
    assert trainee.locator("h1").inner_text() == "Choisir mon mot de passe"
    shot(trainee, "first-login-choose-password-phone")
    trainee.fill("#current_password", given)
    trainee.fill("#new_password", "azerty2026")
    trainee.fill("#confirm", "azerty2026")
    trainee.get_by_role("button", name="Enregistrer mon mot de passe").click()
    assert "fait partie des plus utilisés" in trainee.content()
    shot(trainee, "password-too-common-phone")
    trainee.fill("#current_password", given)
    trainee.fill("#new_password", "les vagues de Biarritz")
    trainee.fill("#confirm", "les vagues de Biarritz")
    trainee.get_by_role("button", name="Enregistrer mon mot de passe").click()
    assert "Votre mot de passe a été changé" in trainee.locator(".flash").inner_text()
    trainee_context.close()
