"""Forms of the teacher side: scenario upload and instantiation, assessment, observation."""
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from crm.core.forms import Form
from crm.core.models import Position
from crm.formation.models import LEVELS


class ScenarioUploadForm(Form):
    file = FileField("Fichier du scénario (.yaml)", [FileAllowed(["yaml", "yml", "txt"], "Envoyez un fichier .yaml.")],
                     description="Écrit avec un éditeur de texte d'après docs/scenarios.md, en UTF-8.")
    text = TextAreaField("… ou texte du scénario", [Length(max=2_000_000)], render_kw={"rows": 8})

    def content(self) -> str:
        if self.file.data:
            raw = self.file.data.read()
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                return raw.decode("cp1252", errors="replace")
        return self.text.data or ""

    def validate_text(self, field):
        if not (field.data or "").strip() and not self.file.data:
            raise ValidationError("Choisissez un fichier ou collez le texte du scénario.")


class InstantiateForm(Form):
    classroom_id = SelectField("Classe", coerce=int, validate_choice=True)
    groups = IntegerField("Nombre de groupes (une entreprise par groupe)", [InputRequired("Indiquez le nombre de groupes."),
                          NumberRange(1, 12, "De 1 à 12 groupes.")], default=4)
    spread_trainees = BooleanField("Répartir les élèves de la classe pas encore affectés entre ces entreprises",
                                   default=True)
    position = SelectField("Poste de départ des élèves", choices=Position.choices(), default="commercial",
                           validate_choice=True)


class AssessmentForm(Form):
    code = SelectField("Compétence", validate_choice=True)
    level = SelectField("Niveau", choices=list(LEVELS.items()), validate_choice=True)
    assessed_on = DateField("Date", [InputRequired("Indiquez la date de l'évaluation.")])
    comment = TextAreaField("Commentaire", [Length(max=2000)], render_kw={"rows": 2})


class ObservationForm(Form):
    code = SelectField("Compétence observée", validate_choice=True)
    firm_id = SelectField("Entreprise", coerce=int, validate_choice=True)
    note = TextAreaField("Ce que vous avez observé", [InputRequired("Décrivez ce que vous avez observé."),
                                                      Length(max=240)], render_kw={"rows": 2},
                         description="Par exemple : a salué et accueilli le visiteur avec le sourire.")
