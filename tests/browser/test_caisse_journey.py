"""A trainee keys in a counter sale at the till, prints the receipt, closes the day, checks the chain."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import html, login, shot

pytestmark = pytest.mark.browser


def _new_service(page, base, reference, label, price):
    """A catalogue article not tracked in stock (the demo catalogue is empty)."""
    page.goto(f"{base}/ventes/catalogue/nouveau")
    page.fill("#reference", reference)
    page.fill("#label", label)
    page.fill("#purchase_price", "1")
    page.fill("#sale_price", price)
    page.uncheck("#stock_tracked")
    page.get_by_role("button", name="Enregistrer").click()
    assert reference in html(page)


def test_counter_sale_receipt_closing_and_verification(page, live_server):
    login(page, live_server, "eleve1")
    _new_service(page, live_server, "EMB-01", "Emballage cadeau", "2.50")
    page.goto(f"{live_server}/ventes/caisse/")
    # Scan (type and Enter) the reference twice: one line of 3.
    page.fill("#reference", "emb-01")
    page.fill("#quantity", "2")
    page.press("#reference", "Enter")
    page.fill("#reference", "EMB-01")
    page.press("#reference", "Enter")
    assert page.locator("input[name=line_quantity]").input_value() == "3"
    # 3 × 2,50 € HT = 7,50 HT; VAT 20 % 1,50; 9,00 € TTC.
    assert "9,00" in page.locator(".till-totals").inner_text()
    page.fill("#cash", "8")
    page.get_by_role("button", name="Valider la vente").click()
    assert "Il manque 1,00" in page.locator(".till-pay").inner_text()
    page.fill("#cash", "20")
    page.get_by_role("button", name="Calculer la monnaie").click()
    assert "11,00" in page.locator(".till-change").inner_text()
    shot(page, "caisse-ticket")
    page.get_by_role("button", name="Valider la vente").click()
    assert "Monnaie à rendre : 11,00" in page.locator(".flash").inner_text()
    # Back at the till, ready for the next customer: the reference box has the focus.
    expect(page.locator("#reference")).to_be_focused()  # autofocus lands at the next rendering step
    page.get_by_role("link", name="Voir et imprimer le reçu").click()
    assert "TOTAL TTC" in page.locator(".receipt").inner_text()
    shot(page, "caisse-recu")
    page.get_by_role("link", name="Tickets du jour").click()
    assert "Totaux provisoires (X)" in html(page)
    page.locator("summary", has_text="Clôturer la journée").click()
    page.get_by_role("button", name="Clôturer définitivement").click()
    assert "RAPPORT Z" in page.locator(".receipt").inner_text()
    shot(page, "caisse-z")
    page.goto(f"{live_server}/ventes/caisse/verification")
    assert "Chaîne intègre" in page.locator("main").inner_text()


def test_the_ticket_waits_while_the_cashier_looks_elsewhere(page, live_server):
    login(page, live_server, "eleve1")
    _new_service(page, live_server, "EMB-02", "Papier cadeau", "3")
    page.goto(f"{live_server}/ventes/caisse/")
    page.fill("#reference", "EMB-02")
    page.fill("#quantity", "2")
    page.press("#reference", "Enter")
    page.get_by_role("link", name="Stocks").first.click()  # a look at the stock…
    page.goto(f"{live_server}/ventes/caisse/")  # …and back: the ticket is still there
    assert page.locator("input[name=line_quantity]").input_value() == "2"
    # "Nouveau ticket" asks first; "Non" keeps the ticket.
    page.get_by_role("button", name="Nouveau ticket").click()
    assert "Abandonner le ticket en cours ?" in page.locator("[role=alert]").inner_text()
    page.get_by_role("button", name="Non, reprendre le ticket").click()
    assert page.locator("input[name=line_quantity]").input_value() == "2"
    # Enter in the payment field validates the sale (not "Ajouter"), then the focus is back on the reference.
    page.fill("#cash", "10")
    page.press("#cash", "Enter")
    assert "Monnaie à rendre : 2,80" in page.locator(".flash").inner_text()
    expect(page.locator("#reference")).to_be_focused()
    assert page.locator("input[name=line_quantity]").count() == 0
    shot(page, "caisse-apres-vente")
