"""The current firm, and the helpers every firm query goes through."""
import pytest
from flask import g
from werkzeug.exceptions import NotFound

from crm.core.tenancy import get_or_404, scoped
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.formation.models import Activity
from tests.conftest import Auth, page_text
from tests.factories import firm_today


def test_scoped_and_get_or_404_see_only_the_current_firm(app, world):
    mine = record_activity(world.firm_a, world.trainee_a, "firm.identity_updated")
    theirs = record_activity(world.firm_b, world.trainee_b, "firm.identity_updated")
    with app.test_request_context():
        g.firm = world.firm_a
        assert db.session.scalars(scoped(Activity)).all() == [mine]
        assert get_or_404(Activity, mine.id) is mine
        with pytest.raises(NotFound):
            get_or_404(Activity, theirs.id)
        g.firm = None
        with pytest.raises(NotFound):  # no current firm: nothing at all
            db.session.scalars(scoped(Activity)).all()


def test_trainee_of_several_firms_chooses_one(app, world, make_firm, make_member):
    make_member(world.trainee_a, make_firm(world.classroom_a, trade_name="Firme A2"), "magasinier")
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    response = browser.client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/entreprises"
    assert browser.client.get("/stocks/").headers["Location"] == "/entreprises"
    html = page_text(browser.client.get("/entreprises"))
    assert "Firme A" in html and "Firme A2" in html and "Firme B" not in html
    browser.post(f"/entreprises/{world.firm_a.id}/entrer", form_page="/entreprises")
    home = page_text(browser.client.get("/"))
    assert "Firme A" in home and 'class="position">Accueil<' in home


def test_removed_membership_drops_the_current_firm(app, world):
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    assert browser.client.get("/stocks/").status_code == 200
    db.session.delete(world.membership_a)
    db.session.commit()
    response = browser.client.get("/stocks/")
    assert response.status_code == 302  # back to choosing a firm, none left
    assert "Aucune entreprise d'entraînement ne vous est encore attribuée" in page_text(
        browser.client.get("/entreprises")
    )


# --- who and where, once per request ---------------------------------------------

def _page_statements(app, browser, path: str) -> list[str]:
    from tests.querycount import counting

    with app.app_context():
        engine = db.engine
    with counting(engine) as tally:
        assert browser.client.get(path).status_code == 200
    return [s for s in tally.statements if s.strip().upper() != "BEGIN"]


@pytest.mark.parametrize("username", ["eleve_a", "prof_a"])
def test_a_page_reads_the_user_firm_poste_and_settings_in_one_query(app, world, username):
    """Every request needs the user, their firm, their poste, the firm's settings (time zone,
    business date) and whether a scenario event is due: one statement, not five."""
    from datetime import time, timedelta

    from crm.formation.models import ScenarioEvent

    db.session.add(ScenarioEvent(firm_id=world.firm_a.id, kind="email", title="Plus tard", due_on=firm_today()
                                 + timedelta(days=30), due_time=time(9), payload={"text": "…"}))
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login(username, follow=True)
    if username == "prof_a":
        browser.post(f"/entreprises/{world.firm_a.id}/entrer", form_page="/entreprises")
    # The parties' picker: one statement of its own (the search).
    statements = _page_statements(app, browser, "/clients/choix.json?type=clients&q=zz")
    assert len(statements) == 2, "\n".join(statements)
    assert "firm_settings" in statements[0] and "scenario_event" in statements[0]


def test_a_due_event_is_still_fired_by_the_next_page(app, world):
    from datetime import time, timedelta

    from sqlalchemy import select

    from crm.formation.models import ScenarioEvent

    event = ScenarioEvent(firm_id=world.firm_a.id, kind="email", title="Commande urgente",
                          due_on=firm_today() - timedelta(days=1), due_time=time(9),
                          payload={"text": "Merci de nous rappeler."})
    db.session.add(event)
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    assert browser.client.get("/clients/").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(ScenarioEvent.fired_at).where(ScenarioEvent.id == event.id)) is not None
