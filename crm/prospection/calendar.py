"""The agenda as an iCalendar file (RFC 5545), for a phone or a desktop calendar.

Written with the `icalendar` library rather than by hand: it folds long lines
at 75 octets, escapes commas, semicolons and new lines in texts, writes CRLF
line ends and the VTIMEZONE that a TZID-qualified time needs — the details a
hand-written file gets wrong and calendar programs then reject.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event

from crm.core.clock import firm_zone
from crm.core.models import utcnow
from crm.prospection.models import APPOINTMENT_ITEM, AgendaItem

APPOINTMENT_LENGTH = timedelta(hours=1)
CALLBACK_LENGTH = timedelta(minutes=15)


def agenda_ics(firm, user, items: list[AgendaItem], host: str) -> bytes:
    """One VEVENT per item: timed in the firm's zone, or a whole day when no time was given."""
    zone = firm_zone(firm)
    calendar = Calendar()
    calendar.add("prodid", "-//Comptoir//Agenda de prospection//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{firm.trade_name} — agenda de {user.display_name}")
    calendar.add("x-wr-timezone", str(zone))
    stamp = utcnow().replace(tzinfo=timezone.utc)
    for item in items:
        event = Event()
        event.add("uid", f"agenda-{item.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", item.title)
        if item.at_time is not None:
            start = datetime.combine(item.day, item.at_time, tzinfo=zone)
            event.add("dtstart", start)
            event.add("dtend", start + (APPOINTMENT_LENGTH if item.kind == APPOINTMENT_ITEM else CALLBACK_LENGTH))
        else:
            event.add("dtstart", item.day)
            event.add("dtend", item.day + timedelta(days=1))
        if item.note:
            event.add("description", item.note)
        event.add("categories", [item.kind_label])
        event.add("status", "CONFIRMED")
        if item.done:
            event.add("x-comptoir-done", "TRUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()

