"""The sales of a period as the database sees them: SQL building blocks of the indicators.

What counts as a sale (the revenue, *chiffre d'affaires*):
- validated invoices, on their issue date, for their totals HT and TTC;
- validated credit notes, on their issue date, subtracted (a credit note of
  this period lowers this period's revenue, whatever the date of the invoice);
- counter sales (tickets), on their till day.
Quotes, orders and delivery notes are not revenue; drafts are nothing.

The amounts are the documents' own totals, after the document-level reductions
(remise, rabais, ristourne) and the escompte: the "Total HT" a trainee reads
on the invoice. For the splits (by family, by product…), those reductions are
shared among the document's lines in proportion to their net amounts, and its
VAT in proportion to each line's net × rate, so the lines of a document always
add up to its totals HT and TTC.

The cost of what was sold (for the gross margin) is quantity × the product's
weighted average cost (CMUP) on the sale's date, read in the stock ledger: the
CMUP recorded after the product's last move on or before that day. Documents
and tickets do not store a cost, and the ledger is where the CMUP lives (one
index seek per line). A product never moved in stock (a service, or a product
not received yet) is costed at its catalogue purchase price; a free-text line
without a product has no cost. A credit note gives the cost back only when the
goods are returned to stock; otherwise (a price reduction) the goods stay sold.

Every function here takes the firms (one for a firm's dashboard, all the firms
of a classroom for the teacher's comparison) and named date ranges ("spans"):
each row carries the name of the span its date falls in, so one query groups
the current and the previous period, or every bar of a chart, at once.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import String, and_, case, func, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Numeric

from crm.indicateurs.periods import Range
from crm.stocks.models import StockMove
from crm.ventes.caisse.models import CounterSale, CounterSaleLine
from crm.ventes.documents.models import CreditNote, Invoice, SalesDocument, SalesLine
from crm.ventes.models import Product

# Where a row comes from: the document kinds, and the counter sales' table.
INVOICE = Invoice.__mapper__.polymorphic_identity
CREDIT_NOTE = CreditNote.__mapper__.polymorphic_identity
COUNTER_SALE = CounterSale.__tablename__
SOURCES = (INVOICE, CREDIT_NOTE, COUNTER_SALE)
SOURCE_LABELS = {INVOICE: "Facture", CREDIT_NOTE: "Avoir", COUNTER_SALE: "Ticket"}

Spans = Mapping[str, Range]


class exact(FunctionElement):
    """A number the database divides exactly: SQLite stores 100.00 as the integer 100
    (and would divide 100 / 300 as integers), so it is read as REAL there."""

    type = Numeric()
    inherit_cache = True


@compiles(exact)
def _exact_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(exact, "sqlite")
def _exact_sqlite(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS REAL)"


def span_of(day: ColumnElement, spans: Spans) -> ColumnElement:
    """The name of the span `day` falls in (NULL outside them all)."""
    return case(*[(day.between(r.start, r.end), literal(name, String)) for name, r in spans.items()])


def within(day: ColumnElement, spans: Spans) -> ColumnElement:
    """`day` in one of the spans: one range from the first day to the last (an index range scan),
    narrowed to the spans themselves when they leave gaps (1–20 October and 1–20 November)."""
    ranges = sorted(spans.values(), key=lambda r: r.start)
    whole = day.between(ranges[0].start, max(r.end for r in ranges))
    contiguous = all((b.start - a.end).days == 1 for a, b in zip(ranges, ranges[1:], strict=False))
    if contiguous:
        return whole
    return and_(whole, or_(*[day.between(r.start, r.end) for r in ranges]))


def _sign():
    """+1 for an invoice, −1 for a credit note."""
    return case((SalesDocument.kind == CREDIT_NOTE, -1), else_=1)


def _validated_sales_documents(firm_ids: Sequence[int], spans: Spans):
    return and_(SalesDocument.firm_id.in_(firm_ids), SalesDocument.kind.in_((INVOICE, CREDIT_NOTE)),
                SalesDocument.number.is_not(None), within(SalesDocument.issue_date, spans))


def _tickets(firm_ids: Sequence[int], spans: Spans):
    return and_(CounterSale.firm_id.in_(firm_ids), within(CounterSale.sale_date, spans))


def _document_columns(spans: Spans) -> list:
    """What every row of an invoice or a credit note says of its document."""
    return [
        SalesDocument.firm_id.label("firm_id"),
        SalesDocument.kind.label("source"),
        SalesDocument.id.label("doc_id"),
        SalesDocument.number.label("number"),
        SalesDocument.issue_date.label("day"),
        span_of(SalesDocument.issue_date, spans).label("span"),
        SalesDocument.party_id.label("party_id"),
        SalesDocument.validated_by_id.label("user_id"),
    ]


def _ticket_columns(spans: Spans) -> list:
    """The same of a ticket (in the same order)."""
    return [CounterSale.firm_id, literal(COUNTER_SALE, String), CounterSale.id, CounterSale.number,
            CounterSale.sale_date, span_of(CounterSale.sale_date, spans), CounterSale.party_id,
            CounterSale.cashier_id]


def sales_documents(firm_ids: Sequence[int], spans: Spans):
    """One row per sale: invoices (+), credit notes (−) and tickets (+), with their totals."""
    sign = _sign()
    documents = select(
        *_document_columns(spans),
        (sign * SalesDocument.total_ht).label("ht"),
        (sign * SalesDocument.total_ttc).label("ttc"),
    ).where(_validated_sales_documents(firm_ids, spans))
    tickets = select(*_ticket_columns(spans), CounterSale.total_ht, CounterSale.total_ttc).where(
        _tickets(firm_ids, spans))
    return union_all(documents, tickets).subquery("sales")


def unit_cost_on(product_id: ColumnElement, day: ColumnElement, purchase_price: ColumnElement) -> ColumnElement:
    """The product's CMUP on `day` from the stock ledger, else its purchase price, else 0."""
    move = aliased(StockMove)
    cmup = (
        select(move.average_cost_after)
        .where(move.product_id == product_id, move.moved_on <= day)
        .order_by(move.moved_on.desc(), move.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(cmup, purchase_price, 0)


def _vat_share(net, vat_rate, document_id) -> ColumnElement:
    """The line's share of its document's VAT: its net × rate over the document's Σ net × rate
    (the VAT it bears, the shares adding up to the document's VAT to the cent)."""
    weight = exact(net) * exact(vat_rate)
    return weight / func.nullif(func.sum(weight).over(partition_by=document_id), 0)


AMOUNTS = ("ht", "ttc", "cost")
# The columns saying what a line is and where it comes from (every one, unless a query names its own).
KEYS = ("firm_id", "source", "doc_id", "number", "day", "span", "party_id", "user_id", "position", "product_id",
        "family_id", "reference", "label", "vat_rate", "quantity")


def sales_lines(firm_ids: Sequence[int], spans: Spans, amounts: Sequence[str] = AMOUNTS,
                keys: Sequence[str] = KEYS):
    """One row per line of a sale: its share of the document's totals, its cost, what it sold.

    `amounts` names the computed columns a query needs (ht, ttc, cost), and `keys` the columns
    describing the line it reads: the database computes every column of the subquery for each
    line, so a query asks only for what it uses.
    """
    sign = _sign()
    share = exact(SalesLine.net) / func.nullif(
        func.sum(exact(SalesLine.net)).over(partition_by=SalesLine.document_id), 0)
    # The goods of an invoice are sold; those of a credit note come back only if returned.
    goods = case((SalesDocument.kind == INVOICE, 1), (SalesDocument.goods_returned.is_(True), 1), else_=0)
    document_columns = {
        **{column.key: column for column in _document_columns(spans)},
        "position": lambda: SalesLine.position,
        "product_id": lambda: SalesLine.product_id,
        "family_id": lambda: Product.family_id,
        "reference": lambda: Product.reference,
        "label": lambda: SalesLine.description,
        "vat_rate": lambda: SalesLine.vat_rate,
        "quantity": lambda: sign * SalesLine.quantity,
        "ht": lambda: func.coalesce(sign * exact(SalesDocument.total_ht) * share, 0),
        "ttc": lambda: sign * (func.coalesce(exact(SalesDocument.total_ht) * share, 0) + func.coalesce(
            exact(SalesDocument.total_vat) * _vat_share(SalesLine.net, SalesLine.vat_rate, SalesLine.document_id), 0)),
        "cost": lambda: (sign * goods * SalesLine.quantity
                         * unit_cost_on(SalesLine.product_id, SalesDocument.issue_date, Product.purchase_price)),
    }
    ticket_columns = {
        **dict(zip(("firm_id", "source", "doc_id", "number", "day", "span", "party_id", "user_id"),
                   _ticket_columns(spans), strict=True)),
        "position": lambda: CounterSaleLine.position,
        "product_id": lambda: CounterSaleLine.product_id,
        "family_id": lambda: Product.family_id,
        "reference": lambda: CounterSaleLine.reference,
        "label": lambda: CounterSaleLine.label,
        "vat_rate": lambda: CounterSaleLine.vat_rate,
        "quantity": lambda: CounterSaleLine.quantity,
        "ht": lambda: CounterSaleLine.net,
        "ttc": lambda: CounterSaleLine.net + func.coalesce(
            exact(CounterSale.total_vat)
            * _vat_share(CounterSaleLine.net, CounterSaleLine.vat_rate, CounterSaleLine.sale_id), 0),
        "cost": lambda: (CounterSaleLine.quantity
                         * unit_cost_on(CounterSaleLine.product_id, CounterSale.sale_date, Product.purchase_price)),
    }

    def column(columns: dict, name: str):
        value = columns[name]
        return (value() if callable(value) else value).label(name)

    names = [*keys, *amounts]
    documents = (
        select(*[column(document_columns, name) for name in names])
        .select_from(SalesLine)
        .join(SalesDocument, SalesDocument.id == SalesLine.document_id)
        .outerjoin(Product, Product.id == SalesLine.product_id)
        .where(_validated_sales_documents(firm_ids, spans))
    )
    tickets = (
        select(*[column(ticket_columns, name) for name in names])
        .select_from(CounterSaleLine)
        .join(CounterSale, CounterSale.id == CounterSaleLine.sale_id)
        .outerjoin(Product, Product.id == CounterSaleLine.product_id)
        .where(_tickets(firm_ids, spans))
    )
    return union_all(documents, tickets).subquery("lines")
