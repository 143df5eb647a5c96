"""Forms of the stock screens."""
from __future__ import annotations


from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import StopValidation, Length, NumberRange, Optional

from crm.clients.picking import SUPPLIERS
from crm.core.clock import current_business_date
from crm.core.forms import AmountField, Form, NonNegative, Required, strip_filter
from crm.core.limits import INT_MESSAGE, int_in_range
from crm.core.picker import PickerField
from crm.core.tenancy import scoped
from crm.extensions import db
from crm.ventes.forms import VAT_CHOICES
from crm.ventes.models import ProductFamily
from crm.ventes.picking import STOCK_PRODUCTS

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


MAX_DAYS = 3650  # periods and lead times in days: ten years at most (dates stay computable)


def LeadTime():  # noqa: N802 - reads like a validator class
    return NumberRange(min=0, max=MAX_DAYS, message="La valeur ne peut pas être négative ni dépasser 3 650 jours.")


class ManualMoveForm(Form):
    # The view loads the id with get_or_404 (a foreign id → 404).
    product_id = PickerField("Article", [Required("Choisissez l'article.")], source=STOCK_PRODUCTS)
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
    period_days = Count("Période observée (jours)",
                        [Optional(), NumberRange(min=1, max=MAX_DAYS,
                                                 message="Au moins 1 jour, au plus 3 650 jours (dix ans).")],
                        description="Par exemple 30 : consommation des 30 derniers jours.")
    lead_time_days = Count("Délai de livraison du fournisseur (jours)", [Optional(), LeadTime()],
                           description="Repris du fournisseur habituel quand son délai est connu.")
    supplier_id = PickerField("Fournisseur habituel", source=SUPPLIERS, empty_label="Aucun fournisseur",
                              description="Les propositions de réapprovisionnement lui sont adressées.")


class SettingsForm(Form):
    allow_negative_stock = BooleanField("Autoriser le stock négatif",
                                        description="Déconseillé : une vente pourra sortir plus que le stock.")


class CountForm(Form):
    label = StringField("Libellé", [Required(), Length(max=120)], filters=[strip_filter],
                        default=lambda: f"Inventaire du {current_business_date():%d/%m/%Y}")
    counted_on = DateField("Date du comptage", [Required()], default=current_business_date)
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
        if not int_in_range(value):
            errors[line.id] = f"{INT_MESSAGE} Saisissez la quantité comptée."
            continue
        values[line.id] = value
    return values, errors


class SupplierTermsForm(Form):
    lead_time_days = Count("Délai de livraison (jours)", [Required(), LeadTime()],
                           description="Jours entre la commande et la livraison ; sert au calcul du stock d'alerte.")
    minimum_order = AmountField("Minimum de commande HT (€)", [Optional(), NonNegative()],
                                description="Vide ou 0 : pas de minimum.")


class PurchaseOrderForm(Form):
    # The view loads the id with get_or_404 (a foreign id → 404).
    supplier_id = PickerField("Fournisseur", [Required("Choisissez le fournisseur.")], source=SUPPLIERS)
    order_date = DateField("Date de la commande", [Required()], default=current_business_date)
    notes = StringField("Remarque", [Length(max=255)], filters=[strip_filter])


class OrderLineForm(Form):
    # The view loads the id with get_or_404 (a foreign id → 404).
    product_id = PickerField("Article", [Required("Choisissez l'article.")], source=STOCK_PRODUCTS)
    quantity = Count("Quantité", [Required(), NumberRange(min=1, message="Saisissez une quantité d'au moins 1.")])
    unit_price = AmountField("Prix d'achat unitaire HT (€)", [Optional(), NonNegative()],
                             description="Vide : prix d'achat de la fiche article.")
    vat_rate = SelectField("TVA", choices=[("", "Taux de l'article")] + VAT_CHOICES, default="",
                           validate_choice=True)


class ReceiptForm(Form):
    received_on = DateField("Date de réception", [Required()], default=current_business_date)
    delivery_note = StringField("N° du bon de livraison fournisseur", [Length(max=80)], filters=[strip_filter])
    note = StringField("Remarque générale", [Length(max=255)], filters=[strip_filter])


def parse_receipt_lines(formdata, order_lines):
    """Per order line: delivered, damaged, extra flag, note. Returns (values by line id, errors by line id)."""
    from crm.stocks.purchasing import ReceiptLineInput

    values, errors = {}, {}
    for line in order_lines:
        numbers = {}
        for name, label in (("received", "reçue"), ("damaged", "abîmée")):
            raw = (formdata.get(f"{name}-{line.id}") or "").strip()
            if not raw:
                numbers[name] = 0
                continue
            try:
                numbers[name] = int(raw)
            except ValueError:
                errors[line.id] = f"« {raw} » n'est pas un nombre entier : saisissez la quantité {label}."
                break
            if numbers[name] < 0:
                errors[line.id] = f"La quantité {label} ne peut pas être négative."
                break
        if line.id in errors:
            continue
        values[line.id] = ReceiptLineInput(numbers["received"], numbers["damaged"],
                                           formdata.get(f"extra-{line.id}") == "1",
                                           (formdata.get(f"note-{line.id}") or "").strip()[:255])
    return values, errors


class ReturnForm(Form):
    returned_on = DateField("Date du retour", [Required()], default=current_business_date)
    reason = StringField("Motif du retour", [Required("Indiquez le motif du retour."), Length(max=255)],
                         filters=[strip_filter], description="Casse, défaut, erreur de livraison… (obligatoire)")


def parse_return_lines(formdata, order_lines):
    """Per order line: units damaged at the reception and units taken from stock to send back.
    Returns (values by (line id, source), errors by line id)."""
    values, errors = {}, {}
    for line in order_lines:
        for source, label in (("damaged", "abîmée à la réception"), ("stock", "reprise du stock")):
            raw = (formdata.get(f"{source}-{line.id}") or "").strip()
            if not raw:
                continue
            try:
                quantity = int(raw)
            except ValueError:
                errors[line.id] = f"« {raw[:20]} » n'est pas un nombre entier : saisissez la quantité {label}."
                break
            if quantity < 0:
                errors[line.id] = f"La quantité {label} ne peut pas être négative."
                break
            if not int_in_range(quantity):
                errors[line.id] = INT_MESSAGE
                break
            values[(line.id, source)] = quantity
    return values, errors
