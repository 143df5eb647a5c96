"""The desk trainee records a visitor's request and finds it in the register and the party file."""
import pytest

from tests.browser.conftest import choose, html, login, shot

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
    shown = html(page)
    assert "M. Bernard" in shown
    page.goto(f"{live_server}/accueil/")
    assert "M. Bernard" in html(page)
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


def test_choosing_a_known_visitor_keeps_what_was_typed(page, live_server):
    login(page, live_server, "eleve1")
    page.goto(f"{live_server}/accueil/nouvelle")
    page.select_option("#channel", "phone")
    page.fill("#request_text", "Tarifs des fournitures pour la rentrée.")
    page.fill("#answer", "Catalogue envoyé par courriel.")
    choose(page, "party_id", "moulin", "Lycée Jean Moulin")
    # Nothing typed was lost while searching.
    assert page.locator("#channel").input_value() == "phone"
    assert page.locator("#request_text").input_value() == "Tarifs des fournitures pour la rentrée."
    page.locator("main form button[type=submit].primary").last.click()
    assert "Lycée Jean Moulin" in page.locator("main").inner_text()
    assert "/accueil/demandes/" in page.url


def test_without_script_the_search_step_keeps_what_was_typed(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_server, "eleve1")
        page.goto(f"{live_server}/accueil/nouvelle")
        # On a phone, the search comes before the form's fields and its button.
        search_box = page.locator("#party_id-q").bounding_box()
        assert search_box["y"] < page.locator("#visitor_name").bounding_box()["y"]
        assert search_box["y"] < page.get_by_role("button", name="Enregistrer la demande").bounding_box()["y"]
        page.select_option("#channel", "phone")
        page.fill("#request_text", "Horaires du samedi ?")
        page.fill("#party_id-q", "moulin")
        page.get_by_role("button", name="Rechercher").click()
        assert page.locator("#channel").input_value() == "phone"
        assert page.locator("#request_text").input_value() == "Horaires du samedi ?"
        page.get_by_label("Lycée Jean Moulin").check()
        page.fill("#answer", "Ouvert de 9 h à 12 h.")
        shot(page, "desk-search-step-phone")
        page.get_by_role("button", name="Enregistrer la demande").click()
        assert "/accueil/demandes/" in page.url and "Lycée Jean Moulin" in page.locator("main").inner_text()
    finally:
        context.close()
