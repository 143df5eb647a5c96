"""The desk trainee records a visitor's request and finds it in the register and the party file."""
import pytest

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def test_record_a_request_at_the_desk(page, live_server):
    login(page, live_server, "eleve1")
    page.goto(f"{live_server}/accueil/")
    page.get_by_role("link", name="Enregistrer une demande").first.click()
    page.fill("#visitor_name", "M. Bernard")
    page.fill("#request_text", "Connaître les horaires d'ouverture du samedi.")
    page.fill("#answer", "Ouvert le samedi de 9 h à 12 h.")
    shot(page, "desk-new-request")
    page.locator("main form button[type=submit].primary").last.click()
    html = page.content()
    assert "M. Bernard" in html
    page.goto(f"{live_server}/accueil/")
    assert "M. Bernard" in page.content()
    shot(page, "desk-register")


def test_party_file_search(page, live_server):
    login(page, live_server, "eleve1")
    page.goto(f"{live_server}/clients/?q=moulin")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1
    assert "Lycée Jean Moulin" in rows.first.inner_text()
    rows.first.get_by_role("link").first.click()
    assert "Lycée Jean Moulin" in page.locator("h1").inner_text()
    shot(page, "party-page")
