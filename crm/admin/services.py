"""Teacher actions: classrooms, firms, memberships and accounts."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from crm.admin import class_list
from crm.auth.services import end_all_sessions, normalise_username, set_password_hash
from crm.core.database import outside_transaction
from crm.core.errors import DomainError, ImportErrors
from crm.core.models import Classroom, Firm, Membership, Position, Role, User
from crm.core.passwords import generate_password, hash_password
from crm.extensions import db
from crm.formation.journal import record_activity

FIRM_FIELDS = (
    "trade_name", "legal_form", "siren", "siret", "vat_number", "address_line1",
    "address_line2", "postcode", "city", "phone", "email", "website", "iban", "bic",
    "terms_of_sale", "rcs_city",
)
MAX_SHARE_CAPITAL = Decimal("1000000000000")
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
LOGO_MAX_BYTES = 512 * 1024


@dataclass
class IssuedPassword:
    """A password shown once on the printable sheet, never stored in clear."""

    user: User
    password: str
    firm: str = ""
    position: str = ""


# --- classrooms -------------------------------------------------------------

def create_classroom(teacher: User, name: str, school_year: str) -> Classroom:
    _check_classroom_unique(name, school_year)
    classroom = Classroom(name=name, school_year=school_year, teachers=[teacher])
    db.session.add(classroom)
    db.session.flush()
    return classroom


def update_classroom(classroom: Classroom, name: str, school_year: str,
                     teachers: list[User] | None = None) -> None:
    _check_classroom_unique(name, school_year, exclude_id=classroom.id)
    classroom.name = name
    classroom.school_year = school_year
    if teachers is not None:
        if not teachers or any(not t.is_teacher or not t.active for t in teachers):
            raise DomainError("Choisissez au moins un professeur actif.", field="teacher_ids")
        classroom.teachers = teachers
    db.session.flush()


def set_directory_open(classroom: Classroom, teacher: User, open_: bool) -> None:
    """The teacher opens (or closes) the classroom's directory of firms to the other open classrooms."""
    classroom.directory_open = bool(open_)
    db.session.flush()


def active_teachers() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role.in_([Role.TEACHER.value, Role.ADMIN.value]), User.active)
        .order_by(User.display_name)
    ))


def _check_classroom_unique(name: str, school_year: str, exclude_id: int | None = None) -> None:
    query = select(Classroom.id).where(
        func.lower(Classroom.name) == name.lower(), Classroom.school_year == school_year
    )
    if exclude_id:
        query = query.where(Classroom.id != exclude_id)
    if db.session.scalar(query):
        raise DomainError(
            f"Une classe « {name} » existe déjà pour l'année {school_year}.", field="name"
        )


# --- firms ------------------------------------------------------------------

def create_firm(classroom: Classroom, data: dict, logo: bytes | None = None) -> Firm:
    firm = Firm(classroom=classroom, trade_name=data["trade_name"])
    db.session.add(firm)
    apply_firm_data(firm, data, logo)
    return firm


def update_firm(firm: Firm, actor: User, data: dict, logo: bytes | None = None,
                remove_logo: bool = False) -> None:
    apply_firm_data(firm, data, logo, remove_logo)
    record_activity(firm, actor, "firm.identity_updated", firm,
                    "Mise à jour de la fiche d'identité de l'entreprise")


def update_legal_identity(firm: Firm, actor: User, data: dict, vat_on_debits: bool) -> None:
    """The firm's legal identity (form, SIREN, SIRET, VAT, RCS, capital) and the VAT-on-debits option.

    For the teacher or the firm's *responsable* (crm.core.tenancy.manages_firm): the
    legal mentions of the invoices and of their Factur-X follow (crm.core.mentions).
    """
    from crm.core.firm_settings import update_firm_settings
    from crm.core.tenancy import manages_firm

    if not manages_firm(actor, firm):
        raise DomainError("Seul le professeur ou l'élève au poste de responsable peut changer l'identité de "
                          "l'entreprise.")
    allowed = {"legal_form", "siren", "siret", "vat_number", "rcs_city", "share_capital"}
    apply_firm_data(firm, {name: value for name, value in data.items() if name in allowed})
    update_firm_settings(firm, vat_on_debits=vat_on_debits)
    record_activity(firm, actor, "firm.identity_updated", firm,
                    "Mise à jour de l'identité juridique de l'entreprise")


def apply_firm_data(firm: Firm, data: dict, logo: bytes | None = None, remove_logo: bool = False) -> None:
    """Check and set the firm's identity sheet (also used by scenarios)."""
    siren, siret = data.get("siren") or "", data.get("siret") or ""
    if siren and siret and not siret.startswith(siren):
        raise DomainError("Le SIRET doit commencer par les 9 chiffres du SIREN.", field="siret")
    if siret and not siren:
        data = dict(data, siren=siret[:9])
    vat = data.get("vat_number") or ""
    own_siren = data.get("siren") or ""
    if vat and own_siren and vat[-9:] != own_siren:
        raise DomainError(
            "Le numéro de TVA doit se terminer par le SIREN de l'entreprise.", field="vat_number"
        )
    for name in FIRM_FIELDS:
        if name in data:
            setattr(firm, name, data[name] or "")
    if "share_capital" in data:
        capital = data["share_capital"]
        if capital is not None and not (0 <= capital < MAX_SHARE_CAPITAL):
            raise DomainError("Le capital social est un montant positif en euros, par exemple 8 000.",
                              field="share_capital")
        firm.share_capital = capital
    if remove_logo:
        firm.logo, firm.logo_mimetype = None, ""
    if logo:
        firm.logo_mimetype = _logo_mimetype(logo)
        firm.logo = logo
    db.session.flush()


def _logo_mimetype(data: bytes) -> str:
    if len(data) > LOGO_MAX_BYTES:
        raise DomainError("Le logo ne doit pas dépasser 512 Ko.", field="logo")
    for magic, mimetype in LOGO_TYPES.items():
        if data.startswith(magic):
            return mimetype
    raise DomainError("Le logo doit être une image PNG ou JPEG.", field="logo")


# --- memberships ------------------------------------------------------------

def add_member(firm: Firm, user: User, position: str) -> Membership:
    _check_position(position)
    if not user.is_trainee:
        raise DomainError("Seuls les élèves peuvent être affectés à un poste.", field="user_id")
    exists = db.session.scalar(select(Membership).filter_by(firm_id=firm.id, user_id=user.id))
    if exists:
        raise DomainError(f"{user.display_name} travaille déjà dans cette entreprise.", field="user_id")
    membership = Membership(firm=firm, user=user, position=position)
    db.session.add(membership)
    db.session.flush()
    return membership


def change_position(membership: Membership, position: str) -> None:
    _check_position(position)
    membership.position = position
    db.session.flush()


def remove_member(membership: Membership) -> None:
    db.session.delete(membership)
    db.session.flush()


def _check_position(position: str) -> None:
    if position not in {p.value for p in Position}:
        raise DomainError("Poste inconnu.", field="position")


# --- accounts ---------------------------------------------------------------
# Passwords are hashed before the write, with no transaction open (see
# crm.core.database): a class import hashes every line, then writes once.

def create_user(username: str, display_name: str, role: Role, password_hash: str,
                classroom: Classroom | None = None, must_change_password: bool = False) -> User:
    """A new account with an already hashed password (hash_password, outside any transaction)."""
    username = normalise_username(username)
    check_username_free(username)
    user = User(
        username=username,
        display_name=display_name,
        role=role.value,
        password_hash=password_hash,
        classroom=classroom,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    return user


def check_username_free(username: str) -> None:
    if db.session.scalar(select(User.id).where(User.username == normalise_username(username))):
        raise DomainError(f"L'identifiant « {username} » est déjà utilisé.", field="username")


def create_teacher(username: str, display_name: str) -> IssuedPassword:
    """A teacher account with a generated password, to be changed at first login."""
    check_username_free(username)  # before the slow hash; checked again when writing
    password = generate_password()
    with outside_transaction():
        password_hash = hash_password(password)
    user = create_user(username, display_name, Role.TEACHER, password_hash, must_change_password=True)
    return IssuedPassword(user, password)


def import_trainees(classroom: Classroom, text: str) -> list[IssuedPassword]:
    """Create every trainee of a class list, or none: ImportErrors lists each bad line.

    Reads and checks everything, hashes every generated password with no
    transaction open, then creates the accounts in one short write.
    """
    classroom_id = classroom.id
    rows, errors = class_list.parse(text)
    firm_ids = {class_list.fold(f.trade_name): f.id for f in classroom.firms}
    firm_names = [f.trade_name for f in classroom.firms]
    taken = set(db.session.scalars(select(User.username)))
    usernames: dict[int, str] = {}
    for row in rows:
        problem = _trainee_row_problem(row, firm_ids, firm_names, taken)
        if problem:
            errors.append((row.line, problem))
            continue
        username = row.username or _free_username(row, taken)
        taken.add(username)
        usernames[row.line] = username
    if errors:
        raise ImportErrors(sorted(errors))
    passwords = {row.line: generate_password() for row in rows}
    with outside_transaction():
        hashes = {line: hash_password(password) for line, password in passwords.items()}
    classroom = db.session.get(Classroom, classroom_id)
    issued = []
    for row in rows:
        user = create_user(usernames[row.line], row.display_name, Role.TRAINEE, hashes[row.line],
                           classroom, must_change_password=True)
        firm = db.session.get(Firm, firm_ids[class_list.fold(row.firm)]) if row.firm else None
        position = row.position or Position.COMMERCIAL.value
        if firm:
            add_member(firm, user, position)
        issued.append(IssuedPassword(user, passwords[row.line], firm.trade_name if firm else "",
                                     Position(position).label if firm else ""))
    return issued


def _trainee_row_problem(row, firm_ids: dict, firm_names: list[str], taken: set[str]) -> str | None:
    if row.username and row.username in taken:
        return f"L'identifiant « {row.username} » est déjà utilisé."
    if row.firm and class_list.fold(row.firm) not in firm_ids:
        names = ", ".join(firm_names) or "aucune entreprise créée"
        return f"Entreprise « {row.firm} » inconnue dans cette classe ({names})."
    return None


def _free_username(row, taken: set[str]) -> str:
    base = class_list.suggest_username(row.first_name, row.last_name)
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}{suffix}", suffix + 1
    return candidate


def reset_password(user: User) -> IssuedPassword:
    """A new generated password for `user`, to be changed at their next login."""
    user_id = user.id
    password = generate_password()
    with outside_transaction():
        password_hash = hash_password(password)
    user = db.session.get(User, user_id)
    set_password_hash(user, password_hash, must_change=True)
    return IssuedPassword(user, password)


def deactivate_user(user: User, actor: User) -> None:
    if user.id == actor.id:
        raise DomainError("Vous ne pouvez pas désactiver votre propre compte.")
    user.active = False
    end_all_sessions(user)


def reactivate_user(user: User) -> None:
    user.active = True
    db.session.flush()
