"""Choosing a party or a product in a form: a search-as-you-type field, never a list of the table.

A page must not render 20 000 parties into a <select>. A `PickerField` instead
holds the chosen id (a hidden input) and a text box; as the user types, the
script `static/js/picker.js` asks the source's JSON endpoint for at most
`LIMIT` matches and shows them as an accessible combobox (ARIA 1.2 pattern:
label, `aria-expanded`, arrows / Enter / Escape, the number of results read
out). Without script, the "Rechercher" button next to the box posts the form
back as it is (every typed value kept) and the page lists the matches as radio
buttons: that is the search step. A form sent with text but no chosen id gets
the same list, with a message asking to pick one.

Using it in a form (the pieces are: a source, the field, the macro, the view):

1. A *source* says how to search one kind of row. Each domain defines its own,
   beside its services, with its JSON endpoint (firm-scoped by the endpoint's
   blueprint): `crm.clients.picking.PARTIES` / `CUSTOMERS` / `SUPPLIERS`
   (`clients.pick_parties`, `/clients/choix.json`) and
   `crm.ventes.picking.PRODUCTS` / `STOCK_PRODUCTS` (`ventes.pick_products`,
   `/ventes/catalogue/choix.json`). A new kind (a call plan's contacts…) is a
   new `PickerSource` and a view returning `source.json_response()`.

2. The field, in the form class::

       party_id = PickerField("Client", [Required("Choisissez le client.")], source=CUSTOMERS)

   `field.data` is the chosen id (an int) or None; load it in the view with
   `get_or_404(Party, form.party_id.data)` as for any posted id (another firm's
   id is a 404). `empty_label="Client de passage"` makes the choice optional.

3. In the template: `field(form.party_id)` and `render_form(form)` of _forms.html
   render it; or `{% from "_picker.html" import picker %}{{ picker(form.party_id) }}`
   to place it yourself (a line of a FieldList: `picker(f, label="Article ligne 2",
   show_label=False)`). base.html loads the script on every page.

4. In the view, before saving: `if searching(form): return <the same form page>`
   — the search step re-renders the form (status 200) without saving anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from flask import jsonify, request, url_for
from wtforms import Field
from wtforms.validators import StopValidation

from crm.core.limits import is_id
from crm.core.tenancy import require_firm

LIMIT = 20  # matches returned by a search: enough to choose, never the whole table
MAX_QUERY = 100  # characters of search text considered
SEARCH_BUTTON = "picker-search"  # name of the no-script "Rechercher" buttons (value: the field's name)


@dataclass(frozen=True)
class Match:
    """One search result as the field shows it."""

    id: int
    label: str  # what the box shows once chosen: "DUBOIS Léa", "CHA-00042 — Chaise"
    hint: str = ""  # a second line to tell look-alikes apart: city, SIRET, stock…
    code: str = ""  # what a text field receives instead of the id (the till's reference box)


@dataclass(frozen=True)
class PickerSource:
    """How to search one kind of row of the current firm (see the module docstring)."""

    endpoint: str  # the JSON search endpoint (query string: q=…)
    search: Callable[[int, str, int], list[Match]]  # (firm_id, text, limit) → matches, best first
    load: Callable[[int, int], Match | None]  # (firm_id, id) → the chosen row's match, or None
    help: str = ""  # what may be typed ("nom, ville, SIRET…")
    endpoint_args: tuple = ()  # extra (name, value) pairs of the endpoint's URL (a filter)

    def url(self) -> str:
        return url_for(self.endpoint, **dict(self.endpoint_args))

    def json_response(self):
        """The endpoint's answer: {"results": [{"id", "label", "hint"}…]} for ?q=…"""
        matches = self.search(require_firm().id, clean_query(request.args.get("q")), LIMIT)
        response = jsonify(results=[m.__dict__ for m in matches])
        response.headers["Cache-Control"] = "private, no-store"
        return response


def clean_query(text: str | None) -> str:
    """Search text as typed, bounded, without NUL bytes (PostgreSQL refuses them)."""
    return (text or "").replace("\x00", "").strip()[:MAX_QUERY]


class PickerField(Field):
    """The chosen row's id (int) and, for the search step, the text typed in the box."""

    def __init__(self, label=None, validators=None, source: PickerSource | None = None,
                 empty_label: str | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        if source is None:
            raise ValueError("PickerField needs a source")
        self.source = source
        self.empty_label = empty_label
        self.text = ""
        self.picked = False
        self._chosen: Match | None | bool = False  # False: not looked up yet

    def process(self, formdata, data=None, extra_filters=None):
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            self.text = clean_query(formdata.get(f"{self.name}-q"))
            self.picked = formdata.get(f"{self.name}-picked") == "1"  # the id is a radio of the search step

    def process_formdata(self, valuelist):
        value = (valuelist[0] if valuelist else "").strip()
        # An id beyond the database's range is refused by crm.core.forms.Form (a message, never a 500).
        self.data = int(value) if value.isdigit() and len(value) < 40 else None

    def process_data(self, value):
        self.data = int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None

    def _value(self) -> str:
        return str(self.data) if self.data else ""

    def pre_validate(self, form):
        if self.unsettled:
            message = "Choisissez dans la liste des résultats (tapez quelques lettres puis « Rechercher »)."
            if self.empty_label:
                message += f" Videz la case pour : {self.empty_label.lower()}."
            raise StopValidation(message)

    @property
    def chosen(self) -> Match | None:
        """The chosen row (one query, cached), None when nothing or an unknown id is chosen."""
        if self._chosen is False:
            self._chosen = self.source.load(require_firm().id, self.data) if is_id(self.data) else None
        return self._chosen or None

    @property
    def box_text(self) -> str:
        """What the text box shows: the chosen row's label, else what was typed."""
        chosen = self.chosen
        if chosen is not None and (not self.text or self.text == chosen.label or self.picked):
            return chosen.label
        return self.text

    @property
    def unsettled(self) -> bool:
        """Text was typed but not chosen: no id, or the box no longer shows the chosen row
        (without script, typing another name keeps the old hidden id: never save that one)."""
        if not self.text:
            return False
        if self.data is None:
            return True
        return not self.picked and self.chosen is not None and self.text != self.chosen.label

    @property
    def searching(self) -> bool:
        """Show the matches: the no-script search was asked, or text came without a choice."""
        return request.values.get(SEARCH_BUTTON) == self.name or self.unsettled

    def matches(self) -> list[Match]:
        """The search step's results (one bounded query)."""
        if not self.text:
            return []
        return self.source.search(require_firm().id, self.text, LIMIT)

    def __call__(self, **kwargs):
        raise TypeError("render a PickerField with the picker() macro of _picker.html")


def searching(form) -> bool:
    """True when the request is a no-script search step of one of `form`'s pickers.

    The view then shows the form again (nothing is saved) so the matches can be chosen.
    """
    name = request.values.get(SEARCH_BUTTON)
    return bool(name) and any(field.name == name for field in _picker_fields(form))


def _picker_fields(form):
    for field in form:
        if isinstance(field, PickerField):
            yield field
        elif hasattr(field, "entries"):  # FieldList
            for entry in field.entries:
                yield from _picker_fields(entry.form) if hasattr(entry, "form") else ()
        elif hasattr(field, "form"):  # FormField
            yield from _picker_fields(field.form)
