"""French formats through Babel."""
from datetime import date, datetime
from decimal import Decimal

from crm.core import formatting


def _plain(text):
    # Babel uses narrow/normal no-break spaces, as French typography wants.
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_money():
    assert _plain(formatting.money(Decimal("1234.56"))) == "1 234,56 €"
    assert _plain(formatting.money(Decimal("0.5"))) == "0,50 €"
    assert _plain(formatting.money(Decimal("-12"))) == "-12,00 €"
    assert formatting.money(None) == ""


def test_dates():
    assert formatting.day(date(2026, 11, 22)) == "22/11/2026"
    # Stored in UTC, shown in Paris time (the default zone): UTC+1 in winter, UTC+2 in summer.
    assert formatting.timestamp(datetime(2026, 11, 22, 14, 5)) == "22/11/2026 15:05"
    assert formatting.timestamp(datetime(2026, 7, 1, 10, 0), "HH:mm:ss") == "12:00:00"


def test_percent_and_number():
    assert _plain(formatting.percent(Decimal("5.5"))) == "5,5 %"
    assert _plain(formatting.percent(Decimal("20"))) == "20 %"
    assert _plain(formatting.number(Decimal("1234.5"))) == "1 234,5"


def test_real_plurals_not_parentheses():
    assert formatting.counted(0, "commande") == "0 commande"
    assert formatting.counted(1, "commande") == "1 commande"
    assert formatting.counted(2, "commande") == "2 commandes"
    assert _plain(formatting.counted(1234, "fiche importée", "fiches importées")) == "1 234 fiches importées"
    assert formatting.plural(3, "abîmé") == "abîmés"


def test_units_agree_with_their_quantity():
    assert formatting.with_unit(8, "pièce") == "8 pièces"
    assert formatting.with_unit(1, "pièce") == "1 pièce"
    assert formatting.with_unit(Decimal("1.5"), "kg") == "1,5 kg"
    assert formatting.with_unit(Decimal("2.500"), "boîte de 10") == "2,5 boîtes de 10"
    assert formatting.with_unit(3, "rouleau") == "3 rouleaux"
    assert formatting.with_unit(2, "m²") == "2 m²"
    assert formatting.with_unit(5, "") == "5"


def test_de_is_elided_before_a_vowel():
    assert formatting.of("Aïssata Diallo") == "d'Aïssata Diallo"
    assert formatting.of("Élodie") == "d'Élodie"
    assert formatting.of("Hugo Nguyen") == "de Hugo Nguyen"


def _babel_values():
    import random

    rng = random.Random(2026)
    fixed = ["0", "-0", "0.005", "0.015", "0.025", "-0.004", "-0.005", "1", "12", "999.995", "1000", "-1234.5",
             "1234567.891", "0.125", "5.5", "2.1", "20", "99999999.99", "-0.0001", "1E+3", "12.3456789"]
    randoms = [str(Decimal(rng.randint(-10**9, 10**9)).scaleb(-rng.randint(0, 5))) for _ in range(500)]
    return [Decimal(v) for v in fixed + randoms] + [0, 7, -15, 1234567]


def test_the_hand_written_formats_are_babels():
    """money, number, percent and day are written without Babel for speed: same text, to the byte."""
    from datetime import date, datetime

    from babel.dates import format_date
    from babel.numbers import format_currency, format_decimal, format_percent

    from crm.core import formatting

    for value in _babel_values():
        assert formatting.money(value) == format_currency(Decimal(value), "EUR", locale="fr_FR"), value
        for digits in (0, 2, 3):
            pattern = "#,##0" + ("." + "#" * digits if digits else "")
            assert formatting.number(value, digits) == format_decimal(
                Decimal(value), format=pattern, locale="fr_FR"), (value, digits)
            assert formatting.percent(value, digits) == format_percent(
                Decimal(value) / 100, format=pattern + " %", locale="fr_FR"), (value, digits)
    for value in (date(2026, 1, 5), date(2099, 12, 31), datetime(2026, 11, 29, 23, 59), date(2000, 2, 29)):
        assert formatting.day(value) == format_date(value, format="dd/MM/yyyy", locale="fr_FR")


def test_the_hand_written_timestamp_is_babels_in_every_zone():
    """timestamp's patterns of lists are written without Babel too (the journal shows 50 per page)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime

    from crm.core.clock import local

    instants = [datetime(2026, 3, 29, 0, 30) + timedelta(minutes=47 * i) for i in range(200)]
    instants += [datetime(2026, 10, 25, 0, 59), datetime(2026, 12, 31, 23, 5), datetime(2027, 1, 1, 0, 0)]
    for zone in ("Europe/Paris", "America/Cayenne", "Indian/Reunion", "Pacific/Noumea"):
        for instant in instants:
            shown = local(instant, ZoneInfo(zone))
            assert formatting.timestamp(instant, zone=ZoneInfo(zone)) == format_datetime(
                shown, format="dd/MM/yyyy HH:mm", tzinfo=shown.tzinfo, locale="fr_FR"), (zone, instant)
            seconds = instant.replace(second=instant.minute % 60)
            shown = local(seconds, ZoneInfo(zone))
            assert formatting.timestamp(seconds, "HH:mm:ss", ZoneInfo(zone)) == format_datetime(
                shown, format="HH:mm:ss", tzinfo=shown.tzinfo, locale="fr_FR"), (zone, seconds)
