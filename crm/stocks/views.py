"""Blueprint of the stocks section (URL prefix /stocks)."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.core.errors import DomainError
from crm.core.sections import section_blueprint
from crm.core.tenancy import current_firm, firm_required, get_or_404, scoped
from crm.core.views_helpers import form_error, page_number
from crm.extensions import db
from crm.stocks import services
from crm.stocks.forms import CountForm, ManualMoveForm, SettingsForm, ThresholdForm, parse_counts
from crm.stocks.models import StockCount, StockMove
from crm.ventes.models import Product

bp = section_blueprint("stocks", __name__, landing_page=False)


@bp.app_context_processor
def _alert_badge():
    """The navigation's alert count, computed only when a page asks for it."""

    def stock_alert_count() -> int:
        return services.stock_alert_count(current_firm) if current_firm else 0

    return {"stock_alert_count": stock_alert_count}


@bp.before_request
@firm_required
def _firm_only():
    """Every screen here works inside the current firm."""


@bp.context_processor
def _negative_flag():
    return {"negative_allowed": bool(current_firm) and services.allows_negative_stock(current_firm)}


@bp.route("/")
def index():
    query = scoped(Product).where(Product.stock_tracked.is_(True), Product.active.is_(True)).order_by(Product.reference)
    page = db.paginate(query, page=page_number(), per_page=25, error_out=False)
    thresholds = {t.product_id: t for t in db.session.scalars(
        scoped(services.StockThreshold).where(services.StockThreshold.product_id.in_([p.id for p in page.items]))
    )}
    settings_form = SettingsForm(allow_negative_stock=services.allows_negative_stock(current_firm))
    return render_template("stocks/index.html", page=page, thresholds=thresholds, settings_form=settings_form,
                           alert_count=services.stock_alert_count(current_firm))


@bp.route("/parametres", methods=["POST"])
def save_settings():
    form = SettingsForm()
    if form.validate_on_submit():
        services.set_allow_negative_stock(current_firm, form.allow_negative_stock.data)
        flash("Le stock négatif est maintenant autorisé : les sorties au-delà du stock seront acceptées."
              if form.allow_negative_stock.data else "Le stock négatif est refusé : aucune sortie au-delà du stock.",
              "warning" if form.allow_negative_stock.data else "success")
    return redirect(url_for("stocks.index"))


@bp.route("/mouvements")
def list_moves():
    query = scoped(StockMove).order_by(StockMove.id.desc())
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("stocks/moves.html", page=page)


@bp.route("/mouvements/nouveau", methods=["GET", "POST"])
def new_move():
    form = ManualMoveForm()
    if request.method == "GET":
        form.product_id.data = request.args.get("product_id", type=int)
        form.quantity.data = request.args.get("quantity", type=int)
        form.alert.data = "1" if request.args.get("alert") else ""
    if form.validate_on_submit():
        product = get_or_404(Product, form.product_id.data)
        try:
            move = services.record_manual_move(
                current_firm, current_user, product, form.kind.data, form.quantity.data,
                form.unit_cost.data, form.source.data, form.note.data, answers_alert=form.alert.data == "1")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{move.kind_label} enregistrée : {product.reference}, stock {move.on_hand_after} {product.unit}.",
                  "success")
            return redirect(url_for("stocks.stock_card", product_id=product.id))
    status = 422 if request.method == "POST" else 200
    return render_template("stocks/move_form.html", form=form), status


@bp.route("/articles/<int:product_id>")
def stock_card(product_id: int):
    """La fiche de stock: the running balance, move by move."""
    product = get_or_404(Product, product_id)
    query = scoped(StockMove).where(StockMove.product_id == product.id).order_by(StockMove.id)
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render_template("stocks/stock_card.html", product=product, page=page,
                           threshold=services.threshold_of(product))


@bp.route("/articles/<int:product_id>/seuils", methods=["GET", "POST"])
def edit_thresholds(product_id: int):
    product = get_or_404(Product, product_id)
    threshold = services.threshold_of(product)
    form = ThresholdForm(obj=threshold)
    computation = None
    if form.validate_on_submit():
        data = {name: form[name].data for name in
                ("minimum", "safety", "maximum", "alert_mode", "alert", "period_days", "lead_time_days")}
        if request.form.get("preview"):
            computation = _preview(product, form)
        else:
            try:
                services.set_thresholds(product, **data)
            except DomainError as error:
                form_error(form, error)
            else:
                flash("Les seuils de stock sont enregistrés.", "success")
                return redirect(url_for("stocks.stock_card", product_id=product.id))
    elif threshold is not None and threshold.alert_mode == "computed" and request.method == "GET":
        computation = services.compute_alert(product, threshold.period_days, threshold.lead_time_days,
                                             threshold.safety)
    status = 422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    return render_template("stocks/thresholds.html", product=product, form=form, computation=computation), status


def _preview(product, form):
    if form.period_days.data and form.lead_time_days.data is not None:
        return services.compute_alert(product, form.period_days.data, form.lead_time_days.data,
                                      form.safety.data or 0)
    form.form_errors.append("Pour calculer le stock d'alerte, indiquez la période et le délai de livraison.")
    return None


@bp.route("/alertes")
def alerts():
    return render_template("stocks/alerts.html", alerts=services.stock_alerts(current_firm))


# --- inventories ------------------------------------------------------------

@bp.route("/inventaires", methods=["GET", "POST"])
def counts():
    form = CountForm()
    if form.validate_on_submit():
        try:
            count = services.create_count(current_firm, current_user, form.label.data, form.counted_on.data,
                                          form.family_id.data or None)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("L'inventaire est ouvert : imprimez la feuille de comptage, comptez, puis saisissez.", "success")
            return redirect(url_for("stocks.show_count", count_id=count.id))
    query = scoped(StockCount).order_by(StockCount.id.desc())
    page = db.paginate(query, page=page_number(), per_page=25, error_out=False)
    status = 422 if request.method == "POST" else 200
    return render_template("stocks/counts.html", form=form, page=page), status


@bp.route("/inventaires/<int:count_id>", methods=["GET", "POST"])
def show_count(count_id: int):
    count = get_or_404(StockCount, count_id)
    errors: dict[int, str] = {}
    if request.method == "POST":
        values, errors = parse_counts(request.form, count.lines)
        if not errors:
            try:
                services.enter_counts(count, values)
            except DomainError as error:
                flash(error.message, "error")
                return _count_page(count, {}), 422
            flash("Les quantités comptées sont enregistrées.", "success")
            return redirect(url_for("stocks.show_count", count_id=count.id))
    return _count_page(count, errors), 422 if errors else 200


def _count_page(count, errors):
    return render_template("stocks/count.html", count=count, errors=errors, typed=request.form)


@bp.route("/inventaires/<int:count_id>/feuille")
def count_sheet(count_id: int):
    count = get_or_404(StockCount, count_id)
    return render_template("stocks/count_sheet.html", count=count)


@bp.route("/inventaires/<int:count_id>/valider", methods=["POST"])
def validate_count(count_id: int):
    count = get_or_404(StockCount, count_id)
    try:
        moves = services.validate_count(current_firm, current_user, count)
    except DomainError as error:
        flash(error.message, "error")
        return _count_page(count, {}), 422
    flash(f"Inventaire validé : {len(moves)} ajustement(s) de stock passé(s). Il est maintenant figé.", "success")
    return redirect(url_for("stocks.show_count", count_id=count.id))


@bp.route("/inventaires/<int:count_id>/supprimer", methods=["POST"])
def delete_count(count_id: int):
    count = get_or_404(StockCount, count_id)
    try:
        services.delete_count(count)
    except DomainError as error:
        flash(error.message, "error")
        return _count_page(count, {}), 422
    flash("L'inventaire en cours est supprimé.", "success")
    return redirect(url_for("stocks.counts"))
