"""Teacher side: the référentiel and the activity journal of a firm."""
from flask import Blueprint, render_template
from sqlalchemy.orm import selectinload

from crm.core.tenancy import firm_required, scoped
from crm.core.views_helpers import page_number
from crm.extensions import db
from crm.formation import referentiel
from crm.formation.models import Activity

bp = Blueprint("formation", __name__, template_folder="templates")


@bp.route("/referentiel")
def show_referentiel():
    return render_template(
        "formation/referentiel.html",
        activities=referentiel.activities(),
        savoirs=referentiel.savoirs(),
        catalogue=referentiel.catalogue(),
    )


@bp.route("/journal")
@firm_required
def journal():
    query = (
        scoped(Activity)
        .options(selectinload(Activity.competencies), selectinload(Activity.user))
        .order_by(Activity.at.desc(), Activity.id.desc())
    )
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template(
        "formation/journal.html", page=page, catalogue=referentiel.catalogue()
    )
