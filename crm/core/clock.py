"""The firm's clock: its business calendar (moved by the teacher) and its time zone.

Two kinds of time, never mixed:
- business dates (documents, payments, stock moves, desk requests, till days)
  come from `business_today(firm)`: the firm's simulated date when the teacher
  set one (`Firm.business_date`), otherwise today in the firm's time zone;
- real instants (`created_at`, `validated_at`…) are stored naive in UTC
  (`crm.core.models.utcnow`) and shown in the firm's time zone (`local`).
"""
from __future__ import annotations

from datetime import date, datetime, UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import g, has_app_context

DEFAULT_TIME_ZONE = "Europe/Paris"
# The zones a French school may be in (metropolitan France and overseas), for the settings form.
FRENCH_TIME_ZONES: list[tuple[str, str]] = [
    ("Europe/Paris", "France métropolitaine (Paris)"),
    ("America/Guadeloupe", "Guadeloupe"),
    ("America/Martinique", "Martinique"),
    ("America/Cayenne", "Guyane"),
    ("Indian/Reunion", "La Réunion"),
    ("Indian/Mayotte", "Mayotte"),
    ("America/Miquelon", "Saint-Pierre-et-Miquelon"),
    ("Pacific/Noumea", "Nouvelle-Calédonie"),
    ("Pacific/Tahiti", "Polynésie française (Tahiti)"),
    ("Pacific/Wallis", "Wallis-et-Futuna"),
]


def zone_named(name: str | None) -> ZoneInfo:
    """The zone of that IANA name; the default one when the name is empty or unknown."""
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def is_time_zone(name: str) -> bool:
    return name in available_timezones()


def firm_zone(firm) -> ZoneInfo:
    """The firm's time zone (a firm setting, Europe/Paris by default), read once per request."""
    if firm is None:
        return ZoneInfo(DEFAULT_TIME_ZONE)
    cache = g.setdefault("_firm_zones", {}) if has_app_context() else {}
    if firm.id not in cache:
        from crm.core.firm_settings import get_firm_settings

        cache[firm.id] = zone_named(get_firm_settings(firm).time_zone)
    return cache[firm.id]


def remember_zone(firm, name: str | None) -> None:
    """The firm's zone for this request, from settings read with the firm (no query of its own)."""
    if has_app_context():
        g.setdefault("_firm_zones", {})[firm.id] = zone_named(name)
        g.pop("_display_zone", None)  # display_zone() reads it again


def display_zone() -> ZoneInfo:
    """The zone pages show times in: the current firm's, or the default outside a firm.

    Kept with the firm it was read for: a list shows a time on each of its rows.
    """
    if not has_app_context():
        return firm_zone(None)
    firm, shown = g.get("firm"), g.get("_display_zone")
    if shown is None or shown[0] is not firm:
        shown = g._display_zone = (firm, firm_zone(firm))
    return shown[1]


def business_today(firm) -> date:
    """The firm's business date: the teacher's simulated date, or today where the firm is.

    Takes the Firm, or its id where a service only holds a row's firm_id.
    """
    if isinstance(firm, int):
        from crm.core.models import Firm
        from crm.extensions import db

        firm = db.session.get(Firm, firm)
    if firm.business_date is not None:
        return firm.business_date
    return datetime.now(firm_zone(firm)).date()


def current_business_date() -> date:
    """The business date of the request's firm: the default of date fields in forms."""
    firm = g.get("firm") if has_app_context() else None
    return business_today(firm) if firm is not None else datetime.now(display_zone()).date()


def is_simulated(firm) -> bool:
    return firm.business_date is not None


def local(value: datetime | None, zone: ZoneInfo | None = None) -> datetime | None:
    """A stored (naive UTC) instant as an aware datetime in `zone` (the page's zone by default)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone or display_zone())


def to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time typed in `zone` (naive) as the naive UTC instant we store."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC).replace(tzinfo=None)
