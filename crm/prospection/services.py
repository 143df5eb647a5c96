"""Call plans: preparation, targets, the phone session's queue, outcomes and results.

Every function flushes and never commits; a refusal raises DomainError in French.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, func, insert, literal, or_, select, update

from crm.clients.models import Party
from crm.clients.services import filter_criteria, record_interaction, search_parties
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.formatting import day
from crm.core.models import Firm, Membership, User, utcnow
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.prospection.models import (
    AGENDA_KINDS, APPOINTMENT, APPOINTMENT_ITEM, BY_HAND, CALL_OUTCOMES, CALLBACK,
    CALLBACK_ITEM, DONE, FROM_FILTER, FROM_OVERDUE, LETTER, OBJECTIVES,
    PHONE, PLAN_CHANNELS, REACHED_OUTCOMES, RETRY_OUTCOMES, SALE, SENT, TO_TRANSMIT, TODO, AgendaItem,
    CallAttempt, CallPlan, CallPlanEntry, CallPlanObjection, MessageTemplate,
)

# A target opened by a trainee is theirs for this long; then another may take it.
HOLD = timedelta(minutes=10)
FILTER_DATES = ("created_from", "created_to")


def _firm(obj) -> Firm:
    return db.session.get(Firm, obj.firm_id)


# --- preparing a plan ---------------------------------------------------------

@dataclass
class PlanData:
    name: str
    objective: str
    channel: str
    starts_on: date
    ends_on: date | None = None
    script: str = ""
    template: MessageTemplate | None = None
    assignees: list[User] = field(default_factory=list)


def _check_plan(firm: Firm, data: PlanData) -> None:
    if not data.name.strip():
        raise DomainError("Donnez un nom au plan d'appel.", "name")
    if data.objective not in OBJECTIVES:
        raise DomainError("Choisissez l'objet du contact.", "objective")
    if data.channel not in PLAN_CHANNELS:
        raise DomainError("Choisissez le mode de transmission : téléphone, courrier ou courriel.", "channel")
    if data.starts_on is None:
        raise DomainError("Indiquez la date de début du plan.", "starts_on")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise DomainError("La date de fin précède la date de début.", "ends_on")
    if data.template is not None:
        if data.template.firm_id != firm.id:  # forms only list the firm's templates
            raise DomainError("Modèle inconnu.", "template_id")
        if data.channel == LETTER and data.template.kind != LETTER or \
                data.channel != LETTER and data.template.kind == LETTER:
            raise DomainError("Choisissez un courrier type pour un plan par courrier, un courriel type "
                              "pour un plan par courriel ou par téléphone.", "template_id")
    members = set(db.session.scalars(select(Membership.user_id).where(Membership.firm_id == firm.id)))
    if any(user.id not in members for user in data.assignees):
        raise DomainError("Choisissez des élèves de l'entreprise.", "assignee_ids")


def create_plan(firm: Firm, user: User | None, data: PlanData) -> CallPlan:
    _check_plan(firm, data)
    plan = CallPlan(firm_id=firm.id, created_by_id=user.id if user else None)
    _apply(plan, data)
    db.session.add(plan)
    db.session.flush()
    record_activity(firm, user, "call_plan.prepared", plan,
                    f"Plan « {plan.name} » : {plan.objective_label.lower()} par {plan.channel_label.lower()}")
    if plan.script:
        record_activity(firm, user, "call_plan.script_written", plan, f"Script du plan « {plan.name} »")
    return plan


def update_plan(plan: CallPlan, user: User, data: PlanData) -> None:
    firm = _firm(plan)
    _check_plan(firm, data)
    script_changed = data.script.strip() != plan.script
    _apply(plan, data)
    db.session.flush()
    record_activity(firm, user, "call_plan.prepared", plan, f"Plan « {plan.name} » modifié")
    if script_changed and plan.script:
        record_activity(firm, user, "call_plan.script_written", plan, f"Script du plan « {plan.name} »")


def _apply(plan: CallPlan, data: PlanData) -> None:
    plan.name = data.name.strip()
    plan.objective = data.objective
    plan.channel = data.channel
    plan.starts_on = data.starts_on
    plan.ends_on = data.ends_on
    plan.script = data.script.strip()
    plan.template = data.template
    plan.assignees = list(data.assignees)


def delete_plan(plan: CallPlan) -> None:
    """The plan and its targets go; the calls stay in each party's history."""
    db.session.delete(plan)
    db.session.flush()


def add_objection(plan: CallPlan, user: User, objection: str, answer: str) -> CallPlanObjection:
    objection, answer = objection.strip(), answer.strip()
    if not objection:
        raise DomainError("Écrivez l'objection que le client peut faire.", "objection")
    if not answer:
        raise DomainError("Préparez la réponse à cette objection.", "answer")
    item = CallPlanObjection(firm_id=plan.firm_id, objection=objection, answer=answer)
    plan.objections.append(item)
    db.session.flush()
    record_activity(_firm(plan), user, "call_plan.script_written", plan,
                    f"Objection préparée pour « {plan.name} » : {objection}")
    return item


def remove_objection(item: CallPlanObjection) -> None:
    item.plan.objections.remove(item)
    db.session.flush()


def members_of(firm: Firm) -> list[User]:
    """The trainees (and teachers) working in the firm, to assign plans and read agendas."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.firm_id == firm.id, User.active).order_by(User.display_name)
    ))


def plans_of(firm: Firm, user: User | None = None):
    """The firm's plans, newest first; with `user`, only those assigned to them (a query)."""
    from sqlalchemy.orm import selectinload

    query = select(CallPlan).where(CallPlan.firm_id == firm.id).options(selectinload(CallPlan.assignees))
    if user is not None:
        query = query.where(CallPlan.assignees.any(User.id == user.id))
    return query.order_by(CallPlan.starts_on.desc(), CallPlan.id.desc())


# --- targets ------------------------------------------------------------------

def _criteria(saved) -> dict:
    """A saved filter's criteria as search_parties() takes them (dates parsed, bad ones dropped)."""
    criteria = filter_criteria(saved)
    for key in FILTER_DATES:
        try:
            criteria[key] = date.fromisoformat(criteria[key]) if criteria.get(key) else None
        except (TypeError, ValueError):
            criteria[key] = None
    return criteria


def _not_in_plan(plan: CallPlan):
    return Party.id.not_in(select(CallPlanEntry.party_id).where(CallPlanEntry.plan_id == plan.id))


def add_targets_from_filter(plan: CallPlan, user: User, saved) -> int:
    """Every party the saved filter finds and the plan lacks, in one INSERT … SELECT."""
    matches = search_parties(plan.firm_id, _criteria(saved)).where(Party.anonymised_at.is_(None))
    rows = matches.where(_not_in_plan(plan)).with_only_columns(
        literal(plan.firm_id), literal(plan.id), Party.id, literal(FROM_FILTER), literal(TODO),
        literal(0), maintain_column_froms=True)
    # Counted by the driver (SQLite's changes(), PostgreSQL's "INSERT 0 n", which SQLAlchemy keeps
    # for an INSERT only when asked to): no row comes back to Python.
    added = db.session.execute(insert(CallPlanEntry).from_select(
        ["firm_id", "plan_id", "party_id", "source", "status", "attempts"], rows),
        execution_options={"preserve_rowcount": True}).rowcount
    if not added:
        found = db.session.scalar(select(func.count()).select_from(matches.order_by(None).subquery()))
        if found:
            raise DomainError(f"Les tiers du filtre « {saved.name} » sont déjà tous dans le plan.",
                              "saved_filter_id")
        raise DomainError(f"Le filtre « {saved.name} » ne trouve aucun tiers : aucune cible ajoutée. "
                          "Modifiez le filtre dans le fichier clients ou choisissez-en un autre.",
                          "saved_filter_id")
    _journal_targets(plan, user, added, f"filtre « {saved.name} »")
    return added


def add_target(plan: CallPlan, user: User, party: Party) -> CallPlanEntry:
    if party.is_anonymised:
        raise DomainError("Cette fiche est anonymisée : elle ne peut pas être contactée.")
    exists = db.session.scalar(select(CallPlanEntry.id).where(
        CallPlanEntry.plan_id == plan.id, CallPlanEntry.party_id == party.id))
    if exists:
        raise DomainError(f"« {party.name} » est déjà dans le plan.")
    entry = CallPlanEntry(firm_id=plan.firm_id, plan_id=plan.id, party_id=party.id, source=BY_HAND,
                          status=TODO, attempts=0)
    db.session.add(entry)
    db.session.flush()
    _journal_targets(plan, user, 1, f"{party.name}, choisi à la main")
    return entry


def add_targets_from_documents(plan: CallPlan, user: User, source: str, today: date | None = None) -> int:
    """One target per overdue invoice (*relances impayées*) or per open order (*suivi de commande*)."""
    from crm.prospection.reminders import overdue_invoices_of
    from crm.ventes.documents.services import open_orders

    firm = _firm(plan)
    if source == FROM_OVERDUE:
        documents = overdue_invoices_of(firm, today or business_today(firm))
        nothing = "Aucune facture n'est en retard de paiement : aucune cible ajoutée."
    else:
        documents = open_orders(firm)
        nothing = "Aucune commande n'est en cours de livraison : aucune cible ajoutée."
    if not documents:
        raise DomainError(nothing)
    present = set(db.session.scalars(select(CallPlanEntry.document_id).where(
        CallPlanEntry.plan_id == plan.id, CallPlanEntry.document_id.is_not(None))))
    anonymised = set(db.session.scalars(select(Party.id).where(
        Party.id.in_({d.party_id for d in documents}), Party.anonymised_at.is_not(None))))
    rows = [{"firm_id": plan.firm_id, "plan_id": plan.id, "party_id": d.party_id, "document_id": d.id,
             "source": source, "status": TODO, "attempts": 0}
            for d in documents if d.id not in present and d.party_id not in anonymised]
    if not rows:
        raise DomainError("Ces documents sont déjà tous dans le plan.")
    db.session.execute(insert(CallPlanEntry), rows)
    label = "factures en retard" if source == FROM_OVERDUE else "commandes en cours"
    _journal_targets(plan, user, len(rows), label)
    return len(rows)


def _journal_targets(plan: CallPlan, user: User, count: int, how: str) -> None:
    noun = "cible ajoutée" if count == 1 else "cibles ajoutées"
    record_activity(_firm(plan), user, "call_plan.targets_selected", plan,
                    f"« {plan.name} » : {count} {noun} ({how})")


def remove_target(entry: CallPlanEntry) -> None:
    if entry.attempts:
        raise DomainError("Cette cible a déjà été contactée : elle reste dans le plan pour ses résultats.")
    db.session.delete(entry)
    db.session.flush()


def entries_of(plan: CallPlan):
    """The plan's targets with their party (one query per page), in the order they are called."""
    from sqlalchemy.orm import joinedload

    return (select(CallPlanEntry).where(CallPlanEntry.plan_id == plan.id)
            .options(joinedload(CallPlanEntry.party), joinedload(CallPlanEntry.document))
            .order_by(CallPlanEntry.id))


def count_entries(plan: CallPlan) -> int:
    return db.session.scalar(select(func.count(CallPlanEntry.id)).where(CallPlanEntry.plan_id == plan.id))


def check_has_targets(plan: CallPlan) -> None:
    if not count_entries(plan):
        raise DomainError("Ce plan n'a aucune cible : ajoutez des tiers (filtre, choix à la main ou "
                          "génération) avant de commencer.")


# --- the phone session ----------------------------------------------------------

def _free_for(user: User):
    """Not held by another trainee (or held too long ago)."""
    return or_(CallPlanEntry.held_by_id.is_(None), CallPlanEntry.held_by_id == user.id,
               CallPlanEntry.held_at < utcnow() - HOLD)


def _queue(plan: CallPlan, user: User, today: date):
    """Candidates in calling order: each query walks the (plan, status, id) index and stops at one."""
    base = select(CallPlanEntry.id).where(CallPlanEntry.plan_id == plan.id)
    yield base.where(CallPlanEntry.held_by_id == user.id, CallPlanEntry.status != DONE,
                     or_(CallPlanEntry.callback_on.is_(None), CallPlanEntry.callback_on <= today))
    yield base.where(CallPlanEntry.status == CALLBACK, CallPlanEntry.callback_on <= today, _free_for(user)
                     ).order_by(CallPlanEntry.callback_on, CallPlanEntry.id)
    yield base.where(CallPlanEntry.status == TODO, _free_for(user)).order_by(CallPlanEntry.id)
    yield base.where(CallPlanEntry.status == CALLBACK, CallPlanEntry.callback_on.is_(None),
                     _free_for(user)).order_by(CallPlanEntry.id)


def take_next(plan: CallPlan, user: User, today: date | None = None) -> CallPlanEntry | None:
    """The next target for `user`, held for them so that no one else calls it meanwhile."""
    check_has_targets(plan)
    today = today or business_today(_firm(plan))
    for _ in range(3):  # another trainee may take the same target between our read and our write
        entry_id = None
        for query in _queue(plan, user, today):
            entry_id = db.session.scalar(query.limit(1))
            if entry_id is not None:
                break
        if entry_id is None:
            return None
        taken = db.session.execute(
            update(CallPlanEntry).where(CallPlanEntry.id == entry_id, _free_for(user))
            .values(held_by_id=user.id, held_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            return db.session.get(CallPlanEntry, entry_id, populate_existing=True)
    return None


def holder_of(entry: CallPlanEntry) -> User | None:
    """Another trainee calling this target right now, if any."""
    if entry.held_by_id is None or entry.held_at is None or entry.held_at < utcnow() - HOLD:
        return None
    return db.session.get(User, entry.held_by_id)


def history_of(party: Party, limit: int = 8):
    from crm.clients.models import Interaction
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Interaction).where(Interaction.party_id == party.id)
        .options(joinedload(Interaction.author))
        .order_by(Interaction.at.desc(), Interaction.id.desc()).limit(limit)))


@dataclass
class CallData:
    outcome: str
    note: str = ""
    follow_up_on: date | None = None
    follow_up_at: time | None = None


def record_call(entry: CallPlanEntry, user: User, data: CallData, today: date | None = None) -> CallAttempt:
    """One click of the session screen: the call, its interaction in the party's history, the agenda."""
    plan = entry.plan
    firm = _firm(entry)
    today = today or business_today(firm)
    _check_call(entry, user, data, today)
    note = data.note.strip()
    party = entry.party
    follow_up = _follow_up_text(data)
    interaction = record_interaction(
        party, user, "call_out", f"{plan.name} — {CALL_OUTCOMES[data.outcome]}"[:160], note,
        follow_up[:255], journal=False)
    attempt = CallAttempt(firm_id=entry.firm_id, outcome=data.outcome, note=note, user_id=user.id,
                          interaction_id=interaction.id)
    entry.attempts_made.append(attempt)
    entry.attempts = (entry.attempts or 0) + 1
    entry.last_outcome = data.outcome
    entry.held_by_id = entry.held_at = None
    if data.outcome in RETRY_OUTCOMES:
        entry.status = CALLBACK
        entry.callback_on = data.follow_up_on
    else:
        entry.status = DONE
        entry.callback_on = None
        entry.done_at = utcnow()
    if data.follow_up_on is not None:
        kind = APPOINTMENT_ITEM if data.outcome == APPOINTMENT else CALLBACK_ITEM
        schedule(firm, user, kind, data.follow_up_on, data.follow_up_at,
                 f"{AGENDA_KINDS[kind]} : {party.name}", note, party=party, entry=entry, journal=False)
    db.session.flush()
    record_activity(firm, user, "call.recorded", attempt,
                    f"Appel à {party.name} ({plan.name}) : {CALL_OUTCOMES[data.outcome]}")
    return attempt


def _check_call(entry: CallPlanEntry, user: User, data: CallData, today: date) -> None:
    if entry.plan.channel != PHONE:
        raise DomainError("Ce plan ne se mène pas par téléphone.")
    if data.outcome not in CALL_OUTCOMES:
        raise DomainError("Choisissez l'issue de l'appel.", "outcome")
    if entry.status == DONE:
        raise DomainError(f"L'appel à « {entry.party.name} » est déjà terminé ({entry.outcome_label.lower()}).")
    holder = holder_of(entry)
    if holder is not None and holder.id != user.id:
        raise DomainError(f"{holder.display_name} est en train d'appeler ce contact.")
    check_follow_up_date(data.follow_up_on, today)
    if data.outcome == APPOINTMENT and data.follow_up_on is None:
        raise DomainError("Indiquez la date du rendez-vous pris.", "follow_up_on")
    if data.outcome == TO_TRANSMIT and not data.note.strip():
        raise DomainError("Notez ce qui est à transmettre, et à qui.", "note")
    if len(data.note) > 5000:
        raise DomainError("La note tient en 5 000 caractères au plus.", "note")


def check_follow_up_date(on: date | None, today: date, field: str = "follow_up_on") -> None:
    if on is not None and on < today:
        raise DomainError(f"La date de rappel ou de rendez-vous ne peut pas être passée : nous sommes "
                          f"le {day(today)} dans l'entreprise.", field)


def _follow_up_text(data: CallData) -> str:
    if data.follow_up_on is None:
        return ""
    when = day(data.follow_up_on) + (f" à {data.follow_up_at:%H:%M}" if data.follow_up_at else "")
    return f"Rendez-vous le {when}" if data.outcome == APPOINTMENT else f"Rappeler le {when}"


def mark_sent(entry: CallPlanEntry, user: User, letter: bool = False) -> CallAttempt:
    """A letter posted (or an email sent) to one target of a written plan."""
    plan = entry.plan
    if plan.channel == PHONE:
        raise DomainError("Ce plan se mène par téléphone : enregistrez l'issue de l'appel.")
    if letter and entry.last_outcome == SENT:
        raise DomainError(f"Le courrier à « {entry.party.name} » est déjà noté comme envoyé.")
    interaction_id = None
    if letter:
        subject = plan.template.subject if plan.template else plan.name
        interaction_id = record_interaction(entry.party, user, "letter", f"Courrier envoyé : {subject}"[:160],
                                            f"Plan « {plan.name} »", journal=False).id
    attempt = CallAttempt(firm_id=entry.firm_id, outcome=SENT, note="", user_id=user.id,
                          interaction_id=interaction_id)
    entry.attempts_made.append(attempt)
    entry.attempts = (entry.attempts or 0) + 1
    entry.last_outcome, entry.status, entry.done_at = SENT, DONE, utcnow()
    entry.held_by_id = entry.held_at = None
    db.session.flush()
    if letter:
        record_activity(_firm(entry), user, "letter.printed", attempt,
                        f"Courrier à {entry.party.name} ({plan.name})")
    return attempt


# --- results -------------------------------------------------------------------

@dataclass
class PlanResults:
    total: int = 0
    contacted: int = 0  # targets called (or written to) at least once
    done: int = 0
    to_call_back: int = 0
    reached: int = 0  # targets spoken to at least once
    appointments: int = 0
    sales: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # every call, by outcome

    @property
    def calls(self) -> int:
        return sum(self.outcomes.values())

    def share(self, outcome: str) -> Decimal | None:
        """The part of all calls that had this outcome, in percent."""
        return _rate(self.outcomes.get(outcome, 0), self.calls)

    @property
    def progress(self) -> Decimal | None:
        return _rate(self.contacted, self.total)

    @property
    def reach_rate(self) -> Decimal | None:
        """Targets reached / targets called."""
        return _rate(self.reached, self.contacted)

    @property
    def appointment_rate(self) -> Decimal | None:
        """Appointments / targets reached."""
        return _rate(self.appointments, self.reached)

    @property
    def sale_rate(self) -> Decimal | None:
        """Sales / targets reached."""
        return _rate(self.sales, self.reached)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def plan_results(plan: CallPlan) -> PlanResults:
    """Progress and results in three grouped queries, whatever the number of targets."""
    results = PlanResults()
    rows = db.session.execute(
        select(CallPlanEntry.status, func.count(), func.sum(_called()))
        .where(CallPlanEntry.plan_id == plan.id).group_by(CallPlanEntry.status))
    for status, count, called in rows:
        results.total += count
        results.contacted += int(called or 0)
        if status == DONE:
            results.done = count
        elif status == CALLBACK:
            results.to_call_back = count
    attempts = (select(CallAttempt.outcome, func.count(), func.count(func.distinct(CallAttempt.entry_id)))
                .join(CallPlanEntry, CallAttempt.entry_id == CallPlanEntry.id)
                .where(CallPlanEntry.plan_id == plan.id).group_by(CallAttempt.outcome))
    for outcome, count, targets in db.session.execute(attempts):
        results.outcomes[outcome] = count
        if outcome == APPOINTMENT:
            results.appointments = targets
        elif outcome == SALE:
            results.sales = targets
    results.reached = db.session.scalar(
        select(func.count(func.distinct(CallAttempt.entry_id)))
        .join(CallPlanEntry, CallAttempt.entry_id == CallPlanEntry.id)
        .where(CallPlanEntry.plan_id == plan.id, CallAttempt.outcome.in_(REACHED_OUTCOMES))) or 0
    return results


def _called():
    return case((CallPlanEntry.attempts > 0, 1), else_=0)


# --- agenda --------------------------------------------------------------------

def schedule(firm: Firm, user: User, kind: str, on: date, at: time | None, title: str, note: str = "",
             party: Party | None = None, entry: CallPlanEntry | None = None, journal: bool = True,
             today: date | None = None, date_field: str = "follow_up_on") -> AgendaItem:
    """A call-back or an appointment in `user`'s agenda, on the firm's calendar."""
    if kind not in AGENDA_KINDS:
        raise DomainError("Choisissez rappel ou rendez-vous.", "kind")
    if on is None:
        raise DomainError("Indiquez la date.", date_field)
    check_follow_up_date(on, today or business_today(firm), date_field)
    title = title.strip()
    if not title:
        raise DomainError("Indiquez l'objet du rendez-vous ou du rappel.", "title")
    item = AgendaItem(firm_id=firm.id, user_id=user.id, kind=kind, day=on, at_time=at, title=title[:160],
                      note=note.strip(), party_id=party.id if party else None,
                      entry_id=entry.id if entry else None, done=False)
    db.session.add(item)
    db.session.flush()
    if journal:
        record_activity(firm, user, "agenda.scheduled", item, f"{AGENDA_KINDS[kind]} le {day(on)} : {title}")
    return item


def agenda_of(firm: Firm, user: User, start: date, end: date, today: date | None = None) -> list[AgendaItem]:
    """`user`'s items from `start` to `end` (included), plus the overdue ones: before the business
    date (`today`) and not done."""
    from sqlalchemy.orm import joinedload

    window = and_(AgendaItem.day >= start, AgendaItem.day <= end)
    if today is not None:
        window = or_(window, and_(AgendaItem.day < min(start, today), AgendaItem.done.is_(False)))
    return list(db.session.scalars(
        select(AgendaItem).where(AgendaItem.firm_id == firm.id, AgendaItem.user_id == user.id, window)
        .options(joinedload(AgendaItem.party))
        .order_by(AgendaItem.day, AgendaItem.at_time.is_(None), AgendaItem.at_time, AgendaItem.id)))


def set_done(item: AgendaItem, done: bool = True) -> None:
    item.done = done
    db.session.flush()


def is_overdue(item: AgendaItem, today: date) -> bool:
    return not item.done and item.day < today


def week_of(on: date) -> tuple[date, date]:
    monday = on - timedelta(days=on.weekday())
    return monday, monday + timedelta(days=6)
