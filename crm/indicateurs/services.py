"""The indicators of a period: each with its formula and the figures it uses (S132, A3T3C4).

A trainee must be able to redo every indicator by hand: each `Indicator` carries
its formula in words and the figures put into it (`Term`s), which the page
shows as "= 230,40 € − 40,50 € + 260,00 € = 449,90 €". The figures come from
crm.indicateurs.figures (aggregate queries); this module only combines them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.accueil.models import NATURES
from crm.clients.models import STAGES
from crm.core.clock import DEFAULT_TIME_ZONE, zone_named
from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.core.money import ZERO, percentage, round_cent, round_places
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.formation.models import Activity
from crm.indicateurs import figures as f
from crm.indicateurs.models import PerformanceAnalysis
from crm.indicateurs.periods import Bucket, Period, bucket_step, buckets
from crm.indicateurs.sales import COUNTER_SALE, CREDIT_NOTE, INVOICE
from crm.stocks.services import stock_alert_count

CURRENT, PREVIOUS = "current", "previous"
QUOTE_STATE_WORDS = ((f.ACCEPTED, "accepté", "acceptés"), (f.REFUSED, "refusé", "refusés"),
                     (f.EXPIRED, "expiré", "expirés"), (f.SENT, "en attente de réponse", "en attente de réponse"))
HUNDRED = Decimal(100)


# --- what the page shows -----------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One figure of a worked formula: `op` joins it to the previous one (+, −, ×, ÷)."""

    op: str
    label: str
    value: Decimal | int | None
    unit: str  # money, count, percent, ratio, days, score, number


@dataclass
class Indicator:
    key: str
    label: str
    unit: str
    value: Decimal | int | None  # None: cannot be computed (a division by zero)
    formula: str
    terms: list[Term] = field(default_factory=list)
    previous: Decimal | int | None = None
    compared: bool = True  # shows the previous period
    note: str = ""

    @property
    def evolution(self) -> Decimal | None:
        """(value − previous) ÷ |previous| × 100."""
        if not self.compared or self.value is None or self.previous is None or not self.previous:
            return None
        return percentage(Decimal(self.value) - Decimal(self.previous), abs(Decimal(self.previous)), 1)


@dataclass
class Share:
    label: str
    amount: Decimal
    share: Decimal | None  # percent of the split's total
    margin: Decimal | None = None
    count: int | None = None


@dataclass
class Split:
    key: str
    title: str
    rows: list[Share]
    total: Decimal
    formula: str
    unit: str = "money"
    note: str = ""
    with_margin: bool = False
    with_count: bool = False
    others: Decimal | None = None  # what the rows not shown add up to (the split by product)
    sold: int | None = None  # how many items the split has in all, when only the first are shown

    @property
    def points(self) -> list[tuple[str, Decimal]]:
        """(label, amount) of each row, for its chart."""
        return [(row.label, row.amount) for row in self.rows]

    @property
    def others_share(self) -> Decimal | None:
        return None if self.others is None else percentage(self.others, self.total, 1)


@dataclass
class Step:
    """One step of a conversion funnel."""

    label: str
    count: int


@dataclass
class Dashboard:
    firm: Firm
    period: Period
    today: date
    revenue: list[Indicator]
    margin: list[Indicator]
    splits: list[Split]
    timeline: list[tuple[Bucket, Decimal]]
    conversion: list[Indicator]
    quote_funnel: list[Step]
    prospect_funnel: list[Step]
    prospect_stages: list[tuple[str, int]]
    calls: list[Indicator]
    call_funnel: list[Step]
    call_figures: f.CallFigures
    desk: list[Indicator]
    desk_natures: Split
    surveys: f.SurveyDetails
    survey_indicators: list[Indicator]
    stock: list[Indicator]
    trainees: list[f.TraineeFigures]
    analyses: list[PerformanceAnalysis]
    # The raw figures of both periods, for the export's cached values.
    sales: dict[str, f.SalesFigures] = field(default_factory=dict)
    quotes: dict[str, dict[str, int]] = field(default_factory=dict)
    opinions: dict[str, f.Opinions] = field(default_factory=dict)
    stock_figures: f.StockFigures | None = None

    @property
    def has_sales(self) -> bool:
        return any(share.amount for split in self.splits[:1] for share in split.rows)

    @property
    def timeline_points(self) -> list[tuple[str, Decimal]]:
        return [(bucket.label, amount) for bucket, amount in self.timeline]

    @property
    def timeline_step(self) -> str:
        """"jour", "semaine" or "mois": what each bar of the revenue chart is."""
        return bucket_step(self.period.current)

    @property
    def quote_breakdown(self) -> list[str]:
        """"1 accepté", "2 refusés"…: what became of the quotes sent in the period."""
        states = self.quotes[CURRENT]
        return [f"{states[code]} {one if states[code] <= 1 else many}" for code, one, many in QUOTE_STATE_WORDS]

    @staticmethod
    def funnel_points(steps: list[Step]) -> list[tuple[str, int]]:
        return [(step.label, step.count) for step in steps]


# --- the firm's dashboard ------------------------------------------------------------------

def dashboard(firm: Firm, period: Period, today: date) -> Dashboard:
    """Every indicator of the firm over the period, compared with the previous one."""
    spans = {CURRENT: period.current, PREVIOUS: period.previous}
    ids = [firm.id]
    report = f.sales_report(ids, spans, detail=CURRENT)
    cur, prev = report.figures[(firm.id, CURRENT)], report.figures[(firm.id, PREVIOUS)]
    quotes = f.quote_figures(ids, spans, today)
    quotes_now, quotes_before = quotes[(firm.id, CURRENT)], quotes[(firm.id, PREVIOUS)]
    stages = f.prospect_stages(ids)[firm.id]
    natures = f.desk_natures(ids, spans)
    views = f.opinions(ids, spans)
    views_now, views_before = views[(firm.id, CURRENT)], views[(firm.id, PREVIOUS)]
    steps = buckets(period.current)
    trainees = f.trainee_figures(ids, period.current, sales=report.sellers)
    stock = f.stock_figures(ids, period.current)[firm.id]
    details = f.survey_details(firm.id, period.current)
    calls = f.call_figures(ids, period.current)[firm.id]
    return Dashboard(
        firm=firm, period=period, today=today,
        revenue=revenue_indicators(cur, prev),
        margin=margin_indicators(cur, prev),
        splits=_splits(firm, period, report, trainees),
        timeline=list(zip(steps, f.timeline(firm.id, steps), strict=False)),
        conversion=[quote_rate(quotes_now, quotes_before), prospect_rate(stages)],
        quote_funnel=quote_funnel(quotes_now),
        prospect_funnel=prospect_funnel(stages),
        prospect_stages=[(label, stages[code]) for code, label in STAGES.items()],
        calls=call_indicators(calls), call_funnel=call_funnel(calls), call_figures=calls,
        desk=desk_indicators(natures[(firm.id, CURRENT)], natures[(firm.id, PREVIOUS)], views_now, views_before),
        desk_natures=nature_split(natures[(firm.id, CURRENT)]),
        surveys=details,
        survey_indicators=survey_indicators(details),
        stock=stock_indicators(stock, period.current.days, stock_alert_count(firm)),
        trainees=trainees,
        analyses=analyses_of(firm, period),
        sales={CURRENT: cur, PREVIOUS: prev},
        quotes={CURRENT: quotes_now, PREVIOUS: quotes_before},
        opinions={CURRENT: views_now, PREVIOUS: views_before},
        stock_figures=stock,
    )


def revenue_indicators(cur: f.SalesFigures, prev: f.SalesFigures) -> list[Indicator]:
    def ca(which: str, label: str, figures: f.SalesFigures) -> Indicator:
        amounts = figures.ht if which == "ht" else figures.ttc
        total = figures.revenue_ht if which == "ht" else figures.revenue_ttc
        suffix = which.upper()
        return Indicator(
            f"revenue_{which}", label, "money", total,
            f"CA {suffix} = factures {suffix} − avoirs {suffix} + tickets {suffix}",
            [Term("", f"factures {suffix}", amounts[INVOICE], "money"),
             Term("−", f"avoirs {suffix}", -amounts[CREDIT_NOTE], "money"),
             Term("+", f"tickets {suffix}", amounts[COUNTER_SALE], "money")])

    revenue_ht, revenue_ttc = ca("ht", "Chiffre d'affaires HT", cur), ca("ttc", "Chiffre d'affaires TTC", cur)
    revenue_ht.previous, revenue_ttc.previous = prev.revenue_ht, prev.revenue_ttc
    count = Indicator(
        "sales_count", "Nombre de ventes", "count", cur.sales_count,
        "Nombre de ventes = factures + tickets (un avoir n'est pas une vente)",
        [Term("", "factures", cur.count[INVOICE], "count"), Term("+", "tickets", cur.count[COUNTER_SALE], "count")],
        previous=prev.sales_count)
    basket = Indicator(
        "average_basket", "Panier moyen TTC", "money", _basket(cur),
        "Panier moyen = CA TTC ÷ nombre de ventes",
        [Term("", "CA TTC", cur.revenue_ttc, "money"), Term("÷", "ventes", cur.sales_count, "count")],
        previous=_basket(prev), note="" if cur.sales_count else "Aucune vente : pas de panier moyen.")
    return [revenue_ht, revenue_ttc, count, basket]


def _basket(figures: f.SalesFigures) -> Decimal | None:
    return round_cent(figures.revenue_ttc / figures.sales_count) if figures.sales_count else None


def margin_indicators(cur: f.SalesFigures, prev: f.SalesFigures) -> list[Indicator]:
    cost = Indicator(
        "cost_of_sales", "Coût d'achat des produits vendus", "money", cur.cost_of_sales,
        "Coût d'achat = Σ quantité × CMUP du jour de la vente (factures − retours sur avoirs + tickets)",
        [Term("", "factures", cur.cost[INVOICE], "money"),
         Term("−", "retours", -cur.cost[CREDIT_NOTE], "money"),
         Term("+", "tickets", cur.cost[COUNTER_SALE], "money")],
        previous=prev.cost_of_sales)
    margin = Indicator(
        "margin", "Marge brute", "money", cur.margin, "Marge brute = CA HT − coût d'achat des produits vendus",
        [Term("", "CA HT", cur.revenue_ht, "money"), Term("−", "coût d'achat", cur.cost_of_sales, "money")],
        previous=prev.margin)
    rate = rate_indicator("margin_rate", "Taux de marge", "Taux de marge = marge brute ÷ coût d'achat × 100",
                          ("marge brute", cur.margin, "money"), ("coût d'achat", cur.cost_of_sales, "money"),
                          previous=percentage(prev.margin, prev.cost_of_sales))
    markup = rate_indicator("markup_rate", "Taux de marque", "Taux de marque = marge brute ÷ CA HT × 100",
                            ("marge brute", cur.margin, "money"), ("CA HT", cur.revenue_ht, "money"),
                            previous=percentage(prev.margin, prev.revenue_ht))
    return [cost, margin, rate, markup]


def rate_indicator(key: str, label: str, formula: str, part: tuple, whole: tuple, **options) -> Indicator:
    """An indicator "part ÷ whole × 100"; part and whole are (label, value, unit)."""
    return Indicator(key, label, "percent", percentage(part[1], whole[1]), formula,
                     [Term("", *part), Term("÷", *whole), Term("×", "", HUNDRED, "number")], **options)


SHARE_FORMULA = "Part = montant de la ligne ÷ total × 100"


def split_of(key: str, title: str, rows: list[f.SplitRow], *, unit: str = "money", note: str = "",
             with_margin: bool = False, with_count: bool = False, total: Decimal | None = None) -> Split:
    total = sum((row.ht for row in rows), ZERO) if total is None else total
    return Split(key, title, [Share(row.label, row.ht, percentage(row.ht, total, 1), row.margin, row.count)
                              for row in rows], total, SHARE_FORMULA, unit, note, with_margin, with_count)


def _splits(firm: Firm, period: Period, report: f.SalesReport, trainees: list[f.TraineeFigures]) -> list[Split]:
    span = period.current
    families = report.families
    total = sum((row.ht for row in families), ZERO)
    product_split = split_of("product", "Par article", report.products, with_margin=True, total=total)
    if report.products_sold > len(report.products):
        product_split.others = total - sum((row.ht for row in report.products), ZERO)
        product_split.sold = report.products_sold
    sellers = [f.SplitRow(t.user_id, t.name, t.revenue_ht, count=t.sales)
               for t in trainees if t.sales or t.revenue_ht]
    return [
        split_of("family", "Par famille d'articles", families, with_margin=True),
        product_split,
        split_of("segment", "Par segment de clientèle", report.segments, with_count=True),
        split_of("category", "Particuliers et professionnels", report.categories, with_count=True),
        split_of("trainee", "Par vendeur (élève)", f.sort_rows(sellers), with_count=True,
                 note="Facture : l'élève qui l'a validée ; ticket : l'élève qui l'a encaissé."),
        split_of("payment", "Encaissements par mode de règlement (TTC)",
                 f.by_payment_mode([firm.id], span).get(firm.id, []),
                 note="Règlements des factures à leur date et tickets du jour, monnaie rendue déduite "
                      "des espèces. Ce sont des encaissements TTC, pas le chiffre d'affaires."),
    ]


# --- conversion rates -----------------------------------------------------------------------

def quote_rate(cur: dict[str, int], prev: dict[str, int]) -> Indicator:
    sent, accepted = sum(cur.values()), cur[f.ACCEPTED]
    return rate_indicator(
        "quote_rate", "Taux de transformation des devis",
        "Taux de transformation = devis acceptés ÷ devis envoyés × 100",
        ("devis acceptés", accepted, "count"), ("devis envoyés", sent, "count"),
        previous=percentage(prev[f.ACCEPTED], sum(prev.values())),
        note=("Devis envoyés (validés) sur la période, quel que soit le jour de la réponse ; "
              f"{cur[f.SENT]} en attente de réponse peuvent encore être acceptés.") if sent else
             "Aucun devis envoyé sur la période.")


def quote_funnel(states: dict[str, int]) -> list[Step]:
    return [Step("Devis envoyés", sum(states.values())), Step("Devis acceptés", states[f.ACCEPTED])]


def _contacted(stages: dict[str, int]) -> int:
    return sum(count for stage, count in stages.items() if stage != f.NEW_PROSPECT)


def prospect_rate(stages: dict[str, int]) -> Indicator:
    contacted, converted = _contacted(stages), stages[f.CONVERTED]
    return rate_indicator(
        "prospect_rate", "Taux de conversion des prospects",
        "Taux de conversion = prospects convertis en clients ÷ prospects contactés × 100",
        ("convertis", converted, "count"), ("contactés", contacted, "count"), compared=False,
        note="État du fichier aujourd'hui, toutes périodes confondues : les étapes de prospection "
             "ne sont pas datées. Contactés : toutes les étapes sauf « Nouveau ».")


def prospect_funnel(stages: dict[str, int]) -> list[Step]:
    return [Step("Prospects du fichier", sum(stages.values())), Step("Contactés", _contacted(stages)),
            Step("Devis envoyé ou converti", stages[f.QUOTE_SENT_STAGE] + stages[f.CONVERTED]),
            Step("Convertis en clients", stages[f.CONVERTED])]


# --- call plans --------------------------------------------------------------------------------

CALLS_NOTE = ("Plans d'appel téléphoniques en cours sur la période (commencés avant sa fin, non terminés "
              "avant son début), avec tous leurs appels.")


def call_indicators(calls: f.CallFigures) -> list[Indicator]:
    """Progress of the phone plans, and the rates of their calls (as each plan's results page)."""
    return [
        rate_indicator("call_progress", "Avancement des plans d'appel",
                       "Avancement = cibles appelées ÷ cibles des plans × 100",
                       ("cibles appelées", calls.called, "count"), ("cibles", calls.targets, "count"),
                       compared=False, note=CALLS_NOTE),
        rate_indicator("call_reach_rate", "Taux de contacts joints",
                       "Taux de contacts joints = cibles jointes ÷ cibles appelées × 100",
                       ("jointes", calls.reached, "count"), ("appelées", calls.called, "count"), compared=False,
                       note="Jointe : la personne a répondu au moins une fois (joint, refus, rendez-vous, vente, "
                            "à transmettre)."),
        rate_indicator("call_appointment_rate", "Taux de rendez-vous",
                       "Taux de rendez-vous = cibles avec un rendez-vous pris ÷ cibles jointes × 100",
                       ("rendez-vous", calls.appointments, "count"), ("jointes", calls.reached, "count"),
                       compared=False),
        rate_indicator("call_sale_rate", "Taux de vente au téléphone",
                       "Taux de vente = cibles avec une vente ÷ cibles jointes × 100",
                       ("ventes", calls.sales, "count"), ("jointes", calls.reached, "count"), compared=False),
    ]


def call_funnel(calls: f.CallFigures) -> list[Step]:
    return [Step("Cibles des plans", calls.targets), Step("Appelées", calls.called), Step("Jointes", calls.reached),
            Step("Rendez-vous pris", calls.appointments), Step("Ventes", calls.sales)]


# --- desk and satisfaction ---------------------------------------------------------------------

def desk_indicators(cur: dict[str, int], prev: dict[str, int], views: f.Opinions,
                    before: f.Opinions) -> list[Indicator]:
    count = Indicator("desk_requests", "Demandes à l'accueil", "count", sum(cur.values()),
                      "Nombre de demandes enregistrées au registre d'accueil sur la période",
                      [Term("", label, cur[code], "count") for code, label in NATURES.items() if cur.get(code)],
                      previous=sum(prev.values()))
    count.terms = [Term("+" if n else "", t.label, t.value, t.unit) for n, t in enumerate(count.terms)]
    average = Indicator(
        "satisfaction_average", "Satisfaction moyenne", "score", _average(views),
        "Satisfaction moyenne = somme des notes ÷ nombre d'avis (notes de 1 à 5)",
        [Term("", "somme des notes", views.score_sum, "count"), Term("÷", "avis", views.answers, "count")],
        previous=_average(before),
        note=(f"{_plural(views.count['desk'], 'avis relevé', 'avis relevés')} à l'accueil (clôture des "
              f"demandes ou questionnaire) et {_plural(views.count['survey'], 'questionnaire', 'questionnaires')} "
              "après une vente."))
    rate = rate_indicator(
        "satisfaction_rate", "Taux de satisfaction",
        "Taux de satisfaction = avis satisfaits (note 4 ou 5) ÷ avis recueillis × 100",
        ("avis satisfaits", views.satisfied_count, "count"), ("avis", views.answers, "count"),
        previous=percentage(before.satisfied_count, before.answers))
    return [count, average, rate]


@dataclass
class SatisfactionBoard:
    period: Period
    indicators: list[Indicator]  # satisfaction average and rate, compared with the previous period
    survey_indicators: list[Indicator]


def satisfaction_board(firm: Firm, period: Period) -> SatisfactionBoard:
    """The satisfaction indicators alone (the satisfaction page): two grouped queries."""
    spans = {CURRENT: period.current, PREVIOUS: period.previous}
    views = f.opinions([firm.id], spans)
    _, average, rate = desk_indicators({}, {}, views[(firm.id, CURRENT)], views[(firm.id, PREVIOUS)])
    return SatisfactionBoard(period, [average, rate], survey_indicators(f.survey_details(firm.id, period.current)))


def _plural(count: int, one: str, many: str) -> str:
    """French agreement: 0 and 1 take the singular."""
    return f"{count} {one if count <= 1 else many}"


def _average(views: f.Opinions) -> Decimal | None:
    return round_places(Decimal(views.score_sum) / views.answers, 2) if views.answers else None


def nature_split(natures: dict[str, int]) -> Split:
    rows = [f.SplitRow(code, label, Decimal(natures[code])) for code, label in NATURES.items() if natures.get(code)]
    return split_of("nature", "Demandes par nature", f.sort_rows(rows), unit="count")


def survey_indicators(details: f.SurveyDetails) -> list[Indicator]:
    def average(key: str, label: str, total: int, count: int) -> Indicator:
        value = round_places(Decimal(total) / count, 2) if count else None
        return Indicator(key, label, "score", value, f"{label} = somme des notes ÷ nombre de réponses",
                         [Term("", "somme des notes", total, "count"), Term("÷", "réponses", count, "count")],
                         compared=False)

    recommend = rate_indicator("recommend", "Recommanderaient l'entreprise", "Part = réponses « oui » ÷ réponses × 100",
                               ("oui", details.recommend, "count"), ("réponses", details.recommend_count, "count"),
                               compared=False)
    return [average("welcome", "Note de l'accueil", details.welcome_sum, details.welcome_count),
            average("advice", "Note des conseils", details.advice_sum, details.advice_count), recommend]


# --- stock -------------------------------------------------------------------------------------

def stock_indicators(stock: f.StockFigures, days: int, alerts: int) -> list[Indicator]:
    average = round_cent((stock.opening + stock.closing) / 2)
    rotation = round_places(stock.exits / average, 2) if average > 0 else None
    duration = round_places(Decimal(days) * average / stock.exits, 1) if stock.exits > 0 else None
    return [
        Indicator("stock_value", "Valeur du stock en fin de période", "money", stock.closing,
                  "Valeur du stock = Σ quantité en stock × CMUP de chaque article (fiche de stock)",
                  [Term("", "valeur au dernier jour", stock.closing, "money")], compared=False),
        Indicator("stock_average", "Stock moyen", "money", average,
                  "Stock moyen = (stock initial + stock final) ÷ 2",
                  [Term("", "stock initial", stock.opening, "money"), Term("+", "stock final", stock.closing, "money"),
                   Term("÷", "", Decimal(2), "number")], compared=False),
        Indicator("stock_rotation", "Rotation du stock", "ratio", rotation,
                  "Rotation = coût des sorties pour ventes ÷ stock moyen",
                  [Term("", "sorties pour ventes au CMUP", stock.exits, "money"),
                   Term("÷", "stock moyen", average, "money")], compared=False,
                  note="Sorties : livraisons et ventes au comptoir, moins les retours des clients, "
                       "valorisées au CMUP dans la fiche de stock."),
        Indicator("stock_duration", "Durée moyenne de stockage", "days", duration,
                  "Durée = nombre de jours de la période × stock moyen ÷ coût des sorties",
                  [Term("", "jours", days, "count"), Term("×", "stock moyen", average, "money"),
                   Term("÷", "sorties", stock.exits, "money")], compared=False),
        Indicator("stock_alerts", "Articles en alerte de stock", "count", alerts,
                  "Articles dont le stock est au seuil d'alerte ou au stock minimum, ou en dessous (aujourd'hui)",
                  [], compared=False),
    ]


# --- the teacher's class view ---------------------------------------------------------------------

@dataclass
class FirmColumn:
    firm: Firm
    indicators: dict[str, Indicator]


@dataclass
class ClassView:
    period: Period
    today: date
    firms: list[FirmColumn]
    rows: list[tuple[str, str, str]]  # (indicator key, label, unit) in display order
    trainees: list[f.TraineeFigures]
    firm_names: dict[int, str]
    best: dict[str, int] = field(default_factory=dict)  # indicator key → the firm with the best value


def class_today(firms: list[Firm]) -> date:
    """The day a classroom's comparison ends by default: the latest simulated business date of its
    firms, or today (in France) when none is simulated — one date, so every firm has the same period."""
    simulated = [firm.business_date for firm in firms if firm.business_date is not None]
    if simulated:
        return max(simulated)
    return datetime.now(zone_named(DEFAULT_TIME_ZONE)).date()


CLASS_ROWS = ("revenue_ht", "sales_count", "average_basket", "margin", "margin_rate", "quote_rate",
              "prospect_rate", "call_reach_rate", "call_sale_rate", "desk_requests", "satisfaction_average",
              "satisfaction_rate")


def class_view(firms: list[Firm], period: Period, today: date) -> ClassView:
    """The firms of a classroom side by side, on the same indicators and period, and each trainee's figures."""
    ids = [firm.id for firm in firms]
    spans = {CURRENT: period.current, PREVIOUS: period.previous}
    sales = f.sales_figures(ids, spans) if ids else {}
    quotes = f.quote_figures(ids, spans, today) if ids else {}
    stages = f.prospect_stages(ids) if ids else {}
    natures = f.desk_natures(ids, spans) if ids else {}
    views = f.opinions(ids, spans) if ids else {}
    calls = f.call_figures(ids, period.current) if ids else {}
    columns = []
    for firm in firms:
        cur, prev = sales.get((firm.id, CURRENT), f.SalesFigures()), sales.get((firm.id, PREVIOUS), f.SalesFigures())
        empty = {code: 0 for code in (f.SENT, f.ACCEPTED, f.REFUSED, f.EXPIRED)}
        indicators = revenue_indicators(cur, prev) + margin_indicators(cur, prev) + [
            quote_rate(quotes.get((firm.id, CURRENT), empty), quotes.get((firm.id, PREVIOUS), empty)),
            prospect_rate(stages.get(firm.id, dict.fromkeys(STAGES, 0))),
        ] + desk_indicators(natures.get((firm.id, CURRENT), {}), natures.get((firm.id, PREVIOUS), {}),
                            views.get((firm.id, CURRENT), f.Opinions()), views.get((firm.id, PREVIOUS), f.Opinions()))
        indicators += call_indicators(calls.get(firm.id, f.CallFigures()))
        columns.append(FirmColumn(firm, {i.key: i for i in indicators}))
    rows = []
    if columns:
        rows = [(key, columns[0].indicators[key].label, columns[0].indicators[key].unit) for key in CLASS_ROWS]
    return ClassView(period, today, columns, rows, f.trainee_figures(ids, period.current) if ids else [],
                     {firm.id: firm.trade_name for firm in firms}, _best(columns))


# Rows where more is better (the number of desk requests is activity, not performance).
RANKED_ROWS = tuple(key for key in CLASS_ROWS if key != "desk_requests")


def _best(columns: list[FirmColumn]) -> dict[str, int]:
    """For each ranked row, the one firm with the highest value (none on a tie or alone)."""
    best = {}
    for key in RANKED_ROWS:
        values = [(c.indicators[key].value, c.firm.id) for c in columns if c.indicators[key].value is not None]
        if len(columns) < 2 or not values:
            continue
        top = max(value for value, _ in values)
        leaders = [firm_id for value, firm_id in values if value == top]
        if len(leaders) == 1 and top > 0:
            best[key] = leaders[0]
    return best


# --- the journal: consulting, exporting, analysing --------------------------------------------

CONSULTATION_GAP = timedelta(hours=1)


def _consultation_summary(period: Period) -> str:
    return f"Indicateurs consultés : {period.label}"[:255]


def consultation_due(firm: Firm, user: User, period: Period) -> bool:
    """Whether reading this period now is journalled: at most once an hour per trainee and period."""
    return db.session.scalar(
        select(Activity.id).where(Activity.firm_id == firm.id, Activity.user_id == user.id,
                                  Activity.verb == "indicators.consulted",
                                  Activity.summary == _consultation_summary(period),
                                  Activity.at >= utcnow() - CONSULTATION_GAP).limit(1)) is None


def record_consultation(firm: Firm, user: User, period: Period) -> None:
    """Journal a trainee reading the indicators of a period (the caller checked consultation_due)."""
    record_activity(firm, user, "indicators.consulted", None, _consultation_summary(period))


def record_export(firm: Firm, user: User, period: Period, kind: str) -> None:
    record_activity(firm, user, "indicators.exported", None, f"Indicateurs exportés ({kind}) : {period.label}")


MAX_TEXT = 5000


def write_analysis(firm: Firm, user: User, period: Period, strengths: str, proposals: str,
                   today: date) -> PerformanceAnalysis:
    """Keep a trainee's analysis of the period, with improvement proposals (A3T3C5)."""
    strengths, proposals = (strengths or "").strip(), (proposals or "").strip()
    if not strengths:
        raise DomainError("Écrivez votre analyse : ce que montrent les indicateurs, vos points forts.", "strengths")
    if not proposals:
        raise DomainError("Proposez au moins une amélioration, justifiée par les chiffres.", "proposals")
    if len(strengths) > MAX_TEXT or len(proposals) > MAX_TEXT:
        raise DomainError(f"{MAX_TEXT} caractères au plus par partie.", "strengths")
    analysis = PerformanceAnalysis(
        firm_id=firm.id, author_id=user.id, period_kind=period.kind, period_start=period.start,
        period_end=period.end, period_label=period.label[:120], strengths=strengths, proposals=proposals,
        written_on=today)
    db.session.add(analysis)
    db.session.flush()
    record_activity(firm, user, "indicators.analysed", analysis, f"Analyse de sa prestation : {period.label}")
    return analysis


def analyses_of(firm: Firm, period: Period, limit: int = 20) -> list[PerformanceAnalysis]:
    """The analyses written about this period, newest first: same kind and first day (the month of
    November is the same period on the 20th and on the 30th), same last day too for a custom one."""
    query = select(PerformanceAnalysis).where(
        PerformanceAnalysis.firm_id == firm.id, PerformanceAnalysis.period_kind == period.kind,
        PerformanceAnalysis.period_start == period.start)
    if period.kind == "custom":
        query = query.where(PerformanceAnalysis.period_end == period.end)
    return list(db.session.scalars(
        query
        .options(selectinload(PerformanceAnalysis.author))
        .order_by(PerformanceAnalysis.created_at.desc(), PerformanceAnalysis.id.desc()).limit(limit)))
