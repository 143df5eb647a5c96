"""Home page, firm chooser, firm logo, health check.

CSRF is checked on every POST by CSRFProtect, before any view runs.
"""
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
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


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says: send them the icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.route("/sante")
def health():
    """For the school's monitoring: answers when the app and its database do."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
