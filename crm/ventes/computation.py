"""Totals of a commercial document, computed from its lines (pure: no database).

The order of the French textbooks and of EN 16931:

1. each line: gross = quantity × unit price HT (to the cent, prices having 2
   decimals at most); the line discount is an amount, gross × rate rounded
   half-up to the cent, then subtracted: net = gross − discount;
2. gross HT (*montant brut HT*) = sum of the line nets;
3. commercial reductions in cascade, each a percentage of the previous net and
   rounded to the cent: *remise*, then *rabais*, then *ristourne* → net commercial;
4. the financial *escompte* (early payment) on the net commercial → net financier,
   the amount subject to VAT;
5. VAT per rate: the base of a rate is that rate's share of the net financier
   (its lines' nets × net financier / gross HT), rounded half-up to the cent; the
   VAT of a rate is base × rate, rounded half-up once per rate (never per line);
6. total TTC = net financier + total VAT; balance due = total TTC − paid.

Decimal only, ROUND_HALF_UP (0.005 → 0.01). Bad figures raise DomainError with a
French message, on the field name a WTForms FieldList of lines would use
("lines-0-quantity").
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from crm.core.errors import DomainError
from crm.core.limits import MAX_AMOUNT
from crm.core.money import (  # noqa: F401 - VAT_RATES and check_vat_rate re-exported for callers
    CENT, HUNDRED, VAT_RATES, ZERO, check_vat_rate, floor_cent, has_decimals_at_most, parse_amount,
    parse_percent, percentage_of, round_cent, to_decimal,
)
MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("1000000")
QUANTITY_DECIMALS = 3  # kilograms, metres
# Unit prices are stored to the cent (sales_line.unit_price is Numeric(12, 2)), so the line is
# computed with exactly what is stored and printed: more decimals are refused, not rounded away.
PRICE_DECIMALS = 2

# Document-level commercial reductions, in the order they apply.
COMMERCIAL_REDUCTIONS: tuple[tuple[str, str], ...] = (
    ("remise", "Remise"),
    ("rabais", "Rabais"),
    ("ristourne", "Ristourne"),
)


@dataclass(frozen=True)
class LineInput:
    """A document line as entered: figures HT, rates in percent."""

    quantity: Decimal | int | str
    unit_price: Decimal | int | str  # HT
    vat_rate: Decimal | int | str  # 20, 10, 5.5, 2.1 or 0
    discount_rate: Decimal | int | str = Decimal("0")  # line discount, %


@dataclass(frozen=True)
class ComputedLine:
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount_rate: Decimal
    gross: Decimal  # quantity × unit price, to the cent
    discount_amount: Decimal  # gross − net
    net: Decimal  # the line's amount HT, to the cent


@dataclass(frozen=True)
class ReductionStep:
    """One step of the cascade: `amount` = `rate` % of `base`; `net` = base − amount."""

    kind: str  # remise, rabais, ristourne, escompte
    label: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    net: Decimal


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    lines_net: Decimal  # sum of the nets of the lines at this rate
    base: Decimal  # after document-level reductions: what the VAT is computed on
    amount: Decimal

    @property
    def allowance(self) -> Decimal:
        """The document-level reductions borne by this rate (EN 16931 allowance per VAT category)."""
        return self.lines_net - self.base


@dataclass(frozen=True)
class DocumentTotals:
    lines: tuple[ComputedLine, ...]
    gross_ht: Decimal
    reductions: tuple[ReductionStep, ...]  # commercial ones with a rate > 0, in cascade order
    net_commercial: Decimal
    escompte: ReductionStep | None  # None when no escompte is granted
    net_financier: Decimal  # = total HT, the amount subject to VAT
    vat: tuple[VatLine, ...]  # highest rate first
    total_vat: Decimal
    total_ttc: Decimal
    paid: Decimal
    balance_due: Decimal  # negative when more was paid than due

    @property
    def total_ht(self) -> Decimal:
        return self.net_financier

    def reduction_amount(self, kind: str) -> Decimal:
        """Amount of the remise, rabais, ristourne or escompte (0.00 when none)."""
        steps = self.reductions + ((self.escompte,) if self.escompte else ())
        return next((step.amount for step in steps if step.kind == kind), ZERO)


def compute_document(
    lines: Iterable[LineInput],
    *,
    remise: Decimal | int | str = 0,
    rabais: Decimal | int | str = 0,
    ristourne: Decimal | int | str = 0,
    escompte: Decimal | int | str = 0,
    paid: Decimal | int | str = 0,
) -> DocumentTotals:
    """Every total of a document from its lines and its document-level rates (in %)."""
    computed = tuple(compute_line(line, index) for index, line in enumerate(lines))
    gross = sum((line.net for line in computed), ZERO)

    requested = {"remise": remise, "rabais": rabais, "ristourne": ristourne}
    steps = []
    net = gross
    for kind, label in COMMERCIAL_REDUCTIONS:
        rate = _rate(requested[kind], kind, _REDUCTION_NAMES[kind], document_level=True)
        if rate:
            step = _step(kind, label, rate, net)
            steps.append(step)
            net = step.net
    net_commercial = net

    escompte_rate = _rate(escompte, "escompte", _REDUCTION_NAMES["escompte"], document_level=True)
    escompte_step = _step("escompte", "Escompte", escompte_rate, net_commercial) if escompte_rate else None
    net_financier = escompte_step.net if escompte_step else net_commercial

    vat = _vat_lines(computed, gross, net_financier)
    total_vat = sum((line.amount for line in vat), ZERO)
    total_ttc = net_financier + total_vat
    if max(gross, total_ttc) >= MAX_AMOUNT:  # each bound alone passes; their product is no document's
        raise DomainError("Le total dépasse 10 milliards d'euros : vérifiez les quantités et les prix.")
    paid_amount = _amount(paid, "paid", "Le montant déjà réglé")
    return DocumentTotals(
        lines=computed,
        gross_ht=gross,
        reductions=tuple(steps),
        net_commercial=net_commercial,
        escompte=escompte_step,
        net_financier=net_financier,
        vat=vat,
        total_vat=total_vat,
        total_ttc=total_ttc,
        paid=paid_amount,
        balance_due=total_ttc - paid_amount,
    )


def compute_line(line: LineInput, index: int = 0) -> ComputedLine:
    """One line's amounts; `index` (from 0) names the line in error messages."""
    where = f"Ligne {index + 1} : "
    prefix = f"lines-{index}-"
    quantity = _decimal(line.quantity, prefix + "quantity", where + "la quantité")
    if quantity <= 0:
        raise DomainError(where + "la quantité doit être supérieure à zéro.", prefix + "quantity")
    if quantity > MAX_QUANTITY:
        raise DomainError(where + "la quantité dépasse 1 000 000 : vérifiez la saisie.", prefix + "quantity")
    _check_decimals(quantity, QUANTITY_DECIMALS, prefix + "quantity", where + "la quantité")

    unit_price = _decimal(line.unit_price, prefix + "unit_price", where + "le prix unitaire HT")
    if unit_price < 0:
        raise DomainError(
            where + "le prix unitaire HT ne peut pas être négatif ; pour réduire le prix, "
            "utilisez la remise de la ligne.",
            prefix + "unit_price",
        )
    if unit_price > MAX_UNIT_PRICE:
        raise DomainError(
            where + "le prix unitaire HT dépasse 1 000 000 € : vérifiez la saisie.", prefix + "unit_price"
        )
    _check_decimals(unit_price, PRICE_DECIMALS, prefix + "unit_price", where + "le prix unitaire HT")

    vat_rate = check_vat_rate(line.vat_rate, prefix + "vat_rate", where)
    discount = _rate(line.discount_rate, prefix + "discount_rate", where + "la remise de la ligne")

    gross = round_cent(quantity * unit_price)
    discount_amount = percentage_of(gross, discount)  # an amount to the cent, like each reduction
    return ComputedLine(
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=vat_rate,
        discount_rate=discount,
        gross=gross,
        discount_amount=discount_amount,
        net=gross - discount_amount,
    )


# --- internals ---------------------------------------------------------------

_REDUCTION_NAMES = {"remise": "la remise", "rabais": "le rabais", "ristourne": "la ristourne", "escompte": "l'escompte"}

def _step(kind: str, label: str, rate: Decimal, base: Decimal) -> ReductionStep:
    amount = percentage_of(base, rate)
    return ReductionStep(kind=kind, label=label, rate=rate, base=base, amount=amount, net=base - amount)


def _vat_lines(lines: tuple[ComputedLine, ...], gross: Decimal, net: Decimal) -> tuple[VatLine, ...]:
    """VAT per rate on each rate's share of `net`, the bases always adding up to `net`.

    Each share is rounded half-up to the cent. With two rates or more, those
    roundings could miss `net` by a cent; the shares are therefore rounded by
    the largest-remainder method: every share rounded down, then the missing
    cents to the shares with the largest remainders (ties: the larger share,
    then the higher rate). It gives exactly the half-up roundings whenever
    those add up to `net`, and the VAT bases always equal the net financier.
    """
    by_rate = nets_by_rate(lines)
    rates = sorted(by_rate, reverse=True)
    bases = shares_by_rate(by_rate, gross, net)
    return tuple(
        VatLine(
            rate=rate,
            lines_net=by_rate[rate],
            base=bases[rate],
            amount=percentage_of(bases[rate], rate),
        )
        for rate in rates
    )


def nets_by_rate(lines: Iterable[ComputedLine]) -> dict[Decimal, Decimal]:
    """The sum of the line nets of each VAT rate."""
    by_rate: dict[Decimal, Decimal] = {}
    for line in lines:
        by_rate[line.vat_rate] = by_rate.get(line.vat_rate, ZERO) + line.net
    return by_rate


def shares_by_rate(by_rate: dict[Decimal, Decimal], gross: Decimal, net: Decimal) -> dict[Decimal, Decimal]:
    """Each rate's share of `net` (a net after document-level reductions), to the cent, adding up to `net`.

    The largest-remainder rounding of _vat_lines(); the e-invoice (crm.einvoice.cii) uses it
    for every step of the cascade, so that its allowances per VAT rate add up to the VAT bases.
    """
    rates = sorted(by_rate, reverse=True)
    if gross == 0:
        return {rate: ZERO for rate in rates}
    exact = {rate: by_rate[rate] * net / gross for rate in rates}
    bases = {rate: floor_cent(exact[rate]) for rate in rates}
    missing = int((net - sum(bases.values(), ZERO)) / CENT)
    by_remainder = sorted(rates, key=lambda r: (exact[r] - bases[r], by_rate[r], r), reverse=True)
    for rate in by_remainder[:missing]:
        bases[rate] += CENT
    return bases


def _decimal(value, field: str, what: str) -> Decimal:
    return to_decimal(value, field, what)


def _check_decimals(number: Decimal, places: int, field: str, what: str) -> None:
    if not has_decimals_at_most(number, places):
        raise DomainError(f"{_capital(what)} a {places} décimales au plus.", field)


def _rate(value, field: str, what: str, document_level: bool = False) -> Decimal:
    """A percentage: 0 to 100 for a line discount, below 100 for a document-level reduction."""
    return parse_percent(value, field, what, strictly_below_100=document_level)


def _amount(value, field: str, what: str) -> Decimal:
    return parse_amount(value, field, what)


def _capital(text: str) -> str:
    return text[0].upper() + text[1:] if text else text
