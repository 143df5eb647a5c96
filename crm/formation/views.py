"""Teacher side (/formation): scenarios, follow-up grid and assessment, the activity journal."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.admin import access
from crm.core.errors import DomainError
from crm.core.limits import parse_date
from crm.core.models import Classroom, Firm, Membership, Position, User
from crm.core.spreadsheet_csv import csv_bytes, neutralise_typed
from crm.core.tenancy import enter_firm, teacher_classrooms
from crm.core.views_helpers import form_error, page_number, refuse, teacher_required
from crm.extensions import db
from crm.formation import follow_up, referentiel
from crm.formation.forms import AssessmentForm, InstantiateForm, ObservationForm, ScenarioUploadForm
from crm.formation.models import LEVELS, Activity, Scenario
from crm.formation.scenarios import services as scenarios
from crm.formation.scenarios.check import ScenarioInvalid
from crm.formation.scenarios.library import LIBRARY, shipped_scenarios

bp = Blueprint("formation", __name__, template_folder="templates")

POSITIONS = dict(Position.choices())


@bp.route("/referentiel")
def show_referentiel():
    return render_template("formation/referentiel.html", activities=referentiel.activities(),
                           savoirs=referentiel.savoirs(), catalogue=referentiel.catalogue())


# --- scenarios -------------------------------------------------------------------------------

def _scenario_or_404(scenario_id: int) -> Scenario:
    scenario = db.session.get(Scenario, scenario_id)
    if scenario is None or (scenario.author_id != current_user.id and not current_user.is_admin):
        abort(404)
    return scenario


@bp.route("/scenarios", methods=["GET", "POST"])
@teacher_required
def scenarios_page():
    form = ScenarioUploadForm()
    errors, status = [], 200
    if form.validate_on_submit():
        try:
            scenario = scenarios.save_scenario(current_user, form.content())
        except ScenarioInvalid as error:
            errors, status = error.errors, 422
            from crm.core.views_helpers import mark_refused

            mark_refused()
        else:
            flash(f"Scénario « {scenario.name} » vérifié et enregistré.", "success")
            return redirect(url_for("formation.show_scenario", scenario_id=scenario.id))
    elif form.is_submitted():
        status = 422
    mine = db.session.scalars(select(Scenario).where(Scenario.author_id == current_user.id)
                              .order_by(Scenario.updated_at.desc())).all()
    return render_template("formation/scenarios.html", form=form, errors=errors, scenarios=mine,
                           shipped=[p.name for p in shipped_scenarios()]), status



@bp.route("/scenarios/modeles/<name>", methods=["POST"])
@teacher_required
def adopt_shipped(name: str):
    if name not in {p.name for p in shipped_scenarios()}:
        abort(404)
    scenario = scenarios.save_scenario(current_user, (LIBRARY / name).read_text(encoding="utf-8"))
    flash(f"Le scénario « {scenario.name} » est dans votre bibliothèque.", "success")
    return redirect(url_for("formation.show_scenario", scenario_id=scenario.id))


@bp.route("/scenarios/<int:scenario_id>")
@teacher_required
def show_scenario(scenario_id: int):
    scenario = _scenario_or_404(scenario_id)
    return render_template("formation/scenario.html", scenario=scenario, form=_instantiate_form())


def _instantiate_form(formdata=None) -> InstantiateForm:
    form = InstantiateForm(formdata=formdata) if formdata is not None else InstantiateForm()
    form.classroom_id.choices = [(c.id, c.label) for c in db.session.scalars(teacher_classrooms(current_user))]
    return form


@bp.route("/scenarios/<int:scenario_id>/instancier", methods=["POST"])
@teacher_required
def instantiate(scenario_id: int):
    scenario = _scenario_or_404(scenario_id)
    form = _instantiate_form()
    if form.validate_on_submit():
        classroom = access.classroom_or_404(form.classroom_id.data)
        trainees = []
        if form.spread_trainees.data:
            assigned = set(db.session.scalars(select(Membership.user_id).join(Firm).where(
                Firm.classroom_id == classroom.id, Firm.archived_at.is_(None))))
            trainees = [t for t in classroom.trainees if t.active and t.id not in assigned]
        try:
            created = scenarios.instantiate(scenario, classroom, form.groups.data, current_user, trainees,
                                            form.position.data)
        except ScenarioInvalid as error:
            refuse(DomainError("Le scénario ne se charge pas : " + str(error.errors[0])))
        except DomainError as error:
            form_error(form, error)
        else:
            spread = sum(len(c.trainees) for c in created)
            flash(
                f"{len(created)} entreprise{'s' if len(created) > 1 else ''} créée{'s' if len(created) > 1 else ''} "
                f"depuis « {scenario.name} » ; {spread} élève{'s' if spread > 1 else ''} "
                f"réparti{'s' if spread > 1 else ''}.",
                "success",
            )
            return redirect(url_for("admin.show_classroom", classroom_id=classroom.id))
    return render_template("formation/scenario.html", scenario=scenario, form=form), 422


@bp.route("/scenarios/<int:scenario_id>/telecharger")
@teacher_required
def download_scenario(scenario_id: int):
    scenario = _scenario_or_404(scenario_id)
    return _yaml_response(scenario.source, f"scenario-{scenario.id}.yaml")


@bp.route("/scenarios/<int:scenario_id>/supprimer", methods=["POST"])
@teacher_required
def delete_scenario(scenario_id: int):
    scenario = _scenario_or_404(scenario_id)
    scenarios.delete_scenario(scenario)
    flash(f"Scénario « {scenario.name} » supprimé (les entreprises créées avec gardent leurs données).", "success")
    return redirect(url_for("formation.scenarios_page"))


def _yaml_response(text: str, filename: str) -> Response:
    return Response(text, mimetype="application/x-yaml",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- follow-up -----------------------------------------------------------------------------------

def _period_args() -> tuple[date | None, date | None]:
    return parse_date(request.args.get("du")), parse_date(request.args.get("au"))


@bp.route("/")
@bp.route("/suivi")
@teacher_required
def follow_up_page():
    classrooms = db.session.scalars(teacher_classrooms(current_user)).all()
    if len(classrooms) == 1:
        return redirect(url_for("formation.class_grid", classroom_id=classrooms[0].id))
    return render_template("formation/follow_up.html", classrooms=classrooms)


def _class_scope(classroom_id: int):
    classroom = access.classroom_or_404(classroom_id)
    firm_id = request.args.get("entreprise", type=int)
    firms = list(classroom.firms) + list(classroom.archived_firms)
    firm = next((f for f in firms if f.id == firm_id), None)
    if firm is not None:
        trainees = sorted((m.user for m in firm.memberships), key=lambda u: u.display_name)
        return classroom, firm, trainees, [firm.id]
    return classroom, None, list(classroom.trainees), None


@bp.route("/suivi/classes/<int:classroom_id>")
@teacher_required
def class_grid(classroom_id: int):
    classroom, firm, trainees, firm_ids = _class_scope(classroom_id)
    start, end = _period_args()
    data = follow_up.grid(trainees, start, end, firm_ids)
    export = request.args.get("format")
    if export == "csv":
        return _grid_csv(classroom, data)
    if export == "xlsx":
        return _grid_xlsx(classroom, data)
    period = "&".join(f"{k}={v.isoformat()}" for k, v in (("du", start), ("au", end)) if v)
    return render_template("formation/grid.html", classroom=classroom, firm=firm, grid=data, start=start, end=end,
                           period_query=f"?{period}" if period else "",
                           activities=referentiel.activities(), catalogue=referentiel.catalogue(), levels=LEVELS)


def _grid_rows(data) -> list[list]:
    header = ["Élève"] + [f"{e.code} {e.label}" for e in data.codes]
    rows = [header]
    for trainee in data.trainees:
        row = [trainee.display_name]
        for entry in data.codes:
            cell = data.cell(trainee.id, entry.code)
            row.append(f"{cell.count} · {LEVELS[cell.level]}")
        rows.append(row)
    return rows


def _grid_csv(classroom, data) -> Response:
    header, *rows = _grid_rows(data)
    return Response(csv_bytes(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="grille-classe-{classroom.id}.csv"'})


def _grid_xlsx(classroom, data) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Grille"
    for row in _grid_rows(data):
        sheet.append([neutralise_typed(cell) for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="grille-classe-{classroom.id}.xlsx"'})


@bp.route("/suivi/eleves/<int:user_id>", methods=["GET", "POST"])
@teacher_required
def trainee_page(user_id: int):
    trainee = access.managed_user_or_404(user_id)
    if not trainee.is_trainee:
        abort(404)
    form = AssessmentForm()
    observation = ObservationForm(prefix="obs")
    observation.firm_id.choices = [(m.firm_id, m.firm.trade_name) for m in trainee.memberships]
    codes = [(e.code, f"{e.code} — {e.label}") for e in follow_up.competencies()]
    form.code.choices = observation.code.choices = codes
    if not form.is_submitted():
        form.assessed_on.data = date.today()
        form.code.data = request.args.get("code")
        observation.code.data = request.args.get("code")
    status = 200
    if request.method == "POST":
        which = request.form.get("action")
        target = form if which == "assess" else observation
        if target.validate_on_submit():
            try:
                if which == "assess":
                    follow_up.assess(trainee, current_user, form.code.data, form.level.data, form.comment.data,
                                     form.assessed_on.data)
                    message = f"Évaluation de {form.code.data} enregistrée."
                else:
                    firm = access.firm_or_404(observation.firm_id.data)
                    follow_up.observe(trainee, current_user, firm, observation.code.data, observation.note.data)
                    message = f"Observation enregistrée pour {observation.code.data}."
            except DomainError as error:
                form_error(target, error)
                status = 422
            else:
                flash(message, "success")
                return redirect(url_for("formation.trainee_page", user_id=trainee.id, du=request.args.get("du"),
                                        au=request.args.get("au")))
        else:
            status = 422
    start, end = _period_args()
    data = follow_up.grid([trainee], start, end)
    if request.args.get("format") == "pdf":
        return _trainee_pdf(trainee, data, start, end)
    recent = {e.code: follow_up.activities_of(trainee, e.code, 3) for e in data.codes
              if data.cell(trainee.id, e.code).count}
    return render_template("formation/trainee.html", trainee=trainee, grid=data, recent=recent, form=form,
                           observation=observation, history=follow_up.history(trainee), levels=LEVELS,
                           activities=referentiel.activities(), catalogue=referentiel.catalogue(),
                           start=start, end=end, positions=POSITIONS), status


def _trainee_pdf(trainee, data, start, end) -> Response:
    from crm.core.pdf import PdfUnavailable, pdf_response, render_pdf

    try:
        pdf = render_pdf("formation/trainee_summary.html", trainee=trainee, grid=data, levels=LEVELS,
                         activities=referentiel.activities(), catalogue=referentiel.catalogue(),
                         history=follow_up.history(trainee), start=start, end=end, today=date.today())
    except PdfUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("formation.trainee_page", user_id=trainee.id))
    return pdf_response(pdf, f"suivi-{trainee.username}.pdf")


# --- the journal ------------------------------------------------------------------------------------

@bp.route("/journal")
def journal():
    from crm.formation.follow_up import JournalFilter, journal_query

    start, end = _period_args()
    firms, classroom = _journal_firms()
    if not firms:
        if current_user.is_teacher:
            flash("Choisissez d'abord une classe ou entrez dans une entreprise.", "info")
            return redirect(url_for("admin.dashboard"))
        return redirect(url_for("core.choose_firm"))
    code = request.args.get("code") or None
    if code and code not in referentiel.catalogue():
        code = None
    activity = request.args.get("activite") or None
    if activity not in (None, "A1", "A2", "A3"):
        activity = None
    position = request.args.get("poste") or None
    if position not in POSITIONS:
        position = None
    criteria = JournalFilter(firm_ids=[f.id for f in firms], user_id=request.args.get("eleve", type=int),
                             position=position, code=code, activity=activity, start=start, end=end)
    query = journal_query(criteria).options(joinedload(Activity.user), joinedload(Activity.observer))
    if request.args.get("format") == "csv":
        rows = db.session.scalars(query.options(selectinload(Activity.competencies)).limit(50_000)).all()
        return _journal_csv(rows, firms)
    page = db.paginate(query, page=page_number(), error_out=False)
    trainees = db.session.scalars(select(User).join(Membership).where(Membership.firm_id.in_(criteria.firm_ids))
                                  .distinct().order_by(User.display_name)).all()
    return render_template("formation/journal.html", page=page, codes=follow_up.codes_of(page.items),
                           catalogue=referentiel.catalogue(), firms=firms,
                           classroom=classroom, trainees=trainees, positions=POSITIONS, criteria=criteria,
                           firm_names={f.id: f.trade_name for f in firms},
                           competencies=follow_up.competencies(), args=request.args)


def _journal_firms() -> tuple[list[Firm], Classroom | None]:
    """A trainee: their firm. A teacher: a class (?classe=), one firm (?entreprise=), or the current firm."""
    if not current_user.is_teacher:
        return ([g.firm] if g.get("firm") is not None else []), None
    classroom_id = request.args.get("classe", type=int)
    firm_id = request.args.get("entreprise", type=int)
    if firm_id:
        firm = access.firm_or_404(firm_id)
        return [firm], firm.classroom
    if classroom_id:
        classroom = access.classroom_or_404(classroom_id)
        return list(classroom.firms) + list(classroom.archived_firms), classroom
    if g.get("firm") is not None:
        return [g.firm], g.firm.classroom
    return [], None


def _journal_csv(activities, firms) -> Response:
    from crm.core.clock import local

    names = {f.id: f.trade_name for f in firms}
    header = ["date et heure", "date simulée", "entreprise", "élève", "poste", "action", "compétences",
              "observé par"]
    rows = ([local(a.at).strftime("%d/%m/%Y %H:%M"), a.business_date.strftime("%d/%m/%Y") if a.business_date else "",
             names.get(a.firm_id, ""), a.user.display_name if a.user else "", POSITIONS.get(a.position, ""),
             a.summary or a.verb, " ".join(a.codes), a.observer.display_name if a.observer else ""]
            for a in activities)
    return Response(csv_bytes(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="journal.csv"'})


# object type → (endpoint, argument) of the page showing it
RECORD_PAGES = {
    "Quote": ("ventes.show_document", "document_id"), "SalesOrder": ("ventes.show_document", "document_id"),
    "DeliveryNote": ("ventes.show_document", "document_id"), "Invoice": ("ventes.show_document", "document_id"),
    "CreditNote": ("ventes.show_document", "document_id"), "SalesDocument": ("ventes.show_document", "document_id"),
    "Party": ("clients.show_party", "party_id"), "DeskRequest": ("accueil.show_request", "desk_request_id"),
    "Product": ("ventes.show_product", "product_id"), "PurchaseOrder": ("stocks.show_order", "order_id"),
    "GoodsReceipt": ("stocks.show_receipt", "receipt_id"), "SupplierReturn": ("stocks.show_return", "return_id"),
    "CounterSale": ("ventes.show_receipt", "sale_id"),
    "DailyClosing": ("ventes.show_closing", "closing_id"), "StockCount": ("stocks.show_count", "count_id"),
    "IncomingInvoice": ("echanges.show_incoming", "incoming_id"),
    "SupplierInvoice": ("echanges.show_supplier_invoice", "supplier_invoice_id"),
}


@bp.route("/activites/<int:activity_id>/ouvrir")
def open_record(activity_id: int):
    """Open the record an activity was about, entering its firm first (a teacher may roam)."""
    from crm.core.tenancy import find_accessible_firm

    activity = db.session.get(Activity, activity_id)
    if activity is None:
        abort(404)
    firm = find_accessible_firm(current_user, activity.firm_id)
    if firm is None:
        abort(404)
    target = _record_url(activity)
    if target is None:
        flash("Cette activité ne renvoie à aucune fiche.", "info")
        return redirect(url_for("formation.journal"))
    if g.get("firm") is None or g.firm.id != firm.id:
        enter_firm(firm)
    return redirect(target)


def _record_url(activity: Activity) -> str | None:
    kind, object_id = activity.object_type, activity.object_id
    if object_id is None:
        return None
    if kind == "Payment":
        from crm.ventes.documents.models import Payment

        payment = db.session.get(Payment, object_id)
        return url_for("ventes.show_document", document_id=payment.invoice_id) if payment else None
    if kind == "StockMove":
        from crm.stocks.models import StockMove

        move = db.session.get(StockMove, object_id)
        return url_for("stocks.stock_card", product_id=move.product_id) if move else None
    if kind == "Interaction":
        from crm.clients.models import Interaction

        interaction = db.session.get(Interaction, object_id)
        return url_for("clients.show_party", party_id=interaction.party_id) if interaction else None
    if kind in ("Service", "StaffMember"):
        return url_for("accueil.organigramme")
    if kind in RECORD_PAGES:
        endpoint, argument = RECORD_PAGES[kind]
        return url_for(endpoint, **{argument: object_id})
    return None
