"""One clock: business dates from the firm's calendar, instants stored in UTC and shown in the firm's zone."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.clients.services import create_party
from crm.core import clock
from crm.core.errors import DomainError
from crm.core.firm_settings import update_firm_settings
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.stocks.services import move_stock
from crm.ventes.models import Product
from tests.conftest import page_text


def test_business_today_is_the_real_day_in_the_firms_zone_until_the_teacher_sets_one(app_ctx, world):
    assert clock.business_today(world.firm_a) == datetime.now(ZoneInfo("Europe/Paris")).date()
    world.firm_a.business_date = date(2027, 3, 15)
    assert clock.business_today(world.firm_a) == date(2027, 3, 15)
    assert clock.business_today(world.firm_a.id) == date(2027, 3, 15)  # from a row's firm_id too
    assert clock.business_today(world.firm_b) != date(2027, 3, 15)  # each firm its own calendar


def test_instants_are_stored_in_utc_and_read_in_the_zone():
    paris = ZoneInfo("Europe/Paris")
    assert clock.to_utc(datetime(2026, 11, 23, 18, 26), paris) == datetime(2026, 11, 23, 17, 26)
    assert clock.to_utc(datetime(2026, 7, 1, 12, 0), paris) == datetime(2026, 7, 1, 10, 0)
    assert clock.local(datetime(2026, 11, 23, 17, 26), paris).strftime("%H:%M") == "18:26"
    reunion = ZoneInfo("Indian/Reunion")
    assert clock.local(datetime(2026, 11, 23, 17, 26), reunion).strftime("%H:%M") == "21:26"


def test_the_journal_shows_the_time_of_the_till_not_utc(client, auth, world):
    """A sale at 18:26 on the ticket showed 17:26 in the journal: both now read Paris time."""
    activity = record_activity(world.firm_a, world.trainee_a, "firm.identity_updated", world.firm_a, "Vente")
    activity.at = datetime(2026, 11, 23, 17, 26)  # stored UTC
    db.session.commit()
    auth.login("eleve_a")
    text = page_text(client.get("/formation/journal"))
    assert "23/11/2026 18:26" in text and "17:26" not in text


def test_the_firms_time_zone_is_a_setting(client, auth, world):
    activity = record_activity(world.firm_a, world.trainee_a, "firm.identity_updated", world.firm_a, "Vente")
    activity.at = datetime(2026, 11, 23, 17, 26)
    update_firm_settings(world.firm_a, time_zone="Indian/Reunion")
    db.session.commit()
    auth.login("eleve_a")
    assert "23/11/2026 21:26" in page_text(client.get("/formation/journal"))
    with pytest.raises(DomainError, match="fuseau horaire"):
        update_firm_settings(world.firm_a, time_zone="Europe/Atlantis")


def test_documents_and_stock_moves_take_the_simulated_date(client, auth, world):
    simulated = date(2027, 3, 15)
    world.firm_a.business_date = simulated
    product = Product(firm_id=world.firm_a.id, reference="CAHIER", label="Cahier", sale_price=2, purchase_price=1)
    db.session.add(product)
    db.session.flush()
    move = move_stock(world.firm_a, world.trainee_a, product, 10, "reception")
    assert move.moved_on == simulated
    create_party(world.firm_a, None, {"kind": "client", "category": "private", "last_name": "Martin"}, journal=False)
    db.session.commit()
    auth.login("eleve_a")
    form = page_text(client.get("/ventes/devis/nouveau"))
    assert 'value="2027-03-15"' in form  # the quote's date proposed by the form
    assert simulated - timedelta(days=1) != date.today()  # the test means something on any real day


def test_the_zone_pages_show_follows_the_firm_and_its_settings_within_a_request(app, world):
    """display_zone() keeps the zone for the rows of a list, but not once the firm or its zone changes."""
    from flask import g

    with app.test_request_context():
        g.firm = world.firm_a
        clock.remember_zone(world.firm_a, "Europe/Paris")
        assert clock.display_zone() == ZoneInfo("Europe/Paris")
        clock.remember_zone(world.firm_a, "Indian/Reunion")  # the settings read again, changed
        assert clock.display_zone() == ZoneInfo("Indian/Reunion")
        clock.remember_zone(world.firm_b, "America/Cayenne")
        g.firm = world.firm_b
        assert clock.display_zone() == ZoneInfo("America/Cayenne")
        g.firm = None
        assert clock.display_zone() == ZoneInfo("Europe/Paris")  # outside a firm: the default
