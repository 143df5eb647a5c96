"""Forms of the stock screens."""
from __future__ import annotations

from datetime import date

from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import StopValidation, Length, NumberRange, Optional

from crm.core.forms import Form, Required, strip_filter
from crm.core.tenancy import scoped
from crm.extensions import db
from crm.ventes.forms import AmountField, NonNegative
from crm.ventes.models import Product, ProductFamily

NOT_INTEGER = "Saisissez un nombre entier, par exemple 12."


class Count(IntegerField):
    """An integer field whose bad input gets a French message."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(NOT_INTEGER) from None
        else:
            self.data = None

    def pre_validate(self, form):
        # Bad input keeps its own message (not "required"), and nothing else runs.
        if self.process_errors:
            raise StopValidation()


def NonNegativeInt():  # noqa: N802 - reads like a validator class
    return NumberRange(min=0, message="La valeur ne peut pas être négative.")


class ManualMoveForm(Form):
    product_id = SelectField("Article", coerce=int, validate_choice=True)
    kind = RadioField("Mouvement", choices=[("reception", "Réception sans commande (entrée)"),
                                             ("loss", "Casse / perte (sortie)")], default="reception")
    quantity = Count("Quantité", [Required(), NumberRange(min=1, message="Saisissez une quantité d'au moins 1.")])
    unit_cost = AmountField("Coût d'achat unitaire HT (€)", [Optional(), NonNegative()],
                            description="Réception seulement ; vide = prix d'achat de la fiche article.")
    source = StringField("Document d'origine", [Length(max=80)], filters=[strip_filter],
                         description="Par exemple : BL fournisseur n° 4512.")
    note = StringField("Commentaire", [Length(max=255)], filters=[strip_filter],
                       description="Obligatoire pour une casse ou une perte : sa cause.")
    alert = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        products = db.session.scalars(
            scoped(Product).where(Product.stock_tracked.is_(True), Product.active.is_(True))
            .order_by(Product.reference)
        ).all()
        self.product_id.choices = [(p.id, f"{p.reference} — {p.label} ({p.on_hand} en stock)") for p in products]


class ThresholdForm(Form):
    minimum = Count("Stock minimum", [Required(), NonNegativeInt()],
                    description="En dessous, risque de rupture.")
    safety = Count("Stock de sécurité", [Required(), NonNegativeInt()],
                   description="Réserve contre un retard de livraison ou une hausse des ventes.")
    maximum = Count("Stock maximum", [Required(), NonNegativeInt()],
                    description="Niveau à ne pas dépasser (place, argent immobilisé).")
    alert_mode = RadioField("Stock d'alerte", choices=[("typed", "Je le saisis"),
                                                      ("computed", "Je le calcule d'après la consommation")],
                            default="typed")
    alert = Count("Stock d'alerte (point de commande)", [Optional(), NonNegativeInt()])
    period_days = Count("Période observée (jours)", [Optional(), NumberRange(min=1, message="Au moins 1 jour.")],
                        description="Par exemple 30 : consommation des 30 derniers jours.")
    lead_time_days = Count("Délai de livraison du fournisseur (jours)", [Optional(), NonNegativeInt()])


class SettingsForm(Form):
    allow_negative_stock = BooleanField("Autoriser le stock négatif",
                                        description="Déconseillé : une vente pourra sortir plus que le stock.")


class CountForm(Form):
    label = StringField("Libellé", [Required(), Length(max=120)], filters=[strip_filter],
                        default=lambda: f"Inventaire du {date.today():%d/%m/%Y}")
    counted_on = DateField("Date du comptage", [Required()], default=date.today)
    family_id = SelectField("Articles à compter", coerce=int, validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        families = db.session.scalars(scoped(ProductFamily).order_by(ProductFamily.name)).all()
        self.family_id.choices = [(0, "Tous les articles suivis en stock")] + [
            (f.id, f"Famille : {f.name}") for f in families]


def parse_counts(formdata, lines) -> tuple[dict[int, int | None], dict[int, str]]:
    """Counted quantities typed on the entry sheet: values by line id, French errors by line id."""
    values: dict[int, int | None] = {}
    errors: dict[int, str] = {}
    for line in lines:
        raw = (formdata.get(f"counted-{line.id}") or "").strip()
        if not raw:
            values[line.id] = None
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[line.id] = f"« {raw} » n'est pas un nombre entier : saisissez la quantité comptée (0 si absent)."
            continue
        if value < 0:
            errors[line.id] = "Une quantité comptée ne peut pas être négative."
            continue
        values[line.id] = value
    return values, errors
