"""The server-drawn SVG charts: bars proportional to the figures, values written, a table for screen readers."""
import re
from decimal import Decimal as D

from crm.indicateurs import charts


def _plain(markup) -> str:
    """The markup with French non-breaking spaces as plain ones."""
    return str(markup).replace("\xa0", " ").replace("\u202f", " ")


def _rects(markup):
    return re.findall(r'<rect class="([^"]+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/>', markup)


def test_bar_chart_draws_one_bar_per_day_with_negative_days_below_the_axis(app):
    with app.app_context():
        markup = _plain(charts.bar_chart("CA HT par jour", [("01/11", D("0")), ("03/11", D("230.40")),
                                                         ("18/11", D("-40.50"))]))
    assert markup.startswith('<figure class="chart bars">')
    assert 'aria-hidden="true"' in markup and "<figcaption>CA HT par jour</figcaption>" in markup
    bars = _rects(markup)
    assert [css for css, *_ in bars] == ["bar", "bar", "bar negative"]
    zero_height, positive, negative = (float(b[4]) for b in bars)
    assert zero_height <= 0.5 and positive > 4 * negative > 0  # 230,40 against 40,50
    assert float(bars[2][2]) >= float(bars[1][2]) + positive - 0.2  # the negative bar starts at the axis, below
    assert ">230 €</text>" in markup and ">-40 €</text>" in markup  # the values, even on paper
    table = markup.split('<table class="visually-hidden">', 1)[1]
    assert "<caption>CA HT par jour</caption>" in table
    assert '<th scope="row">03/11</th><td>230,40 €</td>' in table
    assert "-40,50 €" in table


def test_share_chart_writes_amounts_and_shares(app):
    with app.app_context():
        markup = _plain(charts.share_chart("Par famille", [("Mobilier", D("331.50")), ("Sans famille", D("68.40")),
                                                        ("Papeterie", D("50.00")), ("Vide", D("0"))]))
    widths = [float(b[3]) for b in _rects(markup)]
    assert len(widths) == 3  # a family without sales gets no bar
    assert abs(widths[1] / widths[0] - 68.40 / 331.50) < 0.01
    assert "331,50 € (73,7 %)" in markup and "Papeterie" in markup


def test_funnel_gives_each_step_its_rate_from_the_first(app):
    with app.app_context():
        markup = _plain(charts.funnel_chart("Devis", [("Devis envoyés", 3), ("Devis acceptés", 1)]))
    assert "Devis envoyés : 3<" in markup and "Devis acceptés : 1 — 33,3 %" in markup
    first, second = (float(b[3]) for b in _rects(markup))
    assert abs(second / first - 1 / 3) < 0.01


def test_labels_are_escaped_and_empty_charts_draw_nothing(app):
    with app.app_context():
        markup = _plain(charts.share_chart("x", [("<script>alert(1)</script>", D("10"))]))
        assert "<script>" not in markup and "&lt;script&gt;" in markup
        assert str(charts.bar_chart("x", [])) == "" and str(charts.share_chart("x", [("a", 0)])) == ""
        assert str(charts.funnel_chart("x", [])) == ""
