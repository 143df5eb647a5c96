"""Unpaid invoices (*relances impayées*): what is due, as the invoice states it, and reminder levels.

The invoice prints the firm's payment mentions (crm.core.firm_settings): penalties
at the annual late-payment rate from the day after the due date, and for a
business client the 40 € recovery indemnity (C. com. L441-10, D441-5). The
reminder says the same figures, computed on the business date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, select

from crm.core.errors import DomainError
from crm.core.firm_settings import RECOVERY_FEE, get_firm_settings
from crm.core.formatting import money
from crm.core.models import Firm, User
from crm.core.money import ZERO, percentage_of
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.prospection.merge import DocumentFigures
from crm.prospection.models import EMAIL, LETTER, REMINDER_LEVELS, MessageTemplate, PaymentReminder

LEVELS = tuple(REMINDER_LEVELS)  # in order: friendly, second, formal notice
DAYS_PER_YEAR = Decimal(365)


def figures_of(invoice, today: date, settings, balance: Decimal) -> DocumentFigures:
    """Amount due, days late, penalties and indemnity of an invoice on `today`."""
    days_late = max((today - invoice.due_date).days, 0) if invoice.due_date else 0
    rate = settings.late_payment_rate
    penalties = percentage_of(balance * days_late / DAYS_PER_YEAR, rate) if days_late else ZERO
    indemnity = RECOVERY_FEE if invoice.party.category == "business" and days_late else ZERO
    return DocumentFigures(
        label=invoice.label, number=invoice.number, issue_date=invoice.issue_date,
        total_ttc=invoice.total_ttc, balance_due=balance, due_date=invoice.due_date, days_late=days_late,
        penalty_rate=rate, penalties=penalties, indemnity=indemnity,
        total_to_pay=balance + penalties + indemnity)


def document_figures(document, firm: Firm, today: date) -> DocumentFigures:
    """The figures a letter may quote about an invoice (with what is due) or an order."""
    from crm.ventes.documents.models import Invoice
    from crm.ventes.documents.services import balance_due

    if isinstance(document, Invoice):
        return figures_of(document, today, get_firm_settings(firm), balance_due(document))
    return DocumentFigures(label=document.label, number=document.number or "", issue_date=document.issue_date,
                           total_ttc=document.total_ttc)


@dataclass
class Overdue:
    invoice: object
    figures: DocumentFigures
    reached: str | None  # the last level sent
    next_level: str | None  # None once the mise en demeure is sent

    @property
    def reached_label(self) -> str:
        return REMINDER_LEVELS[self.reached] if self.reached else "Aucune relance"


def levels_reached(invoice_ids: list[int]) -> dict[int, str]:
    """The highest reminder level sent for each invoice (one query)."""
    if not invoice_ids:
        return {}
    reached: dict[int, str] = {}
    rows = db.session.execute(select(PaymentReminder.invoice_id, PaymentReminder.level)
                              .where(PaymentReminder.invoice_id.in_(invoice_ids)))
    for invoice_id, level in rows:
        if LEVELS.index(level) >= LEVELS.index(reached.get(invoice_id, level)):
            reached[invoice_id] = level
    return reached


def next_level(reached: str | None) -> str | None:
    if reached is None:
        return LEVELS[0]
    position = LEVELS.index(reached) + 1
    return LEVELS[position] if position < len(LEVELS) else None


def overdue_list(firm: Firm, today: date, invoices: list | None = None) -> list[Overdue]:
    """The overdue invoices (all of them, or the page given) with what is due today and the
    reminder level each reached: three queries whatever the number of rows."""
    from crm.ventes.documents.services import balances_due

    settings = get_firm_settings(firm)
    if invoices is None:
        invoices = overdue_invoices_of(firm, today)
    reached = levels_reached([invoice.id for invoice in invoices])
    balances = balances_due(invoices)
    rows = []
    for invoice in invoices:
        level = reached.get(invoice.id)
        rows.append(Overdue(invoice, figures_of(invoice, today, settings, balances[invoice.id]), level,
                            next_level(level)))
    return rows


def overdue_invoices_of(firm: Firm, today: date) -> list:
    """The overdue invoices with their party, oldest due date first."""
    from crm.ventes.documents.services import overdue_invoices

    return overdue_invoices(firm, today)


def template_for(firm: Firm, level: str, kind: str) -> MessageTemplate:
    template = db.session.scalar(select(MessageTemplate).where(
        MessageTemplate.firm_id == firm.id, MessageTemplate.purpose == level, MessageTemplate.kind == kind)
        .order_by(MessageTemplate.name).limit(1))
    if template is None:
        what = "courrier type" if kind == LETTER else "courriel type"
        raise DomainError(f"Créez d'abord un {what} pour l'usage « {REMINDER_LEVELS[level]} » "
                          "(Prospection › Modèles).")
    return template


def check_level(invoice, level: str, today: date) -> Decimal:
    """The balance due when `level` is the invoice's next reminder; DomainError otherwise."""
    from crm.ventes.documents.models import Invoice
    from crm.ventes.documents.services import balance_due

    if not isinstance(invoice, Invoice) or invoice.is_draft:
        raise DomainError("On relance une facture validée.")
    balance = balance_due(invoice)
    if balance <= 0 or invoice.due_date is None or invoice.due_date >= today:
        raise DomainError(f"La facture {invoice.number} n'est pas en retard de paiement.")
    expected = next_level(levels_reached([invoice.id]).get(invoice.id))
    if level not in REMINDER_LEVELS:
        raise DomainError("Niveau de relance inconnu.", "level")
    if expected is None:
        raise DomainError(f"La mise en demeure de la facture {invoice.number} est déjà envoyée.")
    if level != expected:
        raise DomainError(f"La prochaine relance de la facture {invoice.number} est : "
                          f"{REMINDER_LEVELS[expected].lower()}.", "level")
    return balance


def record_reminder(invoice, user: User, level: str, channel: str, today: date) -> PaymentReminder:
    """The reminder sent at `level`, with the figures it stated; journal and party history."""
    from crm.clients.services import record_interaction

    balance = check_level(invoice, level, today)
    if channel not in (LETTER, EMAIL):
        raise DomainError("Choisissez courrier ou courriel.", "channel")
    firm = db.session.get(Firm, invoice.firm_id)
    figures = figures_of(invoice, today, get_firm_settings(firm), balance)
    reminder = PaymentReminder(
        firm_id=firm.id, invoice_id=invoice.id, party_id=invoice.party_id, level=level, channel=channel,
        sent_on=today, days_late=figures.days_late, amount_due=balance, penalties=figures.penalties,
        indemnity=figures.indemnity, user_id=user.id)
    db.session.add(reminder)
    db.session.flush()
    if channel == LETTER:  # an email is recorded in the history when it is sent
        record_interaction(invoice.party, user, "letter",
                           f"{REMINDER_LEVELS[level]} — facture {invoice.number}"[:160],
                           f"Reste dû {money(balance)}, pénalités {money(figures.penalties)}, "
                           f"indemnité {money(figures.indemnity)}.", journal=False)
    record_activity(firm, user, "payment_reminder.sent", reminder,
                    f"{REMINDER_LEVELS[level]} de la facture {invoice.number} ({invoice.party.name})")
    return reminder


def reminder_figures(reminder: PaymentReminder, invoice) -> DocumentFigures:
    """The figures as the reminder stated them when it was sent (its letter prints the same)."""
    return DocumentFigures(
        label=invoice.label, number=invoice.number, issue_date=invoice.issue_date,
        total_ttc=invoice.total_ttc, balance_due=reminder.amount_due, due_date=invoice.due_date,
        days_late=reminder.days_late, penalty_rate=None, penalties=reminder.penalties,
        indemnity=reminder.indemnity,
        total_to_pay=reminder.amount_due + reminder.penalties + reminder.indemnity)


def reminders_of_invoice(invoice_id: int) -> list[PaymentReminder]:
    return list(db.session.scalars(_reminders_statement(), {"invoice_id": invoice_id}))


@cache
def _reminders_statement():
    """The reminders of the bound invoice, oldest first (built once: every invoice page asks)."""
    return (select(PaymentReminder).where(PaymentReminder.invoice_id == bindparam("invoice_id"))
            .order_by(PaymentReminder.sent_on, PaymentReminder.id))


def level_of_party(party_id: int) -> str | None:
    """The highest reminder level among the party's invoices still unpaid (None: no reminder)."""
    from crm.ventes.documents.models import Invoice

    levels = set(db.session.scalars(
        select(PaymentReminder.level).join(Invoice, PaymentReminder.invoice_id == Invoice.id)
        .where(PaymentReminder.party_id == party_id, Invoice.status != "paid")))
    ordered = [level for level in LEVELS if level in levels]
    return ordered[-1] if ordered else None


def level_label_of_party(party_id: int) -> str:
    """« Relance amiable », « Deuxième relance »… reached on the party's unpaid invoices, or ''."""
    level = level_of_party(party_id)
    return REMINDER_LEVELS[level] if level else ""
