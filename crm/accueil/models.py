"""The front desk register: organigramme, desk requests and their history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.clients.models import Party, _in
from crm.core.models import User, utcnow
from crm.core.tenancy import FirmScoped
from crm.extensions import db

CHANNELS = {"face": "Face à face", "phone": "Téléphone", "email": "Courriel"}
NATURES = {
    "info_hours": "Information : horaires",
    "info_prices": "Information : tarifs",
    "info_terms": "Information : conditions de vente",
    "info_product": "Information : produit",
    "order": "Commande",
    "complaint": "Réclamation",
    "after_sales": "SAV",
    "appointment": "Rendez-vous",
    "other": "Autre",
}
STATUSES = {"open": "Ouverte", "transmitted": "Transmise", "treated": "Traitée", "closed": "Close"}
HANDLINGS = {"immediate": "Traitée immédiatement", "transmitted": "Transmise à un service"}


class Service(FirmScoped, db.Model):
    """A service of the firm's organigramme."""

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("firm_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))

    people: Mapped[list[StaffMember]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="StaffMember.name"
    )


class StaffMember(FirmScoped, db.Model):
    """A person of the organigramme, to whom requests are transmitted."""

    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    service: Mapped[Service] = relationship(back_populates="people")


def _received_on_default(context) -> date:
    """A request built without its business date (services always give it): the day of created_at."""
    created = context.get_current_parameters().get("created_at")
    return created.date() if created else utcnow().date()


class DeskRequest(FirmScoped, db.Model):
    """A request recorded at the desk, on the phone or by email."""

    __tablename__ = "desk_request"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("nature", NATURES), name="nature"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("handling", HANDLINGS), name="handling"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),
        Index("ix_desk_request_firm_created", "firm_id", "created_at"),
        Index("ix_desk_request_firm_status", "firm_id", "status"),
        Index("ix_desk_request_firm_received", "firm_id", "received_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"), index=True)
    visitor_name: Mapped[str] = mapped_column(String(120), default="")
    visitor_phone: Mapped[str] = mapped_column(String(30), default="")
    visitor_email: Mapped[str] = mapped_column(String(254), default="")
    channel: Mapped[str] = mapped_column(String(6))
    nature: Mapped[str] = mapped_column(String(14))
    request_text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    documentation: Mapped[str] = mapped_column(String(255), default="")
    handling: Mapped[str] = mapped_column(String(12), default="immediate")
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id", ondelete="SET NULL"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_member.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date | None]
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open")
    satisfaction: Mapped[int | None]
    satisfaction_comment: Mapped[str] = mapped_column(Text, default="")
    # The trainee's feedback for the manager (A1T6C1, A1T6C3).
    reactions_note: Mapped[str] = mapped_column(Text, default="")
    improvement_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The firm's business date the request came in (its simulated calendar), beside created_at.
    received_on: Mapped[date] = mapped_column(Date, default=_received_on_default)
    treated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    party: Mapped[Party | None] = relationship()
    service: Mapped[Service | None] = relationship()
    recipient: Mapped[StaffMember | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    events: Mapped[list[DeskRequestEvent]] = relationship(
        back_populates="desk_request", cascade="all, delete-orphan",
        order_by="(DeskRequestEvent.at, DeskRequestEvent.id)",
    )

    @property
    def who(self) -> str:
        return self.party.name if self.party else self.visitor_name

    @property
    def channel_label(self) -> str:
        return CHANNELS[self.channel]

    @property
    def nature_label(self) -> str:
        return NATURES[self.nature]

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def is_complaint(self) -> bool:
        return self.nature == "complaint"

    def is_overdue(self, today: date) -> bool:
        return self.status == "transmitted" and self.due_on is not None and self.due_on < today


class DeskRequestEvent(FirmScoped, db.Model):
    """One status change of a desk request."""

    __tablename__ = "desk_request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_request_id: Mapped[int] = mapped_column(
        ForeignKey("desk_request.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    desk_request: Mapped[DeskRequest] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()

    @property
    def to_label(self) -> str:
        return STATUSES[self.to_status]
