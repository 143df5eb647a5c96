"""Small helpers shared by the views of every package."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, request
from flask_login import current_user
from sqlalchemy import func

from crm.core.errors import DomainError
from crm.core.pagination import PER_PAGE, Pagination
from crm.extensions import db


def mark_refused() -> None:
    """Undo everything this request flushed, and keep its end from committing.

    A service refuses by raising DomainError after it may have flushed rows; the
    request must then keep nothing (crm.core.web commits only unrefused requests).
    """
    db.session.rollback()
    g.refused = True


def is_refused() -> bool:
    """Whether this request was refused (its form is shown again with status 422)."""
    return bool(g.get("refused"))


def form_error(form, error: DomainError) -> None:
    """Refuse the request and show the service's message next to its field (or atop the form)."""
    mark_refused()
    field = _field_named(form, error.field) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def _field_named(form, name: str):
    """The field of that name, also inside lists of sub-forms ("lines-0-quantity")."""
    for field in form:
        if field.name == name:
            return field
        entries = getattr(field, "entries", None)  # FieldList
        if entries is None and hasattr(field, "form") and hasattr(field.form, "_fields"):
            entries = [field]  # FormField
        for entry in entries or ():
            inner = getattr(entry, "form", None)
            found = _field_named(inner, name) if inner is not None and hasattr(inner, "_fields") else None
            if found is not None:
                return found
            if entry.name == name:
                return entry
    return None


def refuse(error: DomainError) -> None:
    """Refuse the request and flash the message; the view then redirects (PRG)."""
    mark_refused()
    flash(error.message, "error")


def teacher_required(view):
    """Teacher screens: hidden (404) from trainees rather than refused."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_teacher:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def page_number() -> int:
    """The ?page= argument, 1 when absent or not a positive integer."""
    page = request.args.get("page", type=int) or 1
    return max(page, 1)


class IdsFirstPagination(Pagination):
    """A page of a long list read by its ids first: OFFSET walks an index, not the rows.

    `db.paginate` fetches the rows of every skipped position (page 200 of the party
    list reads 10 000 rows). Here the page's ids come from the ordering index alone,
    then only those rows are loaded, with the query's loader options.

    With `count_in_one_pass` (a search whose matches are found by reading the whole
    index, as on SQLite), the page's ids and the number of matches come from the same
    pass (a window count) instead of two. PostgreSQL finds words by trigrams: its count
    is cheap, and a window count would give up reading the page in index order.
    """

    def _query_items(self) -> list:
        select = self._query_args["select"]
        session = self._query_args["session"]
        model = select.column_descriptions[0]["entity"]
        one_pass = self._query_args.get("count_in_one_pass") and session.get_bind().dialect.name == "sqlite"
        columns = (model.id, func.count().over()) if one_pass else (model.id,)
        found = session.execute(select.with_only_columns(*columns).limit(self.per_page).offset(self._query_offset))
        rows = found.all()
        if not rows:
            return []
        if len(columns) == 2:
            self._counted = rows[0][1]
        ids = [row[0] for row in rows]
        by_id = {row.id: row for row in session.scalars(select.where(model.id.in_(ids)).order_by(None))}
        return [by_id[row_id] for row_id in ids]

    def _query_count(self) -> int:
        counted = getattr(self, "_counted", None)
        return counted if counted is not None else super()._query_count()


def paginate_ids_first(select, count_in_one_pass: bool = False) -> IdsFirstPagination:
    """Like db.paginate(select, page=page_number()), for lists sorted by an index."""
    return IdsFirstPagination(select=select, session=db.session(), page=page_number(), per_page=PER_PAGE,
                              error_out=False, count_in_one_pass=count_in_one_pass)
