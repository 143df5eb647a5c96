"""Front desk actions: organigramme, recording, transmitting, treating and closing requests."""
from __future__ import annotations

from crm.accueil.models import DeskRequest
from crm.clients.models import Party
from crm.extensions import db
from sqlalchemy import select


def anonymise_requests_of(party: Party) -> None:
    """Erase the visitor details typed on the party's desk requests (GDPR)."""
    for desk_request in db.session.scalars(select(DeskRequest).where(DeskRequest.party_id == party.id)):
        desk_request.visitor_name = ""
        desk_request.visitor_phone = ""
        desk_request.visitor_email = ""
