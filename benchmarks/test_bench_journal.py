"""The activity journal of a busy firm stays fast to read (a school year of work)."""
import time

from sqlalchemy import insert

from crm.extensions import db
from crm.formation.models import Activity, ActivityCompetency
from tests.conftest import Auth

ACTIVITIES = 20_000
TARGET_SECONDS = 1.0


def test_journal_page_with_20000_activities(app, world):
    rows = [{"firm_id": world.firm_a.id, "user_id": world.trainee_a.id, "position": "accueil",
             "verb": "firm.identity_updated", "summary": f"Action {i}"} for i in range(ACTIVITIES)]
    db.session.execute(insert(Activity), rows)
    ids = db.session.scalars(Activity.__table__.select().with_only_columns(Activity.id)).all()
    db.session.execute(insert(ActivityCompetency), [{"activity_id": i, "code": "A1T1C1"} for i in ids])
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    timings = []
    for page in (1, 2, 200, 400):
        start = time.perf_counter()
        response = browser.client.get(f"/formation/journal?page={page}")
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    print(f"\njournal page, {ACTIVITIES} activities: "
          + ", ".join(f"{t * 1000:.0f} ms" for t in timings))
    assert max(timings) < TARGET_SECONDS
