"""Each trainee's agenda (day and week views, overdue flagged) and its iCalendar export."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from crm.extensions import db
from crm.prospection import services
from crm.prospection.models import AgendaItem
from tests.conftest import page_text
from tests.prospection.conftest import TODAY, commit, visible


@pytest.fixture
def agenda(firm_a, world, make_party):
    user = world.trainee_a
    party = make_party(firm_a, last_name="Garnier", phone="06 98 76 54 32")
    late = services.schedule(firm_a, user, "callback", date(2026, 3, 17), time(9, 0), "Rappeler Garnier", party=party,
                             today=date(2026, 3, 10))  # planned a week ago, now overdue
    late.day = date(2026, 3, 12)
    services.schedule(firm_a, user, "appointment", date(2026, 3, 18), time(14, 30), "Rendez-vous Lycée, salle 2",
                      "Apporter le catalogue ; devis; remise", today=TODAY)
    services.schedule(firm_a, user, "callback", date(2026, 3, 16), None, "Rappeler la boulangerie", today=TODAY)
    services.schedule(firm_a, user, "callback", date(2026, 3, 30), None, "Dans deux semaines", today=TODAY)
    services.schedule(world.firm_b, world.trainee_b, "callback", date(2026, 3, 16), None, "Agenda de B", today=TODAY)
    db.session.flush()
    return user


def test_week_view_with_overdue_flagged(auth, agenda):
    commit()
    auth.login("eleve_a")
    page = visible(auth.client.get("/prospection/agenda"))
    assert "Semaine du 16/03/2026 au 22/03/2026" in page
    assert "En retard" in page and "Rappeler Garnier" in page
    assert "Rendez-vous Lycée, salle 2" in page and "14:30" in page
    assert "Rappeler la boulangerie" in page and "Journée" in page
    assert "Dans deux semaines" not in page
    assert "Agenda de B" not in page
    day = visible(auth.client.get("/prospection/agenda?vue=jour&date=2026-03-18"))
    assert "Rendez-vous Lycée, salle 2" in day and "Rappeler la boulangerie" not in day


def test_marking_an_item_done(auth, agenda):
    item = db.session.scalar(select(AgendaItem).where(AgendaItem.title == "Rappeler la boulangerie"))
    commit()
    auth.login("eleve_a")
    auth.post(f"/prospection/agenda/{item.id}/fait", {}, form_page="/prospection/agenda")
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).done is True


def test_an_agenda_item_in_the_past_is_refused(auth, firm_a, world):
    commit()
    auth.login("eleve_a")
    response = auth.post("/prospection/agenda", {"kind": "appointment", "title": "Trop tard", "day": "2026-03-02"},
                         form_page="/prospection/agenda")
    assert response.status_code == 422
    assert "ne peut pas être passée : nous sommes le 16/03/2026" in page_text(response)
    assert db.session.scalar(select(func.count(AgendaItem.id))) == 0


def test_ics_export(auth, agenda):
    commit()
    auth.login("eleve_a")
    response = auth.client.get("/prospection/agenda.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"\r\n" in response.data
    calendar = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Rappeler Garnier", "Rendez-vous Lycée, salle 2", "Rappeler la boulangerie",
                           "Dans deux semaines"}
    meeting = events["Rendez-vous Lycée, salle 2"]
    assert meeting["dtstart"].dt == datetime(2026, 3, 18, 14, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert meeting["dtend"].dt == datetime(2026, 3, 18, 15, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(meeting["description"]) == "Apporter le catalogue ; devis; remise"
    assert b"DESCRIPTION:Apporter le catalogue \\; devis\\; remise" in response.data  # RFC 5545 escaping
    all_day = events["Rappeler la boulangerie"]
    assert all_day["dtstart"].dt == date(2026, 3, 16) and all_day["dtend"].dt == date(2026, 3, 17)
    assert [c["tzid"] for c in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert len({str(e["uid"]) for e in events.values()}) == 4


def test_dates_at_the_ends_of_the_calendar_show_today(auth, firm_a):
    commit()
    auth.login("eleve_a")
    for value in ("9999-12-31", "0001-01-01", "2026-02-30", "demain"):
        response = auth.client.get(f"/prospection/agenda?date={value}")
        assert response.status_code == 200, value
        assert "Semaine du 16/03/2026 au 22/03/2026" in visible(response)
