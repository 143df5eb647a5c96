"""Request lifecycle: login gate, current firm, one commit per request, headers, errors."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

from flask import (
    Flask, current_app, flash, g, has_request_context, redirect, render_template, request, url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from markupsafe import Markup
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.core import database, formatting, requests
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.models import Position, User
from crm.core.sections import SECTIONS
from crm.core.limits import is_id
from crm.core.tenancy import current_firm, current_membership, load_current_firm, load_user
from crm.extensions import db, login_manager

# Endpoints reachable without logging in (a client answers a satisfaction survey through its
# signed link: crm.indicateurs.surveys).
PUBLIC_ENDPOINTS = {"auth.login", "static", "core.health", "core.favicon",
                    "avis.answer_survey", "avis.survey_thanks"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
)

ERROR_PAGES = {
    400: ("Requête incorrecte", "La demande envoyée n'a pas pu être comprise."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "Cette page n'existe pas ou n'est pas accessible depuis votre entreprise."),
    405: ("Action impossible", "Cette action ne peut pas être faite de cette façon."),
    413: ("Fichier trop volumineux", "Le fichier envoyé dépasse la taille autorisée (4 Mo)."),
    422: ("Action refusée", "Cette action n'est pas possible. Rien n'a été enregistré."),
    429: ("Trop de tentatives", "Patientez une minute avant de réessayer."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite. Rien n'a été enregistré."),
}


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


def init_app(app: Flask) -> None:
    if app.config.get("BEHIND_PROXY"):
        # CRM_PROXY=1: the proxy's X-Forwarded-For/-Proto/-Host tell the client's address and scheme.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.session_interface = HttpsAwareSessionInterface()
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # First of all: the kind of transaction is chosen before any statement runs.
    app.before_request_funcs.setdefault(None, []).insert(0, _choose_transactions)
    app.teardown_request(_forget_transactions)
    app.before_request(requests.refuse_nul_bytes)
    app.before_request(_require_login)
    app.before_request(_require_own_password)
    app.before_request(load_current_firm)
    app.before_request(_scheduled_events)
    app.after_request(_end_transaction)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    for code in ERROR_PAGES:
        app.register_error_handler(code, _error_page)

    formatting.register(app)
    app.add_template_global(query_args)
    app.add_template_global(row_url)
    app.add_template_global(page_url)
    app.add_template_global(main_nav)
    app.add_template_global(fixed_url)
    app.context_processor(_layout_context)


def _load_user(token: str) -> User | None:
    """The session cookie holds 'id:session_token'; a rotated token logs the cookie out."""
    user_id, _, session_token = token.partition(":")
    if not user_id.isdigit() or not is_id(int(user_id)) or not session_token:
        return None
    return load_user(int(user_id), session_token)


# Methods that never write: their transactions are READ (SQLite readers run beside the writer).
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _choose_transactions():
    """GET reads without the write lock; POST writes (BEGIN IMMEDIATE), or reads first if its view says so."""
    if request.method in SAFE_METHODS:
        g.transaction_tokens = database.set_kind(database.Transactions.READ, database.Transactions.READ)
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "transactions_read_first", False):
        g.transaction_tokens = database.set_kind(database.Transactions.READ)
    else:
        g.transaction_tokens = database.set_kind(database.Transactions.WRITE)


def _forget_transactions(_error=None):
    """Threads of a server are reused: the next request starts from the default again."""
    tokens = g.pop("transaction_tokens", None)
    if tokens is not None:
        database.reset_kind(tokens)


def _require_login():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


# What a user whose password was given by a teacher may reach before choosing their own.
OWN_PASSWORD_EXEMPT = PUBLIC_ENDPOINTS | {"auth.change_password", "auth.logout"}


def _require_own_password():
    """A password generated or reset by a teacher is replaced at first login, before any work."""
    if request.endpoint in OWN_PASSWORD_EXEMPT or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash("Choisissez d'abord votre mot de passe personnel.", "info")
        return redirect(url_for("auth.change_password"))
    return None


def _scheduled_events():
    """Events of the firm's scenario whose moment has come appear now (crm.formation.events).

    Firing writes: on a page (a read transaction), the read ends first and the request
    takes the write lock (database.begin_writing) — only in the rare request that fires.
    """
    if g.get("firm") is not None and request.endpoint != "static":
        from crm.formation.events import due_events, fire_due_events

        next_on = g.get("next_event_on", date.min)  # read with the firm (crm.core.tenancy)
        if next_on is None or next_on > business_today(g.firm) or not due_events(g.firm):
            return
        database.begin_writing()
        fire_due_events(g.firm)


def _end_transaction(response):
    """The one commit of the request: only when the view finished without a refusal.

    A view refuses through crm.core.views_helpers (form_error, refuse), which
    also marks the request; a refusal answered with a redirect keeps nothing either.
    """
    if response.status_code < 400 and not g.get("refused"):
        if _only_read():
            db.session.close()  # nothing to keep: ends the read without expiring every object loaded
        else:
            db.session.commit()
            _run_after_commit()
    else:
        db.session.rollback()
    return response


def _only_read() -> bool:
    """A page that read and changed nothing (a commit would only expire what it loaded)."""
    session = db.session
    return (database.current_kind() is database.Transactions.READ and not g.get("after_commit")
            and not (session.new or session.dirty or session.deleted))


def after_commit(task: Callable[[], None]) -> None:
    """Run `task` once this request's commit has succeeded (never if it is rolled back).

    For slow work that must not hold the database's write lock, such as printing
    a validated document's PDF: the task runs outside the request's transaction
    and commits its own short one (see crm.ventes.documents.storage).
    """
    g.setdefault("after_commit", []).append(task)


def _run_after_commit() -> None:
    for task in g.pop("after_commit", []):
        try:
            task()
        except Exception:  # noqa: BLE001 - the request succeeded; the task has its own fallback
            db.session.rollback()
            current_app.logger.exception("after-commit task failed: %r", task)


def _domain_error(error: DomainError):
    """A refusal no view caught: nothing is kept, and the message is shown as is."""
    db.session.rollback()
    g.refused = True
    return _render_error(422, error.message)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(error: CSRFError):
    db.session.rollback()
    message = (
        "Le formulaire a expiré ou n'est plus valide. Rien n'a été enregistré : "
        "vérifiez vos saisies et renvoyez-le."
    )
    rule = request.url_rule
    if rule is not None and "GET" in (rule.methods or ()):
        flash(message, "error")
        return redirect(request.full_path, code=303)
    return _render_error(400, message)


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    return _render_error(code, g.pop("error_message", None))


def _render_error(code: int, message: str | None = None):
    title, default = ERROR_PAGES.get(code, ERROR_PAGES[500])
    return render_template("error.html", code=code, title=title, message=message or default), code


def query_args(**overrides) -> dict:
    """This page's query arguments for a link to a page like it, then `overrides` (they win).

    url_for's own keywords (endpoint, _method, _external…) are never taken from the query:
    `?endpoint=x` must not break the page's links.
    """
    args = {key: value for key, value in request.args.items() if key != "endpoint" and not key.startswith("_")}
    return args | overrides


# A number no row has, put where a row's numbers go: every row's link is then this one with its
# numbers in the marks' places. url_for walks the URL map and quotes its query on each call, and
# the links of a list of 50 rows cost as much as the rest of its rendering.
_ID_MARK = 918_273_645_546_372_819


def row_url(endpoint: str, **values) -> str:
    """url_for(endpoint, **values) for each row of a long list, the values being ids or other whole
    numbers (None leaves a value out, as url_for does): built once per page, endpoint and names."""
    given = {name: int(value) for name, value in values.items() if value is not None}
    links = g.setdefault("row_links", {})
    pattern = links.get((endpoint, *given))
    if pattern is None:
        pattern = url_for(endpoint, **{name: _ID_MARK + i for i, name in enumerate(given)})
        pattern = pattern.replace("{", "{{").replace("}", "}}")  # a proxy's prefix may hold braces
        for i in range(len(given)):
            pattern = pattern.replace(str(_ID_MARK + i), f"{{{i}}}")
        links[(endpoint, *given)] = pattern
    return pattern.format(*given.values())


def page_url(endpoint: str, args: dict):
    """The link to page n of a list, for each n: url_for once, the page number put in its place."""
    before, _, after = url_for(endpoint, **(args | {"page": _ID_MARK})).partition(str(_ID_MARK))
    return lambda number: f"{before}{int(number)}{after}"


def main_nav(alert_count: int) -> Markup:
    """The activities menu (crm/templates/_nav.html): the same on every page of a section, so
    rendered once per process for each prefix, section and stock-alert count."""
    if current_app.jinja_env.auto_reload:  # development: the template may have changed
        _main_nav.cache_clear()
    return _main_nav(request.script_root, request.blueprint, request.endpoint == "core.home", alert_count)


@lru_cache(maxsize=512)  # bounded: the prefix comes from a request header
def _main_nav(_script_root: str, blueprint: str | None, home: bool, alert_count: int) -> Markup:
    macro = current_app.jinja_env.get_template("_nav.html").module.main_nav
    return Markup(macro(SECTIONS, blueprint, home, alert_count))


def fixed_url(endpoint: str, **values) -> str:
    """url_for() of a link that is the same on every page (menus, style sheets): built once per
    process for each prefix the app is served under (a proxy's X-Forwarded-Prefix)."""
    return _fixed_url(endpoint, request.script_root, tuple(values.items()))


@lru_cache(maxsize=512)  # bounded: the prefix comes from a request header
def _fixed_url(endpoint: str, _script_root: str, values: tuple) -> str:
    return url_for(endpoint, **dict(values))


def _layout_context() -> dict:
    membership = current_membership()
    position = Position(membership.position).label if membership else None
    firm = g.get("firm")
    return {
        "current_firm": current_firm,
        "firm_business_date": business_today(firm) if firm is not None else None,
        "firm_simulated": firm is not None and firm.business_date is not None,
        "current_position": position,
    }
