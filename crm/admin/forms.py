"""Forms of the teacher screens."""
import re

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField, IntegerField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from crm.core.clock import FRENCH_TIME_ZONES
from crm.core import identifiers
from crm.core.forms import AmountField, Form, Normalised, Required, strip_filter
from crm.core.models import Position

LEGAL_FORMS = [
    ("", "—"), ("EI", "Entreprise individuelle (EI)"), ("EURL", "EURL"), ("SARL", "SARL"),
    ("SAS", "SAS"), ("SASU", "SASU"), ("SA", "SA"), ("SNC", "SNC"),
    ("Association", "Association loi 1901"), ("Autre", "Autre"),
]


class ClassroomForm(Form):
    name = StringField("Nom de la classe", [Required(), Length(max=120)], filters=[strip_filter],
                       description="Par exemple : 2nde MRCU A")
    school_year = StringField(
        "Année scolaire",
        [Required(), Regexp(r"^\d{4}-\d{4}$", message="Format attendu : 2026-2027.")],
        filters=[strip_filter],
        description="Format : 2026-2027",
    )

    teacher_ids = SelectMultipleField(
        "Professeurs de la classe", coerce=int, validate_choice=True,
        description="Les collègues choisis verront la classe, ses entreprises et ses élèves.",
        render_kw={"size": 5})

    def validate_teacher_ids(self, field):
        if not field.data:
            raise ValidationError("Choisissez au moins un professeur.")

    def validate_school_year(self, field):
        if field.errors:  # the format check already failed
            return
        start, end = (int(x) for x in field.data.split("-"))
        if end != start + 1:
            raise ValidationError("Les deux années doivent se suivre, par exemple 2026-2027.")


class LegalIdentityFields(Form):
    """The fields of a firm's legal identity, on the teacher's firm form and the responsable's identity page."""

    legal_form = SelectField("Forme juridique", choices=LEGAL_FORMS, validate_choice=True)
    siren = StringField("SIREN", [Normalised(identifiers.siren)], filters=[strip_filter],
                        description="9 chiffres ; c'est aussi le numéro RCS. Rempli d'après le SIRET s'il est vide.")
    siret = StringField("SIRET", [Normalised(identifiers.siret)], filters=[strip_filter],
                        description="14 chiffres : le SIREN suivi du numéro d'établissement.")
    vat_number = StringField("N° de TVA intracommunautaire", [Normalised(identifiers.vat_number)],
                             filters=[strip_filter], description="Par exemple FR44732829320 : il se termine par le "
                                                                 "SIREN.")
    rcs_city = StringField("Ville du greffe (RCS)", [Length(max=80)], filters=[strip_filter],
                           description="Société : imprimé « RCS Lyon 732 829 320 » (le numéro RCS est le SIREN).")
    share_capital = AmountField("Capital social (€)", [Optional()], places=2,
                                description="Société : imprimé « SARL au capital de 8 000,00 € ».")


class FirmForm(LegalIdentityFields):
    trade_name = StringField("Nom commercial", [Required(), Length(max=120)], filters=[strip_filter])
    address_line1 = StringField("Adresse", [Length(max=120)], filters=[strip_filter])
    address_line2 = StringField("Complément d'adresse", [Length(max=120)], filters=[strip_filter])
    postcode = StringField("Code postal", [Normalised(identifiers.postcode)], filters=[strip_filter])
    city = StringField("Ville", [Length(max=80)], filters=[strip_filter])
    phone = StringField("Téléphone", [Normalised(identifiers.phone)], filters=[strip_filter])
    email = StringField("Courriel", [Normalised(identifiers.email)], filters=[strip_filter])
    website = StringField("Site web", [Optional(), Length(max=200)], filters=[strip_filter])
    iban = StringField("IBAN", [Normalised(identifiers.iban)], filters=[strip_filter])
    bic = StringField("BIC", [Normalised(identifiers.bic)], filters=[strip_filter])
    logo = FileField("Logo", [FileAllowed(["png", "jpg", "jpeg"], "Le logo doit être une image PNG ou JPEG.")],
                     description="PNG ou JPEG, 512 Ko au plus.")
    remove_logo = BooleanField("Retirer le logo actuel")
    terms_of_sale = TextAreaField("Conditions générales de vente", [Length(max=20000)],
                                  render_kw={"rows": 6},
                                  description="Imprimées au dos des devis et des factures.")

    def validate_website(self, field):
        if field.data and not re.match(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", field.data, re.I):
            raise ValidationError("Adresse de site invalide, par exemple www.exemple.fr.")

    def firm_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "trade_name", "legal_form", "siren", "siret", "vat_number", "address_line1",
            "address_line2", "postcode", "city", "phone", "email", "website", "iban", "bic",
            "terms_of_sale", "rcs_city", "share_capital")}


class LegalIdentityForm(LegalIdentityFields):
    """The legal identity a firm's *responsable* keeps (the mentions of its invoices follow)."""

    vat_on_debits = BooleanField(
        "Option pour le paiement de la taxe d'après les débits",
        description="Cochée : la mention est imprimée sur les factures et les avoirs, et transmise dans la "
                    "facture électronique.")

    def identity_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "legal_form", "siren", "siret", "vat_number", "rcs_city", "share_capital")}


class ClassListForm(Form):
    text = TextAreaField(
        "Liste collée",
        render_kw={"rows": 10, "placeholder": "nom;prénom;entreprise;poste\nMartin;Léa;Comptoir démo;accueil"},
        description="Une ligne par élève : nom ; prénom ; entreprise (facultatif) ; poste (facultatif).",
    )
    file = FileField("… ou fichier CSV", [FileAllowed(["csv", "txt"], "Envoyez un fichier .csv ou .txt.")],
                     description="Enregistré depuis un tableur (séparateur ; ou ,), en UTF-8 ou Windows-1252.")

    def content(self) -> str:
        from crm.admin.class_list import decode

        if self.file.data:
            return decode(self.file.data.read())
        return self.text.data or ""

    def validate_text(self, field):
        if not (field.data or "").strip() and not self.file.data:
            raise ValidationError("Collez la liste de la classe ou choisissez un fichier.")


class DirectoryForm(Form):
    open = BooleanField("Annuaire ouvert aux autres classes du serveur")


class MemberForm(Form):
    user_id = SelectField("Élève", coerce=int, validate_choice=True)
    position = SelectField("Poste", choices=Position.choices(), validate_choice=True)


class PositionForm(Form):
    position = SelectField("Poste", choices=Position.choices(), validate_choice=True)


class TeacherForm(Form):
    display_name = StringField("Nom affiché", [Required(), Length(max=120)], filters=[strip_filter],
                               description="Par exemple : Mme Durand")
    username = StringField("Identifiant", [Required(), Regexp(r"^[a-z0-9][a-z0-9._-]{2,63}$",
                           message="3 à 64 caractères : minuscules sans accent, chiffres, point, tiret.")],
                           filters=[strip_filter, lambda v: v.lower() if isinstance(v, str) else v])


class FirmSettingsForm(Form):
    """Commercial settings of a firm; one prefix field per numbered document type."""

    payment_terms_days = IntegerField(
        "Délai de paiement (jours)", [InputRequired("Indiquez le délai de paiement.")],
        description="De 0 (comptant) à 60 jours après la date de facture (Code de commerce, L441-10).")
    late_payment_rate = AmountField(
        "Taux des pénalités de retard (%)", [InputRequired("Indiquez le taux des pénalités.")], places=2,
        description="Taux annuel imprimé sur les factures et appliqué aux relances ; au moins trois fois le "
                    "taux d'intérêt légal. C'est la seule source de cette mention : ne la répétez pas dans "
                    "les conditions générales de vente.")
    escompte_terms = TextAreaField(
        "Conditions d'escompte", [Length(max=500)], render_kw={"rows": 2},
        description="Vide : « Pas d'escompte pour paiement anticipé. »")
    vat_on_debits = BooleanField(
        "Option pour le paiement de la taxe d'après les débits",
        description="Cochée : la TVA des prestations de services est due à la facturation ; la mention est "
                    "imprimée sur les factures et transmise dans la facture électronique.")
    time_zone = SelectField(
        "Fuseau horaire", choices=FRENCH_TIME_ZONES, validate_choice=True,
        description="Les heures (tickets, journal, historique) s'affichent à l'heure de ce lieu.")


def firm_settings_form(formdata=None, **data):
    """FirmSettingsForm with one `prefix_<type>` field per document type, built at run time."""
    from crm.core.numbering_models import DOCUMENT_TYPES

    class Bound(FirmSettingsForm):
        pass

    for doc_type, label in DOCUMENT_TYPES.items():
        setattr(Bound, f"prefix_{doc_type}", StringField(
            f"Préfixe — {label}", [InputRequired("Indiquez un préfixe.")], filters=[strip_filter],
            description="{year} : l'année (2026), {yy} : sur deux chiffres."))
    return Bound(formdata=formdata, data=data) if formdata is not None else Bound(data=data)
