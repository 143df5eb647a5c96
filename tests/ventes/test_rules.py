"""Pure rules of the sales chain: payments, credit notes, partial deliveries, overdue."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from crm.core.errors import DomainError
from crm.ventes.documents.rules import (
    check_credit_note,
    check_delivery,
    check_document_date,
    check_payment,
    creditable_remaining,
    is_overdue,
    remaining_quantities,
)


def message(error) -> str:
    return error.value.message.replace("\u202f", " ").replace("\u00a0", " ")


def test_a_partial_payment_then_the_rest():
    # Invoice 1 609,76 TTC: 1 000,00 by cheque, then the 609,76 left.
    assert check_payment(D("1609.76"), D("1000.00")) == D("1000.00")
    assert check_payment(D("609.76"), D("609.76")) == D("609.76")


@pytest.mark.parametrize(
    ("balance", "amount", "expected"),
    [
        (D("100"), D("0"), "Le montant du règlement doit être supérieur à zéro."),
        (D("100"), D("-5"), "Le montant du règlement doit être supérieur à zéro."),
        (D("100"), D("10.005"), "Le montant du règlement s'exprime au centime près (par exemple 125,50)."),
        (D("0.00"), D("10"), "Cette facture est déjà entièrement réglée."),
        (D("609.76"), D("610.00"), "Le règlement de 610,00 € dépasse le reste à payer (609,76 €). "
         "Corrigez le montant, ou cochez « Enregistrer le trop-perçu » si le client a vraiment payé plus."),
    ],
)
def test_bad_payments_are_refused(balance, amount, expected):
    with pytest.raises(DomainError) as refused:
        check_payment(balance, amount)
    assert refused.value.field == "amount"
    assert message(refused) == expected


def test_an_overpayment_only_with_an_explicit_choice():
    assert check_payment(D("609.76"), D("610.00"), allow_overpayment=True) == D("610.00")


def test_credit_notes_never_exceed_what_remains_uncredited():
    # Invoice 1 609,76; a first credit note of 300,00 for returned chairs → 1 309,76 remain.
    assert creditable_remaining(D("1609.76"), [D("300.00")]) == D("1309.76")
    assert check_credit_note("FA2026-0042", D("1609.76"), [D("300.00")], D("1309.76")) == D("1309.76")
    with pytest.raises(DomainError) as refused:
        check_credit_note("FA2026-0042", D("1609.76"), [D("300.00")], D("1309.77"))
    assert message(refused) == (
        "L'avoir (1 309,77 € TTC) dépasse ce qui reste à créditer sur la facture FA2026-0042 (1 309,76 € TTC)."
    )
    with pytest.raises(DomainError) as refused:
        check_credit_note("FA2026-0042", D("1609.76"), [D("300.00"), D("1309.76")], D("1"))
    assert message(refused) == "La facture FA2026-0042 est déjà entièrement annulée par des avoirs."
    with pytest.raises(DomainError, match="supérieur à zéro"):
        check_credit_note("FA2026-0042", D("1609.76"), [], D("0"))


def test_partial_deliveries_of_an_order():
    # Order: 10 chairs (line 1), 5 tables (line 2). First delivery: 6 chairs, 5 tables.
    ordered = {1: D("10"), 2: D("5")}
    labels = {1: "Chaise empilable Oslo", 2: "Table de réunion"}
    first = check_delivery(ordered, [], {1: D("6"), 2: D("5")}, labels)
    assert first == {1: D("6"), 2: D("5")}
    assert remaining_quantities(ordered, [first]) == {1: D("4"), 2: D("0")}
    # Second delivery: the 4 chairs left; a zero line is simply dropped.
    assert check_delivery(ordered, [first], {1: D("4"), 2: D("0")}, labels) == {1: D("4")}
    with pytest.raises(DomainError) as refused:
        check_delivery(ordered, [first], {1: D("5"), 2: D("0")}, labels)
    assert (refused.value.field, message(refused)) == (
        "lines-0-quantity",
        "« Chaise empilable Oslo » : 5 à livrer alors qu'il n'en reste que 4 à livrer sur cette commande.",
    )
    with pytest.raises(DomainError) as refused:
        check_delivery(ordered, [first], {1: D("0"), 2: D("1")}, labels)
    assert refused.value.field == "lines-1-quantity"
    assert "il n'en reste que 0 à livrer" in message(refused)


@pytest.mark.parametrize(
    ("to_deliver", "expected"),
    [
        ({1: D("-1")}, "« Chaise » : la quantité livrée ne peut pas être négative."),
        ({1: D("0")}, "Indiquez au moins une quantité à livrer."),
        ({}, "Indiquez au moins une quantité à livrer."),
        ({9: D("1")}, "« 9 » ne figure pas sur la commande."),
    ],
)
def test_bad_deliveries_are_refused(to_deliver, expected):
    with pytest.raises(DomainError) as refused:
        check_delivery({1: D("3")}, [], to_deliver, {1: "Chaise"})
    assert message(refused) == expected


def test_overdue_and_document_dates():
    due = date(2026, 12, 23)
    assert not is_overdue(due, D("10"), date(2026, 12, 23))  # the due day itself is not late
    assert is_overdue(due, D("10"), date(2026, 12, 24))
    assert not is_overdue(due, D("0.00"), date(2027, 1, 30))
    assert not is_overdue(None, D("10"), date(2027, 1, 30))
    assert check_document_date(date(2026, 11, 23), today=date(2026, 11, 23)) == date(2026, 11, 23)
    with pytest.raises(DomainError) as refused:
        check_document_date(date(2026, 11, 24), today=date(2026, 11, 23))
    assert message(refused) == "La date ne peut pas être postérieure à aujourd'hui (23/11/2026)."
