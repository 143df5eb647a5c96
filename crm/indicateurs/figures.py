"""The raw figures of the indicators, each computed by one aggregate query.

Every function takes the firms to compute (one firm, or the firms of a
classroom side by side) and returns small dictionaries keyed by firm id:
the database does the sums and counts (GROUP BY), Python only assembles the
few aggregated rows. No function here runs a query per firm or per row.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import String, and_, case, cast, func, literal, or_, select, union_all

from crm.accueil.models import DeskRequest
from crm.clients.models import CATEGORIES, STAGES, Party
from crm.core.models import Membership, Role, User
from crm.core.money import ZERO, round_cent
from crm.extensions import db
from crm.indicateurs.models import SATISFIED_FROM, SatisfactionSurvey
from crm.indicateurs.periods import Bucket, Range
from crm.indicateurs.sales import (
    COUNTER_SALE, CREDIT_NOTE, INVOICE, Spans, exact, sales_documents, sales_lines, span_of, within,
)
from crm.prospection.models import (
    APPOINTMENT, PHONE, REACHED_OUTCOMES, SALE, CallAttempt, CallPlan, CallPlanEntry,
)
from crm.stocks.models import MoveKind, StockMove
from crm.ventes.caisse.models import CounterSale, CounterSalePayment
from crm.ventes.documents.models import PAYMENT_METHODS, STATUSES, Payment, Quote, SalesDocument
from crm.ventes.models import Product, ProductFamily
from crm.ventes.codes import CASH, PAYMENT_MODES


def codes(known, *names: str) -> tuple[str, ...]:
    """Stored codes this module relies on, checked against their model's table of codes at import:
    a renamed code fails loudly here instead of silently counting nothing."""
    missing = [name for name in names if name not in known]
    if missing:
        raise ImportError(f"codes {missing} are no longer defined by their model")
    return names


SENT, ACCEPTED, REFUSED = codes(STATUSES, "sent", "accepted", "refused")
EXPIRED = "expired"  # a sent quote past its validity date (computed, as crm.ventes does)
QUOTE = Quote.__mapper__.polymorphic_identity
NEW_PROSPECT, CONVERTED, QUOTE_SENT_STAGE = codes(STAGES, "nouveau", "converti", "devis_envoye")
PRIVATE, BUSINESS = codes(CATEGORIES, "private", "business")
SALE_EXITS = (MoveKind.DELIVERY.value, MoveKind.COUNTER_SALE.value)
RETURNS = (MoveKind.CUSTOMER_RETURN.value,)
SALES_SURVEYS = ("counter_sale", "invoice")  # desk surveys are counted on their desk request


def money(value) -> Decimal:
    """A sum read back from the database, to the cent (SQLite sums floats, PostgreSQL numerics)."""
    if value is None:
        return ZERO
    return round_cent(Decimal(str(value)))


# --- revenue, sales count and cost of sales ------------------------------------------

@dataclass
class SalesFigures:
    """The sales of one firm over one span, split by where they come from."""

    ht: dict = field(default_factory=lambda: dict.fromkeys((INVOICE, CREDIT_NOTE, COUNTER_SALE), ZERO))
    ttc: dict = field(default_factory=lambda: dict.fromkeys((INVOICE, CREDIT_NOTE, COUNTER_SALE), ZERO))
    count: dict = field(default_factory=lambda: dict.fromkeys((INVOICE, CREDIT_NOTE, COUNTER_SALE), 0))
    cost: dict = field(default_factory=lambda: dict.fromkeys((INVOICE, CREDIT_NOTE, COUNTER_SALE), ZERO))

    # Credit notes are stored signed (negative) in the sums; these read them as positive amounts.
    @property
    def revenue_ht(self) -> Decimal:
        return self.ht[INVOICE] + self.ht[CREDIT_NOTE] + self.ht[COUNTER_SALE]

    @property
    def revenue_ttc(self) -> Decimal:
        return self.ttc[INVOICE] + self.ttc[CREDIT_NOTE] + self.ttc[COUNTER_SALE]

    @property
    def sales_count(self) -> int:
        """Invoices and tickets (a credit note is not a sale)."""
        return self.count[INVOICE] + self.count[COUNTER_SALE]

    @property
    def cost_of_sales(self) -> Decimal:
        return self.cost[INVOICE] + self.cost[CREDIT_NOTE] + self.cost[COUNTER_SALE]

    @property
    def margin(self) -> Decimal:
        return self.revenue_ht - self.cost_of_sales


def sales_figures(firm_ids: Sequence[int], spans: Spans) -> dict[tuple[int, str], SalesFigures]:
    """(firm id, span) → its sales figures: two queries (document totals, line costs)."""
    return sales_report(firm_ids, spans).figures


@dataclass
class SalesReport:
    figures: dict[tuple[int, str], SalesFigures]
    families: list[SplitRow] = field(default_factory=list)
    products: list[SplitRow] = field(default_factory=list)  # the best sellers only
    products_sold: int = 0
    # With a detailed span: its sales by client segment and category, and (firm, user) → seller's sales.
    segments: list[SplitRow] = field(default_factory=list)
    categories: list[SplitRow] = field(default_factory=list)
    sellers: dict[tuple[int, int | None], SellerSales] = field(default_factory=dict)


@dataclass
class SellerSales:
    name: str | None
    count: int = 0
    ht: Decimal = ZERO


UNKNOWN_CLIENT = "Client non identifié (vente au comptoir)"


def sales_report(firm_ids: Sequence[int], spans: Spans, detail: str | None = None,
                 best: int = 10) -> SalesReport:
    """The sales figures of every firm and span; with `detail` (the name of a span), also its split
    by family, by client and by seller, and its `best` products. Two statements: the documents
    grouped once by every key the splits need (a few hundred rows), and the lines costed once."""
    result: dict[tuple[int, str], SalesFigures] = defaultdict(SalesFigures)
    report = SalesReport(result)
    docs = sales_documents(firm_ids, spans)
    keys = [docs.c.firm_id, docs.c.span, docs.c.source]
    if detail:
        keys += [docs.c.party_id.is_(None), Party.segment, Party.category, docs.c.user_id, User.display_name]
    query = select(*keys, func.sum(docs.c.ht), func.sum(docs.c.ttc), func.count()).group_by(*keys)
    if detail:
        query = (query.outerjoin(Party, Party.id == docs.c.party_id)
                 .outerjoin(User, User.id == docs.c.user_id))
    segments: dict[tuple, SplitRow] = {}
    categories: dict[tuple, SplitRow] = {}
    for row in db.session.execute(query):
        firm_id, span, source = row[:3]
        ht, ttc, count = money(row[-3]), money(row[-2]), row[-1]
        figures = result[(firm_id, span)]
        figures.ht[source] += ht
        figures.ttc[source] += ttc
        figures.count[source] += count
        if not detail or span != detail:
            continue
        unknown, segment, category, user_id, name = row[3:8]
        sales = 0 if source == CREDIT_NOTE else count  # a credit note is not a sale
        for splits, value, label in (
                (segments, segment, segment or "Sans segment"),
                (categories, category, CATEGORIES.get(category, category))):
            key = (unknown, None if unknown else value)
            split = splits.setdefault(key, SplitRow(key[1], UNKNOWN_CLIENT if unknown else label, ZERO, count=0))
            split.ht += ht
            split.count += sales
        seller = report.sellers.setdefault((firm_id, user_id), SellerSales(name))
        seller.count += sales
        seller.ht += ht
    report.segments, report.categories = sort_rows(list(segments.values())), sort_rows(list(categories.values()))
    for grouping, firm_id, span, key, name, label, ht, cost, sold in db.session.execute(
            _line_groupings(firm_ids, spans, detail, best)):
        if grouping == "source":
            result[(firm_id, span)].cost[key] = money(cost)
        elif grouping == "family":
            report.families.append(SplitRow(key, name or "Sans famille", money(ht), money(cost)))
        else:
            report.products.append(SplitRow(key, f"{name} — {label}" if key else "Lignes sans article",
                                            money(ht), money(cost)))
            report.products_sold = sold
    report.families = sort_rows(report.families)
    return report


def _line_groupings(firm_ids: Sequence[int], spans: Spans, detail: str | None, best: int):
    """One statement, one pass over the costed lines: they are summed by firm, span, source and
    product (a few hundred rows, computed once: a materialised CTE), and that small set gives the
    cost by firm, span and source; with `detail`, HT and cost by family, and the best products,
    of that span."""
    lines = sales_lines(firm_ids, spans, ("ht", "cost") if detail else ("cost",),
                        keys=("firm_id", "span", "source", "product_id"))
    no_text = literal(None, String)
    if not detail:
        return select(literal("source", String), lines.c.firm_id, lines.c.span, lines.c.source, no_text,
                      no_text, literal(0), func.sum(lines.c.cost), literal(0)
                      ).group_by(lines.c.firm_id, lines.c.span, lines.c.source)
    sold = (select(lines.c.firm_id, lines.c.span, lines.c.source, lines.c.product_id,
                   func.sum(lines.c.ht).label("ht"), func.sum(lines.c.cost).label("cost"))
            .group_by(lines.c.firm_id, lines.c.span, lines.c.source, lines.c.product_id)
            .cte("sold_products").prefix_with("MATERIALIZED"))
    parts = [
        select(literal("source", String).label("grouping"), sold.c.firm_id, sold.c.span,
               sold.c.source.label("key"), no_text.label("name"), no_text.label("label"),
               literal(0).label("ht"), func.sum(sold.c.cost).label("cost"), literal(0).label("sold"))
        .group_by(sold.c.firm_id, sold.c.span, sold.c.source),
        select(literal("family", String), sold.c.firm_id, sold.c.span, cast(Product.family_id, String),
               ProductFamily.name, no_text, func.sum(sold.c.ht), func.sum(sold.c.cost), literal(0))
        .select_from(sold)
        .outerjoin(Product, Product.id == sold.c.product_id)
        .outerjoin(ProductFamily, ProductFamily.id == Product.family_id)
        .where(sold.c.span == detail)
        .group_by(sold.c.firm_id, sold.c.span, Product.family_id, ProductFamily.name),
    ]
    ht = func.sum(sold.c.ht)
    products = (
        select(literal("product", String).label("grouping"), sold.c.firm_id, sold.c.span,
               cast(sold.c.product_id, String).label("key"), Product.reference.label("name"),
               Product.label.label("label"), ht.label("ht"), func.sum(sold.c.cost).label("cost"),
               func.count().over().label("sold"))
        .select_from(sold)
        .outerjoin(Product, Product.id == sold.c.product_id)
        .where(sold.c.span == detail)
        .group_by(sold.c.firm_id, sold.c.span, sold.c.product_id, Product.reference, Product.label)
        .order_by(ht.desc(), Product.reference)
        .limit(best)
        .subquery())
    parts.append(select(products))
    return union_all(*parts)


# --- splits of the sales --------------------------------------------------------------

@dataclass
class SplitRow:
    key: object
    label: str
    ht: Decimal
    cost: Decimal | None = None  # known for the splits by family and product
    count: int | None = None  # sales (documents) for the splits by client and trainee

    @property
    def margin(self) -> Decimal | None:
        return None if self.cost is None else self.ht - self.cost


def by_payment_mode(firm_ids: Sequence[int], span: Range) -> dict[int, list[SplitRow]]:
    """What was cashed in over the span, by payment mode (TTC): invoice payments on their date,
    tickets on their till day, the change given back taken off the cash."""
    spans = {"span": span}
    invoice_payments = select(Payment.firm_id.label("firm_id"), Payment.method.label("mode"),
                              Payment.amount.label("amount")).where(
        Payment.firm_id.in_(firm_ids), within(Payment.paid_on, spans))
    ticket_payments = (select(CounterSale.firm_id, CounterSalePayment.mode, CounterSalePayment.amount)
                       .join(CounterSale, CounterSale.id == CounterSalePayment.sale_id)
                       .where(CounterSale.firm_id.in_(firm_ids), within(CounterSale.sale_date, spans)))
    change = select(CounterSale.firm_id, literal(CASH, String), -CounterSale.change_given).where(
        CounterSale.firm_id.in_(firm_ids), within(CounterSale.sale_date, spans), CounterSale.change_given > 0)
    cashed = union_all(invoice_payments, ticket_payments, change).subquery()
    rows = db.session.execute(
        select(cashed.c.firm_id, cashed.c.mode, func.sum(cashed.c.amount))
        .group_by(cashed.c.firm_id, cashed.c.mode))
    # The till and the documents may name a mode differently (especes / cash) while their codes
    # are being unified: the few aggregated rows are merged by their French label.
    labels = {**PAYMENT_MODES, **PAYMENT_METHODS}
    merged: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for firm_id, mode, amount in rows:
        label = labels.get(mode, mode)
        merged[firm_id][label] = merged[firm_id].get(label, ZERO) + money(amount)
    return {firm_id: sort_rows([SplitRow(label, label, amount) for label, amount in modes.items() if amount])
            for firm_id, modes in merged.items()}


def timeline(firm_id: int, steps: list[Bucket]) -> list[Decimal]:
    """Revenue HT of each bucket (day, week or month) of the period, in order: the database sums
    each day, the few days are put in their bucket here."""
    if not steps:
        return []
    docs = sales_documents([firm_id], {"span": Range(steps[0].start, steps[-1].end)})
    starts = [bucket.start for bucket in steps]
    totals = [ZERO] * len(steps)
    for day, ht in db.session.execute(select(docs.c.day, func.sum(docs.c.ht)).group_by(docs.c.day)):
        totals[bisect_right(starts, day) - 1] += money(ht)
    return totals


def sort_rows(rows: list[SplitRow]) -> list[SplitRow]:
    return sorted(rows, key=lambda row: (-row.ht, row.label))


# --- what each trainee did ---------------------------------------------------------------

@dataclass
class TraineeFigures:
    firm_id: int
    user_id: int | None
    name: str
    sales: int = 0
    revenue_ht: Decimal = ZERO
    quotes_sent: int = 0
    quotes_accepted: int = 0
    requests: int = 0


def trainee_figures(firm_ids: Sequence[int], span: Range,
                    sales: dict[tuple[int, int | None], SellerSales] | None = None) -> list[TraineeFigures]:
    """Per firm and person: sales made (invoices issued and tickets cashed), quotes sent and
    accepted, desk requests recorded — three grouped queries, and the firms' trainees (one more).
    `sales`: the sales by seller of the span when the caller has them already (sales_report)."""
    spans = {"span": span}
    found: dict[tuple[int, int | None], TraineeFigures] = {}

    def figures(firm_id, user_id, name) -> TraineeFigures:
        key = (firm_id, user_id)
        if key not in found:
            found[key] = TraineeFigures(firm_id, user_id, name or "Non renseigné")
        return found[key]

    if sales is None:
        docs = sales_documents(firm_ids, spans)
        sales = {(firm_id, user_id): SellerSales(name, int(count), money(ht)) for firm_id, user_id, name, count, ht
                 in db.session.execute(
                     select(docs.c.firm_id, docs.c.user_id, User.display_name,
                            func.sum(case((docs.c.source == CREDIT_NOTE, 0), else_=1)), func.sum(docs.c.ht))
                     .outerjoin(User, User.id == docs.c.user_id)
                     .group_by(docs.c.firm_id, docs.c.user_id, User.display_name))}
    for (firm_id, user_id), seller in sales.items():
        row = figures(firm_id, user_id, seller.name)
        row.sales, row.revenue_ht = seller.count, seller.ht
    quotes = quotes_query(firm_ids, spans).subquery()
    for firm_id, user_id, name, sent, accepted in db.session.execute(
        select(quotes.c.firm_id, quotes.c.user_id, User.display_name, func.count(),
               func.sum(case((quotes.c.state == ACCEPTED, 1), else_=0)))
        .outerjoin(User, User.id == quotes.c.user_id)
        .group_by(quotes.c.firm_id, quotes.c.user_id, User.display_name)
    ):
        row = figures(firm_id, user_id, name)
        row.quotes_sent, row.quotes_accepted = sent, int(accepted)
    # Every trainee of the firms has a row, even with nothing done yet (the teacher sees who has not started).
    for firm_id, user_id, name in db.session.execute(
        select(Membership.firm_id, User.id, User.display_name).join(User, User.id == Membership.user_id)
        .where(Membership.firm_id.in_(firm_ids), User.role == Role.TRAINEE.value)
    ):
        figures(firm_id, user_id, name)
    for firm_id, user_id, name, count in db.session.execute(
        select(DeskRequest.firm_id, DeskRequest.created_by_id, User.display_name, func.count())
        .outerjoin(User, User.id == DeskRequest.created_by_id)
        .where(DeskRequest.firm_id.in_(firm_ids), within(DeskRequest.received_on, spans))
        .group_by(DeskRequest.firm_id, DeskRequest.created_by_id, User.display_name)
    ):
        figures(firm_id, user_id, name).requests = count
    return sorted(found.values(), key=lambda t: (t.firm_id, t.user_id is None, t.name))


# --- quotes and prospects -----------------------------------------------------------------

def quotes_query(firm_ids: Sequence[int], spans: Spans, today: date | None = None):
    """Quotes sent (validated) in the spans, with their state: sent, accepted, refused or expired."""
    state = SalesDocument.status
    if today is not None:
        state = case((and_(SalesDocument.status == SENT, SalesDocument.valid_until < today), EXPIRED),
                     else_=SalesDocument.status)
    return select(
        SalesDocument.firm_id.label("firm_id"), span_of(SalesDocument.issue_date, spans).label("span"),
        SalesDocument.validated_by_id.label("user_id"), state.label("state"),
    ).where(SalesDocument.firm_id.in_(firm_ids), SalesDocument.kind == QUOTE,
            SalesDocument.number.is_not(None), within(SalesDocument.issue_date, spans))


def quote_figures(firm_ids: Sequence[int], spans: Spans, today: date) -> dict[tuple[int, str], dict[str, int]]:
    """(firm, span) → number of quotes sent in the span by state today (sent, accepted, refused, expired)."""
    quotes = quotes_query(firm_ids, spans, today).subquery()
    result: dict[tuple[int, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((SENT, ACCEPTED, REFUSED, EXPIRED), 0))
    for firm_id, span, state, count in db.session.execute(
        select(quotes.c.firm_id, quotes.c.span, quotes.c.state, func.count())
        .group_by(quotes.c.firm_id, quotes.c.span, quotes.c.state)
    ):
        result[(firm_id, span)][state] = count
    return result


def prospect_stages(firm_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Firm → number of parties at each prospecting stage today (converted clients included)."""
    result: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STAGES, 0))
    for firm_id, stage, count in db.session.execute(
        select(Party.firm_id, Party.stage, func.count())
        .where(Party.firm_id.in_(firm_ids), Party.stage.is_not(None), Party.anonymised_at.is_(None))
        .group_by(Party.firm_id, Party.stage)
    ):
        result[firm_id][stage] = count
    return result


# --- call plans -----------------------------------------------------------------------------

@dataclass
class CallFigures:
    """The phone call plans of a firm running during a period: their targets and what the calls gave."""

    plans: int = 0
    targets: int = 0
    called: int = 0  # targets called at least once
    reached: int = 0  # targets spoken to at least once
    appointments: int = 0  # targets with an appointment made
    sales: int = 0  # targets with a sale


def call_figures(firm_ids: Sequence[int], span: Range) -> dict[int, CallFigures]:
    """Phone plans whose dates meet the span (started by its end, not ended before its start), with
    every call made in them — a call is dated by its real instant, not by the firm's calendar,
    so the plan's dates place it in a period. The same counts as the plan's own results page."""
    result: dict[int, CallFigures] = defaultdict(CallFigures)
    running = and_(CallPlan.firm_id.in_(firm_ids), CallPlan.channel == PHONE, CallPlan.starts_on <= span.end,
                   or_(CallPlan.ends_on.is_(None), CallPlan.ends_on >= span.start))
    for firm_id, plans, targets, called in db.session.execute(
        select(CallPlan.firm_id, func.count(func.distinct(CallPlan.id)), func.count(CallPlanEntry.id),
               func.sum(case((CallPlanEntry.attempts > 0, 1), else_=0)))
        .outerjoin(CallPlanEntry, CallPlanEntry.plan_id == CallPlan.id)
        .where(running).group_by(CallPlan.firm_id)
    ):
        found = result[firm_id]
        found.plans, found.targets, found.called = plans, targets, int(called or 0)

    def targets_with(outcomes):
        return func.count(func.distinct(case((CallAttempt.outcome.in_(outcomes), CallAttempt.entry_id))))

    for firm_id, reached, appointments, sales in db.session.execute(
        select(CallPlan.firm_id, targets_with(REACHED_OUTCOMES), targets_with((APPOINTMENT,)),
               targets_with((SALE,)))
        .join(CallPlanEntry, CallPlanEntry.plan_id == CallPlan.id)
        .join(CallAttempt, CallAttempt.entry_id == CallPlanEntry.id)
        .where(running).group_by(CallPlan.firm_id)
    ):
        found = result[firm_id]
        found.reached, found.appointments, found.sales = reached, appointments, sales
    return result


# --- desk and satisfaction ------------------------------------------------------------------

def desk_natures(firm_ids: Sequence[int], spans: Spans) -> dict[tuple[int, str], dict[str, int]]:
    """(firm, span) → desk requests received in the span, by nature."""
    result: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    span = span_of(DeskRequest.received_on, spans)
    for firm_id, name, nature, count in db.session.execute(
        select(DeskRequest.firm_id, span, DeskRequest.nature, func.count())
        .where(DeskRequest.firm_id.in_(firm_ids), within(DeskRequest.received_on, spans))
        .group_by(DeskRequest.firm_id, span, DeskRequest.nature)
    ):
        result[(firm_id, name)][nature] = count
    return result


@dataclass
class Opinions:
    """Satisfaction answers (1 to 5) of one firm over one span, by where they were given."""

    count: dict = field(default_factory=lambda: {"desk": 0, "survey": 0})
    total: dict = field(default_factory=lambda: {"desk": 0, "survey": 0})  # sum of the scores
    satisfied: dict = field(default_factory=lambda: {"desk": 0, "survey": 0})  # scores ≥ SATISFIED_FROM

    @property
    def answers(self) -> int:
        return self.count["desk"] + self.count["survey"]

    @property
    def score_sum(self) -> int:
        return self.total["desk"] + self.total["survey"]

    @property
    def satisfied_count(self) -> int:
        return self.satisfied["desk"] + self.satisfied["survey"]


def opinions(firm_ids: Sequence[int], spans: Spans) -> dict[tuple[int, str], Opinions]:
    """Desk requests rated (at closing or by their survey), on the day they were received, and
    surveys after a sale, on the day they were answered."""
    desk = select(DeskRequest.firm_id.label("firm_id"), span_of(DeskRequest.received_on, spans).label("span"),
                  literal("desk", String).label("origin"), DeskRequest.satisfaction.label("score")).where(
        DeskRequest.firm_id.in_(firm_ids), within(DeskRequest.received_on, spans),
        DeskRequest.satisfaction.is_not(None))
    surveys = select(SatisfactionSurvey.firm_id, span_of(SatisfactionSurvey.answered_on, spans),
                     literal("survey", String), SatisfactionSurvey.overall).where(
        SatisfactionSurvey.firm_id.in_(firm_ids), SatisfactionSurvey.subject.in_(SALES_SURVEYS),
        SatisfactionSurvey.answered_on.is_not(None), within(SatisfactionSurvey.answered_on, spans))
    scores = union_all(desk, surveys).subquery()
    result: dict[tuple[int, str], Opinions] = defaultdict(Opinions)
    for firm_id, span, origin, count, total, satisfied in db.session.execute(
        select(scores.c.firm_id, scores.c.span, scores.c.origin, func.count(), func.sum(scores.c.score),
               func.sum(case((scores.c.score >= SATISFIED_FROM, 1), else_=0)))
        .group_by(scores.c.firm_id, scores.c.span, scores.c.origin)
    ):
        found = result[(firm_id, span)]
        found.count[origin], found.total[origin], found.satisfied[origin] = count, int(total), int(satisfied)
    return result


@dataclass
class SurveyDetails:
    answered: int = 0
    welcome_sum: int = 0
    welcome_count: int = 0
    advice_sum: int = 0
    advice_count: int = 0
    recommend: int = 0
    recommend_count: int = 0
    pending: int = 0


def survey_details(firm_id: int, span: Range) -> SurveyDetails:
    """Every survey answered in the span (sales and desk visits): the detailed questions."""
    s = SatisfactionSurvey
    answered = and_(s.answered_on.is_not(None), s.answered_on.between(span.start, span.end))
    row = db.session.execute(
        select(func.sum(case((answered, 1), else_=0)),
               func.sum(case((answered, s.welcome), else_=0)),
               func.sum(case((answered & s.welcome.is_not(None), 1), else_=0)),
               func.sum(case((answered, s.advice), else_=0)),
               func.sum(case((answered & s.advice.is_not(None), 1), else_=0)),
               func.sum(case((answered & s.would_recommend.is_(True), 1), else_=0)),
               func.sum(case((answered & s.would_recommend.is_not(None), 1), else_=0)),
               func.sum(case((s.answered_at.is_(None), 1), else_=0)))
        .where(s.firm_id == firm_id)
    ).one()
    return SurveyDetails(*[int(value or 0) for value in row])


# --- stock ---------------------------------------------------------------------------------

@dataclass
class StockFigures:
    opening: Decimal = ZERO  # value the day before the period
    closing: Decimal = ZERO  # value at the end of the period
    exits: Decimal = ZERO  # cost of the goods that left for sales, less customer returns


def stock_figures(firm_ids: Sequence[int], span: Range) -> dict[int, StockFigures]:
    """Stock value (Σ quantity × CMUP of each product after its last move) on two dates, and the
    cost of the stock that left for sales over the span — all from the stock ledger."""
    result: dict[int, StockFigures] = defaultdict(StockFigures)
    # Moves of a product are never dated before its last one, so its latest move up to a day is
    # the one with the highest id: one pass over the ledger finds it for both days.
    opening_day = span.start - timedelta(days=1)
    last = (select(func.max(case((StockMove.moved_on <= opening_day, StockMove.id))).label("opening"),
                   func.max(StockMove.id).label("closing"))
            .where(StockMove.firm_id.in_(firm_ids), StockMove.moved_on <= span.end)
            .group_by(StockMove.product_id)
            .cte("last_moves"))
    picked = union_all(select(last.c.opening.label("move_id"), literal("opening", String).label("name")),
                       select(last.c.closing, literal("closing", String))).subquery()
    for firm_id, name, value in db.session.execute(
        select(StockMove.firm_id, picked.c.name,
               func.sum(func.round(exact(StockMove.on_hand_after) * exact(StockMove.average_cost_after), 2)))
        .join(picked, picked.c.move_id == StockMove.id).group_by(StockMove.firm_id, picked.c.name)
    ):
        setattr(result[firm_id], name, money(value))
    signed = case((StockMove.kind.in_(RETURNS), -1), else_=1) * func.abs(StockMove.quantity)
    for firm_id, value in db.session.execute(
        select(StockMove.firm_id, func.sum(signed * exact(StockMove.unit_cost)))
        .where(StockMove.firm_id.in_(firm_ids), StockMove.kind.in_(SALE_EXITS + RETURNS),
               StockMove.moved_on.between(span.start, span.end))
        .group_by(StockMove.firm_id)
    ):
        result[firm_id].exits = money(value)
    return result


# --- the raw lines, for the exports -----------------------------------------------------

def raw_lines(firm_id: int, spans: Spans):
    """Every sales line of the spans, with its client, seller and family, in document order."""
    lines = sales_lines([firm_id], spans)
    return db.session.execute(
        select(lines.c.span, lines.c.source, lines.c.number, lines.c.day, lines.c.position,
               Party.sort_name, Party.category, Party.segment, User.display_name,
               lines.c.reference, lines.c.label, ProductFamily.name, lines.c.vat_rate,
               lines.c.quantity, lines.c.ht, lines.c.ttc, lines.c.cost)
        .outerjoin(Party, Party.id == lines.c.party_id)
        .outerjoin(User, User.id == lines.c.user_id)
        .outerjoin(ProductFamily, ProductFamily.id == lines.c.family_id)
        .order_by(lines.c.day, lines.c.source, lines.c.number, lines.c.position)
        .execution_options(yield_per=2000)
    )

