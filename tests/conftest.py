"""Fixtures: one app and one migrated schema per session, one rolled-back transaction per test.

The suite runs on SQLite by default and on PostgreSQL when CRM_TEST_DATABASE_URL
is set (for example postgresql://postgres@127.0.0.1:5432/crm_test).
"""
from __future__ import annotations

import contextvars
import html
import os
import re
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine
from sqlalchemy.orm import scoped_session, sessionmaker

os.environ.setdefault("CRM_SECRET_KEY", "test-secret-key")

from crm import create_app  # noqa: E402
from crm.config import database_url  # noqa: E402
from crm.core.models import Role  # noqa: E402
from crm.extensions import db  # noqa: E402

from tests import factories  # noqa: E402
from tests.factories import PASSWORD  # noqa: E402, F401 - used by the tests through conftest
TEST_CONFIG = {
    "TESTING": True,
    # Cheap hashes in tests only; production cost is checked in tests/auth/test_passwords.py.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "ARGON2_PARALLELISM": 1,
}


def _test_database_url(tmp_dir: Path) -> str:
    url = os.environ.get("CRM_TEST_DATABASE_URL")
    if url:
        return database_url(url, tmp_dir)
    return f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def _drop_everything(url: str) -> None:
    """Start from an empty database, whatever an earlier run left."""
    engine = create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Tables, and the trigger functions migrations create beside them.
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            metadata = MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
    engine.dispose()


@pytest.fixture(scope="session")
def database_url_for_tests():
    with tempfile.TemporaryDirectory() as tmp:
        url = _test_database_url(Path(tmp))
        _drop_everything(url)
        yield url


class IsolatedClient(FlaskClient):
    """A test client whose requests never share the test's app context.

    Flask reuses an app context already pushed (the test's, for its factories),
    which would share `g` and the database session between the test and every
    request. Running each request in an empty contextvars.Context gives it its
    own app context and session, as in production.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url_for_tests):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url_for_tests})
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Each test runs in a transaction rolled back at the end; app commits become savepoints."""
    if "real_commits" in request.keywords or "browser" in request.keywords:
        # Those tests need real commits (threads, a live server sharing `db`).
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=original.registry.scopefunc,
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories --------------------------------------------------------------

@pytest.fixture
def make_user(app_ctx):
    return factories.make_user


@pytest.fixture
def make_classroom(app_ctx):
    return factories.make_classroom


@pytest.fixture
def make_firm(app_ctx):
    return factories.make_firm


@pytest.fixture
def make_member(app_ctx):
    return factories.make_member


@pytest.fixture
def make_product(app_ctx):
    return factories.make_product


@pytest.fixture
def make_party(app_ctx):
    return factories.make_party


@pytest.fixture
def world(make_user, make_classroom, make_firm, make_member):
    """Two classrooms of two teachers; firm A with trainee_a, firm B with trainee_b."""

    class World:
        pass

    w = World()
    w.teacher_a = make_user(Role.TEACHER, "prof_a")
    w.teacher_b = make_user(Role.TEACHER, "prof_b")
    w.classroom_a = make_classroom(w.teacher_a, name="Classe A")
    w.classroom_b = make_classroom(w.teacher_b, name="Classe B")
    w.firm_a = make_firm(w.classroom_a, trade_name="Firme A")
    w.firm_b = make_firm(w.classroom_b, trade_name="Firme B")
    w.trainee_a = make_user(Role.TRAINEE, "eleve_a", classroom=w.classroom_a)
    w.trainee_b = make_user(Role.TRAINEE, "eleve_b", classroom=w.classroom_b)
    w.membership_a = make_member(w.trainee_a, w.firm_a, "accueil")
    w.membership_b = make_member(w.trainee_b, w.firm_b, "commercial")
    db.session.commit()  # a savepoint: visible to the test client's requests
    return w


# --- browsing as a user -----------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/connexion") -> str:
    """The CSRF token a real form on `path` carries."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def page_text(response) -> str:
    """The response body as a person reads it (HTML entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


class Auth:
    """Log in and out through the real login form (CSRF on)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, follow: bool = False):
        token = csrf_token(self.client, "/connexion")
        return self.client.post(
            "/connexion",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/deconnexion", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, form_page: str | None = None, **kwargs):
        """POST like a browser would: with the CSRF token of the page holding the form."""
        token = csrf_token(self.client, form_page or "/")
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)
