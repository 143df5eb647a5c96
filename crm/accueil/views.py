"""Blueprint of the accueil section (URL prefix /accueil): the front desk register."""
from __future__ import annotations


from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from crm.core.clock import business_today
from crm.accueil import services
from crm.accueil.forms import (
    CloseForm, DeskRequestForm, PeriodForm, RegisterFilterForm, ServiceForm, StaffMemberForm,
    TransmitForm, TreatForm,
)
from crm.accueil.models import DeskRequest, Service, StaffMember
from crm.clients.models import Party
from crm.core.errors import DomainError
from crm.core.picker import searching
from crm.core.sections import section_blueprint
from crm.core.tenancy import current_firm, firm_required, get_or_404, scoped
from crm.core.views_helpers import form_error, page_number
from crm.extensions import db

bp = section_blueprint("accueil", __name__)


@bp.before_request
@firm_required
def _inside_a_firm():
    """Every screen here works on the current firm's register."""


def _text(field) -> str:
    return (field.data or "").strip()


@bp.route("/")
def index():
    args = {"status": "", "nature": ""} | request.args.to_dict()
    form = RegisterFilterForm(MultiDict(args))
    query = (scoped(DeskRequest).order_by(DeskRequest.created_at.desc(), DeskRequest.id.desc())
             .options(selectinload(DeskRequest.party)))  # the « who » column: the parties in one query
    if form.validate():
        if form.status.data:
            query = query.where(DeskRequest.status == form.status.data)
        if form.nature.data:
            query = query.where(DeskRequest.nature == form.nature.data)
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("accueil/index.html", page=page, form=form, today=business_today(current_firm),
                           filtered=bool(form.status.data or form.nature.data))


# --- recording a request ------------------------------------------------------

@bp.route("/nouvelle", methods=["GET", "POST"])
def new_request():
    form = DeskRequestForm()
    form.fill_choices(services.services_of(current_firm.id))
    if request.method == "GET" and request.args.get("tiers"):  # "Enregistrer une demande" of a party's page
        party_id = request.args["tiers"]
        if not party_id.isdigit() or len(party_id) > 18:
            abort(404)
        form.party_id.data = get_or_404(Party, int(party_id)).id
    # The visitor search is a step of this form: the page comes back with every typed value.
    if not searching(form) and form.validate_on_submit():
        party = get_or_404(Party, form.party_id.data) if form.party_id.data else None
        try:
            desk_request = services.record_request(current_firm, current_user, services.RequestData(
                party=party, visitor_name=_text(form.visitor_name), visitor_phone=_text(form.visitor_phone),
                visitor_email=_text(form.visitor_email), save_as_prospect=form.save_as_prospect.data,
                channel=form.channel.data, nature=form.nature.data, request_text=_text(form.request_text),
                answer=_text(form.answer), documentation=_text(form.documentation), handling=form.handling.data,
                service=_service(form.service_id.data), recipient=_person(form.recipient_id.data),
                due_on=form.due_on.data, message=_text(form.message),
            ))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"La demande n° {desk_request.id} est enregistrée ({desk_request.status_label.lower()}).", "success")
            return redirect(url_for("accueil.show_request", desk_request_id=desk_request.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accueil/request_form.html", form=form), status


def _service(service_id):
    return get_or_404(Service, service_id) if service_id else None


def _person(person_id):
    return get_or_404(StaffMember, person_id) if person_id else None


# --- one request and its lifecycle ----------------------------------------------

@bp.route("/demandes/<int:desk_request_id>")
def show_request(desk_request_id: int, forms: dict | None = None, status: int = 200):
    desk_request = get_or_404(DeskRequest, desk_request_id)
    forms = forms or {}
    transmit_form = forms.get("transmit") or TransmitForm(formdata=None)
    transmit_form.fill_choices(services.services_of(current_firm.id))
    return render_template(
        "accueil/request.html", r=desk_request, today=business_today(current_firm), transmit_form=transmit_form,
        treat_form=forms.get("treat") or TreatForm(formdata=None),
        # A satisfaction already given (by the visitor's questionnaire) is shown in the closing form.
        close_form=forms.get("close") or CloseForm(formdata=None, data={
            "satisfaction": desk_request.satisfaction, "satisfaction_comment": desk_request.satisfaction_comment}),
    ), status


def _lifecycle(desk_request_id: int, key: str, form, action, success: str):
    desk_request = get_or_404(DeskRequest, desk_request_id)
    if form.validate_on_submit():
        try:
            action(desk_request, form)
        except DomainError as error:
            form_error(form, error)
            if error.field is None:
                flash(error.message, "error")
        else:
            flash(success, "success")
            return redirect(url_for("accueil.show_request", desk_request_id=desk_request.id))
    return show_request(desk_request_id, forms={key: form}, status=422)


@bp.route("/demandes/<int:desk_request_id>/transmettre", methods=["POST"])
def transmit_request(desk_request_id: int):
    form = TransmitForm()
    form.fill_choices(services.services_of(current_firm.id))

    def action(desk_request, form):
        services.transmit_request(desk_request, current_user, _service(form.service_id.data),
                                  _person(form.recipient_id.data), form.due_on.data, _text(form.message))
    return _lifecycle(desk_request_id, "transmit", form, action, "La demande est transmise.")


@bp.route("/demandes/<int:desk_request_id>/traiter", methods=["POST"])
def treat_request(desk_request_id: int):
    def action(desk_request, form):
        services.treat_request(desk_request, current_user, _text(form.note))
    return _lifecycle(desk_request_id, "treat", TreatForm(), action, "La demande est traitée.")


@bp.route("/demandes/<int:desk_request_id>/cloturer", methods=["POST"])
def close_request(desk_request_id: int):
    def action(desk_request, form):
        services.close_request(desk_request, current_user, form.satisfaction.data,
                               _text(form.satisfaction_comment), _text(form.reactions_note),
                               _text(form.improvement_note))
    return _lifecycle(desk_request_id, "close", CloseForm(), action, "La demande est close. Merci pour votre retour.")


# --- organigramme -----------------------------------------------------------------

@bp.route("/organigramme", methods=["GET", "POST"])
def organigramme():
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            service = services.create_service(current_firm, current_user, form.name.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Le service « {service.name} » est ajouté.", "success")
            return redirect(url_for("accueil.organigramme"))
    return _organigramme_page(form, None, None, 422 if form.errors or form.form_errors else 200)


def _organigramme_page(service_form, person_form, person_service_id, status):
    return render_template("accueil/organigramme.html", services=services.services_of(current_firm.id),
                           service_form=service_form, person_form=person_form or StaffMemberForm(formdata=None),
                           person_service_id=person_service_id), status


@bp.route("/organigramme/services/<int:service_id>/personnes", methods=["POST"])
def add_staff_member(service_id: int):
    service = get_or_404(Service, service_id)
    form = StaffMemberForm()
    if form.validate_on_submit():
        person = services.add_staff_member(service, current_user, {
            "name": form.name.data, "role": _text(form.role), "phone": _text(form.phone),
            "email": _text(form.email)})
        flash(f"{person.name} fait maintenant partie du service {service.name}.", "success")
        return redirect(url_for("accueil.organigramme"))
    return _organigramme_page(ServiceForm(formdata=None), form, service.id, 422)


@bp.route("/organigramme/services/<int:service_id>/supprimer", methods=["POST"])
def delete_service(service_id: int):
    service = get_or_404(Service, service_id)
    services.delete_service(service)
    flash(f"Le service « {service.name} » est supprimé.", "success")
    return redirect(url_for("accueil.organigramme"))


@bp.route("/organigramme/personnes/<int:staff_member_id>/supprimer", methods=["POST"])
def remove_staff_member(staff_member_id: int):
    person = get_or_404(StaffMember, staff_member_id)
    services.remove_staff_member(person)
    flash(f"{person.name} ne figure plus dans l'organigramme.", "success")
    return redirect(url_for("accueil.organigramme"))


# --- remontée d'information ---------------------------------------------------------

@bp.route("/remontee")
def report():
    args = {"start": "", "end": ""} | request.args.to_dict()
    form = PeriodForm(MultiDict(args))
    today = business_today(current_firm)
    status = 200
    if not form.validate():
        status = 422
        form.start.data = form.end.data = None
    start = form.start.data or today.replace(day=1)
    end = form.end.data or today
    if status == 200:  # the fields show the period actually reported, also when none was typed
        for field, value in ((form.start, start), (form.end, end)):
            field.raw_data, field.data = None, value
    return render_template("accueil/report.html", form=form,
                           report=services.report(current_firm.id, start, end, today), today=today), status
