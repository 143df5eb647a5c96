"""Satisfaction surveys answered by clients, and the trainees' analyses of their performance."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import User, utcnow
from crm.core.models import FirmScoped
from crm.extensions import db

# What a survey is about: the one sale or desk visit it follows.
SUBJECTS = {
    "desk_request": "Visite à l'accueil",
    "counter_sale": "Vente au comptoir",
    "invoice": "Vente facturée",
}
# The 1–5 scale of the desk's closing form (crm.accueil), worded for the client.
SCORES = {
    5: "Très satisfait",
    4: "Satisfait",
    3: "Moyennement satisfait",
    2: "Peu satisfait",
    1: "Pas satisfait",
}
# From this score up, an answer counts as satisfied in the satisfaction rate.
SATISFIED_FROM = 4


class SatisfactionSurvey(FirmScoped, db.Model):
    """A short questionnaire a client answers once, after one sale or one desk visit.

    Answered on the desk screen or through a signed link (crm.indicateurs.surveys);
    the overall score feeds the satisfaction indicators. For a desk visit the score
    is also written on the desk request, where the desk's closing form records it.
    """

    __tablename__ = "satisfaction_survey"
    __table_args__ = (
        CheckConstraint("subject IN ('desk_request', 'counter_sale', 'invoice')", name="subject"),
        CheckConstraint(
            "(subject = 'desk_request' AND desk_request_id IS NOT NULL AND counter_sale_id IS NULL "
            "AND invoice_id IS NULL) OR "
            "(subject = 'counter_sale' AND counter_sale_id IS NOT NULL AND desk_request_id IS NULL "
            "AND invoice_id IS NULL) OR "
            "(subject = 'invoice' AND invoice_id IS NOT NULL AND desk_request_id IS NULL "
            "AND counter_sale_id IS NULL)",
            name="one_subject",
        ),
        CheckConstraint("overall IS NULL OR overall BETWEEN 1 AND 5", name="overall"),
        CheckConstraint("welcome IS NULL OR welcome BETWEEN 1 AND 5", name="welcome"),
        CheckConstraint("advice IS NULL OR advice BETWEEN 1 AND 5", name="advice"),
        CheckConstraint("(answered_at IS NULL) = (overall IS NULL)", name="answered"),
        # One survey per sale or visit.
        UniqueConstraint("desk_request_id"),
        UniqueConstraint("counter_sale_id"),
        UniqueConstraint("invoice_id"),
        Index("ix_satisfaction_survey_firm_answered", "firm_id", "answered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(12))
    desk_request_id: Mapped[int | None] = mapped_column(ForeignKey("desk_request.id", ondelete="CASCADE"))
    counter_sale_id: Mapped[int | None] = mapped_column(ForeignKey("counter_sale.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("sales_document.id", ondelete="RESTRICT"))
    # Random part of the signed link: a link is good for this survey row only.
    nonce: Mapped[str] = mapped_column(String(32))
    created_on: Mapped[date] = mapped_column(Date)  # business date
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The answers (all None until the client answers, then frozen).
    overall: Mapped[int | None]
    welcome: Mapped[int | None]
    advice: Mapped[int | None]
    would_recommend: Mapped[bool | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None] = mapped_column(Date)  # business date of the answer
    answered_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    desk_request = relationship("DeskRequest")
    counter_sale = relationship("CounterSale")
    invoice = relationship("SalesDocument")

    @property
    def subject_label(self) -> str:
        return SUBJECTS[self.subject]

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def about(self) -> str:
        """What the client is asked about, in their words."""
        if self.subject == "desk_request":
            return "votre visite à notre accueil"
        if self.subject == "counter_sale":
            return f"votre achat (ticket {self.counter_sale.number})"
        return f"votre achat (facture {self.invoice.number})"


class PerformanceAnalysis(FirmScoped, db.Model):
    """A trainee's written analysis of a period's indicators, with improvement proposals (A3T3C5)."""

    __tablename__ = "performance_analysis"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period"),
        Index("ix_performance_analysis_firm_period", "firm_id", "period_start", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    period_kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    period_label: Mapped[str] = mapped_column(String(120))
    strengths: Mapped[str] = mapped_column(Text)  # points forts and what the figures show
    proposals: Mapped[str] = mapped_column(Text)  # propositions d'amélioration
    written_on: Mapped[date] = mapped_column(Date)  # business date
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
