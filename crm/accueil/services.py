"""Front desk actions: organigramme, recording, transmitting, treating and closing requests."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from crm.core.clock import business_today
from crm.accueil.models import (
    CHANNELS, HANDLINGS, NATURES, STATUSES, DeskRequest, DeskRequestEvent, Service, StaffMember,
)
from crm.clients import services as clients
from crm.clients.models import Party
from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.extensions import db
from crm.formation.journal import record_activity

# Allowed status changes: open → transmitted → treated → closed (treated at once skips transmitted).
TRANSITIONS = {"open": {"transmitted", "treated"}, "transmitted": {"treated"}, "treated": {"closed"},
               "closed": set()}


# --- organigramme -----------------------------------------------------------

def create_service(firm: Firm, user: User, name: str) -> Service:
    _check_service_name(firm, name)
    service = Service(firm_id=firm.id, name=name)
    db.session.add(service)
    db.session.flush()
    record_activity(firm, user, "organigramme.updated", service, f"Service ajouté : {name}")
    return service


def _check_service_name(firm: Firm, name: str) -> None:
    if db.session.scalar(select(Service.id).where(Service.firm_id == firm.id,
                                                  func.lower(Service.name) == name.lower())):
        raise DomainError(f"Le service « {name} » existe déjà.", "name")


def delete_service(service: Service) -> None:
    db.session.delete(service)
    db.session.flush()


def add_staff_member(service: Service, user: User, data: dict) -> StaffMember:
    person = StaffMember(firm_id=service.firm_id, **data)
    service.people.append(person)
    db.session.flush()
    record_activity(db.session.get(Firm, service.firm_id), user, "organigramme.updated", person,
                    f"{person.name} rejoint le service {service.name}")
    return person


def remove_staff_member(person: StaffMember) -> None:
    db.session.delete(person)
    db.session.flush()


def services_of(firm_id: int) -> list[Service]:
    return list(db.session.scalars(select(Service).where(Service.firm_id == firm_id).order_by(Service.name)))


# --- the request lifecycle --------------------------------------------------

def _change_status(desk_request: DeskRequest, user: User | None, to_status: str, note: str = "") -> None:
    if to_status not in TRANSITIONS.get(desk_request.status or "", set()) and desk_request.status is not None:
        raise DomainError(
            f"Une demande « {STATUSES[desk_request.status].lower()} » ne peut pas passer à "
            f"« {STATUSES[to_status].lower()} »."
        )
    desk_request.events.append(DeskRequestEvent(
        firm_id=desk_request.firm_id, from_status=desk_request.status, to_status=to_status,
        note=note, user_id=user.id if user else None, at=utcnow(),
    ))
    desk_request.status = to_status


def _check_transmission(firm_id: int, service: Service | None, recipient: StaffMember | None,
                        due_on: date | None, message: str, today: date) -> None:
    if service is None:
        raise DomainError("Choisissez le service à qui transmettre la demande.", "service_id")
    if service.firm_id != firm_id or (recipient and recipient.firm_id != firm_id):
        raise DomainError("Ce service n'existe pas dans votre entreprise.", "service_id")
    if recipient is not None and recipient.service_id != service.id:
        raise DomainError(f"{recipient.name} ne fait pas partie du service {service.name}.", "recipient_id")
    if due_on is None:
        raise DomainError("Indiquez la date à laquelle la demande doit être traitée.", "due_on")
    if due_on < today:
        raise DomainError("L'échéance ne peut pas être déjà passée.", "due_on")
    if not message:
        raise DomainError("Rédigez le message qui accompagne la transmission.", "message")


@dataclass
class RequestData:
    channel: str
    nature: str
    request_text: str
    party: Party | None = None
    visitor_name: str = ""
    visitor_phone: str = ""
    visitor_email: str = ""
    save_as_prospect: bool = False
    answer: str = ""
    documentation: str = ""
    handling: str = "immediate"
    service: Service | None = None
    recipient: StaffMember | None = None
    due_on: date | None = None
    message: str = ""


def record_request(firm: Firm, user: User, data: RequestData, today: date | None = None) -> DeskRequest:
    """Record a desk request and its handling: answered at once, or transmitted to a service."""
    today = today or business_today(firm)
    if data.channel not in CHANNELS:
        raise DomainError("Choisissez le canal de la demande.", "channel")
    if data.nature not in NATURES:
        raise DomainError("Choisissez la nature de la demande.", "nature")
    if data.handling not in HANDLINGS:
        raise DomainError("Choisissez le mode de traitement.", "handling")
    if not data.request_text:
        raise DomainError("Reformulez la demande.", "request_text")
    party = data.party
    if party is not None and (party.firm_id != firm.id or party.is_anonymised):
        raise DomainError("Ce tiers n'est pas disponible.", "visitor_name")
    if party is None and not data.visitor_name:
        raise DomainError("Indiquez qui fait la demande (nom du visiteur) ou choisissez un tiers connu.",
                          "visitor_name")
    if data.handling == "immediate" and not (data.answer or data.documentation):
        raise DomainError("Indiquez la réponse donnée ou la documentation remise, ou transmettez la demande.",
                          "answer")
    if data.handling == "transmitted":
        _check_transmission(firm.id, data.service, data.recipient, data.due_on, data.message, today)
    if party is None and data.save_as_prospect:
        party = clients.create_party(firm, user, {
            "kind": "prospect", "category": "private", "last_name": data.visitor_name,
            "phone": data.visitor_phone, "email": data.visitor_email, "source": "magasin",
        })
    desk_request = DeskRequest(
        firm_id=firm.id, party=party, visitor_name=data.visitor_name if party is None else "",
        visitor_phone=data.visitor_phone if party is None else "",
        visitor_email=data.visitor_email if party is None else "",
        channel=data.channel, nature=data.nature, request_text=data.request_text, answer=data.answer,
        documentation=data.documentation, handling=data.handling, created_by_id=user.id,
        created_at=utcnow(), received_on=today, message="",
        satisfaction_comment="", reactions_note="", improvement_note="",
    )
    db.session.add(desk_request)
    desk_request.status = None
    _change_status(desk_request, user, "open")
    db.session.flush()
    record_activity(firm, user, "desk_request.recorded", desk_request,
                    f"Demande enregistrée ({NATURES[data.nature]}) : {desk_request.who}")
    if data.handling == "transmitted":
        _transmit(desk_request, user, data.service, data.recipient, data.due_on, data.message)
    else:
        desk_request.treated_at = utcnow()
        _change_status(desk_request, user, "treated", "Traitée immédiatement")
        record_activity(firm, user, "desk_request.answered", desk_request,
                        f"Réponse donnée à {desk_request.who}")
    if party is not None:
        outcome = data.answer or data.documentation or f"Transmise au service {data.service.name}"
        clients.record_interaction(party, user, "desk", NATURES[data.nature], data.request_text,
                                   outcome[:255], desk_request_id=desk_request.id, journal=False)
    db.session.flush()
    return desk_request


def receive_request(firm: Firm, channel: str, nature: str, request_text: str, party: Party | None = None,
                    visitor_name: str = "", visitor_phone: str = "", visitor_email: str = "") -> DeskRequest:
    """A request arriving on its own (a scheduled event): open, waiting for a trainee to handle it."""
    if channel not in CHANNELS or nature not in NATURES:
        raise ValueError("unknown channel or nature")
    if party is not None and party.firm_id != firm.id:
        raise ValueError("party of another firm")
    desk_request = DeskRequest(
        firm_id=firm.id, party=party, visitor_name=visitor_name if party is None else "",
        visitor_phone=visitor_phone if party is None else "", visitor_email=visitor_email if party is None else "",
        channel=channel, nature=nature, request_text=request_text, answer="", documentation="",
        handling="immediate", created_at=utcnow(), received_on=business_today(firm), message="",
        satisfaction_comment="", reactions_note="", improvement_note="",
    )
    db.session.add(desk_request)
    desk_request.status = None
    _change_status(desk_request, None, "open", "Arrivée d'elle-même : à prendre en charge")
    db.session.flush()
    return desk_request


def _transmit(desk_request, user, service, recipient, due_on, message) -> None:
    desk_request.handling = "transmitted"
    desk_request.service = service
    desk_request.recipient = recipient
    desk_request.due_on = due_on
    desk_request.message = message
    to = service.name + (f" ({recipient.name})" if recipient else "")
    _change_status(desk_request, user, "transmitted", f"Transmise à {to} pour le {due_on:%d/%m/%Y}")
    db.session.flush()
    record_activity(db.session.get(Firm, desk_request.firm_id), user, "desk_request.transmitted",
                    desk_request, f"Demande de {desk_request.who} transmise à {to}")


def transmit_request(desk_request: DeskRequest, user: User, service: Service | None,
                     recipient: StaffMember | None, due_on: date | None, message: str,
                     today: date | None = None) -> None:
    if desk_request.status != "open":
        raise DomainError("Seule une demande ouverte peut être transmise.")
    _check_transmission(desk_request.firm_id, service, recipient, due_on, message, today or business_today(desk_request.firm_id))
    _transmit(desk_request, user, service, recipient, due_on, message)


def treat_request(desk_request: DeskRequest, user: User, note: str) -> None:
    if not note:
        raise DomainError("Indiquez la réponse apportée ou la solution trouvée.", "note")
    _change_status(desk_request, user, "treated", note)
    if not desk_request.answer:
        desk_request.answer = note
    desk_request.treated_at = utcnow()
    db.session.flush()
    record_activity(db.session.get(Firm, desk_request.firm_id), user, "desk_request.treated",
                    desk_request, f"Demande de {desk_request.who} traitée")


def close_request(desk_request: DeskRequest, user: User, satisfaction: int | None, comment: str = "",
                  reactions_note: str = "", improvement_note: str = "") -> None:
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise DomainError("La satisfaction se note de 1 à 5.", "satisfaction")
    _change_status(desk_request, user, "closed",
                   f"Satisfaction : {satisfaction}/5" if satisfaction else "Satisfaction non recueillie")
    desk_request.satisfaction = satisfaction
    desk_request.satisfaction_comment = comment
    desk_request.reactions_note = reactions_note
    desk_request.improvement_note = improvement_note
    desk_request.closed_at = utcnow()
    db.session.flush()
    firm = db.session.get(Firm, desk_request.firm_id)
    if satisfaction is not None:
        record_activity(firm, user, "desk_request.closed", desk_request,
                        f"Demande de {desk_request.who} close, satisfaction {satisfaction}/5")
    else:
        record_activity(firm, user, "desk_request.closed", desk_request,
                        f"Demande de {desk_request.who} close", competencies=["A1T5C2"])
    if reactions_note or improvement_note:
        record_activity(firm, user, "desk_request.feedback", desk_request,
                        f"Remontée d'information sur la demande de {desk_request.who}")


def anonymise_requests_of(party: Party) -> None:
    """Erase the visitor details typed on the party's desk requests (GDPR)."""
    for desk_request in db.session.scalars(select(DeskRequest).where(DeskRequest.party_id == party.id)):
        desk_request.visitor_name = ""
        desk_request.visitor_phone = ""
        desk_request.visitor_email = ""


# --- the manager's report (remontée d'information) ---------------------------

@dataclass
class Report:
    start: date
    end: date
    total: int = 0
    by_nature: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)
    overdue: list[DeskRequest] = field(default_factory=list)
    open_complaints: list[DeskRequest] = field(default_factory=list)
    satisfaction_count: int = 0
    average_satisfaction: float | None = None
    notes: list[DeskRequest] = field(default_factory=list)


def report(firm_id: int, start: date, end: date, today: date | None = None) -> Report:
    """Requests recorded between start and end (inclusive), and what is pending today."""
    today = today or business_today(firm_id)
    in_period = select(DeskRequest).where(
        DeskRequest.firm_id == firm_id, DeskRequest.received_on >= start, DeskRequest.received_on <= end,
    )
    requests = list(db.session.scalars(in_period.order_by(DeskRequest.received_on, DeskRequest.created_at)))
    result = Report(start=start, end=end, total=len(requests))
    natures = Counter(r.nature for r in requests)
    channels = Counter(r.channel for r in requests)
    statuses = Counter(r.status for r in requests)
    result.by_nature = [(label, natures[key]) for key, label in NATURES.items() if natures[key]]
    result.by_channel = [(label, channels[key]) for key, label in CHANNELS.items() if channels[key]]
    result.by_status = [(label, statuses[key]) for key, label in STATUSES.items() if statuses[key]]
    rated = [r.satisfaction for r in requests if r.satisfaction is not None]
    result.satisfaction_count = len(rated)
    result.average_satisfaction = round(sum(rated) / len(rated), 1) if rated else None
    result.notes = [r for r in requests if r.reactions_note or r.improvement_note]
    result.overdue = list(db.session.scalars(
        select(DeskRequest).where(DeskRequest.firm_id == firm_id, DeskRequest.status == "transmitted",
                                  DeskRequest.due_on < today).order_by(DeskRequest.due_on)))
    result.open_complaints = list(db.session.scalars(
        select(DeskRequest).where(DeskRequest.firm_id == firm_id, DeskRequest.nature == "complaint",
                                  DeskRequest.status.in_(("open", "transmitted")))
        .order_by(DeskRequest.created_at)))
    return result
