"""What other sections may hear about parties, without the clients section importing them.

Accueil keeps its own copies of what visitors said (desk requests); it listens to
`party_anonymised` and erases them, so anonymising a party needs no import of accueil.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the Party as sender, inside the anonymising transaction (receivers flush, never commit).
party_anonymised = _signals.signal("party-anonymised")
