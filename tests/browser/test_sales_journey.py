"""A commercial trainee runs a sale from quote to payment in the browser, and prints it."""
import pytest

from tests.browser.conftest import login, shot

pytestmark = pytest.mark.browser


def _validate(page):
    page.locator("details.confirm summary", has_text="Valider").click()
    page.get_by_role("button", name="Valider et numéroter").click()


def test_quote_to_paid_invoice(page, live_server):
    login(page, live_server, "eleve2")
    page.goto(f"{live_server}/ventes/devis/nouveau")
    page.select_option("#party_id", label="Lycée Jean Moulin (client)")
    page.select_option("#lines-0-product_id", label="CH-045 — Chaise empilable Oslo (stock 30)")
    page.fill("#lines-0-quantity", "10")
    page.get_by_role("button", name="+ Ajouter une ligne").click()
    page.select_option("#lines-1-product_id", label="LI-001 — Livre de caisse (stock 40)")
    page.fill("#lines-1-quantity", "4")
    page.fill("#lines-1-discount_rate", "10")
    page.fill("#remise_rate", "10")
    page.fill("#rabais_rate", "5")
    page.fill("#escompte_rate", "2")
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
    page.get_by_role("link", name="Imprimer").click()
    assert "Reste à payer" in page.content() and "Déjà réglé" in page.content()
    shot(page, "sales-invoice-printed")
    pdf = page.request.get(page.url.replace("/imprimer", "/pdf"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    # The delivery took the 10 chairs out of the 30 of the opening stock.
    page.goto(f"{live_server}/stocks/")
    assert "20 pièces" in page.locator("tr", has_text="Chaise empilable Oslo").inner_text()

