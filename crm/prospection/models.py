"""Prospection and follow-up: call plans and their targets, calls, agenda, templates, messages.

Glossary (DESIGN.md): plan d'appel → CallPlan, appel (one target of a plan) →
CallPlanEntry, each attempt at calling it → CallAttempt, courrier type /
courriel type → MessageTemplate. Codes are English identifiers; French is in
the labels beside them.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint, Column, Date, ForeignKey, Index, LargeBinary, Numeric, String, Table, Text,
    Time, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.clients.models import Party, _in
from crm.core.models import User, utcnow
from crm.core.tenancy import FirmScoped
from crm.extensions import db

OBJECTIVES = {
    "order_follow_up": "Suivi de commande",
    "phone_reminder": "Relance téléphonique",
    "promotion": "Offre promotionnelle",
    "unpaid_reminder": "Relance impayée",
    "satisfaction": "Enquête de satisfaction",
    "appointment": "Prise de rendez-vous",
    "other": "Autre",
}
PHONE, LETTER, EMAIL = "phone", "letter", "email"
PLAN_CHANNELS = {PHONE: "Téléphone", LETTER: "Courrier", EMAIL: "Courriel"}

# Where a target comes from.
FROM_FILTER, BY_HAND, FROM_OVERDUE, FROM_OPEN_ORDERS = "filter", "manual", "overdue", "open_orders"
TARGET_SOURCES = {
    FROM_FILTER: "Filtre du fichier clients",
    BY_HAND: "Choisi à la main",
    FROM_OVERDUE: "Facture en retard",
    FROM_OPEN_ORDERS: "Commande en cours",
}

# What a call gave (one click each on the phone session screen); SENT is for letters and emails.
REACHED, ABSENT, VOICEMAIL, WRONG_NUMBER = "reached", "absent", "voicemail", "wrong_number"
REFUSED, APPOINTMENT, SALE, TO_TRANSMIT, SENT = "refused", "appointment", "sale", "to_transmit", "sent"
CALL_OUTCOMES = {
    REACHED: "Joint",
    ABSENT: "Absent — rappeler",
    VOICEMAIL: "Messagerie",
    WRONG_NUMBER: "Mauvais numéro",
    REFUSED: "Refus",
    APPOINTMENT: "Rendez-vous pris",
    SALE: "Vente",
    TO_TRANSMIT: "À transmettre",
}
OUTCOMES = {**CALL_OUTCOMES, SENT: "Envoyé"}
# The person was on the line (the base of the appointment and sale rates).
REACHED_OUTCOMES = (REACHED, REFUSED, APPOINTMENT, SALE, TO_TRANSMIT)
# The target stays in the queue, to be called again.
RETRY_OUTCOMES = (ABSENT, VOICEMAIL)

TODO, CALLBACK, DONE = "todo", "callback", "done"
ENTRY_STATUSES = {TODO: "À contacter", CALLBACK: "À rappeler", DONE: "Terminé"}

CALLBACK_ITEM, APPOINTMENT_ITEM = "callback", "appointment"
AGENDA_KINDS = {CALLBACK_ITEM: "Rappel", APPOINTMENT_ITEM: "Rendez-vous"}

# Reminder levels of an unpaid invoice, in order; each has its own template.
FRIENDLY, SECOND, FORMAL_NOTICE = "friendly", "second", "formal_notice"
REMINDER_LEVELS = {
    FRIENDLY: "Relance amiable",
    SECOND: "Deuxième relance",
    FORMAL_NOTICE: "Mise en demeure",
}
TEMPLATE_KINDS = {LETTER: "Courrier type", EMAIL: "Courriel type"}
TEMPLATE_PURPOSES = {"": "Usage général", **REMINDER_LEVELS}

INBOX, OUTBOX = "inbox", "outbox"
QUEUED, SENT_SMTP, DELIVERED, FAILED, RECEIVED = "queued", "sent", "delivered", "failed", "received"
MESSAGE_STATUSES = {
    QUEUED: "En attente d'envoi",
    SENT_SMTP: "Envoyé",
    DELIVERED: "Distribué",
    FAILED: "Échec de l'envoi",
    RECEIVED: "Reçu",
}
INTERNAL, SMTP = "internal", "smtp"

RENDERING, READY = "rendering", "ready"

call_plan_assignees = Table(
    "call_plan_assignee",
    db.metadata,
    Column("call_plan_id", ForeignKey("call_plan.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MessageTemplate(FirmScoped, db.Model):
    """A *courrier type* or *courriel type*; its texts hold merge fields written {{ field }}."""

    __tablename__ = "message_template"
    __table_args__ = (
        UniqueConstraint("firm_id", "name"),
        CheckConstraint(_in("kind", TEMPLATE_KINDS), name="kind"),
        CheckConstraint(_in("purpose", TEMPLATE_PURPOSES), name="purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(16), default="")
    subject: Mapped[str] = mapped_column(String(200))
    salutation: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    closing: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def kind_label(self) -> str:
        return TEMPLATE_KINDS[self.kind]

    @property
    def purpose_label(self) -> str:
        return TEMPLATE_PURPOSES[self.purpose]


class CallPlan(FirmScoped, db.Model):
    """A *plan d'appel*: an objective, a channel, targets, a script and the trainees running it."""

    __tablename__ = "call_plan"
    __table_args__ = (
        CheckConstraint(_in("objective", OBJECTIVES), name="objective"),
        CheckConstraint(_in("channel", PLAN_CHANNELS), name="channel"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
        Index("ix_call_plan_firm_starts", "firm_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    objective: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    # The script (telephone) or argument sheet: greeting, hook, questions, argument, closing.
    script: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("message_template.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    template: Mapped[MessageTemplate | None] = relationship()
    assignees: Mapped[list[User]] = relationship(
        secondary=call_plan_assignees, order_by="User.display_name"
    )
    objections: Mapped[list[CallPlanObjection]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="CallPlanObjection.id"
    )

    @property
    def objective_label(self) -> str:
        return OBJECTIVES[self.objective]

    @property
    def channel_label(self) -> str:
        return PLAN_CHANNELS[self.channel]


class CallPlanObjection(FirmScoped, db.Model):
    """An objection the target may raise, and the answer prepared for it."""

    __tablename__ = "call_plan_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("call_plan.id", ondelete="CASCADE"), index=True)
    objection: Mapped[str] = mapped_column(String(255))
    answer: Mapped[str] = mapped_column(Text)

    plan: Mapped[CallPlan] = relationship(back_populates="objections")


class CallPlanEntry(FirmScoped, db.Model):
    """One target of a plan (*un appel à passer*): a party, maybe about an invoice or an order."""

    __tablename__ = "call_plan_entry"
    __table_args__ = (
        CheckConstraint(_in("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(_in("source", TARGET_SOURCES), name="source"),
        CheckConstraint(f"last_outcome IS NULL OR {_in('last_outcome', OUTCOMES)}", name="last_outcome"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The phone session's queue: next target of a plan by status, then order of addition.
        Index("ix_call_plan_entry_queue", "plan_id", "status", "id"),
        Index("ix_call_plan_entry_plan_party", "plan_id", "party_id"),
        Index("ix_call_plan_entry_holder", "plan_id", "held_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("call_plan.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    # The invoice of a *relance impayée*, the order of a *suivi de commande*.
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("sales_document.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(12), default=BY_HAND)
    status: Mapped[str] = mapped_column(String(10), default=TODO)
    last_outcome: Mapped[str | None] = mapped_column(String(14))
    attempts: Mapped[int] = mapped_column(default=0)
    # A call-back is due from this business date (the queue offers it again then).
    callback_on: Mapped[date | None] = mapped_column(Date)
    # Taken by a trainee who opened it, so that two trainees never call the same target.
    held_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    held_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]

    plan: Mapped[CallPlan] = relationship()
    party: Mapped[Party] = relationship()
    document = relationship("SalesDocument")
    attempts_made: Mapped[list[CallAttempt]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="CallAttempt.id"
    )

    @property
    def status_label(self) -> str:
        return ENTRY_STATUSES[self.status]

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.last_outcome or "", "")

    @property
    def source_label(self) -> str:
        return TARGET_SOURCES[self.source]


class CallAttempt(FirmScoped, db.Model):
    """One call (or one letter or email sent) to a target, with its outcome."""

    __tablename__ = "call_attempt"
    __table_args__ = (CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("call_plan_entry.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(14))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interaction.id", ondelete="SET NULL"), index=True
    )

    entry: Mapped[CallPlanEntry] = relationship(back_populates="attempts_made")
    user: Mapped[User | None] = relationship()

    @property
    def outcome_label(self) -> str:
        return OUTCOMES[self.outcome]


class AgendaItem(FirmScoped, db.Model):
    """A trainee's call-back or appointment, on the firm's business calendar (local wall time)."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        CheckConstraint(_in("kind", AGENDA_KINDS), name="kind"),
        Index("ix_agenda_item_owner_day", "firm_id", "user_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    day: Mapped[date] = mapped_column(Date)
    at_time: Mapped[time | None] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(160))
    note: Mapped[str] = mapped_column(Text, default="")
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_plan_entry.id", ondelete="SET NULL"), index=True
    )
    done: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    party: Mapped[Party | None] = relationship()
    entry: Mapped[CallPlanEntry | None] = relationship()

    @property
    def kind_label(self) -> str:
        return AGENDA_KINDS[self.kind]


class Message(FirmScoped, db.Model):
    """An email of the firm: in its outbox (written here) or its inbox (received here)."""

    __tablename__ = "message"
    __table_args__ = (
        CheckConstraint(_in("folder", (INBOX, OUTBOX)), name="folder"),
        CheckConstraint(_in("status", MESSAGE_STATUSES), name="status"),
        CheckConstraint(_in("delivery", ("", INTERNAL, SMTP)), name="delivery"),
        Index("ix_message_firm_folder_created", "firm_id", "folder", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    folder: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10))
    delivery: Mapped[str] = mapped_column(String(8), default="")
    from_name: Mapped[str] = mapped_column(String(160), default="")
    from_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(160), default="")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(String(255), default="")
    # The party of the firm's file this message was sent to (outbox) or came from (inbox).
    party_id: Mapped[int | None] = mapped_column(ForeignKey("party.id", ondelete="SET NULL"), index=True)
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_plan_entry.id", ondelete="SET NULL"), index=True
    )
    # The message of this firm's inbox this one answers.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]

    party: Mapped[Party | None] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return MESSAGE_STATUSES[self.status]


class PaymentReminder(FirmScoped, db.Model):
    """A reminder of an unpaid invoice at one level, with the figures it stated."""

    __tablename__ = "payment_reminder"
    __table_args__ = (
        UniqueConstraint("invoice_id", "level"),
        CheckConstraint(_in("level", REMINDER_LEVELS), name="level"),
        CheckConstraint(_in("channel", (LETTER, EMAIL)), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("sales_document.id", ondelete="RESTRICT"))
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(14))
    channel: Mapped[str] = mapped_column(String(10))
    sent_on: Mapped[date] = mapped_column(Date)
    days_late: Mapped[int]
    amount_due: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    penalties: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    indemnity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def level_label(self) -> str:
        return REMINDER_LEVELS[self.level]


class Mailing(FirmScoped, db.Model):
    """A *publipostage*: the letters of a plan printed into one PDF, a few at a time.

    Each step renders the next letters outside any write transaction and stores
    them as a part; the last step joins the parts into `pdf`. The texts are
    copied from the template when the mailing starts, so every letter is alike.
    """

    __tablename__ = "mailing"
    __table_args__ = (CheckConstraint(_in("status", (RENDERING, READY)), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("call_plan.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    salutation: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    closing: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(String(16), default="")
    total: Mapped[int]
    done: Mapped[int] = mapped_column(default=0)
    # Letters are the plan's targets with last_entry_id < id <= up_to_entry_id, in id order.
    last_entry_id: Mapped[int] = mapped_column(default=0)
    up_to_entry_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=RENDERING)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    plan: Mapped[CallPlan] = relationship()
    parts: Mapped[list[MailingPart]] = relationship(
        back_populates="mailing", cascade="all, delete-orphan", order_by="MailingPart.position"
    )


class MailingPart(FirmScoped, db.Model):
    """A few letters of a mailing, already printed."""

    __tablename__ = "mailing_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    letters: Mapped[int]
    pdf: Mapped[bytes] = mapped_column(LargeBinary)

    mailing: Mapped[Mailing] = relationship(back_populates="parts")
