"""Blueprint of the stocks section (URL prefix /stocks)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from crm.core.tenancy import manages_firm
from crm.core.formatting import agree, counted, with_unit
from crm.core.errors import DomainError
from crm.core.picker import searching
from crm.core.sections import section_blueprint
from crm.core.tenancy import current_firm, firm_required, get_or_404, scoped
from crm.core.views_helpers import form_error, page_number, refuse
from crm.extensions import db
from crm.einvoice import purchasing as einvoice_purchasing
from crm.stocks import purchasing, services
from crm.clients.models import Party
from crm.core.models import Firm
from crm.core.mentions import seller_legal_mentions
from crm.core.pdf import PdfUnavailable, firm_logo_uri, pdf_response, render_pdf
from crm.stocks.forms import (
    CountForm, ManualMoveForm, OrderLineForm, PurchaseOrderForm, ReceiptForm, ReturnForm, SettingsForm,
    SupplierTermsForm, ThresholdForm, parse_counts, parse_receipt_lines, parse_return_lines,
)
from crm.stocks.models import (
    ORDER_STATUSES, GoodsReceipt, PurchaseOrder, PurchaseOrderLine, StockCount, StockCountLine, StockMove,
    SupplierReturn, SupplierReturnLine, SupplierTerms,
)
from crm.ventes.models import Product

bp = section_blueprint("stocks", __name__)


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
    page = db.paginate(query, page=page_number(), error_out=False)
    thresholds = {t.product_id: t for t in db.session.scalars(
        scoped(services.StockThreshold).where(services.StockThreshold.product_id.in_([p.id for p in page.items]))
    )}
    settings_form = SettingsForm(allow_negative_stock=services.allows_negative_stock(current_firm))
    return render_template("stocks/index.html", page=page, thresholds=thresholds, settings_form=settings_form,
                           manages_firm=manages_firm(current_user, current_firm),
                           alert_count=services.stock_alert_count(current_firm))


@bp.route("/parametres", methods=["POST"])
def save_settings():
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            services.set_allow_negative_stock(current_firm, current_user, form.allow_negative_stock.data)
        except DomainError as error:
            refuse(error)
            return redirect(url_for("stocks.index"))
        flash("Le stock négatif est maintenant autorisé : les sorties au-delà du stock seront acceptées."
              if form.allow_negative_stock.data else "Le stock négatif est refusé : aucune sortie au-delà du stock.",
              "warning" if form.allow_negative_stock.data else "success")
    return redirect(url_for("stocks.index"))


@bp.route("/mouvements")
def list_moves():
    query = (scoped(StockMove).order_by(StockMove.id.desc())
             .options(selectinload(StockMove.product), selectinload(StockMove.author)))
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("stocks/moves.html", page=page)


@bp.route("/mouvements/nouveau", methods=["GET", "POST"])
def new_move():
    form = ManualMoveForm()
    if request.method == "GET":
        form.product_id.data = request.args.get("product_id", type=int)
        form.quantity.data = request.args.get("quantity", type=int)
        form.alert.data = "1" if request.args.get("alert") else ""
    if not searching(form) and form.validate_on_submit():
        product = get_or_404(Product, form.product_id.data)
        try:
            move = services.record_manual_move(
                current_firm, current_user, product, form.kind.data, form.quantity.data,
                form.unit_cost.data, form.source.data, form.note.data, answers_alert=form.alert.data == "1")
        except DomainError as error:
            form_error(form, error)
        else:
            flash(
                f"{move.kind_label} {agree(move, 'enregistré')} : {product.reference}, "
                f"stock {with_unit(move.on_hand_after, product.unit)}.",
                "success",
            )
            return redirect(url_for("stocks.stock_card", product_id=product.id))
    status = 422 if request.method == "POST" and not searching(form) else 200
    has_products = db.session.scalar(scoped(Product).with_only_columns(Product.id)
                                     .where(Product.stock_tracked.is_(True)).limit(1)) is not None
    return render_template("stocks/move_form.html", form=form, has_products=has_products), status


@bp.route("/articles/<int:product_id>")
def stock_card(product_id: int):
    """La fiche de stock: the running balance, move by move."""
    product = get_or_404(Product, product_id)
    query = scoped(StockMove).where(StockMove.product_id == product.id).order_by(StockMove.id)
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("stocks/stock_card.html", product=product, page=page,
                           threshold=services.threshold_of(product))


@bp.route("/articles/<int:product_id>/seuils", methods=["GET", "POST"])
def edit_thresholds(product_id: int):
    product = get_or_404(Product, product_id)
    threshold = services.threshold_of(product)
    form = ThresholdForm(obj=threshold)
    computation = None
    if not searching(form) and form.validate_on_submit():
        if form.supplier_id.data and purchasing.supplier_of_firm(current_firm, form.supplier_id.data) is None:
            abort(404)
        data = {name: form[name].data for name in
                ("minimum", "safety", "maximum", "alert_mode", "alert", "period_days", "lead_time_days",
                 "supplier_id")}
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
    status = 422 if request.method == "POST" and (form.errors or form.form_errors) and not searching(form) else 200
    return render_template("stocks/thresholds.html", product=product, form=form, computation=computation), status


def _preview(product, form):
    supplier = purchasing.supplier_of_firm(current_firm, form.supplier_id.data)
    terms = purchasing.terms_of(supplier) if supplier else None
    if terms is not None:
        form.lead_time_days.data = terms.lead_time_days
    if form.period_days.data and form.lead_time_days.data is not None:
        return services.compute_alert(product, form.period_days.data, form.lead_time_days.data,
                                      form.safety.data or 0)
    form.form_errors.append("Pour calculer le stock d'alerte, indiquez la période et le délai de livraison.")
    return None


@bp.route("/alertes")
def alerts():
    page = purchasing.alerts_page(current_firm, page_number())
    return render_template("stocks/alerts.html", page=page, alerts=page.items)


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
    page = db.paginate(query, page=page_number(), error_out=False)
    status = 422 if request.method == "POST" else 200
    return render_template("stocks/counts.html", form=form, page=page), status


def _count_with_lines(count_id: int) -> StockCount:
    """The inventory with its lines, their products and families, in three queries."""
    return get_or_404(StockCount, count_id, selectinload(StockCount.lines).joinedload(StockCountLine.product)
                      .joinedload(Product.family), joinedload(StockCount.author),
                      joinedload(StockCount.validated_by))


@bp.route("/inventaires/<int:count_id>", methods=["GET", "POST"])
def show_count(count_id: int):
    count = _count_with_lines(count_id)
    errors: dict[int, str] = {}
    if request.method == "POST":
        values, errors = parse_counts(request.form, count.lines)
        if not errors:
            try:
                services.enter_counts(count, values)
            except DomainError as error:
                refuse(error)
                return _count_page(count, {}), 422
            flash("Les quantités comptées sont enregistrées.", "success")
            return redirect(url_for("stocks.show_count", count_id=count.id))
    return _count_page(count, errors), 422 if errors else 200


def _count_page(count, errors):
    return render_template("stocks/count.html", count=count, errors=errors, typed=request.form)


@bp.route("/inventaires/<int:count_id>/feuille")
def count_sheet(count_id: int):
    count = _count_with_lines(count_id)
    return render_template("stocks/count_sheet.html", count=count)


@bp.route("/inventaires/<int:count_id>/valider", methods=["POST"])
def validate_count(count_id: int):
    count = get_or_404(StockCount, count_id)
    try:
        moves = services.validate_count(current_firm, current_user, count)
    except DomainError as error:
        refuse(error)
        return _count_page(count, {}), 422
    flash(f"Inventaire validé : {counted(len(moves), 'ajustement de stock passé', 'ajustements de stock passés')}. "
          "Il est maintenant figé.", "success")
    return redirect(url_for("stocks.show_count", count_id=count.id))


@bp.route("/inventaires/<int:count_id>/supprimer", methods=["POST"])
def delete_count(count_id: int):
    count = get_or_404(StockCount, count_id)
    try:
        services.delete_count(count)
    except DomainError as error:
        refuse(error)
        return _count_page(count, {}), 422
    flash("L'inventaire en cours est supprimé.", "success")
    return redirect(url_for("stocks.counts"))


# --- suppliers, purchase orders, goods receipts -------------------------------

@bp.route("/fournisseurs")
def suppliers():
    query = scoped(Party).where(Party.kind == "supplier").order_by(Party.sort_key)
    page = db.paginate(query, page=page_number(), error_out=False)
    terms = {t.party_id: t for t in db.session.scalars(
        scoped(SupplierTerms).where(SupplierTerms.party_id.in_([p.id for p in page.items])))}
    return render_template("stocks/suppliers.html", page=page, terms=terms)


@bp.route("/fournisseurs/<int:party_id>", methods=["GET", "POST"])
def supplier_terms(party_id: int):
    party = get_or_404(Party, party_id)
    if party.kind != "supplier":
        abort(404)
    terms = purchasing.terms_of(party)
    form = SupplierTermsForm(obj=terms)
    if form.validate_on_submit():
        try:
            purchasing.set_supplier_terms(party, form.lead_time_days.data, form.minimum_order.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Conditions de {party.name} enregistrées.", "success")
            return redirect(url_for("stocks.suppliers"))
    orders = db.session.scalars(scoped(PurchaseOrder).where(PurchaseOrder.supplier_id == party.id)
                                .order_by(PurchaseOrder.id.desc()).limit(20)).all()
    status = 422 if request.method == "POST" else 200
    return render_template("stocks/supplier_terms.html", party=party, form=form, orders=orders), status


@bp.route("/commandes")
def orders():
    query = scoped(PurchaseOrder).order_by(PurchaseOrder.id.desc()).options(selectinload(PurchaseOrder.supplier))
    status = request.args.get("statut", "")
    if status in ORDER_STATUSES:
        query = query.where(PurchaseOrder.status == status)
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("stocks/orders.html", page=page, statuses=ORDER_STATUSES, status=status)


@bp.route("/commandes/nouvelle", methods=["GET", "POST"])
def new_order():
    form = PurchaseOrderForm()
    if request.method == "GET" and request.args.get("supplier_id", type=int):
        form.supplier_id.data = request.args.get("supplier_id", type=int)
    if not searching(form) and form.validate_on_submit():
        supplier = get_or_404(Party, form.supplier_id.data)
        if supplier.kind != "supplier":
            abort(404)
        try:
            order = purchasing.create_order(current_firm, current_user, supplier, form.order_date.data,
                                            form.notes.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Commande fournisseur créée en brouillon : ajoutez les articles.", "success")
            return redirect(url_for("stocks.show_order", order_id=order.id))
    status = 422 if request.method == "POST" and not searching(form) else 200
    has_suppliers = db.session.scalar(scoped(Party).with_only_columns(Party.id)
                                      .where(Party.kind == "supplier").limit(1)) is not None
    return render_template("stocks/order_form.html", form=form, has_suppliers=has_suppliers), status


@bp.route("/commandes/depuis-alertes", methods=["POST"])
def orders_from_alerts():
    try:
        result = purchasing.orders_from_proposals(current_firm, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("stocks.alerts"))
    if result.orders:
        flash(f"{counted(len(result.orders), 'commande fournisseur préparée', 'commandes fournisseur préparées')} "
              "en brouillon avec les quantités "
              "proposées : vérifiez-les, puis validez-les.", "success")
    for warning in result.warnings:
        flash(warning, "warning")
    if result.without_supplier:
        references = ", ".join(p.reference for p in result.without_supplier)
        flash(f"Sans fournisseur habituel, donc pas commandés : {references}. Indiquez leur fournisseur dans "
              "leurs seuils ou créez la commande à la main.", "warning")
    if len(result.orders) == 1:
        return redirect(url_for("stocks.show_order", order_id=result.orders[0].id))
    return redirect(url_for("stocks.orders") if result.orders else url_for("stocks.alerts"))


def _credit_statuses(returns) -> dict[int, str]:
    """Return id → draft / awaiting_credit / credited (one query for all the returns shown)."""
    notes = einvoice_purchasing.credit_notes_of_returns(r.id for r in returns)
    return {r.id: einvoice_purchasing.return_credit_status(r, notes.get(r.id, [])) for r in returns}


def _order_page(order, line_form, status=200):
    received = purchasing.accepted_by_line(line.id for line in order.lines)
    return render_template("stocks/order.html", order=order, line_form=line_form, received=received,
                           credit_status=_credit_statuses(order.returns),
                           credit_labels=einvoice_purchasing.RETURN_CREDIT_LABELS,
                           totals=purchasing.order_totals(order),
                           shortfall=purchasing.minimum_shortfall(order) if order.is_draft else None,
                           terms=purchasing.terms_of(order.supplier)), status


@bp.route("/commandes/<int:order_id>", methods=["GET", "POST"])
def show_order(order_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    form = OrderLineForm()
    if not searching(form) and form.validate_on_submit():
        product = get_or_404(Product, form.product_id.data)
        try:
            purchasing.set_order_line(order, product, form.quantity.data, form.unit_price.data,
                                      Decimal(form.vat_rate.data) if form.vat_rate.data else None)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Ligne {product.reference} enregistrée.", "success")
            return redirect(url_for("stocks.show_order", order_id=order.id))
    return _order_page(order, form, 422 if request.method == "POST" and not searching(form) else 200)


@bp.route("/commandes/<int:order_id>/lignes/<int:order_line_id>/supprimer", methods=["POST"])
def remove_order_line(order_id: int, order_line_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    line = get_or_404(PurchaseOrderLine, order_line_id)
    if line.order_id != order.id:
        abort(404)
    try:
        purchasing.remove_order_line(order, line)
    except DomainError as error:
        refuse(error)
        return _order_page(order, OrderLineForm(formdata=None), 422)
    flash("Ligne retirée de la commande.", "success")
    return redirect(url_for("stocks.show_order", order_id=order.id))


@bp.route("/commandes/<int:order_id>/valider", methods=["POST"])
def validate_order(order_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    try:
        purchasing.validate_order(current_firm, current_user, order)
    except DomainError as error:
        refuse(error)
        return _order_page(order, OrderLineForm(formdata=None), 422)
    flash(f"Commande {order.number} validée : elle est numérotée et figée. Imprimez-la pour le fournisseur.",
          "success")
    return redirect(url_for("stocks.show_order", order_id=order.id))


@bp.route("/commandes/<int:order_id>/supprimer", methods=["POST"])
def delete_order(order_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    try:
        purchasing.delete_order(order)
    except DomainError as error:
        refuse(error)
        return _order_page(order, OrderLineForm(formdata=None), 422)
    flash("Le brouillon de commande est supprimé.", "success")
    return redirect(url_for("stocks.orders"))


@bp.route("/commandes/<int:order_id>/document")
def order_document(order_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    return render_template("documents/purchase_order.html", **purchase_order_context(order),
                           back_url=url_for("stocks.show_order", order_id=order.id),
                           pdf_url=url_for("stocks.order_pdf", order_id=order.id))


@bp.route("/commandes/<int:order_id>/pdf")
def order_pdf(order_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    try:
        pdf = render_pdf("documents/purchase_order.html", **purchase_order_context(order))
    except PdfUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("stocks.show_order", order_id=order.id))
    return pdf_response(pdf, f"{order.number or f'commande-brouillon-{order.id}'}.pdf")


@bp.route("/commandes/<int:order_id>/reception", methods=["GET", "POST"])
def new_receipt(order_id: int):
    order = get_or_404(PurchaseOrder, order_id)
    if order.status not in purchasing.OPEN_STATUSES:
        flash("Seule une commande validée et pas encore entièrement reçue peut être réceptionnée.", "error")
        return redirect(url_for("stocks.show_order", order_id=order.id))
    form = ReceiptForm()
    remaining = purchasing.remaining_by_line(order)
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        values, errors = parse_receipt_lines(request.form, order.lines)
        if not errors:
            try:
                receipt = purchasing.create_receipt(current_firm, current_user, order, form.received_on.data,
                                                    values, form.delivery_note.data, form.note.data)
            except DomainError as error:
                form_error(form, error)
            else:
                flash("Bon de réception enregistré en brouillon : vérifiez-le, puis validez-le pour entrer "
                      "la marchandise en stock.", "success")
                return redirect(url_for("stocks.show_receipt", receipt_id=receipt.id))
    status = 422 if request.method == "POST" else 200
    return render_template("stocks/receipt_form.html", order=order, form=form, remaining=remaining,
                           errors=errors, typed=request.form if request.method == "POST" else None), status


def _receipt_page(receipt, status=200):
    return render_template("stocks/receipt.html", receipt=receipt,
                           discrepancies={line.id: purchasing.receipt_discrepancies(line)
                                          for line in receipt.lines},
                           credit_status=_credit_statuses(receipt.returns),
                           credit_labels=einvoice_purchasing.RETURN_CREDIT_LABELS), status


@bp.route("/receptions/<int:receipt_id>")
def show_receipt(receipt_id: int):
    return _receipt_page(get_or_404(GoodsReceipt, receipt_id))


@bp.route("/receptions/<int:receipt_id>/valider", methods=["POST"])
def validate_receipt(receipt_id: int):
    receipt = get_or_404(GoodsReceipt, receipt_id)
    try:
        purchasing.validate_receipt(current_firm, current_user, receipt)
    except DomainError as error:
        refuse(error)
        return _receipt_page(receipt, 422)
    flash(f"Réception {receipt.number} validée : la marchandise acceptée est entrée en stock.", "success")
    return redirect(url_for("stocks.show_receipt", receipt_id=receipt.id))


@bp.route("/receptions/<int:receipt_id>/supprimer", methods=["POST"])
def delete_receipt(receipt_id: int):
    receipt = get_or_404(GoodsReceipt, receipt_id)
    order_id = receipt.order_id
    try:
        purchasing.delete_receipt(receipt)
    except DomainError as error:
        refuse(error)
        return _receipt_page(receipt, 422)
    flash("Le brouillon de réception est supprimé.", "success")
    return redirect(url_for("stocks.show_order", order_id=order_id))


# --- returns to the supplier -----------------------------------------------------

@bp.route("/retours")
def returns():
    query = (scoped(SupplierReturn).order_by(SupplierReturn.id.desc())
             .options(selectinload(SupplierReturn.order).selectinload(PurchaseOrder.supplier),
                      selectinload(SupplierReturn.receipt),
                      selectinload(SupplierReturn.lines).selectinload(SupplierReturnLine.order_line)))
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("stocks/returns.html", page=page, credit_status=_credit_statuses(page.items),
                           credit_labels=einvoice_purchasing.RETURN_CREDIT_LABELS)


@bp.route("/commandes/<int:order_id>/retour", methods=["GET", "POST"])
def new_return_from_order(order_id: int):
    return _new_return(get_or_404(PurchaseOrder, order_id), None)


@bp.route("/receptions/<int:receipt_id>/retour", methods=["GET", "POST"])
def new_return(receipt_id: int):
    receipt = get_or_404(GoodsReceipt, receipt_id)
    return _new_return(receipt.order, receipt)


def _new_return(order: PurchaseOrder, receipt: GoodsReceipt | None):
    back = (url_for("stocks.show_receipt", receipt_id=receipt.id) if receipt is not None
            else url_for("stocks.show_order", order_id=order.id))
    if order.is_draft or (receipt is not None and receipt.is_draft):
        flash("Un retour se fait depuis une réception validée (ou sa commande).", "error")
        return redirect(back)
    form = ReturnForm()
    returnable = purchasing.returnable_by_line(order, receipt)
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        values, errors = parse_return_lines(request.form, order.lines)
        if not errors:
            try:
                supplier_return = purchasing.create_return(current_firm, current_user, order, receipt,
                                                           form.returned_on.data, form.reason.data, values)
            except DomainError as error:
                form_error(form, error)
            else:
                flash("Bon de retour enregistré en brouillon : vérifiez-le, puis validez-le pour le numéroter "
                      "(les unités reprises du stock en sortiront).", "success")
                return redirect(url_for("stocks.show_return", return_id=supplier_return.id))
    status = 422 if request.method == "POST" else 200
    return render_template("stocks/return_form.html", order=order, receipt=receipt, form=form, returnable=returnable,
                           errors=errors, typed=request.form if request.method == "POST" else None,
                           back=back), status


def _return_page(supplier_return, status=200):
    notes = einvoice_purchasing.credit_notes_of_returns([supplier_return.id]).get(supplier_return.id, [])
    return render_template("stocks/return.html", supplier_return=supplier_return, credit_notes=notes,
                           credit_status=einvoice_purchasing.return_credit_status(supplier_return, notes),
                           credit_labels=einvoice_purchasing.RETURN_CREDIT_LABELS), status


def _return(return_id: int) -> SupplierReturn:
    return get_or_404(SupplierReturn, return_id, joinedload(SupplierReturn.order).joinedload(PurchaseOrder.supplier),
                      selectinload(SupplierReturn.lines).joinedload(SupplierReturnLine.order_line)
                      .joinedload(PurchaseOrderLine.product))


@bp.route("/retours/<int:return_id>")
def show_return(return_id: int):
    return _return_page(_return(return_id))


@bp.route("/retours/<int:return_id>/valider", methods=["POST"])
def validate_return(return_id: int):
    supplier_return = _return(return_id)
    try:
        purchasing.validate_return(current_firm, current_user, supplier_return)
    except DomainError as error:
        refuse(error)
        return _return_page(supplier_return, 422)
    flash(f"Retour {supplier_return.number} validé : il est numéroté et figé. Joignez-le aux marchandises "
          "renvoyées ; l'avoir du fournisseur se rattache à ce bon.", "success")
    return redirect(url_for("stocks.show_return", return_id=supplier_return.id))


@bp.route("/retours/<int:return_id>/supprimer", methods=["POST"])
def delete_return(return_id: int):
    supplier_return = _return(return_id)
    order_id = supplier_return.order_id
    try:
        purchasing.delete_return(supplier_return)
    except DomainError as error:
        refuse(error)
        return _return_page(supplier_return, 422)
    flash("Le brouillon de retour est supprimé.", "success")
    return redirect(url_for("stocks.show_order", order_id=order_id))


def purchase_order_context(order: PurchaseOrder) -> dict:
    """The context of documents/purchase_order.html (see documents/base_document.html)."""
    firm = db.session.get(Firm, order.firm_id)
    supplier = order.supplier
    town = " ".join(p for p in (supplier.postcode, supplier.city) if p)
    terms = purchasing.terms_of(supplier)
    expected = order.order_date + timedelta(days=terms.lead_time_days) if terms else None
    return {
        "firm": firm, "logo_src": firm_logo_uri(firm),
        "doc": SimpleNamespace(title="Commande fournisseur", number=order.number, issue_date=order.order_date,
                               sale_date=None, due_date=expected, nature=None, references=[],
                               client_code=None, notes=order.notes, payment_method=None),
        "client": SimpleNamespace(
            name=supplier.name, is_business=supplier.category == "business",
            address_lines=[item for item in (supplier.address_line1, supplier.address_line2, town) if item],
            siren=supplier.siret[:9] if supplier.siret else "", vat_number=supplier.vat_number),
        "delivery_address_lines": None,
        "seller_legal": seller_legal_mentions(firm),
        "lines": [SimpleNamespace(reference=item.product.reference, label=item.product.label, description="",
                                  quantity=item.quantity, unit=item.product.unit, unit_price=item.unit_price,
                                  discount_rate=None, vat_rate=item.vat_rate, net=item.net) for item in order.lines],
        "totals": purchasing.order_totals(order),
        "mentions": [],
    }
