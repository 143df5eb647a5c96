"""The client's satisfaction questionnaire (URL prefix /avis): public pages, opened by a signed link.

Outside the firm's section on purpose: the client has no account, and the link, not a
session, says which firm and which survey (crm.indicateurs.surveys). crm.core.web lists
these endpoints as reachable without logging in.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from crm.core.errors import DomainError
from crm.core.models import Firm
from crm.core.views_helpers import form_error
from crm.extensions import db
from crm.indicateurs import surveys
from crm.indicateurs.forms import SurveyForm

bp = Blueprint("avis", __name__, template_folder="templates")


@bp.route("/<token>", methods=["GET", "POST"])
def answer_survey(token: str):
    """The client's questionnaire: no login, the signed token opens its one survey."""
    if len(token) > 300:
        abort(404)
    try:
        survey = surveys.survey_from_token(token)
    except DomainError as error:
        return render_template("indicateurs/survey_closed.html", message=error.message), 404
    firm_name = db.session.get(Firm, survey.firm_id).trade_name
    if survey.is_answered:
        return render_template("indicateurs/survey_closed.html", firm_name=firm_name, thanks=True,
                               message="Ce questionnaire a déjà été rempli. Merci pour votre réponse !"), 200
    form = SurveyForm()
    status = 200
    if form.validate_on_submit():
        answers = surveys.Answers(
            overall=int(form.overall.data), welcome=_score(form.welcome.data), advice=_score(form.advice.data),
            would_recommend={"oui": True, "non": False}.get(form.would_recommend.data), comment=form.comment.data or "")
        try:
            surveys.answer_survey(token, answers)
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(url_for("avis.survey_thanks", token=token))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("indicateurs/survey.html", form=form, survey=survey, firm_name=firm_name,
                           at_desk=request.args.get("ecran") == "accueil"), status


@bp.route("/<token>/merci")
def survey_thanks(token: str):
    try:
        survey = surveys.survey_from_token(token)
    except DomainError as error:
        return render_template("indicateurs/survey_closed.html", message=error.message), 404
    firm_name = db.session.get(Firm, survey.firm_id).trade_name
    return render_template("indicateurs/survey_closed.html", firm_name=firm_name, thanks=True, survey=survey,
                           message="Merci ! Votre avis nous aide à mieux vous servir.")


def _score(value) -> int | None:
    return int(value) if value not in (None, "", "None") else None


