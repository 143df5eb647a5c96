"""Password hashing (argon2id), the password rules, and passwords a teenager can type.

Hashing is slow on purpose (about 0,05 s): callers run it outside any database
transaction (crm.core.database.outside_transaction), never while holding a lock.
"""
from __future__ import annotations

import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
# No 0/o, 1/l/i: generated passwords are read off a printed sheet.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown user) a dummy one is checked, so both take as long."""
    try:
        return _hasher().verify(password_hash or _dummy_hash(*_parameters()), password)
    except (VerificationError, InvalidHashError):
        return False


def _parameters() -> tuple[int, int, int]:
    config = current_app.config
    return config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]


@lru_cache(maxsize=4)
def _dummy_hash(_time_cost: int, _memory_cost: int, _parallelism: int) -> str:
    """A hash of a random password at the current cost, made once per process and cost."""
    return hash_password(secrets.token_urlsafe(16))


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def generate_password() -> str:
    """Three groups of four characters, e.g. 'h7kq-m3xa-p9tw' (about 64 bits)."""
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3)
    )


def password_problem(password: str, username: str = "") -> str | None:
    """A French message if the password is not acceptable, else None.

    Refused: fewer than 8 or more than 128 characters, a password containing the
    username, and the common passwords of zxcvbn's list (30 000 passwords found most
    often in leaks, French ones included: azerty, soleil, motdepasse…), alone or
    followed by digits or symbols ("azerty2026!").
    """
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères."
    if len(password) > 128:
        return "Le mot de passe ne doit pas dépasser 128 caractères."
    lowered = password.casefold()
    if username and username.casefold() in lowered:
        return "Le mot de passe ne doit pas contenir votre identifiant."
    if is_common(lowered):
        return (
            "Ce mot de passe fait partie des plus utilisés : il serait deviné en quelques essais. "
            "Choisissez-en un autre, par exemple une courte phrase."
        )
    return None


_TRAILING = re.compile(r"[\d\W_]+$")


def is_common(password: str) -> bool:
    """True for a listed common password, alone or followed by digits/symbols."""
    lowered = password.casefold()
    common = _common_passwords()
    return lowered in common or _TRAILING.sub("", lowered) in common


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # Loaded on first use: the module is large and only password changes need it.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])
