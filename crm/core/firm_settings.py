"""Read and update a firm's commercial settings (FirmSettings), the one place for them."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from crm.core.clock import is_time_zone, remember_zone
from crm.core.database import insert_ignoring_conflict, memo_while_reading, remember_while_reading
from crm.core.errors import DomainError
from crm.core.formatting import percent
from crm.core.money import has_decimals_at_most, round_places
from crm.core.models import FirmSettings
from crm.core.numbering_models import DEFAULT_PREFIXES, DOCUMENT_TYPES
from crm.extensions import db

MAX_PAYMENT_TERMS_DAYS = 60  # Code de commerce L441-10: 60 days from the invoice date at most
RECOVERY_FEE = Decimal("40")  # indemnité forfaitaire pour frais de recouvrement (D441-5)
_PREFIX_CHARS = re.compile(r"^[A-Za-z0-9_./-]*$")
_UNSET = object()


def get_firm_settings(firm) -> FirmSettings:
    """The firm's settings; a firm without a row gets the defaults (an unsaved object).

    Read once per page: many rules of one page ask (today's date, terms, prefixes).
    """
    return memo_while_reading(("firm_settings", firm.id), lambda: _read_settings(firm.id))


def remember_settings(firm, settings: FirmSettings | None) -> None:
    """Settings read with the firm at the start of a request (crm.core.tenancy.load_user).

    A page (read-only) keeps them for the whole request, as get_firm_settings would;
    the firm's time zone is kept for the request in any case, as firm_zone does.
    """
    settings = settings if settings is not None else FirmSettings(firm_id=firm.id)
    remember_while_reading(("firm_settings", firm.id), settings)
    remember_zone(firm, settings.time_zone)


def _read_settings(firm_id: int) -> FirmSettings:
    settings = db.session.scalar(select(FirmSettings).where(FirmSettings.firm_id == firm_id))
    return settings if settings is not None else FirmSettings(firm_id=firm_id)


def update_firm_settings(
    firm,
    *,
    number_prefixes: dict[str, str] | None = None,
    allow_negative_stock: bool | None = None,
    late_payment_rate: Decimal | str | None = None,
    payment_terms_days: int | None = None,
    escompte_terms: str | None = None,
    time_zone: str | None = None,
    vat_on_debits: bool | None = None,
) -> FirmSettings:
    """Change the given settings (None leaves one as is); DomainError in French on bad input. Flushes."""
    changes: dict = {}
    if number_prefixes is not None:
        changes["number_prefixes"] = _checked_prefixes(number_prefixes)
    if allow_negative_stock is not None:
        changes["allow_negative_stock"] = bool(allow_negative_stock)
    if late_payment_rate is not None:
        changes["late_payment_rate"] = _checked_rate(late_payment_rate)
    if payment_terms_days is not None:
        changes["payment_terms_days"] = _checked_days(payment_terms_days)
    if escompte_terms is not None:
        terms = escompte_terms.strip()
        if len(terms) > 500:
            raise DomainError("Les conditions d'escompte tiennent en 500 caractères au plus.", "escompte_terms")
        changes["escompte_terms"] = terms
    if time_zone is not None:
        if not is_time_zone(time_zone):
            raise DomainError("Choisissez un fuseau horaire de la liste (par exemple Europe/Paris).", "time_zone")
        changes["time_zone"] = time_zone
    if vat_on_debits is not None:
        changes["vat_on_debits"] = bool(vat_on_debits)

    insert_ignoring_conflict(
        FirmSettings, {"firm_id": firm.id, **_defaults()}, ["firm_id"]
    )
    settings = db.session.scalar(
        select(FirmSettings)
        .where(FirmSettings.firm_id == firm.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for name, value in changes.items():
        setattr(settings, name, value)  # a new dict for the JSON column, so the change is seen
    db.session.flush()
    return settings


def _defaults() -> dict:
    blank = FirmSettings()
    return {
        "number_prefixes": {},
        "allow_negative_stock": blank.allow_negative_stock,
        "late_payment_rate": blank.late_payment_rate,
        "payment_terms_days": blank.payment_terms_days,
        "escompte_terms": blank.escompte_terms,
        "time_zone": blank.time_zone,
        "vat_on_debits": blank.vat_on_debits,
    }


def _checked_prefixes(prefixes: dict[str, str]) -> dict[str, str]:
    checked = {}
    for doc_type, template in prefixes.items():
        if doc_type not in DOCUMENT_TYPES:
            raise ValueError(f"unknown document type {doc_type!r}")
        field = f"prefix_{doc_type}"
        label = DOCUMENT_TYPES[doc_type]
        template = (template or "").strip()
        bare = template.replace("{year}", "").replace("{yy}", "")
        if not template:
            raise DomainError(f"Indiquez un préfixe pour « {label} ».", field)
        if "{" in bare or "}" in bare:
            raise DomainError(
                "Seuls {year} (année sur 4 chiffres) et {yy} (sur 2 chiffres) peuvent "
                "figurer entre accolades.",
                field,
            )
        if not _PREFIX_CHARS.match(bare):
            raise DomainError(
                "Le préfixe ne peut contenir que des lettres sans accent, des chiffres "
                "et les signes - _ . /",
                field,
            )
        if len(template.replace("{year}", "2026").replace("{yy}", "26")) > 16:
            raise DomainError("Le préfixe tient en 16 caractères au plus.", field)
        if template != DEFAULT_PREFIXES[doc_type]:
            checked[doc_type] = template
    return checked


def _checked_rate(value) -> Decimal:
    try:
        rate = Decimal(str(value).replace(",", ".").strip())
    except InvalidOperation:
        raise DomainError(
            "Indiquez le taux sous forme de nombre, par exemple 10 ou 12,5.", "late_payment_rate"
        ) from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise DomainError("Le taux des pénalités de retard doit être compris entre 0 et 100 %.", "late_payment_rate")
    if not has_decimals_at_most(rate, 2):
        raise DomainError("Le taux des pénalités de retard a deux décimales au plus.", "late_payment_rate")
    return round_places(rate, 2)


def _checked_days(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise DomainError("Indiquez le délai de paiement en nombre de jours.", "payment_terms_days") from None
    if days < 0 or days > MAX_PAYMENT_TERMS_DAYS:
        raise DomainError(
            "Le délai de paiement va de 0 (comptant) à 60 jours après la date d'émission "
            "de la facture (Code de commerce, art. L441-10).",
            "payment_terms_days",
        )
    return days


def due_date(settings: FirmSettings, issue_date: date) -> date:
    """The invoice's due date: issue date + the firm's payment terms."""
    return issue_date + timedelta(days=settings.payment_terms_days)


def late_payment_mention(settings: FirmSettings) -> str:
    """The late-payment penalties, from the one setting (FirmSettings.late_payment_rate)."""
    return ("En cas de retard de paiement, des pénalités sont exigibles au taux annuel de "
            f"{percent(settings.late_payment_rate)}, dès le lendemain de la date d'échéance.")


def payment_mentions(settings: FirmSettings, business_client: bool) -> list[str]:
    """The payment mentions an invoice must print (Code de commerce L441-9, L441-10, D441-5)."""
    if settings.payment_terms_days == 0:
        terms = "Paiement comptant à réception de la facture."
    else:
        terms = f"Paiement à {settings.payment_terms_days} jours à compter de la date d'émission de la facture."
    lines = [terms, settings.escompte_terms or "Pas d'escompte pour paiement anticipé.", late_payment_mention(settings)]
    if business_client:
        lines.append(
            "Tout professionnel en retard de paiement doit en outre une indemnité forfaitaire "
            "de 40 € pour frais de recouvrement (art. L441-10 et D441-5 du Code de commerce)."
        )
    return lines
