"""Home page, firm chooser, firm logo, health check.

CSRF is checked on every POST by CSRFProtect, before any view runs.
"""
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from crm.core import tenancy
from crm.core.models import Firm
from crm.core.sections import SECTIONS
from crm.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    if g.firm is not None:
        return render_template("core/home.html", sections=SECTIONS)
    if current_user.is_teacher:
        return redirect(url_for("admin.dashboard"))
    return redirect(url_for("core.choose_firm"))


@bp.route("/entreprises")
def choose_firm():
    firms = db.session.scalars(tenancy.accessible_firms(current_user).where(Firm.archived_at.is_(None))).all()
    return render_template("core/choose_firm.html", firms=firms, form=FlaskForm())


@bp.route("/entreprises/<int:firm_id>/entrer", methods=["POST"])
def enter_firm(firm_id: int):
    firm = tenancy.find_accessible_firm(current_user, firm_id)
    if firm is None:
        abort(404)
    tenancy.enter_firm(firm)
    flash(f"Vous travaillez maintenant dans « {firm.trade_name} ».", "success")
    return redirect(url_for("core.home"))


@bp.route("/entreprises/quitter", methods=["POST"])
def leave_firm():
    tenancy.leave_firm()
    return redirect(url_for("core.home"))


@bp.route("/entreprises/<int:firm_id>/logo")
def firm_logo(firm_id: int):
    firm = tenancy.find_accessible_firm(current_user, firm_id)
    if firm is None or not firm.logo:
        abort(404)
    response = Response(firm.logo, mimetype=firm.logo_mimetype)
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.route("/entreprise/identite", methods=["GET", "POST"])
@tenancy.firm_required
def firm_identity():
    """The firm's legal identity and VAT option: its *responsable* (or the teacher) changes them."""
    from crm.admin.forms import LegalIdentityForm
    from crm.admin.services import update_legal_identity
    from crm.core.errors import DomainError
    from crm.core.firm_settings import get_firm_settings
    from crm.core.views_helpers import form_error

    firm = g.firm
    may_edit = tenancy.manages_firm(current_user, firm)
    settings = get_firm_settings(firm)
    form = LegalIdentityForm(formdata=request.form if request.method == "POST" else None, data={
        "legal_form": firm.legal_form, "siren": firm.siren, "siret": firm.siret, "vat_number": firm.vat_number,
        "rcs_city": firm.rcs_city, "share_capital": firm.share_capital, "vat_on_debits": settings.vat_on_debits})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                update_legal_identity(firm, current_user, form.identity_data(), form.vat_on_debits.data)
            except DomainError as error:
                form_error(form, error)
            else:
                flash("L'identité de l'entreprise est enregistrée : les prochaines factures l'impriment.", "success")
                return redirect(url_for("core.firm_identity"))
        status = 422
    return render_template("core/firm_identity.html", form=form, firm=firm, may_edit=may_edit), status


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: send them the icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/sante")
def health():
    """For the school's monitoring: answers when the app and its database do."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
