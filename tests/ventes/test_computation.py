"""Document computation: textbook cases worked out by hand in the comments."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from crm.core.errors import DomainError
from crm.core.money import round_cent
from crm.ventes.computation import (
    LineInput,
    check_vat_rate,
    compute_document,
    compute_line,
)


def test_bac_pro_invoice_remise_rabais_escompte():
    # Facture of a furniture seller, all at 20 %:
    #   10 chaises   × 45,00  =   450,00
    #    5 tables    × 120,00 =   600,00
    #    2 armoires  × 275,50 =   551,00
    #   Montant brut HT        = 1 601,00
    #   Remise 10 %  : 1 601,00 × 0,10 = 160,10     → net 1 440,90
    #   Rabais 5 %   : 1 440,90 × 0,05 =  72,045 → 72,05 (half-up) → net commercial 1 368,85
    #   Escompte 2 % : 1 368,85 × 0,02 =  27,377 → 27,38 → net financier 1 341,47
    #   TVA 20 %     : 1 341,47 × 0,20 = 268,294 → 268,29
    #   Net à payer TTC = 1 341,47 + 268,29 = 1 609,76
    totals = compute_document(
        [LineInput(10, D("45.00"), 20), LineInput(5, D("120"), 20), LineInput(2, D("275.50"), 20)],
        remise=10, rabais=5, escompte=2,
    )
    assert [line.net for line in totals.lines] == [D("450.00"), D("600.00"), D("551.00")]
    assert totals.gross_ht == D("1601.00")
    assert [(s.kind, s.base, s.amount, s.net) for s in totals.reductions] == [
        ("remise", D("1601.00"), D("160.10"), D("1440.90")),
        ("rabais", D("1440.90"), D("72.05"), D("1368.85")),
    ]
    assert totals.net_commercial == D("1368.85")
    assert (totals.escompte.base, totals.escompte.amount) == (D("1368.85"), D("27.38"))
    assert totals.net_financier == totals.total_ht == D("1341.47")
    assert [(v.rate, v.base, v.amount) for v in totals.vat] == [(D("20"), D("1341.47"), D("268.29"))]
    assert totals.total_vat == D("268.29")
    assert totals.total_ttc == D("1609.76")
    assert totals.balance_due == D("1609.76")
    assert totals.reduction_amount("rabais") == D("72.05")
    assert totals.reduction_amount("ristourne") == D("0.00")


def test_ristourne_comes_last_in_the_commercial_cascade():
    # 1 000,00 brut; remise 5 % = 50,00 → 950,00; rabais 2 % = 19,00 → 931,00;
    # ristourne 1,5 % = 13,965 → 13,97 → net commercial 917,03; no escompte.
    # TVA 10 %: 91,703 → 91,70; TTC 1 008,73. Already paid 500,00: balance 508,73.
    totals = compute_document(
        [LineInput(4, "250", 10)], remise=5, rabais=2, ristourne="1,5", paid="500"
    )
    assert [s.amount for s in totals.reductions] == [D("50.00"), D("19.00"), D("13.97")]
    assert totals.net_commercial == totals.net_financier == D("917.03")
    assert totals.escompte is None
    assert totals.vat[0].amount == D("91.70")
    assert totals.total_ttc == D("1008.73")
    assert (totals.paid, totals.balance_due) == (D("500.00"), D("508.73"))


def test_multi_rate_invoice_20_and_5_5_with_a_remise():
    # A grocer's invoice:
    #   20 %  : 3 × 89,90 = 269,70 ; 1 × 15,00 less 10 % = 13,50   → 283,20
    #   5,5 % : 12 × 2,35 = 28,20  ; 4 × 7,49 = 29,96              →  58,16
    #   Brut HT 341,36; remise 5 % = 17,068 → 17,07; net 324,29.
    #   Base 20 %  = 324,29 × 283,20 / 341,36 = 269,0383… → 269,04
    #   Base 5,5 % = 324,29 ×  58,16 / 341,36 =  55,2516… →  55,25  (269,04 + 55,25 = 324,29)
    #   TVA 20 %  = 269,04 × 0,20  = 53,808   → 53,81
    #   TVA 5,5 % =  55,25 × 0,055 =  3,03875 →  3,04
    #   TTC = 324,29 + 53,81 + 3,04 = 381,14
    totals = compute_document(
        [
            LineInput(3, "89.90", 20),
            LineInput(1, "15.00", 20, discount_rate=10),
            LineInput(12, "2.35", "5.5"),
            LineInput(4, "7.49", "5,5"),
        ],
        remise=5,
    )
    assert totals.lines[1].gross == D("15.00")
    assert (totals.lines[1].discount_amount, totals.lines[1].net) == (D("1.50"), D("13.50"))
    assert totals.gross_ht == D("341.36")
    assert totals.net_financier == D("324.29")
    assert [(v.rate, v.lines_net, v.base, v.amount, v.allowance) for v in totals.vat] == [
        (D("20"), D("283.20"), D("269.04"), D("53.81"), D("14.16")),
        (D("5.5"), D("58.16"), D("55.25"), D("3.04"), D("2.91")),
    ]
    assert totals.total_vat == D("56.85")
    assert totals.total_ttc == D("381.14")


def test_vat_bases_always_add_up_to_the_net_when_half_up_would_overshoot():
    # 1,00 at 20 % + 1,00 at 10 %; remise 0,5 % = 0,01 → net 1,99.
    # Each share is exactly 0,995: half-up would give 1,00 + 1,00 = 2,00 ≠ 1,99.
    # Largest remainder: both floors 0,99, one cent left, tie → the higher rate.
    totals = compute_document([LineInput(1, 1, 20), LineInput(1, 1, 10)], remise="0.5")
    assert totals.net_financier == D("1.99")
    assert [(v.rate, v.base, v.amount) for v in totals.vat] == [
        (D("20"), D("1.00"), D("0.20")),
        (D("10"), D("0.99"), D("0.10")),  # 0,099 → 0,10
    ]
    assert sum(v.base for v in totals.vat) == totals.net_financier
    assert totals.total_ttc == D("2.29")


def test_vat_is_rounded_once_per_rate_not_per_line():
    # Three lines of 0,35 at 5,5 %: per line 0,01925 → 0,02 each = 0,06 (wrong);
    # per rate: base 1,05 × 0,055 = 0,05775 → 0,06. And 3 lines of 0,15: per line
    # 0,00825 → 0,01 × 3 = 0,03 (wrong); per rate 0,45 × 0,055 = 0,02475 → 0,02.
    totals = compute_document([LineInput(1, "0.15", "5.5")] * 3)
    assert totals.vat[0].amount == D("0.02")
    totals = compute_document([LineInput(1, "0.35", "5.5")] * 3)
    assert totals.vat[0].amount == D("0.06")


@pytest.mark.parametrize(
    ("quantity", "price", "discount", "net"),
    [
        ("0.5", "0.01", "0", D("0.01")),  # 0,005: half-up, not banker's rounding (which gives 0,00)
        ("0.49", "0.01", "0", D("0.00")),  # 0,0049
        ("0.5", "2.01", "0", D("1.01")),  # 1,005 → 1,01
        ("1", "10.05", "50", D("5.02")),  # discount 5,025 → 5,03, subtracted: 10,05 − 5,03
        ("5", "24.90", "5", D("118.27")),  # 124,50 − 6,225 → 6,23 = 118,27 (issue 9)
        ("2.5", "3.99", "0", D("9.98")),  # 9,975 → 9,98
        ("0.125", "12.00", "0", D("1.50")),
        ("7", "19.99", "100", D("0.00")),  # a free line
    ],
)
def test_line_rounding_half_up_to_the_cent(quantity, price, discount, net):
    assert compute_line(LineInput(quantity, price, 20, discount)).net == net


def test_vat_rounding_edges():
    # 12,50 at 2,1 % = 0,2625 → 0,26; 0,10 at 5,5 % = 0,0055 → 0,01; 0,50 at 10 % = 0,05.
    totals = compute_document(
        [LineInput(1, "12.50", "2.1"), LineInput(1, "0.10", "5.5"), LineInput(1, "0.50", 10),
         LineInput(1, "3.00", 0)]
    )
    assert [(v.rate, v.amount) for v in totals.vat] == [
        (D("10"), D("0.05")), (D("5.5"), D("0.01")), (D("2.1"), D("0.26")), (D("0"), D("0.00")),
    ]
    assert totals.total_ttc == D("16.42")  # 16,10 + 0,32
    assert round_cent(D("2.675")) == D("2.68")
    assert round_cent(D("-2.675")) == D("-2.68")


def test_an_empty_document_and_an_overpaid_one():
    empty = compute_document([])
    assert (empty.gross_ht, empty.vat, empty.total_ttc, empty.balance_due) == (
        D("0.00"), (), D("0.00"), D("0.00"),
    )
    overpaid = compute_document([LineInput(1, 10, 20)], paid="15")
    assert overpaid.balance_due == D("-3.00")  # the payments service decides what to do with it


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (LineInput(0, 10, 20), "lines-0-quantity", "Ligne 1 : la quantité doit être supérieure à zéro."),
        (LineInput(-2, 10, 20), "lines-0-quantity", "Ligne 1 : la quantité doit être supérieure à zéro."),
        (
            LineInput("2000000", 10, 20),
            "lines-0-quantity",
            "Ligne 1 : la quantité dépasse 1 000 000 : vérifiez la saisie.",
        ),
        (LineInput("1.2345", 10, 20), "lines-0-quantity", "Ligne 1 : la quantité a 3 décimales au plus."),
        (
            LineInput("deux", 10, 20),
            "lines-0-quantity",
            "Ligne 1 : la quantité doit être un nombre, par exemple 12,50.",
        ),
        (
            LineInput("Infinity", 10, 20),
            "lines-0-quantity",
            "Ligne 1 : la quantité doit être un nombre, par exemple 12,50.",
        ),
        (
            LineInput(1, "-5", 20),
            "lines-0-unit_price",
            "Ligne 1 : le prix unitaire HT ne peut pas être négatif ; pour réduire le prix, "
            "utilisez la remise de la ligne.",
        ),
        (
            LineInput(1, "9999999", 20),
            "lines-0-unit_price",
            "Ligne 1 : le prix unitaire HT dépasse 1 000 000 € : vérifiez la saisie.",
        ),
        (LineInput(1, "1.23456", 20), "lines-0-unit_price", "Ligne 1 : le prix unitaire HT a 2 décimales au plus."),
        (
            LineInput(1, None, 20),
            "lines-0-unit_price",
            "Ligne 1 : le prix unitaire HT doit être un nombre, par exemple 12,50.",
        ),
        (
            LineInput(1, 10, "19.6"),
            "lines-0-vat_rate",
            "Ligne 1 : le taux de TVA doit être 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.",
        ),
        (
            LineInput(1, 10, 7),
            "lines-0-vat_rate",
            "Ligne 1 : le taux de TVA doit être 20 %, 10 %, 5,5 %, 2,1 % ou 0 %.",
        ),
        (
            LineInput(1, 10, 20, "101"),
            "lines-0-discount_rate",
            "Ligne 1 : la remise de la ligne est un pourcentage positif au plus égal à 100 %.",
        ),
        (
            LineInput(1, 10, 20, "-1"),
            "lines-0-discount_rate",
            "Ligne 1 : la remise de la ligne est un pourcentage positif au plus égal à 100 %.",
        ),
        (
            LineInput(1, 10, 20, "2.555"),
            "lines-0-discount_rate",
            "Ligne 1 : la remise de la ligne a 2 décimales au plus.",
        ),
    ],
)
def test_bad_lines_are_refused_in_french(line, field, message):
    with pytest.raises(DomainError) as refused:
        compute_document([line])
    assert (refused.value.field, refused.value.message) == (field, message)


def test_the_line_number_in_the_message_is_the_faulty_line():
    with pytest.raises(DomainError) as refused:
        compute_document([LineInput(1, 10, 20), LineInput(1, 10, 20), LineInput(-1, 10, 20)])
    assert refused.value.field == "lines-2-quantity"
    assert refused.value.message.startswith("Ligne 3 : ")


@pytest.mark.parametrize(
    ("reductions", "field", "message"),
    [
        ({"remise": "100"}, "remise", "La remise est un pourcentage positif strictement inférieur à 100 %."),
        ({"rabais": "-5"}, "rabais", "Le rabais est un pourcentage positif strictement inférieur à 100 %."),
        ({"ristourne": "abc"}, "ristourne", "La ristourne doit être un nombre, par exemple 12,50."),
        ({"escompte": "2.125"}, "escompte", "L'escompte a 2 décimales au plus."),
        ({"paid": "-1"}, "paid", "Le montant déjà réglé ne peut pas être négatif."),
    ],
)
def test_bad_document_reductions_are_refused_in_french(reductions, field, message):
    with pytest.raises(DomainError) as refused:
        compute_document([LineInput(1, 10, 20)], **reductions)
    assert (refused.value.field, refused.value.message) == (field, message)


def test_floats_are_a_programming_error():
    with pytest.raises(TypeError):
        compute_line(LineInput(1, 9.99, 20))


def test_check_vat_rate():
    assert check_vat_rate("5,5") == D("5.5")
    assert check_vat_rate(D("20.00")) == D("20")
    with pytest.raises(DomainError) as refused:
        check_vat_rate("19.6")
    assert refused.value.message == "Le taux de TVA doit être 20 %, 10 %, 5,5 %, 2,1 % ou 0 %."
    assert refused.value.field == "vat_rate"


def test_the_line_discount_is_an_amount_rounded_half_up_then_subtracted():
    line = compute_line(LineInput("5", "24.90", 20, "5"))
    assert (line.gross, line.discount_amount, line.net) == (D("124.50"), D("6.23"), D("118.27"))


def test_a_unit_price_with_more_than_two_decimals_is_refused_not_rounded_away():
    # 3 × 12,3456 would be stored as 12,35 with a net of 37,04, while 3 × 12,35 = 37,05.
    with pytest.raises(DomainError, match="2 décimales au plus") as refused:
        compute_line(LineInput("3", "12.3456", 20))
    assert refused.value.field == "lines-0-unit_price"
