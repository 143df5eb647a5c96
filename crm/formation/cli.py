"""Command line of the teacher side: `flask --app crm scenario check|load|export`."""
from __future__ import annotations

import sys

import click

from crm.core.formatting import counted
from crm.extensions import db


@click.group("scenario")
def scenario():
    """Scénarios : vérifier un fichier, le charger dans une entreprise, exporter une entreprise."""


@scenario.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def check(path: str):
    """Vérifie tout le fichier et liste chaque erreur avec son chemin et sa ligne."""
    from crm.formation.scenarios.check import ScenarioInvalid, check_scenario

    try:
        with open(path, "rb") as file:
            parsed, _lines = check_scenario(file.read())
    except ScenarioInvalid as error:
        _print_errors(error)
        sys.exit(1)
    click.echo(f"Scénario « {parsed.scenario.name} » valide : {counted(len(parsed.products), 'article')}, "
               f"{counted(len(parsed.clients), 'client ou prospect', 'clients ou prospects')}, "
               f"{counted(len(parsed.suppliers), 'fournisseur')}, "
               f"{counted(len(parsed.history), 'opération')} d'historique, "
               f"{counted(len(parsed.events), 'événement')}.")


@scenario.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--firm", "firm_id", type=int, required=True, help="Identifiant de l'entreprise (neuve) à remplir.")
def load(path: str, firm_id: int):
    """Charge le scénario dans une entreprise neuve (tout ou rien)."""
    from crm.core.errors import DomainError
    from crm.core.models import Firm
    from crm.formation.scenarios.check import ScenarioInvalid
    from crm.formation.scenarios.loader import load_source

    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise click.ClickException(f"Aucune entreprise n° {firm_id}.")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            parsed = load_source(firm, handle.read())
    except ScenarioInvalid as error:
        db.session.rollback()
        _print_errors(error)
        sys.exit(1)
    except (DomainError, UnicodeDecodeError) as error:
        db.session.rollback()
        raise click.ClickException(getattr(error, "message", "le fichier doit être en UTF-8")) from None
    db.session.commit()
    click.echo(f"Scénario « {parsed.scenario.name} » chargé dans « {firm.trade_name} » (n° {firm.id}).")


@scenario.command("export")
@click.option("--firm", "firm_id", type=int, required=True, help="Identifiant de l'entreprise à exporter.")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="Fichier (défaut : écran).")
def export(firm_id: int, output):
    """Écrit l'entreprise sous forme de scénario (rechargeable dans une entreprise neuve)."""
    from crm.core.models import Firm
    from crm.formation.scenarios.export import export_firm

    firm = db.session.get(Firm, firm_id)
    if firm is None:
        raise click.ClickException(f"Aucune entreprise n° {firm_id}.")
    output.write(export_firm(firm))


def _print_errors(error) -> None:
    count = len(error.errors)
    click.echo(f"Scénario refusé : {count} erreur{'s' if count > 1 else ''}, rien n'a été chargé.", err=True)
    for item in error.errors:
        click.echo(f"  {item}", err=True)
