"""Password change, hashing strength, generated passwords."""
import re

from argon2 import PasswordHasher

from crm import create_app
from crm.core.passwords import generate_password, hash_password, verify_password
from crm.extensions import db
from tests.conftest import PASSWORD, Auth, page_text


def test_production_hashing_is_argon2id_at_owasp_strength():
    config = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config
    # OWASP: argon2id with at least m=19 MiB, t=2, p=1 (or an equivalent trade-off).
    assert config["ARGON2_MEMORY_COST"] >= 19 * 1024
    assert config["ARGON2_TIME_COST"] >= 2
    assert config["ARGON2_PARALLELISM"] >= 1


def test_hash_is_argon2id_and_verifies(app_ctx):
    password_hash = hash_password("une phrase de passe")
    assert password_hash.startswith("$argon2id$")
    assert verify_password(password_hash, "une phrase de passe")
    assert not verify_password(password_hash, "autre chose")
    assert not verify_password("not-a-hash", "une phrase de passe")


def test_generated_passwords_are_long_and_unambiguous():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 14
        assert not set(password) & set("01ilo")


def _change(browser, current, new, confirm):
    return browser.post(
        "/mot-de-passe",
        {"current_password": current, "new_password": new, "confirm": confirm},
        form_page="/mot-de-passe",
    )


def test_change_password_keeps_me_in_and_logs_out_other_sessions(app, world):
    me, other = Auth(app.test_client()), Auth(app.test_client())
    me.login("eleve_a")
    other.login("eleve_a")
    response = _change(me, PASSWORD, "nouveau-secret-2", "nouveau-secret-2")
    assert response.status_code == 302
    assert me.client.get("/").status_code == 200
    assert other.client.get("/").status_code == 302
    fresh = Auth(app.test_client())
    assert fresh.login("eleve_a", PASSWORD).status_code == 200  # old password refused
    assert fresh.login("eleve_a", "nouveau-secret-2").status_code == 302


def test_change_password_refusals_are_french_and_change_nothing(app, world):
    me = Auth(app.test_client())
    me.login("eleve_a")
    before = world.trainee_a.password_hash
    cases = [
        (PASSWORD, "court", "court", "au moins 8 caractères"),
        (PASSWORD, "nouveau-secret-2", "different-secret", "ne correspondent pas"),
        (PASSWORD, "azerty2026", "azerty2026", "fait partie des plus utilisés"),
        (PASSWORD, "Soleil!!", "Soleil!!", "fait partie des plus utilisés"),
        (PASSWORD, "moi-ELEVE_A-2026", "moi-ELEVE_A-2026", "ne doit pas contenir votre identifiant"),
    ]
    for current, new, confirm, message in cases:
        response = _change(me, current, new, confirm)
        assert response.status_code == 422
        assert message in page_text(response)
    # A wrong current password is kept as a failed attempt (answered 200, like the login form).
    response = _change(me, "mauvais-actuel", "nouveau-secret-2", "nouveau-secret-2")
    assert response.status_code == 200
    assert "Le mot de passe actuel est incorrect." in page_text(response)
    db.session.expire_all()
    assert world.trainee_a.password_hash == before


def test_wrong_current_passwords_are_throttled_like_logins(app, world, clock):
    me = Auth(app.test_client())
    me.login("eleve_a")
    for _ in range(3):
        assert _change(me, "je-ne-sais-plus", "nouveau-secret-2", "nouveau-secret-2").status_code == 200
    early = _change(me, PASSWORD, "nouveau-secret-2", "nouveau-secret-2")
    assert early.status_code == 429
    assert "patientez 1 seconde" in page_text(early)
    # The same count holds at the login form (per account).
    assert "patientez 1 seconde" in page_text(Auth(app.test_client()).login("eleve_a"))
    clock.advance(1)
    assert _change(me, PASSWORD, "nouveau-secret-2", "nouveau-secret-2").status_code == 302


def test_a_password_given_by_a_teacher_is_changed_at_first_login(app, world):
    teacher = Auth(app.test_client())
    teacher.login("prof_a")
    page = f"/admin/classes/{world.classroom_a.id}"
    sheet = page_text(teacher.post(f"/admin/utilisateurs/{world.trainee_a.id}/mot-de-passe", form_page=page))
    assert "à la première connexion, choisissez le vôtre" in sheet
    given = re.search(r'class="password">([^<]+)<', sheet).group(1)
    assert "mot de passe provisoire" in page_text(teacher.client.get(page))

    trainee = Auth(app.test_client())
    response = trainee.login("eleve_a", given)
    assert response.headers["Location"] == "/mot-de-passe"
    for path in ("/", "/clients/", "/ventes/caisse/"):  # nothing else until it is done
        assert trainee.client.get(path).headers["Location"] == "/mot-de-passe"
    form = page_text(trainee.client.get("/mot-de-passe"))
    assert "Choisir mon mot de passe" in form and "Annuler" not in form
    assert _change(trainee, given, "ma-phrase-a-moi", "ma-phrase-a-moi").status_code == 302
    assert trainee.client.get("/clients/").status_code == 200
    assert Auth(app.test_client()).login("eleve_a", "ma-phrase-a-moi").headers["Location"] == "/"
