"""Password change, hashing strength, generated passwords."""

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
        ("mauvais-actuel", "nouveau-secret-2", "nouveau-secret-2", "Le mot de passe actuel est incorrect."),
        (PASSWORD, "court", "court", "au moins 8 caractères"),
        (PASSWORD, "nouveau-secret-2", "different-secret", "ne correspondent pas"),
    ]
    for current, new, confirm, message in cases:
        response = _change(me, current, new, confirm)
        assert response.status_code == 422
        assert message in page_text(response)
    db.session.expire_all()
    assert world.trainee_a.password_hash == before
