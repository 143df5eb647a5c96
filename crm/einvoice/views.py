"""Screens of e-invoices (URL prefix /echanges): directory of the classroom, incoming invoices, upload."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.formatting import day
from crm.core.money import parse_amount
from crm.core.pdf import pdf_response
from crm.core.picker import searching
from crm.core.tenancy import current_firm, firm_required, get_or_404, scoped
from crm.core.views_helpers import form_error, page_number, refuse
from crm.einvoice import purchasing, services
from crm.einvoice.forms import (
    DecisionForm, LinkForm, LinkPartyForm, OrderChoiceForm, ReturnChoiceForm, SupplierPaymentForm,
    TypedCreditNoteForm, TypedInvoiceForm, UploadForm,
)
from crm.einvoice.models import SUPPLIER_INVOICE_STATUSES, IncomingInvoice, SupplierInvoice, SupplierInvoiceLine
from crm.extensions import db

bp = Blueprint("echanges", __name__, template_folder="templates")


@bp.before_request
@firm_required
def _firm_only():
    """Every screen here works inside the current firm."""


@bp.route("/")
def index():
    return _index_page(UploadForm(formdata=None))


def _index_page(form: UploadForm, status: int = 200, reasons: list[str] | None = None):
    page = db.paginate(services.incoming_query(current_firm), page=page_number(), error_out=False)
    return render_template("einvoice/index.html", page=page, form=form, reasons=reasons or []), status


@bp.route("/deposer", methods=["POST"])
def upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            incoming = services.receive(current_firm, current_user, upload.read(), upload.filename or "")
        except DomainError as error:
            form_error(form, error)
            return _index_page(form, 422, getattr(error, "reasons", []))
        flash(f"{incoming.type_label} {incoming.number} de {incoming.seller_name} reçue et contrôlée.", "success")
        return redirect(url_for("echanges.show_incoming", incoming_id=incoming.id))
    return _index_page(form, 422)


@bp.route("/recues/<int:incoming_id>")
def show_incoming(incoming_id: int):
    incoming = get_or_404(IncomingInvoice, incoming_id)
    booked_as = db.session.scalar(scoped(SupplierInvoice).where(SupplierInvoice.incoming_id == incoming.id))
    return render_template("einvoice/incoming.html", incoming=incoming, invoice=services.read_incoming(incoming),
                           booked_as=booked_as)


@bp.route("/recues/<int:incoming_id>/fichier")
def incoming_file(incoming_id: int):
    incoming = get_or_404(IncomingInvoice, incoming_id)
    if incoming.content_type == "application/pdf":
        return pdf_response(incoming.data, incoming.filename if incoming.filename.endswith(".pdf")
                            else f"{incoming.number}.pdf")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in incoming.number) or "facture"
    return Response(incoming.data, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{safe}.xml"', "Cache-Control": "private, no-store"})


@bp.route("/annuaire")
def directory():
    firms = services.directory(current_firm)
    return render_template("einvoice/directory.html", firms=firms, linked=services.linked_parties(current_firm),
                           proposals=services.link_proposals(current_firm, firms), form=LinkForm(formdata=None),
                           classroom=current_firm.classroom)


@bp.route("/annuaire/<int:firm_id>/lier", methods=["POST"])
def link_firm(firm_id: int):
    other = services.directory_firm_or_404(current_firm, firm_id)
    form = LinkForm()
    if not form.validate_on_submit():
        refuse(DomainError("Choisissez client ou fournisseur."))
        return redirect(url_for("echanges.directory")), 303
    try:
        party = services.link_firm(current_firm, current_user, other, form.kind.data)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("echanges.directory")), 303
    flash(f"« {party.name} » est dans votre fichier : ses factures s'échangent en Factur-X.", "success")
    return redirect(url_for("clients.show_party", party_id=party.id))


@bp.route("/annuaire/<int:firm_id>/lier-fiche", methods=["GET", "POST"])
def link_party(firm_id: int):
    """Link a party already in the file to a directory firm, instead of creating a duplicate."""
    from crm.clients.models import Party

    other = services.directory_firm_or_404(current_firm, firm_id)
    form = LinkPartyForm(formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and not searching(form):
        if form.validate_on_submit():
            try:
                party = services.link_existing_party(current_firm, current_user, other,
                                                     get_or_404(Party, form.party_id.data))
            except DomainError as error:
                form_error(form, error)
            else:
                flash(f"« {party.name} » est liée à {other.trade_name} : ses factures s'échangent en Factur-X.",
                      "success")
                return redirect(url_for("clients.show_party", party_id=party.id))
        status = 422
    return render_template("einvoice/link_party.html", form=form, other=other,
                           proposals=services.link_proposals(current_firm, [other]).get(other.id, [])), status


@bp.route("/transmissions/<int:document_id>", methods=["POST"])
def retry_delivery(document_id: int):
    """Deliver again (or for the first time) a validated invoice's Factur-X to the buyer firm."""
    from crm.ventes.documents import storage
    from crm.ventes.documents.models import SalesDocument

    document = get_or_404(SalesDocument, document_id)
    delivery = services.delivery_of(document)
    if delivery is None or document.is_draft:
        abort(404)
    if delivery.status != "delivered":
        storage.ensure_stored(document)
        delivery = services.deliver(document.id)
    if delivery.status == "delivered":
        flash(f"{document.title} transmise à l'entreprise cliente.", "success")
    elif delivery.status == "refused":
        flash(f"Transmission refusée : {delivery.reason}", "error")
    else:
        flash("Le Factur-X n'a pas pu être produit : réessayez plus tard.", "error")
    return redirect(url_for("ventes.show_document", document_id=document.id))


# --- the purchase side ------------------------------------------------------------

@bp.route("/recues/<int:incoming_id>/saisir", methods=["POST"])
def book_incoming(incoming_id: int):
    incoming = get_or_404(IncomingInvoice, incoming_id)
    try:
        invoice = purchasing.from_incoming(current_firm, current_user, incoming)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("echanges.show_incoming", incoming_id=incoming_id)), 303
    flash(f"{invoice.title} saisie depuis le Factur-X reçu : contrôlez-la avec la commande et les réceptions.",
          "success")
    return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=invoice.id))


@bp.route("/achats")
def supplier_invoices():
    status = request.args.get("statut", "")
    if status not in SUPPLIER_INVOICE_STATUSES:
        status = ""
    page = db.paginate(purchasing.supplier_invoices_query(current_firm, status), page=page_number(),
                       error_out=False)
    return render_template("einvoice/supplier_invoices.html", page=page, balances=purchasing.balances(page.items),
                           statuses=SUPPLIER_INVOICE_STATUSES, status=status, today=business_today(current_firm))


def _supplier_invoice(supplier_invoice_id: int) -> SupplierInvoice:
    return get_or_404(SupplierInvoice, supplier_invoice_id, joinedload(SupplierInvoice.supplier),
                      selectinload(SupplierInvoice.lines).joinedload(SupplierInvoiceLine.order_line),
                      selectinload(SupplierInvoice.payments))


@bp.route("/achats/<int:supplier_invoice_id>")
def show_supplier_invoice(supplier_invoice_id: int, forms: dict | None = None, status: int = 200):
    invoice = _supplier_invoice(supplier_invoice_id)
    forms = forms or {}
    choice = forms.get("order") or OrderChoiceForm(formdata=None, order_id=invoice.order_id)
    choice.order_id.choices = [(o.id, f"{o.number} du {day(o.order_date)}")
                               for o in purchasing.orders_to_match(invoice)]
    balance = purchasing.balance_of(invoice)
    payment = forms.get("payment") or SupplierPaymentForm(formdata=None, amount=max(balance, Decimal("0")),
                                                          paid_on=business_today(current_firm))
    return_form = None
    if invoice.kind == "credit_note":
        return_form = forms.get("return") or ReturnChoiceForm(formdata=None, return_id=invoice.return_id,
                                                              applied_to_id=invoice.applied_to_id or 0)
        _return_choices(invoice, return_form)
    credited = purchasing.credited_amount(invoice) if invoice.kind == "invoice" else Decimal("0")
    deducted = (db.session.scalars(scoped(SupplierInvoice).where(SupplierInvoice.applied_to_id == invoice.id)
                                   .order_by(SupplierInvoice.id)).all() if invoice.kind == "invoice" else [])
    return render_template("einvoice/supplier_invoice.html", invoice=invoice, differences=purchasing.match(invoice),
                           order_form=choice, decision_form=forms.get("decision") or DecisionForm(formdata=None),
                           payment_form=payment, balance=balance, return_form=return_form, credited=credited,
                           deducted=deducted), status


def _return_choices(invoice: SupplierInvoice, form: ReturnChoiceForm) -> None:
    form.return_id.choices = [(r.id, f"{r.number} du {day(r.returned_on)} (commande {r.order.number})")
                              for r in purchasing.returns_to_credit(invoice)]
    form.applied_to_id.choices = [(0, "Aucune : garder l'avoir au crédit du compte")] + [
        (i.id, f"{i.number} du {day(i.issue_date)}") for i in purchasing.invoices_to_deduct_from(invoice)]


@bp.route("/achats/<int:supplier_invoice_id>/retour", methods=["POST"])
def match_return(supplier_invoice_id: int):
    from crm.stocks.models import SupplierReturn

    invoice = _supplier_invoice(supplier_invoice_id)
    form = ReturnChoiceForm()
    _return_choices(invoice, form)
    if form.validate_on_submit():
        supplier_return = get_or_404(SupplierReturn, form.return_id.data)
        applied = get_or_404(SupplierInvoice, form.applied_to_id.data) if form.applied_to_id.data else None
        try:
            purchasing.link_return(invoice, supplier_return, current_user, applied)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Avoir rapproché du bon de retour : les écarts sont listés ci-dessous.", "success")
            return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=invoice.id))
    return show_supplier_invoice(supplier_invoice_id, {"return": form}, 422)


@bp.route("/achats/<int:supplier_invoice_id>/commande", methods=["POST"])
def match_order(supplier_invoice_id: int):
    from crm.stocks.models import PurchaseOrder

    invoice = _supplier_invoice(supplier_invoice_id)
    form = OrderChoiceForm()
    form.order_id.choices = [(o.id, o.number) for o in purchasing.orders_to_match(invoice)]
    if form.validate_on_submit():
        try:
            purchasing.attach_order(invoice, get_or_404(PurchaseOrder, form.order_id.data), current_user)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Facture rapprochée de la commande : les écarts sont listés ci-dessous.", "success")
            return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=invoice.id))
    return show_supplier_invoice(supplier_invoice_id, {"order": form}, 422)


@bp.route("/achats/<int:supplier_invoice_id>/<any(enregistrer, contester):decision>", methods=["POST"])
def decide(supplier_invoice_id: int, decision: str):
    invoice = _supplier_invoice(supplier_invoice_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            if decision == "enregistrer":
                purchasing.book(invoice, current_user, form.reason.data)
            else:
                purchasing.dispute(invoice, current_user, form.reason.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Facture enregistrée : elle est à régler à son échéance." if decision == "enregistrer"
                  else "Facture contestée : prévenez le fournisseur de la raison.", "success")
            return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=invoice.id))
    return show_supplier_invoice(supplier_invoice_id, {"decision": form}, 422)


@bp.route("/achats/<int:supplier_invoice_id>/reglement", methods=["POST"])
def pay_supplier(supplier_invoice_id: int):
    invoice = _supplier_invoice(supplier_invoice_id)
    form = SupplierPaymentForm()
    if form.validate_on_submit():
        try:
            purchasing.record_supplier_payment(invoice, current_user, form.amount.data, form.method.data,
                                               form.paid_on.data, form.reference.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Règlement fournisseur enregistré.", "success")
            return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=invoice.id))
    return show_supplier_invoice(supplier_invoice_id, {"payment": form}, 422)


@bp.route("/commandes/<int:order_id>/facture", methods=["GET", "POST"])
def type_invoice(order_id: int):
    """A paper invoice from the supplier, typed against its purchase order."""
    from crm.stocks.models import PurchaseOrder, PurchaseOrderLine

    order = get_or_404(PurchaseOrder, order_id, selectinload(PurchaseOrder.lines).joinedload(
        PurchaseOrderLine.product), joinedload(PurchaseOrder.supplier))
    form = TypedInvoiceForm(formdata=request.form if request.method == "POST" else None,
                            issue_date=business_today(current_firm))
    values = {line.id: (request.form.get(f"quantity_{line.id}", str(line.quantity)),
                        request.form.get(f"price_{line.id}", format(line.unit_price, "f").replace(".", ",")))
              for line in order.lines}
    if request.method == "POST" and form.validate_on_submit():
        try:
            lines = [purchasing.TypedLine(line_id, parse_amount(quantity or "0", f"quantity_{line_id}", "la quantité"),
                                          parse_amount(price or "0", f"price_{line_id}", "le prix unitaire HT"))
                     for line_id, (quantity, price) in values.items()]
            invoice = purchasing.typed_from_order(current_firm, current_user, order, form.number.data,
                                                  form.issue_date.data, form.due_date.data, lines)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{invoice.title} saisie : contrôlez les écarts avec la commande et les réceptions.", "success")
            return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=invoice.id))
    status = 422 if request.method == "POST" else 200
    return render_template("einvoice/typed_invoice.html", form=form, order=order, values=values), status


@bp.route("/retours/<int:return_id>/avoir", methods=["GET", "POST"])
def type_credit_note(return_id: int):
    """A paper credit note from the supplier, typed from the return it credits."""
    from crm.stocks.models import PurchaseOrder, PurchaseOrderLine, SupplierReturn, SupplierReturnLine

    supplier_return = get_or_404(SupplierReturn, return_id, joinedload(SupplierReturn.order).joinedload(
        PurchaseOrder.supplier), selectinload(SupplierReturn.lines).joinedload(SupplierReturnLine.order_line)
        .joinedload(PurchaseOrderLine.product))
    if supplier_return.is_draft:
        flash("Validez d'abord le bon de retour : l'avoir crédite un retour validé.", "error")
        return redirect(url_for("stocks.show_return", return_id=supplier_return.id))
    form = TypedCreditNoteForm(formdata=request.form if request.method == "POST" else None,
                               issue_date=business_today(current_firm))
    returned: dict[int, int] = {}
    order_lines = {}
    for line in supplier_return.lines:
        returned[line.order_line_id] = returned.get(line.order_line_id, 0) + line.quantity
        order_lines[line.order_line_id] = line.order_line
    values = {line_id: (request.form.get(f"quantity_{line_id}", str(returned[line_id])),
                        request.form.get(f"price_{line_id}",
                                         format(order_lines[line_id].unit_price, "f").replace(".", ",")))
              for line_id in returned}
    if request.method == "POST" and form.validate_on_submit():
        try:
            lines = [purchasing.TypedLine(line_id, parse_amount(quantity or "0", f"quantity_{line_id}", "la quantité"),
                                          parse_amount(price or "0", f"price_{line_id}", "le prix unitaire HT"))
                     for line_id, (quantity, price) in values.items()]
            note = purchasing.typed_credit_note(current_firm, current_user, supplier_return, form.number.data,
                                                form.issue_date.data, lines)
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{note.title} saisi : contrôlez les écarts avec le bon de retour, puis enregistrez-le.", "success")
            return redirect(url_for("echanges.show_supplier_invoice", supplier_invoice_id=note.id))
    status = 422 if request.method == "POST" else 200
    return render_template("einvoice/typed_credit_note.html", form=form, supplier_return=supplier_return,
                           order_lines=order_lines, returned=returned, values=values), status


@bp.route("/fournisseurs/<int:party_id>/releve")
def supplier_statement(party_id: int):
    from crm.clients.models import Party

    supplier = get_or_404(Party, party_id)
    entries = purchasing.supplier_statement(current_firm, supplier)
    return render_template("einvoice/supplier_statement.html", supplier=supplier, entries=entries,
                           due=entries[-1].balance if entries else Decimal("0"))
