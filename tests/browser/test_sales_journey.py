"""A commercial trainee runs a sale from quote to payment in the browser, and prints it."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose, html, login, shot

pytestmark = pytest.mark.browser


def _validate(page):
    page.locator("details.confirm summary", has_text="Valider").click()
    page.get_by_role("button", name="Valider et numéroter").click()


def test_quote_to_paid_invoice(page, live_server):
    login(page, live_server, "eleve2")
    page.goto(f"{live_server}/ventes/devis/nouveau")
    choose(page, "party_id", "moulin", "Lycée Jean Moulin", keyboard=True)
    assert page.locator("[role=status]").first.inner_text().endswith("choisi.")
    choose(page, "lines-0-product_id", "chaise", "CH-045 — Chaise empilable Oslo", screenshot="sales-quote-picker")
    assert "stock 30" in page.locator("#lines-0-product_id-list").inner_text()
    page.fill("#lines-0-quantity", "10")
    expect(page.locator("[data-line-net]").first).to_have_text(re.compile(r"450,00"))  # the line's amount HT
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="+ Ajouter une ligne").click()  # a new row, without a round trip
    assert page.evaluate("window.notReloaded === true")
    assert page.locator("#lines-1-quantity").evaluate("e => e.labels[0].textContent") == "Quantité, ligne 2"
    expect(page.locator("#lines-1-product_id-q")).to_be_focused()
    choose(page, "lines-1-product_id", "li-0", "LI-001 — Livre de caisse", keyboard=True)
    page.fill("#lines-1-quantity", "4")
    page.fill("#lines-1-discount_rate", "10")
    page.fill("#remise_rate", "10")
    page.fill("#rabais_rate", "5")
    page.fill("#escompte_rate", "2")
    # The totals as typed: the server's computation, before anything is saved.
    expect(page.locator("[data-totals]")).to_contain_text(re.compile(r"492,24"))
    assert "414,76" in page.locator("[data-totals]").inner_text()
    shot(page, "sales-quote-running-totals")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    # The textbook figures of tests/ventes/test_documents.py.
    amounts = page.locator(".facts.amounts").inner_text().replace("\u202f", " ").replace("\xa0", " ")
    assert "414,76 €" in amounts and "492,24 €" in amounts
    shot(page, "sales-quote-draft")
    _validate(page)
    assert "Devis DE" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Accepté → commande").click()
    _validate(page)
    page.get_by_role("button", name="Livrer").click()
    # The delivery note takes the order's articles and prices; the trainee sets each quantity.
    page.get_by_role("link", name="Modifier").click()
    assert "Reste à livrer" in html(page)
    shot(page, "sales-delivery-quantities")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    _validate(page)
    page.get_by_role("button", name="Facturer").click()
    _validate(page)
    heading = page.locator("h1").inner_text()
    assert heading.startswith("Facture FA")
    shot(page, "sales-invoice")
    page.fill("#amount", "492.24")
    page.select_option("#method", "cheque")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    assert "Réglée" in page.locator("h1").inner_text()
    shot(page, "sales-invoice-paid")
    # The page shows the payment; the printed invoice stays as it was issued.
    page.get_by_role("link", name="Imprimer").click()
    assert "Net à payer" in html(page) and "Déjà réglé" not in html(page)
    shot(page, "sales-invoice-printed")
    pdf = page.request.get(page.url.replace("/imprimer", "/pdf"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    # The delivery took the 10 chairs out of the 30 of the opening stock.
    page.goto(f"{live_server}/stocks/")
    assert "20 pièces" in page.locator("tr", has_text="Chaise empilable Oslo").inner_text()

