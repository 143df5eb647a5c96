"""Loading the demo: one classroom, its teacher, its firms (each from a scenario file), three trainees."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from crm.admin import services
from crm.core.models import Role, User
from crm.core.errors import DomainError
from crm.core.passwords import MIN_LENGTH, generate_password, hash_password
from crm.extensions import db
from crm.formation.scenarios.library import LIBRARY

DEMO_FILE = Path(__file__).parent / "data" / "demo.yaml"


def load_demo(password: str | None = None, manifest: Path = DEMO_FILE) -> list[tuple[str, str]] | None:
    """Create the demo accounts and firms; None if they exist already (nothing changed).

    Returns (username, password) pairs to print. One password for every demo
    account: given by the caller (CRM_DEMO_PASSWORD) or generated. Each firm is
    loaded from its scenario (path relative to the manifest, or in the library).
    """
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    password = password or generate_password()
    if len(password) < MIN_LENGTH:
        raise DomainError(f"Le mot de passe de démonstration doit contenir au moins {MIN_LENGTH} caractères.")
    password_hash = hash_password(password)  # one hash for every demo account, before any transaction
    if db.session.scalar(select(User.id).where(User.username == data["teacher"]["username"])):
        return None
    teacher = services.create_user(
        data["teacher"]["username"], data["teacher"]["display_name"], Role.TEACHER, password_hash
    )
    classroom = services.create_classroom(
        teacher, data["classroom"]["name"], data["classroom"]["school_year"]
    )
    accounts = [(teacher.username, password)]
    for firm_data in data["firms"]:
        from crm.formation.scenarios.loader import load_source

        path = manifest.parent / firm_data["scenario"]
        if not path.exists():
            path = LIBRARY / firm_data["scenario"]
        firm = services.create_firm(classroom, {"trade_name": "…"})
        load_source(firm, path.read_text(encoding="utf-8"))
        users = {}
        for trainee in firm_data["trainees"]:
            user = services.create_user(
                trainee["username"], trainee["display_name"], Role.TRAINEE, password_hash, classroom
            )
            services.add_member(firm, user, trainee["position"])
            accounts.append((user.username, password))
            users[user.username] = user
        _assign_call_plans(firm, [users[name] for name in firm_data.get("call_plan_assignees", [])])
    _link_trading_firms(classroom, data.get("trading") or [])
    return accounts


def _link_trading_firms(classroom, links: list[dict]) -> None:
    """The demo firms that trade with each other: a client or supplier linked to the other firm."""
    from crm.core.models import Firm
    from crm.einvoice.services import link_firm
    from crm.formation.journal import journal_silenced

    firms = {firm.trade_name: firm for firm in db.session.scalars(select(Firm).where(
        Firm.classroom_id == classroom.id))}
    with journal_silenced():  # the teacher's setting, not a trainee's work
        for link in links:
            link_firm(firms[link["firm"]], None, firms[link["partner"]], link["kind"])


def _assign_call_plans(firm, users: list) -> None:
    """The demo's call plans (from the scenario) go to the trainees the manifest names."""
    from crm.prospection.models import CallPlan

    if users:
        for plan in db.session.scalars(select(CallPlan).where(CallPlan.firm_id == firm.id)):
            plan.assignees = list(users)
