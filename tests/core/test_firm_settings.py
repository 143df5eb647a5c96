"""The firm's commercial settings: defaults, checked updates, payment mentions."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.errors import DomainError
from crm.core.firm_settings import (
    due_date,
    get_firm_settings,
    payment_mentions,
    update_firm_settings,
)
from crm.core.models import FirmSettings
from crm.extensions import db


def test_a_firm_without_settings_gets_the_defaults_without_a_row(make_firm):
    firm = make_firm()
    settings = get_firm_settings(firm)
    assert settings.allow_negative_stock is False
    assert settings.late_payment_rate == Decimal("10.00")
    assert settings.payment_terms_days == 30
    assert settings.escompte_terms == ""
    assert settings.prefix_template("invoice") == "FA{year}-"
    assert db.session.scalar(select(func.count()).select_from(FirmSettings)) == 0


def test_update_creates_one_row_then_changes_it(make_firm):
    firm, other = make_firm(), make_firm()
    update_firm_settings(firm, payment_terms_days=45, late_payment_rate="12,5")
    update_firm_settings(
        firm,
        allow_negative_stock=True,
        escompte_terms="  Escompte de 2 % pour paiement sous 8 jours.  ",
        number_prefixes={"invoice": "FACT-{year}-", "quote": "DE{year}-"},
    )
    db.session.expire_all()
    settings = get_firm_settings(firm)
    assert settings.payment_terms_days == 45
    assert settings.late_payment_rate == Decimal("12.50")
    assert settings.allow_negative_stock is True
    assert settings.escompte_terms == "Escompte de 2 % pour paiement sous 8 jours."
    # Only the changed prefix is stored; the default one is not.
    assert settings.number_prefixes == {"invoice": "FACT-{year}-"}
    assert db.session.scalar(select(func.count()).select_from(FirmSettings)) == 1
    assert get_firm_settings(other).payment_terms_days == 30


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"payment_terms_days": 61}, "payment_terms_days", "Le délai de paiement va de 0 (comptant) à 60 jours"),
        ({"payment_terms_days": -1}, "payment_terms_days", "Le délai de paiement va de 0"),
        ({"payment_terms_days": "trente"}, "payment_terms_days", "Indiquez le délai de paiement en nombre de jours."),
        ({"late_payment_rate": "beaucoup"}, "late_payment_rate", "Indiquez le taux sous forme de nombre"),
        ({"late_payment_rate": "-1"}, "late_payment_rate", "compris entre 0 et 100 %"),
        ({"late_payment_rate": "150"}, "late_payment_rate", "compris entre 0 et 100 %"),
        ({"late_payment_rate": "NaN"}, "late_payment_rate", "compris entre 0 et 100 %"),
        ({"late_payment_rate": "10.125"}, "late_payment_rate", "deux décimales au plus"),
        ({"escompte_terms": "x" * 501}, "escompte_terms", "500 caractères au plus"),
        ({"number_prefixes": {"invoice": "FÀ{year}"}}, "prefix_invoice", "lettres sans accent"),
        ({"number_prefixes": {"invoice": "FA{annee}"}}, "prefix_invoice", "Seuls {year}"),
        ({"number_prefixes": {"credit_note": "  "}}, "prefix_credit_note", "Indiquez un préfixe pour « Avoir »."),
        ({"number_prefixes": {"invoice": "FACTURE-CLIENT-{year}"}}, "prefix_invoice", "16 caractères au plus"),
    ],
)
def test_bad_settings_are_refused_in_french_and_change_nothing(make_firm, changes, field, message):
    firm = make_firm()
    update_firm_settings(firm, payment_terms_days=20)
    with pytest.raises(DomainError) as refused:
        update_firm_settings(firm, **{"payment_terms_days": 25, **changes})
    assert refused.value.field == field
    assert message in refused.value.message
    db.session.expire_all()
    settings = get_firm_settings(firm)
    assert (settings.payment_terms_days, settings.late_payment_rate) == (20, Decimal("10.00"))


def test_the_database_refuses_terms_over_60_days(make_firm):
    from sqlalchemy.exc import IntegrityError

    firm = make_firm()
    savepoint = db.session.begin_nested()
    db.session.add(FirmSettings(firm_id=firm.id, payment_terms_days=90))
    with pytest.raises(IntegrityError):
        db.session.flush()
    savepoint.rollback()


def test_due_date_and_payment_mentions(make_firm):
    firm = make_firm()
    settings = get_firm_settings(firm)
    assert due_date(settings, date(2026, 11, 23)) == date(2026, 12, 23)
    business = payment_mentions(settings, business_client=True)
    assert business == [
        "Paiement à 30 jours à compter de la date d'émission de la facture.",
        "Pas d'escompte pour paiement anticipé.",
        "En cas de retard de paiement, des pénalités sont exigibles au taux annuel de "
        "10 %, dès le lendemain de la date d'échéance.",
        "Tout professionnel en retard de paiement doit en outre une indemnité forfaitaire "
        "de 40 € pour frais de recouvrement (art. L441-10 et D441-5 du Code de commerce).",
    ]
    # A private client owes no recovery fee.
    assert payment_mentions(settings, business_client=False) == business[:3]
    settings = update_firm_settings(
        firm, payment_terms_days=0, late_payment_rate="12.5", escompte_terms="Escompte 1 % à 10 jours."
    )
    assert payment_mentions(settings, business_client=False) == [
        "Paiement comptant à réception de la facture.",
        "Escompte 1 % à 10 jours.",
        "En cas de retard de paiement, des pénalités sont exigibles au taux annuel de "
        "12,5 %, dès le lendemain de la date d'échéance.",
    ]
