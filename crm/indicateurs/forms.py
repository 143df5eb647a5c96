"""Forms of the indicators: the period chooser, the trainee's analysis, the satisfaction survey."""
from __future__ import annotations

from wtforms import DateField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from crm.core.forms import Form, Required, strip_filter
from crm.indicateurs.models import SCORES, SUBJECTS
from crm.indicateurs.periods import KINDS

SCORE_CHOICES = [(str(score), f"{score} — {label}") for score, label in SCORES.items()]


class PeriodForm(Form):
    """The period of the page, read from the query string (no CSRF: it only reads)."""

    class Meta:
        csrf = False

    periode = SelectField("Période", choices=list(KINDS.items()), default="month", validate_choice=False,
                          validators=[AnyOf(list(KINDS), message="Choisissez une période : jour, semaine, mois, "
                                                                 "trimestre ou personnalisée.")])
    date = DateField("Jour de la période", [Optional()],
                     description="La semaine, le mois ou le trimestre qui contient ce jour.")
    du = DateField("Du", [Optional()])
    au = DateField("Au", [Optional()])


class AnalysisForm(Form):
    periode = HiddenField()
    date = HiddenField()
    du = HiddenField()
    au = HiddenField()
    strengths = TextAreaField(
        "Mon analyse : ce que montrent les indicateurs, mes points forts", [Required(), Length(max=5000)],
        filters=[strip_filter], render_kw={"rows": 5},
        description="Citez les chiffres : évolution du CA, panier moyen, taux de transformation, satisfaction…")
    proposals = TextAreaField(
        "Mes propositions d'amélioration", [Required(), Length(max=5000)], filters=[strip_filter],
        render_kw={"rows": 4}, description="Une proposition par ligne, justifiée par un indicateur.")


class OfferSurveyForm(Form):
    """Hand the client the questionnaire about one sale or desk visit."""

    subject = HiddenField(validators=[InputRequired()])
    subject_id = HiddenField(validators=[InputRequired()])

    def validate_subject(self, field):
        from wtforms.validators import ValidationError

        if field.data not in SUBJECTS:
            raise ValidationError("Ce questionnaire ne peut pas être proposé.")


class SurveyForm(Form):
    """What the client answers (on the desk screen or through the link)."""

    overall = RadioField("Dans l'ensemble, quelle est votre satisfaction ?", choices=SCORE_CHOICES,
                         validators=[InputRequired("Choisissez une note de 1 à 5.")])
    welcome = RadioField("Comment jugez-vous l'accueil reçu ?", choices=SCORE_CHOICES,
                         validators=[Optional()])
    advice = RadioField("Les réponses et les conseils reçus vous ont-ils été utiles ?", choices=SCORE_CHOICES,
                        validators=[Optional()])
    would_recommend = RadioField("Recommanderiez-vous notre entreprise à un proche ?",
                                 choices=[("oui", "Oui"), ("non", "Non")], validators=[Optional()])
    comment = TextAreaField("Un commentaire ? (facultatif)", [Length(max=1000)], filters=[strip_filter],
                            render_kw={"rows": 3})
