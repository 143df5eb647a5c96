"""record_activity(): the one way services write the activity journal."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import select

from crm.core.clock import business_today

from crm.core.models import Firm, Membership, User, utcnow
from crm.extensions import db
from crm.formation.models import Activity, ActivityCompetency
from crm.formation.referentiel import VERB_COMPETENCIES, catalogue


# What the teacher does in a firm (load, reset, move the calendar, fire an event) is in its
# journal for the record, and trains no competency.
TEACHER_ACTION: list[str] = []

# Loading a scenario replays months of a firm's life through the services: that is the
# teacher's setting, not a trainee's work, so the journal stays silent meanwhile.
_silenced: ContextVar[bool] = ContextVar("journal_silenced", default=False)


@contextmanager
def journal_silenced():
    """Within this block, record_activity() checks its arguments but writes nothing."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def record_activity(
    firm: Firm,
    user: User | None,
    verb: str,
    obj=None,
    summary: str = "",
    competencies: list[str] | None = None,
) -> Activity | None:
    """Journal `verb` done by `user` in `firm` on `obj`, in the caller's transaction.

    Competencies default to the verb's entry in VERB_COMPETENCIES; an unknown
    verb or code is a programming error, caught by the tests of the caller.
    """
    if competencies is None:
        if verb not in VERB_COMPETENCIES:
            raise ValueError(f"verb {verb!r} is missing from VERB_COMPETENCIES")
        competencies = VERB_COMPETENCIES[verb]
    known = catalogue()
    unknown = [code for code in competencies if code not in known]
    if unknown:
        raise ValueError(f"unknown référentiel codes {unknown}")
    if _silenced.get():
        return None
    now = utcnow()
    user_id = user.id if user else None
    activity = Activity(
        firm_id=firm.id,
        at=now,
        business_date=business_today(firm),
        user_id=user.id if user else None,
        position=_position(firm, user),
        verb=verb,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:255],
        competencies=[ActivityCompetency(code=code, user_id=user_id, firm_id=firm.id, at=now)
                      for code in dict.fromkeys(competencies)],
    )
    db.session.add(activity)
    db.session.flush()
    return activity


def _position(firm: Firm, user: User | None) -> str:
    if user is None:
        return ""
    position = db.session.scalar(
        select(Membership.position).filter_by(firm_id=firm.id, user_id=user.id)
    )
    return position or ""
