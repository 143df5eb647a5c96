"""Inalterability of counter sales: the hash chain of receipts and closings (pure functions).

Each sealed record (a receipt with its lines, or a daily closing) stores
`sha256(previous hash + canonical JSON of the record and its lines)`, the first
record of a firm's chain starting from GENESIS_HASH. Changing a record, deleting
one, inserting one or reordering them breaks the chain from that record on, and
`verify_chain` names the first record that no longer fits (French anti-fraud
rules for till software: inalterability, security, keeping, archiving — CGI
art. 286, I-3° bis).

Canonical JSON: keys sorted, no spaces, UTF-8 as is; Decimal written without
exponent and without trailing zeros ("10.00" and "10" seal the same way, so a
value read back from a Numeric column seals as it was written); dates and
datetimes in ISO 8601; floats refused (money is never a float).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from crm.core.errors import DomainError
from crm.core.formatting import money
from crm.core.limits import MAX_AMOUNT
from crm.core.money import has_decimals_at_most, round_cent
from crm.ventes.codes import CASH, PAID_WITH, PAYMENT_MODES
from crm.ventes.computation import DocumentTotals

GENESIS_HASH = "0" * 64


def canonical_json(record: Mapping, lines: Sequence[Mapping] = ()) -> str:
    """The one text a record and its lines (in their order) are sealed as."""
    return json.dumps(
        {"receipt": _canonical(record), "lines": [_canonical(line) for line in lines]},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def chain_hash(previous_hash: str, record: Mapping, lines: Sequence[Mapping] = ()) -> str:
    """sha256(previous hash + canonical JSON), as 64 lowercase hex digits."""
    payload = previous_hash + canonical_json(record, lines)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SealedRecord:
    """A stored record as read back for verification."""

    label: str  # what the report names, with its article: "le ticket TK2026-0005", "la clôture du 22/11/2026"
    data: Mapping  # the sealed fields (never the hashes themselves)
    hash: str  # the hash stored with the record
    lines: Sequence[Mapping] = ()
    previous_hash: str | None = None  # stored link to the previous record, if the model keeps one
    sequence: int | None = None  # its number in the chain (1, 2, 3…), if numbered


@dataclass(frozen=True)
class ChainBreak:
    """The first record that does not fit the chain."""

    index: int  # position in the verified sequence, from 0
    label: str
    reason: str  # "altered", "broken_link" or "gap"
    message: str  # French, for the teacher's page and the CLI


def verify_chain(records: Iterable[SealedRecord], start_hash: str = GENESIS_HASH) -> ChainBreak | None:
    """Recompute the chain in order; None when intact, else the first break found.

    `records` must be in chain order (by sequence number, or by id). A record
    whose stored link differs from the previous record's hash, or whose number
    does not follow the previous one, reveals a deletion, an insertion or a
    reordering; a record whose content no longer gives its stored hash was
    altered (or its stored hash was).
    """
    expected_previous = start_hash
    expected_sequence = None
    for index, record in enumerate(records):
        if record.sequence is not None:
            if expected_sequence is not None and record.sequence != expected_sequence:
                return ChainBreak(
                    index, record.label, "gap",
                    f"{_capital(record.label)} : numéro {record.sequence} alors que le numéro "
                    f"{expected_sequence} était attendu ; un enregistrement manque ou a été inséré.",
                )
            expected_sequence = record.sequence + 1
        if record.previous_hash is not None and record.previous_hash != expected_previous:
            return ChainBreak(
                index, record.label, "broken_link",
                f"{_capital(record.label)} : le lien avec l'enregistrement précédent est rompu ; "
                "un enregistrement a été supprimé, inséré ou déplacé avant celui-ci.",
            )
        if chain_hash(expected_previous, record.data, record.lines) != record.hash:
            return ChainBreak(
                index, record.label, "altered",
                f"{_capital(record.label)} : l'empreinte ne correspond plus au contenu ; "
                "l'enregistrement a été modifié, ou un enregistrement précédent a été supprimé.",
            )
        expected_previous = record.hash
    return None


def _canonical(value):
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        raise TypeError("a sealed record holds Decimal amounts, never float")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("a sealed amount must be finite")
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("sealed field names are strings")
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    raise TypeError(f"cannot seal a {type(value).__name__}")


def _capital(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


# --- settling a sale and the daily closing (Z report) -------------------------



@dataclass(frozen=True)
class Settlement:
    """How a sale was paid: what each mode brought in, and the change given back in cash."""

    total_ttc: Decimal
    tendered: tuple[tuple[str, Decimal], ...]  # as handed over, in order
    change: Decimal  # given back in cash
    by_mode: Mapping[str, Decimal]  # kept by the till: cash is net of the change


def settle(total_ttc: Decimal, payments: Sequence[tuple[str, Decimal | str]]) -> Settlement:
    """Check the payments of a counter sale (several modes allowed) and compute the change.

    Only cash may exceed what remains due (the difference is given back); a
    cheque or a card over the amount due, or too little in all, is refused
    (DomainError in French, field "payments").
    """
    if total_ttc < 0:
        raise ValueError("a sale's total is never negative")
    tendered: list[tuple[str, Decimal]] = []
    for mode, amount in payments:
        if mode not in PAYMENT_MODES:
            raise DomainError(
                "Choisissez un mode de règlement : espèces, chèque, carte bancaire ou virement.", "payments"
            )
        amount = _money(amount)
        if amount <= 0:
            raise DomainError(f"Le montant payé {PAID_WITH[mode]} doit être positif.", "payments")
        tendered.append((mode, amount))
    non_cash = sum((a for m, a in tendered if m != CASH), Decimal("0.00"))
    cash = sum((a for m, a in tendered if m == CASH), Decimal("0.00"))
    if non_cash > total_ttc:
        raise DomainError(
            "Les règlements par chèque, carte ou virement dépassent le montant dû : seule la "
            "monnaie en espèces peut être rendue.",
            "payments",
        )
    if non_cash + cash < total_ttc:
        missing = total_ttc - non_cash - cash
        raise DomainError(
            f"Il manque {money(missing)} pour régler les {money(total_ttc)} dus.", "payments"
        )
    change = non_cash + cash - total_ttc
    by_mode: dict[str, Decimal] = {}
    for mode, amount in tendered:
        by_mode[mode] = by_mode.get(mode, Decimal("0.00")) + amount
    if change:
        by_mode[CASH] -= change
        if not by_mode[CASH]:
            del by_mode[CASH]
    return Settlement(total_ttc=total_ttc, tendered=tuple(tendered), change=change, by_mode=by_mode)


@dataclass(frozen=True)
class ZReport:
    """The daily closing of the till."""

    sales_count: int
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal  # the period total
    by_mode: Mapping[str, Decimal]  # payment mode → amount kept
    by_vat_rate: Mapping[Decimal, tuple[Decimal, Decimal]]  # rate → (base HT, VAT)
    average_basket: Decimal  # TTC per sale, to the cent
    grand_total: Decimal  # perpetual: previous closing's grand total + this period's total


def z_report(
    sales: Iterable[tuple[DocumentTotals, Settlement]], previous_grand_total: Decimal = Decimal("0.00")
) -> ZReport:
    """Totals of a day's sales, each given as (DocumentTotals, Settlement)."""
    count = 0
    total_ht = total_vat = total_ttc = Decimal("0.00")
    by_mode: dict[str, Decimal] = {}
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for totals, settlement in sales:
        if settlement.total_ttc != totals.total_ttc:
            raise ValueError("the settlement does not match the sale's total")
        count += 1
        total_ht += totals.total_ht
        total_vat += totals.total_vat
        total_ttc += totals.total_ttc
        for mode, amount in settlement.by_mode.items():
            by_mode[mode] = by_mode.get(mode, Decimal("0.00")) + amount
        for vat in totals.vat:
            base, amount = by_rate.get(vat.rate, (Decimal("0.00"), Decimal("0.00")))
            by_rate[vat.rate] = (base + vat.base, amount + vat.amount)
    return ZReport(
        sales_count=count,
        total_ht=total_ht,
        total_vat=total_vat,
        total_ttc=total_ttc,
        by_mode={mode: by_mode[mode] for mode in PAYMENT_MODES if mode in by_mode},
        by_vat_rate={rate: by_rate[rate] for rate in sorted(by_rate, reverse=True)},
        average_basket=round_cent(total_ttc / count) if count else Decimal("0.00"),
        grand_total=previous_grand_total + total_ttc,
    )


def _money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("amounts are Decimal, never float")
    try:
        amount = Decimal(str(value).replace(",", ".").replace(" ", "").strip())
    except ArithmeticError:
        raise DomainError("Indiquez les montants payés en euros, par exemple 20 ou 12,50.", "payments") from None
    if amount.is_finite() and abs(amount) >= MAX_AMOUNT:  # 1e308 cannot even be rounded to the cent
        raise DomainError("Ce montant est trop grand : vérifiez la saisie.", "payments")
    if not amount.is_finite() or not has_decimals_at_most(amount, 2):
        raise DomainError("Indiquez les montants payés en euros, au centime près (12,50).", "payments")
    return round_cent(amount)
