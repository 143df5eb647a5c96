"""The search fields as a trainee meets them: with script (combobox), without (search step), on a phone."""
import pytest

from tests.browser.conftest import choose, login, shot

pytestmark = pytest.mark.browser


def test_without_script_the_search_step_lists_the_matches(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR",
                                  java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, "eleve2")
        page.goto(f"{live_server}/ventes/devis/nouveau")
        page.fill("#notes", "À livrer au CDI")
        page.fill("#party_id-q", "moulin")
        page.locator(".picker", has=page.locator("#party_id-q")).get_by_role("button", name="Rechercher").click()
        page.get_by_role("radio", name="Lycée Jean Moulin").check()
        assert page.locator("#notes").input_value() == "À livrer au CDI"  # typed values kept
        shot(page, "picker-search-step-no-script")
        page.fill("#lines-0-product_id-q", "oslo")
        page.locator(".picker", has=page.locator("#lines-0-product_id-q")).get_by_role(
            "button", name="Rechercher").click()
        page.get_by_role("radio", name="CH-045 — Chaise empilable Oslo").check()
        page.fill("#lines-0-quantity", "2")
        page.get_by_role("button", name="Enregistrer le brouillon").click()
        assert "Devis enregistré en brouillon." in page.locator(".flash").inner_text()
        assert "108,00" in page.locator("main").inner_text()  # 2 × 45,00 HT + 20 % : the chair was chosen
    finally:
        context.close()


def test_the_till_suggests_references_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        login(page, live_server, "eleve2")
        page.goto(f"{live_server}/ventes/caisse/")
        box = page.locator("#reference")
        box.type("oslo")
        page.locator("#reference-list [role=option]").first.wait_for()
        shot(page, "picker-till-phone")
        box.press("ArrowDown")
        box.press("Enter")  # the reference goes into the box, the article is not added yet
        assert box.input_value() == "CH-045"
        box.press("Enter")  # Enter again (or the scanner's) adds it
        assert "CH-045" in page.locator(".till-ticket table").inner_text()
        choose(page, "party_id", "moulin", "Lycée Jean Moulin")
    finally:
        context.close()


def test_letters_typed_before_the_script_ran_still_get_their_matches(page, live_server):
    """A slow school PC: the trainee types while the page's scripts are still on their way."""
    login(page, live_server, "eleve2")
    held = []
    page.route("**/static/js/picker.js*", lambda route: held.append(route))
    page.goto(f"{live_server}/ventes/devis/nouveau", wait_until="commit")
    page.locator("#lines-0-product_id-q").type("oslo")  # the page is there, its picker script is not
    page.wait_for_timeout(300)
    assert held, "picker.js was not requested"
    held[0].continue_()
    page.locator("#lines-0-product_id-list [role=option]", has_text="CH-045").first.click()
    assert page.locator("#lines-0-product_id").input_value() != ""  # the chair is chosen
