from crm.core.forms import Form
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(Form):
    username = StringField(
        "Identifiant",
        validators=[DataRequired("Saisissez votre identifiant."), Length(max=64)],
        render_kw={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Saisissez votre mot de passe."), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(Form):
    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Saisissez votre mot de passe actuel.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "Nouveau mot de passe",
        validators=[DataRequired("Saisissez un nouveau mot de passe.")],
        description=(
            "Au moins 8 caractères, sans votre identifiant ; les mots de passe trop courants "
            "(« azerty », « soleil2024 »…) sont refusés. Une phrase courte est plus facile à retenir."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirmez le nouveau mot de passe",
        validators=[DataRequired("Confirmez le nouveau mot de passe.")],
        render_kw={"autocomplete": "new-password"},
    )
