"""Fields render as WTForms renders them: crm.core.forms writes their attributes without Markup.format."""
from __future__ import annotations

from decimal import Decimal

import pytest
from markupsafe import Markup
from wtforms import BooleanField, DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms import widgets
from wtforms.fields.choices import Choice
from wtforms.widgets import core as widgets_core

from crm.core import forms

ATTRIBUTES = [
    {},
    {"name": "q", "id": "q", "value": ""},
    {"class_": "input wide", "for_": "x", "data_picker_url": "/clients/choix.json?type=clients&q=",
     "aria_describedby": "q-help"},
    {"checked": True, "readonly": False, "required": True, "disabled": False},
    {"value": 'Le "Grand" <Café> & fils', "placeholder": "l'été"},
    {"value": Markup('<b title="x">déjà sûr</b>'), "title": Markup("a &amp; b")},
    {"maxlength": 160, "min": Decimal("0.01"), "step": 0.5, "tabindex": -1, "size": 0, "none": None},
    {"autocomplete": "off", "inputmode": "decimal", "pattern": "[0-9]+([,.][0-9]{1,2})?"},
]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_attributes_are_wtforms_own(attributes):
    ours, theirs = forms.html_params(**attributes), forms.WTFORMS_HTML_PARAMS(**attributes)
    assert ours == theirs and isinstance(ours, Markup)


CHOICES = [
    ("cash", "Espèces", False, {}), ("card", 'Carte "bleue" <&>', True, {}), ("", "Tous", False, {}),
    (Markup('a"b'), Markup("<i>déjà</i>"), True, {}), (True, "", False, {}), (3, None, True, {}),
    ("x", "Avec attributs", True, {"disabled": True, "data_kind": "z"}),
]


@pytest.mark.parametrize("value, label, selected, render_kw", CHOICES)
def test_options_are_wtforms_own(value, label, selected, render_kw):
    choice = Choice(value, label, selected, render_kw or None)
    ours = widgets_core.Select.render_option(choice)
    assert ours == forms.WTFORMS_RENDER_OPTION(widgets_core.Select, choice) and isinstance(ours, Markup)
    assert widgets_core.Select.render_option(choice, class_="c") == forms.WTFORMS_RENDER_OPTION(
        widgets_core.Select, choice, class_="c")


def test_a_select_still_renders_options_of_a_subclass_with_the_old_signature(app):
    """WTForms adapts a widget written for its former render_option; the read signature is cached per class."""
    class OldSelect(widgets_core.Select):
        @classmethod
        def render_option(cls, value, label, selected, **kwargs):
            return Markup(f"<option>{label}</option>")

    class Picked(forms.Form):
        mode = SelectField("Mode", choices=[("a", "Un"), ("b", "Deux")], widget=OldSelect())

    with app.test_request_context(), pytest.warns(DeprecationWarning):
        rendered = str(Picked(meta={"csrf": False}).mode())
    assert "<option>Un</option><option>Deux</option>" in rendered


def test_every_widget_uses_them():
    assert widgets_core.html_params is forms.html_params and widgets.html_params is forms.html_params
    assert widgets_core.Input.html_params is forms.html_params
    assert widgets_core.Button.html_params is forms.html_params


class Sample(forms.Form):
    name = StringField("Nom", validators=[DataRequired(), Length(max=80)])
    amount = DecimalField("Montant", places=2)
    mode = SelectField("Mode", choices=[("cash", "Espèces"), ("card", 'Carte "bleue"')])
    note = TextAreaField("Note")
    agreed = BooleanField("D'accord")
    send = SubmitField("Enregistrer")


def test_a_form_renders_byte_for_byte_as_with_wtforms(app, monkeypatch):
    with app.test_request_context():
        form = Sample(meta={"csrf": False}, data={"name": 'Dupont & "fils"', "amount": Decimal("12.5"),
                                                  "mode": "card", "note": "<script>", "agreed": True})
        fields = [(field, {"class_": "input", "data_x": "1"}) for field in form]
        ours = [str(field(**kw)) + str(field.label()) for field, kw in fields]
        monkeypatch.setattr(widgets_core, "html_params", forms.WTFORMS_HTML_PARAMS)
        monkeypatch.setattr(widgets, "html_params", forms.WTFORMS_HTML_PARAMS)
        monkeypatch.setattr(widgets_core.Input, "html_params", staticmethod(forms.WTFORMS_HTML_PARAMS))
        monkeypatch.setattr(widgets_core.Button, "html_params", staticmethod(forms.WTFORMS_HTML_PARAMS))
        theirs = [str(field(**kw)) + str(field.label()) for field, kw in fields]
    assert ours == theirs
    assert 'value="Dupont &amp; &#34;fils&#34;"' in ours[0] and "&lt;script&gt;" in ours[3]
