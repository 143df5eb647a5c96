"""Forms of sales documents; choice lists hold the current firm's parties and products only."""
from __future__ import annotations

from decimal import Decimal

from wtforms import (
    BooleanField, DateField, FieldList, Form as PlainForm, FormField,
    HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from crm.clients.picking import CUSTOMERS
from crm.core.forms import AmountField, Form, Required, strip_filter
from crm.core.money import VAT_CHOICES as MONEY_VAT_CHOICES
from crm.core.picker import PickerField
from crm.ventes.documents.models import PAYMENT_METHODS
from crm.ventes.picking import PRODUCTS

VAT_CHOICES = [("", "Taux de l'article"), *MONEY_VAT_CHOICES]
RATE_VALIDATORS = [Optional(), NumberRange(min=0, max=100, message="Un taux entre 0 et 100 %%.")]


class LineForm(PlainForm):
    """One document line; a line left entirely empty is ignored (that is how one removes it)."""

    class Meta:
        locales = ("fr_FR", "fr")

    product_id = PickerField("Article", source=PRODUCTS, empty_label="Ligne libre (sans article)")
    description = StringField("Désignation", [Length(max=255)], filters=[strip_filter])
    quantity = AmountField("Quantité", [Optional()], places=3)
    unit_price = AmountField("Prix unitaire HT", [Optional()], places=2,
                             description="Vide : prix de l'article.")
    discount_rate = AmountField("Remise %", RATE_VALIDATORS, places=2)
    vat_rate = SelectField("TVA", choices=VAT_CHOICES, validate_choice=True, default="")
    # The line of the previous document this one carries on (order line of a delivery line).
    source_line_id = HiddenField()

    def is_blank(self) -> bool:
        return not (self.product_id.data or self.description.data or self.quantity.data)


class DocumentForm(Form):
    party_id = PickerField("Client", [Required("Choisissez le client (ou le prospect).")], source=CUSTOMERS)
    issue_date = DateField("Date", [InputRequired("Indiquez la date du document.")])
    valid_until = DateField("Valable jusqu'au", [Optional()])
    delivery_date = DateField("Date de livraison ou de vente", [Optional()],
                              description="Vide : la date du bon de livraison ou du document.")
    remise_rate = AmountField("Remise %", RATE_VALIDATORS, places=2,
                               description="Réduction commerciale sur l'ensemble.")
    rabais_rate = AmountField("Rabais %", RATE_VALIDATORS, places=2,
                               description="Pour un défaut ou un retard, sur le net après remise.")
    ristourne_rate = AmountField("Ristourne %", RATE_VALIDATORS, places=2,
                                  description="Selon le chiffre d'affaires du client, sur le net après rabais.")
    escompte_rate = AmountField("Escompte %", RATE_VALIDATORS, places=2,
                                 description="Réduction financière pour paiement anticipé.")
    goods_returned = BooleanField("Les marchandises sont retournées et remises en stock")
    notes = TextAreaField("Note", [Length(max=2000)], render_kw={"rows": 2})
    lines = FieldList(FormField(LineForm), min_entries=1)

    def validate_valid_until(self, field):
        if field.data and self.issue_date.data and field.data < self.issue_date.data:
            raise ValidationError("La fin de validité ne peut pas précéder la date du devis.")


class DerivedDocumentForm(Form):
    """A document made from another: its dates and note, then one quantity per line of the source."""

    issue_date = DateField("Date", [InputRequired("Indiquez la date du document.")])
    delivery_date = DateField("Date de livraison ou de vente", [Optional()],
                              description="Vide : la date du bon de livraison ou du document.")
    goods_returned = BooleanField("Les marchandises sont retournées et remises en stock")
    notes = TextAreaField("Note", [Length(max=2000)], render_kw={"rows": 2})


def derived_document_form(source_lines, **kwargs) -> DerivedDocumentForm:
    """The form with a `quantity_<source line id>` field per line of the source (0 allowed)."""

    class _Form(DerivedDocumentForm):
        pass

    for line in source_lines:
        setattr(_Form, f"quantity_{line.id}", AmountField(
            f"Quantité — {line.description}",
            [InputRequired("Indiquez une quantité (0 si cet article n'est pas repris)."),
             NumberRange(min=0, message="La quantité est de 0 ou plus.")], places=3))
    return _Form(**kwargs)


class PaymentForm(Form):
    amount = AmountField("Montant", [InputRequired("Indiquez le montant réglé."),
                                     NumberRange(min=Decimal("0.01"), message="Le montant doit être positif.")],
                         places=2)
    method = SelectField("Mode de règlement", choices=list(PAYMENT_METHODS.items()), validate_choice=True)
    paid_on = DateField("Date du règlement", [InputRequired("Indiquez la date du règlement.")])
    reference = StringField("Référence", [Length(max=60)], filters=[strip_filter],
                            description="N° de chèque, de transaction…")
    allow_overpayment = BooleanField("Trop-perçu : le client a versé plus que le reste à payer")


class InvoiceDeliveriesForm(Form):
    delivery_ids = SelectMultipleField("Bons de livraison à facturer", coerce=int, validate_choice=True)
