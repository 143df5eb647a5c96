"""Forms of the e-invoice screens."""
from decimal import Decimal

from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from crm.clients.picking import PARTIES
from crm.core.forms import AmountField, Form, Required, strip_filter
from crm.core.picker import PickerField
from crm.einvoice.models import SUPPLIER_PAYMENT_METHODS
from crm.einvoice.services import LINK_KINDS


class UploadForm(Form):
    file = FileField("Facture reçue (Factur-X PDF ou XML CII)", [FileRequired("Choisissez le fichier reçu.")],
                     description="PDF Factur-X ou XML CII (EN 16931), 4 Mo au plus.")


class LinkForm(Form):
    """Link a directory firm as a new party made from its identity sheet."""

    kind = SelectField("Lier comme", choices=list(LINK_KINDS.items()), validate_choice=True)


class LinkPartyForm(Form):
    """Link a directory firm to a party already in the file (a client, prospect or supplier)."""

    party_id = PickerField("Fiche de votre fichier", [Required("Choisissez la fiche à lier.")],
                           source=PARTIES, description="Tapez le nom ou la ville : un client, un prospect ou "
                                                       "un fournisseur professionnel.")


class SupplierPaymentForm(Form):
    amount = AmountField("Montant", [InputRequired("Indiquez le montant réglé."),
                                     NumberRange(min=Decimal("0.01"), message="Le montant doit être positif.")],
                         places=2)
    method = SelectField("Mode de règlement", choices=list(SUPPLIER_PAYMENT_METHODS.items()), validate_choice=True)
    paid_on = DateField("Date du règlement", [InputRequired("Indiquez la date du règlement.")])
    reference = StringField("Référence", [Length(max=60)], filters=[strip_filter],
                            description="N° de virement, de chèque…")


class DecisionForm(Form):
    reason = TextAreaField("Raison", [Length(max=500)], filters=[strip_filter], render_kw={"rows": 2},
                           description="Obligatoire pour accepter des écarts ou pour contester la facture.")


class OrderChoiceForm(Form):
    order_id = SelectField("Commande fournisseur", coerce=int, validate_choice=True)


class TypedInvoiceForm(Form):
    """A paper invoice typed against a purchase order; the quantity and price fields per order line are read
    from the request by name (quantity_<line id>, price_<line id>)."""

    number = StringField("N° de la facture du fournisseur", [InputRequired("Indiquez le numéro de la facture."),
                                                             Length(max=60)], filters=[strip_filter])
    issue_date = DateField("Date de la facture", [InputRequired("Indiquez la date de la facture.")])
    due_date = DateField("Échéance", [Optional()])


class ReturnChoiceForm(Form):
    """A credit note: the return it credits, and the invoice it is deducted from (0: none, kept to the credit of
    the supplier account)."""

    return_id = SelectField("Bon de retour crédité", coerce=int, validate_choice=True)
    applied_to_id = SelectField("Déduire de la facture", coerce=int, validate_choice=True,
                                description="Sa somme à régler baisse d'autant ; sans facture, l'avoir reste au "
                                            "crédit du compte fournisseur.")


class TypedCreditNoteForm(Form):
    """A paper credit note typed from a supplier return; quantity_<order line id> and price_<order line id>
    are read from the request by name."""

    number = StringField("N° de l'avoir du fournisseur", [InputRequired("Indiquez le numéro de l'avoir."),
                                                          Length(max=60)], filters=[strip_filter])
    issue_date = DateField("Date de l'avoir", [InputRequired("Indiquez la date de l'avoir.")])
