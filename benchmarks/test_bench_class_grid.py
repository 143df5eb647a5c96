"""A class of 30 trainees in 8 firms with a term of activity (20 000 journal entries):
the référentiel grid of the class and the journal page answer in under 300 ms (SQLite)."""
import random
import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from crm.core.models import Classroom, Firm, Membership, Role, User
from crm.core.passwords import hash_password
from crm.extensions import db
from crm.formation.follow_up import competencies
from crm.formation.models import Activity, ActivityCompetency
from tests.conftest import PASSWORD, Auth

TRAINEES, FIRMS, ACTIVITIES = 30, 8, 20_000
TARGET_SECONDS = 0.3


def _class_of_a_term(teacher) -> Classroom:
    classroom = Classroom(name="Classe du banc d'essai", school_year="2026-2027", teachers=[teacher])
    db.session.add(classroom)
    firms = [Firm(classroom=classroom, trade_name=f"Entreprise {n}") for n in range(FIRMS)]
    password = hash_password(PASSWORD)
    trainees = [User(username=f"bench{n}", display_name=f"Élève {n:02d}", role=Role.TRAINEE.value,
                     password_hash=password, classroom=classroom) for n in range(TRAINEES)]
    db.session.add_all(firms + trainees)
    db.session.flush()
    for n, trainee in enumerate(trainees):
        db.session.add(Membership(user=trainee, firm=firms[n % FIRMS], position="commercial"))
    random.seed(11)
    codes = [e.code for e in competencies()]
    start = datetime(2026, 9, 1, 8, 0)
    rows = []
    for i in range(ACTIVITIES):
        n = random.randrange(TRAINEES)
        rows.append({"firm_id": firms[n % FIRMS].id, "user_id": trainees[n].id, "position": "commercial",
                     "verb": "quote.created", "summary": f"Action {i}",
                     "at": start + timedelta(minutes=7 * i), "business_date": (start + timedelta(minutes=7 * i)).date()})
    db.session.execute(insert(Activity), rows)
    ids = db.session.execute(select(Activity.id, Activity.user_id, Activity.firm_id, Activity.at)
                             .where(Activity.firm_id.in_([f.id for f in firms]))).all()
    db.session.execute(insert(ActivityCompetency), [
        {"activity_id": i, "code": code, "user_id": user_id, "firm_id": firm_id, "at": at}
        for i, user_id, firm_id, at in ids for code in random.sample(codes, 2)])
    db.session.commit()
    return classroom


def _time(client, url: str, runs: int = 5) -> float:
    client.get(url)  # warm the caches once, as a teacher's second click would
    timings = []
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - begin)
        assert response.status_code == 200
    return statistics.median(timings)


def test_class_grid_and_journal_of_a_term(app, world):
    classroom = _class_of_a_term(world.teacher_a)
    browser = Auth(app.test_client())
    browser.login("prof_a")
    grid = _time(browser.client, f"/formation/suivi/classes/{classroom.id}")
    grid_period = _time(browser.client, f"/formation/suivi/classes/{classroom.id}?du=2026-10-01&au=2026-10-31")
    journal = _time(browser.client, f"/formation/journal?classe={classroom.id}")
    journal_filtered = _time(browser.client, f"/formation/journal?classe={classroom.id}&activite=A3&page=20")
    print(f"\nclass of {TRAINEES} trainees, {FIRMS} firms, {ACTIVITIES} journal entries (median of 5): "
          f"grid {grid * 1000:.0f} ms, grid for a month {grid_period * 1000:.0f} ms, "
          f"journal {journal * 1000:.0f} ms, journal A3 page 20 {journal_filtered * 1000:.0f} ms "
          f"(target {TARGET_SECONDS * 1000:.0f} ms)")
    assert max(grid, grid_period, journal, journal_filtered) < TARGET_SECONDS
