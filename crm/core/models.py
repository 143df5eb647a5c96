"""Users, classrooms, practice firms and memberships (who may work where), the firm-scoped mixin, firm settings."""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, UTC
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Index,
    Column,
    Date,
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from crm.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class FirmScoped:
    """Mixin for every business row: it belongs to exactly one firm (read it through crm.core.tenancy)."""

    @declared_attr
    def firm_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy's declared_attr convention
        return mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Role(enum.StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    TRAINEE = "trainee"

    @property
    def label(self) -> str:
        return {"admin": "Administrateur", "teacher": "Professeur", "trainee": "Élève"}[self.value]


class Position(enum.StrEnum):
    """The trainee's *poste* inside a practice firm."""

    ACCUEIL = "accueil"
    COMMERCIAL = "commercial"
    MAGASINIER = "magasinier"
    RESPONSABLE = "responsable"

    @property
    def label(self) -> str:
        return {
            "accueil": "Accueil",
            "commercial": "Commercial",
            "magasinier": "Magasin",
            "responsable": "Responsable",
        }[self.value]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(p.value, p.label) for p in cls]


classroom_teachers = Table(
    "classroom_teacher",
    db.metadata,
    Column("classroom_id", ForeignKey("classroom.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'teacher', 'trainee')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at logout and password change: every older session cookie dies with it.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Set when a teacher generated or reset the password: the trainee chooses their own at first login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # The class of a trainee (teachers and admins have none).
    classroom_id: Mapped[int | None] = mapped_column(
        ForeignKey("classroom.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    classroom: Mapped[Classroom | None] = relationship(foreign_keys=[classroom_id])
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login reads is_active; the column is `active`.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def is_teacher(self) -> bool:
        """Teachers and admins: both manage classes."""
        return self.role in (Role.TEACHER.value, Role.ADMIN.value)

    @property
    def is_trainee(self) -> bool:
        return self.role == Role.TRAINEE.value

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Classroom(db.Model):
    __tablename__ = "classroom"
    __table_args__ = (UniqueConstraint("name", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    school_year: Mapped[str] = mapped_column(String(9))  # "2026-2027"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The teacher opens the class's directory of practice firms (crm.einvoice) to the other open
    # classes of the server: their firms then see and trade with each other. Closed by default.
    directory_open: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    teachers: Mapped[list[User]] = relationship(secondary=classroom_teachers)
    # The class's live firms; archived ones (deleted or reset) are listed apart.
    firms: Mapped[list[Firm]] = relationship(
        primaryjoin="and_(Classroom.id == Firm.classroom_id, Firm.archived_at.is_(None))",
        order_by="Firm.trade_name", viewonly=True,
    )
    archived_firms: Mapped[list[Firm]] = relationship(
        primaryjoin="and_(Classroom.id == Firm.classroom_id, Firm.archived_at.is_not(None))",
        order_by="Firm.archived_at.desc()", viewonly=True,
    )
    trainees: Mapped[list[User]] = relationship(
        foreign_keys=[User.classroom_id], viewonly=True, order_by="User.display_name"
    )

    @property
    def label(self) -> str:
        return f"{self.name} ({self.school_year})"


class Firm(db.Model):
    """A practice firm (*entreprise d'entraînement*): the tenant of all business data."""

    __tablename__ = "firm"

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom.id", ondelete="RESTRICT"), index=True
    )
    trade_name: Mapped[str] = mapped_column(String(120))
    legal_form: Mapped[str] = mapped_column(String(40), default="")
    siren: Mapped[str] = mapped_column(String(9), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(13), default="")
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str] = mapped_column(String(60), default="France")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    # Loaded only where it is drawn (every page loads the firm; a logo can weigh 1 MB).
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Set with the logo and emptied with it: pages test it rather than load the image.
    logo_mimetype: Mapped[str] = mapped_column(String(20), default="")
    terms_of_sale: Mapped[str] = mapped_column(Text, default="")
    # Legal mentions of a company (crm.core.mentions): the city of its RCS registration (the RCS
    # number is the SIREN) and its share capital in euros (None: not a company, or not given).
    rcs_city: Mapped[str] = mapped_column(String(80), default="", server_default="")
    share_capital: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # The simulated calendar the teacher moves (crm.core.clock); None: the real one.
    business_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the teacher deletes or resets the firm: its records (frozen, evidence of the
    # trainees' work) stay readable by the teacher, but it leaves the class.
    archived_at: Mapped[datetime | None]
    archive_note: Mapped[str] = mapped_column(String(255), default="")

    classroom: Mapped[Classroom] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="firm", cascade="all, delete-orphan"
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def firm_id(self) -> int:
        """A firm is its own tenant, so tenancy checks treat it like any firm row."""
        return self.id

    @property
    def address_lines(self) -> list[str]:
        city = " ".join(p for p in (self.postcode, self.city) if p)
        return [line for line in (self.address_line1, self.address_line2, city) if line]

    def __repr__(self) -> str:
        return f"<Firm {self.trade_name}>"


class Membership(db.Model):
    """A user working in a firm, at a *poste*."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "firm_id"),
        CheckConstraint(
            "position IN ('accueil', 'commercial', 'magasinier', 'responsable')",
            name="position",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id", ondelete="CASCADE"), index=True)
    position: Mapped[str] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="memberships")
    firm: Mapped[Firm] = relationship(back_populates="memberships")

    @property
    def position_label(self) -> str:
        return Position(self.position).label


class LoginFailure(db.Model):
    """A failed login (or wrong current password), kept in the database so throttling holds across workers.

    Counted per account (username, any address) and per address (any username);
    a successful login or a teacher clears the account's rows.
    """

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_ip_address_at", "ip_address", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    ip_address: Mapped[str] = mapped_column(String(45))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FirmSettings(FirmScoped, db.Model):
    """The firm's commercial settings, in one place (one row per firm, optional)."""

    __tablename__ = "firm_settings"
    __table_args__ = (
        UniqueConstraint("firm_id"),
        CheckConstraint(
            "late_payment_rate >= 0 AND late_payment_rate <= 100", name="late_payment_rate"
        ),
        CheckConstraint(
            "payment_terms_days >= 0 AND payment_terms_days <= 60", name="payment_terms_days"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only the prefixes the firm changed; DEFAULT_PREFIXES fill the others.
    number_prefixes: Mapped[dict] = mapped_column(JSON, default=dict)
    allow_negative_stock: Mapped[bool] = mapped_column(default=False)
    # Annual rate of late-payment penalties, in percent (Code de commerce L441-10): the one source
    # of the printed mention and of the reminders' penalties (the terms of sale do not restate it).
    late_payment_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("10.00"))
    payment_terms_days: Mapped[int] = mapped_column(default=30)
    # Empty: documents print « Pas d'escompte pour paiement anticipé ».
    escompte_terms: Mapped[str] = mapped_column(Text, default="")
    # IANA name; times are stored in UTC and shown in this zone (crm.core.clock).
    time_zone: Mapped[str] = mapped_column(String(40), default="Europe/Paris")
    # « Option pour le paiement de la taxe d'après les débits » (CGI art. 269): printed on invoices
    # and sent as the VAT point date code 5 (invoice date) in the e-invoice.
    vat_on_debits: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    def __init__(self, **kwargs):
        # Defaults also on unsaved rows: get_firm_settings() hands one out for firms without a row.
        kwargs.setdefault("number_prefixes", {})
        kwargs.setdefault("allow_negative_stock", False)
        kwargs.setdefault("late_payment_rate", Decimal("10.00"))
        kwargs.setdefault("payment_terms_days", 30)
        kwargs.setdefault("escompte_terms", "")
        kwargs.setdefault("time_zone", "Europe/Paris")
        kwargs.setdefault("vat_on_debits", False)
        super().__init__(**kwargs)

    def prefix_template(self, doc_type: str) -> str:
        from crm.core.numbering_models import DEFAULT_PREFIXES

        return (self.number_prefixes or {}).get(doc_type, DEFAULT_PREFIXES[doc_type])
