"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright.

A live server runs the app in a thread on 127.0.0.1 with its own SQLite
database holding the demo data. Without Chromium these tests are skipped with
a message, unless CRM_BROWSER_TESTS=required (as in .ci/run), where they fail.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "_screenshots"
DEMO_PASSWORD = "demo-browser-1"
BROWSER_DATA = Path(__file__).parent / "data"


def _browser_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium absent ({CHROMIUM}) : installez-le avec « apt-get install chromium »"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "le paquet Python playwright manque : « make test » l'installe"
    return None


class _InFlight:
    """WSGI middleware counting the requests being served, so a test can wait for none."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.count, self.lock = wsgi_app, 0, threading.Condition()

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
        try:
            yield from self.wsgi_app(environ, start_response)
        finally:
            with self.lock:
                self.count -= 1
                self.lock.notify_all()

    def wait_idle(self, timeout: float = 15.0) -> None:
        with self.lock:
            self.lock.wait_for(lambda: self.count == 0, timeout=timeout)


@pytest.fixture(scope="session")
def _live_app():
    """One server for the session, on a demo database whose pristine copy each test starts from."""
    missing = _browser_missing()
    if missing:
        if os.environ.get("CRM_BROWSER_TESTS") == "required":
            pytest.fail(f"tests navigateur exigés mais impossibles : {missing}")
        pytest.skip(f"tests navigateur ignorés : {missing}")
    from flask_migrate import upgrade

    from crm import create_app
    from crm.admin.demo import load_demo
    from crm.extensions import db
    from tests.conftest import TEST_CONFIG

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "browser.sqlite3"
        app = create_app({**TEST_CONFIG, "TESTING": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
        with app.app_context():
            upgrade()
            load_demo(DEMO_PASSWORD, manifest=BROWSER_DATA / "demo.yaml")
            db.session.commit()
            db.engine.dispose()  # the WAL is checkpointed into the file: a complete copy
        pristine = Path(tmp) / "pristine.sqlite3"
        shutil.copyfile(database, pristine)
        in_flight = _InFlight(app.wsgi_app)
        app.wsgi_app = in_flight
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        app.extensions["browser_tests_in_flight"] = in_flight
        yield app, database, pristine, f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(_live_app):
    """The server's URL, its database back to the demo data: journeys do not depend on their order."""
    from crm.extensions import db

    app, database, pristine, url = _live_app
    # A request of the previous test may still run (an iframe, a search as one types): the database
    # file is replaced only once it is done, or its connection would see a deleted WAL (disk I/O error).
    app.extensions["browser_tests_in_flight"].wait_idle()
    with app.app_context():
        db.engine.dispose()
    for leftover in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(pristine, database)
    return url


@pytest.fixture(scope="session")
def browser(_live_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def html(page) -> str:
    """The page's HTML once its document has loaded: right after a click that navigates,
    page.content() may read the document being replaced (seen empty on a busy machine)."""
    page.wait_for_load_state()
    return page.content()


def login(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/connexion")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    # The answer has arrived (a busy machine may be slow): the next page.goto must not cancel the login.
    page.wait_for_load_state()


def choose(page, field_id: str, typed: str, option: str, keyboard: bool = False, screenshot: str = "") -> None:
    """Pick in a search-as-you-type field (crm.core.picker) as a user does: type, then choose."""
    box = page.locator(f"#{field_id}-q")
    box.fill("")
    box.type(typed)
    item = page.locator(f"#{field_id}-list [role=option]", has_text=option)
    item.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    if screenshot:
        shot(page, screenshot)
    if keyboard:
        options = page.locator(f"#{field_id}-list [role=option]")
        texts = options.all_inner_texts()
        index = next(i for i, text in enumerate(texts) if option in text)
        for _ in range(index + 1):
            box.press("ArrowDown")
        assert page.locator(f"#{field_id}-list [aria-selected=true]").inner_text() == texts[index]
        box.press("Enter")
    else:
        item.first.click()
    assert box.get_attribute("aria-expanded") == "false"
