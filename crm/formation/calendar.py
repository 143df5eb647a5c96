"""The teacher moves a firm's simulated calendar (crm.core.clock): by a day, a week, or to a date.

Forward is always possible. Backward stops at the last business date already
used by a numbered document, a payment, a stock move, a till day or a desk
request: numbers stay chronological and no record is dated after "today".
Moving the calendar fires the scheduled events it passes (crm.formation.events).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.formatting import day
from crm.core.limits import DATE_MESSAGE, date_in_range
from crm.core.models import Firm, User
from crm.extensions import db
from crm.formation.events import fire_due_events
from crm.formation.journal import TEACHER_ACTION, record_activity

MAX_STEP_DAYS = 366


def latest_used_date(firm: Firm) -> date | None:
    """The latest business date any record of the firm carries."""
    from crm.accueil.models import DeskRequest
    from crm.core.numbering_models import DocumentCounter
    from crm.stocks.models import StockMove
    from crm.ventes.documents.models import Payment

    dates = [db.session.scalar(select(func.max(column)).where(model.firm_id == firm.id))
             for model, column in ((DocumentCounter, DocumentCounter.last_date), (StockMove, StockMove.moved_on),
                                   (Payment, Payment.paid_on), (DeskRequest, DeskRequest.received_on))]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def move_calendar(firm: Firm, actor: User | None, target: date) -> int:
    """Set the firm's business date; returns how many events fired on the way."""
    current = business_today(firm)
    if not date_in_range(target):
        raise DomainError(DATE_MESSAGE, "target")
    if abs((target - current).days) > MAX_STEP_DAYS:
        raise DomainError("Déplacez le calendrier d'un an au plus à la fois.", "target")
    if target < current:
        latest = latest_used_date(firm)
        if latest is not None and target < latest:
            raise DomainError(
                f"« {firm.trade_name} » a déjà des documents datés du {day(latest)} : son calendrier ne peut pas "
                f"revenir avant cette date (les numéros suivent l'ordre chronologique).", "target")
    firm.business_date = target
    db.session.flush()
    if actor is not None:
        record_activity(firm, actor, "firm.calendar_moved", firm,
                        f"Calendrier de l'entreprise : du {day(current)} au {day(target)}", competencies=TEACHER_ACTION)
    return len(fire_due_events(firm))


def advance(firms: list[Firm], actor: User | None, days: int | None = None, target: date | None = None) -> int:
    """Move each firm by `days`, or all to `target`; all or nothing. Returns the events fired."""
    if (days is None) == (target is None):
        raise DomainError("Choisissez d'avancer d'un nombre de jours ou jusqu'à une date.")
    fired = 0
    for firm in firms:
        fired += move_calendar(firm, actor, target if target else business_today(firm) + timedelta(days=days))
    return fired


def after_closing(firm: Firm, closed_day: date) -> date | None:
    """A Z closing of the simulated day ends it: the firm moves to the next day (the till opens again).

    Firms on the real calendar stay on it: their next day comes with the real one.
    """
    if firm.business_date is None or closed_day != firm.business_date:
        return None
    firm.business_date = closed_day + timedelta(days=1)
    db.session.flush()
    return firm.business_date
