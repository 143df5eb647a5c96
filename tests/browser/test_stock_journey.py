"""A trainee answers a stock alert: thresholds → alert → purchase order → reception → stock card."""
import re

import pytest

from tests.browser.conftest import choose, html, login, shot

pytestmark = pytest.mark.browser


def test_alert_purchase_order_reception_stock_card(page, live_server):
    login(page, live_server, "eleve1")
    # The supplier's terms: 5 days, 300 € HT minimum.
    page.goto(f"{live_server}/stocks/fournisseurs")
    shot(page, "stock-suppliers")
    page.locator("tr", has_text="Mobilier Pro Grossiste").get_by_role("link", name="Conditions").click()
    page.fill("#lead_time_days", "5")
    page.fill("#minimum_order", "300")
    page.get_by_role("button", name="Enregistrer les conditions").click()
    assert "Conditions de Mobilier Pro Grossiste enregistrées." in page.locator(".flash").inner_text()

    # TB-120 (8 in stock): alert at 10, maximum 20, supplied by Mobilier Pro Grossiste.
    page.goto(f"{live_server}/stocks/")
    page.locator("tr", has_text="TB-120").get_by_role("link", name="Seuils").click()
    page.fill("#minimum", "2")
    page.fill("#safety", "2")
    page.fill("#maximum", "20")
    page.fill("#alert", "10")
    choose(page, "supplier_id", "mobilier", "Mobilier Pro Grossiste")
    page.get_by_role("button", name="Enregistrer les seuils").click()
    assert "Les seuils de stock sont enregistrés." in page.locator(".flash").inner_text()

    # The alert proposes 20 − 8 − 0 = 12.
    page.goto(f"{live_server}/stocks/alertes")
    row = page.locator("tr", has_text="TB-120")
    assert re.search(r"8\s+2\s+10\s+20\s+0\s+12\s+Mobilier Pro Grossiste", row.inner_text())
    shot(page, "stock-alerts")
    page.get_by_role("button", name="Commander les quantités proposées").click()
    assert "1 commande fournisseur préparée" in page.locator(".flash").first.inner_text()
    lines = page.locator("table.table tbody tr")
    assert "TB-120" in lines.first.inner_text() and "12 pièces" in lines.first.inner_text()
    assert "660,00" in page.locator("table.table tfoot").inner_text()  # 12 × 55,00
    shot(page, "stock-order-draft")
    page.locator("summary", has_text="Valider la commande").click()
    page.get_by_role("button", name="Valider", exact=True).click()
    heading = page.locator("h1").inner_text()
    assert re.search(r"Commande fournisseur CF\d{4}-0001", heading) and "Validée" in heading
    number = re.search(r"CF\d{4}-0001", heading).group(0)
    shot(page, "stock-order-validated")

    # Already on order: 12, proposed 20 − 8 − 12 = 0.
    page.goto(f"{live_server}/stocks/alertes")
    assert re.search(r"8\s+2\s+10\s+20\s+12\s+0", page.locator("tr", has_text="TB-120").inner_text())
    page.goto(f"{live_server}/stocks/commandes")
    page.get_by_role("link", name=number).click()

    # The printable order.
    page.get_by_role("link", name="Aperçu / PDF").click()
    assert "Fournisseur" in html(page) and number in html(page)
    shot(page, "stock-order-document")
    page.go_back()

    # Reception: 12 delivered, 1 damaged → 11 into stock, 1 still expected.
    page.get_by_role("link", name="Réceptionner").click()
    page.fill("input[name^=received-]", "12")
    page.fill("input[name^=damaged-]", "1")
    page.fill("input[name^=note-]", "Plateau rayé")
    page.fill("#delivery_note", "BL 2211")
    shot(page, "stock-receipt-form")
    page.get_by_role("button", name="Enregistrer le bon de réception").click()
    assert "brouillon" in page.locator(".flash").inner_text()
    page.locator("summary", has_text="Valider la réception").click()
    page.get_by_role("button", name="Valider", exact=True).click()
    assert "la marchandise acceptée est entrée en stock" in page.locator(".flash").inner_text()
    receipt = re.search(r"BR\d{4}-0001", page.locator("h1").inner_text()).group(0)
    assert "1 abîmé" in page.locator("table.table").inner_text()
    shot(page, "stock-receipt-validated")

    # The stock card shows the move: 8 + 11 = 19 in stock.
    page.get_by_role("link", name=re.compile("TB-120")).first.click()
    card = page.locator("table.table").first.inner_text()
    assert f"{receipt} ({number})" in card
    assert "19" in card
    shot(page, "stock-card-after-reception")
    page.goto(f"{live_server}/stocks/commandes")
    assert "Reçue en partie" in page.locator("tr", has_text=number).inner_text()
