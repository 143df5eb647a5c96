"""Written follow-up screens: templates, the firm's mailbox, letters and mailings, unpaid reminders.

Routes of the prospection blueprint (declared in views.py).
"""
from __future__ import annotations

import hashlib

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.clients.models import Party
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.core.pdf import PdfUnavailable, pdf_response
from crm.core.tenancy import current_firm, get_or_404
from crm.core.views_helpers import form_error, page_number, refuse
from crm.extensions import db
from crm.prospection import letters, merge, messaging, reminders, services, spelling
from crm.prospection.forms import MAX_ID, ComposeForm, ConfirmForm, TemplateForm
from crm.prospection.mailer import SmtpSettings
from crm.prospection.models import (
    EMAIL, INBOX, LETTER, OUTBOX, READY, REMINDER_LEVELS, CallPlan, CallPlanEntry, Mailing, Message,
    MessageTemplate, PaymentReminder,
)
from crm.prospection.views import bp
from crm.ventes.documents.models import Invoice


def _smtp() -> SmtpSettings | None:
    return SmtpSettings.from_config(current_app.config)


def _int_arg(value) -> int | None:
    """An id from a query string or a hidden field; None when absent or impossible."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _optional(model, value):
    """This firm's object of that posted id, None when no id was given, 404 when it is not ours."""
    object_id = _int_arg(value)
    if value not in (None, "") and object_id is None:
        abort(404)
    return get_or_404(model, object_id) if object_id else None


# --- templates ----------------------------------------------------------------------

@bp.route("/modeles")
def list_templates():
    return render_template("prospection/templates.html", templates=messaging.templates_of(current_firm),
                           confirm=ConfirmForm())


def _template_data(form: TemplateForm) -> messaging.TemplateData:
    return messaging.TemplateData(**{name: form[name].data or "" for name in (
        "name", "kind", "purpose", "subject", "salutation", "body", "closing")})


def _template_page(form, template):
    return render_template("prospection/template_form.html", form=form, template=template,
                           fields=merge.FIELDS), 422 if form.errors else 200


@bp.route("/modeles/nouveau", methods=["GET", "POST"])
def new_template():
    form = TemplateForm()
    if request.method == "GET" and request.args.get("type") == EMAIL:
        form.kind.data = EMAIL
        form.salutation.data = "Bonjour {{ formule_appel }},"
        form.closing.data = "Cordialement,"
    if form.validate_on_submit():
        try:
            template = messaging.save_template(current_firm, current_user, _template_data(form))
        except DomainError as error:
            form_error(form, error)
        else:
            flash(f"Le modèle « {template.name} » est enregistré. Relisez l'aperçu.", "success")
            return redirect(url_for("prospection.show_template", template_id=template.id))
    return _template_page(form, None)


@bp.route("/modeles/<int:template_id>/modifier", methods=["GET", "POST"])
def edit_template(template_id: int):
    template = get_or_404(MessageTemplate, template_id)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        try:
            messaging.save_template(current_firm, current_user, _template_data(form), template)
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Le modèle est enregistré.", "success")
            return redirect(url_for("prospection.show_template", template_id=template.id))
    return _template_page(form, template)


@bp.route("/modeles/<int:template_id>")
def show_template(template_id: int):
    """The template merged with example values, its spelling checked."""
    template = get_or_404(MessageTemplate, template_id)
    sample = messaging.merged(template, merge.sample_values())
    examples = list(merge.sample_values().values())
    checked = {key: _checked(getattr(sample, key), *examples) for key in messaging.TEMPLATE_TEXTS}
    return render_template("prospection/template.html", template=template, checked=checked,
                           unknown_count=sum(len(c[1]) for c in checked.values()), confirm=ConfirmForm())


def _checked(text: str, *names: str):
    unknown = messaging.proofread(text, *names)
    return spelling.highlight(text, unknown), unknown


@bp.route("/modeles/<int:template_id>/supprimer", methods=["POST"])
def delete_template(template_id: int):
    template = get_or_404(MessageTemplate, template_id)
    name = template.name
    messaging.delete_template(template)
    flash(f"Le modèle « {name} » est supprimé.", "success")
    return redirect(url_for("prospection.list_templates"))


# --- mailbox ----------------------------------------------------------------------------

@bp.route("/messagerie")
def inbox():
    return _folder(INBOX)


@bp.route("/messagerie/envoyes")
def outbox():
    return _folder(OUTBOX)


def _folder(folder: str):
    page = db.paginate(messaging.folder_query(current_firm, folder), page=page_number(),
                       error_out=False)
    return render_template("prospection/mailbox.html", page=page, folder=folder, INBOX=INBOX,
                           unread=messaging.unread_count(current_firm), smtp=_smtp() is not None)


@bp.route("/messagerie/<int:message_id>")
def show_message(message_id: int):
    message = get_or_404(Message, message_id)
    messaging.mark_read(message)
    return render_template("prospection/message.html", message=message, INBOX=INBOX, confirm=ConfirmForm(),
                           can_retry=message.folder == OUTBOX and message.status in ("queued", "failed"))


@bp.route("/messagerie/<int:message_id>/renvoyer", methods=["POST"])
def retry_message(message_id: int):
    message = get_or_404(Message, message_id)
    try:
        messaging.retry(message, current_user, _smtp())
    except DomainError as error:
        refuse(error)
    else:
        message = db.session.get(Message, message_id)
        flash(f"Message : {message.status_label.lower()}.", "success" if not message.error else "error")
    return redirect(url_for("prospection.show_message", message_id=message_id))


def _digest(subject: str, body: str) -> str:
    return hashlib.sha256(f"{subject}\n{body}".encode()).hexdigest()[:24]


def _prefill(form: ComposeForm, outgoing: messaging.Outgoing) -> None:
    form.to_address.data = outgoing.to_address
    form.to_name.data = outgoing.to_name
    form.subject.data = outgoing.subject
    form.body.data = outgoing.body


def _draft_for(party: Party | None, template: MessageTemplate | None, entry: CallPlanEntry | None,
               figures=None) -> messaging.Outgoing:
    """A new email to a party, merged from a template when one is given."""
    to = party.email if party else ""
    if party is not None and not to and party.contacts:
        to = next((c.email for c in party.contacts if c.email), "")
    outgoing = messaging.Outgoing(to, "", "", party.name if party else "", party=party, entry=entry)
    if template is not None and party is not None:
        today = business_today(current_firm)
        position = letters.position_label(current_firm.id, current_user)
        values = merge.values_for(current_firm, current_user, position, party, today, figures)
        text = messaging.merged(template, values)
        outgoing.subject = text.subject
        outgoing.body = text.as_email(messaging.signature(current_firm, current_user, position))
    return outgoing


@bp.route("/messagerie/nouveau", methods=["GET", "POST"])
def compose():
    form = ComposeForm()
    args = request.args if request.method == "GET" else request.form
    entry = _optional(CallPlanEntry, args.get("entry_id") or args.get("cible"))
    party = entry.party if entry else _optional(Party, args.get("party_id") or args.get("tiers"))
    reply_to = _optional(Message, args.get("reply_to_id") or args.get("repondre"))
    if reply_to is not None and reply_to.folder != INBOX:
        abort(404)
    if request.method == "GET":
        if reply_to is not None:
            outgoing = messaging.reply_draft(reply_to)
        else:
            template = _optional(MessageTemplate, request.args.get("modele"))
            if template is None and entry is not None and entry.plan.template is not None \
                    and entry.plan.template.kind == EMAIL:
                template = entry.plan.template
            outgoing = _draft_for(party, template, entry)
        _prefill(form, outgoing)
        form.party_id.data = party.id if party else ""
        form.entry_id.data = entry.id if entry else ""
        form.reply_to_id.data = reply_to.id if reply_to else ""
    return _compose(form, party, entry, reply_to, on_sent=None)


def _compose(form: ComposeForm, party, entry, reply_to, on_sent, reminder_level: str | None = None,
             action: str | None = None):
    """Check the spelling before sending; send on a second click even with unknown words."""
    unknown, highlighted = [], None
    if form.validate_on_submit():
        subject, body = form.subject.data, form.body.data
        names = [party.name, party.city, party.email] if party else []
        names += [current_firm.trade_name, current_user.display_name, form.to_name.data or ""]
        unknown = messaging.proofread(f"{subject}\n{body}", *names)
        wants_check = request.form.get("action") == "check"
        if wants_check or (unknown and form.checked.data != _digest(subject, body)):
            form.checked.data = _digest(subject, body)
            highlighted = spelling.highlight(f"{subject}\n\n{body}", messaging.proofread(f"{subject}\n\n{body}",
                                                                                         *names))
        else:
            outgoing = messaging.Outgoing(form.to_address.data, subject, body, form.to_name.data or "",
                                          party=party, entry=entry, reply_to=reply_to)
            entry_id = entry.id if entry is not None and entry.plan.channel == EMAIL else None
            try:
                # Sending first: an SMTP exchange happens only before this request writes anything.
                message = messaging.send_email(current_firm, current_user, outgoing, _smtp(),
                                               proofread=not unknown)
                if on_sent is not None:
                    on_sent()
                if entry_id is not None:
                    services.mark_sent(db.session.get(CallPlanEntry, entry_id), current_user)
            except DomainError as error:
                form_error(form, error)
            else:
                flash(_sent_message(message), "success" if not message.error else "info")
                if entry is not None:
                    return redirect(url_for("prospection.show_plan", plan_id=entry.plan_id))
                return redirect(url_for("prospection.show_message", message_id=message.id))
    status = 422 if form.errors else 200
    return render_template("prospection/compose.html", form=form, party=party, entry=entry, reply_to=reply_to,
                           unknown=unknown, highlighted=highlighted, reminder_level=reminder_level,
                           action=action or url_for("prospection.compose")), status


def _sent_message(message: Message) -> str:
    if message.status == "delivered":
        return f"Courriel distribué dans la messagerie de l'entreprise destinataire ({message.to_address})."
    if message.status == "sent":
        return f"Courriel envoyé à {message.to_address}."
    return f"Courriel enregistré dans la boîte d'envoi : {message.error}"


# --- letters and mailings ------------------------------------------------------------------

def _pdf(firm, letter_list, filename: str):
    try:
        return pdf_response(letters.print_letters(firm, letter_list), filename)
    except PdfUnavailable as error:
        flash(str(error), "error")
        return redirect(request.referrer or url_for("prospection.index"))


@bp.route("/cibles/<int:entry_id>/courrier.pdf")
def entry_letter_pdf(entry_id: int):
    entry = get_or_404(CallPlanEntry, entry_id)
    try:
        letter = letters.entry_letter(entry, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("prospection.show_entry", entry_id=entry_id))
    return _pdf(current_firm, [letter], f"courrier-{entry.party_id}.pdf")


@bp.route("/cibles/<int:entry_id>/envoye", methods=["POST"])
def mark_letter_sent(entry_id: int):
    entry = get_or_404(CallPlanEntry, entry_id)
    try:
        services.mark_sent(entry, current_user, letter=True)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("prospection.show_entry", entry_id=entry_id))
    flash(f"Courrier à « {entry.party.name} » noté comme envoyé.", "success")
    return redirect(url_for("prospection.show_plan", plan_id=entry.plan_id))


@bp.route("/plans/<int:plan_id>/publipostage")
def mailing_preview(plan_id: int):
    """The first letter as it will print, its spelling checked, before the whole mailing."""
    plan = get_or_404(CallPlan, plan_id)
    first = db.session.scalar(services.entries_of(plan).limit(1))
    letter, checked, error = None, [], None
    try:
        if first is None:
            services.check_has_targets(plan)
        letter = letters.entry_letter(first, current_user)
    except DomainError as exc:
        error = exc.message
    if letter is not None:
        names = letter.recipient_lines + [current_firm.trade_name, current_user.display_name]
        checked = [_checked(text, *names) for text in
                   [letter.subject, letter.salutation, *letter.paragraphs, letter.closing]]
    mailings = list(db.session.scalars(select(Mailing).where(Mailing.plan_id == plan.id)
                                       .order_by(Mailing.id.desc()).limit(10)))
    return render_template("prospection/mailing_preview.html", plan=plan, letter=letter, checked=checked,
                           unknown_count=sum(len(c[1]) for c in checked), error=error, mailings=mailings,
                           total=services.count_entries(plan), confirm=ConfirmForm(),
                           letter_html=letters.letters_html(current_firm, [letter], for_pdf=False)
                           if letter else None)


@bp.route("/plans/<int:plan_id>/publipostage", methods=["POST"])
def start_mailing(plan_id: int):
    plan = get_or_404(CallPlan, plan_id)
    try:
        mailing = letters.start_mailing(plan, current_user)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("prospection.mailing_preview", plan_id=plan.id))
    return redirect(url_for("prospection.show_mailing", mailing_id=mailing.id))


@bp.route("/publipostages/<int:mailing_id>")
def show_mailing(mailing_id: int):
    mailing = get_or_404(Mailing, mailing_id)
    return render_template("prospection/mailing.html", mailing=mailing, plan=mailing.plan, READY=READY,
                           confirm=ConfirmForm())


@bp.route("/publipostages/<int:mailing_id>/suite", methods=["POST"])
def continue_mailing(mailing_id: int):
    """Print the next letters (called again and again by static/js/mailing.js, or by a button)."""
    mailing = get_or_404(Mailing, mailing_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        mailing = letters.print_next_part(mailing, current_user)
    except PdfUnavailable as error:
        if wants_json:
            return jsonify(error=str(error)), 503
        flash(str(error), "error")
        return redirect(url_for("prospection.show_mailing", mailing_id=mailing_id))
    if wants_json:
        return jsonify(done=mailing.done, total=mailing.total, ready=mailing.status == READY,
                       pdf_url=url_for("prospection.mailing_pdf", mailing_id=mailing_id))
    return redirect(url_for("prospection.show_mailing", mailing_id=mailing_id))


@bp.route("/publipostages/<int:mailing_id>.pdf")
def mailing_pdf(mailing_id: int):
    mailing = get_or_404(Mailing, mailing_id)
    if mailing.status != READY or mailing.pdf is None:
        flash("Le publipostage n'est pas encore imprimé : patientez jusqu'à la fin de la barre de progression.",
              "info")
        return redirect(url_for("prospection.show_mailing", mailing_id=mailing.id))
    return pdf_response(mailing.pdf, f"publipostage-{mailing.id}.pdf", download=True)


# --- unpaid invoices ---------------------------------------------------------------------------

@bp.route("/relances")
def unpaid_reminders():
    from crm.ventes.documents.services import overdue_invoices_query

    today = business_today(current_firm)
    page = db.paginate(overdue_invoices_query(current_firm, today), page=page_number(),
                       error_out=False)
    return render_template("prospection/reminders.html", page=page, today=today, levels=REMINDER_LEVELS,
                           rows=reminders.overdue_list(current_firm, today, page.items))


def _reminder_context(document_id: int, kind: str):
    """(invoice, today, level, template) of the reminder asked for, or the refusal to answer with."""
    invoice = get_or_404(Invoice, document_id)
    today = business_today(current_firm)
    level = request.values.get("niveau", "")
    try:
        reminders.check_level(invoice, level, today)
        template = reminders.template_for(current_firm, level, kind)
    except DomainError as error:
        refuse(error)
        return None, redirect(url_for("prospection.unpaid_reminders"))
    return (invoice, today, level, template), None


@bp.route("/relances/<int:document_id>/courrier", methods=["GET", "POST"])
def reminder_letter(document_id: int):
    context, refused = _reminder_context(document_id, LETTER)
    if refused:
        return refused
    invoice, today, level, template = context
    if request.method == "POST":
        try:
            reminder = reminders.record_reminder(invoice, current_user, level, LETTER, today)
        except DomainError as error:
            refuse(error)
            return redirect(url_for("prospection.unpaid_reminders"))
        flash(f"{REMINDER_LEVELS[level]} enregistrée : imprimez la lettre et postez-la.", "success")
        return redirect(url_for("prospection.reminder_pdf", reminder_id=reminder.id))
    figures = reminders.document_figures(invoice, current_firm, today)
    position = letters.position_label(current_firm.id, current_user)
    letter = letters.build_letter(current_firm, current_user, position, template, invoice.party, today, figures)
    names = letter.recipient_lines + [current_firm.trade_name, current_user.display_name]
    checked = [_checked(text, *names) for text in [letter.subject, letter.salutation, *letter.paragraphs,
                                                   letter.closing]]
    return render_template("prospection/reminder_letter.html", invoice=invoice, level=level, figures=figures,
                           levels=REMINDER_LEVELS, template=template, confirm=ConfirmForm(), checked=checked,
                           unknown_count=sum(len(c[1]) for c in checked),
                           letter_html=letters.letters_html(current_firm, [letter], for_pdf=False))


@bp.route("/relances/lettre/<int:reminder_id>.pdf")
def reminder_pdf(reminder_id: int):
    reminder = get_or_404(PaymentReminder, reminder_id)
    invoice = db.session.get(Invoice, reminder.invoice_id)
    try:
        template = reminders.template_for(current_firm, reminder.level, LETTER)
    except DomainError as error:
        refuse(error)
        return redirect(url_for("prospection.unpaid_reminders"))
    position = letters.position_label(current_firm.id, current_user)
    letter = letters.build_letter(current_firm, current_user, position, template, invoice.party,
                                  reminder.sent_on, reminders.reminder_figures(reminder, invoice))
    return _pdf(current_firm, [letter], f"relance-{invoice.number}-{reminder.level}.pdf")


@bp.route("/relances/<int:document_id>/courriel", methods=["GET", "POST"])
def reminder_email(document_id: int):
    context, refused = _reminder_context(document_id, EMAIL)
    if refused:
        return refused
    invoice, today, level, template = context
    form = ComposeForm()
    party = invoice.party
    if request.method == "GET":
        figures = reminders.document_figures(invoice, current_firm, today)
        _prefill(form, _draft_for(party, template, None, figures))

    def record():
        reminders.record_reminder(db.session.get(Invoice, invoice.id), current_user, level, EMAIL, today)

    return _compose(form, party, None, None, on_sent=record, reminder_level=level,
                    action=url_for("prospection.reminder_email", document_id=invoice.id, niveau=level))
