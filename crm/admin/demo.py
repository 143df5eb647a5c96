"""Loading the demo: one classroom, its teacher, its firms (each from a scenario file), three trainees."""
from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select

from crm.admin import services
from crm.core.models import Role, User
from crm.core.passwords import generate_password
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
    if db.session.scalar(select(User.id).where(User.username == data["teacher"]["username"])):
        return None
    password = password or generate_password()
    teacher = services.create_user(
        data["teacher"]["username"], data["teacher"]["display_name"], Role.TEACHER, password
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
        for trainee in firm_data["trainees"]:
            user = services.create_user(
                trainee["username"], trainee["display_name"], Role.TRAINEE, password, classroom
            )
            services.add_member(firm, user, trainee["position"])
            accounts.append((user.username, password))
    return accounts
