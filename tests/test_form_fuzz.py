"""No input gives a 500: every form and every query parameter of app.url_map, with hostile values.

The test walks app.url_map, so a new page, form or query parameter is covered the day it
is added:
- every GET page is opened (with ids of the firm's own objects, built by the factories of
  tests/test_isolation.py), and every POST form found in it is sent back with each of its
  fields in turn set to hostile values (huge, negative, NUL, 1e308, very long, impossible
  dates, foreign ids), the others keeping the value the page gave them;
- a POST route no page links to gets every field name seen anywhere, each hostile value;
- every GET route gets the query parameters its view reads (found in its source) with the
  same values, and every int argument of a URL gets ids beyond the database's range.
Nothing may answer 5xx (or raise). Deterministic value lists: the same run every time.
"""
from __future__ import annotations

import inspect
import os
import time
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import url_for
from werkzeug.routing import IntegerConverter

from crm.core.models import Role
from crm.extensions import db
from tests import factories
from tests.conftest import csrf_token
from tests.test_isolation import FOREIGN_IDS

HUGE_INTS = ["99999999999999999999", "9223372036854775808", "2147483648", "-2147483649"]
LONG = "x" * 140_000
# Everything at once (query strings, POST routes without a page): one request per value.
EVERYTHING = HUGE_INTS + ["-1", "1e308", "NaN", "a\x00b", LONG, "%s %(x)s {0}", "0001-01-01", "9999-12-31"]
# One field or parameter at a time: a smaller set per kind of input, enough to reach each failure
# (beyond SQLite's and PostgreSQL's integers, negative, too big a decimal, dates out of range, NUL, long).
FIELD_VALUES = {
    "number": ["99999999999999999999", "2147483648", "-1", "1e308"],
    "date": ["0001-01-01", "9999-12-31"],
    "text": ["a\x00b", LONG, "99999999999999999999"],
    "choice": ["99999999999999999999", "2147483648"],
}
# With the form's other submit buttons (the till's "Rendre la monnaie"…): the worst value of each kind.
BUTTON_VALUES = {"number": ["99999999999999999999", "1e308"], "date": ["9999-12-31"], "text": ["a\x00b"],
                 "choice": ["99999999999999999999"]}
QUERY_VALUES = ["99999999999999999999", "2147483648", "9999-12-31"]
# The query parameters a paginated list reads through the shared helpers and _pagination.html.
PAGINATION_QUERY = {"page", "endpoint", "_method"}
# POST routes that end the session or the firm: fuzzed last (their success changes the world).
DESTRUCTIVE = re.compile(r"\.(delete|remove|anonymise|reset|deactivate|logout|leave|unblock)_")
SKIPPED = {"static", "auth.logout", "core.leave_firm"}
QUERY_ARG = re.compile(r"""(?:args|request\.args)\.get(?:list)?\(\s*["'](\w+)["']|_arg\(\s*["'](\w+)["']""")


TIMES: dict[str, float] = {}


class FormParser(HTMLParser):
    """The POST forms of a page: action, fields with their values, named submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                self._form = {"action": a.get("action") or "", "fields": {}, "kinds": {}, "buttons": []}
                self.forms.append(self._form)
            else:
                self._form = None
            return
        form = self._form
        name = a.get("name")
        if form is None or not name or name == "csrf_token":
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                return
            if kind == "submit":
                form["buttons"].append((name, a.get("value") or ""))
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                form["fields"].setdefault(name, None)
            else:
                form["fields"][name] = a.get("value") or _sample(kind, a)
            form["kinds"][name] = _kind(kind, a)
        elif tag == "button" and (a.get("type") or "submit") == "submit":
            form["buttons"].append((name, a.get("value") or ""))
        elif tag == "select":
            self._select = name
            form["fields"].setdefault(name, None)
            form["kinds"][name] = "choice"
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if form["fields"].get(self._select) is None or "selected" in a:
                form["fields"][self._select] = value
        elif tag == "textarea":
            self._textarea = name
            form["fields"][name] = ""
            form["kinds"][name] = "text"

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def _kind(kind: str, attrs: dict) -> str:
    if kind == "number" or attrs.get("inputmode") in ("numeric", "decimal"):
        return "number"
    if kind == "date":
        return "date"
    if kind == "hidden":
        return "choice"
    return "text"


def _sample(kind: str, attrs: dict) -> str:
    """A sensible value for an empty input, so that the other fields pass their validation."""
    if _kind(kind, attrs) == "number":
        return "1"
    if kind == "date":
        return "2026-01-05"
    if kind == "email":
        return "a@exemple.fr"
    return "" if kind == "hidden" else "Texte"


def _query_params(app, endpoint: str) -> set[str]:
    """The query parameters the view reads: in its source, in its module's helpers, in the pagination."""
    view = inspect.unwrap(app.view_functions[endpoint])
    source = inspect.getsource(view)
    names = {a or b for a, b in QUERY_ARG.findall(source)}
    if names or "paginat" in source or "page_number" in source:
        names |= _helper_query_params(app, inspect.getmodule(view))
    if "paginat" in source or "page_number" in source:
        names |= PAGINATION_QUERY
    return names


def _helper_query_params(app, module) -> set[str]:
    """Parameters read by the module's functions that are not views (helpers shared by its views)."""
    views = {inspect.unwrap(v) for v in app.view_functions.values()}
    names = set()
    for _, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ == module.__name__ and function not in views:
            names |= {a or b for a, b in QUERY_ARG.findall(inspect.getsource(function))}
    return names


class Fuzzer:
    def __init__(self, app, client, ids):
        self.app = app
        self.client = client
        self.ids = ids
        self.failures: list[str] = []
        self.token = csrf_token(client, "/")
        self.requests = 0

    def check(self, method: str, url: str, data: dict | None = None, what: str = "") -> int | None:
        self.requests += 1
        started = time.perf_counter()
        try:
            if method == "GET":
                response = self.client.get(url)
            else:
                response = self.client.post(url, data={**(data or {}), "csrf_token": self.token})
        except Exception as error:  # noqa: BLE001 - every crash is reported, not only the first
            self.failures.append(f"{method} {url[:120]} {what}: {type(error).__name__}: {str(error)[:200]}")
            return None
        TIMES[urlsplit(url).path] = TIMES.get(urlsplit(url).path, 0) + time.perf_counter() - started
        if response.status_code >= 500:
            self.failures.append(f"{method} {url[:120]} {what}: {response.status_code}")
        return response.status_code

    def url(self, rule, **overrides) -> str | None:
        values = {}
        for arg in rule.arguments:
            if arg in overrides:
                values[arg] = overrides[arg]
            elif arg in self.ids:
                values[arg] = self.ids[arg]
            else:
                items = getattr(rule._converters.get(arg), "items", None)
                values[arg] = sorted(items)[0] if items else _text_arg(arg)
        with self.app.test_request_context():
            try:
                return url_for(rule.endpoint, **values)
            except Exception:  # noqa: BLE001 - a value the converter refuses: no such URL
                return None


def _text_arg(name: str) -> str:
    return {"day": "2026-01-05"}.get(name, "x")


def _rules(app, method: str):
    """One rule per endpoint (a view under two URLs is fuzzed once), the destructive ones last."""
    seen = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (bool(DESTRUCTIVE.search(r.endpoint)), r.rule)):
        if rule.endpoint not in SKIPPED | seen and method in (rule.methods or ()):
            seen.add(rule.endpoint)
            yield rule


@pytest.fixture
def fuzz_world(app, world):
    """Firm B full of objects of every kind, and its teacher-admin logged in, inside the firm."""
    admin = factories.make_user(Role.ADMIN, "admin_fuzz")
    ids = {name: factory(world) for name, factory in FOREIGN_IDS.items()}
    db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    client.post("/connexion", data={"username": admin.username, "password": factories.PASSWORD,
                                    "csrf_token": token})
    client.post(f"/entreprises/{world.firm_b.id}/entrer", data={"csrf_token": csrf_token(client, "/")})
    return Fuzzer(app, client, ids)


def _report(fuzzer: Fuzzer) -> None:
    if os.environ.get("FUZZ_LOG"):
        with open(os.environ["FUZZ_LOG"], "a") as log:
            log.write("\n".join(fuzzer.failures) + "\n")
            for path, spent in sorted(TIMES.items(), key=lambda kv: -kv[1])[:30]:
                log.write(f"TIME {spent:.2f} {path}\n")
    shown = "\n".join(fuzzer.failures[:40])
    assert not fuzzer.failures, f"{len(fuzzer.failures)} answers 5xx of {fuzzer.requests}:\n{shown}"


def test_url_ids_beyond_the_database_range_answer_404(app, fuzz_world):
    fuzzer = fuzz_world
    for method in ("GET", "POST"):
        for rule in _rules(app, method):
            int_args = [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]
            for arg in int_args:
                for value in (2**31, 2**63, 10**20):
                    url = fuzzer.url(rule, **{arg: value})
                    if url is None:
                        continue
                    status = fuzzer.check(method, url, {}, what=f"{arg}={value}")
                    if status is not None and status != 404:
                        fuzzer.failures.append(f"{method} {url}: {status} instead of 404")
    _report(fuzzer)


def test_text_url_arguments_survive_hostile_values(app, fuzz_world):
    """Days, tokens, names in a URL: impossible dates, NUL, very long."""
    fuzzer = fuzz_world
    for method in ("GET", "POST"):
        for rule in _rules(app, method):
            text_args = [a for a in rule.arguments if type(rule._converters[a]).__name__ == "UnicodeConverter"]
            for arg in text_args:
                for value in ("0001-01-01", "9999-12-31", "2026-02-30", "a\x00b", "x" * 5000):
                    url = fuzzer.url(rule, **{arg: value})
                    if url is not None:
                        fuzzer.check(method, url, {}, what=f"{arg}={value[:20]!r}")
    _report(fuzzer)


def test_every_query_parameter_survives_hostile_values(app, fuzz_world):
    fuzzer = fuzz_world
    for rule in _rules(app, "GET"):
        url = fuzzer.url(rule)
        if url is None:
            continue
        names = sorted(_query_params(app, rule.endpoint))
        if not names:  # reads no parameter: a stray one must not matter either
            fuzzer.check("GET", f"{url}?page={HUGE_INTS[0]}&q=a%00b", what="stray parameters")
            continue
        for value in EVERYTHING:
            query = "&".join(f"{name}={_quote(value)}" for name in names)
            fuzzer.check("GET", f"{url}?{query}", what=f"every parameter={value[:20]!r}")
        for name in names:
            for value in QUERY_VALUES:
                fuzzer.check("GET", f"{url}?{name}={_quote(value)}", what=f"{name}={value[:20]!r}")
    _report(fuzzer)


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def test_every_post_form_survives_hostile_values(app, fuzz_world):
    fuzzer = fuzz_world
    forms: dict[tuple, dict] = {}
    for rule in _rules(app, "GET"):
        url = fuzzer.url(rule)
        if url is None or "." in url.rsplit("/", 1)[-1]:
            continue  # files (PDF, CSV, JSON…) hold no form
        response = fuzzer.client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = FormParser()
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"] or url
            key = (urlsplit(action).path, tuple(sorted(form["fields"])), tuple(form["buttons"][:1]))
            forms.setdefault(key, form | {"action": action})
    posted = set()
    ordered = sorted(forms.values(), key=lambda f: bool(_destructive_path(app, f["action"])))
    for form in ordered:
        posted.add(_endpoint(app, form["action"]))
        base = {k: v for k, v in form["fields"].items() if v is not None}
        variants = form["buttons"][:4] or [None]
        for index, button in enumerate(variants):
            data = dict(base)
            if button is not None:
                data[button[0]] = button[1]
            values = FIELD_VALUES if index == 0 else BUTTON_VALUES
            for name, kind in form["kinds"].items():
                for value in values[kind]:
                    fuzzer.check("POST", form["action"], {**data, name: value}, what=f"{name}={value[:20]!r}")
    # POST routes no page shows a form for: every field name seen, each hostile value at once.
    names = sorted({name for form in forms.values() for name in form["fields"]})
    for rule in _rules(app, "POST"):
        if rule.endpoint in posted:
            continue
        url = fuzzer.url(rule)
        if url is None:
            continue
        for value in EVERYTHING:
            fuzzer.check("POST", url, {name: value for name in names}, what=f"every field={value[:20]!r}")
    assert len(forms) >= 40, f"only {len(forms)} forms found: is the login or the firm choice broken?"
    _report(fuzzer)


def _endpoint(app, action: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    parts = urlsplit(action)
    try:
        endpoint, _ = adapter.match(parts.path, method="POST", query_args=dict(parse_qsl(parts.query)))
    except Exception:  # noqa: BLE001 - an action outside the app
        return None
    return endpoint


def _destructive_path(app, action: str) -> bool:
    endpoint = _endpoint(app, action)
    return bool(endpoint and DESTRUCTIVE.search(endpoint))
