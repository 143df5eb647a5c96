"""Business actions on parties: create, update, duplicates, search, conversion, history, GDPR."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, text

from crm.core.clock import business_today, firm_zone, local, to_utc
from crm.clients.models import (
    CATEGORIES, CHANNELS, KINDS, STAGES, Address, Contact, Interaction, Party, SavedFilter,
)
from crm.clients.signals import party_anonymised
from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.core.text import escape_like, fold  # noqa: F401 - fold: the search rule, also for importers
from crm.extensions import db
from crm.formation.journal import record_activity

# Fields a party form (or an import line) may set.
PARTY_FIELDS = (
    "kind", "category", "civility", "first_name", "last_name", "company_name", "siret",
    "vat_number", "legal_form", "sector", "phone", "email", "address_line1", "address_line2",
    "postcode", "city", "segment", "source", "tags", "marketing_consent", "notes", "stage",
    "interest",
)
# Text columns, empty by default (set before the flush so derived values can be computed).
TEXT_FIELDS = tuple(f for f in PARTY_FIELDS if f not in ("kind", "category", "marketing_consent",
                                                        "stage", "interest"))


def normalise_tags(value: str) -> str:
    """'Fidèle, VIP ,vip' → ',fidèle,vip,' (lower case, unique, order kept)."""
    tags = [t.strip().lower() for t in (value or "").replace(";", ",").split(",")]
    tags = list(dict.fromkeys(t for t in tags if t))
    for tag in tags:
        if len(tag) > 30:
            raise DomainError(f"L'étiquette « {tag} » est trop longue (30 caractères au plus).", "tags")
    return "," + ",".join(tags) + "," if tags else ""


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


SEARCH_TEXT_BYTES = 1000


def bounded(text: str) -> str:
    """The search text cut to 1 000 bytes (UTF-8): it sits in a B-tree index, whose entries
    PostgreSQL limits to about 2 700 bytes (the words of a party's first contacts are kept)."""
    return text.encode()[:SEARCH_TEXT_BYTES].decode(errors="ignore")


def refresh_derived(party: Party) -> None:
    """Recompute the sort name and the search text from the party and its contacts."""
    if party.category == "business":
        party.sort_name = party.company_name
    else:
        party.sort_name = " ".join(p for p in (party.last_name.upper(), party.first_name) if p)
    party.sort_key = fold(party.sort_name)
    words = [party.company_name, party.first_name, party.last_name, party.email, party.city,
             _digits(party.phone), party.siret]
    for contact in party.contacts:
        words += [contact.name, contact.email, _digits(contact.phone)]
    party.search_text = bounded(fold(" ".join(w for w in words if w)))


def _check_party(data: dict) -> None:
    if data.get("kind") not in KINDS:
        raise DomainError("Choisissez le type de tiers : prospect, client ou fournisseur.", "kind")
    if data.get("category") not in CATEGORIES:
        raise DomainError("Choisissez particulier ou professionnel.", "category")
    if data["category"] == "business":
        if not data.get("company_name"):
            raise DomainError("Indiquez la raison sociale d'un professionnel.", "company_name")
    elif not data.get("last_name"):
        raise DomainError("Indiquez le nom d'un particulier.", "last_name")
    if data.get("stage") and data["stage"] not in STAGES:
        raise DomainError("Étape de prospection inconnue.", "stage")


def _apply(party: Party, data: dict) -> None:
    was_converted = party.stage == "converti"
    for key in PARTY_FIELDS:
        if key in data and key not in ("stage", "interest"):
            setattr(party, key, data[key])
    party.tags = normalise_tags(data.get("tags", party.tags))
    if party.category == "private":
        party.company_name = party.siret = party.vat_number = party.legal_form = party.sector = ""
    else:  # the people of a business are its contacts
        party.civility = party.first_name = party.last_name = ""
    stage = data.get("stage", party.stage)
    if party.kind == "prospect":
        party.stage = stage if stage and stage != "converti" else "nouveau"
        party.interest = data.get("interest", party.interest)
    elif stage == "converti" or was_converted:  # a converted prospect keeps the mark and its interest
        party.stage = "converti"
        party.interest = data.get("interest", party.interest)
    else:  # the pipeline is for prospects only
        party.stage = None
        party.interest = None


@dataclass
class Duplicate:
    party: Party
    reasons: list[str]


def find_duplicates(firm: Firm, data: dict, exclude_id: int | None = None) -> list[Duplicate]:
    """Parties of `firm` that look like the same person or company, with the reasons why."""
    checks = []
    if data.get("email"):
        checks.append((func.lower(Party.email) == data["email"].lower(), "même courriel"))
    if data.get("phone"):
        checks.append((Party.phone == data["phone"], "même téléphone"))
    if data.get("siret"):
        checks.append((Party.siret == data["siret"], "même SIRET"))
    name = _sort_name_of(data)
    if name and data.get("postcode"):
        checks.append(
            ((Party.sort_key == fold(name)) & (Party.postcode == data["postcode"]),
             "même nom dans le même code postal")
        )
    if not checks:
        return []
    query = select(Party).where(Party.firm_id == firm.id, Party.anonymised_at.is_(None),
                                or_(*(c for c, _ in checks)))
    if exclude_id:
        query = query.where(Party.id != exclude_id)
    found = []
    for party in db.session.scalars(query.order_by(Party.sort_key).limit(20)):
        reasons = []
        if data.get("email") and party.email.lower() == data["email"].lower():
            reasons.append("même courriel")
        if data.get("phone") and party.phone == data["phone"]:
            reasons.append("même téléphone")
        if data.get("siret") and party.siret == data["siret"]:
            reasons.append("même SIRET")
        if name and party.sort_key == fold(name) and party.postcode == data.get("postcode"):
            reasons.append("même nom dans le même code postal")
        found.append(Duplicate(party, reasons))
    return found


def _sort_name_of(data: dict) -> str:
    if data.get("category") == "business":
        return data.get("company_name", "")
    return " ".join(p for p in ((data.get("last_name") or "").upper(), data.get("first_name") or "") if p)


def create_party(firm: Firm, user: User | None, data: dict, journal: bool = True) -> Party:
    _check_party(data)
    party = Party(firm_id=firm.id, created_by_id=user.id if user else None,
                  **{key: "" for key in TEXT_FIELDS}, marketing_consent=False)
    _apply(party, data)
    if party.marketing_consent:
        party.marketing_consent_on = data.get("marketing_consent_on") or business_today(firm)
    refresh_derived(party)
    db.session.add(party)
    db.session.flush()
    if journal:
        record_activity(firm, user, "party.created", party,
                        f"Fiche {party.kind_label.lower()} créée : {party.name}")
    return party


def update_party(party: Party, user: User | None, data: dict) -> None:
    _check_anonymised(party)
    _check_party(data)
    had_consent = party.marketing_consent
    _apply(party, data)
    if party.marketing_consent and not had_consent:
        party.marketing_consent_on = business_today(party.firm_id)
    elif not party.marketing_consent:
        party.marketing_consent_on = None
    refresh_derived(party)
    db.session.flush()
    record_activity(_firm(party), user, "party.updated", party, f"Fiche mise à jour : {party.name}")


def _firm(obj) -> Firm:
    return db.session.get(Firm, obj.firm_id)


def _check_anonymised(party: Party) -> None:
    if party.is_anonymised:
        raise DomainError("Cette fiche a été anonymisée : elle ne peut plus être modifiée.")


def set_stage(party: Party, user: User, stage: str, interest: int | None) -> None:
    _check_anonymised(party)
    if party.kind != "prospect":
        raise DomainError("Seul un prospect a une étape de prospection.", "stage")
    if stage not in STAGES or stage == "converti":
        raise DomainError("Pour convertir le prospect, utilisez le bouton « Convertir en client ».", "stage")
    party.stage = stage
    party.interest = interest
    db.session.flush()
    record_activity(_firm(party), user, "party.stage_changed", party,
                    f"{party.name} : étape « {STAGES[stage]} »")


def convert_to_client(party: Party, user: User) -> None:
    """A prospect becomes a client; its contacts and history stay with it."""
    _check_anonymised(party)
    if party.kind != "prospect":
        raise DomainError("Seul un prospect peut être converti en client.")
    party.kind = "client"
    party.stage = "converti"
    party.converted_at = utcnow()
    db.session.flush()
    record_activity(_firm(party), user, "party.converted", party, f"Prospect converti en client : {party.name}")


# --- contacts, addresses, interactions ---------------------------------------

def add_contact(party: Party, user: User, data: dict) -> Contact:
    _check_anonymised(party)
    contact = Contact(firm_id=party.firm_id, name=data["name"], role=data.get("role", ""),
                      phone=data.get("phone", ""), email=data.get("email", ""))
    party.contacts.append(contact)
    refresh_derived(party)
    db.session.flush()
    record_activity(_firm(party), user, "party.updated", party,
                    f"Interlocuteur ajouté à {party.name} : {contact.name}")
    return contact


def remove_contact(contact: Contact, user: User) -> None:
    party = contact.party
    party.contacts.remove(contact)
    refresh_derived(party)
    db.session.flush()
    record_activity(_firm(party), user, "party.updated", party,
                    f"Interlocuteur retiré de {party.name} : {contact.name}")


def add_address(party: Party, user: User, data: dict) -> Address:
    _check_anonymised(party)
    address = Address(firm_id=party.firm_id, **data)
    party.addresses.append(address)
    db.session.flush()
    record_activity(_firm(party), user, "party.updated", party,
                    f"Adresse de {address.kind_label.lower()} ajoutée à {party.name}")
    return address


def remove_address(address: Address, user: User) -> None:
    party = address.party
    party.addresses.remove(address)
    db.session.flush()


def record_interaction(party: Party, user: User | None, channel: str, subject: str,
                       summary: str = "", outcome: str = "", at: datetime | None = None,
                       desk_request_id: int | None = None, journal: bool = True) -> Interaction:
    _check_anonymised(party)
    if channel not in CHANNELS:
        raise DomainError("Choisissez le canal du contact.", "channel")
    if not subject:
        raise DomainError("Indiquez l'objet du contact.", "subject")
    if at and at.date() > business_today(party.firm_id):
        raise DomainError("La date du contact ne peut pas être dans le futur.", "at")
    if at:  # typed as read on the firm's clock; stored in UTC
        at = to_utc(at, firm_zone(db.session.get(Firm, party.firm_id)))
    interaction = Interaction(
        firm_id=party.firm_id, channel=channel, subject=subject, summary=summary, outcome=outcome,
        author_id=user.id if user else None, at=at or utcnow(), desk_request_id=desk_request_id,
    )
    party.interactions.append(interaction)
    db.session.flush()
    if journal:
        record_activity(_firm(party), user, "interaction.recorded", interaction,
                        f"{CHANNELS[channel]} avec {party.name} : {subject}")
    return interaction


# --- the list: search, filters, sort ----------------------------------------

SORTS = {
    "nom": (Party.sort_key.asc(), Party.id.asc()),
    "-nom": (Party.sort_key.desc(), Party.id.desc()),
    "recent": (Party.created_at.desc(), Party.id.desc()),
    "ancien": (Party.created_at.asc(), Party.id.asc()),
    "ville": (Party.city.asc(), Party.sort_key.asc(), Party.id.asc()),
}
SORT_LABELS = {"nom": "Nom (A → Z)", "-nom": "Nom (Z → A)", "recent": "Plus récents",
               "ancien": "Plus anciens", "ville": "Ville"}
CRITERIA = ("q", "kind", "category", "segment", "tag", "stage", "created_from", "created_to", "sort")
MAX_CRITERION = 200  # characters of one saved criterion (the list reads 100 of a search)


def search_parties(firm_id: int, criteria: dict) -> Select:
    """The firm's parties matching `criteria` (already validated), sorted."""
    query = matching_words(select(Party).where(Party.firm_id == firm_id), criteria.get("q"))
    for key in ("kind", "category", "stage"):
        if criteria.get(key):
            query = query.where(getattr(Party, key) == criteria[key])
    if criteria.get("segment"):
        query = query.where(Party.segment == criteria["segment"])
    if criteria.get("tag"):
        tag = criteria["tag"].strip().lower()
        query = query.where(Party.tags.like(f"%,{escape_like(tag)},%", escape="\\"))
    if criteria.get("created_from"):
        query = query.where(Party.created_at >= datetime.combine(criteria["created_from"], datetime.min.time()))
    if criteria.get("created_to"):
        query = query.where(Party.created_at <= datetime.combine(criteria["created_to"], datetime.max.time()))
    return query.order_by(*SORTS.get(criteria.get("sort") or "nom", SORTS["nom"]))


def matching_words(query: Select, text: str | None) -> Select:
    """Parties whose search text holds every word typed (accent- and case-insensitive)."""
    words = fold(text or "").split()
    if words and all(_digits(w) == w.replace(".", "") for w in words):
        words = ["".join(_digits(w) for w in words)]  # a phone or SIRET typed with spaces or dots
    for word in words:
        query = query.where(Party.search_text.like(f"%{escape_like(word)}%", escape="\\"))
    return query


# The few distinct segments of thousands of parties: each one found by a seek in
# ix_party_firm_segment (the next segment after the previous one), not a read of every entry.
_SEGMENTS = text("""
    WITH RECURSIVE found(segment) AS (
        SELECT min(segment) FROM party WHERE firm_id = :firm_id AND segment > ''
        UNION ALL
        SELECT (SELECT min(segment) FROM party WHERE firm_id = :firm_id AND segment > found.segment)
        FROM found WHERE found.segment IS NOT NULL
    )
    SELECT segment FROM found WHERE segment IS NOT NULL
""")


def segments(firm_id: int) -> list[str]:
    """The segments the firm's parties use, in order (the list's filter)."""
    return list(db.session.scalars(_SEGMENTS, {"firm_id": firm_id}))


def save_filter(firm: Firm, user: User, name: str, criteria: dict) -> SavedFilter:
    name = (name or "").strip()
    if not name:
        raise DomainError("Donnez un nom à ce filtre.", "name")
    if len(name) > 80:
        raise DomainError("Le nom du filtre est trop long (80 caractères au plus).", "name")
    if db.session.scalar(select(SavedFilter.id).where(SavedFilter.firm_id == firm.id,
                                                      func.lower(SavedFilter.name) == name.lower())):
        raise DomainError(f"Un filtre « {name} » existe déjà : choisissez un autre nom.", "name")
    kept = {k: v for k, v in criteria.items() if k in CRITERIA and v not in (None, "")}
    if any(len(str(v)) > MAX_CRITERION for v in kept.values()):
        # Replayed as a query string (a Location header): a megabyte of criteria is no search.
        raise DomainError(f"Un critère de ce filtre dépasse {MAX_CRITERION} caractères : raccourcissez-le.", "name")
    saved = SavedFilter(firm_id=firm.id, name=name, created_by_id=user.id,
                        criteria=json.dumps(kept, default=str, ensure_ascii=False))
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_filter(saved: SavedFilter) -> None:
    db.session.delete(saved)
    db.session.flush()


def filter_criteria(saved: SavedFilter) -> dict:
    """The saved criteria as query string arguments (for the list, or a call plan)."""
    return json.loads(saved.criteria or "{}")


def saved_filters(firm_id: int) -> list[SavedFilter]:
    return list(db.session.scalars(
        select(SavedFilter).where(SavedFilter.firm_id == firm_id).order_by(SavedFilter.name)
    ))


# --- GDPR -------------------------------------------------------------------

def personal_data(party: Party) -> dict:
    """Everything the firm holds on one party (the right of access); times on the firm's clock."""
    zone = firm_zone(db.session.get(Firm, party.firm_id))

    def when(value):
        return local(value, zone).replace(tzinfo=None).isoformat(timespec="minutes")

    return {
        "tiers": {
            "identifiant": party.id, "type": party.kind_label, "catégorie": party.category_label,
            "civilité": party.civility, "prénom": party.first_name, "nom": party.last_name,
            "raison sociale": party.company_name, "SIRET": party.siret,
            "TVA intracommunautaire": party.vat_number, "forme juridique": party.legal_form,
            "secteur": party.sector, "téléphone": party.phone, "courriel": party.email,
            "adresse": party.address_line1, "complément d'adresse": party.address_line2,
            "code postal": party.postcode, "ville": party.city, "segment": party.segment,
            "origine": party.source_label, "étiquettes": ", ".join(party.tag_list),
            "consentement prospection": "oui" if party.marketing_consent else "non",
            "date du consentement": party.marketing_consent_on.isoformat() if party.marketing_consent_on else "",
            "notes": party.notes, "étape": party.stage_label, "intérêt": party.interest_label,
            "créé le": when(party.created_at),
        },
        "interlocuteurs": [
            {"nom": c.name, "fonction": c.role, "téléphone": c.phone, "courriel": c.email}
            for c in party.contacts
        ],
        "adresses": [
            {"type": a.kind_label, "adresse": a.line1, "complément": a.line2,
             "code postal": a.postcode, "ville": a.city}
            for a in party.addresses
        ],
        "historique": [
            {"date": when(i.at), "canal": i.channel_label, "objet": i.subject,
             "compte rendu": i.summary, "suite donnée": i.outcome}
            for i in party.interactions
        ],
    }


def anonymise_party(party: Party, user: User) -> None:
    """Erase personal data; keep the row, its history entries and every figure tied to it."""
    _check_anonymised(party)
    label = f"Tiers anonymisé n° {party.id}"
    for key in ("civility", "first_name", "phone", "email", "address_line1", "address_line2",
                "notes", "tags", "vat_number", "siret"):
        setattr(party, key, "")
    if party.category == "business":
        party.company_name = label
        party.last_name = ""
    else:
        party.last_name = label
    party.marketing_consent = False
    party.marketing_consent_on = None
    party.contacts.clear()
    party.addresses.clear()
    for interaction in party.interactions:
        # Free texts may name people or repeat their phone: date, channel and subject stay.
        interaction.summary = ""
        interaction.outcome = ""
    party_anonymised.send(party)  # accueil erases what its desk requests keep of the visitor
    party.anonymised_at = utcnow()
    refresh_derived(party)
    db.session.flush()
    record_activity(_firm(party), user, "party.anonymised", party, label)
