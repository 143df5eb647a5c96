"""Merge fields of message templates: a strict `{{ field }}` substitution.

Templates are written by trainees, so they are untrusted text. We only need to
put values in place of names: a small substitution over a fixed list of fields
cannot run code nor reach an attribute, refuses an unknown name *when the
template is saved* (naming it, with a hint when it looks like a known one), and
is easy to teach. Jinja's sandbox would bring loops, filters and attribute
access the trainees do not need, and errors that are harder to explain to them.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from crm.core.errors import DomainError
from crm.core.formatting import LOCALE, day, money, percent

# {{ name }} with optional spaces; anything else between braces is an error.
FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME = re.compile(r"^[a-z_]+$")

# name → (what it holds, example), in the order the help panel lists them.
FIELDS: dict[str, tuple[str, str]] = {
    "civilite": ("Civilité du destinataire", "Mme"),
    "formule_appel": ("Madame, Monsieur ou Madame, Monsieur", "Madame"),
    "prenom": ("Prénom (particulier)", "Claire"),
    "nom": ("Nom (particulier) ou raison sociale", "Dubois"),
    "raison_sociale": ("Raison sociale (professionnel)", "Boulangerie Martin"),
    "destinataire": ("Nom complet du destinataire", "Mme Claire Dubois"),
    "interlocuteur": ("Premier interlocuteur d'un professionnel", "M. Paul Martin"),
    "adresse": ("Adresse", "8 avenue Foch"),
    "complement_adresse": ("Complément d'adresse", "Bâtiment B"),
    "code_postal": ("Code postal", "69006"),
    "ville": ("Ville", "Lyon"),
    "courriel": ("Courriel du destinataire", "claire.dubois@exemple.fr"),
    "telephone": ("Téléphone du destinataire", "06 12 34 56 78"),
    "document": ("Facture ou commande liée (type et numéro)", "Facture FA2026-0012"),
    "numero_document": ("Numéro de la facture ou de la commande", "FA2026-0012"),
    "date_document": ("Date de la facture ou de la commande", "15/01/2026"),
    "montant_ttc": ("Montant TTC du document", "1 200,00 €"),
    "reste_du": ("Reste dû sur la facture", "1 200,00 €"),
    "date_echeance": ("Échéance de la facture", "14/02/2026"),
    "jours_de_retard": ("Jours de retard", "30"),
    "taux_penalites": ("Taux annuel des pénalités de retard", "10 %"),
    "penalites_de_retard": ("Pénalités de retard à ce jour", "9,86 €"),
    "indemnite_forfaitaire": ("Indemnité forfaitaire de recouvrement (professionnels)", "40,00 €"),
    "total_a_regler": ("Reste dû + pénalités + indemnité", "1 249,86 €"),
    "eleve": ("Votre nom (signataire)", "Hugo Nguyen"),
    "poste": ("Votre poste", "Commercial"),
    "entreprise": ("Nom de notre entreprise", "Comptoir démo"),
    "telephone_entreprise": ("Téléphone de notre entreprise", "04 72 00 00 00"),
    "courriel_entreprise": ("Courriel de notre entreprise", "contact@comptoir-demo.fr"),
    "ville_entreprise": ("Ville de notre entreprise", "Lyon"),
    "date_du_jour": ("Date du jour, en toutes lettres", "12 mars 2026"),
}


def fields_in(text: str) -> list[str]:
    """The merge field names a text uses, in order (unchecked)."""
    return [match.group(1) for match in FIELD.finditer(text or "")]


def check_text(text: str, field: str | None = None, what: str = "Le texte") -> None:
    """Refuse unknown merge fields (named) and stray braces; DomainError in French."""
    unknown = [name for name in dict.fromkeys(fields_in(text)) if name not in FIELDS]
    if unknown:
        raise DomainError(_unknown_message(unknown, what), field)
    leftover = FIELD.sub("", text or "")
    if "{{" in leftover or "}}" in leftover or "{%" in leftover:
        raise DomainError(
            f"{what} contient des accolades mal fermées : un champ de fusion s'écrit "
            "{{ nom_du_champ }}, par exemple {{ nom }}.", field)


def _unknown_message(unknown: list[str], what: str) -> str:
    named = ", ".join("{{ " + name + " }}" for name in unknown)
    plural = len(unknown) > 1
    message = (f"{what} utilise {'des champs de fusion inconnus' if plural else 'un champ de fusion inconnu'} : "
               f"{named}.")
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name.lower().replace(" ", "_"), FIELDS, n=1, cutoff=0.6)
        if close:
            hints.append(f"{{{{ {close[0]} }}}} au lieu de {{{{ {name} }}}}")
    if hints:
        message += " Vouliez-vous écrire " + ", ".join(hints) + " ?"
    else:
        message += " Choisissez un champ dans la liste des champs de fusion."
    return message


def merge(text: str, values: dict[str, str]) -> str:
    """Put the values in place of the fields (the text was checked when saved)."""
    return FIELD.sub(lambda match: values.get(match.group(1), ""), text or "")


@dataclass
class DocumentFigures:
    """What a letter may say about the invoice or order it follows up."""

    label: str
    number: str
    issue_date: date
    total_ttc: object
    balance_due: object = None
    due_date: date | None = None
    days_late: int = 0
    penalty_rate: object = None
    penalties: object = None
    indemnity: object = None
    total_to_pay: object = None


def values_for(firm, user, position_label: str, party, today: date,
               figures: DocumentFigures | None = None) -> dict[str, str]:
    """The value of every merge field for one recipient, formatted the French way."""
    civility = party.civility if party.category == "private" else ""
    contact = party.contacts[0].name if party.category == "business" and party.contacts else ""
    values = {
        "civilite": civility,
        "formule_appel": {"Mme": "Madame", "M.": "Monsieur"}.get(civility, "Madame, Monsieur"),
        "prenom": party.first_name if party.category == "private" else "",
        "nom": party.last_name if party.category == "private" else party.company_name,
        "raison_sociale": party.company_name,
        "destinataire": party.name,
        "interlocuteur": contact,
        "adresse": party.address_line1,
        "complement_adresse": party.address_line2,
        "code_postal": party.postcode,
        "ville": party.city,
        "courriel": party.email,
        "telephone": party.phone,
        "eleve": user.display_name if user else "",
        "poste": position_label,
        "entreprise": firm.trade_name,
        "telephone_entreprise": firm.phone,
        "courriel_entreprise": firm.email,
        "ville_entreprise": firm.city,
        "date_du_jour": format_date(today, format="d MMMM yyyy", locale=LOCALE),
    }
    values.update(_document_values(figures))
    return values


def _document_values(figures: DocumentFigures | None) -> dict[str, str]:
    if figures is None:
        return {name: "" for name in ("document", "numero_document", "date_document", "montant_ttc",
                                      "reste_du", "date_echeance", "jours_de_retard", "taux_penalites",
                                      "penalites_de_retard", "indemnite_forfaitaire", "total_a_regler")}
    return {
        "document": f"{figures.label} {figures.number}",
        "numero_document": figures.number,
        "date_document": day(figures.issue_date),
        "montant_ttc": money(figures.total_ttc),
        "reste_du": money(figures.balance_due) if figures.balance_due is not None else "",
        "date_echeance": day(figures.due_date),
        "jours_de_retard": str(figures.days_late) if figures.due_date else "",
        "taux_penalites": percent(figures.penalty_rate) if figures.penalty_rate is not None else "",
        "penalites_de_retard": money(figures.penalties) if figures.penalties is not None else "",
        "indemnite_forfaitaire": money(figures.indemnity) if figures.indemnity is not None else "",
        "total_a_regler": money(figures.total_to_pay) if figures.total_to_pay is not None else "",
    }


def sample_values() -> dict[str, str]:
    """The examples of the help panel, to preview a template without a recipient."""
    return {name: example for name, (_, example) in FIELDS.items()}
