"""A list's page is counted only when the page itself does not tell how many rows there are.

Most lists of a practice firm fit on their first page: with room to spare on it, the page
holds every row, and counting them again would be one more query on every visit.
"""
import re

from crm.extensions import db
from tests.conftest import Auth, page_text
from tests.querycount import counting


def _count_statements(browser, url: str) -> list[str]:
    with counting(db.engine) as tally:
        response = browser.client.get(url)
    assert response.status_code == 200, url
    return [s for s in tally.statements if s.lstrip().startswith("SELECT count(")
            and "alert_point" not in s]  # the menu's stock-alert badge is a count of its own


def test_a_first_page_with_room_to_spare_is_not_counted(app, world, make_party):
    for name in ("Martin", "Durand", "Petit"):
        make_party(world.firm_a, last_name=name)
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a", follow=True)
    for url in ("/clients/", "/clients/?q=durand", "/stocks/mouvements", "/ventes/devis/?statut=sent"):
        assert _count_statements(browser, url) == [], url
    found = page_text(browser.client.get("/clients/?q=durand"))
    assert len(re.findall(r'href="/clients/\d+"', found)) == 1 and "Petit" not in found


def test_a_full_page_is_counted_and_the_last_page_knows_the_total(app, world, make_party):
    for number in range(60):  # the party list shows 25 a page
        make_party(world.firm_a, last_name=f"Client {number:02d}")
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a", follow=True)
    assert len(_count_statements(browser, "/clients/")) == 1
    assert "60 résultats" in page_text(browser.client.get("/clients/"))
    # The last page (10 rows) tells the total without counting: 50 before it, 10 on it.
    assert _count_statements(browser, "/clients/?page=3") == []
    assert "60 résultats" in page_text(browser.client.get("/clients/?page=3"))


def test_the_drafts_box_is_counted_only_when_full(app, world, make_party):
    from crm.ventes.documents import services
    from tests.factories import firm_today

    client = make_party(world.firm_a, last_name="Martin")
    for _ in range(2):
        services.create_document(world.firm_a, world.trainee_a, "quote", client, firm_today())
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a", follow=True)
    assert _count_statements(browser, "/ventes/devis/") == []  # two drafts: the box holds them all
    shown = page_text(browser.client.get("/ventes/devis/"))
    assert "Brouillons à terminer" in shown and "Voir les" not in shown
    for _ in range(10):
        services.create_document(world.firm_a, world.trainee_a, "quote", client, firm_today())
    db.session.commit()
    assert len(_count_statements(browser, "/ventes/devis/")) == 1  # ten shown of twelve
    assert "Voir les 12 brouillons" in page_text(browser.client.get("/ventes/devis/"))


def test_the_page_links_keep_the_filters_and_name_each_page(app, world, make_party):
    """The links are url_for's, built once per list: each keeps the search and the sort, with its number."""
    from flask import url_for

    for number in range(80):
        make_party(world.firm_a, last_name=f"Client {number:02d}", kind="client")
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a", follow=True)
    html = browser.client.get("/clients/?q=client&kind=client&sort=nom&page=2").get_data(as_text=True)
    nav = html[html.index('class="pagination"'):]
    links = re.findall(r'<a href="([^"]+)"(?: rel="(prev|next)")?>', nav[:nav.index("</nav>")])
    with app.test_request_context():
        expected = [url_for("clients.index", q="client", kind="client", sort="nom", page=n) for n in (1, 1, 3, 4, 3)]
    assert [href.replace("&amp;", "&") for href, _ in links] == expected
    assert [rel for _, rel in links] == ["prev", "", "", "", "next"]
    assert "80 résultats" in page_text(browser.client.get("/clients/?q=client&kind=client&sort=nom&page=4"))
