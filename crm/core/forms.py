"""Form building blocks shared by every package."""
from __future__ import annotations

from typing import Callable

from flask_wtf import FlaskForm

from wtforms.validators import StopValidation, ValidationError


class Form(FlaskForm):
    """Base of every form: WTForms' own messages in French (its shipped catalogue)."""

    class Meta:
        locales = ("fr_FR", "fr")


class Normalised:
    """Validate an optional field with an identifiers.* function and keep its normal form."""

    def __init__(self, check: Callable[[str], str]):
        self.check = check
        self.field_flags = {}

    def __call__(self, form, field) -> None:
        value = (field.data or "").strip()
        if not value:
            field.data = ""
            return
        try:
            field.data = self.check(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None


def strip_filter(value):
    """Trim surrounding spaces of text inputs (typed and pasted values alike)."""
    return value.strip() if isinstance(value, str) else value


class Required:
    """DataRequired with a French message naming the field."""

    field_flags = {"required": True}

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(self.message or f"Le champ « {field.label.text} » est obligatoire.")
