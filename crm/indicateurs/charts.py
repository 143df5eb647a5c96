"""Charts drawn on the server as SVG: no script, no download, printable, read out as tables.

Each function returns the markup of one <figure>: the SVG (hidden from screen
readers) with every value written on it, a caption, and the same figures as a
table for screen readers (visually hidden, read in order). Colours come from
the stylesheet (classes), so the CSP needs no inline style, and every bar
carries its value as text, so a black-and-white print keeps the information.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

from crm.core.formatting import money, number, percent

WIDTH = 720
BAR_HEIGHT = 230  # drawing area of the vertical bar chart
AXIS = 54  # room on the left for the scale


@dataclass(frozen=True)
class Datum:
    label: str
    value: Decimal | int


def _data(points) -> list[Datum]:
    """(label, value) pairs as the charts draw them."""
    return [point if isinstance(point, Datum) else Datum(*point) for point in points]


def _fmt(value, unit: str) -> str:
    if unit == "money":
        return money(value)
    if unit == "percent":
        return percent(value, 1)
    return number(value, 2)


def _short(value: Decimal, unit: str) -> str:
    """Axis labels: whole euros."""
    text = number(Decimal(value).quantize(Decimal(1)), 0)
    return f"{text} €" if unit == "money" else text


def _table(caption: str, rows: Sequence[tuple[str, str]], head: tuple[str, str]) -> str:
    body = "".join(f"<tr><th scope=\"row\">{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows)
    return (f'<table class="visually-hidden"><caption>{escape(caption)}</caption>'
            f'<thead><tr><th scope="col">{escape(head[0])}</th><th scope="col">{escape(head[1])}</th></tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _figure(css: str, svg: str, caption: str, table: str) -> Markup:
    return Markup(f'<figure class="chart {css}">{svg}<figcaption>{escape(caption)}</figcaption>{table}</figure>')


def _scale(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """A round top and bottom for the axis, holding every value and zero."""
    top, bottom = max([Decimal(0), *values]), min([Decimal(0), *values])
    span = top - bottom
    if span == 0:
        return Decimal(1), Decimal(0)
    step = _nice_step(span / 4)
    top = (top / step).to_integral_value(rounding="ROUND_CEILING") * step
    bottom = (bottom / step).to_integral_value(rounding="ROUND_FLOOR") * step
    return top, bottom


def _nice_step(raw: Decimal) -> Decimal:
    exponent = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal("0.1")
    for factor in (1, 2, 5, 10):
        if raw <= exponent * factor:
            return exponent * factor
    return exponent * 10


def bar_chart(caption: str, data: Sequence, unit: str = "money", column_label: str = "Période") -> Markup:
    """Vertical bars (revenue over time); negative values (credit notes) go below the axis."""
    data = _data(data)
    if not data:
        return Markup("")
    values = [Decimal(d.value) for d in data]
    top, bottom = _scale(values)
    left, chart_top, height = AXIS, 12, BAR_HEIGHT
    slot = (WIDTH - left - 8) / len(data)
    bar = max(min(slot * 0.7, 48), 2)

    def y(value: Decimal) -> float:
        return chart_top + float((top - value) / (top - bottom)) * height  # ok: SVG geometry, not money

    parts = []
    for tick in range(5):
        value = bottom + (top - bottom) * tick / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{WIDTH - 8}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                     f'<text class="axis" x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                     f"{escape(_short(value, unit))}</text>")
    zero = y(Decimal(0))
    every = max(1, round(len(data) / 12))  # at most about 12 labels under the bars
    show_values = len(data) <= 16
    for n, (datum, value) in enumerate(zip(data, values, strict=False)):
        x = left + slot * n + (slot - bar) / 2
        top_y, bottom_y = (y(value), zero) if value >= 0 else (zero, y(value))
        css = "bar negative" if value < 0 else "bar"
        parts.append(f'<rect class="{css}" x="{x:.1f}" y="{top_y:.1f}" width="{bar:.1f}" '
                     f'height="{max(bottom_y - top_y, 0.5):.1f}"/>')
        if value and show_values:
            label_y = top_y - 4 if value >= 0 else bottom_y + 12
            parts.append(f'<text class="value" x="{x + bar / 2:.1f}" y="{label_y:.1f}" text-anchor="middle">'
                         f"{escape(_short(value, unit))}</text>")
        if n % every == 0:
            parts.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{chart_top + height + 16}" '
                         f'text-anchor="middle">{escape(datum.label)}</text>')
    parts.append(f'<line class="axis-line" x1="{left}" x2="{WIDTH - 8}" y1="{zero:.1f}" y2="{zero:.1f}"/>')
    total_height = chart_top + height + 24
    svg = (f'<svg viewBox="0 0 {WIDTH} {total_height}" width="{WIDTH}" height="{total_height}" '
           f'aria-hidden="true" focusable="false">{"".join(parts)}</svg>')
    table = _table(caption, [(d.label, _fmt(d.value, unit)) for d in data], (column_label, "Montant"))
    return _figure("bars", svg, caption, table)


def share_chart(caption: str, data: Sequence, unit: str = "money") -> Markup:
    """Horizontal bars of a split (by family…), each with its amount and its share of the total."""
    rows = [d for d in _data(data) if d.value]
    if not rows:
        return Markup("")
    total = sum((Decimal(d.value) for d in rows), Decimal(0))
    biggest = max(abs(Decimal(d.value)) for d in rows) or Decimal(1)
    label_width, line = 210, 30
    room = WIDTH - label_width - 190
    parts = []
    for n, datum in enumerate(rows):
        value = Decimal(datum.value)
        y = n * line + 6
        length = max(float(abs(value) / biggest) * room, 1)  # ok: SVG geometry, not money
        share = f" ({percent(value * 100 / total, 1)})" if total else ""
        css = "bar negative" if value < 0 else "bar"
        parts.append(
            f'<text class="label" x="{label_width - 8}" y="{y + 16}" text-anchor="end">'
            f'{escape(_clip(datum.label))}</text>'
            f'<rect class="{css}" x="{label_width}" y="{y}" width="{length:.1f}" height="{line - 10}"/>'
            f'<text class="value" x="{label_width + length + 6:.1f}" y="{y + 16}">'
            f"{escape(_fmt(value, unit) + share)}</text>")
    height = len(rows) * line + 8
    svg = (f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" aria-hidden="true" '
           f'focusable="false">{"".join(parts)}</svg>')
    table = _table(caption, [(d.label, _fmt(d.value, unit) + (f" ({percent(Decimal(d.value) * 100 / total, 1)})"
                                                              if total else "")) for d in rows], ("", "Montant (part)"))
    return _figure("shares", svg, caption, table)


def funnel_chart(caption: str, steps: Sequence) -> Markup:
    """A conversion funnel: each step as a centred bar, with its count and its rate from the first step."""
    steps = _data(steps)
    if not steps:
        return Markup("")
    first = Decimal(steps[0].value)
    biggest = max([Decimal(s.value) for s in steps] + [Decimal(1)])
    line, room = 46, WIDTH - 40
    parts = []
    rows = []
    for n, step in enumerate(steps):
        value = Decimal(step.value)
        width = max(value / biggest * room, Decimal(3))
        x = (WIDTH - width) / 2
        y = n * line + 4
        rate = f" — {percent(value * 100 / first, 1)}" if first and n else ""
        text = f"{step.label} : {number(value, 0)}{rate}"
        parts.append(f'<rect class="bar step-{min(n, 4)}" x="{x:.1f}" y="{y}" width="{width:.1f}" '
                     f'height="{line - 12}"/>'
                     f'<text class="funnel-label" x="{WIDTH / 2}" y="{y + (line - 12) / 2 + 5:.1f}" '
                     f'text-anchor="middle">{escape(text)}</text>')
        rows.append((step.label, f"{number(value, 0)}{rate}"))
    height = len(steps) * line
    svg = (f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" aria-hidden="true" '
           f'focusable="false">{"".join(parts)}</svg>')
    return _figure("funnel", svg, caption, _table(caption, rows, ("Étape", "Nombre")))


def _clip(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
