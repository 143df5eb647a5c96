"""The teacher's operations on scenarios and firms: keep, instantiate, reset, duplicate, delete.

A firm's validated documents, tickets and closings are frozen by the database
(crm.core.immutability) and are the evidence of the trainees' work: deleting or
resetting a firm therefore archives it (it leaves the class, its records and
journal stay readable by the teacher) and, for a reset, a new firm takes its
place, its members and its scenario, loaded afresh.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from crm.admin import services as admin
from crm.core.errors import DomainError
from crm.core.models import Classroom, Firm, Membership, User, utcnow
from crm.extensions import db
from crm.formation.journal import TEACHER_ACTION, record_activity
from crm.formation.models import FirmScenario, Scenario
from crm.formation.scenarios.check import check_scenario
from crm.formation.scenarios.export import export_firm
from crm.formation.scenarios.loader import load_source

MAX_GROUPS = 12


def save_scenario(author: User, source: str, scenario: Scenario | None = None) -> Scenario:
    """Keep a checked scenario in the teacher's library (ScenarioInvalid if it has errors)."""
    parsed, _lines = check_scenario(source)
    if scenario is None:
        scenario = Scenario(author_id=author.id, source=source, name=parsed.scenario.name[:120])
        db.session.add(scenario)
    scenario.name = parsed.scenario.name[:120]
    scenario.description = parsed.scenario.description
    scenario.source = source
    scenario.updated_at = utcnow()
    db.session.flush()
    return scenario


def delete_scenario(scenario: Scenario) -> None:
    db.session.delete(scenario)  # firms loaded from it keep their own copy (FirmScenario)
    db.session.flush()


@dataclass
class Instantiated:
    firm: Firm
    trainees: list[User]


def instantiate(scenario: Scenario, classroom: Classroom, groups: int, actor: User,
                trainees: list[User] | None = None, position: str = "commercial") -> list[Instantiated]:
    """One firm per group, each loaded from the scenario, the trainees dealt round-robin over them."""
    if not 1 <= groups <= MAX_GROUPS:
        raise DomainError(f"Choisissez entre 1 et {MAX_GROUPS} groupes.", "groups")
    trainees = trainees or []
    if any(t.classroom_id != classroom.id for t in trainees):
        raise DomainError("Ces élèves ne sont pas tous de cette classe.", "trainee_ids")
    name = _firm_name(scenario)
    result = []
    for number in range(1, groups + 1):
        firm = admin.create_firm(classroom, {"trade_name": name})
        load_source(firm, scenario.source, actor, scenario_id=scenario.id)
        firm.trade_name = f"{firm.trade_name} — groupe {number}"[:120] if groups > 1 else firm.trade_name
        result.append(Instantiated(firm, []))
    for index, trainee in enumerate(trainees):
        group = result[index % groups]
        admin.add_member(group.firm, trainee, position)
        group.trainees.append(trainee)
    for group in result:
        record_activity(group.firm, actor, "firm.scenario_loaded", group.firm,
                        f"Entreprise créée depuis le scénario « {scenario.name} »", competencies=TEACHER_ACTION)
    db.session.flush()
    return result


def _firm_name(scenario: Scenario) -> str:
    return scenario.name.split(" — ")[0][:100] or "Entreprise"


def snapshot_of(firm: Firm) -> FirmScenario | None:
    return db.session.scalar(select(FirmScenario).where(FirmScenario.firm_id == firm.id))


def reset_firm(firm: Firm, actor: User) -> Firm:
    """Archive the firm and put in its place a new one loaded from its scenario, with the same members."""
    snapshot = snapshot_of(firm)
    if snapshot is None:
        raise DomainError("Cette entreprise n'a pas été créée depuis un scénario : il n'y a pas d'état initial "
                          "à retrouver. Vous pouvez l'exporter, puis la supprimer.")
    replacement = admin.create_firm(firm.classroom, {"trade_name": firm.trade_name})
    load_source(replacement, snapshot.source, actor, scenario_id=snapshot.scenario_id)
    replacement.trade_name, replacement.logo, replacement.logo_mimetype = firm.trade_name, firm.logo, firm.logo_mimetype
    _move_members(firm, replacement)
    _archive(firm, actor, f"Réinitialisée le {utcnow():%d/%m/%Y} depuis le scénario « {snapshot.name} »")
    record_activity(replacement, actor, "firm.reset", replacement,
                    f"Entreprise réinitialisée depuis le scénario « {snapshot.name} » (l'ancienne est archivée)", competencies=TEACHER_ACTION)
    db.session.flush()
    return replacement


def duplicate_firm(firm: Firm, actor: User) -> Firm:
    """A new firm of the class holding the same data (through an export and a load), without members."""
    source = export_firm(firm, name=f"Copie de {firm.trade_name}")
    copy = admin.create_firm(firm.classroom, {"trade_name": firm.trade_name})
    load_source(copy, source, actor)
    copy.trade_name = f"{firm.trade_name} (copie)"[:120]
    record_activity(copy, actor, "firm.duplicated", copy, f"Copie de l'entreprise « {firm.trade_name} »", competencies=TEACHER_ACTION)
    db.session.flush()
    return copy


def delete_firm(firm: Firm, actor: User) -> None:
    """The firm leaves the class and its members are freed; its frozen records stay, archived."""
    for membership in list(firm.memberships):
        db.session.delete(membership)
    _archive(firm, actor, f"Supprimée le {utcnow():%d/%m/%Y} par {actor.display_name}")
    db.session.flush()


def _move_members(old: Firm, new: Firm) -> None:
    for membership in db.session.scalars(select(Membership).where(Membership.firm_id == old.id)).all():
        membership.firm_id = new.id
    db.session.flush()
    db.session.expire(old, ["memberships"])


def _archive(firm: Firm, actor: User, note: str) -> None:
    if firm.is_archived:
        raise DomainError("Cette entreprise est déjà archivée.")
    firm.archived_at = utcnow()
    firm.archive_note = note[:255]
    record_activity(firm, actor, "firm.archived", firm, note, competencies=TEACHER_ACTION)
