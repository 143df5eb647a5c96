"""The stored codes of the ventes section, one per thing, with their French labels.

Codes are English identifiers used everywhere (documents, till, closings, numbering);
French is only for labels. Codes sealed into the till's hash chain never change
without a migration that keeps the chain verifiable (see LEGACY_PAYMENT_MODES).
"""
from __future__ import annotations

# How a client pays: an invoice's payment (règlement) or a counter sale at the till.
PAYMENT_MODES: dict[str, str] = {
    "cash": "Espèces",
    "cheque": "Chèque",
    "card": "Carte bancaire",
    "transfer": "Virement",
}
CASH = "cash"
# "Le montant payé … doit être positif."
PAID_WITH: dict[str, str] = {
    "cash": "en espèces",
    "cheque": "par chèque",
    "card": "par carte bancaire",
    "transfer": "par virement",
}

# The codes the till used before they were unified (till records sealed with seal_version 1
# carry them in their hash; crm.ventes.caisse.models seals those records with these codes).
LEGACY_PAYMENT_MODES: dict[str, str] = {
    "cash": "especes",
    "cheque": "cheque",
    "card": "carte",
    "transfer": "virement",
}
