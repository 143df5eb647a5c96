"""Party pickers: the search behind every "choose a client / supplier" field (crm.core.picker)."""
from __future__ import annotations

import re

from sqlalchemy import or_, select

from crm.clients.models import Party
from crm.clients.services import matching_words
from crm.core.picker import Match, PickerSource
from crm.extensions import db

# A client code as printed on documents: "C00042" (the party's id).
CLIENT_CODE = re.compile(r"^[cC]0*(\d{1,9})$")
HELP = "Tapez quelques lettres du nom, la ville, le n° SIRET ou le code client (C00042)."


def _match(party: Party) -> Match:
    hint = [party.kind_label]
    if party.city:
        hint.append(party.city)
    if party.siret:
        hint.append(f"SIRET {party.siret}")
    hint.append(f"C{party.id:05d}")
    return Match(party.id, party.name or party.sort_name, " · ".join(hint), f"C{party.id:05d}")


def _scope(firm_id: int, kinds: tuple[str, ...]):
    return select(Party).where(Party.firm_id == firm_id, Party.kind.in_(kinds), Party.anonymised_at.is_(None))


def _searcher(kinds: tuple[str, ...]):
    def search(firm_id: int, text: str, limit: int) -> list[Match]:
        query = _scope(firm_id, kinds)
        code = CLIENT_CODE.match(text.strip())
        if code:
            by_words = matching_words(select(Party.id).where(Party.firm_id == firm_id), text)
            query = query.where(or_(Party.id == int(code.group(1)), Party.id.in_(by_words)))
        else:
            query = matching_words(query, text)
        # (firm_id, kind, sort_key) index: the first `limit` in name order, no sort of the table.
        parties = db.session.scalars(query.order_by(Party.sort_key, Party.id).limit(limit))
        return [_match(p) for p in parties]

    return search


def _loader(kinds: tuple[str, ...]):
    def load(firm_id: int, party_id: int) -> Match | None:
        party = db.session.scalar(_scope(firm_id, kinds).where(Party.id == party_id))
        return _match(party) if party is not None else None

    return load


def _source(kinds: tuple[str, ...], name: str) -> PickerSource:
    return PickerSource(endpoint="clients.pick_parties", search=_searcher(kinds), load=_loader(kinds),
                        help=HELP, endpoint_args=(("type", name),))


# ?type= of the JSON endpoint → source
SOURCES = {
    "clients": _source(("client", "prospect"), "clients"),  # sales documents, till, desk
    "fournisseurs": _source(("supplier",), "fournisseurs"),  # purchase orders, thresholds
    "tous": _source(("client", "prospect", "supplier"), "tous"),
}
CUSTOMERS = SOURCES["clients"]
SUPPLIERS = SOURCES["fournisseurs"]
PARTIES = SOURCES["tous"]
