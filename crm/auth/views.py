"""Login, logout and password change."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth import services
from crm.auth.forms import LoginForm, PasswordChangeForm
from crm.core.errors import DomainError
from crm.core.views_helpers import form_error

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never redirect to another site after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                form.username.data, form.password.data, request.remote_addr or "?"
            )
        except services.LoginThrottled as error:
            return render_template("auth/login.html", form=form, error=error.message), 429
        except DomainError as error:
            # 200, not 4xx: the failed attempt must be committed for throttling.
            return render_template("auth/login.html", form=form, error=error.message)
        session.clear()  # a new session at login: nothing carried over from before
        login_user(user)
        flash(f"Bonjour {user.display_name} !", "success")
        return redirect(_safe_next(request.args.get("next")) or url_for("core.home"))
    return render_template("auth/login.html", form=form, error=None)


@bp.route("/deconnexion", methods=["POST"])
@login_required
def logout():
    services.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash("Vous êtes bien déconnecté. À bientôt !", "success")
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data, form.confirm.data
            )
        except DomainError as error:
            form_error(form, error)
            return render_template("auth/password.html", form=form), 422
        firm_id = session.get("firm_id")
        session.clear()
        login_user(current_user._get_current_object())  # new cookie with the new token
        if firm_id:
            session["firm_id"] = firm_id
        flash("Votre mot de passe a été changé. Vos autres sessions sont fermées.", "success")
        return redirect(url_for("core.home"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
