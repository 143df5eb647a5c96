"""Pure rules of the sales chain that the document services apply (no database).

Each check returns the accepted value or raises DomainError with a French
message on the field a form would show it next to.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal

from crm.core.errors import DomainError
from crm.core.formatting import day, money, number
from crm.core.money import has_decimals_at_most

ZERO = Decimal("0.00")


def check_payment(balance_due: Decimal, amount: Decimal, allow_overpayment: bool = False) -> Decimal:
    """A payment (*règlement*) against an invoice: positive, to the cent, not above the balance.

    More than the balance is accepted only with an explicit choice
    (`allow_overpayment`), the excess then being the client's credit.
    """
    if amount <= 0:
        raise DomainError("Le montant du règlement doit être supérieur à zéro.", "amount")
    if not has_decimals_at_most(amount, 2):
        raise DomainError("Le montant du règlement s'exprime au centime près (par exemple 125,50).", "amount")
    if balance_due <= 0 and not allow_overpayment:
        raise DomainError("Cette facture est déjà entièrement réglée.", "amount")
    if amount > balance_due and not allow_overpayment:
        raise DomainError(
            f"Le règlement de {money(amount)} dépasse le reste à payer ({money(balance_due)}). "
            "Corrigez le montant, ou cochez « Enregistrer le trop-perçu » si le client a vraiment payé plus.",
            "amount",
        )
    return amount


def creditable_remaining(invoice_total_ttc: Decimal, credited_totals_ttc: Iterable[Decimal]) -> Decimal:
    """What credit notes may still cancel of an invoice: its total less the credit notes already issued."""
    return invoice_total_ttc - sum(credited_totals_ttc, ZERO)


def check_credit_note(invoice_number: str, invoice_total_ttc: Decimal,
                      credited_totals_ttc: Iterable[Decimal], credit_total_ttc: Decimal) -> Decimal:
    """A credit note (*avoir*) never exceeds what remains uncredited of the invoice it cites."""
    remaining = creditable_remaining(invoice_total_ttc, credited_totals_ttc)
    if credit_total_ttc <= 0:
        raise DomainError("Un avoir porte sur un montant supérieur à zéro.", "lines")
    if remaining <= 0:
        raise DomainError(f"La facture {invoice_number} est déjà entièrement annulée par des avoirs.", "lines")
    if credit_total_ttc > remaining:
        raise DomainError(
            f"L'avoir ({money(credit_total_ttc)} TTC) dépasse ce qui reste à créditer sur la facture "
            f"{invoice_number} ({money(remaining)} TTC).",
            "lines",
        )
    return credit_total_ttc


def remaining_quantities(
    ordered: Mapping[Hashable, Decimal], delivered: Iterable[Mapping[Hashable, Decimal]]
) -> dict[Hashable, Decimal]:
    """Per order line (any key, e.g. its id): ordered quantity less what the delivery notes delivered."""
    remaining = dict(ordered)
    for note in delivered:
        for key, quantity in note.items():
            remaining[key] = remaining.get(key, Decimal("0")) - quantity
    return remaining


def check_delivery(
    ordered: Mapping[Hashable, Decimal],
    delivered: Iterable[Mapping[Hashable, Decimal]],
    to_deliver: Mapping[Hashable, Decimal],
    labels: Mapping[Hashable, str] | None = None,
) -> dict[Hashable, Decimal]:
    """A (partial) delivery: no negative quantity, nothing beyond what remains to deliver, not empty.

    Returns the quantities to deliver without the zero lines.
    """
    labels = labels or {}
    remaining = remaining_quantities(ordered, delivered)
    accepted = {}
    for index, (key, quantity) in enumerate(to_deliver.items()):
        label = labels.get(key, str(key))
        field = f"lines-{index}-quantity"
        if key not in ordered:
            raise DomainError(f"« {label} » ne figure pas sur la commande.", field)
        if quantity < 0:
            raise DomainError(f"« {label} » : la quantité livrée ne peut pas être négative.", field)
        if quantity > remaining[key]:
            raise DomainError(
                f"« {label} » : {number(quantity, 3)} à livrer alors qu'il n'en reste que "
                f"{number(max(remaining[key], Decimal(0)), 3)} à livrer sur cette commande.",
                field,
            )
        if quantity:
            accepted[key] = quantity
    if not accepted:
        raise DomainError("Indiquez au moins une quantité à livrer.", "lines")
    return accepted


def is_overdue(due: date | None, balance_due: Decimal, today: date) -> bool:
    """An invoice is overdue once its due date has passed with something left to pay."""
    return due is not None and balance_due > 0 and today > due


def check_document_date(doc_date: date, today: date, field: str = "date") -> date:
    """A document is not dated in the future (its number would then block every earlier date)."""
    if doc_date > today:
        raise DomainError(
            f"La date ne peut pas être postérieure à aujourd'hui ({day(today)}).", field
        )
    return doc_date
