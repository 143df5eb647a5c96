"""Forms of the front desk (service and person choices come from the current firm only)."""
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from crm.accueil.models import CHANNELS, HANDLINGS, NATURES, STATUSES
from crm.clients.picking import PARTIES
from crm.core import identifiers
from crm.core.forms import Form, Normalised, Required, strip_filter
from crm.core.picker import PickerField

SATISFACTION = [SelectChoice(value, label) for value, label in (
    ("", "Non recueillie"), ("5", "5 — Très satisfait"), ("4", "4 — Satisfait"),
    ("3", "3 — Moyennement satisfait"), ("2", "2 — Peu satisfait"), ("1", "1 — Pas satisfait"))]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def _choices(labels: dict, empty: str | None = None):
    head = [SelectChoice("", empty)] if empty is not None else []
    return head + [SelectChoice(key, label) for key, label in labels.items()]


class TransmissionFields:
    """Service, recipient, due date and message: set the choices with `fill_choices`."""

    def fill_choices(self, services) -> None:
        self.service_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(s.id), s.name) for s in services]
        self.recipient_id.choices = [SelectChoice("", "Le service (sans destinataire précis)")] + [
            SelectChoice(str(p.id), f"{s.name} — {p.name}{' (' + p.role + ')' if p.role else ''}")
            for s in services for p in s.people
        ]


def _service_field():
    return SelectField("Service destinataire", coerce=_optional_int, choices=[])


def _recipient_field():
    return SelectField("Destinataire", coerce=_optional_int, choices=[])


class DeskRequestForm(TransmissionFields, Form):
    # First field of the form: searching a known visitor posts the whole form back (nothing typed is lost).
    party_id = PickerField("Visiteur déjà connu ?", source=PARTIES, empty_label="Nouveau visiteur, sans fiche")
    visitor_name = StringField("Nom du visiteur", [Length(max=120)], filters=[strip_filter],
                               description="Si le visiteur n'a pas encore de fiche.")
    visitor_phone = StringField("Téléphone du visiteur", [Normalised(identifiers.phone)], filters=[strip_filter])
    visitor_email = StringField("Courriel du visiteur", [Normalised(identifiers.email)], filters=[strip_filter])
    save_as_prospect = BooleanField("Créer une fiche prospect pour ce visiteur")
    channel = SelectField("Canal", choices=_choices(CHANNELS))
    nature = SelectField("Nature de la demande", choices=_choices(NATURES))
    request_text = TextAreaField("Demande reformulée", [Required(), Length(max=5000)], render_kw={"rows": 3},
                                 description="Reformulez la demande avec vos mots, comme vous l'avez comprise.")
    handling = RadioField("Mode de traitement", choices=_choices(HANDLINGS), default="immediate")
    answer = TextAreaField("Réponse donnée", [Length(max=5000)], render_kw={"rows": 3})
    documentation = StringField("Documentation remise", [Length(max=255)], filters=[strip_filter],
                                description="Par exemple : catalogue 2026, fiche tarifs.")
    service_id = _service_field()
    recipient_id = _recipient_field()
    due_on = DateField("À traiter avant le", [Optional()])
    message = TextAreaField("Message de transmission", [Length(max=5000)], render_kw={"rows": 3})


class TransmitForm(TransmissionFields, Form):
    service_id = _service_field()
    recipient_id = _recipient_field()
    due_on = DateField("À traiter avant le", [Optional()])
    message = TextAreaField("Message de transmission", [Length(max=5000)], render_kw={"rows": 3})


class TreatForm(Form):
    note = TextAreaField("Réponse apportée / solution", [Required(), Length(max=5000)], render_kw={"rows": 3})


class CloseForm(Form):
    satisfaction = SelectField("Satisfaction du visiteur", choices=SATISFACTION, coerce=_optional_int)
    satisfaction_comment = TextAreaField("Commentaire du visiteur", [Length(max=2000)], render_kw={"rows": 2})
    reactions_note = TextAreaField("Réactions relevées", [Length(max=2000)], render_kw={"rows": 2},
                                   description="Ce que le visiteur a dit de l'entreprise, des produits, de l'accueil.")
    improvement_note = TextAreaField("Proposition d'amélioration", [Length(max=2000)], render_kw={"rows": 2},
                                     description="Votre analyse : ce qui a bien marché, ce qui pourrait être amélioré.")


class ServiceForm(Form):
    name = StringField("Nom du service", [Required(), Length(max=80)], filters=[strip_filter],
                       description="Par exemple : Service commercial, Comptabilité, SAV.")


class StaffMemberForm(Form):
    name = StringField("Nom", [Required(), Length(max=120)], filters=[strip_filter])
    role = StringField("Fonction", [Length(max=80)], filters=[strip_filter])
    phone = StringField("Téléphone", [Normalised(identifiers.phone)], filters=[strip_filter])
    email = StringField("Courriel", [Normalised(identifiers.email)], filters=[strip_filter])


class RegisterFilterForm(Form):
    class Meta:
        csrf = False

    status = SelectField("Statut", choices=_choices(STATUSES, "Tous"))
    nature = SelectField("Nature", choices=_choices(NATURES, "Toutes"))


class PeriodForm(Form):
    class Meta:
        csrf = False

    start = DateField("Du", [Optional()])
    end = DateField("Au", [Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("La date de fin précède la date de début.")
