"""The period as a workbook (.xlsx) and the sales lines as a French CSV.

The workbook is what S132 asks of the spreadsheet: the raw sales lines on one
sheet, and indicator sheets that COMPUTE from them with formulas (SUMIFS,
COUNTIFS…), so a trainee can read, change and redo each calculation, with
native charts. Written by XlsxWriter in constant-memory mode (rows go to disk
as they are written: a term of 100 000 lines stays small in memory). Each
formula also stores the value the page shows, so a viewer that does not
recalculate still displays the right figures; Excel and LibreOffice recompute.

Text cells are always written as text (never parsed as a formula); the CSV
neutralises text cells that a spreadsheet would run (see `text_cell`).
"""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import xlsxwriter
from sqlalchemy import String, case, literal, select, union_all

from crm.accueil.models import CHANNELS, NATURES, DeskRequest
from crm.clients.models import CATEGORIES, STAGES, Party
from crm.core.models import User
from crm.core.money import round_places
from crm.core.spreadsheet_csv import neutralise
from crm.extensions import db
from crm.indicateurs import figures as f
from crm.indicateurs.models import SUBJECTS, SatisfactionSurvey
from crm.indicateurs.sales import COUNTER_SALE, CREDIT_NOTE, INVOICE, SOURCE_LABELS, span_of, within
from crm.indicateurs.services import CURRENT, PREVIOUS, Dashboard
from crm.ventes.caisse.models import CounterSale, CounterSalePayment
from crm.ventes.documents.models import PAYMENT_METHODS, STATUSES, Payment, SalesDocument
from crm.ventes.codes import CASH, PAYMENT_MODES

SPAN_LABELS = {CURRENT: "en cours", PREVIOUS: "précédente"}
NO_CLIENT = "Client de passage"
NO_CATEGORY = "Non identifié"
NO_SEGMENT = "Sans segment"
NO_SELLER = "Non renseigné"
NO_REFERENCE = "(sans référence)"
NO_FAMILY = "Sans famille"
STATE_LABELS = {**{code: label for code, label in STATUSES.items()}, f.EXPIRED: "Expiré"}
MODE_LABELS = {**PAYMENT_MODES, **PAYMENT_METHODS}

SALES_HEADERS = ["Période", "Type", "N° de pièce", "Date", "Client", "Catégorie", "Segment", "Vendeur",
                 "Référence", "Article", "Famille", "TVA (%)", "Quantité", "Montant HT", "Montant TTC",
                 "Coût d'achat", "Marge", "Vente"]


# --- the rows -------------------------------------------------------------------------------

def sales_rows(dashboard: Dashboard) -> Iterable[dict]:
    """Every sales line of the period and of the previous one, as the sheets and the CSV show it."""
    spans = {CURRENT: dashboard.period.current, PREVIOUS: dashboard.period.previous}
    previous_key = None
    for (span, source, number, day, _position, client, category, segment, seller, reference, label,
         family, vat_rate, quantity, ht, ttc, cost) in f.raw_lines(dashboard.firm.id, spans):
        key = (source, number)
        yield {
            "span": SPAN_LABELS[span], "type": SOURCE_LABELS[source], "number": number or "", "day": day,
            "client": client or NO_CLIENT,
            "category": CATEGORIES.get(category, NO_CATEGORY) if category else NO_CATEGORY,
            "segment": segment or (NO_SEGMENT if client else NO_CATEGORY), "seller": seller or NO_SELLER,
            "reference": reference or NO_REFERENCE, "label": label or "", "family": family or NO_FAMILY,
            "vat_rate": _float(vat_rate), "quantity": _float(quantity), "ht": _float(ht), "ttc": _float(ttc),
            "cost": _float(cost),
            # 1 on the first line of each invoice or ticket: the sheet counts the sales with it.
            "sale": 1 if source != CREDIT_NOTE and key != previous_key else 0,
        }
        previous_key = key


def _float(value) -> float:
    return float(value) if value is not None else 0.0  # ok: a spreadsheet cell holds a binary float


def quote_rows(dashboard: Dashboard):
    spans = {CURRENT: dashboard.period.current, PREVIOUS: dashboard.period.previous}
    query = f.quotes_query([dashboard.firm.id], spans, dashboard.today).add_columns(
        SalesDocument.number, SalesDocument.issue_date, Party.sort_name, User.display_name
    ).outerjoin(Party, Party.id == SalesDocument.party_id).outerjoin(User, User.id == SalesDocument.validated_by_id)
    for _firm, span, _user, state, number, day, client, seller in db.session.execute(
            query.order_by(SalesDocument.issue_date, SalesDocument.number)):
        yield [SPAN_LABELS[span], number, day, client or "", seller or NO_SELLER, STATE_LABELS.get(state, state)]


def desk_rows(dashboard: Dashboard):
    spans = {CURRENT: dashboard.period.current, PREVIOUS: dashboard.period.previous}
    for span, day, nature, channel, score in db.session.execute(
        select(span_of(DeskRequest.received_on, spans), DeskRequest.received_on, DeskRequest.nature,
               DeskRequest.channel, DeskRequest.satisfaction)
        .where(DeskRequest.firm_id == dashboard.firm.id, within(DeskRequest.received_on, spans))
        .order_by(DeskRequest.received_on, DeskRequest.id)
    ):
        yield [SPAN_LABELS[span], day, NATURES[nature], CHANNELS[channel], score]


def survey_rows(dashboard: Dashboard):
    spans = {CURRENT: dashboard.period.current, PREVIOUS: dashboard.period.previous}
    s = SatisfactionSurvey
    for span, day, subject, score in db.session.execute(
        select(span_of(s.answered_on, spans), s.answered_on, s.subject, s.overall)
        .where(s.firm_id == dashboard.firm.id, s.subject.in_(f.SALES_SURVEYS), s.answered_on.is_not(None),
               within(s.answered_on, spans))
        .order_by(s.answered_on, s.id)
    ):
        yield [SPAN_LABELS[span], day, SUBJECTS[subject], score]


def cash_in_rows(dashboard: Dashboard):
    """What was cashed in over the current period: invoice payments, ticket payments, change given."""
    firm_id, span = dashboard.firm.id, {CURRENT: dashboard.period.current}
    payments = (select(Payment.paid_on.label("day"), SalesDocument.number.label("number"),
                       Payment.method.label("mode"), Payment.amount.label("amount"))
                .join(SalesDocument, SalesDocument.id == Payment.invoice_id)
                .where(Payment.firm_id == firm_id, within(Payment.paid_on, span)))
    tickets = (select(CounterSale.sale_date, CounterSale.number, CounterSalePayment.mode, CounterSalePayment.amount)
               .join(CounterSale, CounterSale.id == CounterSalePayment.sale_id)
               .where(CounterSale.firm_id == firm_id, within(CounterSale.sale_date, span)))
    change = select(CounterSale.sale_date, CounterSale.number, literal(CASH, String), -CounterSale.change_given).where(
        CounterSale.firm_id == firm_id, within(CounterSale.sale_date, span), CounterSale.change_given > 0)
    rows = union_all(payments, tickets, change).subquery()
    for day, number, mode, amount in db.session.execute(
            select(rows).order_by(rows.c.day, rows.c.number, case((rows.c.amount < 0, 1), else_=0))):
        yield [day, number, MODE_LABELS.get(mode, mode), _float(amount)]


# --- the CSV of the sales lines ------------------------------------------------------------------

def text_cell(value) -> str:
    """A text cell a spreadsheet will not run as a formula (the shared rule, crm.core.spreadsheet_csv).

    Only text goes through it: the amounts are numbers ("-40,50", a credit note) and must stay
    numbers, which csv_bytes (it neutralises every cell) would turn into text; hence this writer.
    """
    return neutralise(value)


def french_number(value: float, places: int = 2) -> str:
    """1234.5 → '1234,50': no thousands separator, a decimal comma (what a French spreadsheet reads)."""
    return f"{value:.{places}f}".replace(".", ",")


def sales_csv(dashboard: Dashboard) -> bytes:
    """The sales lines of the period (and of the previous one), `;` separated, UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([text_cell(h) for h in SALES_HEADERS])
    for row in sales_rows(dashboard):
        writer.writerow([
            text_cell(row["span"]), text_cell(row["type"]), text_cell(row["number"]), f"{row['day']:%d/%m/%Y}",
            text_cell(row["client"]), text_cell(row["category"]), text_cell(row["segment"]),
            text_cell(row["seller"]), text_cell(row["reference"]), text_cell(row["label"]),
            text_cell(row["family"]), french_number(row["vat_rate"], 1), _quantity(row["quantity"]),
            french_number(row["ht"]), french_number(row["ttc"]), french_number(row["cost"]),
            french_number(row["ht"] - row["cost"]), str(row["sale"]),
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _quantity(value: float) -> str:
    return str(int(value)) if value == int(value) else french_number(value, 3)


# --- the workbook -----------------------------------------------------------------------------------

class _Formats:
    def __init__(self, book):
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.head = book.add_format({"bold": True, "bg_color": "#DBEAFE", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.money = book.add_format({"num_format": '#,##0.00 "€"'})
        self.money_bold = book.add_format({"num_format": '#,##0.00 "€"', "bold": True})
        self.count = book.add_format({"num_format": "0"})
        self.percent = book.add_format({"num_format": '0.00 "%"'})
        self.number = book.add_format({"num_format": "0.00"})
        self.evolution = book.add_format({"num_format": '+0.0 "%";-0.0 "%";0.0 "%"'})
        self.day = book.add_format({"num_format": "dd/mm/yyyy"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.note = book.add_format({"italic": True, "font_color": "#4B5563", "text_wrap": True, "valign": "top"})


UNIT_FORMATS = {"money": "money", "count": "count", "percent": "percent", "score": "number", "ratio": "number",
                "days": "number", "number": "number"}


def workbook(dashboard: Dashboard) -> bytes:
    """The .xlsx of the period: raw sheets, indicator sheets with formulas, native charts."""
    out = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": tmp, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
        book.set_properties({"title": f"Indicateurs — {dashboard.firm.trade_name} — {dashboard.period.label}",
                             "author": "Comptoir", "company": dashboard.firm.trade_name})
        fm = _Formats(book)
        sheets = {name: book.add_worksheet(name) for name in (
            "Lisez-moi", "Indicateurs", "Répartitions", "Évolution", "Ventes", "Devis", "Accueil",
            "Questionnaires", "Encaissements")}
        _readme(sheets["Lisez-moi"], dashboard, fm)
        _indicators(sheets["Indicateurs"], dashboard, fm)
        _splits(book, sheets["Répartitions"], dashboard, fm)
        _timeline(book, sheets["Évolution"], dashboard, fm)
        _raw_sales(sheets["Ventes"], dashboard, fm)
        _raw(sheets["Devis"], ["Période", "N° de devis", "Date", "Client", "Vendeur", "État aujourd'hui"],
             quote_rows(dashboard), fm, dates=(2,), widths=(11, 16, 11, 30, 22, 16))
        _raw(sheets["Accueil"], ["Période", "Date", "Nature", "Canal", "Satisfaction (1 à 5)"],
             desk_rows(dashboard), fm, dates=(1,), widths=(11, 11, 34, 14, 12))
        _raw(sheets["Questionnaires"], ["Période", "Date de la réponse", "Après", "Note (1 à 5)"],
             survey_rows(dashboard), fm, dates=(1,), widths=(11, 14, 24, 12))
        _raw(sheets["Encaissements"], ["Date", "Pièce", "Mode de règlement", "Montant TTC"],
             cash_in_rows(dashboard), fm, dates=(0,), money=(3,), widths=(11, 16, 18, 14))
        book.close()
    return out.getvalue()


def _readme(ws, d: Dashboard, fm: _Formats) -> None:
    p = d.period
    lines = [
        (f"Indicateurs commerciaux — {d.firm.trade_name}", fm.title),
        (f"Période en cours : {p.label}, du {p.current.start:%d/%m/%Y} au {p.current.end:%d/%m/%Y}.", None),
        (f"Période précédente (comparaison) : du {p.previous.start:%d/%m/%Y} au {p.previous.end:%d/%m/%Y}.", None),
        (f"Établi le {d.today:%d/%m/%Y} par Comptoir.", None),
        ("", None),
        ("Les feuilles", fm.bold),
        ("Indicateurs : chaque indicateur est une FORMULE calculée sur les feuilles de données ; "
         "cliquez sur une cellule pour la lire, modifiez une donnée pour voir le calcul changer.", fm.wrap),
        ("Répartitions et Évolution : les ventes par famille, article, client, vendeur, mode de règlement "
         "et dans le temps, avec leurs graphiques.", fm.wrap),
        ("Ventes : une ligne par ligne de facture, d'avoir (montants négatifs) ou de ticket de caisse.", fm.wrap),
        ("Devis, Accueil, Questionnaires, Encaissements : les données des autres indicateurs.", fm.wrap),
        ("", None),
        ("Comment les chiffres sont établis", fm.bold),
        ("Chiffre d'affaires = factures validées − avoirs + tickets de caisse, à leur date, pour leur total "
         "(après remise, rabais, ristourne et escompte). Les réductions d'un document sont réparties sur ses "
         "lignes au prorata de leur montant, pour que ses lignes fassent son total.", fm.wrap),
        ("Coût d'achat d'une ligne = quantité × CMUP de l'article le jour de la vente (fiche de stock), ou son "
         "prix d'achat s'il n'a jamais été en stock (une prestation). Un avoir rend le coût seulement si les "
         "marchandises reviennent en stock.", fm.wrap),
        ("Nombre de ventes = factures + tickets (la colonne « Vente » vaut 1 sur la première ligne de chacun).",
         fm.wrap),
    ]
    ws.set_column(0, 0, 110)
    for row, (text, style) in enumerate(lines):
        ws.write_string(row, 0, text, style) if style else ws.write_string(row, 0, text)


def _criteria(span: str) -> str:
    return f'Ventes!$A:$A,"{SPAN_LABELS[span]}"'


def _sum(column: str, span: str, *extra: str) -> str:
    more = "".join(f",{e}" for e in extra)
    return f"ROUND(SUMIFS(Ventes!${column}:${column},{_criteria(span)}{more}),2)"


class _IndicatorSheet:
    """Rows of the indicator sheet: column B the current period, C the previous one, D the evolution."""

    COLUMNS = {CURRENT: "B", PREVIOUS: "C"}

    def __init__(self, ws, fm: _Formats, row: int):
        self.ws, self.fm, self.row, self.rows = ws, fm, row, {}

    def ref(self, key: str, span: str) -> str:
        return f"{self.COLUMNS[span]}{self.rows[key]}"

    def line(self, key: str, label: str, formula, values: dict, unit: str, explain: str = "",
             compare: bool = True) -> None:
        """`formula(span)` gives the formula of one period; `values[span]` its value, stored as cached."""
        style = getattr(self.fm, UNIT_FORMATS[unit])
        self.ws.write_string(self.row, 0, label, self.fm.bold if explain else None)
        for span, column in self.COLUMNS.items():
            self.ws.write_formula(self.row, "BC".index(column) + 1, "=" + formula(span), style,
                                  _cached(values[span]))
        if compare:
            b, c = f"B{self.row + 1}", f"C{self.row + 1}"
            self.ws.write_formula(self.row, 3, f'=IF(OR({c}="",{b}="",{c}=0),"",ROUND(({b}-{c})/ABS({c})*100,1))',
                                  self.fm.evolution, _cached(_evolution(values[CURRENT], values[PREVIOUS])))
        if explain:
            self.ws.write_string(self.row, 4, explain, self.fm.wrap)
        self.rows[key] = self.row + 1
        self.row += 1


def _indicators(ws, d: Dashboard, fm: _Formats) -> None:
    """One row per indicator and per figure it uses, each a formula over the raw sheets."""
    ws.set_column(0, 0, 40)
    ws.set_column(1, 3, 17)
    ws.set_column(4, 4, 80)
    ws.write_string(0, 0, f"Indicateurs — {d.firm.trade_name} — {d.period.label}", fm.title)
    ws.write_string(1, 0, f"Période en cours : du {d.period.current.start:%d/%m/%Y} "
                          f"au {d.period.current.end:%d/%m/%Y} ; "
                          f"précédente : du {d.period.previous.start:%d/%m/%Y} au {d.period.previous.end:%d/%m/%Y}.")
    for col, title in enumerate(("Indicateur", "Période en cours", "Période précédente", "Évolution (%)", "Calcul")):
        ws.write_string(3, col, title, fm.head)
    sheet = _IndicatorSheet(ws, fm, INDICATOR_FIRST_ROW)
    line, ref = sheet.line, sheet.ref
    sales = d.sales
    by_key = {i.key: i for i in d.revenue + d.margin + d.conversion + d.desk}

    def per_span(read) -> dict:
        return {span: read(span) for span in (CURRENT, PREVIOUS)}

    for which, column in (("ht", "N"), ("ttc", "O")):
        upper = which.upper()
        for source, label, sign in ((INVOICE, "Factures", ""), (CREDIT_NOTE, "Avoirs", "-"),
                                    (COUNTER_SALE, "Tickets", "")):
            kind = f'Ventes!$B:$B,"{SOURCE_LABELS[source]}"'
            # line() calls its formula at once; the defaults still bind this turn's values (ruff B023)
            amounts = per_span(lambda span, which=which, source=source: getattr(sales[span], which)[source])
            line(f"{source}_{which}", f"{label} {upper}",
                 lambda span, sign=sign, column=column, kind=kind: sign + _sum(column, span, kind),
                 {span: -value if sign else value for span, value in amounts.items()}, "money")
        indicator = by_key[f"revenue_{which}"]
        line(f"revenue_{which}", indicator.label,
             lambda span, which=which: (f"{ref(f'{INVOICE}_{which}', span)}-{ref(f'{CREDIT_NOTE}_{which}', span)}"
                                        f"+{ref(f'{COUNTER_SALE}_{which}', span)}"),
             {CURRENT: indicator.value, PREVIOUS: indicator.previous}, "money", indicator.formula)
    for source, label in ((INVOICE, "Factures (nombre)"), (COUNTER_SALE, "Tickets (nombre)")):
        kind = f'Ventes!$B:$B,"{SOURCE_LABELS[source]}"'
        line(f"n_{source}", label, lambda span, kind=kind: f"SUMIFS(Ventes!$R:$R,{_criteria(span)},{kind})",
             per_span(lambda span, source=source: sales[span].count[source]), "count")
    count, basket = by_key["sales_count"], by_key["average_basket"]
    line("sales_count", count.label, lambda span: f"{ref(f'n_{INVOICE}', span)}+{ref(f'n_{COUNTER_SALE}', span)}",
         {CURRENT: count.value, PREVIOUS: count.previous}, "count", count.formula)
    line("average_basket", basket.label,
         lambda span: (f'IF({ref("sales_count", span)}=0,"",'
                       f'ROUND({ref("revenue_ttc", span)}/{ref("sales_count", span)},2))'),
         {CURRENT: basket.value, PREVIOUS: basket.previous}, "money", basket.formula)
    cost, margin, rate, markup = (by_key[k] for k in ("cost_of_sales", "margin", "margin_rate", "markup_rate"))
    line("cost", cost.label, lambda span: _sum("P", span), {CURRENT: cost.value, PREVIOUS: cost.previous},
         "money", cost.formula)
    line("margin", margin.label, lambda span: f"{ref('revenue_ht', span)}-{ref('cost', span)}",
         {CURRENT: margin.value, PREVIOUS: margin.previous}, "money", margin.formula)
    for indicator, whole in ((rate, "cost"), (markup, "revenue_ht")):
        line(indicator.key, indicator.label,
             lambda span, whole=whole: (f'IF({ref(whole, span)}=0,"",'
                                        f'ROUND({ref("margin", span)}/{ref(whole, span)}*100,2))'),
             {CURRENT: indicator.value, PREVIOUS: indicator.previous}, "percent", indicator.formula)
    quotes = by_key["quote_rate"]
    accepted = STATE_LABELS[f.ACCEPTED]
    line("quotes_sent", "Devis envoyés", lambda span: f'COUNTIFS(Devis!$A:$A,"{SPAN_LABELS[span]}")',
         per_span(lambda span: sum(d.quotes[span].values())), "count")
    line("quotes_accepted", "Devis acceptés",
         lambda span: f'COUNTIFS(Devis!$A:$A,"{SPAN_LABELS[span]}",Devis!$F:$F,"{accepted}")',
         per_span(lambda span: d.quotes[span][f.ACCEPTED]), "count")
    line("quote_rate", quotes.label,
         lambda span: (f'IF({ref("quotes_sent", span)}=0,"",'
                       f'ROUND({ref("quotes_accepted", span)}/{ref("quotes_sent", span)}*100,2))'),
         {CURRENT: quotes.value, PREVIOUS: quotes.previous}, "percent", quotes.formula)
    desk, average, satisfaction = (by_key[k] for k in ("desk_requests", "satisfaction_average", "satisfaction_rate"))
    line("desk", desk.label, lambda span: f'COUNTIFS(Accueil!$A:$A,"{SPAN_LABELS[span]}")',
         {CURRENT: desk.value, PREVIOUS: desk.previous}, "count", desk.formula)
    line("answers", "Avis recueillis",
         lambda span: (f'COUNTIFS(Accueil!$A:$A,"{SPAN_LABELS[span]}",Accueil!$E:$E,">0")'
                       f'+COUNTIFS(Questionnaires!$A:$A,"{SPAN_LABELS[span]}")'),
         per_span(lambda span: d.opinions[span].answers), "count")
    line("scores", "Somme des notes",
         lambda span: (f'SUMIFS(Accueil!$E:$E,Accueil!$A:$A,"{SPAN_LABELS[span]}")'
                       f'+SUMIFS(Questionnaires!$D:$D,Questionnaires!$A:$A,"{SPAN_LABELS[span]}")'),
         per_span(lambda span: d.opinions[span].score_sum), "count")
    line("satisfied", "Avis satisfaits (note 4 ou 5)",
         lambda span: (f'COUNTIFS(Accueil!$A:$A,"{SPAN_LABELS[span]}",Accueil!$E:$E,">=4")'
                       f'+COUNTIFS(Questionnaires!$A:$A,"{SPAN_LABELS[span]}",Questionnaires!$D:$D,">=4")'),
         per_span(lambda span: d.opinions[span].satisfied_count), "count")
    line("satisfaction_average", average.label,
         lambda span: f'IF({ref("answers", span)}=0,"",ROUND({ref("scores", span)}/{ref("answers", span)},2))',
         {CURRENT: average.value, PREVIOUS: average.previous}, "score", average.formula)
    line("satisfaction_rate", satisfaction.label,
         lambda span: (f'IF({ref("answers", span)}=0,"",'
                       f'ROUND({ref("satisfied", span)}/{ref("answers", span)}*100,2))'),
         {CURRENT: satisfaction.value, PREVIOUS: satisfaction.previous}, "percent", satisfaction.formula)
    row = _stock_block(ws, d, fm, sheet.row + 1)
    _prospect_block(ws, d, fm, row + 1)


# The indicator sheet starts under its header row; the CA HT is its 4th line (after factures,
# avoirs and tickets HT): the split by product refers to it.
INDICATOR_FIRST_ROW = 4
REVENUE_HT_CELL = f"Indicateurs!$B${INDICATOR_FIRST_ROW + 4}"


def _cached(value):
    if value is None:
        return ""
    return float(value) if isinstance(value, Decimal) else value  # ok: a spreadsheet cell holds a binary float


def _evolution(current, previous) -> float | str:
    if current is None or previous is None or not previous:
        return ""
    change = round_places((Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100, 1)
    return float(change)  # ok: a spreadsheet cell holds a binary float


def _stock_block(ws, d: Dashboard, fm: _Formats, row: int) -> int:
    """Stock figures read from the ledger (data), and the stock indicators computed from them."""
    stock = {i.key: i for i in d.stock}
    average, rotation, duration = stock["stock_average"], stock["stock_rotation"], stock["stock_duration"]
    ws.write_string(row, 0, "Stock (période en cours)", fm.head)
    ws.write_string(row, 1, "Valeur", fm.head)
    ws.write_string(row, 4, "Données lues dans la fiche de stock, puis calculs", fm.head)
    rows = [
        ("Stock initial (veille du début)", None, average.terms[0].value, fm.money, "Donnée : Σ quantité × CMUP"),
        ("Stock final (dernier jour)", None, average.terms[1].value, fm.money, "Donnée : Σ quantité × CMUP"),
        ("Sorties pour ventes au CMUP", None, rotation.terms[0].value, fm.money,
         "Donnée : livraisons et ventes au comptoir, moins les retours des clients"),
        ("Jours de la période", None, d.period.current.days, fm.count, "Donnée"),
        ("Stock moyen", "ROUND(({a}+{b})/2,2)", average.value, fm.money, average.formula),
        ("Rotation du stock", 'IF({e}=0,"",ROUND({c}/{e},2))', rotation.value, fm.number, rotation.formula),
        ("Durée moyenne de stockage (jours)", 'IF({c}=0,"",ROUND({d}*{e}/{c},1))', duration.value, fm.number,
         duration.formula),
    ]
    first = row + 1
    names = {key: f"B{first + n + 1}" for n, key in enumerate("abcdefg")}
    for n, (label, formula, value, style, explain) in enumerate(rows):
        r = first + n
        ws.write_string(r, 0, label)
        if formula is None:
            ws.write_number(r, 1, _cached(value) or 0, style)
        else:
            ws.write_formula(r, 1, "=" + formula.format(**names), style, _cached(value))
        ws.write_string(r, 4, explain, fm.wrap)
    return first + len(rows)


def _prospect_block(ws, d: Dashboard, fm: _Formats, row: int) -> None:
    rate = next(i for i in d.conversion if i.key == "prospect_rate")
    ws.write_string(row, 0, "Prospects (état du fichier aujourd'hui)", fm.head)
    ws.write_string(row, 1, "Nombre", fm.head)
    ws.write_string(row, 4, "Données du fichier clients, puis calcul", fm.head)
    first = row + 1
    stage_row = {}
    for n, (label, count) in enumerate(d.prospect_stages):
        ws.write_string(first + n, 0, f"Étape « {label} »")
        ws.write_number(first + n, 1, count, fm.count)
        stage_row[label] = first + n + 1
    last = first + len(d.prospect_stages)
    everything, new = f"SUM(B{first + 1}:B{last})", f"B{stage_row[STAGES[f.NEW_PROSPECT]]}"
    converted = f"B{stage_row[STAGES[f.CONVERTED]]}"
    ws.write_string(last, 0, "Prospects contactés")
    ws.write_formula(last, 1, f"={everything}-{new}", fm.count, rate.terms[1].value)
    ws.write_string(last, 4, "Toutes les étapes sauf « Nouveau »", fm.wrap)
    ws.write_string(last + 1, 0, rate.label, fm.bold)
    ws.write_formula(last + 1, 1, f'=IF(B{last + 1}=0,"",ROUND({converted}/B{last + 1}*100,2))', fm.percent,
                     _cached(rate.value))
    ws.write_string(last + 1, 4, rate.formula, fm.wrap)


def _splits(book, ws, d: Dashboard, fm: _Formats) -> None:
    """The splits of the current period, each a block of SUMIFS over the raw sheet."""
    ws.set_column(0, 0, 42)
    ws.set_column(1, 3, 16)
    ws.write_string(0, 0, f"Répartition des ventes — {d.period.label} (période en cours)", fm.title)
    columns = {"family": "K", "product": "I", "segment": "G", "category": "F", "trainee": "H"}
    row = 2
    family_range = None
    for split in d.splits:
        ws.write_string(row, 0, split.title, fm.head)
        amount_title = "Montant TTC" if split.key == "payment" else "CA HT"
        for col, title in enumerate((amount_title, "Part", "Marge" if split.with_margin else "")):
            if title:
                ws.write_string(row, col + 1, title, fm.head)
        first = row + 1
        if not split.rows:
            ws.write_string(first, 0, "Aucune vente sur la période.", fm.note)
            row = first + 2
            continue
        last = first + len(split.rows) - 1
        for n, share in enumerate(split.rows):
            r = first + n
            key_text = _split_key(split.key, share.label)
            ws.write_string(r, 0, key_text)
            if split.key == "payment":
                formula = f"=ROUND(SUMIFS(Encaissements!$D:$D,Encaissements!$C:$C,A{r + 1}),2)"
            else:
                column = columns[split.key]
                formula = f"={_sum('N', CURRENT, f'Ventes!${column}:${column},A{r + 1}')}"
            ws.write_formula(r, 1, formula, fm.money, _cached(share.amount))
            total_cell = f"$B${last + 2}" if split.key != "product" else REVENUE_HT_CELL
            ws.write_formula(r, 2, f'=IF({total_cell}=0,"",ROUND(B{r + 1}/{total_cell}*100,1))', fm.percent,
                             _cached(share.share))
            if split.with_margin:
                column = columns[split.key]
                ws.write_formula(r, 3, f"=ROUND(SUMIFS(Ventes!$Q:$Q,{_criteria(CURRENT)},Ventes!${column}:${column},"
                                       f"A{r + 1}),2)", fm.money, _cached(share.margin))
        total_row = last + 1
        if split.key == "product":
            ws.write_string(total_row, 0, "Autres articles", fm.note)
            ws.write_formula(total_row, 1, f"={REVENUE_HT_CELL}-SUM(B{first + 1}:B{last + 1})",
                             fm.money, _cached(split.others or 0))
        else:
            ws.write_string(total_row, 0, "Total", fm.bold)
            ws.write_formula(total_row, 1, f"=SUM(B{first + 1}:B{last + 1})", fm.money_bold, _cached(split.total))
        if split.key == "family":
            family_range = (first, last)
        row = total_row + 2
    if family_range:
        chart = book.add_chart({"type": "pie"})
        chart.add_series({"name": "CA HT par famille",
                          "categories": ["Répartitions", family_range[0], 0, family_range[1], 0],
                          "values": ["Répartitions", family_range[0], 1, family_range[1], 1],
                          "data_labels": {"percentage": True, "category": True, "separator": "\n"}})
        chart.set_title({"name": "CA HT par famille d'articles"})
        ws.insert_chart(2, 5, chart, {"x_scale": 1.2, "y_scale": 1.2})


def _split_key(key: str, label: str) -> str:
    """The text a split row matches in the raw sheet (its label; the product's reference)."""
    if key == "product":
        return label.split(" — ", 1)[0] if " — " in label else NO_REFERENCE
    if key == "category" and label.startswith("Client non identifié"):
        return NO_CATEGORY
    if key == "segment" and label.startswith("Client non identifié"):
        return NO_CATEGORY
    return label


def _timeline(book, ws, d: Dashboard, fm: _Formats) -> None:
    ws.set_column(0, 1, 13)
    ws.set_column(2, 2, 16)
    ws.set_column(3, 3, 16)
    ws.write_string(0, 0, f"Évolution du chiffre d'affaires HT — {d.period.label}", fm.title)
    for col, title in enumerate(("Du", "Au", "Libellé", "CA HT")):
        ws.write_string(2, col, title, fm.head)
    for n, (bucket, amount) in enumerate(d.timeline):
        r = 3 + n
        ws.write_datetime(r, 0, _datetime(bucket.start), fm.day)
        ws.write_datetime(r, 1, _datetime(bucket.end), fm.day)
        ws.write_string(r, 2, bucket.label)
        ws.write_formula(r, 3, f'=ROUND(SUMIFS(Ventes!$N:$N,Ventes!$D:$D,">="&A{r + 1},Ventes!$D:$D,"<="&B{r + 1},'
                               f'{_criteria(CURRENT)}),2)', fm.money, _cached(amount))
    if d.timeline:
        chart = book.add_chart({"type": "column"})
        last = 3 + len(d.timeline) - 1
        chart.add_series({"name": "CA HT", "categories": ["Évolution", 3, 2, last, 2],
                          "values": ["Évolution", 3, 3, last, 3], "fill": {"color": "#1D4ED8"},
                          "invert_if_negative": False})
        chart.set_title({"name": "Chiffre d'affaires HT"})
        chart.set_legend({"none": True})
        chart.set_y_axis({"num_format": '#,##0 "€"'})
        chart.set_x_axis({"label_position": "low"})  # under the bars, even below a negative day
        ws.insert_chart(2, 5, chart, {"x_scale": 1.5, "y_scale": 1.3})


def _datetime(day: date):
    from datetime import datetime

    return datetime(day.year, day.month, day.day)


def _raw_sales(ws, d: Dashboard, fm: _Formats) -> None:
    widths = (11, 9, 15, 11, 28, 14, 20, 20, 14, 32, 18, 8, 9, 13, 13, 13, 13, 7)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    for col, title in enumerate(SALES_HEADERS):
        ws.write_string(0, col, title, fm.head)
    ws.freeze_panes(1, 0)
    r = 0
    for r, row in enumerate(sales_rows(d), start=1):
        for col, key in enumerate(("span", "type", "number")):
            ws.write_string(r, col, row[key])
        ws.write_datetime(r, 3, _datetime(row["day"]), fm.day)
        for col, key in enumerate(("client", "category", "segment", "seller", "reference", "label", "family"), start=4):
            ws.write_string(r, col, row[key])
        ws.write_number(r, 11, row["vat_rate"])
        ws.write_number(r, 12, row["quantity"])
        ws.write_number(r, 13, row["ht"], fm.money)
        ws.write_number(r, 14, row["ttc"], fm.money)
        ws.write_number(r, 15, row["cost"], fm.money)
        n = r + 1
        ws.write_formula(r, 16, f"=N{n}-P{n}", fm.money, row["ht"] - row["cost"])
        ws.write_formula(r, 17, f'=IF(AND(B{n}<>"{SOURCE_LABELS[CREDIT_NOTE]}",OR(B{n}<>B{n - 1},C{n}<>C{n - 1})),1,0)',
                         fm.count, row["sale"])
    if r:
        ws.autofilter(0, 0, r, len(SALES_HEADERS) - 1)


def _raw(ws, headers, rows, fm: _Formats, dates=(), money=(), widths=()) -> None:
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    for col, title in enumerate(headers):
        ws.write_string(0, col, title, fm.head)
    ws.freeze_panes(1, 0)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is None:
                continue
            if col in dates:
                ws.write_datetime(r, col, _datetime(value), fm.day)
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                ws.write_number(r, col, float(value), fm.money if col in money else None)  # ok: xlsx cell
            else:
                ws.write_string(r, col, str(value))

