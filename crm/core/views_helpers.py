"""Small helpers shared by the views of every package."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from functools import wraps

from crm.core.errors import DomainError


def form_error(form, error: DomainError) -> None:
    """Show a service's refusal next to its field, or at the top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


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
