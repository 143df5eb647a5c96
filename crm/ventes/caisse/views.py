"""Screens of the till (caisse); their URLs are listed in crm/ventes/blueprint.py.

The ticket being keyed in lives in the form itself (hidden inputs), not in the
database: every action posts the whole ticket back and the server re-renders
it, so the till works without JavaScript, two tills never share a draft, and
the sealed tables only ever hold validated receipts (nothing to clean up).
"""
from __future__ import annotations

from datetime import date


from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.core.clock import business_today
from crm.core.database import begin_writing, reads_first
from crm.clients.models import Party
from crm.core.errors import DomainError
from crm.core.formatting import money
from crm.core.limits import parse_date
from crm.core.pdf import PdfUnavailable, pdf_response, render_pdf
from crm.core.picker import LIMIT, clean_query, searching
from crm.core.tenancy import current_firm, get_or_404, scoped
from crm.core.views_helpers import form_error, mark_refused, page_number, refuse
from crm.extensions import db
from crm.ventes.caisse import services
from crm.ventes.caisse.forms import CloseDayForm, TillForm
from crm.ventes.caisse.models import CounterSale, DailyClosing
from crm.ventes.models import Product
from crm.ventes.caisse.till import PAYMENT_MODES, settle
from crm.ventes.picking import PRODUCTS


# --- the till screen -------------------------------------------------------------

@reads_first  # scanning, removing, computing change only read: no write lock while the page renders
def till():
    form = TillForm()
    today = business_today(current_firm)
    lines: list[services.TicketLine] = []
    settlement = None
    payment_error = None  # shown next to the payment fields
    reference_matches = []  # no-script search step of the reference box
    status = 200
    if request.method == "POST" and searching(form):  # the client's search step: the ticket stays
        lines = _posted_lines()
    elif request.method == "POST":
        valid = form.validate_on_submit()
        if "csrf_token" in form.errors:
            abort(400)
        action = request.form.get("action", "add") if valid else "invalid"
        try:
            lines = _posted_lines()
            if action == "invalid":  # the form's own messages, next to their fields
                status = 422
            elif action == "add" or action.startswith(("pick-", "remove-")):
                lines = _edit_ticket(action, form, lines)
            elif action == "change":
                if not lines:
                    raise DomainError("Le ticket est vide : ajoutez au moins un article.", "reference")
                settlement = settle(services.ticket_totals(lines, today).total_ttc, form.tendered_payments())
            elif action == "validate":
                return _sell(form, lines)
            elif action == "new":
                return redirect(url_for("ventes.till"))
            else:
                abort(400)
        except DomainError as error:
            mark_refused()
            if error.field == "reference" and action == "add":
                reference_matches = _reference_matches(form.reference.data)
            if error.field == "payments":
                payment_error = error.message
            else:
                form_error(form, error)
            status = 422
    totals = services.ticket_totals(lines, today) if lines else None
    return render_template(
        "ventes/caisse/till.html", form=form, lines=lines, totals=totals, settlement=settlement,
        today=today, closed=services.is_closed(current_firm, today), short=services.short_of_stock,
        prices={line.product.id: line.product.price_on(today) for line in lines},
        reference_matches=reference_matches, reference_source=PRODUCTS, payment_modes=PAYMENT_MODES,
        payment_error=payment_error,
    ), status


def _edit_ticket(action: str, form: TillForm, lines: list) -> list:
    """Add the typed reference (or a product picked among the matches), or remove a line."""
    if action.startswith("remove-"):
        index = int(action.removeprefix("remove-")) if action[7:].isdigit() else -1
        if not 0 <= index < len(lines):
            abort(400)
        del lines[index]
        return lines
    if action.startswith("pick-"):  # a product chosen among the search step's matches
        product = get_or_404(Product, int(action[5:])) if action[5:].isdigit() else abort(400)
    else:
        product = services.find_product(current_firm, form.reference.data)
    lines = services.add_line(lines, product, services.parse_quantity(form.quantity.data))
    form.reference.data = ""
    form.quantity.data = "1"
    return lines


def _sell(form: TillForm, lines: list):
    """Validate the sale: stock and number under the write lock, then the receipt."""
    begin_writing()  # the sale takes the write lock from here
    party = get_or_404(Party, form.party_id.data) if form.party_id.data else None
    sale = services.sell(current_firm, current_user, lines, form.tendered_payments(), party)
    message = f"Ticket {sale.number} enregistré : {money(sale.total_ttc)}."
    if sale.change_given:
        message += f" Monnaie à rendre : {money(sale.change_given)}."
    flash(message, "success")
    return redirect(url_for("ventes.show_receipt", sale_id=sale.id))


def _reference_matches(text: str | None) -> list:
    """Articles close to a reference typed by hand, offered when it is not an exact one (no script)."""
    text = clean_query(text)
    return PRODUCTS.search(current_firm.id, text, LIMIT) if text else []


def _posted_lines() -> list[services.TicketLine]:
    """The ticket as posted back by the page (hidden inputs); another firm's product → 404."""
    ids = request.form.getlist("line_product")
    quantities = request.form.getlist("line_quantity")
    if len(ids) != len(quantities):
        abort(400)
    lines = []
    for product_id, quantity in zip(ids, quantities, strict=True):
        if not product_id.isdigit():
            abort(400)
        lines.append(services.TicketLine(get_or_404(Product, int(product_id)),
                                         services.parse_quantity(quantity)))
    return lines


# --- receipts -------------------------------------------------------------------------

def till_tickets():
    today = business_today(current_firm)
    day = _day_arg(request.args.get("jour"), today)
    page = db.paginate(
        scoped(CounterSale).where(CounterSale.sale_date == day).order_by(CounterSale.sequence.desc()),
        page=page_number(), per_page=50, error_out=False)
    closing = db.session.scalar(scoped(DailyClosing).where(DailyClosing.closing_date == day))
    report = None if closing else services.day_report(current_firm, day)
    days = db.session.execute(
        scoped(CounterSale).with_only_columns(CounterSale.sale_date, db.func.count())
        .group_by(CounterSale.sale_date).order_by(CounterSale.sale_date.desc()).limit(15)
    ).all()
    return render_template("ventes/caisse/tickets.html", page=page, day=day, today=today,
                           closing=closing, report=report, days=days, close_form=CloseDayForm(),
                           payment_modes=PAYMENT_MODES)


def _receipt_context(sale: CounterSale) -> dict:
    # The PDF page is as long as the ticket (a roll of paper): a rough height in millimetres.
    height = 95 + 9 * len(sale.lines) + 5 * (len(sale.payments) + len(services.totals_of(sale).vat))
    return {"sale": sale, "totals": services.totals_of(sale), "firm": current_firm,
            "page_height": height}


def show_receipt(sale_id: int):
    sale = get_or_404(CounterSale, sale_id)
    return render_template("ventes/caisse/receipt.html", for_pdf=False, **_receipt_context(sale))


def receipt_pdf(sale_id: int):
    sale = get_or_404(CounterSale, sale_id)
    try:
        pdf = render_pdf("ventes/caisse/receipt.html", **_receipt_context(sale))
    except PdfUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("ventes.show_receipt", sale_id=sale.id))
    return pdf_response(pdf, f"{sale.number}.pdf")


# --- closings ---------------------------------------------------------------------------

def close_day(day: str):
    try:
        on = date.fromisoformat(day)  # a day out of 2000–2099 is refused by the service, with its message
    except ValueError:
        abort(404)
    form = CloseDayForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        closing = services.close_day(current_firm, current_user, on)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("ventes.till_tickets", jour=on.isoformat())), 303
    flash(f"Caisse du {on:%d/%m/%Y} clôturée : {closing.number}, {money(closing.total_ttc)}. "
          "Les tickets de cette journée sont désormais figés.", "success")
    if current_firm.business_date is not None and current_firm.business_date > on:
        flash(f"La journée simulée est terminée : l'entreprise passe au {current_firm.business_date:%d/%m/%Y}, "
              "la caisse est ouverte.", "info")
    return redirect(url_for("ventes.show_closing", closing_id=closing.id))


def till_closings():
    page = db.paginate(scoped(DailyClosing).order_by(DailyClosing.sequence.desc()),
                       page=page_number(), per_page=25, error_out=False)
    return render_template("ventes/caisse/closings.html", page=page)


def _closing_context(closing: DailyClosing) -> dict:
    return {"closing": closing, "firm": current_firm, "page_height": 125 + 5 * len(closing.totals)}


def show_closing(closing_id: int):
    closing = get_or_404(DailyClosing, closing_id)
    return render_template("ventes/caisse/closing.html", for_pdf=False, **_closing_context(closing))


def closing_pdf(closing_id: int):
    closing = get_or_404(DailyClosing, closing_id)
    try:
        pdf = render_pdf("ventes/caisse/closing.html", **_closing_context(closing))
    except PdfUnavailable as error:
        flash(str(error), "error")
        return redirect(url_for("ventes.show_closing", closing_id=closing.id))
    return pdf_response(pdf, f"{closing.number}.pdf")


def till_verification():
    result = services.verify(current_firm)
    return render_template("ventes/caisse/verification.html", result=result)


def _day_arg(text: str | None, default: date | None) -> date | None:
    """A day of the query or the URL; the default when absent, malformed or outside 2000–2099."""
    return parse_date(text) or default
