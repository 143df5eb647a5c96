"""The README's screenshots: four key pages, desktop and phone, taken by this test.

`CRM_UPDATE_CAPTURES=1` writes them to docs/captures/ (PNG reduced to 256 colours, small
enough for the repository); otherwise they go to tests/_screenshots/ and the test checks
that the README shows every capture of docs/captures/.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS, login

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = ROOT / "docs" / "captures"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_BYTES = 200_000
PAGES = ("tableau-de-bord", "devis", "facture", "caisse")


def _save(page, name: str) -> None:
    from PIL import Image

    target = CAPTURES if os.environ.get("CRM_UPDATE_CAPTURES") == "1" else SCREENSHOTS
    target.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot()))
    image.convert("RGB").quantize(colors=256).save(target / f"{name}.png", optimize=True)


def _both(page, name: str) -> None:
    page.set_viewport_size(DESKTOP)
    _save(page, f"{name}-bureau")
    page.set_viewport_size(PHONE)
    _save(page, f"{name}-telephone")
    page.set_viewport_size(DESKTOP)


def _quote(page) -> None:
    """The line editor from its lines to its totals: a desktop window tall enough for them."""
    page.set_viewport_size(DESKTOP)
    top = page.get_by_role("heading", name="Lignes").bounding_box()
    bottom = page.locator("section.running").bounding_box()
    height = int(bottom["y"] + bottom["height"] - top["y"] + 48)
    page.set_viewport_size({"width": DESKTOP["width"], "height": height})
    _scroll_to_lines(page)
    _save(page, "devis-bureau")
    page.set_viewport_size(PHONE)
    _scroll_to_lines(page)
    _save(page, "devis-telephone")
    page.set_viewport_size(DESKTOP)


def _scroll_to_lines(page) -> None:
    page.evaluate("""() => {
        const heading = [...document.querySelectorAll('h2')].find(h => h.textContent.trim() === 'Lignes');
        window.scrollBy(0, heading.getBoundingClientRect().top - 16);
    }""")


def test_readme_captures(page, live_server):
    login(page, live_server, "eleve2")
    _both(page, "tableau-de-bord")

    page.goto(f"{live_server}/ventes/devis/nouveau")
    page.locator("#party_id-q").type("moulin")
    page.locator("#party_id-list [role=option]").first.click()
    page.locator("#lines-0-product_id-q").type("chaise")
    page.locator("#lines-0-product_id-list [role=option]").first.click()
    page.fill("#lines-0-quantity", "10")
    page.get_by_role("button", name="+ Ajouter une ligne").click()
    page.locator("#lines-1-product_id-q").type("li-0")
    page.locator("#lines-1-product_id-list [role=option]").first.click()
    page.fill("#lines-1-quantity", "4")
    page.fill("#lines-1-discount_rate", "10")
    page.locator("#lines-1-discount_rate").blur()
    page.locator("[data-line-net]").nth(1).filter(has_text="45,00").wait_for()  # the totals as typed
    _quote(page)

    page.get_by_role("button", name="Enregistrer le brouillon").click()
    for step in ("Valider", "Accepté → commande", "Valider", "Facturer sans livraison", "Valider"):
        if step == "Valider":
            page.locator("details.confirm summary", has_text="Valider").click()
            page.get_by_role("button", name="Valider et numéroter").click()
        else:
            page.get_by_role("button", name=step).click()
    assert page.locator("h1").inner_text().startswith("Facture FA")
    _both(page, "facture")

    page.goto(f"{live_server}/ventes/caisse/")
    for reference in ("CH-045", "LI-001"):
        page.fill("#reference", reference)
        page.press("#reference", "Enter")
    page.fill("#cash", "100")
    page.get_by_role("button", name="Calculer la monnaie").click()
    page.locator(".till-change").wait_for()  # the page has come back: a capture mid-navigation fails
    _both(page, "caisse")

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in PAGES:
        for view in ("bureau", "telephone"):
            capture = CAPTURES / f"{name}-{view}.png"
            assert capture.exists(), f"{capture} manque : CRM_UPDATE_CAPTURES=1 pour la créer"
            assert capture.stat().st_size < MAX_BYTES, capture
            assert f"docs/captures/{name}-{view}.png" in readme, capture
