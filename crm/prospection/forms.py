"""Forms of the prospection section; every choice list is built with the current firm's rows."""
from __future__ import annotations

from wtforms import (
    DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.core import identifiers
from crm.core.clock import current_business_date
from crm.core.forms import Form, Normalised, Required, strip_filter
from crm.prospection.models import (
    AGENDA_KINDS, CALL_OUTCOMES, EMAIL, LETTER, OBJECTIVES, PLAN_CHANNELS, REMINDER_LEVELS, TEMPLATE_KINDS,
    TEMPLATE_PURPOSES,
)

MAX_ID = 2**31 - 1  # ids posted beyond the database's integer range are refused, not a 500


def _choices(labels: dict, empty: str | None = None) -> list[SelectChoice]:
    head = [SelectChoice("", empty)] if empty is not None else []
    return head + [SelectChoice(str(key), label) for key, label in labels.items()]


def _optional_int(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a short list (the firm's trainees)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanForm(Form):
    name = StringField("Nom du plan", [Required(), Length(max=120)], filters=[strip_filter],
                       description="Par exemple : Offre de rentrée aux établissements scolaires.")
    objective = SelectField("Objet du contact", choices=_choices(OBJECTIVES))
    channel = SelectField("Mode de transmission", choices=_choices(PLAN_CHANNELS),
                          description="Téléphone : séance d'appels. Courrier : publipostage en PDF. "
                                      "Courriel : un message par cible.")
    starts_on = DateField("Début", [Required()], default=current_business_date)
    ends_on = DateField("Fin", [Optional()], description="Facultatif.")
    template_id = SelectField("Modèle de message", coerce=_optional_int, validate_choice=True,
                              description="Courrier type pour un plan par courrier ; courriel type sinon.")
    assignee_ids = MultiCheckboxField("Élèves chargés du plan", coerce=int, validate_choice=True)
    script = TextAreaField(
        "Script d'appel ou fiche argumentaire", [Length(max=10_000)], render_kw={"rows": 10},
        description="Présentation, accroche, questions de découverte, argument, conclusion. "
                    "Les objections et leurs réponses s'ajoutent sur la page du plan.")

    def set_choices(self, templates, members) -> None:
        self.template_id.choices = [SelectChoice("", "— Aucun —")] + [
            SelectChoice(str(t.id), f"{t.name} ({t.kind_label.lower()})") for t in templates]
        self.assignee_ids.choices = [(u.id, u.display_name) for u in members]


class ObjectionForm(Form):
    objection = StringField("Objection", [Required(), Length(max=255)], filters=[strip_filter],
                            description="Par exemple : « C'est trop cher. »")
    answer = TextAreaField("Réponse préparée", [Required(), Length(max=2000)], render_kw={"rows": 3})


class FilterTargetsForm(Form):
    saved_filter_id = SelectField("Filtre enregistré du fichier clients", coerce=_optional_int,
                                  validate_choice=True)

    def set_choices(self, saved_filters) -> None:
        self.saved_filter_id.choices = [SelectChoice(str(f.id), f.name) for f in saved_filters]


class PartySearchForm(Form):
    """The search step of the hand-picked targets (GET, changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Rechercher un tiers", [Length(max=100)], filters=[strip_filter],
                    description="Nom, interlocuteur, courriel, téléphone ou ville.")


class AddPartyForm(Form):
    party_id = IntegerField("Tiers", [Required("Choisissez le tiers à ajouter."), NumberRange(1, MAX_ID)])


class ConfirmForm(Form):
    """A POST with nothing but its CSRF token (generate targets, start a mailing…)."""


class CallForm(Form):
    outcome = SelectField("Issue de l'appel", choices=_choices(CALL_OUTCOMES), validate_choice=False)
    note = TextAreaField("Note", [Length(max=5000)], render_kw={"rows": 4},
                         description="Ce qui a été dit, à qui, ce qui est convenu.")
    follow_up_on = DateField("Date du rappel ou du rendez-vous", [Optional()],
                             description="Elle s'inscrit dans votre agenda.")
    follow_up_at = TimeField("Heure", [Optional()])


class ContactDataForm(Form):
    phone = StringField("Téléphone", [Normalised(identifiers.phone)], filters=[strip_filter])
    email = StringField("Courriel", [Normalised(identifiers.email)], filters=[strip_filter])
    address_line1 = StringField("Adresse", [Length(max=120)], filters=[strip_filter])
    address_line2 = StringField("Complément d'adresse", [Length(max=120)], filters=[strip_filter])
    postcode = StringField("Code postal", [Normalised(identifiers.postcode)], filters=[strip_filter])
    city = StringField("Ville", [Length(max=80)], filters=[strip_filter])


class TemplateForm(Form):
    name = StringField("Nom du modèle", [Required(), Length(max=80)], filters=[strip_filter])
    kind = SelectField("Type", choices=_choices(TEMPLATE_KINDS))
    purpose = SelectField("Usage", choices=_choices(TEMPLATE_PURPOSES),
                          description="Les relances impayées utilisent le modèle de leur niveau.")
    subject = StringField("Objet", [Required(), Length(max=200)], filters=[strip_filter])
    salutation = StringField("Formule d'appel", [Length(max=200)], filters=[strip_filter],
                             default="{{ formule_appel }},")
    body = TextAreaField("Corps du message", [Required(), Length(max=20_000)], render_kw={"rows": 12},
                         description="Une ligne vide sépare deux paragraphes.")
    closing = TextAreaField(
        "Formule de politesse", [Length(max=2000)], render_kw={"rows": 2},
        default="Nous vous prions d'agréer, {{ formule_appel }}, l'expression de nos salutations distinguées.")


class ComposeForm(Form):
    to_address = StringField("À (adresse électronique)", [Required(), Length(max=254)], filters=[strip_filter])
    to_name = HiddenField()
    subject = StringField("Objet", [Required(), Length(max=200)], filters=[strip_filter])
    body = TextAreaField("Message", [Required(), Length(max=20_000)], render_kw={"rows": 14})
    party_id = HiddenField()
    entry_id = HiddenField()
    reply_to_id = HiddenField()
    # The text the trainee already saw checked: sending it as is needs no second look.
    checked = HiddenField()


class AgendaItemForm(Form):
    kind = SelectField("Type", choices=_choices(AGENDA_KINDS))
    title = StringField("Objet", [Required(), Length(max=160)], filters=[strip_filter])
    day = DateField("Date", [Required()], default=current_business_date)
    at_time = TimeField("Heure", [Optional()])
    note = TextAreaField("Note", [Length(max=2000)], render_kw={"rows": 2})


class ReminderForm(Form):
    level = SelectField("Niveau", choices=_choices(REMINDER_LEVELS))
    channel = SelectField("Envoi", choices=_choices({LETTER: "Courrier", EMAIL: "Courriel"}))
