"""Forms of the catalogue and of the pricing calculator."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, DateField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import StopValidation, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from crm.core.forms import Form, Required, strip_filter
from crm.core.tenancy import scoped
from crm.extensions import db
from crm.ventes.models import ProductFamily

VAT_CHOICES = [("20", "20 %"), ("10", "10 %"), ("5.5", "5,5 %"), ("2.1", "2,1 %"), ("0", "0 %")]


def parse_decimal(text: str) -> Decimal:
    """'1 234,50' or '1234.50' → Decimal; ValueError with a French message otherwise."""
    cleaned = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "").replace("%", "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Ce n'est pas un nombre : saisissez par exemple 12,50.") from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise ValueError("Ce nombre n'est pas valide.")
    return value


class AmountField(Field):
    """A decimal typed the French way (comma or point), kept as Decimal; empty → None."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, places: int = 2, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.places = places

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data, "f").replace(".", ",")

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        try:
            value = parse_decimal(valuelist[0])
        except ValueError as error:
            raise ValueError(str(error)) from None
        if value.as_tuple().exponent < -self.places:
            raise ValueError(f"{self.places} décimales au plus.")
        self.data = value

    def pre_validate(self, form):
        # Bad input keeps its own message (not "required"), and nothing else runs.
        if self.process_errors:
            raise StopValidation()


class NonNegative:
    def __call__(self, form, field):
        if field.data is not None and field.data < 0:
            raise ValidationError("La valeur ne peut pas être négative.")


class FamilyForm(Form):
    name = StringField("Nom de la famille", [Required(), Length(max=80)], filters=[strip_filter])


class ProductForm(Form):
    reference = StringField("Référence", [Required(), Length(max=40)], filters=[strip_filter],
                            description="Unique dans votre entreprise, par exemple CAF-250.")
    label = StringField("Désignation", [Required(), Length(max=160)], filters=[strip_filter])
    family_id = SelectField("Famille", coerce=int, validate_choice=True)
    unit = StringField("Unité", [Required(), Length(max=20)], filters=[strip_filter], default="unité",
                       description="unité, kg, lot de 6, heure…")
    purchase_price = AmountField("Prix d'achat HT (€)", [Required(), NonNegative()])
    sale_price = AmountField("Prix de vente HT (€)", [Required(), NonNegative()])
    vat_rate = SelectField("Taux de TVA", choices=VAT_CHOICES, default="20", validate_choice=True)
    stock_tracked = BooleanField("Article suivi en stock", default=True,
                                 description="Décochez pour une prestation de service.")
    active = BooleanField("Article actif (proposé à la vente)", default=True)
    description = TextAreaField("Description", [Length(max=5000)], render_kw={"rows": 3})
    advantages = TextAreaField("Avantages pour le client (un par ligne)", [Length(max=5000)],
                               render_kw={"rows": 4},
                               description="L'argumentaire : ce que le produit apporte au client.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        families = db.session.scalars(scoped(ProductFamily).order_by(ProductFamily.name)).all()
        self.family_id.choices = [(0, "— sans famille —")] + [(f.id, f.name) for f in families]

    def product_data(self) -> dict:
        data = {name: self[name].data for name in (
            "reference", "label", "family_id", "unit", "purchase_price", "sale_price", "vat_rate",
            "stock_tracked", "active", "description", "advantages")}
        data["family_id"] = data["family_id"] or None
        data["vat_rate"] = Decimal(data["vat_rate"])
        return data


class ObjectionForm(Form):
    objection = StringField("Objection du client", [Required(), Length(max=255)], filters=[strip_filter],
                            description="Par exemple : « C'est trop cher. »")
    answer = TextAreaField("Réponse à apporter", [Required(), Length(max=2000)], render_kw={"rows": 2})


class PromotionForm(Form):
    price = AmountField("Prix promotionnel HT (€)", [Required(), NonNegative()])
    starts_on = DateField("Du", [Required()])
    ends_on = DateField("Au (inclus)", [Required()])
    label = StringField("Libellé", [Optional(), Length(max=80)], filters=[strip_filter],
                        description="Par exemple : Soldes d'hiver.")


class PricingForm(Form):
    """Not CSRF-protected: it is a GET calculator that changes nothing."""

    class Meta:
        csrf = False

    vat_rate = SelectField("Taux de TVA", choices=VAT_CHOICES, default="20", validate_choice=True)
    purchase_price = AmountField("Prix d'achat HT (€)", [Optional()])
    sale_price = AmountField("Prix de vente HT (€)", [Optional()])
    sale_price_ttc = AmountField("Prix de vente TTC (€)", [Optional()])
    coefficient = AmountField("Coefficient multiplicateur", [Optional()], places=4,
                              description="PV TTC ÷ PA HT")
    markup_rate = AmountField("Taux de marque (%)", [Optional()], description="Marge ÷ PV HT × 100")
    margin_rate = AmountField("Taux de marge (%)", [Optional()], description="Marge ÷ PA HT × 100")

    FIGURES = ("purchase_price", "sale_price", "sale_price_ttc", "coefficient", "markup_rate", "margin_rate")

    def figures(self) -> dict:
        return {name: self[name].data for name in self.FIGURES}
