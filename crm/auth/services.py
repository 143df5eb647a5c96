"""Authentication rules: throttling, password checks, session invalidation.

Throttling (the policy the README describes, numbers in crm.config):
- per account, from any address: the first LOGIN_FREE_FAILURES failures within
  LOGIN_WINDOW_SECONDS are free; each further attempt must wait 1, 2, 4 … seconds
  (LOGIN_MAX_DELAY_SECONDS at most) after the last failure; at LOGIN_ACCOUNT_LIMIT
  failures the account is blocked until a teacher unblocks it (or the failures age
  out of the window). A neighbour typing a trainee's name a few times costs that
  trainee a few seconds, never the lesson.
- per address, for any account: failures that no successful login of their account
  cleared (a class's typos vanish as each trainee gets in; guesses stay) beyond
  LOGIN_ADDRESS_FREE_FAILURES within LOGIN_ADDRESS_WINDOW_SECONDS bring the same
  growing delays, against guessing one password on many accounts.

Hashing (slow on purpose) never runs inside a transaction: the services read,
end the read (outside_transaction), hash, then write.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from crm.core.database import outside_transaction
from crm.core.errors import DomainError
from crm.core.models import LoginFailure, User, new_session_token, utcnow
from crm.core.passwords import hash_password, needs_rehash, password_problem, verify_password
from crm.extensions import db

# Same message whatever was wrong, so nobody learns which usernames exist.
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
WRONG_CURRENT_PASSWORD = "Le mot de passe actuel est incorrect."
BLOCKED = (
    "Ce compte est bloqué après trop d'essais de mot de passe. "
    "Demandez à votre professeur de le débloquer."
)


class LoginThrottled(DomainError):
    """Too many recent failures for this account or from this address: wait, or ask a teacher."""


class BadCredentials(DomainError):
    """Wrong username or password; the view records the failure (record_login_failure)."""


@dataclass(frozen=True)
class Throttle:
    blocked: bool = False
    wait_seconds: int = 0

    @property
    def message(self) -> str | None:
        if self.blocked:
            return BLOCKED
        if self.wait_seconds:
            unit = "seconde" if self.wait_seconds == 1 else "secondes"
            return f"Trop d'essais de mot de passe : patientez {self.wait_seconds} {unit} avant de réessayer."
        return None


def normalise_username(username: str) -> str:
    return username.strip().lower()


# --- throttling ---------------------------------------------------------------

def throttle_for(username: str, ip_address: str, now: datetime | None = None) -> Throttle:
    """Whether an attempt on `username` from `ip_address` must wait now (reads only)."""
    config = current_app.config
    now = now or utcnow()
    count, last = _failures(LoginFailure.username == username, now, config["LOGIN_WINDOW_SECONDS"])
    if count >= config["LOGIN_ACCOUNT_LIMIT"]:
        return Throttle(blocked=True)
    waits = [_wait(count, last, config["LOGIN_FREE_FAILURES"], now)]
    count, last = _failures(LoginFailure.ip_address == ip_address, now,
                            config["LOGIN_ADDRESS_WINDOW_SECONDS"])
    waits.append(_wait(count, last, config["LOGIN_ADDRESS_FREE_FAILURES"], now))
    return Throttle(wait_seconds=max(waits))


def _failures(condition, now: datetime, window_seconds: int) -> tuple[int, datetime | None]:
    since = now - timedelta(seconds=window_seconds)
    row = db.session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.at))
        .where(condition, LoginFailure.at > since)
    ).one()
    return row[0], row[1]


def _wait(count: int, last: datetime | None, free: int, now: datetime) -> int:
    """Seconds still to wait: 1, 2, 4 … after the last failure once `free` failures are used."""
    if count < free or last is None:
        return 0
    delay = min(2 ** (count - free), current_app.config["LOGIN_MAX_DELAY_SECONDS"])
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def _refuse_if_throttled(username: str, ip_address: str) -> None:
    throttle = throttle_for(username, ip_address)
    if throttle.message:
        current_app.logger.warning("login throttled for %r from %s", username, ip_address)
        raise LoginThrottled(throttle.message)


def record_login_failure(username: str, ip_address: str) -> None:
    """Keep a failed attempt for throttling (called after the refusal: it must be committed)."""
    username = normalise_username(username)[:64]
    db.session.add(LoginFailure(username=username, ip_address=ip_address[:45], at=utcnow()))
    db.session.flush()
    current_app.logger.info("failed login for %r from %s", username, ip_address)


def throttled_usernames(usernames: list[str]) -> set[str]:
    """Which of these accounts have used their free failures (one query)."""
    if not usernames:
        return set()
    config = current_app.config
    since = utcnow() - timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    rows = db.session.execute(
        select(LoginFailure.username)
        .where(LoginFailure.username.in_(usernames), LoginFailure.at > since)
        .group_by(LoginFailure.username)
        .having(func.count(LoginFailure.id) >= config["LOGIN_FREE_FAILURES"])
    ).scalars()
    return set(rows)


def clear_login_failures(user: User) -> None:
    """A teacher unblocks an account: its failures are forgotten, from every address."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    db.session.flush()


# --- login --------------------------------------------------------------------

def authenticate(username: str, password: str, ip_address: str) -> User:
    """The active user with these credentials; LoginThrottled or BadCredentials otherwise.

    Reads, then verifies the password with no transaction open (an unknown or
    inactive account is verified too, against a dummy hash: every answer takes
    as long), then writes. On BadCredentials nothing is written: the view records
    the failure.
    """
    username = normalise_username(username)
    _refuse_if_throttled(username, ip_address)
    user = db.session.scalar(select(User).where(User.username == username))
    user_id = user.id if user else None
    stored_hash = user.password_hash if user else None
    active = bool(user and user.active)
    with outside_transaction():
        correct = verify_password(stored_hash, password)
        new_hash = hash_password(password) if correct and needs_rehash(stored_hash) else None
    if not (correct and active):
        raise BadCredentials(BAD_CREDENTIALS)
    user = db.session.get(User, user_id)  # again, now under the write lock
    if user is None or not user.active or user.password_hash != stored_hash:
        raise BadCredentials(BAD_CREDENTIALS)  # changed in between
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    if new_hash:
        user.password_hash = new_hash
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued to `user` so far."""
    user.session_token = new_session_token()
    db.session.flush()


# --- passwords ----------------------------------------------------------------

def change_password(user: User, current: str, new: str, confirm: str, ip_address: str) -> None:
    """The user replaces their password; a wrong current password is throttled like a login.

    BadCredentials (field current_password) when the current password is wrong:
    the view records the failure.
    """
    username, user_id, stored_hash = user.username, user.id, user.password_hash
    _refuse_if_throttled(username, ip_address)
    check_new_password(new, confirm, username)
    with outside_transaction():
        correct = verify_password(stored_hash, current)
        new_hash = hash_password(new) if correct else None
    if not correct:
        raise BadCredentials(WRONG_CURRENT_PASSWORD, field="current_password")
    user = db.session.get(User, user_id)
    if user.password_hash != stored_hash:
        raise DomainError("Le mot de passe vient d'être changé ailleurs : recommencez.",
                          field="current_password")
    set_password_hash(user, new_hash)


def check_new_password(new: str, confirm: str | None, username: str) -> None:
    problem = password_problem(new, username)
    if problem:
        raise DomainError(problem, field="new_password")
    if confirm is not None and new != confirm:
        raise DomainError("Les deux mots de passe ne correspondent pas.", field="confirm")


def set_password_hash(user: User, password_hash: str, must_change: bool = False) -> None:
    """Store a new password (hashed beforehand, outside any transaction); end the user's sessions.

    `must_change`: the password was given by a teacher, the user chooses their own at next login.
    """
    user.password_hash = password_hash
    user.must_change_password = must_change
    end_all_sessions(user)
