"""A trainee logs in, opens every section of the navigation, logs out."""
import pytest

from tests.browser.conftest import html, login, shot

pytestmark = pytest.mark.browser

SECTIONS = ["Accueil", "Clients & prospects", "Prospection", "Ventes", "Stocks", "Indicateurs"]


def test_trainee_visits_every_section_then_logs_out(page, live_server):
    login(page, live_server, "eleve1")
    header = page.locator("header.topbar")
    assert "Comptoir démo" in header.inner_text()
    assert "Accueil" in header.locator(".position").inner_text()
    shot(page, "trainee-home")
    for label in SECTIONS:
        page.locator("nav.mainnav a", has_text=label).first.click()
        assert page.locator("h1").first.inner_text().strip()
        assert "introuvable" not in page.title().lower() and "erreur" not in page.title().lower()
        current = page.locator("nav.mainnav a[aria-current=page]").inner_text()
        assert current.startswith(label)  # Stocks may carry its alert count
        shot(page, f"section-{label.split()[0].lower()}")
    page.locator("details.user-menu summary").click()
    page.get_by_role("button", name="Se déconnecter").click()
    assert "Vous êtes bien déconnecté" in page.locator(".flash").inner_text()
    page.goto(f"{live_server}/ventes/")
    assert page.url.startswith(f"{live_server}/connexion")


def test_wrong_password_message_in_the_browser(page, live_server):
    login(page, live_server, "eleve1", "mauvais-mot-de-passe")
    assert "Identifiant ou mot de passe incorrect." in page.locator(".form-errors").inner_text()


def test_layout_fits_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    login(page, live_server, "eleve2")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page scrolls sideways on a phone"
    # The menu collapses into a button naming the current section, and opens on a tap.
    toggle = page.get_by_role("button", name="Menu")
    assert "Tableau de bord" in toggle.inner_text()
    assert not page.locator("nav.mainnav a", has_text="Ventes").is_visible()
    shot(page, "trainee-home-phone")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.locator("nav.mainnav a", has_text="Ventes").click()
    assert page.get_by_role("button", name="Menu").inner_text().endswith("Ventes")
    shot(page, "trainee-ventes-phone")
    context.close()


def test_teacher_sees_the_classroom_and_enters_a_firm(page, live_server):
    login(page, live_server, "prof")
    assert page.locator("h1").inner_text() == "Espace professeur"
    assert "2nde MRCU démo" in html(page)
    shot(page, "teacher-dashboard")
    page.get_by_role("link", name="Boutique voisine").first.click()
    assert "Inès Benali" in html(page)
    shot(page, "teacher-firm")
    page.get_by_role("button", name="Entrer dans l'entreprise").click()
    assert "Boutique voisine" in page.locator("header.topbar").inner_text()
