"""The référentiel catalogue and the activity journal primitive."""
import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.formation import referentiel
from crm.formation.journal import record_activity
from crm.formation.models import Activity, ActivityCompetency
from tests.conftest import Auth, page_text


def test_catalogue_has_every_code_of_the_referentiel():
    catalogue = referentiel.catalogue()
    assert [a.code for a in referentiel.activities()] == ["A1", "A2", "A3"]
    tasks = [c for c, e in catalogue.items() if e.kind == "task"]
    assert tasks == ["A1T1", "A1T2", "A1T3", "A1T4", "A1T5", "A1T6", "A2T1", "A2T2", "A2T3",
                     "A3T1", "A3T2", "A3T3"]
    assert catalogue["A1T3C3"].label.startswith("Enregistrer la demande")
    assert catalogue["A3T3C5"].parent == "A3T3"
    assert catalogue["A1T1CP1"].kind == "behaviour"
    for code in ("S111", "S122", "S131", "S133", "S34"):
        assert catalogue[code].kind == "savoir"
    competencies = [c for c, e in catalogue.items() if e.kind == "competency"]
    assert len(competencies) == 40


def test_every_mapped_verb_uses_known_codes():
    catalogue = referentiel.catalogue()
    for verb, codes in referentiel.VERB_COMPETENCIES.items():
        assert codes, verb
        assert all(code in catalogue for code in codes), verb


def test_record_activity_uses_the_verb_table_and_the_position(app_ctx, world):
    activity = record_activity(world.firm_a, world.trainee_a, "firm.identity_updated", world.firm_a, "Fiche")
    stored = db.session.get(Activity, activity.id)
    assert stored.codes == ["A1T1C1"]
    assert stored.position == "accueil"
    assert stored.object_type == "Firm" and stored.object_id == world.firm_a.id
    rows = db.session.scalars(select(ActivityCompetency.code).where(ActivityCompetency.code == "A1T1C1")).all()
    assert rows == ["A1T1C1"]


def test_record_activity_refuses_unknown_verbs_and_codes(app_ctx, world):
    with pytest.raises(ValueError):
        record_activity(world.firm_a, world.trainee_a, "no.such.verb")
    with pytest.raises(ValueError):
        record_activity(world.firm_a, world.trainee_a, "x", competencies=["Z9T9C9"])


def test_journal_page_shows_only_the_current_firms_activities(app, world):
    record_activity(world.firm_a, world.trainee_a, "firm.identity_updated", summary="Action de A")
    record_activity(world.firm_b, world.trainee_b, "firm.identity_updated", summary="Action de B")
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    html = page_text(browser.client.get("/formation/journal"))
    assert "Action de A" in html and "Action de B" not in html


def test_each_journal_row_shows_its_author_codes_and_observer(app, world):
    record_activity(world.firm_a, world.trainee_a, "x", summary="Devis relu", competencies=["A3T2C1", "A1T3C3"])
    observed = record_activity(world.firm_a, world.trainee_a, "x", summary="Visiteur accueilli",
                               competencies=["A1T1C1"])
    observed.observer_id = world.teacher_a.id
    record_activity(world.firm_a, None, "x", summary="Sans code", competencies=[])
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    html = page_text(browser.client.get("/formation/journal"))
    rows = {summary: row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
            for summary in ("Devis relu", "Visiteur accueilli", "Sans code") if summary in row}
    codes = {summary: re.findall(r'<span class="code"[^>]*>(\w+)</span>', row) for summary, row in rows.items()}
    assert codes == {"Devis relu": ["A1T3C3", "A3T2C1"], "Visiteur accueilli": ["A1T1C1"], "Sans code": []}
    assert world.trainee_a.display_name in rows["Devis relu"]
    assert f"(observé par {world.teacher_a.display_name})" in rows["Visiteur accueilli"]
    assert "observé" not in rows["Devis relu"] and "<td>—</td>" in rows["Sans code"]


def test_referentiel_page(app, world):
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    html = page_text(browser.client.get("/formation/referentiel"))
    assert "A1T3C3" in html and "Savoirs associés" in html


def test_the_teacher_finds_the_journal_from_their_pages(app, world):
    """From the teacher's space, a class, a firm's admin page and the firm's dashboard (issue 14)."""
    teacher = Auth(app.test_client())
    teacher.login("prof_a")
    by_class = f"/formation/journal?classe={world.classroom_a.id}"
    by_firm = f"/formation/journal?entreprise={world.firm_a.id}"
    assert by_class in page_text(teacher.client.get("/admin/"))
    assert by_firm in page_text(teacher.client.get(f"/admin/entreprises/{world.firm_a.id}"))
    assert teacher.post(f"/entreprises/{world.firm_a.id}/entrer").status_code == 302
    home = page_text(teacher.client.get("/"))
    assert by_firm in home and "Journal d'activité de l'entreprise" in home
    for link in (by_class, by_firm):
        assert teacher.client.get(link).status_code == 200
    # The trainee's dashboard does not offer it.
    trainee = Auth(app.test_client())
    trainee.login("eleve_a")
    assert "Journal d'activité de l'entreprise" not in page_text(trainee.client.get("/", follow_redirects=True))
