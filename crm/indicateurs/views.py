"""Blueprint of the indicateurs section (URL prefix /indicateurs)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from crm.core.clock import business_today, current_business_date
from crm.core.database import begin_writing
from crm.core.errors import DomainError
from crm.core.limits import is_id
from crm.core.sections import section_blueprint
from crm.core.tenancy import current_firm, current_membership, firm_required, scoped
from crm.core.views_helpers import form_error, page_number, refuse, teacher_required
from crm.extensions import db
from crm.indicateurs import charts, export, services, surveys
from crm.indicateurs.forms import AnalysisForm, OfferSurveyForm, PeriodForm
from crm.indicateurs.models import PerformanceAnalysis, SatisfactionSurvey
from crm.indicateurs.periods import DEFAULT_KIND, Period, neighbours, period_of

bp = section_blueprint("indicateurs", __name__)

@bp.app_context_processor
def _survey_helpers():
    def survey_for(subject: str, subject_id: int):
        """The survey of a sale or desk visit of the current firm (for the button on its page)."""
        return surveys.survey_of(current_firm, subject, subject_id) if current_firm else None

    return {"survey_for": survey_for, "survey_link": _survey_link, "offer_survey_form": OfferSurveyForm}


@bp.app_template_global()
def period_args(period: Period) -> dict:
    """The query string of a period, to keep it in links and forms."""
    if period.kind == "custom":
        return {"periode": "custom", "du": period.start.isoformat(), "au": period.end.isoformat()}
    return {"periode": period.kind, "date": period.unit.start.isoformat()}


def _survey_link(survey: SatisfactionSurvey) -> str:
    return url_for("avis.answer_survey", token=surveys.token_for(survey), _external=True)


def _period(args, today) -> tuple[Period, PeriodForm, int]:
    """The period asked in the query string; the current month and a 422 when it is not valid."""
    form = PeriodForm(MultiDict({"periode": DEFAULT_KIND} | {k: v for k, v in args.items() if k in
                                                            ("periode", "date", "du", "au")}))
    if form.validate():
        try:
            period = period_of(form.periode.data, today, form.date.data, form.du.data, form.au.data)
        except DomainError as error:
            field = getattr(form, error.field or "periode", form.periode)
            field.errors = list(field.errors) + [error.message]
        else:
            _show(form, period)
            return period, form, 200
    return period_of(DEFAULT_KIND, today), form, 422


def _show(form: PeriodForm, period: Period) -> None:
    """The chooser shows the period displayed: its kind, a day of it, its first and last days."""
    form.periode.data = period.kind
    form.date.data = form.date.data or period.unit.start
    form.du.data, form.au.data = period.start, period.end


# --- the firm's dashboard -------------------------------------------------------------------

@bp.route("/")
@firm_required
def index():
    today = business_today(current_firm)
    period, form, status = _period(request.args, today)
    board = services.dashboard(current_firm, period, today)
    if status == 200 and _is_trainee() and services.consultation_due(current_firm, current_user, period):
        begin_writing()  # a page that writes (the journal), after all its reading
        services.record_consultation(current_firm, current_user, period)
    analysis_form = AnalysisForm(formdata=None, data=period_args(period))
    return _page(board, form, analysis_form, status)


def _page(board, form, analysis_form, status: int):
    previous_day, next_day = neighbours(board.period, board.today)
    return render_template("indicateurs/dashboard.html", board=board, form=form, analysis_form=analysis_form,
                           previous_day=previous_day, next_day=next_day, charts=charts,
                           can_analyse=_is_trainee()), status


def _is_trainee() -> bool:
    return current_user.is_trainee and current_membership() is not None


@bp.route("/analyses", methods=["POST"])
@firm_required
def write_analysis():
    today = business_today(current_firm)
    form = AnalysisForm()
    period, _, status = _period(request.form, today)
    if status != 200:
        abort(404)
    if not _is_trainee():
        abort(404)
    if form.validate_on_submit():
        try:
            services.write_analysis(current_firm, current_user, period, form.strengths.data, form.proposals.data, today)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Votre analyse est enregistrée avec la période.", "success")
            return redirect(url_for("indicateurs.index", **period_args(period), _anchor="analyses"))
    board = services.dashboard(current_firm, period, today)
    return _page(board, PeriodForm(MultiDict(period_args(period))), form, 422)


@bp.route("/analyses")
@firm_required
def list_analyses():
    query = (scoped(PerformanceAnalysis).options(selectinload(PerformanceAnalysis.author))
             .order_by(PerformanceAnalysis.period_start.desc(), PerformanceAnalysis.created_at.desc(),
                       PerformanceAnalysis.id.desc()))
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("indicateurs/analyses.html", page=page)


# --- exports ----------------------------------------------------------------------------------

def _export(kind: str):
    today = business_today(current_firm)
    period, _, status = _period(request.args, today)
    if status != 200:
        abort(404)
    board = services.dashboard(current_firm, period, today)
    name = f"indicateurs-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if kind == "tableur":
        body, mimetype = export.workbook(board), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        filename = f"{name}.xlsx"
    else:
        body, mimetype, filename = export.sales_csv(board), "text/csv; charset=utf-8", f"ventes-{name[12:]}.csv"
    if _is_trainee():
        begin_writing()  # the journal, once the file is made: the write lock is held only for it
        services.record_export(current_firm, current_user, period, kind)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/export.xlsx")
@firm_required
def export_workbook():
    return _export("tableur")


@bp.route("/ventes.csv")
@firm_required
def export_sales_csv():
    return _export("CSV")


# --- satisfaction ----------------------------------------------------------------------------

@bp.route("/satisfaction")
@firm_required
def satisfaction():
    today = business_today(current_firm)
    period, form, status = _period(request.args, today)
    board = services.satisfaction_board(current_firm, period)
    query = (scoped(SatisfactionSurvey)
             .options(selectinload(SatisfactionSurvey.desk_request), selectinload(SatisfactionSurvey.counter_sale),
                      selectinload(SatisfactionSurvey.invoice), selectinload(SatisfactionSurvey.created_by))
             .order_by(SatisfactionSurvey.answered_at.is_(None).desc(), SatisfactionSurvey.created_at.desc(),
                       SatisfactionSurvey.id.desc()))
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("indicateurs/satisfaction.html", board=board, form=form, page=page), status


@bp.route("/satisfaction/questionnaires", methods=["POST"])
@firm_required
def offer_survey():
    form = OfferSurveyForm()
    back = request.referrer if _same_site(request.referrer) else url_for("indicateurs.satisfaction")
    if (not form.validate_on_submit() or not str(form.subject_id.data).isdigit()
            or not is_id(int(form.subject_id.data))):
        abort(404)
    subject = form.subject.data
    obj = surveys.subject_of(current_firm, subject, int(form.subject_id.data))
    if obj is None:
        abort(404)
    try:
        survey = surveys.offer_survey(current_firm, current_user, subject, obj, current_business_date())
    except DomainError as error:
        refuse(error)
        return redirect(back)
    return redirect(url_for("avis.answer_survey", token=surveys.token_for(survey), ecran="accueil"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


# --- the teacher's class view ------------------------------------------------------------------

@bp.route("/classes/<int:classroom_id>")
@teacher_required
def class_view(classroom_id: int):
    from crm.admin.access import classroom_or_404

    classroom = classroom_or_404(classroom_id)
    firms = list(classroom.firms)  # the live firms (an archived one, reset or deleted, is left out)
    today = services.class_today(firms)
    period, form, status = _period(request.args, today)
    view = services.class_view(firms, period, today)
    previous_day, next_day = neighbours(period, today)
    return render_template("indicateurs/class_view.html", classroom=classroom, view=view, form=form,
                           previous_day=previous_day, next_day=next_day), status

