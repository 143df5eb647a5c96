"""Screens of the sales documents (their URLs: crm/ventes/blueprint.py)."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from crm.core.clock import business_today
from crm.clients.models import Party
from crm.core.errors import DomainError
from crm.core.formatting import money as format_money
from crm.core.limits import is_id
from crm.core.picker import searching
from crm.core.tenancy import current_firm, get_or_404, scoped
from crm.core.views_helpers import form_error, is_refused, page_number, paginate_ids_first, refuse
from crm.extensions import db
from crm.core.pdf import PdfUnavailable, pdf_response
from crm.einvoice import services as einvoice_services
from crm.prospection.reminders import reminders_of_invoice
from crm.ventes.documents import printing, services, storage
from crm.ventes.documents.forms import (
    DocumentForm, InvoiceDeliveriesForm, LineForm, PaymentForm, derived_document_form,
)
from crm.ventes.documents.models import KINDS, DeliveryNote, Invoice, SalesDocument
from crm.ventes.models import Product

SLUGS = {"devis": "quote", "commandes": "order", "livraisons": "delivery",
         "factures": "invoice", "avoirs": "credit_note"}
SLUG_OF = {kind: slug for slug, kind in SLUGS.items()}
PLURALS = {"quote": "Devis", "order": "Commandes", "delivery": "Bons de livraison",
           "invoice": "Factures", "credit_note": "Avoirs"}
DRAFTS_SHOWN = 10  # drafts listed above a list of documents; the rest behind "?statut=draft"
# Documents started from scratch; the others are made from the previous one.
NEW_KINDS = {"quote", "order", "invoice"}


# --- lists and pages --------------------------------------------------------

def list_documents(slug: str):
    kind = SLUGS[slug]
    # Newest first, read in the order of the (firm, kind, date) index: no sort of the whole kind.
    query = (scoped(SalesDocument).where(SalesDocument.kind == kind)
             .options(selectinload(SalesDocument.party))
             .order_by(SalesDocument.issue_date.desc(), SalesDocument.id.desc()))
    status = request.args.get("statut", "")
    drafts, draft_count = [], 0
    if status:
        query = query.where(SalesDocument.status == status)
    else:  # drafts to finish come first, in a box of their own; the list holds validated documents
        query = query.where(SalesDocument.status != "draft")
        draft_query = scoped(SalesDocument).where(SalesDocument.kind == kind, SalesDocument.status == "draft")
        drafts = db.session.scalars(draft_query.options(selectinload(SalesDocument.party))
                                    .order_by(SalesDocument.issue_date.desc(), SalesDocument.id.desc())
                                    .limit(DRAFTS_SHOWN + 1)).all()
        draft_count = len(drafts)
        if draft_count > DRAFTS_SHOWN:  # counted only when the box cannot show them all
            draft_count = db.session.scalar(draft_query.with_only_columns(func.count()))
            drafts = drafts[:DRAFTS_SHOWN]
    page = db.paginate(query, page=page_number(), error_out=False)
    return render_template("ventes/documents/list.html", page=page, kind=kind, slug=slug,
                           title=PLURALS[kind], can_create=kind in NEW_KINDS, status=status,
                           drafts=drafts, draft_count=draft_count)


def show_document(document_id: int):
    document = services.with_lines(document_id)
    totals = services.totals_of(document)
    context = _document_context(document)
    payment_form = None
    if isinstance(document, Invoice) and not document.is_draft:
        payment_form = PaymentForm(formdata=None, paid_on=business_today(current_firm),
                                   amount=max(context["balance"], Decimal("0")))
    return render_template("ventes/documents/show.html", document=document, totals=totals,
                           payment_form=payment_form, **context)


def _document_context(document: SalesDocument) -> dict:
    context = {"slug": SLUG_OF[document.kind], "plural": PLURALS[document.kind],
               "steps": services.next_steps(document), "linked": services.linked_documents(document),
               "stored_file": None}
    if not document.is_draft:
        context["stored_file"] = storage.stored_file(document) or storage.stored_file(document, storage.PDF)
        if document.party.linked_firm_id is not None and document.kind in ("invoice", "credit_note"):
            # Registered at validation: an invoice validated before its client was linked is not delivered.
            context["delivery"] = delivery = einvoice_services.delivery_of(document)
            context["delivery_expected"] = delivery is not None
            context["delivery_hint"] = einvoice_services.delivery_hint(delivery) if delivery else ""
    if isinstance(document, Invoice):
        settled = services.settlement(document)
        context["paid"], context["credited"] = settled.paid, settled.credited
        context["balance"] = document.total_ttc - settled.settled
        context["credit_notes"] = services.credit_notes_of(document)
        context["reminders"] = reminders_of_invoice(document.id)
    return context


# --- drafts -----------------------------------------------------------------

def new_document(slug: str):
    kind = SLUGS[slug]
    if kind not in NEW_KINDS:
        abort(404)
    form = _document_form(kind)
    if request.method == "GET":
        form.issue_date.data = business_today(current_firm)
        party_id = request.args.get("client", type=int)
        if party_id:
            form.party_id.data = party_id
    if not searching(form) and form.validate_on_submit() and not _adding_line(form):
        party = get_or_404(Party, form.party_id.data)
        try:
            document = services.create_document(current_firm, current_user, kind, party,
                                                 form.issue_date.data)
            services.save_draft(document, _header(form), _lines(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"{document.label} {document.agree('enregistré')} en brouillon.", "success")
            return redirect(url_for("ventes.show_document", document_id=document.id))
    return _edit_page(form, None, kind)


def edit_document(document_id: int):
    document = get_or_404(SalesDocument, document_id)
    if not document.is_draft:
        flash(f"{document.title} est {document.agree('validé')} : {document.agree('il', 'elle')} ne peut plus être "
              f"{document.agree('modifié')}. Établissez un avoir pour {document.agree('le', 'la')} corriger.", "error")
        return redirect(url_for("ventes.show_document", document_id=document.id))
    if services.is_derived(document):
        return _edit_derived(document)
    form = _document_form(document.kind, document)
    if not searching(form) and form.validate_on_submit() and not _adding_line(form):
        try:
            header = _header(form) | {"party": get_or_404(Party, form.party_id.data)}
            services.save_draft(document, header, _lines(form, document))
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Brouillon enregistré.", "success")
            return redirect(url_for("ventes.show_document", document_id=document.id))
    return _edit_page(form, document, document.kind)


# What the limit of a line of the source means, per kind of the derived document.
LIMIT_LABELS = {"delivery": "Reste à livrer", "credit_note": "Reste à créditer",
                "invoice": "Quantité d'origine", "order": "Quantité du devis"}


def _edit_derived(document: SalesDocument):
    """A derived draft: its client, articles and prices are the source's; the trainee sets each quantity."""
    sources = services.source_lines(document)
    form = derived_document_form(sources.values(), obj=document)
    if not form.is_submitted():
        current = {line.source_line_id: line.quantity for line in document.lines}
        for line_id in sources:
            form[f"quantity_{line_id}"].data = current.get(line_id, Decimal("0")).normalize()
    if form.validate_on_submit():
        quantities = {line_id: form[f"quantity_{line_id}"].data for line_id in sources}
        header = {"issue_date": form.issue_date.data, "delivery_date": form.delivery_date.data,
                  "notes": form.notes.data or "", "goods_returned": form.goods_returned.data}
        try:
            services.set_derived_quantities(document, header, quantities)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Brouillon enregistré.", "success")
            return redirect(url_for("ventes.show_document", document_id=document.id))
    limits = services.quantity_limits(document)
    rows = [(line, form[f"quantity_{line_id}"], limits[line_id]) for line_id, line in sources.items()]
    status = 422 if form.errors or form.form_errors else 200
    return render_template("ventes/documents/edit_derived.html", form=form, document=document, rows=rows,
                           limit_label=LIMIT_LABELS[document.kind], slug=SLUG_OF[document.kind]), status


def _edit_page(form: DocumentForm, document, kind: str):
    status = 422 if form.errors or is_refused() else 200
    has_parties = db.session.scalar(
        scoped(Party).with_only_columns(Party.id).where(Party.kind.in_(["client", "prospect"])).limit(1))
    return render_template("ventes/documents/edit.html", form=form, document=document, kind=kind,
                           label=KINDS[kind], slug=SLUG_OF[kind], running=_running_totals(form),
                           blank_line=LineForm(formdata=None, prefix=f"lines-{NEW_LINE}-"),
                           has_parties=has_parties is not None), status


NEW_LINE = "__N__"  # index of the blank line js/lines.js copies (its number in labels: __L__)


def _adding_line(form: DocumentForm) -> bool:
    """'Ajouter une ligne' re-displays the form with one more empty line, saving nothing."""
    if "add_line" in request.form:
        form.lines.append_entry()
        return True
    return False


def _document_form(kind: str, document: SalesDocument | None = None) -> DocumentForm:
    form = DocumentForm(obj=document) if document else DocumentForm()
    if document is not None and not form.is_submitted():
        form.party_id.data = document.party_id
        while len(form.lines.entries):
            form.lines.pop_entry()
        for line in document.lines:
            form.lines.append_entry({
                "product_id": str(line.product_id or ""), "description": line.description,
                "quantity": line.quantity.normalize(), "unit_price": line.unit_price,
                "discount_rate": line.discount_rate, "vat_rate": _rate_choice(line.vat_rate),
                "source_line_id": str(line.source_line_id or "")})
        form.lines.append_entry()
    return form


def _rate_choice(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _header(form: DocumentForm) -> dict:
    zero = Decimal("0")
    return {
        "issue_date": form.issue_date.data, "valid_until": form.valid_until.data,
        "delivery_date": form.delivery_date.data,
        "remise_rate": form.remise_rate.data or zero, "rabais_rate": form.rabais_rate.data or zero,
        "ristourne_rate": form.ristourne_rate.data or zero,
        "escompte_rate": form.escompte_rate.data or zero,
        "notes": form.notes.data or "", "goods_returned": form.goods_returned.data,
    }


def _lines(form: DocumentForm, document: SalesDocument | None = None) -> list[services.LineData]:
    """Form lines → LineData, the product filling what was left empty; errors name the line."""
    sources = services.source_lines(document) if document is not None else {}
    products = _products_of(form)
    return [_line_data(form, index, entry.form, products, sources)
            for index, entry in enumerate(form.lines.entries) if not entry.form.is_blank()]


def _products_of(form: DocumentForm) -> dict[int, Product]:
    """The articles chosen on the form's lines, in one query; another firm's article, or an id
    no row can have, is a 404."""
    ids = {int(entry.form.product_id.data) for entry in form.lines.entries if entry.form.product_id.data}
    if not all(is_id(i) for i in ids):
        abort(404)
    products = {p.id: p for p in db.session.scalars(scoped(Product).where(Product.id.in_(ids)))} if ids else {}
    if len(products) != len(ids):
        abort(404)
    return products


def _line_data(form: DocumentForm, index: int, line, products: dict, sources: dict) -> services.LineData:
    where, field = f"Ligne {index + 1} : ", f"lines-{index}-"
    product = products[int(line.product_id.data)] if line.product_id.data else None
    description = line.description.data or (product.label if product else "")
    if not description:
        raise DomainError(where + "indiquez la désignation ou choisissez un article.", field + "description")
    if line.quantity.data is None:
        raise DomainError(where + "indiquez la quantité.", field + "quantity")
    unit_price = line.unit_price.data
    if unit_price is None:
        if product is None:
            raise DomainError(where + "indiquez le prix unitaire HT.", field + "unit_price")
        unit_price = product.price_on(form.issue_date.data or business_today(current_firm))  # promotions too
    vat = line.vat_rate.data
    if not vat:
        if product is None:
            raise DomainError(where + "choisissez le taux de TVA.", field + "vat_rate")
        vat_rate = product.vat_rate
    else:
        vat_rate = Decimal(vat)
    source_id = line.source_line_id.data
    source_line = sources.get(int(source_id)) if source_id and source_id.isdigit() else None
    return services.LineData(description, line.quantity.data, unit_price, vat_rate,
                             line.discount_rate.data or Decimal("0"), product, source_line, index)


def _running_totals(form: DocumentForm) -> services.RunningTotals:
    """What the lines typed so far add up to; a line not complete yet is left out (and named)."""
    products = _products_of(form)
    complete, incomplete = [], []
    for index, entry in enumerate(form.lines.entries):
        if entry.form.is_blank():
            continue
        try:
            complete.append(_line_data(form, index, entry.form, products, {}))
        except DomainError:
            incomplete.append(index)
    rates = {name: getattr(form, f"{name}_rate").data for name in ("remise", "rabais", "ristourne", "escompte")}
    return services.running_totals(complete, incomplete, rates, len(form.lines.entries))


def running_totals():
    """The totals of the line editor as typed (js/lines.js asks as one types); computed here, stored nowhere."""
    form = DocumentForm()
    totals = _running_totals(form)
    return jsonify(html=render_template("ventes/documents/_running_totals.html", running=totals),
                   lines=[format_money(net) if net is not None else "" for net in totals.line_nets])


# --- actions ----------------------------------------------------------------

def _act(document_id: int, action, success):  # success: a message, or a function of the document giving it
    """Run one service action on a document; refusals come back as a French message."""
    document = get_or_404(SalesDocument, document_id)
    try:
        result = action(document)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("ventes.show_document", document_id=document_id)), 303
    target = result if isinstance(result, SalesDocument) else document
    flash(success(target) if callable(success) else success, "success")
    return redirect(url_for("ventes.show_document", document_id=target.id))


def validate_document(document_id: int):
    def validate(document: SalesDocument) -> None:
        services.validate_document(document, current_user)
        storage.store_pdf_after_commit(document)  # printed once, after the commit (no lock held)

    return _act(document_id, validate, lambda d: (
        f"{d.title} {d.agree('validé')} : {d.agree('il', 'elle')} est {d.agree('numéroté')} "
        f"et ne peut plus être {d.agree('modifié')}."))


def delete_document(document_id: int):
    document = get_or_404(SalesDocument, document_id)
    slug = SLUG_OF[document.kind]
    try:
        services.delete_draft(document)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("ventes.show_document", document_id=document_id)), 303
    flash("Brouillon supprimé.", "success")
    return redirect(url_for("ventes.list_documents", slug=slug))


def accept_quote(document_id: int):
    return _act(document_id, lambda d: services.accept_quote(_as(d, "quote"), current_user),
                "Devis accepté : le bon de commande est préparé en brouillon. Vérifiez-le puis validez-le.")


def refuse_quote(document_id: int):
    return _act(document_id, lambda d: services.refuse_quote(_as(d, "quote"), current_user),
                "Devis marqué comme refusé.")


def derive_document(document_id: int, kind: str):
    return _act(document_id, lambda d: services.derive_document(d, kind, current_user),
                lambda d: f"{d.label} {d.agree('préparé')} en brouillon à partir du document précédent.")


def _as(document: SalesDocument, kind: str) -> SalesDocument:
    if document.kind != kind:
        abort(404)
    return document


def record_payment(document_id: int):
    invoice = get_or_404(SalesDocument, document_id)
    if not isinstance(invoice, Invoice):
        abort(404)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            services.record_payment(invoice, current_user, form.amount.data, form.method.data,
                                    form.paid_on.data, form.reference.data,
                                    form.allow_overpayment.data)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Règlement enregistré.", "success")
            return redirect(url_for("ventes.show_document", document_id=invoice.id))
    totals = services.totals_of(invoice)
    return render_template("ventes/documents/show.html", document=invoice, totals=totals,
                           payment_form=form, **_document_context(invoice)), 422


def invoice_deliveries():
    form = InvoiceDeliveriesForm()
    pending = db.session.scalars(
        scoped(DeliveryNote).where(DeliveryNote.status == "issued")
        .options(selectinload(DeliveryNote.party)).order_by(DeliveryNote.party_id, DeliveryNote.issue_date)
    ).all()
    form.delivery_ids.choices = [(d.id, f"{d.number} — {d.party.name}") for d in pending]
    if form.validate_on_submit():
        chosen = [d for d in pending if d.id in form.delivery_ids.data]
        try:
            invoice = services.invoice_deliveries(chosen, current_user)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Facture préparée en brouillon pour les bons de livraison choisis.", "success")
            return redirect(url_for("ventes.show_document", document_id=invoice.id))
    return render_template("ventes/documents/invoice_deliveries.html", form=form,
                           pending=pending), 422 if form.errors else 200


def account_statement(party_id: int):
    party = get_or_404(Party, party_id)
    entries = services.account_statement(current_firm, party)
    return render_template("ventes/documents/statement.html", party=party, entries=entries)


def overdue_invoices():
    today = business_today(current_firm)
    page = paginate_ids_first(services.overdue_invoices_query(current_firm, today))
    return render_template("ventes/documents/overdue.html", page=page,
                           balances=services.balances_due(page.items), today=today)


def print_document(document_id: int):
    """The document as printed, in the browser (same template as the PDF)."""
    document = services.with_lines(document_id)
    context = printing.document_context(document, services.totals_of(document))
    preview = bool(request.args.get("apercu"))  # shown inside the document's page: no toolbar
    return render_template(
        printing.template_of(document), for_pdf=False,
        back_url=None if preview else url_for("ventes.show_document", document_id=document.id),
        pdf_url=None if preview else url_for("ventes.document_pdf", document_id=document.id),
        **context)


def document_pdf(document_id: int):
    document = get_or_404(SalesDocument, document_id)
    stored = None if document.is_draft else storage.stored_pdf(document)
    if stored is not None:
        return pdf_response(stored.data, storage.filename_of(document))
    document = services.with_lines(document_id)  # to be printed: lines and products at once
    try:
        pdf = storage.pdf_of(document)
    except PdfUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("ventes.show_document", document_id=document.id))
    return pdf_response(pdf, storage.filename_of(document))
