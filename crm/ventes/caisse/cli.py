"""`flask --app crm ventes verify`: check every firm's till chain (exit code 1 if one is broken)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from crm.core.models import Firm
from crm.extensions import db

ventes = AppGroup("ventes", help="Ventes : contrôles de la caisse.")


@ventes.command("verify")
def verify_command():
    """Vérifie la chaîne des tickets et clôtures de caisse de chaque entreprise."""
    from crm.ventes.caisse.services import verify

    broken = 0
    for firm in db.session.scalars(select(Firm).order_by(Firm.id)):
        result = verify(firm)
        if result.intact:
            plural = "s" if result.records > 1 else ""
            click.echo(f"{firm.trade_name} : chaîne intègre ({result.records} enregistrement{plural}).")
        else:
            broken += 1
            click.echo(f"{firm.trade_name} : CHAÎNE ROMPUE — {result.broken.message}")
    db.session.rollback()
    if broken:
        raise click.exceptions.Exit(1)
