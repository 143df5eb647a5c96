"""French business letters from templates: one per target, or a whole mailing in one PDF.

A mailing of hundreds of letters is printed a few letters at a time
(`CHUNK`), one short request per part, so that a progress bar can follow it
and no request runs for minutes. Each part is rendered after the request's
read transaction has ended (SQLite begins every transaction IMMEDIATE: a
render inside it would hold every other user's writes), then stored; the last
part joins them into one PDF (pypdf: joining printed PDFs is fast, printing is
not). The state lives in the database, so any worker can print the next part.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date
from flask import render_template
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import joinedload

from crm.clients.models import Interaction, Party
from crm.core.clock import business_today
from crm.core.database import end_read_transaction
from crm.core.errors import DomainError
from crm.core.formatting import LOCALE
from crm.core.models import Firm, Membership, Position, User, utcnow
from crm.core.pdf import firm_logo_uri, html_to_pdf
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.prospection import merge
from crm.prospection.messaging import merged
from crm.prospection.models import (
    DONE, LETTER, READY, RENDERING, SENT, CallAttempt, CallPlan, CallPlanEntry, Mailing, MailingPart,
)

CHUNK = 20  # letters per part: about two seconds of printing on a school server


@dataclass
class Letter:
    """Everything one letter prints, already merged and formatted."""

    recipient_lines: list[str]
    place_and_date: str
    subject: str
    salutation: str
    paragraphs: list[str]
    closing: str
    signer: str
    signer_position: str
    references: list[str] = field(default_factory=list)


def position_label(firm_id: int, user: User) -> str:
    position = db.session.scalar(select(Membership.position).where(
        Membership.firm_id == firm_id, Membership.user_id == user.id))
    return Position(position).label if position else ""


def recipient_lines(party: Party) -> list[str]:
    """The address block: name, attention line for a business, address, postcode and city."""
    lines = [party.name]
    if party.category == "business" and party.contacts:
        lines.append(f"À l'attention de {party.contacts[0].name}")
    town = " ".join(p for p in (party.postcode, party.city.upper()) if p)
    return lines + [line for line in (party.address_line1, party.address_line2, town) if line]


def place_and_date(firm: Firm, today: date) -> str:
    return f"{firm.city or firm.trade_name}, le {format_date(today, format='d MMMM yyyy', locale=LOCALE)}"


def build_letter(firm: Firm, user: User, position: str, texts, party: Party, today: date,
                 figures: merge.DocumentFigures | None = None) -> Letter:
    values = merge.values_for(firm, user, position, party, today, figures)
    text = merged(texts, values)
    references = [f"Votre {figures.label.lower()} n° {figures.number}"] if figures else []
    return Letter(
        recipient_lines=recipient_lines(party), place_and_date=place_and_date(firm, today),
        subject=text.subject, salutation=text.salutation,
        paragraphs=[p.strip() for p in text.body.split("\n\n") if p.strip()], closing=text.closing,
        signer=user.display_name, signer_position=position, references=references)


def letters_html(firm: Firm, letters: list[Letter], for_pdf: bool = True) -> str:
    """A document of letters to print, or (for_pdf=False) the letters to show inside a page."""
    template = "prospection/letter.html" if for_pdf else "prospection/_letters_screen.html"
    return render_template(template, firm=firm, logo_src=firm_logo_uri(firm), letters=letters, for_pdf=for_pdf)


def print_letters(firm: Firm, letters: list[Letter]) -> bytes:
    """The letters as one PDF, printed after the read transaction ended."""
    html = letters_html(firm, letters)
    end_read_transaction(db.session)
    return html_to_pdf(html)


def entry_figures(entry: CallPlanEntry, firm: Firm, today: date) -> merge.DocumentFigures | None:
    from crm.prospection.reminders import document_figures

    return document_figures(entry.document, firm, today) if entry.document is not None else None


def entry_letter(entry: CallPlanEntry, user: User, today: date | None = None) -> Letter:
    plan = entry.plan
    if plan.template is None or plan.template.kind != LETTER:
        raise DomainError("Choisissez d'abord le courrier type du plan (bouton « Modifier le plan »).")
    firm = db.session.get(Firm, entry.firm_id)
    today = today or business_today(firm)
    return build_letter(firm, user, position_label(firm.id, user), plan.template, entry.party, today,
                        entry_figures(entry, firm, today))


# --- the mailing ------------------------------------------------------------------

def start_mailing(plan: CallPlan, user: User) -> Mailing:
    """A new mailing of every target of a letter plan, its texts copied from the plan's template."""
    if plan.channel != LETTER:
        raise DomainError("Le publipostage concerne les plans par courrier.")
    template = plan.template
    if template is None or template.kind != LETTER:
        raise DomainError("Choisissez d'abord le courrier type du plan (bouton « Modifier le plan »).")
    total, up_to = db.session.execute(
        select(func.count(CallPlanEntry.id), func.max(CallPlanEntry.id)).where(CallPlanEntry.plan_id == plan.id)
    ).one()
    if not total:
        raise DomainError("Ce plan n'a aucune cible : ajoutez des destinataires avant le publipostage.")
    mailing = Mailing(firm_id=plan.firm_id, plan_id=plan.id, subject=template.subject,
                      salutation=template.salutation, body=template.body, closing=template.closing,
                      purpose=template.purpose, total=total, done=0, last_entry_id=0, up_to_entry_id=up_to,
                      status=RENDERING, created_by_id=user.id)
    db.session.add(mailing)
    db.session.flush()
    return mailing


def _next_entries(mailing: Mailing) -> list[CallPlanEntry]:
    return list(db.session.scalars(
        select(CallPlanEntry).where(CallPlanEntry.plan_id == mailing.plan_id,
                                    CallPlanEntry.id > mailing.last_entry_id,
                                    CallPlanEntry.id <= mailing.up_to_entry_id)
        .options(joinedload(CallPlanEntry.party).selectinload(Party.contacts),
                 joinedload(CallPlanEntry.document))
        .order_by(CallPlanEntry.id).limit(CHUNK)))


def print_next_part(mailing: Mailing, user: User) -> Mailing:
    """Print the next letters of the mailing and store them; the last part finishes the mailing."""
    if mailing.status == READY:
        return mailing
    firm = db.session.get(Firm, mailing.firm_id)
    today = business_today(firm)
    position = position_label(firm.id, user)
    entries = _next_entries(mailing)
    mailing_id, cursor = mailing.id, mailing.last_entry_id
    if not entries:
        return finish_mailing(mailing, user)
    letters = [build_letter(firm, user, position, mailing, entry.party, today, entry_figures(entry, firm, today))
               for entry in entries]
    pdf = print_letters(firm, letters)  # the read transaction ends here
    mailing = db.session.get(Mailing, mailing_id)
    if mailing.last_entry_id != cursor:  # another request printed this part meanwhile
        return mailing
    mailing.parts.append(MailingPart(firm_id=mailing.firm_id, position=len(mailing.parts) + 1,
                                     letters=len(letters), pdf=pdf))
    mailing.last_entry_id = max(entry.id for entry in entries)
    mailing.done = min(mailing.done + len(letters), mailing.total)
    db.session.flush()
    if mailing.last_entry_id >= mailing.up_to_entry_id:
        finish_mailing(mailing, user)
    return mailing


def finish_mailing(mailing: Mailing, user: User) -> Mailing:
    """Join the parts into one PDF, and record each letter as sent (history, plan, journal)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in mailing.parts:
        writer.append(io.BytesIO(part.pdf))
    out = io.BytesIO()
    writer.write(out)
    mailing.pdf = out.getvalue()
    mailing.parts.clear()
    mailing.status = READY
    mailing.done = mailing.total
    mailing.finished_at = utcnow()
    db.session.flush()
    _record_sent(mailing, user)
    return mailing


def _record_sent(mailing: Mailing, user: User) -> None:
    """One letter in each party's history and one 'sent' per target, in a few statements."""
    plan = db.session.get(CallPlan, mailing.plan_id)
    in_range = (CallPlanEntry.plan_id == plan.id, CallPlanEntry.id <= mailing.up_to_entry_id)
    targets = db.session.execute(select(CallPlanEntry.id, CallPlanEntry.party_id).where(*in_range)).all()
    now = utcnow()
    subject = f"Courrier envoyé : {mailing.subject}"[:160]
    db.session.execute(insert(Interaction), [
        {"firm_id": plan.firm_id, "party_id": party_id, "channel": "letter", "subject": subject,
         "summary": f"Publipostage du plan « {plan.name} »", "outcome": "", "author_id": user.id, "at": now}
        for _, party_id in targets])
    db.session.execute(insert(CallAttempt), [
        {"firm_id": plan.firm_id, "entry_id": entry_id, "outcome": SENT, "note": "", "user_id": user.id, "at": now}
        for entry_id, _ in targets])
    db.session.execute(update(CallPlanEntry).where(*in_range).values(
        status=DONE, last_outcome=SENT, attempts=CallPlanEntry.attempts + 1, done_at=now,
        held_by_id=None, held_at=None).execution_options(synchronize_session=False))
    noun = "lettre" if len(targets) == 1 else "lettres"
    record_activity(db.session.get(Firm, plan.firm_id), user, "mailing.sent", mailing,
                    f"Publipostage « {plan.name} » : {len(targets)} {noun}")
