"""The activity journal: what each trainee did, with the competencies it trains."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import User, utcnow
from crm.core.models import FirmScoped
from crm.extensions import db


class Activity(FirmScoped, db.Model):
    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_firm_at", "firm_id", "at"),)

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

    user: Mapped[User | None] = relationship()
    competencies: Mapped[list[ActivityCompetency]] = relationship(
        cascade="all, delete-orphan", order_by="ActivityCompetency.code"
    )

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.competencies]


class ActivityCompetency(db.Model):
    """One référentiel code an activity trains (one row per code, to query by code)."""

    __tablename__ = "activity_competency"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)
