"""Login, logout, throttling, session invalidation, security headers."""
import re

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


def _from(app, address: str) -> Auth:
    browser = Auth(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    return browser


def test_delays_grow_per_account_whatever_the_address(app, auth, world, clock):
    for _ in range(3):  # three free failures
        assert auth.login("eleve_a", "wrong-password").status_code == 200
    # The fourth attempt, even from another address and with the right password, waits 1 s.
    elsewhere = _from(app, "10.0.0.9")
    early = elsewhere.login("eleve_a", PASSWORD)
    assert early.status_code == 429
    assert "patientez 1 seconde avant de réessayer" in page_text(early)
    clock.advance(1)
    assert elsewhere.login("eleve_a", "wrong-again").status_code == 200  # 4th failure: next wait 2 s
    clock.advance(1)
    assert "patientez 1 seconde" in page_text(elsewhere.login("eleve_a", PASSWORD))
    clock.advance(1)
    assert elsewhere.login("eleve_a", PASSWORD).status_code == 302


def test_a_neighbour_typing_a_name_five_times_costs_seconds_not_the_lesson(app, world, clock):
    neighbour = _from(app, "192.0.2.10")
    for wait in (0, 0, 0, 1, 2):
        clock.advance(wait)
        assert neighbour.login("eleve_a", "je-devine").status_code == 200
    owner = _from(app, "192.0.2.11")
    response = owner.login("eleve_a", PASSWORD)
    assert response.status_code == 429
    assert "patientez 4 secondes" in page_text(response)
    clock.advance(4)
    assert owner.login("eleve_a", PASSWORD).status_code == 302


def test_ten_failures_block_the_account_until_a_teacher_unblocks_it(app, world, clock):
    guesser = _from(app, "192.0.2.20")
    for n in range(10):
        clock.advance(60)  # past every delay
        assert guesser.login("eleve_a", f"essai-{n}").status_code == 200
    clock.advance(120)
    owner = _from(app, "192.0.2.21")
    blocked = owner.login("eleve_a", PASSWORD)
    assert blocked.status_code == 429
    assert "Ce compte est bloqué après trop d'essais de mot de passe. Demandez à votre professeur" in page_text(blocked)

    teacher = Auth(app.test_client())
    teacher.login("prof_a")
    page = f"/admin/classes/{world.classroom_a.id}"
    row = page_text(teacher.client.get(page))
    assert "trop d'essais de connexion" in row and "Débloquer la connexion" in row
    response = teacher.post(f"/admin/utilisateurs/{world.trainee_a.id}/debloquer", form_page=page)
    assert response.status_code == 302
    assert "Débloquer la connexion" not in page_text(teacher.client.get(page))
    assert owner.login("eleve_a", PASSWORD).status_code == 302


def test_a_teacher_cannot_unblock_another_classrooms_trainee(app, world):
    teacher = Auth(app.test_client())
    teacher.login("prof_a")
    response = teacher.post(f"/admin/utilisateurs/{world.trainee_b.id}/debloquer",
                            form_page=f"/admin/classes/{world.classroom_a.id}")
    assert response.status_code == 404


def test_the_block_ends_when_the_failures_are_an_hour_old(app, world, clock):
    guesser = _from(app, "192.0.2.30")
    for n in range(10):
        clock.advance(60)
        guesser.login("eleve_a", f"essai-{n}")
    clock.advance(3600)
    assert _from(app, "192.0.2.31").login("eleve_a", PASSWORD).status_code == 302


def test_one_password_tried_on_many_accounts_from_one_address_is_slowed(app, world, clock):
    sprayer = _from(app, "198.51.100.7")
    statuses = [sprayer.login(f"eleve{n:02d}", "azerty123").status_code for n in range(25)]
    assert statuses[:20] == [200] * 20  # twenty free failures for the address
    assert 429 in statuses[20:]  # then the address waits 1, 2, 4 … s
    assert "patientez" in page_text(sprayer.login("eleve_a", PASSWORD))  # even a right password
    assert _from(app, "198.51.100.8").login("eleve_a", PASSWORD).status_code == 302


def test_a_class_behind_one_address_is_not_slowed_by_typos_then_corrected(app, world, make_user, clock):
    school = "203.0.113.50"
    trainees = [make_user(username=f"classe{n:02d}", classroom=world.classroom_a) for n in range(25)]
    db.session.commit()
    for trainee in trainees:
        browser = _from(app, school)
        assert browser.login(trainee.username, "faute-de-frappe").status_code == 200
        assert browser.login(trainee.username, PASSWORD).status_code == 302


def test_successful_login_clears_failures(client, auth, world, clock):
    for _ in range(2):
        auth.login("eleve_a", "wrong-password")
    _from(client.application, "10.1.1.1").login("eleve_a", "wrong-password")
    clock.advance(1)
    assert auth.login("eleve_a").status_code == 302
    count = db.session.scalar(select(func.count(LoginFailure.id)))
    assert count == 0  # from every address


def test_unknown_inactive_and_known_accounts_all_verify_one_hash(auth, world, monkeypatch):
    """No shortcut reveals who exists: every attempt costs one argon2 verification."""
    from argon2 import PasswordHasher

    verifications = []
    original = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify",
                        lambda self, *args: verifications.append(1) or original(self, *args))
    world.trainee_b.active = False
    db.session.commit()
    for username in ("eleve_a", "personne", "eleve_b"):
        verifications.clear()
        assert auth.login(username, "wrong-password").status_code == 200
        assert len(verifications) == 1, username


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


def _session_cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_cookies_are_secure_when_the_request_came_over_https(client):
    assert "Secure" in _session_cookie_header(client.get("/connexion", base_url="https://comptoir.lycee.fr"))
    assert "Secure" not in _session_cookie_header(client.get("/connexion"))
    # Without CRM_PROXY, a client's own X-Forwarded-Proto header is not believed.
    spoofed = client.get("/connexion", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in _session_cookie_header(spoofed)


def test_behind_a_proxy_its_forwarded_scheme_and_address_are_used(database_url_for_tests, world, monkeypatch):
    from crm import create_app
    from tests.conftest import TEST_CONFIG, IsolatedClient

    monkeypatch.setenv("CRM_PROXY", "1")
    proxied = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url_for_tests})
    proxied.test_client_class = IsolatedClient
    browser = Auth(proxied.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = "127.0.0.1"  # the proxy
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    assert "Secure" in _session_cookie_header(browser.client.get("/connexion", headers=headers))
    page = browser.client.get("/connexion", headers=headers, base_url="https://localhost")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    # (Over HTTPS, Flask-WTF also checks that the form came from this site.)
    response = browser.client.post("/connexion", base_url="https://localhost",
                                   headers={**headers, "Referer": "https://localhost/connexion"},
                                   data={"username": "eleve_a", "password": "faux-mot", "csrf_token": token})
    assert "Identifiant ou mot de passe incorrect." in page_text(response)
    failure = db.session.scalar(select(LoginFailure).where(LoginFailure.username == "eleve_a"))
    assert failure.ip_address == "203.0.113.7"
