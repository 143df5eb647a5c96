"""Trainee follow-up against the référentiel: the grid, assessments, observations, the journal query.

The grid is two aggregate queries whatever the size of the class (journal
counts and last dates per trainee and code; the latest assessment per trainee
and code), so 30 trainees × 40 competencies over 20 000 journal entries stay fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from crm.core.errors import DomainError
from crm.core.models import Firm, Membership, User
from crm.extensions import db
from crm.formation import referentiel
from crm.formation.journal import record_activity
from crm.formation.models import LEVELS, Activity, ActivityCompetency, Assessment


def competencies() -> list[referentiel.Entry]:
    """The 40 competencies of the three activities, in référentiel order."""
    return [e for e in referentiel.catalogue().values() if e.kind == "competency"]


@dataclass
class Cell:
    count: int = 0
    last: datetime | None = None
    level: str = "not_assessed"


@dataclass
class Grid:
    trainees: list[User]
    codes: list[referentiel.Entry]
    cells: dict[tuple[int, str], Cell] = field(default_factory=dict)

    def cell(self, user_id: int, code: str) -> Cell:
        return self.cells.get((user_id, code)) or Cell()


def _period(query, start: date | None, end: date | None):
    if start:
        query = query.where(Activity.at >= datetime.combine(start, time.min))
    if end:
        query = query.where(Activity.at < datetime.combine(end + timedelta(days=1), time.min))
    return query


def grid(trainees: list[User], start: date | None = None, end: date | None = None,
         firm_ids: list[int] | None = None) -> Grid:
    result = Grid(trainees, competencies())
    ids = [t.id for t in trainees]
    if not ids:
        return result
    ac = ActivityCompetency
    query = (select(ac.user_id, ac.code, func.count(), func.max(ac.at))
             .where(ac.user_id.in_(ids)).group_by(ac.user_id, ac.code))
    if firm_ids is not None:
        query = query.where(ac.firm_id.in_(firm_ids))
    if start:
        query = query.where(ac.at >= datetime.combine(start, time.min))
    if end:
        query = query.where(ac.at < datetime.combine(end + timedelta(days=1), time.min))
    for user_id, code, count, last in db.session.execute(query):
        result.cells[(user_id, code)] = Cell(count, last)
    for user_id, code, level in _latest_levels(ids):
        result.cells.setdefault((user_id, code), Cell()).level = level
    return result


def _latest_levels(user_ids: list[int]):
    ranked = (select(Assessment.user_id, Assessment.code, Assessment.level,
                     func.row_number().over(partition_by=(Assessment.user_id, Assessment.code),
                                            order_by=(Assessment.assessed_on.desc(), Assessment.id.desc()))
                     .label("rank"))
              .where(Assessment.user_id.in_(user_ids)).subquery())
    return db.session.execute(select(ranked.c.user_id, ranked.c.code, ranked.c.level).where(ranked.c.rank == 1))


def history(user: User, code: str | None = None) -> list[Assessment]:
    query = select(Assessment).where(Assessment.user_id == user.id)
    if code:
        query = query.where(Assessment.code == code)
    return list(db.session.scalars(query.order_by(Assessment.assessed_on.desc(), Assessment.id.desc())))


def activities_of(user: User, code: str, limit: int = 5) -> list[Activity]:
    return list(db.session.scalars(
        select(Activity).join(ActivityCompetency, ActivityCompetency.activity_id == Activity.id)
        .where(Activity.user_id == user.id, ActivityCompetency.code == code)
        .order_by(Activity.at.desc(), Activity.id.desc()).limit(limit)))


def assess(trainee: User, teacher: User, code: str, level: str, comment: str, on: date) -> Assessment:
    if code not in {e.code for e in competencies()}:
        raise DomainError("Compétence inconnue du référentiel.", "code")
    if level not in LEVELS:
        raise DomainError("Choisissez un niveau : non évalué, non acquis, en cours, acquis ou maîtrisé.", "level")
    if on is None:
        raise DomainError("Indiquez la date de l'évaluation.", "assessed_on")
    assessment = Assessment(user_id=trainee.id, code=code, level=level, comment=(comment or "").strip()[:2000],
                            assessed_on=on, assessor_id=teacher.id)
    db.session.add(assessment)
    db.session.flush()
    return assessment


def observe(trainee: User, teacher: User, firm: Firm, code: str, note: str) -> Activity:
    """The teacher saw the trainee do it away from the software (greeting a visitor…): it counts."""
    if code not in {e.code for e in competencies()}:
        raise DomainError("Compétence inconnue du référentiel.", "code")
    if not (note or "").strip():
        raise DomainError("Décrivez ce que vous avez observé.", "note")
    if db.session.scalar(select(Membership.id).filter_by(user_id=trainee.id, firm_id=firm.id)) is None:
        raise DomainError("Cet élève ne travaille pas dans cette entreprise.", "firm_id")
    activity = record_activity(firm, trainee, "observation.recorded", None,
                               f"Observation du professeur : {note.strip()}", competencies=[code])
    activity.observer_id = teacher.id
    db.session.flush()
    return activity


# --- the journal ----------------------------------------------------------------------------

@dataclass
class JournalFilter:
    firm_ids: list[int]
    user_id: int | None = None
    position: str | None = None
    code: str | None = None
    activity: str | None = None  # A1, A2, A3 (or a task A1T3)
    start: date | None = None
    end: date | None = None


def codes_of(activities: list[Activity]) -> dict[int, list[str]]:
    """The référentiel codes of each activity of a journal's page, in one statement of plain rows
    (50 activities' codes as objects were a quarter of the page's time)."""
    codes: dict[int, list[str]] = {activity.id: [] for activity in activities}
    if codes:
        for activity_id, code in db.session.execute(
                select(ActivityCompetency.activity_id, ActivityCompetency.code)
                .where(ActivityCompetency.activity_id.in_(list(codes)))
                .order_by(ActivityCompetency.activity_id, ActivityCompetency.code)):
            codes[activity_id].append(code)
    return codes


def journal_query(f: JournalFilter):
    codes = None
    if f.code:
        codes = [f.code]
    elif f.activity:
        codes = [e.code for e in competencies() if e.code.startswith(f.activity)]
    if codes is not None:
        # Driven by the code index of activity_competency (which carries the firm): one set of ids,
        # rather than reading every journal row of the class and checking its codes.
        ids = select(ActivityCompetency.activity_id).where(ActivityCompetency.code.in_(codes),
                                                           ActivityCompetency.firm_id.in_(f.firm_ids))
        query = select(Activity).where(Activity.id.in_(ids))
    else:
        query = select(Activity).where(Activity.firm_id.in_(f.firm_ids))
    if f.user_id:
        query = query.where(Activity.user_id == f.user_id)
    if f.position:
        query = query.where(Activity.position == f.position)
    return _period(query, f.start, f.end).order_by(Activity.at.desc(), Activity.id.desc())
