"""Form building blocks shared by every package."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Field, widgets
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import TextInput, core as widgets_core

from crm.core.limits import DATE_MESSAGE, INT_MESSAGE, MAX_AMOUNT, date_in_range, int_in_range


WTFORMS_HTML_PARAMS = widgets_core.html_params
_QUOTE, _QUOTE_ENTITY = '"', "&quot;"


@lru_cache(maxsize=1024)  # the attribute names the templates and forms use
def _attribute_name(key: str) -> str:
    """WTForms' clean_key, escaped: class_ → class, data_picker_url → data-picker-url."""
    return str(escape(widgets_core.clean_key(key)))


def html_params(**kwargs) -> Markup:
    """WTForms' html_params, the same output (tests compare them) without its Markup.format.

    WTForms formats each attribute through string.Formatter: 50 to 90 µs a field, 3 ms on an
    invoice's page of a few forms. Here the escaped key and value go into an f-string; the
    value's quotes, left as they are in Markup, are replaced by str's own replace (Markup's
    would escape its arguments first, for nothing: they are constants).
    """
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(_attribute_name(key))
        elif value is not False:
            params.append(f'{_attribute_name(key)}="{str.replace(escape(value), _QUOTE, _QUOTE_ENTITY)}"')
    return Markup(" ".join(params))


# Every widget of WTForms finds it where it looks: the module's global, the package's (labels),
# or the class's staticmethod.
widgets_core.html_params = widgets.html_params = html_params
widgets_core.Input.html_params = widgets_core.Button.html_params = staticmethod(html_params)

WTFORMS_RENDER_OPTION = widgets_core.Select.render_option.__func__
_WTFORMS_DISPATCH = widgets_core.Select._dispatch_render_option.__func__


def render_option(cls, choice, **kwargs) -> Markup:
    """WTForms' <option>, the same output (tests compare them), written directly when the choice
    has no attributes of its own: a list's filters and a document's lines render hundreds."""
    if kwargs or choice.render_kw:
        return WTFORMS_RENDER_OPTION(cls, choice, **kwargs)
    value = str(choice.value) if isinstance(choice.value, bool) else choice.value
    selected = "selected " if choice.selected else ""  # html_params sorts: "selected" before "value"
    label = escape(choice.label or choice.value)
    return Markup(f'<option {selected}value="{str.replace(escape(value), _QUOTE, _QUOTE_ENTITY)}">{label}</option>')


# WTForms reads render_option's signature (inspect.signature) at every <select>; it is the same
# for a class all along, so it is read once per class.
widgets_core.Select.render_option = classmethod(render_option)
widgets_core.Select._dispatch_render_option = classmethod(cache(_WTFORMS_DISPATCH))


class Form(FlaskForm):
    """Base of every form: WTForms' own messages in French (its shipped catalogue).

    Every form also refuses, with a message beside the field, an integer beyond the
    database's range and a date outside the business range (crm.core.limits), in its
    own fields and in those of its sub-forms: a new form is covered without a validator.
    """

    class Meta:
        locales = ("fr_FR", "fr")

    def validate(self, extra_validators=None) -> bool:
        # First: a year 9999 or a 20-digit integer would overflow the form's own checks.
        if _refuse_beyond_limits(self):
            return False
        return super().validate(extra_validators)


def _refuse_beyond_limits(form) -> bool:
    """Put a message on each value, in the form and its sub-forms, the database could not hold."""
    refused = False
    for field in form:
        entries = getattr(field, "entries", None)
        if entries is not None:  # FieldList: its errors list those of its entries, as WTForms does
            for entry in entries:
                inner = getattr(entry, "form", None)
                if _refuse_beyond_limits(inner) if inner is not None else _refuse_field(entry):
                    field.errors = [*field.errors, entry.errors]
                    refused = True
        elif hasattr(field, "form") and hasattr(field.form, "_fields"):  # FormField
            refused = _refuse_beyond_limits(field.form) or refused
        else:
            refused = _refuse_field(field) or refused
    return refused


def _refuse_field(field) -> bool:
    data = field.data
    if isinstance(data, bool):
        return False
    if isinstance(data, int) and not int_in_range(data):
        message = INT_MESSAGE
    elif isinstance(data, date) and not date_in_range(data):
        message = DATE_MESSAGE
    else:
        return False
    field.errors = [*field.errors, message]
    return True


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


def parse_decimal(text: str) -> Decimal:
    """'1 234,50' or '1234.50' → Decimal; ValueError with a French message otherwise."""
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace("%", "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Ce n'est pas un nombre : saisissez par exemple 12,50.") from None
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise ValueError("Ce nombre n'est pas valide.")
    return value


class AmountField(Field):
    """A decimal typed the French way (comma or point), kept as Decimal; empty → None."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, places: int = 2, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.places = places

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data, "f").replace(".", ",")

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            value = parse_decimal(valuelist[0])
        except ValueError as error:
            raise ValueError(str(error)) from None
        if value.as_tuple().exponent < -self.places:
            raise ValueError(f"{self.places} décimales au plus.")
        self.data = value

    def pre_validate(self, form):
        # Bad input keeps its own message (not "required"), and nothing else runs.
        if self.process_errors:
            raise StopValidation()


class NonNegative:
    def __call__(self, form, field):
        if field.data is not None and field.data < 0:
            raise ValidationError("La valeur ne peut pas être négative.")
