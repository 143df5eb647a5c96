"""Which transaction a request opens: pages read beside the writer, writes queue, hashing holds no lock."""
from __future__ import annotations

import threading
from contextlib import contextmanager
import time
import uuid
from decimal import Decimal as D

import pytest
from flask import has_request_context
from sqlalchemy import delete, select

from crm.core import database
from crm.core.database import Transactions, TransactionMisuse, outside_transaction
from crm.core.models import Classroom, Firm, LoginFailure, Membership, Role, User
from crm.core.passwords import hash_password
from crm.extensions import db
from crm.ventes.models import Product
from tests.conftest import PASSWORD, Auth


# --- the guards ---------------------------------------------------------------

def test_a_read_transaction_refuses_to_write(app_ctx):
    tokens = database.set_kind(Transactions.READ, Transactions.READ)
    try:
        db.session.add(LoginFailure(username="x", ip_address="1.2.3.4"))
        with pytest.raises(TransactionMisuse, match="write in a read-only transaction"):
            db.session.flush()
    finally:
        db.session.rollback()
        database.reset_kind(tokens)


def test_no_statement_runs_during_slow_work(world):
    user = world.trainee_a
    assert user.display_name  # loaded in the read
    tokens = database.set_kind(Transactions.READ)
    try:
        with outside_transaction():
            with pytest.raises(TransactionMisuse, match="during slow work"):
                user.display_name  # expired by the end of the read: reloading it would take a lock
        assert database.current_kind() is Transactions.WRITE  # what follows writes
    finally:
        db.session.rollback()
        database.reset_kind(tokens)


def test_slow_work_refuses_to_drop_unsaved_changes(app_ctx, make_user):
    user = make_user()
    user.display_name = "Changé"
    with pytest.raises(TransactionMisuse, match="unsaved changes"):
        with outside_transaction():
            pass


def test_get_requests_read_and_posts_write(app, client, auth, world):
    from flask import request

    from crm.core.tenancy import load_current_firm as original

    kinds = {}

    def spy():
        kinds[request.method] = database.current_kind()
        return original()

    # The app's hook list holds the function itself: put the spy in its place for this test.
    hooks = app.before_request_funcs[None]
    position = hooks.index(original)
    hooks[position] = spy
    try:
        auth.login("eleve_a")
        client.get("/clients/")
        auth.post("/entreprises/quitter")
    finally:
        hooks[position] = original
    assert kinds == {"GET": Transactions.READ, "POST": Transactions.WRITE}


# --- passwords are hashed with no transaction open ----------------------------

@pytest.fixture
def hashing_spy(monkeypatch):
    """Records, for each argon2 hash or verification made by a request, whether a transaction was open."""
    from crm.core import passwords

    seen: list[tuple[str, bool]] = []
    real = passwords._hasher

    class Spy:
        def __init__(self):
            self.hasher = real()

        def _note(self, what):
            if has_request_context():
                seen.append((what, db.session().in_transaction()))

        def hash(self, *args, **kwargs):
            self._note("hash")
            return self.hasher.hash(*args, **kwargs)

        def verify(self, *args, **kwargs):
            self._note("verify")
            return self.hasher.verify(*args, **kwargs)

        def check_needs_rehash(self, *args, **kwargs):
            return self.hasher.check_needs_rehash(*args, **kwargs)

    monkeypatch.setattr(passwords, "_hasher", Spy)
    return seen


def test_login_checks_the_password_with_no_transaction_open(auth, world, hashing_spy):
    auth.login("eleve_a", "wrong-password")
    auth.login("inconnu", "wrong-password")
    assert auth.login("eleve_a").status_code == 302
    # (The unknown account is checked against a dummy hash, made once per process.)
    assert [what for what, _ in hashing_spy if what == "verify"] == ["verify", "verify", "verify"]
    assert not any(open_ for _, open_ in hashing_spy), hashing_spy


def test_password_change_hashes_with_no_transaction_open(app, world, hashing_spy):
    me = Auth(app.test_client())
    me.login("eleve_a")
    hashing_spy.clear()
    response = me.post("/mot-de-passe", {"current_password": PASSWORD, "new_password": "ma-phrase-a-moi",
                                         "confirm": "ma-phrase-a-moi"}, form_page="/mot-de-passe")
    assert response.status_code == 302
    assert [what for what, _ in hashing_spy] == ["verify", "hash"]
    assert not any(open_ for _, open_ in hashing_spy), hashing_spy


def test_teacher_account_screens_hash_with_no_transaction_open(app, world, make_user, hashing_spy):
    teacher = Auth(app.test_client())
    teacher.login("prof_a")
    page = f"/admin/classes/{world.classroom_a.id}"
    hashing_spy.clear()
    assert teacher.post(f"/admin/utilisateurs/{world.trainee_a.id}/mot-de-passe", form_page=page).status_code == 200
    response = teacher.post(f"/admin/classes/{world.classroom_a.id}/eleves/import",
                            {"text": "Martin;Léa\nLe Gall;Élodie\nDurand;Paul"},
                            form_page=f"/admin/classes/{world.classroom_a.id}/eleves/import")
    assert response.status_code == 200
    make_user(Role.ADMIN, "admin")
    db.session.commit()
    admin = Auth(app.test_client())
    admin.login("admin")
    hashing_spy.clear()
    response = admin.post("/admin/professeurs", {"username": "durand", "display_name": "M. Durand"},
                          form_page="/admin/professeurs")
    assert response.status_code == 200
    assert [what for what, _ in hashing_spy] == ["hash"]
    assert not any(open_ for _, open_ in hashing_spy), hashing_spy


# --- real connections: a page is served while another request writes ----------

@pytest.fixture
def committed_trainee(app):
    """A classroom, a firm and a trainee committed for real (for tests with threads); removed after."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        classroom = Classroom(name=f"Verrous {tag}", school_year="2026-2027")
        firm = Firm(classroom=classroom, trade_name=f"Lecture {tag}")
        user = User(username=f"lect_{tag}", display_name="Élève lecteur", role=Role.TRAINEE.value,
                    password_hash=hash_password(PASSWORD), classroom=classroom)
        db.session.add_all([classroom, firm, user, Membership(user=user, firm=firm, position="commercial")])
        db.session.flush()
        db.session.add(Product(firm_id=firm.id, reference="SCAN-1", label="Article scanné", stock_tracked=False,
                               purchase_price=D("1.00"), sale_price=D("2.50"), vat_rate=D("20")))
        db.session.commit()
        ids = (classroom.id, firm.id, user.id, user.username)
    yield ids
    with app.app_context():
        classroom_id, firm_id, user_id, username = ids
        db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
        db.session.execute(delete(Membership).where(Membership.firm_id == firm_id))
        db.session.execute(delete(Product).where(Product.firm_id == firm_id))
        db.session.execute(delete(User).where(User.id == user_id))
        db.session.execute(delete(Firm).where(Firm.id == firm_id))
        db.session.execute(delete(Classroom).where(Classroom.id == classroom_id))
        db.session.commit()


@contextmanager
def write_lock_held_elsewhere(app, username):
    """Another connection in a writing transaction (on SQLite: holding the write lock) meanwhile."""
    locked, release, errors = threading.Event(), threading.Event(), []

    def writer():
        try:
            with app.app_context():  # a writing transaction, kept open (BEGIN IMMEDIATE on SQLite)
                db.session.add(LoginFailure(username=f"w_{username}", ip_address="10.9.9.9"))
                db.session.flush()
                locked.set()
                release.wait(30)
                db.session.rollback()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
            locked.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert locked.wait(10)
        began = time.monotonic()
        yield
        # Served during the write, not after it (a writer would wait up to the 30 s busy timeout).
        assert thread.is_alive() and time.monotonic() - began < 25, "the request waited for the writer"
    finally:
        release.set()
        thread.join(30)
    assert errors == []


@pytest.mark.real_commits
def test_pages_are_served_while_another_request_holds_the_write_lock(app, committed_trainee):
    _, _, _, username = committed_trainee
    browser = Auth(app.test_client())
    assert browser.login(username).status_code == 302
    with write_lock_held_elsewhere(app, username):
        pages = [browser.client.get(path) for path in ("/", "/clients/", "/ventes/", "/stocks/")]
    assert [page.status_code for page in pages] == [200] * 4


@pytest.mark.real_commits
def test_scanning_at_the_till_takes_no_write_lock(app, committed_trainee):
    """Scanning only reads: the till answers while someone else writes."""
    _, _, _, username = committed_trainee
    browser = Auth(app.test_client())
    assert browser.login(username).status_code == 302
    with write_lock_held_elsewhere(app, username):
        scanned = browser.post("/ventes/caisse/", {"reference": "SCAN-1", "quantity": "2", "party_id": "0",
                                                   "action": "add"}, form_page="/ventes/caisse/")
    assert scanned.status_code == 200
    assert 'name="line_quantity" value="2' in scanned.get_data(as_text=True)
    # (Validating the sale then writes: tests/ventes/test_caisse.py goes through it.)


@pytest.mark.real_commits
def test_a_login_storm_all_get_in(app, committed_trainee):
    """Twelve browsers log in at the same instant as one account: no 500, no lock error."""
    _, _, _, username = committed_trainee
    browsers = [Auth(app.test_client()) for _ in range(12)]
    tokens = []
    from tests.conftest import csrf_token

    for browser in browsers:
        tokens.append(csrf_token(browser.client))
    barrier, statuses = threading.Barrier(len(browsers)), []

    def login(browser, token):
        barrier.wait(10)
        response = browser.client.post("/connexion", data={"username": username, "password": PASSWORD,
                                                           "csrf_token": token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=login, args=pair) for pair in zip(browsers, tokens)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [302] * len(browsers)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.last_login_at is not None
