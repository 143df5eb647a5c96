"""Authentication rules: throttling, password checks, session invalidation."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from crm.core.errors import DomainError
from crm.core.models import LoginFailure, User, new_session_token, utcnow
from crm.core.passwords import hash_password, needs_rehash, password_problem, verify_password
from crm.extensions import db

# Same message whatever was wrong, so nobody learns which usernames exist.
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."


class LoginThrottled(DomainError):
    """Too many failed logins for one username from one address."""


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _recent_failures(username: str, ip_address: str, now: datetime) -> int:
    since = now - timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
    return db.session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.username == username,
            LoginFailure.ip_address == ip_address,
            LoginFailure.at > since,
        )
    )


def authenticate(username: str, password: str, ip_address: str) -> User:
    """The active user with these credentials, or a DomainError (LoginThrottled at the limit)."""
    username = normalise_username(username)
    now = utcnow()
    if _recent_failures(username, ip_address, now) >= current_app.config["LOGIN_MAX_FAILURES"]:
        current_app.logger.warning("login throttled for %r from %s", username, ip_address)
        raise LoginThrottled(
            "Trop de tentatives de connexion. Patientez une minute avant de réessayer."
        )
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        db.session.add(LoginFailure(username=username, ip_address=ip_address, at=now))
        current_app.logger.info("failed login for %r from %s", username, ip_address)
        raise DomainError(BAD_CREDENTIALS)
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == username, LoginFailure.ip_address == ip_address
        )
    )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued to `user` so far."""
    user.session_token = new_session_token()
    db.session.flush()


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    if not verify_password(user.password_hash, current):
        raise DomainError("Le mot de passe actuel est incorrect.", field="current_password")
    set_password(user, new, confirm)


def set_password(user: User, new: str, confirm: str | None = None) -> None:
    """Set a new password and end the user's other sessions."""
    problem = password_problem(new)
    if problem:
        raise DomainError(problem, field="new_password")
    if confirm is not None and new != confirm:
        raise DomainError("Les deux mots de passe ne correspondent pas.", field="confirm")
    user.password_hash = hash_password(new)
    end_all_sessions(user)
