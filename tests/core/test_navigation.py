"""The activities menu: each page marks its own section (crm.core.web.main_nav keeps it per section)."""
import re

from tests.conftest import Auth


def _menu(html: str) -> tuple[str, list[str]]:
    nav = html[html.index('<nav class="mainnav"'):]
    nav = nav[:nav.index("</nav>")]
    label = re.search(r'<span class="nav-current">([^<]*)</span>', nav).group(1)
    return label, re.findall(r'<a href="([^"]+)" aria-current="page">', nav)


def test_each_page_marks_its_section_in_the_menu(app, world):
    browser = Auth(app.test_client())
    browser.login("eleve_a", follow=True)
    expected = {"/": (" · Tableau de bord", ["/"]), "/clients/": (" · Clients & prospects", ["/clients/"]),
                "/stocks/alertes": (" · Stocks", ["/stocks/"]), "/ventes/factures/": (" · Ventes", ["/ventes/"])}
    for url, (label, current) in expected.items():
        response = browser.client.get(url)
        assert response.status_code == 200, url
        assert _menu(response.get_data(as_text=True)) == (label.replace("&", "&amp;"), current), url


def test_the_menu_follows_the_prefix_of_a_proxy(app, world):
    """Behind a reverse proxy serving the app under /comptoir, the same section's menu has its links."""
    browser = Auth(app.test_client())
    browser.login("eleve_a", follow=True)
    plain = _menu(browser.client.get("/clients/").get_data(as_text=True))
    prefixed = browser.client.get("/clients/", environ_overrides={"SCRIPT_NAME": "/comptoir"})
    assert plain[1] == ["/clients/"] and _menu(prefixed.get_data(as_text=True))[1] == ["/comptoir/clients/"]
