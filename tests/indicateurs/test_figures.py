"""Each indicator against the figures worked out by hand in conftest.py (the arithmetic is there)."""
from datetime import date
from decimal import Decimal as D

from crm.indicateurs import services
from crm.indicateurs.periods import period_of
from tests.indicateurs.conftest import TODAY


def _board(shop, kind="month", **kwargs):
    return services.dashboard(shop.firm, period_of(kind, TODAY, **kwargs), TODAY)


def _by_key(indicators):
    return {i.key: i for i in indicators}


def test_revenue_count_and_average_basket(shop):
    ht, ttc, count, basket = _board(shop).revenue
    # 230,40 − 40,50 + 260,00 = 449,90 ; October: 240,00 + 45,00 = 285,00
    assert (ht.value, ht.previous) == (D("449.90"), D("285.00"))
    assert [(t.op, t.value) for t in ht.terms] == [("", D("230.40")), ("−", D("40.50")), ("+", D("260.00"))]
    # (449,90 − 285,00) ÷ 285,00 × 100 = 57,859… → 57,9 %
    assert ht.evolution == D("57.9")
    # 276,48 − 48,60 + 304,75 = 532,63 ; October: 288,00 + 54,00 = 342,00
    assert (ttc.value, ttc.previous) == (D("532.63"), D("342.00"))
    assert [t.value for t in ttc.terms] == [D("276.48"), D("48.60"), D("304.75")]
    # 1 invoice + 2 tickets (the credit note is not a sale, the draft invoice is nothing)
    assert (count.value, count.previous) == (3, 2)
    # 532,63 ÷ 3 = 177,543… → 177,54 ; October: 342,00 ÷ 2 = 171,00
    assert (basket.value, basket.previous) == (D("177.54"), D("171.00"))


def test_cost_of_sales_uses_the_cmup_of_the_sale_day(shop):
    cost, margin, rate, markup = _board(shop).margin
    # FA2: 4 CH × 20,00 (CMUP on 03/11, before the reception of 10/11) + 2 SV × 10,00 = 100,00
    # tickets: TK2 2 CH × 23,16 (CMUP after 10/11) + 4 LI × 5,00 = 66,32 ; TK3 1 TB × 55,00 → 121,32
    # credit note: 1 CH returned × 23,16
    assert [t.value for t in cost.terms] == [D("100.00"), D("23.16"), D("121.32")]
    assert (cost.value, cost.previous) == (D("198.16"), D("130.00"))
    assert (margin.value, margin.previous) == (D("251.74"), D("155.00"))  # 449,90 − 198,16 ; 285 − 130
    # 251,74 ÷ 198,16 × 100 = 127,038… ; October 155 ÷ 130 × 100 = 119,230…
    assert (rate.value, rate.previous) == (D("127.04"), D("119.23"))
    # 251,74 ÷ 449,90 × 100 = 55,954… ; October 155 ÷ 285 × 100 = 54,385…
    assert (markup.value, markup.previous) == (D("55.95"), D("54.39"))


def test_a_credit_note_without_returned_goods_keeps_the_cost(shop):
    from crm.ventes.documents import services as documents

    shop.firm.business_date = TODAY
    credit = documents.derive_document(shop.invoices["FA2"], "credit_note", shop.seller, today=TODAY)
    chair = shop.products["CH"]
    # One more chair of FA2 credited, kept by the client (a commercial gesture): nothing comes back to stock.
    quantities = {line_id: D("1") if line.product_id == chair.id else D("0")
                  for line_id, line in documents.source_lines(credit).items()}
    documents.set_derived_quantities(credit, {"goods_returned": False}, quantities)
    documents.validate_document(credit, shop.seller)
    ht, *_ = _board(shop).revenue
    cost, *_ = _board(shop).margin
    # 1 chair at 45,00 less the 10 % remise copied from the invoice = 40,50 HT off the revenue…
    assert ht.value == D("449.90") - D("40.50")
    assert cost.value == D("198.16")  # …and no cost given back: nothing came back to stock


def test_splits_by_family_product_client_and_seller(shop):
    splits = {split.key: split for split in _board(shop).splits}
    family = splits["family"]
    # Mobilier: 162,00 (FA2 chairs) − 40,50 + 90,00 + 120,00 = 331,50 ; cost 80 − 23,16 + 46,32 + 55 = 158,16
    assert [(r.label, r.amount, r.share, r.margin) for r in family.rows] == [
        ("Mobilier", D("331.50"), D("73.7"), D("173.34")),  # 331,50 ÷ 449,90 × 100 = 73,68… → 73,7
        ("Sans famille", D("68.40"), D("15.2"), D("48.40")),  # SV: 68,40 − 20,00
        ("Papeterie", D("50.00"), D("11.1"), D("30.00")),  # LI: 50,00 − 20,00
    ]
    assert family.total == D("449.90")
    product = splits["product"]
    assert [(r.label, r.amount) for r in product.rows][:2] == [
        ("CH — Chaise", D("211.50")), ("TB — Table", D("120.00"))]
    assert product.others is None  # 4 products sold: all shown
    assert [(r.label, r.amount, r.count) for r in splits["segment"].rows] == [
        ("Établissements scolaires", D("189.90"), 1),  # FA2 230,40 − AV1 40,50 (the credit note is no sale)
        ("Sans segment", D("140.00"), 1),
        ("Client non identifié (vente au comptoir)", D("120.00"), 1)]
    assert [(r.label, r.amount) for r in splits["category"].rows] == [
        ("Professionnel", D("189.90")), ("Particulier", D("140.00")),
        ("Client non identifié (vente au comptoir)", D("120.00"))]
    # eleve_a: FA2 230,40 + TK2 140,00 = 370,40 (2 sales) ; eleve_c: TK3 120,00 − AV1 40,50 = 79,50 (1 sale)
    assert [(r.label, r.amount, r.count) for r in splits["trainee"].rows] == [
        (shop.seller.display_name, D("370.40"), 2), ("Élève C", D("79.50"), 1)]


def test_cash_in_by_payment_mode(shop):
    payment = {split.key: split for split in _board(shop).splits}["payment"]
    # transfer 288,00 (FA1 paid 02/11) ; cash 200,00 − 39,25 change = 160,75 ; card 144,00 ; cheque 100,00
    assert [(r.label, r.amount) for r in payment.rows] == [
        ("Virement", D("288.00")), ("Espèces", D("160.75")), ("Carte bancaire", D("144.00")), ("Chèque", D("100.00"))]
    assert payment.total == D("692.75")


def test_revenue_over_time_by_day(shop):
    timeline = {bucket.start: amount for bucket, amount in _board(shop).timeline}
    assert len(timeline) == 20  # 1 to 20 November
    assert {day: amount for day, amount in timeline.items() if amount} == {
        date(2026, 11, 3): D("230.40"), date(2026, 11, 12): D("140.00"), date(2026, 11, 15): D("120.00"),
        date(2026, 11, 18): D("-40.50")}


def test_quote_and_prospect_conversion(shop):
    board = _board(shop)
    quotes, prospects = board.conversion
    # November: DE2 accepted, DE3 refused, DE4 waiting (DE5 is a draft) → 1 ÷ 3 × 100 = 33,33 %
    assert (quotes.value, [t.value for t in quotes.terms[:2]]) == (D("33.33"), [1, 3])
    # October: DE1 sent, expired on 01/11 → 0 ÷ 1
    assert quotes.previous == D("0.00")
    assert board.quote_funnel[0].count == 3 and board.quote_funnel[1].count == 1
    # Stages today: nouveau 1, contacté 1, intéressé 1, devis envoyé 2 (the bakery got DE1), perdu 1, converti 1
    # contacted = 7 − 1 = 6 ; 1 ÷ 6 × 100 = 16,67 %
    assert (prospects.value, [t.value for t in prospects.terms[:2]]) == (D("16.67"), [1, 6])
    assert [s.count for s in board.prospect_funnel] == [7, 6, 3, 1]


def test_desk_requests_and_satisfaction(shop):
    board = _board(shop)
    requests, average, rate = board.desk
    assert (requests.value, requests.previous) == (3, 1)
    assert [(r.label, r.amount) for r in board.desk_natures.rows] == [
        ("Information : horaires", D("1")), ("Information : tarifs", D("1")), ("Réclamation", D("1"))]
    # desk: 5, 2 and 3 (the survey of the 14/11 visit) ; after a sale: 4 (TK2) → 14 ÷ 4 = 3,50
    assert (average.value, [t.value for t in average.terms]) == (D("3.50"), [14, 4])
    assert average.previous == D("4.00")  # October: one desk visit rated 4
    # satisfied (4 or 5): the 5 and the 4 → 2 ÷ 4 × 100 = 50 %
    assert (rate.value, rate.previous) == (D("50.00"), D("100.00"))
    survey = _by_key(board.survey_indicators)
    assert survey["welcome"].value == D("5.00") and survey["advice"].value == D("4.00")
    assert survey["recommend"].value == D("100.00")
    assert (board.surveys.answered, board.surveys.pending) == (2, 1)


def test_stock_value_rotation_and_alerts(shop):
    stock = _by_key(_board(shop).stock)
    # 31/10: CH 9 × 20 + TB 5 × 55 + LI 40 × 5 = 180 + 275 + 200 = 655,00
    # 20/11: CH 18 × 23,16 = 416,88 + TB 4 × 55 = 220 + LI 36 × 5 = 180 → 816,88
    assert [t.value for t in stock["stock_average"].terms[:2]] == [D("655.00"), D("816.88")]
    assert stock["stock_value"].value == D("816.88")
    assert stock["stock_average"].value == D("735.94")  # (655 + 816,88) ÷ 2
    # exits at CMUP: 46,32 + 20,00 + 55,00 − 23,16 returned = 98,16 ; 98,16 ÷ 735,94 = 0,133…
    assert stock["stock_rotation"].value == D("0.13")
    assert stock["stock_duration"].value == D("149.9")  # 20 × 735,94 ÷ 98,16 = 149,94…
    assert stock["stock_alerts"].value == 1  # CH: 18 ≤ alert point 20


def test_trainee_figures(shop):
    figures = {t.name: t for t in _board(shop).trainees}
    mine, other = figures[shop.seller.display_name], figures["Élève C"]
    assert (mine.sales, mine.revenue_ht, mine.quotes_sent, mine.quotes_accepted, mine.requests) == (
        2, D("370.40"), 2, 1, 2)  # quotes DE2 (accepted), DE4 ; requests 02/11, 14/11
    assert (other.sales, other.revenue_ht, other.quotes_sent, other.quotes_accepted, other.requests) == (
        1, D("79.50"), 1, 0, 1)


def test_a_term_and_a_custom_period(shop):
    term = _board(shop, "term")  # 1 Sept – 20 Nov: everything of October and November
    assert term.revenue[0].value == D("449.90") + D("285.00")
    # 8–15 November (8 days) holds the two tickets; the 8 days before (31/10–7/11) hold FA2
    custom = _board(shop, "custom", start=date(2026, 11, 8), end=date(2026, 11, 15))
    assert (custom.revenue[0].value, custom.revenue[0].previous) == (D("260.00"), D("230.40"))


def test_call_plan_rates(shop):
    board = _board(shop)
    calls = _by_key(board.calls)
    # The November phone plan only (see conftest): 5 targets, 4 called, 3 reached, 1 appointment, 1 sale.
    assert [t.value for t in calls["call_progress"].terms[:2]] == [4, 5]
    assert calls["call_progress"].value == D("80.00")
    reach = calls["call_reach_rate"]
    assert (reach.value, [t.value for t in reach.terms[:2]]) == (D("75.00"), [3, 4])
    assert calls["call_appointment_rate"].value == D("33.33") and calls["call_sale_rate"].value == D("33.33")
    assert [s.count for s in board.call_funnel] == [5, 4, 3, 1, 1]
    october = _board(shop, reference=date(2026, 10, 15))  # the October plan: 1 target called, reached, sold
    assert [s.count for s in october.call_funnel] == [1, 1, 1, 0, 1]


def test_sales_by_seller_read_with_the_report_equal_their_own_query(shop):
    """The dashboard takes each seller's sales from the documents grouped once (sales_report);
    the class view asks trainee_figures for them: both give the same figures."""
    from crm.indicateurs import figures

    period = period_of("month", TODAY)
    spans = {services.CURRENT: period.current, services.PREVIOUS: period.previous}
    report = figures.sales_report([shop.firm.id], spans, detail=services.CURRENT)
    assert figures.trainee_figures([shop.firm.id], period.current, sales=report.sellers) == \
        figures.trainee_figures([shop.firm.id], period.current)
    assert {(s.name, s.count, s.ht) for s in report.sellers.values()} == {
        (shop.seller.display_name, 2, D("370.40")), ("Élève C", 1, D("79.50"))}


def test_the_dashboard_reads_the_sales_in_three_statements(shop):
    """Documents grouped once (totals, clients, sellers) and once by day (revenue over time), lines
    costed once (cost, families, products): three statements over the sales."""
    from sqlalchemy import event

    from crm.extensions import db

    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        _board(shop)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    over_sales = [s for s in statements if "FROM sales_line" in s or "FROM counter_sale_line" in s]
    over_documents = [s for s in statements if "sales_document.total_ttc" in s]
    assert len(over_sales) == 1
    assert len(over_documents) == 2
