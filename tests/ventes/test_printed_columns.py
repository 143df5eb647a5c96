"""The printed documents (page and PDF) show the Remise column only when a line has a discount."""
import io

import pytest

from tests.conftest import page_text
from tests.ventes.test_documents import _document, _form, _new, _validate
from tests.ventes.test_documents import shop  # noqa: F401 - the fixture

HEADER = '<th class="num">Remise</th>'


def _no_discount(shop):
    return _form(shop, lines=[{"product_id": str(shop.chair.id), "quantity": "2"}],
                 remise_rate="", rabais_rate="", escompte_rate="")


def test_the_remise_column_only_when_a_line_has_a_discount(shop):
    plain = _document(_new(shop, "factures", _no_discount(shop)))
    printed = page_text(shop.browser.client.get(f"/ventes/documents/{plain.id}/imprimer"))
    assert HEADER not in printed and printed.count("<td") > 0
    row = printed[printed.index("Chaise empilable"):]
    row = row[:row.index("</tr>")]
    assert row.count("<td") == 4  # after the label: quantity, price, VAT, amount
    discounted = _document(_new(shop, "factures", _form(shop)))  # the book has a 10 % line discount
    assert HEADER in page_text(shop.browser.client.get(f"/ventes/documents/{discounted.id}/imprimer"))


def test_the_pdf_of_an_invoice_without_discount_has_no_remise(shop):
    from crm.core.pdf import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint indisponible (bibliothèques Pango absentes)")
    from pypdf import PdfReader

    invoice = _document(_new(shop, "factures", _no_discount(shop)))
    _validate(shop, invoice)
    response = shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Désignation" in text and "Remise" not in text
