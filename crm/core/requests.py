"""What a request may carry, checked once for every view: ids in URLs, integers, NUL bytes.

- `<int:…>` URL arguments stop at the database's integer range: a bigger id is no row of
  ours, so the URL matches nothing (404) instead of overflowing the query.
- `request.args.get(name, type=int)` and `request.form.get(…, type=int)` give the default for
  an integer beyond that range, as for any text that is not an integer.
- NUL bytes (PostgreSQL cannot store them, and no one types them): removed from the query
  string (a search for "a\\x00b" looks for "ab"), refused in a form (422) or a URL (400) before
  the view runs, with a French message.
"""
from __future__ import annotations

from flask import Flask, Request, abort, g, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from crm.core.limits import MAX_INT, NUL_MESSAGE, bounded_int


def digits_at_most(limit: int) -> str:
    """A regex of the decimal numbers from 0 to `limit`: a bigger one is not even a match of the path.

    (A check after the match would not do: where a URL has a GET and a POST view, werkzeug answers
    405 instead of 404 when the converter refuses the POST view's number.)
    """
    text = str(limit)
    choices = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        low = 1 if i == 0 and len(text) > 1 else 0
        if int(digit) - 1 >= low:
            rest = len(text) - i - 1
            high = int(digit) - 1
            digits = f"[{low}-{high}]" if high > low else str(low)
            choices.append(text[:i] + digits + (rf"\d{{{rest}}}" if rest else ""))
    choices.append(text)
    return "(?:" + "|".join(choices) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` of every route: at most the database's largest integer."""

    regex = digits_at_most(MAX_INT)

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedMultiDict(ImmutableMultiDict):
    """Query and form values whose `type=int` conversion stops at the database's range."""

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's signature
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key, type=None):  # noqa: A002
        return super().getlist(key, bounded_int if type is int else type)


class BoundedRequest(Request):
    parameter_storage_class = BoundedMultiDict

    @cached_property
    def args(self) -> BoundedMultiDict:
        """The query string's arguments, NUL bytes removed."""
        return BoundedMultiDict((key.replace("\x00", ""), value.replace("\x00", ""))
                                for key, value in super().args.items(multi=True))


def init_app(app: Flask) -> None:
    """Before any blueprint registers a route: the URL converter, the request class, the NUL check."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = BoundedRequest


def refuse_nul_bytes():
    """before_request: a NUL byte in the URL's path or in a form is refused (the query's are removed)."""
    if any("\x00" in str(v) for v in (request.view_args or {}).values()):
        g.refused = True
        g.error_message = NUL_MESSAGE
        abort(400)
    if request.method not in ("GET", "HEAD", "OPTIONS") and _has_nul(request.form):
        g.refused = True
        g.error_message = NUL_MESSAGE
        abort(422)


def _has_nul(values) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values.getlist(key)) for key in values)
