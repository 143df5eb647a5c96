"""A class on one server: N trainees log in within a few seconds, then browse and write.

Run by `make bench` (not a test: it prints figures, the targets are in the README):

    .venv/bin/python -m benchmarks.load                  # SQLite, against `make run`
    BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/crm_bench \\
        .venv/bin/python -m benchmarks.load postgresql   # PostgreSQL, against `make serve`

The server is the real one, started as a subprocess with `make run` (gunicorn,
threads, SQLite in a temporary instance) or `make serve` (gunicorn workers,
PostgreSQL), on its own port; BENCH_POSTGRES_URL's database is emptied first.
Each simulated trainee has its own session (cookie) and keep-alive connection,
logs in through the real form (CSRF token, argon2 at production cost), then
loops over the pages of a lesson: home, party list and search, a party's page,
quote list and a quote, stock, and now and then saves a quote and makes a till
sale. Settings (environment): BENCH_USERS (60), BENCH_SECONDS (60), BENCH_RAMP
(5, seconds over which users log in), BENCH_THINK (0.5-2, seconds between two
clicks), BENCH_PORT (5111), BENCH_WRITE_EVERY (4: one write every N loops).
"""
from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "banc-d-essai-2026"
FIRMS = 10


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass
class Settings:
    users: int = int(os.environ.get("BENCH_USERS", 60))
    seconds: float = _env_float("BENCH_SECONDS", 60)
    ramp: float = _env_float("BENCH_RAMP", 5)
    think: tuple[float, float] = tuple(float(x) for x in os.environ.get("BENCH_THINK", "0.5-2").split("-"))
    port: int = int(os.environ.get("BENCH_PORT", 5111))
    write_every: int = int(os.environ.get("BENCH_WRITE_EVERY", 4))


# --- the data a class works on ----------------------------------------------------

def seed(database_url: str, users: int) -> None:
    """Migrate, then create FIRMS firms with parties, products in stock and draft quotes, and the trainees."""
    env = _server_env(database_url)
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "crm", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    code = f"""
import os
from datetime import date
from decimal import Decimal as D
from crm import create_app
from crm.admin import services as admin
from crm.clients.services import create_party
from crm.core.models import Classroom, Membership, Role, User
from crm.core.passwords import hash_password
from crm.extensions import db
from crm.stocks.services import move_stock
from crm.ventes.documents.models import Quote, SalesLine
from crm.ventes.models import Product

app = create_app()
with app.app_context():
    password_hash = hash_password({PASSWORD!r})
    classroom = Classroom(name="Banc d'essai", school_year="2026-2027")
    db.session.add(classroom)
    firms = []
    for f in range({FIRMS}):
        firm = admin.create_firm(classroom, {{"trade_name": f"Entreprise {{f + 1}}"}})
        firms.append(firm)
        parties = [create_party(firm, None, {{"kind": "client", "category": "private", "last_name": f"Client{{n}}",
                                              "first_name": "Léa", "city": "Paris", "postcode": "75011"}},
                                journal=False) for n in range(40)]
        for n in range(20):
            product = Product(firm_id=firm.id, reference=f"ART-{{n:03d}}", label=f"Article {{n}}",
                              purchase_price=D("6.00"), sale_price=D("10.00"), vat_rate=D("20"))
            db.session.add(product)
            db.session.flush()
            move_stock(firm, None, product, 100000, "reception", D("6.00"))
        for n in range(5):
            quote = Quote(firm_id=firm.id, party=parties[n], issue_date=date.today(), status="draft")
            quote.lines.append(SalesLine(firm_id=firm.id, position=1, description="Article 1",
                                         quantity=D("2"), unit_price=D("10.00"), vat_rate=D("20"), net=D("20.00")))
            db.session.add(quote)
    for n in range({users}):
        user = User(username=f"banc{{n:02d}}", display_name=f"Élève {{n}}", role=Role.TRAINEE.value,
                    password_hash=password_hash, classroom=classroom)
        db.session.add(user)
        db.session.add(Membership(user=user, firm=firms[n % {FIRMS}], position="commercial"))
    db.session.commit()
"""
    subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code], cwd=ROOT, env=env, check=True)


def _server_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "MAKE", "MFLAGS"))}
    env.update(CRM_DATABASE_URL=database_url, CRM_SECRET_KEY="banc-d-essai", CRM_DEMO_PASSWORD=PASSWORD)
    return env


def reset_postgres(url: str) -> None:
    code = ("import sys, sqlalchemy as sa\n"
            "from crm.config import database_url\n"
            "engine = sa.create_engine(database_url(sys.argv[1], None))\n"
            "with engine.begin() as c:\n"
            "    c.exec_driver_sql('DROP SCHEMA public CASCADE'); c.exec_driver_sql('CREATE SCHEMA public')\n")
    subprocess.run([str(ROOT / ".venv/bin/python"), "-c", code, url], cwd=ROOT, check=True)


# --- the server -------------------------------------------------------------------

class Server:
    """`make run` or `make serve` in its own process group, stopped at the end."""

    def __init__(self, target: str, database_url: str, port: int, log: Path):
        self.args = ["make", "--no-print-directory", target, f"PORT={port}", "HOST=127.0.0.1"]
        self.env = _server_env(database_url)
        self.port, self.log = port, log

    def __enter__(self):
        self.log_file = self.log.open("w")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: see {self.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/sante")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"the server did not answer within 120 s: see {self.log}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (gunicorn master and workers), from /proc."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:  # process group: the server's session
                total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log_file.close()


# --- a browser --------------------------------------------------------------------

class FormParser(HTMLParser):
    """The fields of the forms of a page, with the values a browser would send by default."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox", "radio", "button"):
            self.fields.setdefault(name, a.get("value") or "")
        elif tag == "textarea" and name:
            self.fields.setdefault(name, "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.fields[self._select] = value

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.fields.setdefault(self._select, self._first_option or "")
            self._select = None


def options(html: str, select_name: str) -> list[str]:
    """The non-empty option values of a select."""
    block = re.search(rf'<select[^>]*name="{re.escape(select_name)}"[^>]*>(.*?)</select>', html, re.S)
    return [v for v in re.findall(r'<option[^>]*value="([^"]*)"', block.group(1)) if v and v != "0"] if block else []


class Unexpected(Exception):
    pass


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""
    what: str = ""  # "GET /clients/{id}": the page, ids and query strings left out


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class Browser:
    """One trainee: a cookie, a keep-alive connection, timed requests."""

    def __init__(self, port: int, results: Results):
        self.port, self.results = port, results
        self.cookie = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, kind: str, method: str, path: str, data: dict | list | None = None,
                expect: tuple[int, ...] = (200,)) -> tuple[int, str, str]:
        body = urlencode(data, doseq=True) if data is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        try:
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: a browser reconnects too.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except Exception as error:  # noqa: BLE001 - every failure is counted as an error
            self.results.add(Sample(kind, time.perf_counter() - began, False, f"{method} {path}: {error!r}"))
            raise Unexpected(str(error)) from None
        elapsed = time.perf_counter() - began
        what = f"{method} " + re.sub(r"/\d+", "/{id}", path.split("?")[0]) + ("?…" if "?" in path else "")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        ok = response.status in expect
        self.results.add(Sample(kind, elapsed, ok, "" if ok else f"{method} {path}: {response.status}", what))
        if not ok:
            raise Unexpected(f"{method} {path}: {response.status}")
        return response.status, text, response.getheader("Location") or ""

    def get(self, path: str, kind: str = "page") -> str:
        return self.request(kind, "GET", path)[1]

    def post_form(self, page: str, action: str, overrides: dict, kind: str, expect=(302, 303)) -> str:
        html = self.get(page)
        parser = FormParser()
        parser.feed(html)
        data = {**parser.fields, **overrides}
        return self.request(kind, "POST", action, data, expect)[2]


# --- a trainee's lesson -------------------------------------------------------------

def trainee(n: int, settings: Settings, results: Results, start_at: float, stop_at: float,
            logged_in: list[float]) -> None:
    rng = random.Random(n)
    browser = Browser(settings.port, results)
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        browser.post_form("/connexion", "/connexion", {"username": f"banc{n:02d}", "password": PASSWORD},
                          "login")
        logged_in.append(time.monotonic())
        loops = 0
        while time.monotonic() < stop_at:
            loops += 1
            _one_loop(browser, rng, settings, stop_at, write=loops % settings.write_every == n % settings.write_every)
    except Unexpected:
        return  # counted; this trainee stops, as a trainee facing an error page would
    finally:
        browser.connection.close()


def _one_loop(browser: Browser, rng: random.Random, settings: Settings, stop_at: float, write: bool) -> None:
    def think():
        time.sleep(rng.uniform(*settings.think))

    browser.get("/")
    think()
    parties = re.findall(r'href="/clients/(\d+)"', browser.get("/clients/"))
    think()
    browser.get("/clients/?" + urlencode({"q": rng.choice(["client1", "paris", "léa", "client3"])}))
    think()
    party_id = rng.choice(parties) if parties else None
    if party_id:
        browser.get(f"/clients/{party_id}")
        think()
    documents = re.findall(r'href="/ventes/documents/(\d+)"', browser.get("/ventes/devis/"))
    think()
    if documents:
        browser.get(f"/ventes/documents/{rng.choice(documents)}")
        think()
    browser.get("/stocks/")
    think()
    if not write or time.monotonic() >= stop_at:
        return
    _save_quote(browser, rng, party_id)
    think()
    _till_sale(browser, rng)
    think()


def _save_quote(browser: Browser, rng: random.Random, party_id: str | None) -> None:
    page = "/ventes/devis/nouveau" + (f"?tiers={party_id}" if party_id else "")
    html = browser.get(page)
    parser = FormParser()
    parser.feed(html)
    products = options(html, "lines-0-product_id")
    data = {**parser.fields, "lines-0-product_id": rng.choice(products), "lines-0-quantity": "2"}
    if party_id:
        data["party_id"] = party_id
    location = browser.request("write", "POST", "/ventes/devis/nouveau", data, (302, 303))[2]
    browser.get(location)


def _till_sale(browser: Browser, rng: random.Random) -> None:
    """As at the counter: scan a reference (the ticket comes back), then validate, paid in cash."""
    html = browser.get("/ventes/caisse/")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    references = re.findall(r'<option value="(ART-\d+)"', html)
    if not references:
        raise Unexpected("no product on the till page")
    scanned = {"csrf_token": token, "reference": rng.choice(references), "quantity": "1", "party_id": "0",
               "action": "add"}
    html = browser.request("write", "POST", "/ventes/caisse/", scanned)[1]
    ticket = {"csrf_token": token, "party_id": "0", "especes": "50", "action": "validate",
              "line_product": re.findall(r'name="line_product" value="(\d+)"', html),
              "line_quantity": re.findall(r'name="line_quantity" value="([^"]+)"', html)}
    location = browser.request("write", "POST", "/ventes/caisse/", ticket, (302, 303))[2]
    browser.get(location)


# --- the run and its report ------------------------------------------------------------

def run(settings: Settings) -> Results:
    results, logged_in = Results(), []
    began = time.monotonic() + 0.5
    stop_at = began + settings.ramp + settings.seconds
    threads = [
        threading.Thread(target=trainee, args=(n, settings, results, began + settings.ramp * n / settings.users,
                                               stop_at, logged_in), daemon=True)
        for n in range(settings.users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(settings.ramp + settings.seconds + 120)
    results.wall = time.monotonic() - began
    results.last_login = (max(logged_in) - began) if logged_in else float("nan")
    results.logged_in = len(logged_in)
    return results


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def report(title: str, settings: Settings, results: Results) -> bool:
    samples = results.samples
    print(f"\n{title}: {settings.users} élèves, connexions étalées sur {settings.ramp:g} s, "
          f"puis {settings.seconds:g} s de travail (pause {settings.think[0]:g}–{settings.think[1]:g} s entre deux clics)")
    print(f"  connectés : {results.logged_in}/{settings.users}, dernier connecté à {results.last_login:.1f} s")
    header = f"  {'requêtes':<22}{'nombre':>8}{'erreurs':>9}{'médiane':>10}{'p95':>10}{'max':>10}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for kind, label in (("login", "connexion (POST)"), ("page", "pages (GET)"), ("write", "écritures (POST)"),
                        (None, "toutes")):
        chosen = [s for s in samples if kind is None or s.kind == kind]
        times = [s.seconds * 1000 for s in chosen]
        errors = sum(not s.ok for s in chosen)
        print(f"  {label:<22}{len(chosen):>8}{errors:>9}{_percentile(times, 50):>8.0f} ms"
              f"{_percentile(times, 95):>7.0f} ms{max(times, default=float('nan')):>7.0f} ms")
    by_page: dict[str, list[float]] = {}
    for sample in samples:
        by_page.setdefault(sample.what, []).append(sample.seconds * 1000)
    slowest = sorted(by_page.items(), key=lambda item: -_percentile(item[1], 95))[:6]
    print("  les plus lentes (p95) : " + ", ".join(f"{what} {_percentile(times, 95):.0f} ms"
                                                    for what, times in slowest))
    errors = [s for s in samples if not s.ok]
    print(f"  débit : {len(samples) / results.wall:.1f} requêtes/s sur {results.wall:.0f} s ; "
          f"temps de calcul du serveur : {results.server_cpu:.1f} s, soit {results.server_cpu / results.wall:.2f} "
          f"cœur en moyenne et {1000 * results.server_cpu / max(len(samples), 1):.0f} ms par requête "
          f"(mesure peu sensible à la charge de la machine, contrairement aux temps de réponse)")
    for sample in errors[:10]:
        print(f"  ERREUR {sample.detail}")
    return not errors and results.logged_in == settings.users


def main(argv: list[str]) -> int:
    settings = Settings()
    backend = argv[1] if len(argv) > 1 else "sqlite"
    workdir = Path(tempfile.mkdtemp(prefix="comptoir-bench-"))
    try:
        if backend == "sqlite":
            url, target, title = f"sqlite:///{workdir / 'crm.sqlite3'}", "run", "SQLite, make run"
        elif backend == "postgresql":
            url = os.environ.get("BENCH_POSTGRES_URL")
            if not url:
                print("PostgreSQL : définissez BENCH_POSTGRES_URL (base vidée par le banc d'essai).")
                return 0
            reset_postgres(url)
            target, title = "serve", "PostgreSQL, make serve"
        else:
            raise SystemExit("usage: python -m benchmarks.load [sqlite|postgresql]")
        print(f"Préparation ({title}) : {settings.users} comptes, {FIRMS} entreprises…", flush=True)
        seed(url, settings.users)
        with Server(target, url, settings.port, workdir / "server.log") as server:
            cpu_before = server.cpu_seconds()
            results = run(settings)
            results.server_cpu = server.cpu_seconds() - cpu_before
        ok = report(title, settings, results)
    except BaseException:
        print(f"(journal du serveur et base gardés dans {workdir})")
        raise
    if not ok:
        print(f"(journal du serveur et base gardés dans {workdir})")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
