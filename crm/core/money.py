"""Money rules in one place: French VAT rates, cent rounding, percentages.

No other module defines a VAT rate or rounds an amount: they import from here.
Amounts are Decimal end to end, rounded half-up to the cent (0.005 → 0.01) at
each line and each VAT base, as EN 16931 and the French textbooks do.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from crm.core.errors import DomainError
from crm.core.limits import MAX_AMOUNT

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")

# The French VAT rates, in percent, highest first.
VAT_RATES: tuple[Decimal, ...] = (
    Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0"),
)
VAT_RATES_TEXT = "20 %, 10 %, 5,5 %, 2,1 % ou 0 %"
# Select choices for a form: value as stored, label the French way.
VAT_CHOICES: list[tuple[str, str]] = [
    ("20", "20 %"), ("10", "10 %"), ("5.5", "5,5 %"), ("2.1", "2,1 %"), ("0", "0 %"),
]
RATE_DECIMALS = 2


def vat_rate_check(column: str = "vat_rate") -> str:
    """The SQL of a CHECK constraint keeping `column` among the French VAT rates."""
    return f"{column} IN ({', '.join(format(rate, 'f') for rate in VAT_RATES)})"


def round_cent(amount: Decimal) -> Decimal:
    """Half-up to the cent: 1.005 → 1.01, 1.004 → 1.00."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def round_places(value: Decimal, places: int) -> Decimal:
    """Half-up to `places` decimals: rates (2), coefficients (4), daily averages."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def floor_cent(amount: Decimal) -> Decimal:
    """Down to the cent (the first step of sharing an amount by the largest remainders)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_DOWN)


def percentage(part: Decimal | int, whole: Decimal | int, places: int = 2) -> Decimal | None:
    """part ÷ whole × 100, rounded half-up (45.833… → 45.83); None when `whole` is zero."""
    if not whole:
        return None
    return round_places(Decimal(part) * HUNDRED / Decimal(whole), places)


def percentage_of(base: Decimal, rate: Decimal) -> Decimal:
    """`rate` % of `base`, rounded half-up to the cent (a discount, a VAT amount)."""
    return round_cent(base * rate / HUNDRED)


def to_decimal(value, field: str | None = None, what: str = "La valeur") -> Decimal:
    """A finite Decimal from a Decimal, an int or text typed the French way ('12,50'); DomainError otherwise."""
    if isinstance(value, float):
        raise TypeError("amounts are Decimal, never float")
    if isinstance(value, str):
        value = (value.replace("\u202f", "").replace("\xa0", "").replace(" ", "")
                 .replace("€", "").replace("%", "").replace(",", ".").strip())
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise DomainError(f"{_capital(what)} doit être un nombre, par exemple 12,50.", field)
    if abs(number) >= MAX_AMOUNT:  # 1e308 could not even be rounded to the cent
        raise DomainError(f"{_capital(what)} est trop grand : vérifiez la saisie.", field)
    return number


def has_decimals_at_most(number: Decimal, places: int) -> bool:
    return number == number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def parse_amount(value, field: str | None = None, what: str = "Le montant") -> Decimal:
    """A positive or zero amount in euros, to the cent at most ('12,50'); DomainError otherwise."""
    amount = to_decimal(value, field, what)
    if amount < 0:
        raise DomainError(f"{_capital(what)} ne peut pas être négatif.", field)
    if not has_decimals_at_most(amount, 2):
        raise DomainError(f"{_capital(what)} s'exprime au centime près (par exemple 12,50).", field)
    return round_cent(amount)


def parse_percent(value, field: str | None = None, what: str = "Le taux",
                  strictly_below_100: bool = False) -> Decimal:
    """A percentage from 0 to 100 (below 100 when asked) with two decimals at most."""
    rate = to_decimal(value, field, what)
    if rate < 0 or rate > HUNDRED or (strictly_below_100 and rate == HUNDRED):
        bound = "strictement inférieur à 100 %" if strictly_below_100 else "au plus égal à 100 %"
        raise DomainError(f"{_capital(what)} est un pourcentage positif {bound}.", field)
    if not has_decimals_at_most(rate, RATE_DECIMALS):
        raise DomainError(f"{_capital(what)} a {RATE_DECIMALS} décimales au plus.", field)
    return rate


def check_vat_rate(value, field: str = "vat_rate", where: str = "") -> Decimal:
    """The rate as one of VAT_RATES if it is a French VAT rate, else DomainError."""
    rate = to_decimal(value, field, (where + "le taux de TVA") if where else "Le taux de TVA")
    for allowed in VAT_RATES:
        if rate == allowed:
            return allowed
    message = f"le taux de TVA doit être {VAT_RATES_TEXT}."
    raise DomainError(where + message if where else _capital(message), field)


def _capital(text: str) -> str:
    return text[0].upper() + text[1:] if text else text
