"""Blueprint of the clients section (URL prefix /clients): the party file and its history."""
from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from crm.core.formatting import counted
from crm.clients import csv_io, picking, services
from crm.core.spreadsheet_csv import csv_bytes
from crm.clients.forms import (
    AddressForm, ConfirmImportForm, ContactForm, FilterForm, ImportForm, InteractionForm,
    PartyForm, SaveFilterForm, StageForm,
)
from crm.clients.models import KINDS, Address, Contact, Party, SavedFilter
from crm.core.errors import DomainError, ImportErrors
from crm.core.sections import section_blueprint
from crm.core.tenancy import current_firm, firm_required, get_or_404
from crm.core.views_helpers import form_error, paginate_ids_first, refuse
from crm.extensions import db
from crm.prospection.reminders import level_label_of_party as reminder_level_of_party
from crm.ventes.documents.services import documents_of_party

bp = section_blueprint("clients", __name__)


@bp.before_request
@firm_required
def _inside_a_firm():
    """Every screen here works on the current firm's file."""


def _filter_form() -> tuple[FilterForm, dict]:
    args = {key: "" for key in services.CRITERIA} | {"sort": "nom"} | request.args.to_dict()
    form = FilterForm(MultiDict(args))
    form.segment.choices = [SelectChoice("", "Tous")] + [
        SelectChoice(s, s) for s in services.segments(current_firm.id)]
    if not form.validate():
        return form, {}
    return form, {name: form[name].data for name in services.CRITERIA}


@bp.route("/")
def index():
    form, criteria = _filter_form()
    page = paginate_ids_first(services.search_parties(current_firm.id, criteria),
                              count_in_one_pass=bool(criteria.get("q")))
    filtered = any(v for k, v in criteria.items() if k != "sort")
    return render_template("clients/index.html", form=form, page=page, filtered=filtered,
                           saved=services.saved_filters(current_firm.id), save_form=SaveFilterForm(),
                           ), 422 if form.errors else 200


@bp.route("/choix.json")
def pick_parties():
    """Search-as-you-type of the party fields (crm.core.picker): at most 20 matches, as JSON."""
    return picking.SOURCES.get(request.args.get("type", ""), picking.CUSTOMERS).json_response()


@bp.route("/export.csv")
def export_parties():
    _, criteria = _filter_form()
    parties = db.session.scalars(services.search_parties(current_firm.id, criteria))
    return Response(csv_io.export_parties(parties), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tiers.csv"})


# --- create, edit -------------------------------------------------------------

@bp.route("/nouveau", methods=["GET", "POST"])
def new_party():
    form = PartyForm()
    if request.method == "GET":
        form.kind.data = (
            request.args.get("type", "prospect")
            if request.args.get("type") in ("prospect", "client", "supplier")
            else "prospect"
        )
    duplicates = []
    if form.validate_on_submit():
        data = form.party_data()
        duplicates = services.find_duplicates(current_firm, data)
        if duplicates and form.confirm_duplicates.data != "1":
            form.confirm_duplicates.data = "1"  # a second submission saves anyway
            return render_template("clients/party_form.html", form=form, party=None,
                                   duplicates=duplicates)
        try:
            party = services.create_party(current_firm, current_user, data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"La fiche « {party.name} » est créée.", "success")
            return redirect(url_for("clients.show_party", party_id=party.id))
    form.confirm_duplicates.data = ""
    return _form_page(form, None)


@bp.route("/<int:party_id>/modifier", methods=["GET", "POST"])
def edit_party(party_id: int):
    party = get_or_404(Party, party_id)
    form = PartyForm(obj=party)
    if request.method == "GET":
        form.tags.data = ", ".join(party.tag_list)
    if form.validate_on_submit():
        data = form.party_data()
        duplicates = services.find_duplicates(current_firm, data, exclude_id=party.id)
        if duplicates and form.confirm_duplicates.data != "1":
            form.confirm_duplicates.data = "1"
            return render_template("clients/party_form.html", form=form, party=party,
                                   duplicates=duplicates)
        try:
            services.update_party(party, current_user, data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("La fiche est enregistrée.", "success")
            return redirect(url_for("clients.show_party", party_id=party.id))
    form.confirm_duplicates.data = ""
    return _form_page(form, party)


def _form_page(form, party):
    status = 422 if form.errors else 200
    return render_template("clients/party_form.html", form=form, party=party, duplicates=[]), status


# --- the party page -------------------------------------------------------------

@bp.route("/<int:party_id>")
def show_party(party_id: int, forms: dict | None = None, status: int = 200):
    party = get_or_404(Party, party_id)
    forms = forms or {}
    stage_form = forms.get("stage") or StageForm(obj=party, formdata=None)
    return render_template(
        "clients/party.html", party=party,
        interaction_form=forms.get("interaction") or InteractionForm(formdata=None),
        contact_form=forms.get("contact") or ContactForm(formdata=None),
        address_form=forms.get("address") or AddressForm(formdata=None),
        stage_form=stage_form,
        documents=documents_of_party(current_firm, party),
        reminder_level=reminder_level_of_party(party.id),
    ), status


def _text(field) -> str:
    """A text field's value, '' when the browser did not send it."""
    return (field.data or "").strip()


def _party_action(party_id: int, key: str, form_class, action):
    party = get_or_404(Party, party_id)
    form = form_class()
    if form.validate_on_submit():
        try:
            message = action(party, form)
        except DomainError as error:
            form_error(form, error)
            if error.field is None:  # e.g. an anonymised party, whose forms are not shown
                flash(error.message, "error")
        else:
            flash(message, "success")
            return redirect(url_for("clients.show_party", party_id=party.id))
    return show_party(party_id, forms={key: form}, status=422)


@bp.route("/<int:party_id>/contacts", methods=["POST"])
def add_interaction(party_id: int):
    def action(party, form):
        services.record_interaction(party, current_user, form.channel.data, form.subject.data,
                                    _text(form.summary), _text(form.outcome), form.at.data)
        return "Le contact est ajouté à l'historique."
    return _party_action(party_id, "interaction", InteractionForm, action)


@bp.route("/<int:party_id>/interlocuteurs", methods=["POST"])
def add_contact(party_id: int):
    def action(party, form):
        contact = services.add_contact(party, current_user, {
            "name": form.name.data, "role": _text(form.role), "phone": _text(form.phone),
            "email": _text(form.email)})
        return f"L'interlocuteur « {contact.name} » est ajouté."
    return _party_action(party_id, "contact", ContactForm, action)


@bp.route("/<int:party_id>/adresses", methods=["POST"])
def add_address(party_id: int):
    def action(party, form):
        services.add_address(party, current_user, {
            "kind": form.kind.data, "line1": form.line1.data, "line2": _text(form.line2),
            "postcode": form.postcode.data, "city": form.city.data})
        return "L'adresse est ajoutée."
    return _party_action(party_id, "address", AddressForm, action)


@bp.route("/<int:party_id>/etape", methods=["POST"])
def change_stage(party_id: int):
    def action(party, form):
        services.set_stage(party, current_user, form.stage.data, form.interest.data)
        return f"Étape de prospection : {party.stage_label}."
    return _party_action(party_id, "stage", StageForm, action)


@bp.route("/interlocuteurs/<int:contact_id>/supprimer", methods=["POST"])
def remove_contact(contact_id: int):
    contact = get_or_404(Contact, contact_id)
    party_id = contact.party_id
    services.remove_contact(contact, current_user)
    flash("L'interlocuteur est retiré de la fiche.", "success")
    return redirect(url_for("clients.show_party", party_id=party_id))


@bp.route("/adresses/<int:address_id>/supprimer", methods=["POST"])
def remove_address(address_id: int):
    address = get_or_404(Address, address_id)
    party_id = address.party_id
    services.remove_address(address, current_user)
    flash("L'adresse est supprimée.", "success")
    return redirect(url_for("clients.show_party", party_id=party_id))


@bp.route("/<int:party_id>/convertir", methods=["POST"])
def convert_party(party_id: int):
    party = get_or_404(Party, party_id)
    try:
        services.convert_to_client(party, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("clients.show_party", party_id=party.id))
    flash(f"« {party.name} » est maintenant client. Son historique est conservé.", "success")
    return redirect(url_for("clients.show_party", party_id=party.id))


# --- GDPR -------------------------------------------------------------------------

@bp.route("/<int:party_id>/rgpd.json")
def export_personal_data_json(party_id: int):
    party = get_or_404(Party, party_id)
    body = json.dumps(services.personal_data(party), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=donnees-tiers-{party.id}.json"})


@bp.route("/<int:party_id>/rgpd.csv")
def export_personal_data_csv(party_id: int):
    party = get_or_404(Party, party_id)
    data = services.personal_data(party)
    rows = [["fiche", key, value] for key, value in data["tiers"].items()]
    for section in ("interlocuteurs", "adresses", "historique"):
        for n, item in enumerate(data[section], start=1):
            rows.extend([f"{section} {n}", key, value] for key, value in item.items())
    return Response(csv_bytes(["rubrique", "champ", "valeur"], rows), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=donnees-tiers-{party.id}.csv"})


@bp.route("/<int:party_id>/anonymiser", methods=["POST"])
def anonymise_party(party_id: int):
    party = get_or_404(Party, party_id)
    try:
        services.anonymise_party(party, current_user)
    except DomainError as error:
        refuse(error)
    else:
        flash("Les données personnelles sont effacées ; l'historique et les chiffres sont conservés.", "success")
    return redirect(url_for("clients.show_party", party_id=party.id))


# --- saved filters --------------------------------------------------------------

@bp.route("/filtres", methods=["POST"])
def save_filter():
    form = SaveFilterForm()
    criteria = {k: request.form.get(k, "") for k in services.CRITERIA}
    if form.validate_on_submit():
        try:
            saved = services.save_filter(current_firm, current_user, form.name.data, criteria)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Le filtre « {saved.name} » est enregistré.", "success")
            return redirect(url_for("clients.index", **services.filter_criteria(saved)))
    flash(" ".join(e for errors in form.errors.values() for e in errors) or "Filtre refusé.", "error")
    shown = {k: v for k, v in criteria.items() if v and len(v) <= services.MAX_CRITERION}
    return redirect(url_for("clients.index", **shown), code=303)


@bp.route("/filtres/<int:saved_filter_id>")
def apply_filter(saved_filter_id: int):
    saved = get_or_404(SavedFilter, saved_filter_id)
    return redirect(url_for("clients.index", **services.filter_criteria(saved)))


@bp.route("/filtres/<int:saved_filter_id>/supprimer", methods=["POST"])
def delete_filter(saved_filter_id: int):
    saved = get_or_404(SavedFilter, saved_filter_id)
    services.delete_filter(saved)
    flash(f"Le filtre « {saved.name} » est supprimé.", "success")
    return redirect(url_for("clients.index"))


# --- CSV import -------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
def import_parties():
    form = ImportForm()
    confirm = ConfirmImportForm(formdata=None)
    rows, errors, status = [], [], 200
    if form.validate_on_submit():
        text = csv_io.decode(form.file.data.read())
        rows, errors = csv_io.parse(text)
        if not errors:
            confirm.content.data = text
        status = 422 if errors else 200
    elif form.is_submitted():
        status = 422
    return render_template("clients/import.html", form=form, confirm=confirm, rows=rows,
                           errors=errors, columns=csv_io.COLUMNS, kinds=KINDS), status


@bp.route("/import/confirmer", methods=["POST"])
def confirm_import():
    confirm = ConfirmImportForm()
    if confirm.validate_on_submit():
        try:
            parties = csv_io.import_parties(current_firm, current_user, confirm.content.data or "")
        except ImportErrors as error:
            return render_template("clients/import.html", form=ImportForm(formdata=None),
                                   confirm=ConfirmImportForm(formdata=None), rows=[],
                                   errors=error.errors, columns=csv_io.COLUMNS), 422
        flash(f"{counted(len(parties), 'fiche importée', 'fiches importées')}.", "success")
        return redirect(url_for("clients.index", sort="recent"))
    return render_template("clients/import.html", form=ImportForm(formdata=None), confirm=confirm,
                           rows=[], errors=[], columns=csv_io.COLUMNS), 422
