"""A request is all or nothing: a refused action keeps nothing it flushed, whatever the status code."""
import pytest
from flask import redirect
from sqlalchemy import func, select

from crm import create_app
from crm.core.errors import DomainError
from crm.core.tenancy import current_firm
from crm.core.views_helpers import form_error, refuse
from crm.extensions import db
from crm.ventes.models import ProductFamily
from tests.conftest import TEST_CONFIG, Auth, IsolatedClient, page_text


class _Form:
    """The part of a WTForms form that form_error() uses."""

    def __init__(self):
        self.form_errors = []


def _flush_a_family(name: str) -> None:
    db.session.add(ProductFamily(firm_id=current_firm.id, name=name))
    db.session.flush()


@pytest.fixture(scope="module")
def probe_app(app):
    """The real application plus three views that flush a row, then are refused."""
    probe = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    probe.test_client_class = IsolatedClient

    @probe.post("/_probe/refuse-and-redirect")
    def refuse_and_redirect():
        _flush_a_family("Refusée puis redirigée")
        refuse(DomainError("Refusé."))
        return redirect("/")  # 302: below 400, yet nothing may be kept

    @probe.post("/_probe/form-error")
    def form_error_200():
        _flush_a_family("Refusée dans un formulaire")
        form_error(_Form(), DomainError("Refusé."))
        return "formulaire affiché de nouveau"  # 200 on purpose: the refusal decides, not the status

    @probe.post("/_probe/uncaught")
    def uncaught():
        _flush_a_family("Refus non intercepté")
        raise DomainError("Ce refus n'a été intercepté par aucune vue.")

    @probe.post("/_probe/accepted")
    def accepted():
        _flush_a_family("Acceptée")
        return redirect("/")

    yield probe
    with probe.app_context():
        db.engine.dispose()


def _families() -> list[str]:
    return db.session.scalars(select(ProductFamily.name).order_by(ProductFamily.name)).all()


@pytest.mark.parametrize("path, status", [
    ("/_probe/refuse-and-redirect", 302),
    ("/_probe/form-error", 200),
    ("/_probe/uncaught", 422),
])
def test_a_refused_request_keeps_nothing_it_flushed(probe_app, world, path, status):
    browser = Auth(probe_app.test_client())
    browser.login("eleve_a")
    response = browser.post(path)
    assert response.status_code == status
    assert _families() == []


def test_an_uncaught_refusal_shows_its_french_message(probe_app, world):
    browser = Auth(probe_app.test_client())
    browser.login("eleve_a")
    response = browser.post("/_probe/uncaught")
    assert "Ce refus n'a été intercepté par aucune vue." in page_text(response)


def test_an_accepted_request_commits(probe_app, world):
    browser = Auth(probe_app.test_client())
    browser.login("eleve_a")
    assert browser.post("/_probe/accepted").status_code == 302
    assert _families() == ["Acceptée"]
    assert db.session.scalar(select(func.count()).select_from(ProductFamily)) == 1
