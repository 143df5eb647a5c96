"""A teacher writes a scenario, checks it, instantiates it for four groups, fires an event,
watches a trainee handle it, and assesses the trainee against the référentiel."""
import re

import pytest

from tests.browser.conftest import login, shot
from tests.formation.conftest import small_source

pytestmark = pytest.mark.browser


def test_teacher_scenario_to_assessment(browser, live_server):
    teacher = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
    teacher.set_default_timeout(30_000)
    login(teacher, live_server, "prof")
    # Four new trainees for the four groups.
    teacher.get_by_role("link", name="2nde MRCU démo").first.click()
    teacher.get_by_role("link", name="Importer des élèves").click()
    teacher.fill("#text", "Roux;Emma\nFabre;Noah\nLeroy;Jade\nMorel;Liam")
    teacher.get_by_role("button", name=re.compile("Importer|Créer")).first.click()
    credentials = dict(re.findall(r"Identifiant : (\S+)\s+Mot de passe : (\S+)", teacher.locator("main").inner_text()))
    assert len(credentials) == 4

    # A scenario with a mistake is refused whole, each error with its line.
    teacher.goto(f"{live_server}/formation/scenarios")
    teacher.fill("#text", small_source().replace("vat_rate: 5.5", "vat_rate: 7").replace("sale_price: 45.00", "sale_prise: 45.00"))
    teacher.get_by_role("button", name="Vérifier et enregistrer").click()
    errors = teacher.locator(".scenario-errors").inner_text()
    assert "products[2].vat_rate" in errors and "products[1].sale_prise : clé inconnue" in errors
    shot(teacher, "teacher-scenario-errors")
    teacher.fill("#text", small_source())
    teacher.get_by_role("button", name="Vérifier et enregistrer").click()
    assert "vérifié et enregistré" in teacher.locator(".flash").inner_text()

    # Four groups, the four new trainees dealt over them.
    teacher.fill("#groups", "4")
    shot(teacher, "teacher-scenario-instantiate")
    teacher.get_by_role("button", name="Créer les entreprises").click()
    assert "4 entreprises créées" in teacher.locator(".flash").inner_text()
    assert "4 élèves répartis" in teacher.locator(".flash").inner_text()
    shot(teacher, "teacher-classroom-groups")

    # Fire the complaint now in group 1.
    teacher.get_by_role("link", name="Papeterie test — groupe 1").click()
    row = teacher.locator("tr", has_text="Chaises rayées")
    row.get_by_role("button", name="Déclencher maintenant").click()
    assert "vient d'arriver" in teacher.locator(".flash").inner_text()
    shot(teacher, "teacher-firm-events")
    member = teacher.locator("section.card", has_text="Équipe").locator("tbody tr td").first.inner_text().strip()

    # The trainee of group 1 finds the complaint at the desk and treats it.
    trainee = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR").new_page()
    trainee.set_default_timeout(30_000)
    names = {"Emma Roux": "roux", "Noah Fabre": "fabre", "Jade Leroy": "leroy", "Liam Morel": "morel"}
    username = next(u for u in credentials if names.get(member, "§") in u)
    login(trainee, live_server, username, credentials[username])
    # The password on the sheet is provisional: the trainee chooses their own first.
    trainee.fill("#current_password", credentials[username])
    trainee.fill("#new_password", "ma phrase du groupe un")
    trainee.fill("#confirm", "ma phrase du groupe un")
    trainee.get_by_role("button", name="Enregistrer mon mot de passe").click()
    assert "(simulée)" in trainee.locator("header.topbar").inner_text()
    trainee.goto(f"{live_server}/accueil/")
    assert "École Jules Ferry" in trainee.locator("main").inner_text()
    shot(trainee, "trainee-desk-with-event")
    trainee.locator("main tr", has_text="École Jules Ferry").get_by_role("link").first.click()
    trainee.fill("textarea[name=note]", "Échange des deux chaises prévu jeudi.")
    trainee.get_by_role("button", name="Demande traitée").click()
    assert "Traitée" in trainee.locator("main").inner_text()

    # The teacher reads the grid, then assesses the trainee.
    teacher.goto(f"{live_server}/admin/")
    teacher.get_by_role("link", name="2nde MRCU démo").first.click()
    teacher.get_by_role("link", name="Grille du référentiel").click()
    assert teacher.locator("table.grid").is_visible()
    shot(teacher, "teacher-grid")
    teacher.get_by_role("link", name=member).click()
    teacher.select_option("#code", "A1T4C1")
    teacher.select_option("#level", "acquired")
    teacher.fill("#comment", "Réclamation bien prise en charge.")
    teacher.get_by_role("button", name="Enregistrer l'évaluation").click()
    assert "Évaluation de A1T4C1 enregistrée." in teacher.locator(".flash").inner_text()
    assert "Réclamation bien prise en charge." in teacher.locator("main").inner_text()
    teacher.select_option("#obs-code", "A1T2C1")
    teacher.fill("#obs-note", "A accueilli le visiteur avec le sourire.")
    teacher.get_by_role("button", name="Enregistrer l'observation").click()
    shot(teacher, "teacher-trainee-assessment")
    teacher.goto(f"{live_server}/formation/journal?classe=1")
    assert "Demande de École Jules Ferry traitée" in teacher.locator("main").inner_text()
    shot(teacher, "teacher-journal")
    teacher.context.close()
    trainee.context.close()
