"""Forms of the clients section (choices are fixed lists or the current firm's values)."""
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from crm.clients.models import (
    ADDRESS_KINDS, CATEGORIES, CHANNELS, CIVILITIES, INTEREST_LEVELS, KINDS, SOURCES, STAGES,
)
from crm.clients.services import SORT_LABELS
from crm.core import identifiers
from crm.core.forms import Form, Normalised, Required, strip_filter

LEGAL_FORMS = [SelectChoice("", "—")] + [SelectChoice(v, v) for v in (
    "EI", "EURL", "SARL", "SAS", "SASU", "SA", "SNC", "Association", "Administration", "Autre")]


def _choices(labels: dict, empty: str | None = None) -> list[tuple[str, str]]:
    head = [SelectChoice("", empty)] if empty is not None else []
    return head + [SelectChoice(str(k), v) for k, v in labels.items()]


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class PartyForm(Form):
    kind = SelectField("Type de tiers", choices=_choices(KINDS))
    category = SelectField("Particulier ou professionnel", choices=_choices(CATEGORIES))
    civility = SelectField("Civilité", choices=_choices(CIVILITIES, "—"))
    first_name = StringField("Prénom", [Length(max=80)], filters=[strip_filter])
    last_name = StringField("Nom", [Length(max=80)], filters=[strip_filter],
                            description="Obligatoire pour un particulier.")
    company_name = StringField("Raison sociale", [Length(max=120)], filters=[strip_filter],
                               description="Obligatoire pour un professionnel.")
    siret = StringField("SIRET", [Normalised(identifiers.siret)], filters=[strip_filter],
                        description="14 chiffres, vérifiés par leur clé de contrôle.")
    vat_number = StringField("N° de TVA intracommunautaire", [Normalised(identifiers.vat_number)],
                             filters=[strip_filter])
    legal_form = SelectField("Forme juridique", choices=LEGAL_FORMS)
    sector = StringField("Secteur d'activité", [Length(max=80)], filters=[strip_filter])
    phone = StringField("Téléphone", [Normalised(identifiers.phone)], filters=[strip_filter],
                        description="Par exemple 01 23 45 67 89.")
    email = StringField("Courriel", [Normalised(identifiers.email)], filters=[strip_filter])
    address_line1 = StringField("Adresse", [Length(max=120)], filters=[strip_filter])
    address_line2 = StringField("Complément d'adresse", [Length(max=120)], filters=[strip_filter])
    postcode = StringField("Code postal", [Normalised(identifiers.postcode)], filters=[strip_filter])
    city = StringField("Ville", [Length(max=80)], filters=[strip_filter])
    segment = StringField("Segment / typologie", [Length(max=60)], filters=[strip_filter],
                          description="Par exemple : artisan, comité d'entreprise, senior…")
    source = SelectField("Origine du contact", choices=_choices(SOURCES, "—"))
    tags = StringField("Étiquettes", [Length(max=200)], filters=[strip_filter],
                       description="Séparées par des virgules, par exemple : fidèle, salon 2026.")
    stage = SelectField("Étape de prospection", choices=_choices(
        {k: v for k, v in STAGES.items() if k != "converti"}, "—"),
        description="Pour un prospect seulement.")
    interest = SelectField("Niveau d'intérêt", choices=_choices(INTEREST_LEVELS, "—"), coerce=_optional_int)
    marketing_consent = BooleanField("Accepte de recevoir nos offres commerciales (consentement RGPD)")
    notes = TextAreaField("Notes", [Length(max=5000)], render_kw={"rows": 4})
    confirm_duplicates = HiddenField(default="")

    def validate_last_name(self, field):
        if self.category.data == "private" and not field.data:
            raise ValidationError("Indiquez le nom d'un particulier.")

    def validate_company_name(self, field):
        if self.category.data == "business" and not field.data:
            raise ValidationError("Indiquez la raison sociale d'un professionnel.")

    def validate_city(self, field):
        if self.postcode.data and not field.data:
            raise ValidationError("Indiquez la ville correspondant au code postal.")

    def party_data(self) -> dict:
        data = {name: self[name].data for name in (
            "kind", "category", "civility", "first_name", "last_name", "company_name", "siret",
            "vat_number", "legal_form", "sector", "phone", "email", "address_line1", "address_line2",
            "postcode", "city", "segment", "source", "tags", "notes")}
        data = {key: (value or "").strip() for key, value in data.items()}
        data["marketing_consent"] = bool(self.marketing_consent.data)
        data["stage"] = self.stage.data or None
        data["interest"] = self.interest.data
        return data


class ContactForm(Form):
    name = StringField("Nom", [Required(), Length(max=120)], filters=[strip_filter])
    role = StringField("Fonction", [Length(max=80)], filters=[strip_filter])
    phone = StringField("Téléphone", [Normalised(identifiers.phone)], filters=[strip_filter])
    email = StringField("Courriel", [Normalised(identifiers.email)], filters=[strip_filter])


class AddressForm(Form):
    kind = SelectField("Type d'adresse", choices=_choices(ADDRESS_KINDS))
    line1 = StringField("Adresse", [Required(), Length(max=120)], filters=[strip_filter])
    line2 = StringField("Complément", [Length(max=120)], filters=[strip_filter])
    postcode = StringField("Code postal", [Required(), Normalised(identifiers.postcode)], filters=[strip_filter])
    city = StringField("Ville", [Required(), Length(max=80)], filters=[strip_filter])


class InteractionForm(Form):
    channel = SelectField("Canal", choices=_choices(CHANNELS))
    subject = StringField("Objet", [Required(), Length(max=160)], filters=[strip_filter])
    summary = TextAreaField("Compte rendu", [Length(max=5000)], render_kw={"rows": 3})
    outcome = StringField("Suite donnée", [Length(max=255)], filters=[strip_filter],
                          description="Par exemple : rappeler le 12/12, devis à envoyer…")
    at = DateTimeLocalField("Date et heure", [Optional()], format="%Y-%m-%dT%H:%M",
                            description="Laisser vide pour maintenant.")


class StageForm(Form):
    stage = SelectField("Étape", choices=_choices({k: v for k, v in STAGES.items() if k != "converti"}))
    interest = SelectField("Intérêt", choices=_choices(INTEREST_LEVELS, "—"), coerce=_optional_int)


class FilterForm(Form):
    """The list's search bar (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Rechercher", [Length(max=100)], filters=[strip_filter],
                    description="Nom, interlocuteur, courriel, téléphone ou ville.")
    kind = SelectField("Type", choices=_choices(KINDS, "Tous"))
    category = SelectField("Catégorie", choices=_choices(CATEGORIES, "Toutes"))
    segment = SelectField("Segment", choices=[SelectChoice("", "Tous")], validate_choice=False)
    tag = StringField("Étiquette", [Length(max=30)], filters=[strip_filter])
    stage = SelectField("Étape", choices=_choices(STAGES, "Toutes"))
    created_from = DateField("Créé à partir du", [Optional()])
    created_to = DateField("Créé jusqu'au", [Optional()])
    sort = SelectField("Trier par", choices=_choices(SORT_LABELS))

    def validate_created_to(self, field):
        if field.data and self.created_from.data and field.data < self.created_from.data:
            raise ValidationError("La date de fin précède la date de début.")


class SaveFilterForm(Form):
    name = StringField("Nom du filtre", [Required(), Length(max=80)], filters=[strip_filter],
                       description="Par exemple : Prospects intéressés du 75.")


class ImportForm(Form):
    file = FileField("Fichier CSV", [FileRequired("Choisissez le fichier à importer.")],
                     description="Séparateur point-virgule ; encodage UTF-8 ou Windows-1252.")


class ConfirmImportForm(Form):
    content = HiddenField()
