"""Login, logout and password change."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from crm.auth import services
from crm.auth.forms import LoginForm, PasswordChangeForm
from crm.core.database import reads_first
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


def _address() -> str:
    """The client's address (the proxy's X-Forwarded-For when CRM_PROXY=1)."""
    return request.remote_addr or "?"


@bp.route("/connexion", methods=["GET", "POST"])
@reads_first  # the password is checked with no transaction open
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, _address())
        except services.LoginThrottled as error:
            return render_template("auth/login.html", form=form, error=error.message), 429
        except services.BadCredentials as error:
            # Nothing was changed; the failure itself is kept for throttling: the
            # request answers 200 (the form again) so that its one commit keeps it.
            services.record_login_failure(form.username.data, _address())
            return render_template("auth/login.html", form=form, error=error.message)
        session.clear()  # a new session at login: nothing carried over from before
        login_user(user)
        if user.must_change_password:
            flash("Bienvenue ! Choisissez maintenant votre mot de passe personnel.", "info")
            return redirect(url_for("auth.change_password"))
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
@reads_first  # both passwords are hashed with no transaction open
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data,
                                     form.new_password.data, form.confirm.data, _address())
        except services.LoginThrottled as error:
            form_error(form, error)
            return _password_page(form), 429
        except services.BadCredentials as error:
            # As at login: nothing changed, the failure is kept (answered 200 so it is committed).
            services.record_login_failure(current_user.username, _address())
            form.current_password.errors = [error.message]
            return _password_page(form)
        except DomainError as error:
            form_error(form, error)
            return _password_page(form), 422
        firm_id = session.get("firm_id")
        session.clear()
        login_user(current_user._get_current_object())  # new cookie with the new token
        if firm_id:
            session["firm_id"] = firm_id
        flash("Votre mot de passe a été changé. Vos autres sessions sont fermées.", "success")
        return redirect(url_for("core.home"))
    return _password_page(form), 422 if form.errors else 200


def _password_page(form):
    forced = current_user.must_change_password
    if forced:
        form.current_password.label.text = "Mot de passe provisoire (celui de la feuille)"
    return render_template("auth/password.html", form=form, forced=forced)
