"""Scheduled events: what happens to a firm at a business date and time of its calendar.

There is no background process. An event fires the first time anyone works in
the firm once the firm's business date and local time have passed its due
moment (checked on each request, `fire_due_events`), when the teacher moves
the calendar past it, or when the teacher fires it by hand. Firing is
idempotent: an atomic `UPDATE … SET fired_at WHERE fired_at IS NULL` claims the
event (a row lock on PostgreSQL, the write lock on SQLite), so two requests at
the same moment never create the record twice; a request that is rolled back
gives the event back, and the next request fires it.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select, update

from crm.core.clock import business_today, firm_zone
from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.extensions import db
from crm.formation.journal import TEACHER_ACTION, record_activity
from crm.formation.models import EVENT_KINDS, ScenarioEvent

# event kind → (desk channel, desk nature) of the request it brings in
DESK = {
    "desk_request": ("face", "other"),
    "complaint": ("face", "complaint"),
    "phone_message": ("phone", "other"),
    "email": ("email", "other"),
    "supplier_delay": ("phone", "other"),
    "incoming_order": ("email", "order"),
}


def firm_now(firm: Firm) -> tuple[date, time]:
    """The firm's business date and its local wall-clock time."""
    return business_today(firm), datetime.now(firm_zone(firm)).time()


def next_event_on(firm_id):
    """The date of the firm's next event not fired yet (None: nothing pending), as a scalar subquery.

    Read with the user and the firm on every request (crm.core.tenancy), so that a page
    looks for due events only when one may be due.
    """
    return (select(func.min(ScenarioEvent.due_on))
            .where(ScenarioEvent.firm_id == firm_id, ScenarioEvent.fired_at.is_(None))
            .scalar_subquery())


def due_events(firm: Firm) -> list[ScenarioEvent]:
    today, now = firm_now(firm)
    candidates = db.session.scalars(
        select(ScenarioEvent).where(ScenarioEvent.firm_id == firm.id, ScenarioEvent.fired_at.is_(None),
                                    ScenarioEvent.due_on <= today)
        .order_by(ScenarioEvent.due_on, ScenarioEvent.due_time, ScenarioEvent.id)
    ).all()
    return [e for e in candidates if e.due_on < today or e.due_time <= now]


def fire_due_events(firm: Firm) -> list[ScenarioEvent]:
    """Fire what is due (cheap when nothing is: one indexed query)."""
    return [event for event in due_events(firm) if _claim(event, None)]


def fire_now(event: ScenarioEvent, teacher: User) -> ScenarioEvent:
    """The teacher makes the event happen now, whatever its date."""
    if event.is_fired or not _claim(event, teacher):
        raise DomainError("Cet événement a déjà eu lieu.")
    return event


def add_event(firm: Firm, kind: str, title: str, text: str, due_on: date, due_time: time,
              party=None, visitor_name: str = "") -> ScenarioEvent:
    """An event the teacher writes on the spot (fired now or at its date)."""
    if kind not in EVENT_KINDS:
        raise DomainError("Choisissez le type d'événement.", "kind")
    if not title.strip() or not text.strip():
        raise DomainError("Donnez un titre et le texte de l'événement.", "title")
    if party is None and not visitor_name.strip():
        raise DomainError("Indiquez qui se manifeste : un tiers du fichier ou un nom.", "visitor_name")
    if kind == "supplier_delay" and (party is None or party.kind != "supplier"):
        raise DomainError("Un retard fournisseur nomme un fournisseur du fichier.", "party_id")
    payload = {"text": text.strip(), "visitor_name": visitor_name.strip()}
    if party is not None:
        payload["party_id"] = party.id
    event = ScenarioEvent(firm_id=firm.id, kind=kind, title=title.strip()[:160], due_on=due_on,
                          due_time=due_time, payload=payload)
    db.session.add(event)
    db.session.flush()
    return event


def _claim(event: ScenarioEvent, teacher: User | None) -> bool:
    claimed = db.session.execute(
        update(ScenarioEvent).where(ScenarioEvent.id == event.id, ScenarioEvent.fired_at.is_(None))
        .values(fired_at=utcnow(), fired_by_id=teacher.id if teacher else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    db.session.refresh(event)
    firm = db.session.get(Firm, event.firm_id)
    record = _bring_in(firm, event)
    event.record_type, event.record_id = type(record).__name__, record.id
    record_activity(firm, teacher, "event.fired", record, f"Événement : {event.title}", competencies=TEACHER_ACTION)
    db.session.flush()
    return True


def _bring_in(firm: Firm, event: ScenarioEvent):
    """Create the real record the trainees will have to handle."""
    from crm.accueil.services import receive_request
    from crm.clients.models import Party
    from crm.clients.services import record_interaction

    payload = event.payload or {}
    party = db.session.get(Party, payload["party_id"]) if payload.get("party_id") else None
    if party is not None and party.firm_id != firm.id:
        party = None
    channel, nature = DESK[event.kind]
    channel = payload.get("channel") or channel
    nature = payload.get("nature") or nature
    text = payload.get("text", event.title)
    if event.kind == "incoming_order" and party is not None and payload.get("lines"):
        order = _draft_order(firm, party, payload["lines"], text)
        text = f"{text}\nBon de commande enregistré en brouillon (n° {order.id}) : à vérifier et valider."
        receive_request(firm, channel, nature, text, party=party)
        return order
    desk_request = receive_request(firm, channel, nature, text, party=party,
                                   visitor_name=payload.get("visitor_name", "") or ("" if party else event.title),
                                   visitor_phone=payload.get("visitor_phone", ""),
                                   visitor_email=payload.get("visitor_email", ""))
    if party is not None and not party.is_anonymised:
        record_interaction(
            party,
            None,
            "call_in" if channel == "phone" else ("email" if channel == "email" else "visit"),
            event.title[:160],
            text,
            "",
            desk_request_id=desk_request.id,
            journal=False,
        )
    return desk_request


def _draft_order(firm: Firm, party, lines: list[dict], notes: str):
    from crm.ventes.documents import services as sales
    from crm.ventes.models import Product

    order = sales.create_document(firm, None, "order", party, business_today(firm))
    data = []
    for line in lines:
        product = db.session.scalar(select(Product).where(Product.firm_id == firm.id,
                                                          Product.reference == str(line["product"]).upper()))
        if product is None:
            continue
        data.append(sales.LineData(product.label, Decimal(str(line["quantity"])),
                                   product.price_on(business_today(firm)), product.vat_rate, product=product))
    sales.save_draft(order, {"notes": notes}, data)
    return order
