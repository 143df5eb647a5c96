"""The till form: the reference being keyed in, the optional client and what the client hands over.

The lines of the ticket being keyed in travel as hidden inputs (line_product,
line_quantity) and are parsed by the view; amounts are parsed by the services
(crm.ventes.till.settle) so that their French messages stay in one place.
"""
from __future__ import annotations

from wtforms import StringField
from wtforms.validators import Length

from crm.clients.picking import CUSTOMERS
from crm.core.forms import Form, strip_filter
from crm.core.picker import PickerField


class TillForm(Form):
    reference = StringField("Référence de l'article", [Length(max=40)], filters=[strip_filter],
                            description="Saisissez la référence ou scannez le code, puis Entrée.")
    quantity = StringField("Quantité", default="1", filters=[strip_filter])
    party_id = PickerField("Client (facultatif)", source=CUSTOMERS, empty_label="Client de passage")
    especes = StringField("Espèces remises", filters=[strip_filter],
                          description="Ce que le client donne : la monnaie est calculée.")
    cheque = StringField("Chèque", filters=[strip_filter])
    carte = StringField("Carte bancaire", filters=[strip_filter])
    virement = StringField("Virement", filters=[strip_filter])

    def tendered_payments(self) -> list[tuple[str, str]]:
        """(mode, amount as typed) for each amount filled in."""
        return [(mode, getattr(self, mode).data) for mode in ("especes", "cheque", "carte", "virement")
                if getattr(self, mode).data]


class CloseDayForm(Form):
    """Only the CSRF token: the day comes from the URL."""
