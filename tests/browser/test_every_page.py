"""Every page a user can reach, in the browser: no error, no sideways scroll on a phone, axe-core clean.

The pages are found the way a user finds them: by following the links of the
application from the dashboard, as a trainee of each poste and as the teacher.
One page per URL rule is checked, so a new screen is covered as soon as a link
leads to it, without anyone adding it to a list here.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE_WIDTH = 390
# Downloads and actions are not pages: they are checked by their own tests.
NOT_PAGES = re.compile(r"(/pdf$|\.pdf$|/imprimer$|\.csv$|/export|/csv$|\.ics$|/ics$|\.xlsx$|/xlsx$|\.json$|/json$|"
                       r"/deconnexion$|/logo$|/static/|/favicon)")
MAX_PAGES = 400


def _rule_of(app, path: str) -> str | None:
    """The URL rule a path matches (two parties' pages are the same page), None if none."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - redirects, 404s, methods: not a page to check
        return None
    return endpoint


def _crawl(page, base: str, app) -> list[str]:
    """Same-origin GET pages reachable from the dashboard, one per endpoint (and query-less first)."""
    seen_endpoints: dict[str, str] = {}
    queue = ["/"]
    visited: set[str] = set()
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        endpoint = _rule_of(app, urlsplit(path).path)
        if endpoint is None or endpoint in seen_endpoints:
            continue
        try:
            response = page.goto(base + path)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file, not a page
            raise
        assert response is not None and response.status < 500, f"{path} answers {response and response.status}"
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        seen_endpoints[endpoint] = path
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or NOT_PAGES.search(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in visited:
                queue.append(target)
    return list(seen_endpoints.values())


def _axe(page) -> list[dict]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""
    )
    return result


@pytest.fixture(scope="module")
def live_app(live_server):
    from crm import create_app
    from tests.conftest import TEST_CONFIG

    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})  # its url_map only


@pytest.mark.parametrize("username", ["eleve1", "eleve2", "eleve3", "prof"])
def test_every_page_fits_a_phone_and_passes_axe(browser, live_server, live_app, username):
    if not AXE.exists():
        message = "axe-core absent (node_modules) : « make test » l'installe avec npm"
        if os.environ.get("CRM_BROWSER_TESTS") == "required":
            pytest.fail(message)
        pytest.skip(message)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, live_server, username)
    paths = _crawl(page, live_server, live_app)
    assert len(paths) > 5, paths

    serious, others = [], Counter()
    for path in paths:
        page.goto(live_server + path)
        for violation in _axe(page):
            if violation["impact"] in ("critical", "serious"):
                serious.append({"page": path, **violation})
            else:
                others[violation["id"]] += 1
    print(f"\n{username}: {len(paths)} pages, axe minor/moderate violations: {dict(others) or 'none'}")
    assert not serious, json.dumps(serious, ensure_ascii=False, indent=1)

    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    too_wide = []
    for path in paths:
        page.goto(live_server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            too_wide.append((path, width))
    assert not too_wide, f"pages that scroll sideways at {PHONE_WIDTH} px: {too_wide}"
    context.close()
