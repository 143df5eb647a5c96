"""Screens of e-invoices (URL prefix /echanges): directory of the classroom, incoming invoices, upload."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user

from crm.core.errors import DomainError
from crm.core.pdf import pdf_response
from crm.core.tenancy import current_firm, firm_required, get_or_404
from crm.core.views_helpers import form_error, page_number, refuse
from crm.einvoice import services
from crm.einvoice.forms import LinkForm, UploadForm
from crm.einvoice.models import IncomingInvoice
from crm.extensions import db

bp = Blueprint("echanges", __name__, template_folder="templates")


@bp.before_request
@firm_required
def _firm_only():
    """Every screen here works inside the current firm."""


@bp.route("/")
def index():
    return _index_page(UploadForm(formdata=None))


def _index_page(form: UploadForm, status: int = 200, reasons: list[str] | None = None):
    page = db.paginate(services.incoming_query(current_firm), page=page_number(), per_page=25, error_out=False)
    return render_template("einvoice/index.html", page=page, form=form, reasons=reasons or []), status


@bp.route("/deposer", methods=["POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            incoming = services.receive(current_firm, current_user, upload.read(), upload.filename or "")
        except DomainError as error:
            form_error(form, error)
            return _index_page(form, 422, getattr(error, "reasons", []))
        flash(f"{incoming.type_label} {incoming.number} de {incoming.seller_name} reçue et contrôlée.", "success")
        return redirect(url_for("echanges.show_incoming", incoming_id=incoming.id))
    return _index_page(form, 422)


@bp.route("/recues/<int:incoming_id>")
def show_incoming(incoming_id: int):
    incoming = get_or_404(IncomingInvoice, incoming_id)
    return render_template("einvoice/incoming.html", incoming=incoming, invoice=services.read_incoming(incoming))


@bp.route("/recues/<int:incoming_id>/fichier")
def incoming_file(incoming_id: int):
    incoming = get_or_404(IncomingInvoice, incoming_id)
    if incoming.content_type == "application/pdf":
        return pdf_response(incoming.data, incoming.filename if incoming.filename.endswith(".pdf")
                            else f"{incoming.number}.pdf")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in incoming.number) or "facture"
    return Response(incoming.data, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{safe}.xml"', "Cache-Control": "private, no-store"})


@bp.route("/annuaire")
def directory():
    return render_template("einvoice/directory.html", firms=services.directory(current_firm),
                           linked=services.linked_parties(current_firm), form=LinkForm(formdata=None))


@bp.route("/annuaire/<int:firm_id>/lier", methods=["POST"])
def link_firm(firm_id: int):
    other = services.directory_firm_or_404(current_firm, firm_id)
    form = LinkForm()
    if not form.validate_on_submit():
        refuse(DomainError("Choisissez client ou fournisseur."))
        return redirect(url_for("echanges.directory")), 303
    try:
        party = services.link_firm(current_firm, current_user, other, form.kind.data)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("echanges.directory")), 303
    flash(f"« {party.name} » est dans votre fichier : ses factures s'échangent en Factur-X.", "success")
    return redirect(url_for("clients.show_party", party_id=party.id))
