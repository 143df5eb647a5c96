"""Teacher screens (/admin): classrooms, firms, memberships, trainee accounts."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.admin import access, services
from crm.auth import services as auth_services
from crm.admin.forms import (
    ClassListForm, ClassroomForm, DirectoryForm, FirmForm, MemberForm, PositionForm, TeacherForm,
    firm_settings_form,
)
from crm.core.database import reads_first
from crm.core.errors import DomainError, ImportErrors
from crm.core.firm_settings import get_firm_settings, update_firm_settings
from crm.core.numbering_models import DOCUMENT_TYPES
from crm.core.models import Position, Role, User
from crm.core.tenancy import teacher_classrooms
from crm.core.views_helpers import admin_required, form_error, refuse, teacher_required
from crm.extensions import db

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.before_request
@teacher_required
def _teachers_only():
    """Every screen here is for teachers; trainees get a 404 as for any unknown page."""


@bp.route("/")
def dashboard():
    classrooms = db.session.scalars(teacher_classrooms(current_user)).all()
    return render_template("admin/dashboard.html", classrooms=classrooms)


# --- classrooms -------------------------------------------------------------

@bp.route("/classes/nouvelle", methods=["GET", "POST"])
def new_classroom():
    form = ClassroomForm()
    del form.teacher_ids  # the creator teaches it; colleagues are added when editing
    if form.validate_on_submit():
        try:
            classroom = services.create_classroom(current_user, form.name.data, form.school_year.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"La classe « {classroom.label} » est créée. Ajoutez maintenant ses entreprises.", "success")
            return redirect(url_for("admin.show_classroom", classroom_id=classroom.id))
    return _form_page("admin/classroom_form.html", form, title="Nouvelle classe")


@bp.route("/classes/<int:classroom_id>")
def show_classroom(classroom_id: int):
    classroom = access.classroom_or_404(classroom_id)
    throttled = auth_services.throttled_usernames([t.username for t in classroom.trainees])
    return render_template("admin/classroom.html", classroom=classroom, throttled=throttled)


@bp.route("/classes/<int:classroom_id>/annuaire", methods=["POST"])
def classroom_directory(classroom_id: int):
    """Open (or close) the classroom's directory of firms to the other open classrooms of the server."""
    classroom = access.classroom_or_404(classroom_id)
    form = DirectoryForm()
    if not form.validate_on_submit():
        refuse(DomainError("La demande n'a pas pu être lue : rechargez la page et réessayez."))
    else:
        services.set_directory_open(classroom, current_user, form.open.data)
        flash("L'annuaire de la classe est ouvert aux autres classes du serveur." if form.open.data
              else "L'annuaire de la classe est fermé : ses entreprises n'échangent plus qu'entre elles.", "success")
    return redirect(url_for("admin.show_classroom", classroom_id=classroom.id)), 303


@bp.route("/classes/<int:classroom_id>/modifier", methods=["GET", "POST"])
def edit_classroom(classroom_id: int):
    classroom = access.classroom_or_404(classroom_id)
    form = ClassroomForm(obj=classroom)
    teachers = {t.id: t for t in services.active_teachers()}
    form.teacher_ids.choices = [(t.id, t.display_name) for t in teachers.values()]
    if not form.is_submitted():
        form.teacher_ids.data = [t.id for t in classroom.teachers]
    if form.validate_on_submit():
        try:
            services.update_classroom(classroom, form.name.data, form.school_year.data,
                                      [teachers[i] for i in form.teacher_ids.data])
        except DomainError as error:
            form_error(form, error)
        else:
            flash("La classe est modifiée.", "success")
            return redirect(url_for("admin.show_classroom", classroom_id=classroom.id))
    return _form_page("admin/classroom_form.html", form, title="Modifier la classe", classroom=classroom)


@bp.route("/classes/<int:classroom_id>/eleves/import", methods=["GET", "POST"])
@reads_first  # every password is hashed before the one short write
def import_trainees(classroom_id: int):
    classroom = access.classroom_or_404(classroom_id)
    form = ClassListForm()
    if form.validate_on_submit():
        try:
            issued = services.import_trainees(classroom, form.content())
        except ImportErrors as error:
            return render_template("admin/import_trainees.html", form=form, classroom=classroom,
                                   line_errors=error.errors), 422
        # Rendered in the POST answer, never stored: the sheet is shown once.
        return render_template("admin/password_sheet.html", classroom=classroom, issued=issued)
    return _form_page("admin/import_trainees.html", form, classroom=classroom, line_errors=[])


# --- firms ------------------------------------------------------------------

@bp.route("/classes/<int:classroom_id>/entreprises/nouvelle", methods=["GET", "POST"])
def new_firm(classroom_id: int):
    classroom = access.classroom_or_404(classroom_id)
    form = FirmForm()
    if form.validate_on_submit():
        try:
            firm = services.create_firm(classroom, form.firm_data(), _upload(form.logo))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"L'entreprise « {firm.trade_name} » est créée. Affectez-lui des élèves.", "success")
            return redirect(url_for("admin.show_firm", firm_id=firm.id))
    return _form_page("admin/firm_form.html", form, classroom=classroom, firm=None)


@bp.route("/entreprises/<int:firm_id>")
def show_firm(firm_id: int):
    firm = access.firm_or_404(firm_id)
    return render_template("admin/firm.html", firm=firm, member_form=_member_form(firm),
                           positions=Position.choices(), **_firm_teacher_context(firm))


def _firm_teacher_context(firm) -> dict:
    from crm.core.clock import business_today
    from crm.formation.models import EVENT_KINDS, ScenarioEvent
    from crm.formation.scenarios.services import snapshot_of

    events = db.session.scalars(select(ScenarioEvent).where(ScenarioEvent.firm_id == firm.id)
                                .order_by(ScenarioEvent.due_on, ScenarioEvent.due_time, ScenarioEvent.id)).all()
    return {"snapshot": snapshot_of(firm), "events": events, "event_kinds": EVENT_KINDS,
            "business_day": business_today(firm)}


@bp.route("/entreprises/<int:firm_id>/modifier", methods=["GET", "POST"])
def edit_firm(firm_id: int):
    firm = access.firm_or_404(firm_id)
    form = FirmForm(obj=firm)
    if form.validate_on_submit():
        try:
            services.update_firm(firm, current_user, form.firm_data(), _upload(form.logo),
                                 form.remove_logo.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("La fiche de l'entreprise est enregistrée.", "success")
            return redirect(url_for("admin.show_firm", firm_id=firm.id))
    return _form_page("admin/firm_form.html", form, classroom=firm.classroom, firm=firm)


@bp.route("/entreprises/<int:firm_id>/parametres", methods=["GET", "POST"])
def firm_settings(firm_id: int):
    """Numbering prefixes and payment terms printed on the firm's documents."""
    firm = access.firm_or_404(firm_id)
    current = get_firm_settings(firm)
    data = {"payment_terms_days": current.payment_terms_days,
            "late_payment_rate": current.late_payment_rate, "escompte_terms": current.escompte_terms,
            "time_zone": current.time_zone, "vat_on_debits": current.vat_on_debits,
            **{f"prefix_{t}": current.prefix_template(t) for t in DOCUMENT_TYPES}}
    form = firm_settings_form(request.form if request.method == "POST" else None, **data)
    if form.validate_on_submit():
        try:
            update_firm_settings(
                firm, payment_terms_days=form.payment_terms_days.data,
                late_payment_rate=form.late_payment_rate.data, escompte_terms=form.escompte_terms.data,
                time_zone=form.time_zone.data, vat_on_debits=form.vat_on_debits.data,
                number_prefixes={t: form[f"prefix_{t}"].data for t in DOCUMENT_TYPES})
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Les paramètres commerciaux sont enregistrés.", "success")
            return redirect(url_for("admin.show_firm", firm_id=firm.id))
    return _form_page("admin/firm_settings.html", form, firm=firm, document_types=DOCUMENT_TYPES)


@bp.route("/entreprises/<int:firm_id>/membres", methods=["POST"])
def add_member(firm_id: int):
    firm = access.firm_or_404(firm_id)
    form = _member_form(firm)
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        try:
            services.add_member(firm, user, form.position.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{user.display_name} travaille maintenant dans « {firm.trade_name} ».", "success")
            return redirect(url_for("admin.show_firm", firm_id=firm.id))
    return render_template("admin/firm.html", firm=firm, member_form=form,
                           positions=Position.choices(), **_firm_teacher_context(firm)), 422


@bp.route("/membres/<int:membership_id>/poste", methods=["POST"])
def change_position(membership_id: int):
    membership = access.membership_or_404(membership_id)
    form = PositionForm()
    if not form.validate_on_submit():
        flash("Poste inconnu : choisissez un poste dans la liste.", "error")
        return redirect(url_for("admin.show_firm", firm_id=membership.firm_id)), 303
    services.change_position(membership, form.position.data)
    flash(f"{membership.user.display_name} est maintenant au poste {membership.position_label}.", "success")
    return redirect(url_for("admin.show_firm", firm_id=membership.firm_id))


@bp.route("/membres/<int:membership_id>/retirer", methods=["POST"])
def remove_member(membership_id: int):
    membership = access.membership_or_404(membership_id)
    firm_id, name = membership.firm_id, membership.user.display_name
    services.remove_member(membership)
    flash(f"{name} ne travaille plus dans cette entreprise.", "success")
    return redirect(url_for("admin.show_firm", firm_id=firm_id))


# --- accounts ---------------------------------------------------------------

@bp.route("/utilisateurs/<int:user_id>/mot-de-passe", methods=["POST"])
@reads_first  # the new password is hashed with no transaction open
def reset_password(user_id: int):
    user = access.managed_user_or_404(user_id)
    issued = services.reset_password(user)
    return render_template("admin/password_sheet.html", classroom=user.classroom, issued=[issued])


@bp.route("/utilisateurs/<int:user_id>/debloquer", methods=["POST"])
def unblock_login(user_id: int):
    """Forget the account's failed logins: its delays and its block end now."""
    user = access.managed_user_or_404(user_id)
    auth_services.clear_login_failures(user)
    flash(f"{user.display_name} peut de nouveau se connecter sans attendre.", "success")
    return redirect(_back(user))


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
def deactivate_user(user_id: int):
    user = access.managed_user_or_404(user_id)
    services.deactivate_user(user, current_user)
    flash(f"Le compte de {user.display_name} est désactivé : il ne peut plus se connecter.", "success")
    return redirect(_back(user))


@bp.route("/utilisateurs/<int:user_id>/reactiver", methods=["POST"])
def reactivate_user(user_id: int):
    user = access.managed_user_or_404(user_id)
    services.reactivate_user(user)
    flash(f"Le compte de {user.display_name} est réactivé.", "success")
    return redirect(_back(user))


@bp.route("/professeurs", methods=["GET", "POST"])
@reads_first  # the generated password is hashed with no transaction open
@admin_required
def teachers():
    form = TeacherForm()
    if form.validate_on_submit():
        try:
            issued = services.create_teacher(form.username.data, form.display_name.data)
        except DomainError as error:
            form_error(form, error)
        else:
            return render_template("admin/password_sheet.html", classroom=None, issued=[issued])
    users = db.session.scalars(
        select(User).where(User.role == Role.TEACHER.value).order_by(User.display_name)
    ).all()
    throttled = auth_services.throttled_usernames([u.username for u in users])
    return _form_page("admin/teachers.html", form, teachers=users, throttled=throttled)


# --- helpers ----------------------------------------------------------------

def _form_page(template: str, form, **context):
    """Render a form page: 422 when the submitted form was refused (nothing kept)."""
    status = 422 if form.errors or getattr(form, "form_errors", None) else 200
    return render_template(template, form=form, **context), status


def _member_form(firm) -> MemberForm:
    form = MemberForm()
    members = {m.user_id for m in firm.memberships}
    form.user_id.choices = [
        (u.id, u.display_name) for u in firm.classroom.trainees if u.id not in members and u.active
    ]
    return form


def _upload(field) -> bytes | None:
    return field.data.read() if field.data else None


def _back(user: User) -> str:
    if user.is_teacher:
        return url_for("admin.teachers")
    if user.classroom_id:
        return url_for("admin.show_classroom", classroom_id=user.classroom_id)
    return url_for("admin.dashboard")


# --- scenario, calendar and events of a firm (teacher side, crm.formation) -------------------

@bp.route("/entreprises/<int:firm_id>/reinitialiser", methods=["POST"])
def reset_firm(firm_id: int):
    from crm.formation.scenarios.check import ScenarioInvalid
    from crm.formation.scenarios.services import reset_firm as reset

    firm = access.firm_or_404(firm_id)
    try:
        replacement = reset(firm, current_user)
    except ScenarioInvalid as error:
        refuse(DomainError("Le scénario ne se recharge plus : " + str(error.errors[0])))
        return redirect(url_for("admin.show_firm", firm_id=firm.id))
    except DomainError as error:
        refuse(error)
        return redirect(url_for("admin.show_firm", firm_id=firm.id))
    flash(f"« {firm.trade_name} » est revenue à l'état initial de son scénario ; l'ancienne version est archivée.",
          "success")
    return redirect(url_for("admin.show_firm", firm_id=replacement.id))


@bp.route("/entreprises/<int:firm_id>/dupliquer", methods=["POST"])
def duplicate_firm(firm_id: int):
    from crm.formation.scenarios.services import duplicate_firm as duplicate

    firm = access.firm_or_404(firm_id)
    copy = duplicate(firm, current_user)
    flash(f"Copie créée : « {copy.trade_name} ». Affectez-lui des élèves.", "success")
    return redirect(url_for("admin.show_firm", firm_id=copy.id))


@bp.route("/entreprises/<int:firm_id>/supprimer", methods=["POST"])
def delete_firm(firm_id: int):
    from crm.formation.scenarios.services import delete_firm as delete

    firm = access.firm_or_404(firm_id)
    try:
        delete(firm, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("admin.show_firm", firm_id=firm.id))
    flash(f"« {firm.trade_name} » est supprimée de la classe (ses documents restent archivés).", "success")
    return redirect(url_for("admin.show_classroom", classroom_id=firm.classroom_id))


@bp.route("/entreprises/<int:firm_id>/scenario.yaml")
def export_firm(firm_id: int):
    from flask import Response

    from crm.formation.scenarios.export import export_firm as export

    firm = access.firm_or_404(firm_id)
    return Response(export(firm), mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="entreprise-{firm.id}.yaml"'})


@bp.route("/entreprises/<int:firm_id>/calendrier", methods=["POST"])
def move_firm_calendar(firm_id: int):
    firm = access.firm_or_404(firm_id)
    _move_calendar([firm])
    return redirect(url_for("admin.show_firm", firm_id=firm.id))


@bp.route("/classes/<int:classroom_id>/calendrier", methods=["POST"])
def move_class_calendar(classroom_id: int):
    classroom = access.classroom_or_404(classroom_id)
    _move_calendar(list(classroom.firms))
    return redirect(url_for("admin.show_classroom", classroom_id=classroom.id))


def _move_calendar(firms) -> None:
    from datetime import date

    from crm.formation.calendar import advance

    step = request.form.get("step", "")
    try:
        if step in ("1", "7"):
            fired = advance(firms, current_user, days=int(step))
        else:
            try:
                target = date.fromisoformat(request.form.get("target", ""))
            except ValueError:
                raise DomainError("Choisissez la date à atteindre.", "target") from None
            fired = advance(firms, current_user, target=target)
    except DomainError as error:
        refuse(error)
        return
    events = (
        f" {fired} événement{'s' if fired > 1 else ''} du scénario {'ont' if fired > 1 else 'a'} eu lieu."
        if fired
        else ""
    )
    flash(f"Calendrier déplacé ({len(firms)} entreprise{'s' if len(firms) > 1 else ''}).{events}", "success")


@bp.route("/evenements/<int:event_id>/declencher", methods=["POST"])
def fire_event(event_id: int):
    from crm.formation.events import fire_now
    from crm.formation.models import ScenarioEvent

    event = db.session.get(ScenarioEvent, event_id)
    if event is None:
        from flask import abort

        abort(404)
    access.firm_or_404(event.firm_id)
    try:
        fire_now(event, current_user)
    except DomainError as error:
        refuse(error)
    else:
        flash(f"« {event.title} » vient d'arriver dans l'entreprise : les élèves doivent le traiter.", "success")
    return redirect(url_for("admin.show_firm", firm_id=event.firm_id))


@bp.route("/entreprises/<int:firm_id>/evenements", methods=["POST"])
def add_event(firm_id: int):
    from datetime import datetime

    from crm.formation.events import add_event as add, fire_now

    firm = access.firm_or_404(firm_id)
    from crm.clients.models import Party

    party_id = request.form.get("party_id", type=int)
    party = db.session.scalar(select(Party).where(Party.id == party_id, Party.firm_id == firm.id)) if party_id else None
    try:
        from crm.core.clock import business_today

        event = add(firm, request.form.get("kind", ""), request.form.get("title", ""), request.form.get("text", ""),
                    business_today(firm), datetime.min.time(), party=party,
                    visitor_name=request.form.get("visitor_name", ""))
        fire_now(event, current_user)
    except DomainError as error:
        refuse(error)
    else:
        flash(f"« {event.title} » vient d'arriver dans l'entreprise.", "success")
    return redirect(url_for("admin.show_firm", firm_id=firm.id))
