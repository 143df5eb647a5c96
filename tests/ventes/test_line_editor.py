"""The document line editor: labels naming each line, one more line and the totals as typed.

The totals come from the server's one computation (crm.ventes.computation), on the
page (without script) and through POST /ventes/documents/totaux (js/lines.js); the
textbook case of tests/ventes/test_documents.py: total HT 414,76, VAT 77,48, TTC 492,24.
"""
import re

from sqlalchemy import func, select

from crm.extensions import db
from crm.ventes.documents.models import SalesDocument
from tests.conftest import csrf_token, page_text
from tests.ventes.test_documents import _form, _new, _plain, shop  # noqa: F401 - the fixture

NEW_QUOTE = "/ventes/devis/nouveau"
TOTALS = "/ventes/documents/totaux"


def _labels(html: str) -> dict[str, str]:
    labels = {}
    for attributes, text in re.findall(r"<label ([^>]*)>([^<]+)", html):
        target = re.search(r'for="([^"]+)"', attributes)
        if target and "visually-hidden" in attributes:
            labels[target.group(1)] = text.strip()
    return labels


def test_each_line_input_has_a_label_naming_its_line(shop):
    data = _form(shop)
    data["add_line"] = "1"  # the no-script "+ Ajouter une ligne": a third line
    html = page_text(_new(shop, "devis", data))
    labels = _labels(html)
    assert labels["lines-1-quantity"] == "Quantité, ligne 2"
    assert labels["lines-2-vat_rate"] == "TVA, ligne 3"
    assert labels["lines-0-product_id-q"].startswith("Article, ligne 1")
    # Never the same label twice (a screen reader tells the rows apart).
    real = {k: v for k, v in labels.items() if "__N__" not in k}
    assert len(set(real.values())) == len(real)


def _documents() -> int:
    return db.session.scalar(select(func.count()).select_from(SalesDocument))


def test_adding_a_line_without_script_keeps_the_lines_and_shows_the_totals(shop):
    before = _documents()
    data = _form(shop)
    data["add_line"] = "1"
    response = _new(shop, "devis", data)
    html = _plain(page_text(response))
    assert response.status_code == 200 and 'id="lines-2-quantity"' in html
    assert re.search(r'id="lines-1-discount_rate"[^>]*value="10"', html)  # typed values kept
    totals = html[html.index('data-totals'):]
    assert "414,76 €" in totals and "77,48 €" in totals and "492,24 €" in totals
    assert "450,00 €" in html and "45,00 €" in html  # each line's amount HT
    assert _documents() == before


def test_running_totals_are_the_servers_computation_and_save_nothing(shop):
    before = _documents()
    token = csrf_token(shop.browser.client, NEW_QUOTE)
    data = _form(shop, lines=[{"product_id": str(shop.chair.id), "quantity": "10"},
                              {"product_id": str(shop.book.id), "quantity": "4", "discount_rate": "10"},
                              {"description": "Livraison", "quantity": "1"}])  # no price yet: left out
    response = shop.browser.client.post(TOTALS, data={**data, "csrf_token": token})
    assert response.status_code == 200
    answer = response.get_json()
    assert [_plain(net) for net in answer["lines"]] == ["450,00 €", "45,00 €", ""]
    html = _plain(answer["html"])
    assert "Remise 10" in html and "− 49,50 €" in html and "414,76 €" in html and "492,24 €" in html
    assert "Ligne 3 pas encore complète" in html
    assert _documents() == before
    # CSRF is required as for any POST; another firm's article is a 404.
    assert shop.browser.client.post(TOTALS, data=data).status_code == 400
    foreign = _form(shop, lines=[{"product_id": "999999", "quantity": "1"}])
    assert shop.browser.client.post(TOTALS, data={**foreign, "csrf_token": token}).status_code == 404


def test_running_totals_before_any_complete_line(shop):
    token = csrf_token(shop.browser.client, NEW_QUOTE)
    data = _form(shop, lines=[{"description": "Conseil"}], remise_rate="abc")
    answer = shop.browser.client.post(TOTALS, data={**data, "csrf_token": token}).get_json()
    assert "dès qu'une ligne est complète" in answer["html"] and answer["lines"] == [""]
    over = _form(shop, remise_rate="150")
    answer = shop.browser.client.post(TOTALS, data={**over, "csrf_token": token}).get_json()
    assert "sans les réductions" in answer["html"] and "495,00 €" in _plain(answer["html"])
