"""Counter sales: sell (numbered, stock moved, sealed), close the day (Z), verify the chain.

Every function flushes and never commits (one commit per request). A refusal
raises DomainError in French; the caller's request then rolls everything back,
number, stock moves and chain included.

Locking order, the same everywhere, so two tills never chain on the same
previous record and never deadlock: first the firm's chain head (TillChain,
SELECT … FOR UPDATE; SQLite serialises writers with BEGIN IMMEDIATE), then the
numbering counter, then the products' stock rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.database import insert_ignoring_conflict
from crm.core.formatting import day as day_text
from crm.core.limits import DATE_MESSAGE, date_in_range
from crm.core.models import Firm, User, utcnow
from crm.core.money import round_cent
from crm.core.numbering import next_number
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.stocks.services import move_stock
from crm.ventes.caisse.models import (
    SEAL_VERSION, CounterSale, CounterSaleLine, CounterSalePayment, DailyClosing, DailyClosingTotal, TillChain,
)
from crm.ventes.computation import DocumentTotals, LineInput, compute_document
from crm.ventes.codes import CASH
from crm.ventes.models import Product
from crm.ventes.caisse.till import (
    GENESIS_HASH, PAYMENT_MODES, ChainBreak, SealedRecord, Settlement, chain_hash, settle,
    verify_chain, z_report,
)

MAX_QUANTITY = 9999


@dataclass(frozen=True)
class TicketLine:
    """A line of the ticket being keyed in (not stored until the sale is validated)."""

    product: Product
    quantity: int


# --- keying in the ticket ------------------------------------------------------

def parse_quantity(text, field: str = "quantity") -> int:
    """'3' → 3; zero, negative, decimal or not a number → DomainError (French)."""
    value = str(text if text is not None else "").strip().replace(",", ".")
    if not value:
        raise DomainError("Indiquez la quantité.", field)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise DomainError("La quantité doit être un nombre entier, par exemple 2.", field) from None
    if not number.is_finite() or number != number.to_integral_value():
        raise DomainError("La quantité doit être un nombre entier, par exemple 2.", field)
    if number <= 0:
        raise DomainError("La quantité doit être supérieure à zéro.", field)
    if number > MAX_QUANTITY:
        raise DomainError(f"La quantité dépasse {MAX_QUANTITY} : vérifiez la saisie.", field)
    return int(number)


def find_product(firm: Firm, reference: str) -> Product:
    """The active product of that reference (as typed or scanned; case and spaces ignored)."""
    reference = (reference or "").strip()
    if not reference:
        raise DomainError("Saisissez ou scannez la référence d'un article.", "reference")
    product = db.session.scalar(
        select(Product).where(Product.firm_id == firm.id,
                              db.func.upper(Product.reference) == reference.upper())
    ) or db.session.scalar(
        select(Product).where(Product.firm_id == firm.id, Product.barcode == reference).limit(1)
    )
    if product is None:
        raise DomainError(f"Aucun article de référence « {reference} » dans le catalogue.", "reference")
    if not product.active:
        raise DomainError(f"L'article {product.reference} n'est plus en vente (inactif).", "reference")
    return product


def add_line(lines: list[TicketLine], product: Product, quantity: int) -> list[TicketLine]:
    """The ticket with `quantity` more of `product` (same product: one line, quantities added)."""
    result, merged = [], False
    for line in lines:
        if line.product.id == product.id:
            total = line.quantity + quantity
            if total > MAX_QUANTITY:
                raise DomainError(f"La quantité dépasse {MAX_QUANTITY} : vérifiez la saisie.", "quantity")
            result.append(TicketLine(product, total))
            merged = True
        else:
            result.append(line)
    if not merged:
        result.append(TicketLine(product, quantity))
    return result


def short_of_stock(line: TicketLine) -> bool:
    """True when the ticket asks more than the stock holds (the sale would be refused)."""
    return line.product.stock_tracked and line.product.on_hand < line.quantity


def ticket_totals(lines: list[TicketLine], on: date) -> DocumentTotals:
    """Totals of the ticket being keyed in, at the catalogue's price HT of the day (promotions included)."""
    return compute_document(
        [LineInput(line.quantity, line.product.price_on(on), line.product.vat_rate) for line in lines]
    )


# --- the chain head ------------------------------------------------------------

def _lock_chain(firm: Firm) -> TillChain:
    insert_ignoring_conflict(
        TillChain,
        {"firm_id": firm.id, "last_sequence": 0, "last_hash": GENESIS_HASH, "grand_total": Decimal("0.00")},
        ["firm_id"],
    )
    return db.session.scalars(
        select(TillChain).where(TillChain.firm_id == firm.id)
        .with_for_update().execution_options(populate_existing=True)
    ).one()


def is_closed(firm: Firm, on: date) -> bool:
    return db.session.scalar(
        select(DailyClosing.id).where(DailyClosing.firm_id == firm.id, DailyClosing.closing_date == on)
    ) is not None


def _refuse_if_closed(firm: Firm, on: date) -> None:
    if is_closed(firm, on):
        raise DomainError(
            f"La caisse du {day_text(on)} est clôturée : plus aucune vente ne peut y être enregistrée."
        )


# --- selling ---------------------------------------------------------------------

def sell(firm: Firm, user: User | None, lines: list[TicketLine], payments, party=None,
         now: datetime | None = None, today: date | None = None) -> CounterSale:
    """Record a counter sale: checks, stock out, ticket number, sealed hash — one transaction.

    `payments`: (mode, amount) pairs as typed (see crm.ventes.caisse.till.settle).
    """
    if not lines:
        raise DomainError("Le ticket est vide : ajoutez au moins un article.", "reference")
    if party is not None and party.firm_id != firm.id:
        raise ValueError("party of another firm")
    today = today or business_today(firm)
    now = (now or utcnow()).replace(microsecond=0)
    _refuse_if_closed(firm, today)
    totals = ticket_totals(lines, today)
    settlement = settle(totals.total_ttc, payments)

    head = _lock_chain(firm)
    _refuse_if_closed(firm, today)  # a closing may have been committed while we waited
    number = next_number(firm, "receipt", today)
    for line in lines:
        if line.product.stock_tracked:
            move_stock(firm, user, line.product, -line.quantity, "counter_sale",
                       source=number.text, note="Vente au comptoir", moved_on=today)

    sale = CounterSale(
        firm_id=firm.id, number=number.text, sequence=head.last_sequence + 1, sold_at=now,
        sale_date=today, party_id=party.id if party else None, cashier_id=user.id if user else None,
        total_ht=totals.total_ht, total_vat=totals.total_vat, total_ttc=totals.total_ttc,
        tendered=sum((amount for _, amount in settlement.tendered), Decimal("0.00")),
        change_given=settlement.change, previous_hash=head.last_hash, seal_version=SEAL_VERSION,
    )
    for position, (line, computed) in enumerate(zip(lines, totals.lines, strict=True), start=1):
        sale.lines.append(CounterSaleLine(
            firm_id=firm.id, position=position, product_id=line.product.id,
            reference=line.product.reference, label=line.product.label[:160],
            quantity=line.quantity, unit_price=computed.unit_price, vat_rate=computed.vat_rate,
            net=computed.net,
        ))
    for position, (mode, amount) in enumerate(settlement.tendered, start=1):
        sale.payments.append(CounterSalePayment(firm_id=firm.id, position=position, mode=mode, amount=amount))
    sale.hash = chain_hash(sale.previous_hash, sale.sealed_data(), sale.sealed_lines())
    db.session.add(sale)
    head.last_sequence = sale.sequence
    head.last_hash = sale.hash
    db.session.flush()
    record_activity(firm, user, "counter_sale.recorded", sale,
                    f"Vente au comptoir {sale.number} : {_money(sale.total_ttc)}")
    return sale


def settlement_of(sale: CounterSale) -> Settlement:
    """How the stored sale was paid (change recomputed from what was handed over)."""
    return settle(sale.total_ttc, [(p.mode, p.amount) for p in sale.payments])


def totals_of(sale: CounterSale) -> DocumentTotals:
    return compute_document([LineInput(item.quantity, item.unit_price, item.vat_rate) for item in sale.lines])


# --- the day and its closing (Z) ---------------------------------------------------

def sales_of_day(firm: Firm, on: date) -> list[CounterSale]:
    return db.session.scalars(
        select(CounterSale).where(CounterSale.firm_id == firm.id, CounterSale.sale_date == on)
        .options(selectinload(CounterSale.lines), selectinload(CounterSale.payments))
        .order_by(CounterSale.sequence)
    ).all()


@dataclass(frozen=True)
class OpenDayTotals:
    """The X report of a day still open: what the tickets list shows beside them."""

    sales_count: int
    total_ttc: Decimal
    average_basket: Decimal  # TTC per sale, to the cent
    by_mode: dict[str, Decimal]  # payment mode → amount kept, in PAYMENT_MODES order


def open_day_totals(firm: Firm, on: date) -> OpenDayTotals:
    """The day's totals so far, summed by the database from each ticket's sealed total and payments.

    Two aggregates instead of every ticket with its lines: the Z (close_day) recomputes each
    ticket when it seals the day and finds the same figures, since a ticket's total is its
    lines' and the cash it kept is the cash handed over less the change given back.
    """
    of_day = (CounterSale.firm_id == firm.id, CounterSale.sale_date == on)
    count, total_ttc, change = db.session.execute(
        select(func.count(), func.coalesce(func.sum(CounterSale.total_ttc), 0),
               func.coalesce(func.sum(CounterSale.change_given), 0)).where(*of_day)).one()
    handed = dict(db.session.execute(
        select(CounterSalePayment.mode, func.sum(CounterSalePayment.amount))
        .join(CounterSale, CounterSale.id == CounterSalePayment.sale_id).where(*of_day)
        .group_by(CounterSalePayment.mode)).all())
    if CASH in handed:
        handed[CASH] -= Decimal(change)
    total_ttc = round_cent(total_ttc)
    return OpenDayTotals(
        sales_count=count, total_ttc=total_ttc,
        average_basket=round_cent(total_ttc / count) if count else Decimal("0.00"),
        by_mode={mode: round_cent(handed[mode]) for mode in PAYMENT_MODES if handed.get(mode)},
    )


def payment_modes_of(firm: Firm, sale_ids: list[int]) -> dict[int, str]:
    """How each ticket was paid, as the list of tickets shows it ("Chèque, Espèces"), for a page
    of tickets: one query of (ticket, mode) pairs rather than every payment as an object."""
    if not sale_ids:
        return {}
    labels: dict[int, list[str]] = {}
    for sale_id, mode in db.session.execute(
            select(CounterSalePayment.sale_id, CounterSalePayment.mode)
            .where(CounterSalePayment.firm_id == firm.id, CounterSalePayment.sale_id.in_(sale_ids))
            .order_by(CounterSalePayment.sale_id, CounterSalePayment.position)):
        labels.setdefault(sale_id, []).append(PAYMENT_MODES[mode])
    return {sale_id: ", ".join(modes) for sale_id, modes in labels.items()}


def close_day(firm: Firm, user: User | None, on: date, today: date | None = None,
              now: datetime | None = None) -> DailyClosing:
    """Seal the Z report of `on`: its receipts can no longer be added to nor changed."""
    today = today or business_today(firm)
    if not date_in_range(on):
        raise DomainError(DATE_MESSAGE, "closing_date")
    if on > today:
        raise DomainError("On ne clôture pas une journée à venir.", "closing_date")
    head = _lock_chain(firm)
    if is_closed(firm, on):
        raise DomainError(f"La caisse du {day_text(on)} est déjà clôturée.", "closing_date")
    earlier_open = db.session.scalar(
        select(func.min(CounterSale.sale_date)).where(
            CounterSale.firm_id == firm.id, CounterSale.sale_date < on,
            ~select(DailyClosing.id).where(DailyClosing.firm_id == firm.id,
                                           DailyClosing.closing_date == CounterSale.sale_date).exists())
    )
    if earlier_open is not None:
        raise DomainError(
            f"La journée du {day_text(earlier_open)} a des ventes et n'est pas clôturée : "
            "clôturez d'abord cette journée (les clôtures suivent l'ordre des jours).", "closing_date")
    number = next_number(firm, "daily_closing", on)
    sales = sales_of_day(firm, on)
    report = z_report([(totals_of(s), settlement_of(s)) for s in sales], head.grand_total)
    closing = DailyClosing(
        firm_id=firm.id, number=number.text, sequence=head.last_sequence + 1, closing_date=on,
        closed_at=(now or utcnow()).replace(microsecond=0), closed_by_id=user.id if user else None,
        sales_count=report.sales_count,
        first_ticket=sales[0].number if sales else None, last_ticket=sales[-1].number if sales else None,
        total_ht=report.total_ht, total_vat=report.total_vat, total_ttc=report.total_ttc,
        average_basket=report.average_basket, grand_total=report.grand_total,
        previous_hash=head.last_hash, seal_version=SEAL_VERSION,
    )
    position = 0
    for mode, amount in report.by_mode.items():
        position += 1
        closing.totals.append(DailyClosingTotal(firm_id=firm.id, position=position, kind="mode",
                                                key=mode, base=Decimal("0.00"), amount=amount))
    for rate, (base, amount) in report.by_vat_rate.items():
        position += 1
        closing.totals.append(DailyClosingTotal(firm_id=firm.id, position=position, kind="vat",
                                                key=format(rate.normalize(), "f"), base=base, amount=amount))
    closing.hash = chain_hash(closing.previous_hash, closing.sealed_data(), closing.sealed_lines())
    db.session.add(closing)
    head.last_sequence = closing.sequence
    head.last_hash = closing.hash
    head.grand_total = report.grand_total
    db.session.flush()
    record_activity(firm, user, "till.closed", closing,
                    f"Clôture de caisse {closing.number} du {day_text(on)} : {_money(report.total_ttc)}")
    from crm.formation.calendar import after_closing

    after_closing(firm, on)  # the Z ends the simulated day: the till opens on the next one
    return closing


# --- verification ----------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    records: int  # receipts and closings read
    broken: ChainBreak | None  # None: the chain is intact
    record: CounterSale | DailyClosing | None = None  # the first record that does not fit

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify(firm: Firm) -> Verification:
    """Recompute the firm's whole chain; report the first altered, missing or inserted record."""
    sales = db.session.scalars(
        select(CounterSale).where(CounterSale.firm_id == firm.id)
        .options(selectinload(CounterSale.lines), selectinload(CounterSale.payments))
        .execution_options(populate_existing=True)
    ).all()
    closings = db.session.scalars(
        select(DailyClosing).where(DailyClosing.firm_id == firm.id)
        .options(selectinload(DailyClosing.totals))
        .execution_options(populate_existing=True)
    ).all()
    records = sorted([*sales, *closings], key=lambda r: (r.sequence, r.id))
    sealed = [
        SealedRecord(label=r.label, data=r.sealed_data(), hash=r.hash, lines=r.sealed_lines(),
                     previous_hash=r.previous_hash, sequence=r.sequence)
        for r in records
    ]
    broken = verify_chain(sealed)
    if broken is not None:
        return Verification(len(records), broken, records[broken.index])
    head = db.session.scalar(select(TillChain).where(TillChain.firm_id == firm.id))
    last = records[-1] if records else None
    if head is not None and (head.last_sequence != (last.sequence if last else 0)
                             or head.last_hash != (last.hash if last else GENESIS_HASH)):
        missing = ChainBreak(
            len(records), f"l'enregistrement n° {head.last_sequence}", "gap",
            f"L'enregistrement n° {head.last_sequence} de la chaîne est introuvable : "
            "le dernier enregistrement a été supprimé ou modifié.",
        )
        return Verification(len(records), missing, None)
    return Verification(len(records), None, None)


def _money(amount: Decimal) -> str:
    from crm.core.formatting import money

    return money(amount)


__all__ = ["PAYMENT_MODES", "TicketLine", "sell", "close_day", "verify", "open_day_totals"]
