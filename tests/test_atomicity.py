"""A request is all or nothing: for every write endpoint, a refusal keeps no row it flushed.

The test walks app.url_map like tests/test_isolation.py, so a new endpoint is covered the
day it is added. Every service function of the application is replaced by one that
flushes a row, then refuses (DomainError). Each POST endpoint is then posted, as a
trainee and as a teacher, with the values its own form carries (ids of firm A objects,
built by the firm-B factories of the isolation test pointed at firm A). The answer must
be a refusal (4xx, or a redirect that flashes the message), and no row of any table may
have changed.
"""
from __future__ import annotations

import hashlib
import html
import importlib
import inspect
import pkgutil
import re
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import select

import crm
from crm.core import database
from crm.core.errors import DomainError
from crm.extensions import db
from crm.ventes.models import ProductFamily
from tests.conftest import Auth, csrf_token
from tests.test_isolation import FOREIGN_IDS, ID_ARG

MESSAGE = "Refus simulé par le test d'atomicité."
# Modules holding the rules (services); views call them. Matched on the module's last name.
SERVICE_MODULE_NAMES = {"services", "purchasing", "catalogue", "catalogue_csv", "csv_io", "firm_settings",
                        "access", "class_list", "demo", "printing", "messaging", "reminders", "letters",
                        "calendar", "events", "follow_up", "loader", "export"}
# Endpoints that write on purpose whatever happens, with the reason.
NOT_ATOMIC_ON_PURPOSE = {
    "auth.login": "a failed login is committed on purpose (throttling counts the attempts)",
}


def _service_functions():
    """(module, name, function) for every public function defined in a service module of crm."""
    for info in pkgutil.walk_packages(crm.__path__, "crm."):
        if info.name.rsplit(".", 1)[-1] not in SERVICE_MODULE_NAMES:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_"):
                yield module, name, value


def _view_modules():
    for info in pkgutil.walk_packages(crm.__path__, "crm."):
        if info.name.rsplit(".", 1)[-1].endswith("views") or info.name.endswith(".web"):
            yield importlib.import_module(info.name)


@pytest.fixture
def refusing_services(monkeypatch, world):
    """Every service function flushes a row of firm A, then refuses; the calls are recorded."""
    calls: list[str] = []
    firm_id = world.firm_a.id

    def refusing(name):
        def fake(*args, **kwargs):
            calls.append(name)
            if database.current_kind() is database.Transactions.WRITE:  # a reads_first view's first phase only reads
                firm = g.get("firm")
                db.session.add(ProductFamily(firm_id=firm.id if firm is not None else firm_id,
                                             name=f"Écrit avant le refus ({name})"[:80]))
                db.session.flush()
            raise DomainError(MESSAGE)
        return fake

    originals = {}
    for module, name, function in _service_functions():
        originals[function] = refusing(f"{module.__name__}.{name}")
    # Read-only helpers pages need to render the form again stay real.
    keep = {"get_firm_settings", "remember_settings", "next_event_on", "families_with_counts",
            "totals_of", "next_steps", "source_lines", "quantity_limits", "balance_due",
            "credited_amount", "paid_amount", "credit_notes_of", "is_derived", "order_totals", "minimum_shortfall",
            "terms_of", "accepted_by_line", "remaining_by_line", "receipt_discrepancies", "document_context",
            "template_of", "ticket_totals", "is_closed", "short_of_stock", "open_day_totals", "firm_or_404",
            "account_statement", "documents_of_party", "alerts_with_orders", "on_order", "stock_alert_count",
            "stock_alerts", "allows_negative_stock", "returnable_by_line", "returned_by_line",
            "credit_notes_of_returns", "return_credit_status", "returns_to_credit", "invoices_to_deduct_from"}

    def patch():
        for module, name, function in _service_functions():
            if name not in keep:
                monkeypatch.setattr(module, name, originals[function])
        for view_module in _view_modules():
            for name, value in list(vars(view_module).items()):
                if inspect.isfunction(value) and value in originals and name not in keep:
                    monkeypatch.setattr(view_module, name, originals[value])

    return SimpleNamespace(calls=calls, patch=patch, undo=monkeypatch.undo)


def _state() -> dict[str, str]:
    """A fingerprint of every row of every table."""
    db.session.expire_all()
    fingerprint = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        fingerprint[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return fingerprint


_FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S | re.I)
_ACTION = re.compile(r'action="([^"]*)"')
_INPUT = re.compile(r"<input\b([^>]*)>", re.I)
_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
_TEXTAREA = re.compile(r"<textarea\b([^>]*)>(.*?)</textarea>", re.S | re.I)
_OPTION = re.compile(r"<option\b([^>]*)>", re.I)


def _attr(attributes: str, name: str) -> str | None:
    match = re.search(rf'\b{name}="([^"]*)"', attributes)
    return html.unescape(match.group(1)) if match else None


def _form_values(page: str, url: str) -> dict:
    """What the page's form posting to `url` carries as is (defaults, hidden fields, chosen options)."""
    for match in _FORM.finditer(page):
        opening = page[match.start():page.index(">", match.start()) + 1]
        action = _attr(opening, "action") or ""
        if action not in ("", url) or 'method="post"' not in opening.lower():
            continue
        body = match.group(1)
        data: dict = {}
        for attributes in _INPUT.findall(body):
            name, kind = _attr(attributes, "name"), (_attr(attributes, "type") or "text").lower()
            if not name or kind in ("submit", "button", "file"):
                continue
            if kind in ("checkbox", "radio") and " checked" not in attributes:
                continue
            data.setdefault(name, _attr(attributes, "value") or "")
        for attributes, options in _SELECT.findall(body):
            values = [(_attr(o, "value") or "", " selected" in o) for o in _OPTION.findall(options)]
            chosen = [v for v, selected in values if selected] or [v for v, _ in values if v]
            if _attr(attributes, "name") and chosen:
                data[_attr(attributes, "name")] = chosen[0]
        for attributes, text in _TEXTAREA.findall(body):
            if _attr(attributes, "name"):
                data[_attr(attributes, "name")] = html.unescape(text)
        return data
    return {}


def _own_objects(world):
    """The factories of the isolation test, pointed at firm A (the user's own firm)."""
    own = SimpleNamespace(firm_b=world.firm_a, classroom_b=world.classroom_a, trainee_b=world.trainee_a,
                          membership_b=world.membership_a, teacher_b=world.teacher_a)
    return {name: factory(own) for name, factory in FOREIGN_IDS.items()}


def _write_rules(app):
    """Every POST rule; leaving the firm and logging out come last (the walk needs both)."""
    rules = [rule for rule in app.url_map.iter_rules()
             if "POST" in (rule.methods or ()) and rule.endpoint not in NOT_ATOMIC_ON_PURPOSE]
    return sorted(rules, key=lambda rule: rule.endpoint in ("core.leave_firm", "auth.logout"))


def _url(app, rule, objects) -> str:
    from flask import url_for

    values = {a: objects[a] for a in rule.arguments if ID_ARG.match(a)}
    for a in rule.arguments:
        items = getattr(rule._converters.get(a), "items", None)
        values.setdefault(a, sorted(items)[0] if items else "2026-01-05")
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


@pytest.mark.parametrize("who", ["trainee", "teacher"])
def test_a_refused_write_keeps_nothing_on_every_endpoint(app, world, refusing_services, who):
    browser = Auth(app.test_client())
    browser.login("eleve_a" if who == "trainee" else "prof_a")
    if who == "teacher":
        browser.post(f"/entreprises/{world.firm_a.id}/entrer")
    objects = _own_objects(world)
    db.session.commit()
    reached, refused, passed_by = [], [], []
    for rule in _write_rules(app):
        url = _url(app, rule, objects)
        page = browser.client.get(url).get_data(as_text=True) if "GET" in (rule.methods or ()) else ""
        data = _form_values(page, url) if page else {}
        data["csrf_token"] = csrf_token(browser.client, "/")
        before = _state()
        refusing_services.patch()
        calls_before = len(refusing_services.calls)
        try:
            response = browser.client.post(url, data=data)
        finally:
            refusing_services.undo()
        after = _state()
        changed = [table for table in before if before[table] != after[table]]
        if len(refusing_services.calls) == calls_before and response.status_code in (302, 303) and changed:
            # No service of the list was called and the request succeeded: nothing was refused.
            passed_by.append(rule.endpoint)
            continue
        assert not changed, f"{who}: POST {url} ({rule.endpoint}) kept changes in {changed}"
        assert response.status_code in (302, 303, 400, 404, 422), \
            f"{who}: POST {url} ({rule.endpoint}) answered {response.status_code} to a refusal"
        if len(refusing_services.calls) > calls_before:
            reached.append(rule.endpoint)
            shown = response.get_data(as_text=True)
            if response.status_code in (302, 303):
                shown = browser.client.get(response.headers["Location"]).get_data(as_text=True)
            assert MESSAGE in html.unescape(shown), f"{who}: {rule.endpoint} did not show the refusal"
        else:
            refused.append((rule.endpoint, response.status_code))
    # The walk reaches the services of most write endpoints (the others refused their input before).
    assert len(reached) >= 30, (reached, refused)
    assert len(passed_by) <= 3, f"write endpoints whose services this walk does not replace: {passed_by}"
