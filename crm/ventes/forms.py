"""Forms of the catalogue and of the pricing calculator."""
from __future__ import annotations

from decimal import Decimal

from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from crm.core.money import VAT_CHOICES
from crm.core.forms import AmountField, Form, NonNegative, Required, strip_filter
from crm.core.tenancy import scoped
from crm.extensions import db
from crm.ventes.models import ProductFamily



class FamilyForm(Form):
    name = StringField("Nom de la famille", [Required(), Length(max=80)], filters=[strip_filter])


class ProductForm(Form):
    reference = StringField("Référence", [Required(), Length(max=40)], filters=[strip_filter],
                            description="Unique dans votre entreprise, par exemple CAF-250.")
    label = StringField("Désignation", [Required(), Length(max=160)], filters=[strip_filter])
    barcode = StringField("Code-barres", [Optional(), Length(max=20)], filters=[strip_filter],
                          description="Facultatif : le code EAN imprimé sur l'article, lu par la douchette de la caisse.")
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
            "stock_tracked", "active", "description", "advantages", "barcode")}
        data["barcode"] = (data["barcode"] or "").replace(" ", "")
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
