"""The activity journal, the teacher's assessments, scenarios and their scheduled events."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import User, utcnow
from crm.core.tenancy import FirmScoped
from crm.extensions import db


class Activity(FirmScoped, db.Model):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_firm_at", "firm_id", "at"),
        Index("ix_activity_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[str] = mapped_column(String(16), default="")
    verb: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(255), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The firm's simulated date when it happened (crm.core.clock), beside the real instant `at`.
    business_date: Mapped[date | None] = mapped_column(Date)
    # A teacher's observation of something not done in software (greeting a visitor…).
    observer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    observer: Mapped[User | None] = relationship(foreign_keys=[observer_id])
    competencies: Mapped[list[ActivityCompetency]] = relationship(
        cascade="all, delete-orphan", order_by="ActivityCompetency.code"
    )

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.competencies]


class ActivityCompetency(db.Model):
    """One référentiel code an activity trains (one row per code, to query by code)."""

    __tablename__ = "activity_competency"
    # The grid counts per trainee and code straight from this index, without reading the journal rows.
    __table_args__ = (Index("ix_activity_competency_user_code_at", "user_id", "code", "at"),)

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)
    # Copied from the activity (never changed afterwards) so the référentiel grid is one index scan.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"))
    at: Mapped[datetime | None]


# --- assessment ------------------------------------------------------------------

LEVELS = {
    "not_assessed": "Non évalué",
    "not_acquired": "Non acquis",
    "in_progress": "En cours d'acquisition",
    "acquired": "Acquis",
    "mastered": "Maîtrisé",
}


class Assessment(db.Model):
    """The teacher's judgement of one trainee on one competency; rows are never changed (history)."""

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint(f"level IN ({', '.join(repr(k) for k in LEVELS)})", name="level"),
        Index("ix_assessment_user_code", "user_id", "code", "assessed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(12))
    level: Mapped[str] = mapped_column(String(14))
    comment: Mapped[str] = mapped_column(Text, default="")
    assessed_on: Mapped[date]
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[User | None] = relationship(foreign_keys=[assessor_id])

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]


# --- scenarios -----------------------------------------------------------------------

class Scenario(db.Model):
    """A scenario file a teacher uploaded (YAML text, checked before it is kept)."""

    __tablename__ = "scenario"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class FirmScenario(FirmScoped, db.Model):
    """The scenario a firm was loaded from, as it was then: a reset reloads this text."""

    __tablename__ = "firm_scenario"
    __table_args__ = (UniqueConstraint("firm_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenario.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


EVENT_KINDS = {
    "desk_request": "Visite à l'accueil",
    "complaint": "Réclamation",
    "phone_message": "Message téléphonique",
    "email": "Courriel reçu",
    "supplier_delay": "Retard fournisseur",
    "incoming_order": "Commande reçue",
}


class ScenarioEvent(FirmScoped, db.Model):
    """Something that happens to the firm at a business date and time (or when the teacher says)."""

    __tablename__ = "scenario_event"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in EVENT_KINDS)})", name="kind"),
        Index("ix_scenario_event_due", "firm_id", "fired_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(160))
    # Business date and local time of the firm at which it happens.
    due_on: Mapped[date] = mapped_column(Date)
    due_time: Mapped[time] = mapped_column(Time, default=time(0, 0))
    # What the record will hold (party key, text, lines…), as written in the scenario.
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    fired_at: Mapped[datetime | None]
    fired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    record_type: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    fired_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS[self.kind]

    @property
    def is_fired(self) -> bool:
        return self.fired_at is not None
