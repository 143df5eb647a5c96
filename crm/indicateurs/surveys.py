"""Satisfaction surveys: offered after one sale or desk visit, answered once, without logging in.

The client answers on the desk screen (the trainee opens the questionnaire for
them) or later through a link. The link carries a signed token (itsdangerous,
with the application's secret key) naming the survey, its firm and a random
nonce: it cannot be forged or pointed at another survey, it opens only that
firm's one survey, and it stops working once answered or after LINK_DAYS.

Desk visits already record a satisfaction score when the request is closed
(crm.accueil): the survey of a visit writes its score there, so the desk
register, its closing form and the indicators read one score per visit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select

from crm.accueil.models import DeskRequest
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.indicateurs.models import SCORES, SUBJECTS, SatisfactionSurvey
from crm.ventes.caisse.models import CounterSale
from crm.ventes.documents.models import Invoice

SALT = "comptoir.satisfaction-survey"
LINK_DAYS = 30
SUBJECT_MODELS = {"desk_request": DeskRequest, "counter_sale": CounterSale, "invoice": Invoice}
SUBJECT_COLUMNS = {"desk_request": "desk_request_id", "counter_sale": "counter_sale_id", "invoice": "invoice_id"}
# After a desk visit the trainee takes leave of the visitor and cares for their satisfaction.
DESK_COMPETENCIES = ["A1T5C2", "A1T5CP1"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def token_for(survey: SatisfactionSurvey) -> str:
    return _serializer().dumps({"s": survey.id, "f": survey.firm_id, "n": survey.nonce})


def subject_of(firm: Firm, subject: str, subject_id: int):
    """The firm's sale or desk request a survey may follow, or None (another firm's, a draft…)."""
    model = SUBJECT_MODELS.get(subject)
    if model is None:
        return None
    query = select(model).where(model.id == subject_id, model.firm_id == firm.id)
    if model is Invoice:
        query = query.where(Invoice.number.is_not(None))
    return db.session.scalar(query)


def survey_of(firm: Firm, subject: str, subject_id: int) -> SatisfactionSurvey | None:
    return db.session.scalar(_survey_statement(subject), {"firm_id": firm.id, "subject_id": subject_id})


@cache
def _survey_statement(subject: str):
    """The survey of the bound firm's sale or visit (built once per subject: their pages ask)."""
    column = getattr(SatisfactionSurvey, SUBJECT_COLUMNS[subject])
    return select(SatisfactionSurvey).where(SatisfactionSurvey.firm_id == bindparam("firm_id"),
                                            column == bindparam("subject_id"))


def offer_survey(firm: Firm, user: User, subject: str, obj, today: date | None = None) -> SatisfactionSurvey:
    """The survey of this sale or visit (created on the first offer; the same one afterwards)."""
    if subject not in SUBJECTS or obj is None or obj.firm_id != firm.id:
        raise ValueError("a survey follows one of the firm's sales or desk requests")
    existing = survey_of(firm, subject, obj.id)
    if existing is not None:
        if existing.is_answered:
            raise DomainError("Le client a déjà répondu au questionnaire : un seul avis par vente ou par visite.")
        return existing
    if subject == "desk_request" and obj.satisfaction is not None:
        raise DomainError("La satisfaction du visiteur est déjà relevée sur cette demande.")
    survey = SatisfactionSurvey(
        firm_id=firm.id, subject=subject, nonce=secrets.token_hex(16), created_on=today or business_today(firm),
        created_by_id=user.id, comment="", **{SUBJECT_COLUMNS[subject]: obj.id})
    db.session.add(survey)
    db.session.flush()
    what = {"desk_request": f"la visite de {getattr(obj, 'who', '')}",
            "counter_sale": f"la vente {getattr(obj, 'number', '')}",
            "invoice": f"la facture {getattr(obj, 'number', '')}"}[subject]
    record_activity(firm, user, "satisfaction_survey.offered", survey,
                    f"Questionnaire de satisfaction proposé après {what}",
                    competencies=DESK_COMPETENCIES if subject == "desk_request" else None)
    return survey


def survey_from_token(token: str, for_update: bool = False) -> SatisfactionSurvey:
    """The survey a link opens; DomainError (French) when the link is forged, expired or unknown."""
    try:
        data = _serializer().loads(token, max_age=LINK_DAYS * 24 * 3600)
    except SignatureExpired:
        raise DomainError(f"Ce lien a expiré : un questionnaire se remplit dans les {LINK_DAYS} jours.") from None
    except BadSignature:
        raise DomainError("Ce lien de questionnaire n'est pas valide : vérifiez qu'il est complet.") from None
    expected = (("s", int), ("f", int), ("n", str))
    if not isinstance(data, dict) or not all(isinstance(data.get(k), t) for k, t in expected):
        raise DomainError("Ce lien de questionnaire n'est pas valide : vérifiez qu'il est complet.")
    query = select(SatisfactionSurvey).where(
        SatisfactionSurvey.id == data["s"], SatisfactionSurvey.firm_id == data["f"],
        SatisfactionSurvey.nonce == data["n"])
    if for_update:
        query = query.with_for_update()
    survey = db.session.scalar(query)
    if survey is None:
        raise DomainError("Ce questionnaire n'existe plus.")
    return survey


@dataclass
class Answers:
    overall: int
    welcome: int | None = None
    advice: int | None = None
    would_recommend: bool | None = None
    comment: str = ""


def answer_survey(token: str, answers: Answers) -> SatisfactionSurvey:
    """Record the client's answers, once: a second answer through the same link is refused."""
    survey = survey_from_token(token, for_update=True)
    if survey.is_answered:
        raise DomainError("Ce questionnaire a déjà été rempli. Merci pour votre réponse !")
    for name in ("overall", "welcome", "advice"):
        value = getattr(answers, name)
        if value is not None and value not in SCORES:
            raise DomainError("Choisissez une note de 1 à 5.", name)
    if answers.overall is None:
        raise DomainError("Choisissez une note de 1 à 5.", "overall")
    comment = (answers.comment or "").strip()
    if len(comment) > 1000:
        raise DomainError("Le commentaire fait 1000 caractères au plus.", "comment")
    survey.overall, survey.welcome, survey.advice = answers.overall, answers.welcome, answers.advice
    survey.would_recommend, survey.comment = answers.would_recommend, comment
    survey.answered_at = utcnow()
    survey.answered_on = business_today(survey.firm_id)
    if survey.subject == "desk_request":
        _rate_desk_request(survey.desk_request, survey)
    db.session.flush()
    return survey


def _rate_desk_request(desk_request: DeskRequest, survey: SatisfactionSurvey) -> None:
    """The visit's one satisfaction score: the desk's closing form shows it and may keep it."""
    if desk_request.satisfaction is None:
        desk_request.satisfaction = survey.overall
        if not desk_request.satisfaction_comment:
            desk_request.satisfaction_comment = survey.comment
