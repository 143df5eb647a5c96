"""Parties (clients, prospects, suppliers), their contacts, addresses and interaction history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.core.models import User, utcnow
from crm.core.models import FirmScoped
from crm.extensions import db

KINDS = {"prospect": "Prospect", "client": "Client", "supplier": "Fournisseur"}
CATEGORIES = {"private": "Particulier", "business": "Professionnel"}
CIVILITIES = {"M.": "M.", "Mme": "Mme"}
STAGES = {
    "nouveau": "Nouveau",
    "contacte": "Contacté",
    "interesse": "Intéressé",
    "devis_envoye": "Devis envoyé",
    "converti": "Converti",
    "perdu": "Perdu",
}
INTEREST_LEVELS = {1: "Faible", 2: "Moyen", 3: "Fort"}
SOURCES = {
    "salon": "Salon",
    "site": "Site internet",
    "recommandation": "Recommandation",
    "publicite": "Publicité",
    "telephone": "Prospection téléphonique",
    "magasin": "Passage en magasin",
    "autre": "Autre",
}
CHANNELS = {
    "visit": "Visite",
    "call_in": "Appel reçu",
    "call_out": "Appel émis",
    "email": "Courriel",
    "letter": "Courrier",
    "desk": "Demande à l'accueil",
}
ADDRESS_KINDS = {"billing": "Facturation", "delivery": "Livraison"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Party(FirmScoped, db.Model):
    """A *tiers*: prospect, client or supplier, private person or business."""

    __tablename__ = "party"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(f"stage IS NULL OR {_in('stage', STAGES)}", name="stage"),
        CheckConstraint("interest IS NULL OR interest BETWEEN 1 AND 3", name="interest"),
        # The list sorts and filters on these within one firm (20 000 parties stay fast).
        # Name order, and the search filtered inside the index (no visit of the wide rows).
        Index("ix_party_firm_sort", "firm_id", "sort_key", "id", "search_text"),
        Index("ix_party_firm_segment", "firm_id", "segment"),
        Index("ix_party_firm_kind_sort", "firm_id", "kind", "sort_key"),
        Index("ix_party_firm_created", "firm_id", "created_at"),
        Index("ix_party_firm_postcode", "firm_id", "postcode"),
        Index("ix_party_firm_email", "firm_id", "email"),
        Index("ix_party_firm_phone", "firm_id", "phone"),
        Index("ix_party_firm_siret", "firm_id", "siret"),
        # PostgreSQL: the words typed anywhere in the name (LIKE '%mot%') found by trigrams
        # (pg_trgm), not by reading every party of the firm. SQLite reads ix_party_firm_sort.
        Index("ix_party_search_trigram", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}, info={"dialect": "postgresql"},
              ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="prospect")
    category: Mapped[str] = mapped_column(String(10), default="private")
    civility: Mapped[str] = mapped_column(String(4), default="")
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    company_name: Mapped[str] = mapped_column(String(120), default="")
    siret: Mapped[str] = mapped_column(String(14), default="")
    vat_number: Mapped[str] = mapped_column(String(13), default="")
    legal_form: Mapped[str] = mapped_column(String(40), default="")
    sector: Mapped[str] = mapped_column(String(80), default="")
    # Name shown and sorted on: company name, or "LAST first" for a private person.
    sort_name: Mapped[str] = mapped_column(String(170), default="")
    # sort_name folded (lower case, no accents): the same order on SQLite and PostgreSQL.
    sort_key: Mapped[str] = mapped_column(String(170), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    segment: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(20), default="")
    # ",tag1,tag2," so that one tag is matched exactly with LIKE '%,tag,%'.
    tags: Mapped[str] = mapped_column(String(255), default="")
    marketing_consent: Mapped[bool] = mapped_column(default=False)
    marketing_consent_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str | None] = mapped_column(String(14))
    interest: Mapped[int | None]
    # Lower-case, accent-free words of names, contacts, emails, phone digits and city.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    converted_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]
    # A client or supplier that is another practice firm of the classroom (crm.einvoice.services):
    # invoices to it are delivered to that firm's incoming e-invoices.
    linked_firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id", ondelete="SET NULL"), index=True)

    created_by: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="party", cascade="all, delete-orphan", order_by="Contact.id"
    )
    addresses: Mapped[list[Address]] = relationship(
        back_populates="party", cascade="all, delete-orphan", order_by="Address.id"
    )
    interactions: Mapped[list[Interaction]] = relationship(
        back_populates="party", cascade="all, delete-orphan",
        order_by="(Interaction.at.desc(), Interaction.id.desc())",
    )

    @property
    def name(self) -> str:
        if self.category == "business":
            return self.company_name
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    @property
    def stage_label(self) -> str:
        return STAGES.get(self.stage or "", "")

    @property
    def interest_label(self) -> str:
        return INTEREST_LEVELS.get(self.interest or 0, "")

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None


class Contact(FirmScoped, db.Model):
    """An *interlocuteur* of a party."""

    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")

    party: Mapped[Party] = relationship(back_populates="contacts")


class Address(FirmScoped, db.Model):
    """A billing or delivery address of a party."""

    __tablename__ = "address"
    __table_args__ = (CheckConstraint(_in("kind", ADDRESS_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    line1: Mapped[str] = mapped_column(String(120))
    line2: Mapped[str] = mapped_column(String(120), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    city: Mapped[str] = mapped_column(String(80))

    party: Mapped[Party] = relationship(back_populates="addresses")

    @property
    def kind_label(self) -> str:
        return ADDRESS_KINDS[self.kind]


class Interaction(FirmScoped, db.Model):
    """One entry of a party's contact history (*historique des contacts*)."""

    __tablename__ = "interaction"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        Index("ix_interaction_party_at", "party_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("party.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(255), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    desk_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("desk_request.id", ondelete="SET NULL"), index=True
    )

    party: Mapped[Party] = relationship(back_populates="interactions")
    author: Mapped[User | None] = relationship()

    @property
    def channel_label(self) -> str:
        return CHANNELS[self.channel]


class SavedFilter(FirmScoped, db.Model):
    """A named search of the party list, shared by the firm (call plans reuse it)."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("firm_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    # The list's query string arguments as JSON (q, kind, category, segment, tag, stage, …).
    criteria: Mapped[str] = mapped_column(Text, default="{}")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
