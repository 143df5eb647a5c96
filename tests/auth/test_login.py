"""Login, logout, throttling, session invalidation, security headers."""
from sqlalchemy import func, select

from crm.core.models import LoginFailure, User
from crm.extensions import db
from tests.conftest import PASSWORD, Auth, page_text, csrf_token


def test_login_page_is_french_and_public(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    html = page_text(response)
    assert 'lang="fr"' in html and "Se connecter" in html


def test_pages_require_login(client, world):
    response = client.get("/clients/")
    assert response.status_code == 302
    assert "/connexion" in response.headers["Location"]


def test_trainee_logs_in_and_lands_in_their_firm(client, auth, world):
    response = auth.login("eleve_a", follow=True)
    html = page_text(response)
    assert response.status_code == 200
    assert "Firme A" in html
    assert 'class="position">Accueil<' in html  # the poste in the header
    for label in ("Accueil", "Clients & prospects", "Prospection", "Ventes", "Stocks", "Indicateurs"):
        assert label in html


def test_username_is_case_insensitive(client, auth, world):
    response = auth.login("ELEVE_A")
    assert response.status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, auth, world):
    wrong = page_text(auth.login("eleve_a", "not-the-password"))
    unknown = page_text(auth.login("nobody", "not-the-password"))
    message = "Identifiant ou mot de passe incorrect."
    assert message in wrong and message in unknown
    assert "Firme A" not in wrong


def test_inactive_user_cannot_log_in(client, auth, world):
    world.trainee_a.active = False
    db.session.commit()
    response = auth.login("eleve_a")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in page_text(response)


def test_login_without_csrf_token_is_refused(client, world):
    response = client.post("/connexion", data={"username": "eleve_a", "password": PASSWORD})
    assert response.status_code == 303  # back to the form, with a French message
    page = page_text(client.get(response.headers["Location"]))
    assert "Le formulaire a expiré" in page
    assert client.get("/").status_code == 302  # still logged out


def test_five_failures_lock_that_username_from_that_address_for_a_minute(app, client, auth, world):
    for _ in range(5):
        assert auth.login("eleve_a", "wrong-password").status_code == 200
    locked = auth.login("eleve_a", PASSWORD)  # even the right password now waits
    assert locked.status_code == 429
    assert "Patientez une minute" in page_text(locked)
    # Another address is not locked.
    other = Auth(app.test_client())
    other.client.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert other.login("eleve_a", PASSWORD).status_code == 302


def test_lock_expires_after_a_minute(client, auth, world):
    for _ in range(5):
        auth.login("eleve_a", "wrong-password")
    # Age the failures past the one-minute window.
    for failure in db.session.scalars(select(LoginFailure)):
        failure.at = failure.at.replace(year=failure.at.year - 1)
    db.session.commit()
    assert auth.login("eleve_a", PASSWORD).status_code == 302


def test_successful_login_clears_failures(client, auth, world):
    for _ in range(3):
        auth.login("eleve_a", "wrong-password")
    auth.login("eleve_a")
    count = db.session.scalar(select(func.count(LoginFailure.id)))
    assert count == 0


def test_logout_ends_every_session_of_that_user(app, world):
    first, second = Auth(app.test_client()), Auth(app.test_client())
    first.login("eleve_a")
    second.login("eleve_a")
    assert second.client.get("/").status_code == 200
    first.logout()
    assert first.client.get("/").status_code == 302
    assert second.client.get("/").status_code == 302  # the other browser is out too


def test_old_session_cookie_is_useless_after_logout(app, world):
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    stolen = browser.client.get_cookie("session").value
    browser.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302


def test_login_starts_a_new_session(app, world):
    browser = Auth(app.test_client())
    browser.client.get("/connexion")
    before = browser.client.get_cookie("session").value
    browser.login("eleve_a")
    assert browser.client.get_cookie("session").value != before


def test_open_redirect_after_login_is_ignored(client, world):
    token = csrf_token(client)
    response = client.post(
        "/connexion?next=https://evil.example/",
        data={"username": "eleve_a", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logout_requires_post(client, auth, world):
    auth.login("eleve_a")
    assert client.get("/deconnexion").status_code == 405
    assert client.get("/").status_code == 200


def test_security_headers_on_every_response(client):
    for path in ("/connexion", "/static/css/app.css", "/page-inconnue"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_flags(client, auth, world):
    auth.login("eleve_a")
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_unknown_page_is_a_french_404(client):
    response = client.get("/page-inconnue")
    assert response.status_code == 404
    assert "Page introuvable" in page_text(response)
