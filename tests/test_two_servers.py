"""Beyond one server: two gunicorn instances on one PostgreSQL database, used at the same moment.

The application keeps no state in a process (signed cookie sessions checked
against the database, numbering counters, the till's chain head and stock in the
database), so several app servers can stand behind one reverse proxy. This test
starts two servers the way `make serve` does (gunicorn, `crm:create_app()`, the
same CRM_SECRET_KEY), on two ports of loopback, against the test database, and
has trainees validate invoices and ring up till sales on both at once, each
trainee going from one server to the other between actions. Afterwards: invoice
numbers without gap or duplicate, till receipts chained without gap and the
chain intact, one stock move per sale and the stock equal to the ledger.

Runs only on PostgreSQL (CRM_TEST_DATABASE_URL), as CI does; SQLite is one file
on one machine, for one server.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal as D
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, make_url, select

from crm import create_app

from crm.clients.services import create_party
from crm.core.models import Classroom, Firm, Membership, Role, User
from crm.core.passwords import hash_password
from crm.extensions import db
from crm.stocks.models import StockMove
from crm.ventes.caisse import services as till
from crm.ventes.caisse.models import CounterSale
from crm.ventes.documents.models import DocumentFile, Invoice, SalesLine
from crm.ventes.models import Product
from tests.conftest import TEST_CONFIG
from tests.factories import firm_today

PORTS = range(5130, 5140)  # the ports given to this work; the first two free ones are used
TRAINEES, INVOICES_EACH, SALES_EACH = 4, 3, 3
PASSWORD = "deux-serveurs-2026"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(not os.environ.get("CRM_TEST_DATABASE_URL", "").startswith("postgres"),
                       reason="several app servers share a PostgreSQL database (CRM_TEST_DATABASE_URL)"),
]


def _free_ports(count: int) -> list[int]:
    ports = []
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                ports.append(port)
        if len(ports) == count:
            return ports
    pytest.skip(f"no {count} free ports among {PORTS.start}-{PORTS.stop - 1}")


def _start_server(port: int, database_url: str, log: Path) -> subprocess.Popen:
    """gunicorn as `make serve` runs it (2 workers each here), on loopback."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_SECRET_KEY": "shared-secret-of-the-servers"}
    return subprocess.Popen(
        [str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
         "--config", "python:crm.serving", "crm:create_app()"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        cwd=Path(__file__).resolve().parents[1],
    )


def _wait_ready(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server of {base} stopped:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/sante", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"{base} did not answer within 60 s:\n{log.read_text()[-3000:]}")


class Browser:
    """A trainee's browser: one cookie jar (the session) used on both servers in turn."""

    def __init__(self, bases: list[str]):
        self.bases = bases
        self.turn = 0
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def base(self) -> str:
        self.turn += 1
        return self.bases[self.turn % len(self.bases)]

    def get(self, base: str, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(base + path))

    def post(self, base: str, path: str, form_page: str, data: dict | list) -> tuple[int, str]:
        status, html = self.get(base, form_page)
        assert status == 200, f"{form_page}: {status}"
        token = CSRF.search(html).group(1)
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        body = urllib.parse.urlencode(pairs + [("csrf_token", token)]).encode()
        return self._open(urllib.request.Request(base + path, data=body, method="POST"))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302/303 is the answer itself (post-redirect-get)


def _world(app, tag: str):
    """A firm with trainees, a client, stock and draft invoices, committed for the servers to see."""
    with app.app_context():
        classroom = Classroom(name=f"Deux serveurs {tag}", school_year="2026-2027")
        firm = Firm(classroom=classroom, trade_name=f"Deux serveurs {tag}")
        db.session.add(firm)
        users = []
        for n in range(TRAINEES):
            user = User(username=f"srv_{tag}_{n}", display_name=f"Élève {n}", role=Role.TRAINEE.value,
                        password_hash=hash_password(PASSWORD))
            db.session.add(user)
            db.session.add(Membership(user=user, firm=firm, position="commercial"))
            users.append(user)
        db.session.flush()
        client = create_party(firm, None, {"kind": "client", "category": "private", "last_name": "Client"},
                              journal=False)
        product = Product(firm_id=firm.id, reference="CHA-1", label="Chaise", sale_price=D("45"),
                          vat_rate=D("20"), stock_tracked=True)
        db.session.add(product)
        db.session.flush()
        from crm.stocks.services import move_stock

        move_stock(firm, None, product, 500, "reception", unit_cost=D("20"), source="stock initial")
        invoices = {}
        for n, user in enumerate(users):
            invoices[user.username] = []
            for k in range(INVOICES_EACH):
                invoice = Invoice(firm_id=firm.id, party=client, issue_date=firm_today(), status="draft",
                                  created_by_id=user.id)
                invoice.lines.append(SalesLine(firm_id=firm.id, position=1, description=f"Prestation {n}-{k}",
                                               quantity=D("1"), unit_price=D("100.00"), vat_rate=D("20"),
                                               net=D("100.00")))
                db.session.add(invoice)
                db.session.flush()
                invoices[user.username].append(invoice.id)
        db.session.commit()
        return firm.id, product.id, [u.username for u in users], invoices


def _trainee(bases, username, invoice_ids, product_id, barrier, errors):
    try:
        browser = Browser(bases)
        status, _ = browser.post(browser.base(), "/connexion", "/connexion",
                                 {"username": username, "password": PASSWORD})
        assert status == 302, f"login of {username}: {status}"
        barrier.wait(timeout=120)
        for step in range(max(len(invoice_ids), SALES_EACH)):
            if step < len(invoice_ids):
                base = browser.base()
                status, body = browser.post(base, f"/ventes/documents/{invoice_ids[step]}/valider",
                                            f"/ventes/documents/{invoice_ids[step]}", {})
                assert status == 302, f"{base}: validation of {invoice_ids[step]} answered {status}"
            if step < SALES_EACH:
                base = browser.base()
                status, body = browser.post(base, "/ventes/caisse/", "/ventes/caisse/", [
                    ("line_product", str(product_id)), ("line_quantity", "2"), ("cash", "200"),
                    ("action", "validate"), ("reference", ""), ("quantity", "1")])
                assert status == 302, f"{base}: till sale answered {status}: {body[-500:]}"
    except BaseException as error:  # noqa: BLE001 - reported by the main thread
        errors.append(error)


@pytest.fixture
def own_database(database_url_for_tests):
    """A database of its own beside the test database, migrated, dropped at the end.

    Validated documents and till receipts can never be deleted (freeze triggers):
    in the shared test database they would show in the other tests' counts.
    """
    base = make_url(database_url_for_tests)
    name = f"{base.database}_two_servers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            upgrade()
        yield app, url
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_two_app_servers_share_one_database(own_database, tmp_path):
    app, database_url = own_database
    tag = uuid.uuid4().hex[:8]
    firm_id, product_id, usernames, invoices = _world(app, tag)
    ports = _free_ports(2)
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    servers = []
    try:
        for port in ports:
            log = tmp_path / f"gunicorn-{port}.log"
            servers.append((_start_server(port, database_url, log), log))
        for base, (server, log) in zip(bases, servers, strict=False):
            _wait_ready(base, server, log)

        errors: list[BaseException] = []
        barrier = threading.Barrier(len(usernames))
        threads = [threading.Thread(target=_trainee, args=(bases[n % 2:] + bases[:n % 2], name, invoices[name],
                                                           product_id, barrier, errors))
                   for n, name in enumerate(usernames)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
    finally:
        for server, _ in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server, _ in servers:
            server.wait(timeout=30)
    for _, log in servers:  # both servers took validations and sales (their access logs say so)
        text = log.read_text()
        assert '"POST /ventes/caisse/ HTTP/1.1" 302' in text and "/valider HTTP/1.1\" 302" in text

    with app.app_context():
        firm = db.session.get(Firm, firm_id)
        numbers = db.session.scalars(select(Invoice.number).where(Invoice.firm_id == firm_id)).all()
        sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
        assert sequences == list(range(1, TRAINEES * INVOICES_EACH + 1))  # every one, no gap, no duplicate
        stored = db.session.scalar(select(func.count()).select_from(DocumentFile)
                                   .where(DocumentFile.firm_id == firm_id))
        assert stored == TRAINEES * INVOICES_EACH  # each printed once, by whichever server validated it

        sales = db.session.scalars(select(CounterSale).where(CounterSale.firm_id == firm_id)).all()
        assert sorted(s.sequence for s in sales) == list(range(1, TRAINEES * SALES_EACH + 1))
        assert len({s.number for s in sales}) == len(sales)
        assert till.verify(firm).intact

        moves = db.session.scalars(select(StockMove).where(StockMove.firm_id == firm_id,
                                                           StockMove.kind == "counter_sale")).all()
        assert len(moves) == len(sales) and all(m.quantity == -2 for m in moves)  # no lost stock move
        assert sorted(m.on_hand_after for m in moves) == list(range(500 - 2 * len(sales), 500, 2))
        product = db.session.get(Product, product_id)
        db.session.refresh(product)
        assert product.on_hand == 500 - 2 * len(sales)
