"""The links of a list's rows (row_url) and of every page's menus (fixed_url) are the links url_for builds."""
import pytest
from flask import url_for

from crm.core.web import row_url

ROW_LINKS = [("ventes.show_document", "document_id"), ("ventes.account_statement", "party_id"),
             ("clients.show_party", "party_id"), ("stocks.stock_card", "product_id")]


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://lycee.example/comptoir/"])
def test_a_row_link_is_the_link_url_for_builds(app, base_url):
    with app.test_request_context("/", base_url=base_url):
        for endpoint, name in ROW_LINKS:
            for row_id in (1, 10, 918_273, 2**40):
                assert row_url(endpoint, **{name: row_id}) == url_for(endpoint, **{name: row_id})
        prefix = "/comptoir" if "comptoir" in base_url else ""
        assert row_url("ventes.show_document", document_id=5) == f"{prefix}/ventes/documents/5"


def test_a_row_link_with_numbers_in_its_query(app):
    with app.test_request_context("/", base_url="http://lycee.example/comptoir/"):
        for quantity in (None, 0, 7, 120):
            built = row_url("stocks.new_move", product_id=42, quantity=quantity, alert=1)
            assert built == url_for("stocks.new_move", product_id=42, quantity=quantity, alert=1)
        assert row_url("stocks.new_move", product_id=3, quantity=None, alert=1) == \
            "/comptoir/stocks/mouvements/nouveau?product_id=3&alert=1"


def test_a_row_link_takes_a_number_only(app):
    with app.test_request_context("/"), pytest.raises(ValueError):
        row_url("ventes.show_document", document_id="1/../../admin")


def test_a_fixed_link_follows_the_prefix_the_app_is_served_under(app):
    from crm.core.web import fixed_url

    for base_url in ("http://localhost/", "http://lycee.example/comptoir/", "http://localhost/"):
        with app.test_request_context("/", base_url=base_url):
            for endpoint, values in (("core.home", {}), ("stocks.alerts", {}),
                                     ("static", {"filename": "css/app.css"})):
                assert fixed_url(endpoint, **values) == url_for(endpoint, **values)


def test_a_row_link_under_a_prefix_with_braces(app):
    """The prefix comes from the proxy (X-Forwarded-Prefix): whatever it holds, the link is url_for's."""
    with app.test_request_context("/", base_url="http://lycee.example/{0}-{x}/"):
        assert row_url("ventes.show_document", document_id=7) == url_for("ventes.show_document", document_id=7)
