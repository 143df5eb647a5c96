"""A trainee sells, has the client answer the satisfaction questionnaire on the screen, reads the
indicators (charts drawn on the server), writes an analysis and exports the workbook; the teacher
compares the classroom's firms. Screenshots at desktop and phone width."""
import pytest

from tests.browser.conftest import CHROMIUM_FLAGS, html, login, shot  # noqa: F401 - flags documented there

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _fits_phone(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _accessible(page) -> None:
    """axe-core finds nothing serious or critical on the page as it stands (with its data and charts)."""
    from tests.browser.test_every_page import AXE, _axe

    if not AXE.exists():
        return  # test_every_page says why (npm absent); the journey goes on
    serious = [v for v in _axe(page) if v["impact"] in ("critical", "serious")]
    assert not serious, serious


def test_sell_survey_read_analyse_and_export(page, live_server, browser, tmp_path):
    login(page, live_server, "eleve3")  # Boutique voisine, responsable
    page.goto(f"{live_server}/ventes/catalogue/nouveau")
    page.fill("#reference", "CONSEIL")
    page.fill("#label", "Conseil en aménagement")
    page.fill("#purchase_price", "15")
    page.fill("#sale_price", "40")
    page.uncheck("#stock_tracked")
    page.get_by_role("button", name="Enregistrer").click()
    page.goto(f"{live_server}/ventes/caisse/")
    page.fill("#reference", "CONSEIL")
    page.fill("#quantity", "2")
    page.press("#reference", "Enter")
    page.fill("#cash", "100")
    page.get_by_role("button", name="Valider la vente").click()
    page.get_by_role("link", name="Voir et imprimer le reçu").click()
    assert "TOTAL TTC" in page.locator(".receipt").inner_text()

    # The client answers on the desk screen.
    page.get_by_role("button", name="Questionnaire de satisfaction").click()
    assert "Votre avis nous intéresse" in page.locator("h1").inner_text()
    _accessible(page)
    page.set_viewport_size(PHONE)
    shot(page, "indicateurs-questionnaire-telephone")
    assert _fits_phone(page) <= PHONE["width"]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_role("button", name="Envoyer mon avis").click()
    assert "Choisissez une note de 1 à 5." in html(page)
    page.get_by_label("4 — Satisfait").first.check()
    page.get_by_role("radio", name="Oui").check()
    page.fill("#comment", "Conseils clairs, merci.")
    page.get_by_role("button", name="Envoyer mon avis").click()
    assert "Merci" in page.locator("h1").inner_text()

    page.goto(f"{live_server}/indicateurs/")
    main = page.locator("main").inner_text()
    assert "Chiffre d'affaires HT" in main and "80,00" in main
    plain = main.replace("\u202f", " ").replace("\xa0", " ")
    assert "= 0,00 € (factures HT) − 0,00 € (avoirs HT) + 80,00 € (tickets HT) = 80,00 €" in plain
    assert page.locator("figure.chart svg").count() == 2  # revenue over time, families (no quote, no prospect yet)
    shot(page, "indicateurs-tableau-de-bord")
    _accessible(page)
    page.locator("#repartition").scroll_into_view_if_needed()
    page.locator("#repartition").screenshot(path=str(_shots() / "indicateurs-graphique-familles.png"))
    page.locator("#ventes").screenshot(path=str(_shots() / "indicateurs-graphique-ca.png"))
    page.set_viewport_size(PHONE)
    page.reload()
    assert _fits_phone(page) <= PHONE["width"], "the dashboard scrolls sideways on a phone"
    shot(page, "indicateurs-tableau-de-bord-telephone")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.fill("#strengths", "Le panier moyen est de 96 € TTC grâce au conseil vendu par deux.")
    page.fill("#proposals", "Proposer le conseil à chaque client de passage.")
    page.get_by_role("button", name="Enregistrer mon analyse").click()
    assert "Votre analyse est enregistrée" in page.locator(".flash").inner_text()
    assert "Proposer le conseil à chaque client de passage." in page.locator("#analyses").inner_text()

    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter vers le tableur (.xlsx)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx" and path.read_bytes()[:2] == b"PK"

    page.goto(f"{live_server}/indicateurs/satisfaction")
    assert "Conseils clairs, merci." in page.locator("main").inner_text()
    shot(page, "indicateurs-satisfaction")
    _accessible(page)

    teacher = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR").new_page()
    login(teacher, live_server, "prof")
    teacher.goto(f"{live_server}/admin/")
    teacher.get_by_role("link", name="2nde MRCU démo").first.click()
    teacher.get_by_role("link", name="Indicateurs de la classe").click()
    table = teacher.locator("table.class-table").inner_text().lower()  # column heads are shown in capitals
    assert "boutique voisine" in table and "comptoir démo" in table and "80,00" in table
    assert "Élève" not in teacher.locator("h1").inner_text()
    shot(teacher, "indicateurs-classe")
    _accessible(teacher)
    teacher.set_viewport_size(PHONE)
    teacher.reload()
    assert _fits_phone(teacher) <= PHONE["width"]
    shot(teacher, "indicateurs-classe-telephone")
    teacher.context.close()


def _shots():
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
