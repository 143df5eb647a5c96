"""Command line: `flask --app crm demo`, `flask --app crm create-admin`."""
from __future__ import annotations

import os

import click
from flask import Flask

from crm.core.errors import DomainError
from crm.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(create_admin)
    from crm.ventes.caisse.cli import ventes

    app.cli.add_command(ventes)
    from crm.formation.cli import scenario

    app.cli.add_command(scenario)


@click.command("demo")
def demo():
    """Charge les données de démonstration (sans effet si elles existent déjà)."""
    from crm.admin.demo import load_demo

    try:
        accounts = load_demo(os.environ.get("CRM_DEMO_PASSWORD") or None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    if accounts is None:
        db.session.rollback()
        click.echo("Données de démonstration déjà présentes : rien n'a été modifié.")
        return
    db.session.commit()
    click.echo("Données de démonstration chargées. Comptes :")
    for username, password in accounts:
        click.echo(f"  {username:<10} mot de passe : {password}")


@click.command("create-admin")
@click.option("--username", prompt="Identifiant", help="Identifiant de l'administrateur.")
@click.option("--name", "display_name", prompt="Nom affiché", help="Nom affiché.")
@click.password_option("--password", prompt="Mot de passe", confirmation_prompt="Confirmez",
                       help="Au moins 8 caractères.")
def create_admin(username: str, display_name: str, password: str):
    """Crée un compte administrateur (gère les professeurs et toutes les classes)."""
    from crm.admin.services import create_user
    from crm.core.models import Role
    from crm.core.passwords import hash_password, password_problem

    problem = password_problem(password, username.strip().lower())
    if problem:
        raise click.ClickException(problem)
    try:
        user = create_user(username, display_name, Role.ADMIN, hash_password(password))
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Administrateur « {user.username} » créé.")
