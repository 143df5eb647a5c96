"""Small helpers shared by the views of every package."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, request
from flask_login import current_user
from flask_sqlalchemy.pagination import SelectPagination

from crm.core.errors import DomainError
from crm.extensions import db


def mark_refused() -> None:
    """Undo everything this request flushed, and keep its end from committing.

    A service refuses by raising DomainError after it may have flushed rows; the
    request must then keep nothing (crm.core.web commits only unrefused requests).
    """
    db.session.rollback()
    g.refused = True


def form_error(form, error: DomainError) -> None:
    """Refuse the request and show the service's message next to its field (or atop the form)."""
    mark_refused()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


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


class IdsFirstPagination(SelectPagination):
    """A page of a long list read by its ids first: OFFSET walks an index, not the rows.

    `db.paginate` fetches the rows of every skipped position (page 200 of the party
    list reads 10 000 rows). Here the page's ids come from the ordering index alone,
    then only those rows are loaded, with the query's loader options.
    """

    def _query_items(self) -> list:
        select = self._query_args["select"]
        session = self._query_args["session"]
        model = select.column_descriptions[0]["entity"]
        ids = list(session.scalars(select.with_only_columns(model.id)
                                   .limit(self.per_page).offset(self._query_offset)))
        if not ids:
            return []
        rows = {row.id: row for row in session.scalars(select.where(model.id.in_(ids)).order_by(None))}
        return [rows[row_id] for row_id in ids]


def paginate_ids_first(select, per_page: int) -> IdsFirstPagination:
    """Like db.paginate(select, page=page_number(), per_page=…), for lists sorted by an index."""
    return IdsFirstPagination(select=select, session=db.session(), page=page_number(), per_page=per_page,
                              error_out=False)
