"""The hash chain of counter-sale receipts: canonical JSON, sealing, verification."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pytest

from crm.ventes.caisse.till import GENESIS_HASH, SealedRecord, canonical_json, chain_hash, verify_chain

RECEIPT = {
    "number": "TK2026-0001",
    "issued_at": datetime(2026, 11, 23, 10, 15, 30),
    "total_ttc": D("12.00"),
    "payment": "espèces",
    "client_id": None,
}
LINES = [
    {
        "reference": "CAFE-1",
        "label": "Café moulu 250 g",
        "quantity": D("2"),
        "unit_price": D("4.1700"),
        "vat_rate": D("5.5"),
    },
    {"reference": "TAS-2", "label": "Tasse", "quantity": D("1.000"), "unit_price": D("2.92"), "vat_rate": D("20.0")},
]


def test_canonical_json_is_sorted_compact_utf8_and_decimal_exact():
    assert canonical_json(RECEIPT, LINES) == (
        '{"lines":['
        '{"label":"Café moulu 250 g","quantity":"2","reference":"CAFE-1","unit_price":"4.17","vat_rate":"5.5"},'
        '{"label":"Tasse","quantity":"1","reference":"TAS-2","unit_price":"2.92","vat_rate":"20"}],'
        '"receipt":{"client_id":null,"issued_at":"2026-11-23T10:15:30","number":"TK2026-0001",'
        '"payment":"espèces","total_ttc":"12"}}'
    )


def test_the_same_values_seal_the_same_way_whatever_their_writing():
    reordered = dict(reversed(list(RECEIPT.items())))
    rewritten = {**RECEIPT, "total_ttc": D("12")}  # as written before a Numeric(12, 2) reads it back as 12.00
    assert canonical_json(reordered, LINES) == canonical_json(RECEIPT, LINES)
    assert canonical_json(rewritten, LINES) == canonical_json(RECEIPT, LINES)
    assert canonical_json({"a": D("-0.00"), "b": D("1E+3"), "c": date(2026, 1, 2)}) == (
        '{"lines":[],"receipt":{"a":"0","b":"1000","c":"2026-01-02"}}'
    )
    # The order of the lines is part of the receipt.
    assert canonical_json(RECEIPT, LINES[::-1]) != canonical_json(RECEIPT, LINES)


@pytest.mark.parametrize("bad", [{"total": 12.0}, {"total": D("NaN")}, {1: "x"}, {"x": object()}])
def test_what_cannot_be_sealed_exactly_is_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        canonical_json(bad)


def test_chain_hash_is_sha256_of_previous_hash_and_canonical_json():
    # Written out independently of the implementation:
    expected = hashlib.sha256(
        ("0" * 64 + '{"lines":[{"q":"1"}],"receipt":{"n":"TK1","t":"9.9"}}').encode("utf-8")
    ).hexdigest()
    assert chain_hash(GENESIS_HASH, {"t": D("9.90"), "n": "TK1"}, [{"q": D("1.000")}]) == expected
    assert len(expected) == 64


def make_chain(count: int = 5) -> list[SealedRecord]:
    records, previous = [], GENESIS_HASH
    for n in range(1, count + 1):
        data = {"number": f"TK2026-{n:04d}", "total_ttc": D(n) * D("3.50"), "payment": "card"}
        lines = [{"reference": "ART", "quantity": D(n), "unit_price": D("3.50")}]
        sealed = chain_hash(previous, data, lines)
        records.append(
            SealedRecord(label=f"le ticket TK2026-{n:04d}", data=data, lines=lines, hash=sealed,
                         previous_hash=previous, sequence=n)
        )
        previous = sealed
    return records


def test_an_intact_chain_verifies():
    assert verify_chain(make_chain()) is None
    assert verify_chain([]) is None


def test_an_altered_amount_is_reported_on_its_record():
    chain = make_chain()
    chain[2] = replace(chain[2], data={**chain[2].data, "total_ttc": D("1.00")})
    found = verify_chain(chain)
    assert (found.index, found.label, found.reason) == (2, "le ticket TK2026-0003", "altered")
    assert found.message == (
        "Le ticket TK2026-0003 : l'empreinte ne correspond plus au contenu ; l'enregistrement "
        "a été modifié, ou un enregistrement précédent a été supprimé."
    )


def test_an_altered_line_is_reported():
    chain = make_chain()
    chain[1] = replace(chain[1], lines=[{**chain[1].lines[0], "quantity": D("1")}])
    assert verify_chain(chain).label == "le ticket TK2026-0002"


def test_a_rewritten_hash_breaks_the_link_of_the_next_record():
    chain = make_chain()
    # Someone changes receipt 2 and recomputes its hash: receipt 2 now fits, receipt 3 does not.
    data = {**chain[1].data, "total_ttc": D("0.01")}
    chain[1] = replace(chain[1], data=data, hash=chain_hash(chain[1].previous_hash, data, chain[1].lines))
    found = verify_chain(chain)
    assert (found.label, found.reason) == ("le ticket TK2026-0003", "broken_link")
    # Without stored links (only the hash kept), the recomputation catches it too.
    unlinked = [replace(r, previous_hash=None) for r in chain]
    assert (verify_chain(unlinked).label, verify_chain(unlinked).reason) == ("le ticket TK2026-0003", "altered")


def test_a_deleted_receipt_is_reported_as_a_gap_or_a_broken_link():
    chain = make_chain()
    del chain[1]
    found = verify_chain(chain)
    assert (found.index, found.label, found.reason) == (1, "le ticket TK2026-0003", "gap")
    assert "Le ticket TK2026-0003 : numéro 3 alors que le numéro 2 était attendu" in found.message
    unnumbered = [replace(r, sequence=None) for r in chain]
    assert verify_chain(unnumbered).reason == "broken_link"
    bare = [replace(r, sequence=None, previous_hash=None) for r in chain]
    assert (verify_chain(bare).label, verify_chain(bare).reason) == ("le ticket TK2026-0003", "altered")


def test_swapped_receipts_are_reported():
    chain = make_chain()
    chain[3], chain[4] = chain[4], chain[3]
    assert verify_chain([replace(r, sequence=None) for r in chain]).label == "le ticket TK2026-0005"


def test_a_chain_can_be_verified_from_a_known_hash():
    # Verify only today's receipts, starting from yesterday's last hash.
    chain = make_chain()
    assert verify_chain(chain[3:], start_hash=chain[2].hash) is None
    assert verify_chain(chain[3:]).reason == "broken_link"


# --- settling a sale and the Z report ---------------------------------------

from crm.core.errors import DomainError  # noqa: E402
from crm.ventes.computation import LineInput, compute_document  # noqa: E402
from crm.ventes.caisse.till import settle, z_report  # noqa: E402


def test_cash_gives_change_and_the_till_keeps_the_price():
    # 17,30 € due; the client hands 20 € + 0,30 €: change 3,00 €; the till keeps 17,30 € in cash.
    settled = settle(D("17.30"), [("cash", "20"), ("cash", "0,30")])
    assert settled.change == D("3.00")
    assert settled.by_mode == {"cash": D("17.30")}


def test_mixed_payment_card_then_cash():
    # 45,90 € due: 40,00 € by card, 10,00 € in cash → 4,10 € back; kept: card 40,00, cash 5,90.
    settled = settle(D("45.90"), [("card", D("40.00")), ("cash", D("10.00"))])
    assert settled.change == D("4.10")
    assert settled.by_mode == {"card": D("40.00"), "cash": D("5.90")}
    # All in cash given back entirely: a card paying the total and a useless banknote.
    settled = settle(D("10.00"), [("card", D("10.00")), ("cash", D("5"))])
    assert (settled.change, settled.by_mode) == (D("5.00"), {"card": D("10.00")})


@pytest.mark.parametrize(
    ("payments", "message"),
    [
        (
            [("card", "25")],
            "Les règlements par chèque, carte ou virement dépassent le montant dû : seule la monnaie en espèces "
            "peut être rendue.",
        ),
        ([("cash", "10"), ("cheque", "5")], "Il manque 5,00\u00a0€ pour régler les 20,00\u00a0€ dus."),
        ([], "Il manque 20,00\u00a0€ pour régler les 20,00\u00a0€ dus."),
        ([("bitcoin", "20")], "Choisissez un mode de règlement : espèces, chèque, carte bancaire ou virement."),
        ([("card", "-20")], "Le montant payé par carte bancaire doit être positif."),
        ([("cash", "0")], "Le montant payé en espèces doit être positif."),
        ([("cash", "vingt")], "Indiquez les montants payés en euros, par exemple 20 ou 12,50."),
        ([("cash", "20.001")], "Indiquez les montants payés en euros, au centime près (12,50)."),
    ],
)
def test_bad_payments_are_refused_in_french(payments, message):
    with pytest.raises(DomainError) as refused:
        settle(D("20.00"), payments)
    assert refused.value.field == "payments"
    assert refused.value.message.replace("\u202f", "\u00a0") == message


def test_z_report_of_a_day():
    # Sale 1: 2 × 4,17 at 5,5 % = 8,34 HT; VAT 0,4587 → 0,46; TTC 8,80; paid cash 10 → change 1,20.
    # Sale 2: 1 × 25,00 at 20 % = 25,00 HT; VAT 5,00; TTC 30,00; paid by card.
    # Sale 3: 1 × 4,17 at 5,5 % + 1 × 10,00 at 20 %: HT 14,17; VAT 0,22935 → 0,23 and 2,00; TTC 16,40;
    #         paid 6,40 cash + 10,00 cheque.
    # Day: 3 sales; HT 47,51; VAT 7,69; TTC 55,20; average basket 18,40.
    # By mode: cash 8,80 + 6,40 = 15,20; card 30,00; cheque 10,00.
    # By rate: 20 % → base 35,00, VAT 7,00; 5,5 % → base 12,51, VAT 0,46 + 0,23 = 0,69.
    # Grand total: 1 000,00 before + 55,20 = 1 055,20.
    sale1 = compute_document([LineInput(2, "4.17", "5.5")])
    sale2 = compute_document([LineInput(1, "25", 20)])
    sale3 = compute_document([LineInput(1, "4.17", "5.5"), LineInput(1, "10", 20)])
    assert (sale1.total_ttc, sale2.total_ttc, sale3.total_ttc) == (D("8.80"), D("30.00"), D("16.40"))
    report = z_report(
        [
            (sale1, settle(sale1.total_ttc, [("cash", "10")])),
            (sale2, settle(sale2.total_ttc, [("card", "30")])),
            (sale3, settle(sale3.total_ttc, [("cash", "6.40"), ("cheque", "10")])),
        ],
        previous_grand_total=D("1000.00"),
    )
    assert report.sales_count == 3
    assert (report.total_ht, report.total_vat, report.total_ttc) == (D("47.51"), D("7.69"), D("55.20"))
    assert report.by_mode == {"cash": D("15.20"), "cheque": D("10.00"), "card": D("30.00")}
    assert list(report.by_vat_rate.items()) == [
        (D("20"), (D("35.00"), D("7.00"))),
        (D("5.5"), (D("12.51"), D("0.69"))),
    ]
    assert report.average_basket == D("18.40")
    assert report.grand_total == D("1055.20")


def test_z_report_of_a_day_without_sales():
    report = z_report([], previous_grand_total=D("1055.20"))
    assert (report.sales_count, report.total_ttc, report.average_basket, report.grand_total) == (
        0, D("0.00"), D("0.00"), D("1055.20"),
    )
