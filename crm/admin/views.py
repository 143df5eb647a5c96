"""Teacher screens (/admin): classrooms, firms, memberships, trainee accounts."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.admin import access, services
from crm.admin.forms import (
    ClassListForm, ClassroomForm, FirmForm, MemberForm, PositionForm, TeacherForm,
    firm_settings_form,
)
from crm.core.errors import DomainError, ImportErrors
from crm.core.firm_settings import get_firm_settings, update_firm_settings
from crm.core.numbering_models import DOCUMENT_TYPES
from crm.core.models import Position, Role, User
from crm.core.tenancy import teacher_classrooms
from crm.core.views_helpers import admin_required, form_error, teacher_required
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
    return render_template("admin/classroom.html", classroom=classroom)


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
                           positions=Position.choices())


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
            "time_zone": current.time_zone,
            **{f"prefix_{t}": current.prefix_template(t) for t in DOCUMENT_TYPES}}
    form = firm_settings_form(request.form if request.method == "POST" else None, **data)
    if form.validate_on_submit():
        try:
            update_firm_settings(
                firm, payment_terms_days=form.payment_terms_days.data,
                late_payment_rate=form.late_payment_rate.data, escompte_terms=form.escompte_terms.data,
                time_zone=form.time_zone.data,
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
                           positions=Position.choices()), 422


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
def reset_password(user_id: int):
    user = access.managed_user_or_404(user_id)
    issued = services.reset_password(user)
    return render_template("admin/password_sheet.html", classroom=user.classroom, issued=[issued])


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
    return _form_page("admin/teachers.html", form, teachers=users)


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
