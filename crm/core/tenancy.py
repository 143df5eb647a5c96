"""The one way to read firm data: filtered on the current firm, 404 otherwise.

The current firm is resolved once per request (`load_current_firm`) from the
session and checked against what the user may enter: the firms they are a
member of (trainee), the firms of their classrooms (teacher), any (admin).
"""
from __future__ import annotations

from functools import cache, wraps

from flask import abort, flash, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy import Select, bindparam, exists, select
from werkzeug.local import LocalProxy

from crm.core.limits import is_id
from crm.core.models import Classroom, Firm, Membership, User, classroom_teachers
from crm.extensions import db

SESSION_KEY = "firm_id"


def _get_current_firm() -> Firm | None:
    return g.get("firm")


current_firm: Firm | None = LocalProxy(_get_current_firm)  # type: ignore[assignment]


def current_membership() -> Membership | None:
    return g.get("membership")


def accessible_firms(user: User) -> Select:
    """The firms `user` may enter, as a query."""
    query = select(Firm).order_by(Firm.trade_name)
    if user.is_admin:
        return query
    if user.is_teacher:
        return query.join(
            classroom_teachers, classroom_teachers.c.classroom_id == Firm.classroom_id
        ).where(classroom_teachers.c.user_id == user.id)
    return query.join(Membership).where(Membership.user_id == user.id)


def find_accessible_firm(user: User, firm_id: int) -> Firm | None:
    return db.session.scalar(accessible_firms(user).where(Firm.id == firm_id))


def teacher_classrooms(user: User) -> Select:
    """The classrooms a teacher manages (all of them for an admin)."""
    query = select(Classroom).order_by(Classroom.school_year.desc(), Classroom.name)
    if user.is_admin:
        return query
    return query.join(classroom_teachers).where(classroom_teachers.c.user_id == user.id)


def load_user(user_id: int, session_token: str) -> User | None:
    """Flask-Login's user loader: the session's user and, in the same query, the firm it names.

    Every request needs the user, the firm, the user's poste, the firm's settings (its
    time zone gives the business date) and whether a scenario event may be due: one
    statement instead of five, on every page. A rotated session token logs the cookie out.
    """
    firm_id = session.get(SESSION_KEY)
    row = _who_and_where(user_id, firm_id)
    if row is None or not row.User.active or row.User.session_token != session_token:
        return None
    if firm_id is not None:
        g.firm_read = _entered(row)
    return row.User


def load_current_firm() -> None:
    """before_request: resolve g.firm and g.membership from the session, once."""
    g.firm = None
    g.membership = None
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    if "firm_read" in g:  # read with the user (load_user)
        found = g.pop("firm_read")
    else:
        firm_id = session.get(SESSION_KEY)
        if firm_id is None and current_user.is_trainee:
            firm_id = _only_firm_id(current_user)
            if firm_id is not None:
                session[SESSION_KEY] = firm_id  # found once, not at every request
        if firm_id is None:
            return
        found = _entered(_who_and_where(current_user.id, firm_id))
    if found is None:  # membership removed since: forget the choice
        session.pop(SESSION_KEY, None)
        return
    g.firm, g.membership = found


def _who_and_where(user_id: int, firm_id: int | None):
    """The user; with a firm id, also the firm, the user's membership of it, the firm's settings,
    whether the user teaches its classroom and the date of its next scenario event."""
    params = {"user_id": user_id, "firm_id": firm_id}
    return db.session.execute(_who_and_where_statement(firm_id is not None), params).first()


@cache
def _who_and_where_statement(with_firm: bool) -> Select:
    """Built once per process (every request runs it): only the ids change."""
    user_id, firm_id = bindparam("user_id"), bindparam("firm_id")
    if not with_firm:
        return select(User).where(User.id == user_id)
    from crm.core.models import FirmSettings
    from crm.formation.events import next_event_on

    teaches = exists().where(classroom_teachers.c.classroom_id == Firm.classroom_id,
                             classroom_teachers.c.user_id == User.id)
    return (
        select(User, Firm, Membership, FirmSettings, teaches.label("teaches"),
               next_event_on(Firm.id).label("next_event_on"))
        .select_from(User)
        .outerjoin(Firm, Firm.id == firm_id)
        .outerjoin(Membership, (Membership.firm_id == Firm.id) & (Membership.user_id == User.id))
        .outerjoin(FirmSettings, FirmSettings.firm_id == Firm.id)
        .where(User.id == user_id)
    )


def _entered(row) -> tuple[Firm, Membership | None] | None:
    """(firm, membership) when the user may enter the firm (accessible_firms' rule), else None.

    Remembers for the request what was read with it: the settings and the next event's date.
    """
    if row is None or row.Firm is None:
        return None
    user = row.User
    allowed = user.is_admin or (row.teaches if user.is_teacher else row.Membership is not None)
    if not allowed:
        return None
    from crm.core.firm_settings import remember_settings

    remember_settings(row.Firm, row.FirmSettings)
    g.next_event_on = row.next_event_on
    return row.Firm, row.Membership


def _only_firm_id(user: User) -> int | None:
    ids = db.session.scalars(
        select(Membership.firm_id).where(Membership.user_id == user.id).limit(2)
    ).all()
    return ids[0] if len(ids) == 1 else None


def manages_firm(user: User, firm: Firm) -> bool:
    """The teacher (or admin) who may enter the firm, or its trainee at the *responsable* poste.

    They alone change the firm's own rules (e.g. allowing negative stock).
    """
    if user.is_teacher:
        return find_accessible_firm(user, firm.id) is not None
    position = db.session.scalar(
        select(Membership.position).where(Membership.user_id == user.id, Membership.firm_id == firm.id)
    )
    return position == "responsable"


def enter_firm(firm: Firm) -> None:
    session[SESSION_KEY] = firm.id


def leave_firm() -> None:
    session.pop(SESSION_KEY, None)


def require_firm() -> Firm:
    """The current firm, or 404 when none is chosen (views use firm_required first)."""
    firm = g.get("firm")
    if firm is None:
        abort(404)
    return firm


def scoped(model) -> Select:
    """SELECT model rows of the current firm only."""
    return select(model).where(model.firm_id == require_firm().id)


def get_or_404(model, object_id: int, *options):
    """This firm's object with that id, or 404 (never another firm's, never 403).

    `options` are loader options (selectinload…) so a page loads its rows' relations in
    a fixed number of queries instead of one per row. A page every visit of which asks the
    same options builds its statement once with by_id() and reads it with fetch_or_404().
    """
    return fetch_or_404(by_id(model, *options) if options else _plain_by_id(model), object_id)


def by_id(model, *options) -> Select:
    """The statement get_or_404 runs, the firm and the id bound (keep it: functools.cache)."""
    return (select(model).where(model.firm_id == bindparam("firm_id"), model.id == bindparam("object_id"))
            .options(*options))


@cache
def _plain_by_id(model) -> Select:
    return by_id(model)


def fetch_or_404(statement: Select, object_id: int):
    """The current firm's row of a by_id() statement, or 404."""
    if isinstance(object_id, int) and not is_id(object_id):
        abort(404)  # beyond the database's range: no row of ours (never an overflow)
    obj = db.session.scalar(statement, {"firm_id": require_firm().id, "object_id": object_id})
    if obj is None:
        abort(404)
    return obj


def firm_required(view):
    """Views of firm data: log in, then choose a firm if none is current."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("firm") is None:
            flash("Choisissez d'abord l'entreprise dans laquelle vous travaillez.", "info")
            return redirect(url_for("core.choose_firm"))
        return view(*args, **kwargs)

    return wrapper
