"""Blueprint of the prospection section (URL prefix /prospection): call plans, phone sessions, agenda.

Written follow-up (templates, messages, mailings, unpaid reminders) is in
written_views.py, on the same blueprint.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select

from crm.clients.models import Party, SavedFilter
from crm.clients.services import PARTY_FIELDS, saved_filters, search_parties, update_party
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.limits import parse_date
from crm.core.sections import section_blueprint
from crm.core.tenancy import current_firm, firm_required, get_or_404, scoped
from crm.core.views_helpers import form_error, page_number, refuse
from crm.extensions import db
from crm.prospection import calendar, messaging, services
from crm.prospection.forms import (
    AddPartyForm, AgendaItemForm, CallForm, ConfirmForm, ContactDataForm, FilterTargetsForm, ObjectionForm,
    PartySearchForm, PlanForm,
)
from crm.prospection.models import (
    CALL_OUTCOMES, FROM_OPEN_ORDERS, FROM_OVERDUE, OUTCOMES, PHONE, AgendaItem, CallPlan, CallPlanEntry,
    CallPlanObjection, MessageTemplate,
)

bp = section_blueprint("prospection", __name__)
SEARCH_LIMIT = 20


@bp.before_request
@firm_required
def _inside_a_firm():
    """Every screen here works on the current firm's data."""


# --- plans ------------------------------------------------------------------------

@bp.route("/")
def index():
    mine = request.args.get("mes") == "1"
    query = services.plans_of(current_firm, current_user if mine else None)
    page = db.paginate(query, page=page_number(), error_out=False)
    today = business_today(current_firm)
    monday, sunday = services.week_of(today)
    agenda = services.agenda_of(current_firm, current_user, today, today, today)
    return render_template(
        "prospection/index.html", page=page, mine=mine, progress=_progress_of([p.id for p in page.items]),
        unread=messaging.unread_count(current_firm), agenda=agenda, today=today,
        overdue_count=sum(1 for item in agenda if services.is_overdue(item, today)))


def _progress_of(plan_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(contacted, total) of each plan of the page, in one grouped query."""
    if not plan_ids:
        return {}
    rows = db.session.execute(
        select(CallPlanEntry.plan_id, func.sum(case((CallPlanEntry.attempts > 0, 1), else_=0)), func.count())
        .where(CallPlanEntry.plan_id.in_(plan_ids)).group_by(CallPlanEntry.plan_id))
    return {plan_id: (int(contacted or 0), total) for plan_id, contacted, total in rows}


def _plan_form(plan: CallPlan | None = None) -> PlanForm:
    form = PlanForm(obj=plan)
    form.set_choices(messaging.templates_of(current_firm), services.members_of(current_firm))
    if request.method == "GET" and plan is not None:
        form.assignee_ids.data = [user.id for user in plan.assignees]
    elif request.method == "GET":
        form.assignee_ids.data = [current_user.id] if current_user.is_trainee else []
    return form


def _plan_data(form: PlanForm) -> services.PlanData:
    template = get_or_404(MessageTemplate, form.template_id.data) if form.template_id.data else None
    members = {user.id: user for user in services.members_of(current_firm)}
    return services.PlanData(
        name=form.name.data or "", objective=form.objective.data, channel=form.channel.data,
        starts_on=form.starts_on.data, ends_on=form.ends_on.data, script=form.script.data or "",
        template=template, assignees=[members[i] for i in form.assignee_ids.data or [] if i in members])


@bp.route("/plans/nouveau", methods=["GET", "POST"])
def new_plan():
    form = _plan_form()
    if form.validate_on_submit():
        try:
            plan = services.create_plan(current_firm, current_user, _plan_data(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Le plan « {plan.name} » est créé. Ajoutez maintenant ses cibles.", "success")
            return redirect(url_for("prospection.show_plan", plan_id=plan.id))
    return render_template("prospection/plan_form.html", form=form, plan=None), 422 if form.errors else 200


@bp.route("/plans/<int:plan_id>/modifier", methods=["GET", "POST"])
def edit_plan(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    form = _plan_form(plan)
    if form.validate_on_submit():
        try:
            services.update_plan(plan, current_user, _plan_data(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Le plan est enregistré.", "success")
            return redirect(url_for("prospection.show_plan", plan_id=plan.id))
    return render_template("prospection/plan_form.html", form=form, plan=plan), 422 if form.errors else 200


@bp.route("/plans/<int:plan_id>")
def show_plan(plan_id: int, forms: dict | None = None, status: int = 200):
    plan = get_or_404(CallPlan, plan_id)
    forms = forms or {}
    filter_form = forms.get("filter") or FilterTargetsForm(formdata=None)
    filter_form.set_choices(saved_filters(current_firm.id))
    page = db.paginate(services.entries_of(plan), page=page_number(), error_out=False)
    return render_template(
        "prospection/plan.html", plan=plan, page=page, results=services.plan_results(plan),
        filter_form=filter_form, objection_form=forms.get("objection") or ObjectionForm(formdata=None),
        confirm=ConfirmForm(), outcomes=OUTCOMES, today=business_today(current_firm),
        FROM_OVERDUE=FROM_OVERDUE, FROM_OPEN_ORDERS=FROM_OPEN_ORDERS), status


@bp.route("/plans/<int:plan_id>/supprimer", methods=["POST"])
def delete_plan(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    name = plan.name
    services.delete_plan(plan)
    flash(f"Le plan « {name} » est supprimé ; les appels restent dans l'historique des tiers.", "success")
    return redirect(url_for("prospection.index"))


@bp.route("/plans/<int:plan_id>/objections", methods=["POST"])
def add_objection(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    form = ObjectionForm()
    if form.validate_on_submit():
        try:
            services.add_objection(plan, current_user, form.objection.data, form.answer.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("L'objection et sa réponse sont ajoutées au script.", "success")
            return redirect(url_for("prospection.show_plan", plan_id=plan.id) + "#script")
    return show_plan(plan_id, forms={"objection": form}, status=422)


@bp.route("/objections/<int:plan_objection_id>/supprimer", methods=["POST"])
def remove_objection(plan_objection_id: int):
    item = get_or_404(CallPlanObjection, plan_objection_id)
    plan_id = item.plan_id
    services.remove_objection(item)
    flash("L'objection est retirée du script.", "success")
    return redirect(url_for("prospection.show_plan", plan_id=plan_id) + "#script")


# --- targets -------------------------------------------------------------------------

@bp.route("/plans/<int:plan_id>/cibles/filtre", methods=["POST"])
def add_targets_from_filter(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    form = FilterTargetsForm()
    form.set_choices(saved_filters(current_firm.id))
    if form.validate_on_submit() and form.saved_filter_id.data:
        saved = get_or_404(SavedFilter, form.saved_filter_id.data)
        try:
            added = services.add_targets_from_filter(plan, current_user, saved)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(_added(added), "success")
            return redirect(url_for("prospection.show_plan", plan_id=plan.id))
    elif not form.errors:
        form.saved_filter_id.errors = ["Choisissez un filtre enregistré."]
    return show_plan(plan_id, forms={"filter": form}, status=422)


def _added(count: int) -> str:
    return "1 cible ajoutée au plan." if count == 1 else f"{count} cibles ajoutées au plan."


@bp.route("/plans/<int:plan_id>/cibles/<any(factures, commandes):source>", methods=["POST"])
def generate_targets(plan_id: int, source: str):
    plan = get_or_404(CallPlan, plan_id)
    try:
        added = services.add_targets_from_documents(
            plan, current_user, FROM_OVERDUE if source == "factures" else FROM_OPEN_ORDERS)
    except DomainError as error:
        refuse(error)
    else:
        flash(_added(added), "success")
    return redirect(url_for("prospection.show_plan", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/cibles")
def search_targets(plan_id: int):
    """The search step of a hand-picked target: at most 20 matches, each with its « Ajouter » button."""
    plan = get_or_404(CallPlan, plan_id)
    form = PartySearchForm(request.args)
    matches = []
    if form.validate() and form.q.data:
        matches = list(db.session.scalars(
            search_parties(current_firm.id, {"q": form.q.data}).where(Party.anonymised_at.is_(None))
            .limit(SEARCH_LIMIT)))
    present = set(db.session.scalars(select(CallPlanEntry.party_id).where(
        CallPlanEntry.plan_id == plan.id, CallPlanEntry.party_id.in_([p.id for p in matches]))))
    return render_template("prospection/targets_search.html", plan=plan, form=form, matches=matches,
                           present=present, add_form=AddPartyForm(formdata=None), limit=SEARCH_LIMIT), \
        422 if form.errors else 200


@bp.route("/plans/<int:plan_id>/cibles/ajouter", methods=["POST"])
def add_target(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    form = AddPartyForm()
    back = url_for("prospection.search_targets", plan_id=plan.id, q=request.form.get("q", "")[:100])
    if not form.validate_on_submit():
        flash("Choisissez le tiers à ajouter.", "error")
        return redirect(back)
    party = get_or_404(Party, form.party_id.data)
    try:
        services.add_target(plan, current_user, party)
    except DomainError as error:
        refuse(error)
    else:
        flash(f"« {party.name} » est ajouté au plan.", "success")
    return redirect(back)


@bp.route("/cibles/<int:entry_id>/retirer", methods=["POST"])
def remove_target(entry_id: int):
    entry = get_or_404(CallPlanEntry, entry_id)
    plan_id, name = entry.plan_id, entry.party.name
    try:
        services.remove_target(entry)
    except DomainError as error:
        refuse(error)
    else:
        flash(f"« {name} » est retiré du plan.", "success")
    return redirect(url_for("prospection.show_plan", plan_id=plan_id))


# --- the phone session ----------------------------------------------------------------

@bp.route("/plans/<int:plan_id>/suivant", methods=["POST"])
def next_target(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)  # CSRFProtect checked the form's token before this view
    try:
        entry = services.take_next(plan, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("prospection.show_plan", plan_id=plan.id))
    return _to_entry_or_results(plan, entry)


def _to_entry_or_results(plan: CallPlan, entry: CallPlanEntry | None):
    if entry is None:
        flash("Plus aucune cible à contacter pour l'instant : le plan est terminé, ou les rappels "
              "sont prévus pour plus tard.", "info")
        return redirect(url_for("prospection.plan_results", plan_id=plan.id))
    return redirect(url_for("prospection.show_entry", entry_id=entry.id))


@bp.route("/appels/<int:entry_id>")
def show_entry(entry_id: int, forms: dict | None = None, status: int = 200):
    entry = get_or_404(CallPlanEntry, entry_id)
    forms = forms or {}
    plan, party = entry.plan, entry.party
    return render_template(
        "prospection/session.html", entry=entry, plan=plan, party=party,
        history=services.history_of(party), holder=services.holder_of(entry),
        results=services.plan_results(plan), figures=_figures(entry),
        call_form=forms.get("call") or CallForm(formdata=None),
        contact_form=forms.get("contact") or ContactDataForm(obj=party, formdata=None),
        confirm=ConfirmForm(), outcomes=CALL_OUTCOMES, PHONE=PHONE,
        today=business_today(current_firm)), status


def _figures(entry: CallPlanEntry):
    if entry.document is None:
        return None
    from crm.prospection.reminders import document_figures

    return document_figures(entry.document, current_firm, business_today(current_firm))


@bp.route("/appels/<int:entry_id>/issue", methods=["POST"])
def record_call(entry_id: int):
    entry = get_or_404(CallPlanEntry, entry_id)
    form = CallForm()
    if form.validate_on_submit():
        data = services.CallData(form.outcome.data, form.note.data or "", form.follow_up_on.data,
                                 form.follow_up_at.data)
        try:
            services.record_call(entry, current_user, data)
            following = services.take_next(entry.plan, current_user)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Appel enregistré : {CALL_OUTCOMES[data.outcome].lower()}.", "success")
            return _to_entry_or_results(entry.plan, following)
    return show_entry(entry_id, forms={"call": form}, status=422)


@bp.route("/appels/<int:entry_id>/coordonnees", methods=["POST"])
def update_contact_data(entry_id: int):
    """The party's phone, email and address corrected during the call (A2T3C3)."""
    entry = get_or_404(CallPlanEntry, entry_id)
    party = entry.party
    form = ContactDataForm()
    if form.validate_on_submit():
        data = {key: getattr(party, key) for key in PARTY_FIELDS}
        data["tags"] = ", ".join(party.tag_list)
        data.update({name: (form[name].data or "").strip() for name in
                     ("phone", "email", "address_line1", "address_line2", "postcode", "city")})
        try:
            update_party(party, current_user, data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Les coordonnées du tiers sont mises à jour.", "success")
            return redirect(url_for("prospection.show_entry", entry_id=entry.id))
    return show_entry(entry_id, forms={"contact": form}, status=422)


@bp.route("/plans/<int:plan_id>/resultats")
def plan_results(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    return render_template("prospection/results.html", plan=plan, results=services.plan_results(plan),
                           outcomes=OUTCOMES, confirm=ConfirmForm())


# --- agenda ---------------------------------------------------------------------------

def _agenda_owner():
    """The trainee whose agenda is shown: oneself, or a member of the firm chosen in the list."""
    members = services.members_of(current_firm)
    wanted = request.args.get("eleve", type=int)
    owner = next((u for u in members if u.id == wanted), None) if wanted else None
    return owner or current_user, members


@bp.route("/agenda")
def agenda(form: AgendaItemForm | None = None, status: int = 200):
    today = business_today(current_firm)
    view = "jour" if request.args.get("vue") == "jour" else "semaine"
    shown = parse_date(request.args.get("date")) or today
    owner, members = _agenda_owner()
    start, end = (shown, shown) if view == "jour" else services.week_of(shown)
    items = services.agenda_of(current_firm, owner, start, end, today)
    step = timedelta(days=1 if view == "jour" else 7)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return render_template(
        "prospection/agenda.html", items=items, days=days, view=view, start=start, end=end, today=today,
        shown=shown, previous=shown - step, following=shown + step, owner=owner, members=members,
        form=form or AgendaItemForm(formdata=None), confirm=ConfirmForm(),
        is_overdue=services.is_overdue), status


@bp.route("/agenda", methods=["POST"])
def add_agenda_item():
    form = AgendaItemForm()
    if form.validate_on_submit():
        try:
            services.schedule(current_firm, current_user, form.kind.data, form.day.data, form.at_time.data,
                              form.title.data, form.note.data or "", date_field="day")
        except DomainError as error:
            form_error(form, error)
        else:
            flash("C'est noté dans votre agenda.", "success")
            return redirect(url_for("prospection.agenda", date=form.day.data.isoformat()))
    return agenda(form, 422)


@bp.route("/agenda/<int:agenda_item_id>/fait", methods=["POST"])
def toggle_agenda_item(agenda_item_id: int):
    item = get_or_404(AgendaItem, agenda_item_id)
    if item.user_id != current_user.id:
        abort(404)  # one's own agenda only
    services.set_done(item, not item.done)
    flash("Marqué comme fait." if item.done else "Remis à faire.", "success")
    return redirect(url_for("prospection.agenda", date=item.day.isoformat()))


@bp.route("/agenda.ics")
def agenda_ics():
    """The trainee's own agenda, the last 30 days and everything ahead, as an .ics file."""
    today = business_today(current_firm)
    items = list(db.session.scalars(
        scoped(AgendaItem).where(AgendaItem.user_id == current_user.id,
                                 AgendaItem.day >= today - timedelta(days=30))
        .order_by(AgendaItem.day, AgendaItem.id)))
    body = calendar.agenda_ics(current_firm, current_user, items, request.host.split(":")[0] or "comptoir")
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": "attachment; filename=agenda-prospection.ics"})


from crm.prospection import written_views  # noqa: E402,F401 - registers the written follow-up routes
