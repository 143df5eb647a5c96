"""Pricing calculator (S122): from any two of six figures, compute the others and show how.

The six figures of the French commerce textbooks, with `t` the VAT rate:
- prix d'achat HT (PA HT) and prix de vente HT (PV HT);
- prix de vente TTC = PV HT × (1 + t);
- coefficient multiplicateur = PV TTC ÷ PA HT (the one used in shops: PA HT × coef = PV TTC);
- taux de marque = marge ÷ PV HT × 100, taux de marge = marge ÷ PA HT × 100,
  where marge = PV HT − PA HT.
Given figures are kept as typed; derived prices are rounded half-up to the cent,
rates to 0,01 and the coefficient to 0,0001, each from exact (unrounded) values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_decimal

from crm.core.errors import DomainError
from crm.core.money import HUNDRED, round_cent, round_places

RATE_PLACES = 2
COEF_PLACES = 4

FIELDS = ("purchase_price", "sale_price", "sale_price_ttc", "coefficient", "markup_rate", "margin_rate")
LABELS = {
    "purchase_price": "Prix d'achat HT",
    "sale_price": "Prix de vente HT",
    "sale_price_ttc": "Prix de vente TTC",
    "coefficient": "Coefficient multiplicateur",
    "markup_rate": "Taux de marque",
    "margin_rate": "Taux de marge",
    "margin": "Marge unitaire HT",
}
PRICES = ("purchase_price", "sale_price", "sale_price_ttc")


@dataclass
class Step:
    """One derived figure: what it is, the general formula and the figures put in it."""

    name: str
    formula: str
    detail: str


@dataclass
class Pricing:
    vat_rate: Decimal
    given: tuple[str, str]
    values: dict[str, Decimal | None] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None


def _n(value: Decimal, digits: int = 2) -> str:
    """French figure with two fixed decimals (up to `digits`): 1 234,50 · 1,8667."""
    pattern = "#,##0.00" + "#" * (digits - 2)
    return format_decimal(Decimal(value), format=pattern, locale="fr_FR")


def compute_pricing(vat_rate: Decimal, **figures: Decimal | None) -> Pricing:
    """Compute the six figures and the margin from exactly two of them (DomainError otherwise)."""
    given = _given_figures(figures)
    t = Decimal(vat_rate) / HUNDRED
    vat_factor = 1 + t
    result = Pricing(vat_rate=Decimal(vat_rate), given=tuple(given))  # type: ignore[arg-type]
    steps = result.steps
    vat_txt = _n(vat_factor, 4)
    pa, pv = _exact_prices(given, vat_factor, steps)

    # 2. Every other figure from the exact PA HT and PV HT.
    assert pa is not None and pv is not None
    ttc = given.get("sale_price_ttc")
    if ttc is None:
        ttc = pv * vat_factor
        if not any(s.name == "sale_price_ttc" for s in steps):
            steps.append(Step("sale_price_ttc", "PV TTC = PV HT × (1 + taux de TVA)",
                              f"{_n(round_cent(pv))} × {vat_txt} = {_n(round_cent(ttc))} €"))
    margin = pv - pa
    steps.append(Step("margin", "Marge = PV HT − PA HT",
                      f"{_n(round_cent(pv))} − {_n(round_cent(pa))} = {_n(round_cent(margin))} €"))
    values: dict[str, Decimal | None] = {
        "purchase_price": given.get("purchase_price", round_cent(pa)),
        "sale_price": given.get("sale_price", round_cent(pv)),
        "sale_price_ttc": given.get("sale_price_ttc", round_cent(ttc)),
        "margin": round_cent(margin),
    }
    for key, compute, formula, detail in (
        ("coefficient", lambda: ttc / pa, "Coefficient = PV TTC ÷ PA HT",
         lambda v: f"{_n(round_cent(ttc))} ÷ {_n(round_cent(pa))} = {_n(v, 4)}"),
        ("markup_rate", lambda: margin / pv * HUNDRED, "Taux de marque = marge ÷ PV HT × 100",
         lambda v: f"{_n(round_cent(margin))} ÷ {_n(round_cent(pv))} × 100 = {_n(v)} %"),
        ("margin_rate", lambda: margin / pa * HUNDRED, "Taux de marge = marge ÷ PA HT × 100",
         lambda v: f"{_n(round_cent(margin))} ÷ {_n(round_cent(pa))} × 100 = {_n(v)} %"),
    ):
        if key in given:
            values[key] = given[key]
            continue
        denominator = pa if key != "markup_rate" else pv
        if denominator == 0:
            values[key] = None
            steps.append(Step(key, formula, "incalculable : division par zéro"))
            continue
        value = round_places(compute(), COEF_PLACES if key == "coefficient" else RATE_PLACES)
        values[key] = value
        steps.append(Step(key, formula, detail(value)))
    result.values = values
    return result


def _given_figures(figures: dict[str, Decimal | None]) -> dict[str, Decimal]:
    """Exactly two figures, at least one of them a price, in range (DomainError otherwise)."""
    given = {k: Decimal(v) for k, v in figures.items() if k in FIELDS and v is not None}
    unknown = set(figures) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown figures {unknown}")
    if len(given) != 2:
        raise DomainError(
            "Saisissez exactement deux valeurs parmi les six (par exemple le prix d'achat HT "
            "et le coefficient multiplicateur) ; les autres seront calculées."
        )
    _check_ranges(given)
    if not any(k in PRICES for k in given):
        raise DomainError(
            "Avec deux taux (ou un taux et le coefficient), aucun prix ne peut être calculé : "
            "saisissez au moins un prix."
        )
    if set(given) == {"sale_price", "sale_price_ttc"}:
        raise DomainError(
            "Le prix de vente HT et le prix TTC disent la même chose (ils ne diffèrent que par la TVA) : "
            "saisissez plutôt le prix d'achat HT ou un taux avec l'un des deux."
        )
    return given


def _exact_prices(given: dict[str, Decimal], vat_factor: Decimal, steps: list) -> tuple[Decimal, Decimal]:
    """Step 1: the exact purchase price HT and sale price HT from the two figures given."""
    vat_txt = _n(vat_factor, 4)
    pa = given.get("purchase_price")
    pv = given.get("sale_price")
    if "sale_price_ttc" in given:
        pv = given["sale_price_ttc"] / vat_factor
        steps.append(Step("sale_price", "PV HT = PV TTC ÷ (1 + taux de TVA)",
                          f"{_n(given['sale_price_ttc'])} ÷ {vat_txt} = {_n(round_cent(pv))} €"))
    ratio_key = next((k for k in given if k not in PRICES), None)
    if ratio_key is None:
        return pa, pv
    ratio = given[ratio_key]
    if pa is not None:  # from the purchase price to the sale price
        if ratio_key == "coefficient":
            ttc = pa * ratio
            pv = ttc / vat_factor
            steps.append(Step("sale_price_ttc", "PV TTC = PA HT × coefficient multiplicateur",
                              f"{_n(pa)} × {_n(ratio, 4)} = {_n(round_cent(ttc))} €"))
            steps.append(Step("sale_price", "PV HT = PV TTC ÷ (1 + taux de TVA)",
                              f"{_n(round_cent(ttc))} ÷ {vat_txt} = {_n(round_cent(pv))} €"))
        elif ratio_key == "margin_rate":
            pv = pa * (1 + ratio / HUNDRED)
            steps.append(Step("sale_price", "PV HT = PA HT × (1 + taux de marge)",
                              f"{_n(pa)} × (1 + {_n(ratio)} %) = {_n(round_cent(pv))} €"))
        else:
            pv = pa / (1 - ratio / HUNDRED)
            steps.append(Step("sale_price", "PV HT = PA HT ÷ (1 − taux de marque)",
                              f"{_n(pa)} ÷ (1 − {_n(ratio)} %) = {_n(round_cent(pv))} €"))
    elif ratio_key == "coefficient":  # from a sale price back to the purchase price
        ttc = pv * vat_factor
        pa = ttc / ratio
        steps.append(Step("purchase_price", "PA HT = PV TTC ÷ coefficient multiplicateur",
                          f"{_n(round_cent(ttc))} ÷ {_n(ratio, 4)} = {_n(round_cent(pa))} €"))
    elif ratio_key == "margin_rate":
        pa = pv / (1 + ratio / HUNDRED)
        steps.append(Step("purchase_price", "PA HT = PV HT ÷ (1 + taux de marge)",
                          f"{_n(round_cent(pv))} ÷ (1 + {_n(ratio)} %) = {_n(round_cent(pa))} €"))
    else:
        pa = pv * (1 - ratio / HUNDRED)
        steps.append(Step("purchase_price", "PA HT = PV HT × (1 − taux de marque)",
                          f"{_n(round_cent(pv))} × (1 − {_n(ratio)} %) = {_n(round_cent(pa))} €"))
    return pa, pv


def _check_ranges(given: dict[str, Decimal]) -> None:
    for key, value in given.items():
        if key in PRICES and value < 0:
            raise DomainError(f"Le {LABELS[key].lower()} ne peut pas être négatif.", key)
    if "purchase_price" in given and given["purchase_price"] == 0 and len(
        [k for k in given if k not in PRICES]
    ):
        raise DomainError("Avec un prix d'achat nul, aucun taux ne permet de calculer le prix de vente.",
                          "purchase_price")
    if given.get("coefficient") is not None and given["coefficient"] <= 0:
        raise DomainError("Le coefficient multiplicateur doit être supérieur à zéro.", "coefficient")
    if given.get("markup_rate") is not None and not (0 <= given["markup_rate"] < 100):
        raise DomainError("Le taux de marque doit être compris entre 0 et 100 % (100 exclu).", "markup_rate")
    if given.get("margin_rate") is not None and given["margin_rate"] < 0:
        raise DomainError("Le taux de marge ne peut pas être négatif.", "margin_rate")
