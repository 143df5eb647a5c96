"""'Documents liés': the whole chain of a document, every delivery note an invoice groups included."""
import re

from crm.extensions import db
from crm.ventes.documents import services
from crm.ventes.documents.models import SalesDocument
from tests.conftest import page_text
from tests.querycount import counting
from tests.ventes.test_documents import _document, _form, _new, _post, _set_quantities, _source_line_ids, _validate
from tests.ventes.test_documents import shop  # noqa: F401 - the fixture


def _linked_titles(shop, document) -> list[str]:
    html = page_text(shop.browser.client.get(f"/ventes/documents/{document.id}"))
    section = html[html.index('id="linked-title"'):]
    section = section[:section.index("</section>")]
    return [re.sub(r"\s+", " ", title) for title in re.findall(r'<a href="/ventes/documents/\d+">([^<]+)</a>', section)]


def test_an_invoice_of_two_delivery_notes_lists_both_and_the_whole_chain(shop):
    quote = _document(_new(shop, "devis", _form(shop)))
    _validate(shop, quote)
    order = _document(_post(shop, f"/ventes/documents/{quote.id}/accepter"))
    _validate(shop, order)
    first = _document(_post(shop, f"/ventes/documents/{order.id}/suite/delivery"))
    ids = _source_line_ids(first)
    _set_quantities(shop, first, {ids["CH-045"]: 6, ids["LI-001"]: 0})
    _validate(shop, first)
    second = _document(_post(shop, f"/ventes/documents/{order.id}/suite/delivery"))
    _validate(shop, second)
    page = "/ventes/livraisons/facturer"
    invoice = _document(shop.browser.post(page, {"delivery_ids": [first.id, second.id]}, form_page=page))
    _validate(shop, invoice)
    credit = _document(_post(shop, f"/ventes/documents/{invoice.id}/suite/credit_note"))

    chain = [quote.title, order.title, first.title, second.title]
    assert _linked_titles(shop, invoice) == [*chain, credit.title]
    # The second delivery note is not the invoice's source, yet it leads to the invoice too.
    assert _linked_titles(shop, second) == [quote.title, order.title, invoice.title, credit.title]
    assert _linked_titles(shop, order) == [quote.title, first.title, second.title, invoice.title, credit.title]
    assert _linked_titles(shop, credit) == [*chain, invoice.title]
    assert "(document d'origine)" in page_text(shop.browser.client.get(f"/ventes/documents/{order.id}"))
    # The whole chain, up and down, in one statement whatever its length.
    for document in (quote, order, second, invoice, credit):
        loaded = db.session.get(SalesDocument, document.id)
        with counting(db.engine) as tally:
            services.linked_documents(loaded)
        assert tally.count == 1, (loaded.kind, tally.statements)


def test_a_document_on_its_own_has_no_linked_section(shop):
    quote = _document(_new(shop, "devis", _form(shop)))
    assert services.linked_documents(quote) == []
    assert 'id="linked-title"' not in page_text(shop.browser.client.get(f"/ventes/documents/{quote.id}"))
