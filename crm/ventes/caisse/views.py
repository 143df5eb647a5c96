"""Screens of the till (caisse); their URLs are listed in crm/ventes/blueprint.py.

The ticket being keyed in lives in the form itself (hidden inputs), not in the
database: every action posts the whole ticket back and the server re-renders
it, so the till works without JavaScript, two tills never share a draft, and
the sealed tables only ever hold validated receipts (nothing to clean up).
"""
from __future__ import annotations

from datetime import date


from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

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
    page = {"lines": [], "settlement": None, "confirm_new": False, "last_sale": None,
            "payment_error": None,  # shown next to the payment fields
            "reference_matches": []}  # no-script search step of the reference box
    status = 200
    if request.method == "GET":  # back from another page: the ticket in progress is still there
        page["lines"], party_id = _remembered_ticket()
        if party_id:
            form.party_id.data = party_id
        if request.args.get("vente", "").isdigit() and len(request.args["vente"]) < 19:
            page["last_sale"] = get_or_404(CounterSale, int(request.args["vente"]))
    elif searching(form):  # the client's search step: the ticket stays
        page["lines"] = _posted_lines()
        _remember_ticket(page["lines"], form)
    else:
        valid = form.validate_on_submit()
        if "csrf_token" in form.errors:
            abort(400)
        action = request.form.get("action", "add") if valid else "invalid"
        try:
            page["lines"] = _posted_lines()
            _remember_ticket(page["lines"], form)
            response = _till_action(action, form, page, today)
            if response is not None:
                return response
            status = 422 if action == "invalid" else 200  # invalid: the form's messages, next to their fields
        except DomainError as error:
            mark_refused()
            if error.field == "reference" and action == "add":
                page["reference_matches"] = _reference_matches(form.reference.data)
            if error.field == "payments":
                page["payment_error"] = error.message
            else:
                form_error(form, error)
            status = 422
    lines = page["lines"]
    return render_template(
        "ventes/caisse/till.html", form=form, totals=services.ticket_totals(lines, today) if lines else None,
        today=today, closed=services.is_closed(current_firm, today), short=services.short_of_stock,
        prices={line.product.id: line.product.price_on(today) for line in lines},
        reference_source=PRODUCTS, payment_modes=PAYMENT_MODES, **page,
    ), status


def _till_action(action: str, form: TillForm, page: dict, today: date):
    """One button of the till on the posted ticket: a response to return, or None to show the page."""
    lines = page["lines"]
    if action == "add" and lines and not form.reference.data and form.tendered_payments():
        action = "validate"  # Enter in a payment field: the amount is typed, the sale is what is meant
    if action == "invalid" or action == "keep":
        return None
    if action == "add" or action.startswith(("pick-", "remove-")):
        page["lines"] = _edit_ticket(action, form, lines)
        _remember_ticket(page["lines"], form)
    elif action == "change":
        if not lines:
            raise DomainError("Le ticket est vide : ajoutez au moins un article.", "reference")
        page["settlement"] = settle(services.ticket_totals(lines, today).total_ttc, form.tendered_payments())
    elif action == "validate":
        return _sell(form, lines)
    elif action == "new" and lines:
        page["confirm_new"] = True  # a ticket with lines is not thrown away on one click
    elif action in ("new", "discard"):
        session.pop(TICKET_KEY, None)
        return redirect(url_for("ventes.till"))
    else:
        abort(400)
    return None


# The ticket in progress is also kept in the (signed cookie) session, so that a trainee who opens
# another page and comes back finds it; the page's hidden inputs remain what is sold.
TICKET_KEY = "till_ticket"
REMEMBERED_LINES = 60  # a cookie holds about 4 KB: a longer ticket is kept on the page only


def _remember_ticket(lines: list, form: TillForm) -> None:
    party_id = None if form.party_id.unsettled else form.party_id.data
    if not lines and not party_id or len(lines) > REMEMBERED_LINES:
        session.pop(TICKET_KEY, None)
        return
    session[TICKET_KEY] = {"firm": current_firm.id, "party": party_id,
                           "lines": [[line.product.id, line.quantity] for line in lines]}


def _remembered_ticket() -> tuple[list, int | None]:
    """The ticket kept in the session, for this firm; articles deleted since are left out."""
    kept = session.get(TICKET_KEY)
    if not isinstance(kept, dict) or kept.get("firm") != current_firm.id:
        return [], None
    try:
        pairs = [(int(product_id), int(quantity)) for product_id, quantity in kept.get("lines", [])]
        party_id = int(kept["party"]) if kept.get("party") else None
    except (TypeError, ValueError):
        return [], None
    products = {p.id: p for p in db.session.scalars(
        scoped(Product).where(Product.id.in_([product_id for product_id, _ in pairs])))}
    lines = [services.TicketLine(products[product_id], quantity)
             for product_id, quantity in pairs if product_id in products and quantity > 0]
    return lines, party_id


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
    session.pop(TICKET_KEY, None)
    message = f"Ticket {sale.number} enregistré : {money(sale.total_ttc)}."
    if sale.change_given:
        message += f" Monnaie à rendre : {money(sale.change_given)}."
    flash(message, "success")
    # Back to the till, the reference box ready for the next customer; the receipt is one link away.
    return redirect(url_for("ventes.till", vente=sale.id))


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
        scoped(CounterSale).where(CounterSale.sale_date == day).order_by(CounterSale.sequence.desc())
        .options(joinedload(CounterSale.party)), page=page_number(), error_out=False)
    closing = db.session.scalar(scoped(DailyClosing).where(DailyClosing.closing_date == day))
    report = None if closing else services.open_day_totals(current_firm, day)
    days = db.session.execute(
        scoped(CounterSale).with_only_columns(CounterSale.sale_date, db.func.count())
        .group_by(CounterSale.sale_date).order_by(CounterSale.sale_date.desc()).limit(15)
    ).all()
    return render_template("ventes/caisse/tickets.html", page=page, day=day, today=today,
                           closing=closing, report=report, days=days, close_form=CloseDayForm(),
                           paid_by=services.payment_modes_of(current_firm, [sale.id for sale in page.items]),
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
                       page=page_number(), error_out=False)
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
