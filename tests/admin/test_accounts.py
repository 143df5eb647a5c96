"""Bulk trainee accounts from a class list, password resets, deactivation, teachers."""
import io
import re

from sqlalchemy import func, select

from crm.core.models import Membership, Role, User
from crm.extensions import db
from tests.conftest import Auth, page_text


def _teacher(app, username="prof_a"):
    browser = Auth(app.test_client())
    browser.login(username)
    return browser


def _import(browser, world, text=None, file=None):
    page = f"/admin/classes/{world.classroom_a.id}/eleves/import"
    data = {"text": text or ""}
    if file is not None:
        data["file"] = (io.BytesIO(file), "classe.csv")
    return browser.post(page, data, form_page=page, content_type="multipart/form-data")


def _user_count():
    return db.session.scalar(select(func.count(User.id)))


def _passwords(html):
    return dict(re.findall(r"Identifiant : <code>([^<]+)</code></p>\s*<p>Mot de passe : <code class=\"password\">([^<]+)</code>", html))


def test_pasted_class_list_creates_accounts_and_memberships(app, world):
    browser = _teacher(app)
    text = "nom;prénom;entreprise;poste\nMartin;Léa;Firme A;accueil\nLe Gall;Élodie;;\nMartin;Léa;firme a;Magasinière\n"
    response = _import(browser, world, text)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "ne seront plus jamais affichés" in page_text(response)
    assert "data-print" in html and "Imprimer la feuille" in html and "js/print.js" in html
    passwords = _passwords(html)
    assert set(passwords) == {"lea.martin", "elodie.legall", "lea.martin2"}
    lea = db.session.scalar(select(User).filter_by(username="lea.martin"))
    assert lea.display_name == "Léa Martin" and lea.role == "trainee"
    assert lea.classroom_id == world.classroom_a.id
    assert [m.position for m in lea.memberships] == ["accueil"]
    second = db.session.scalar(select(User).filter_by(username="lea.martin2"))
    assert [m.position for m in second.memberships] == ["magasinier"]
    # The password on the sheet is the one that works.
    fresh = Auth(app.test_client())
    assert fresh.login("elodie.legall", passwords["elodie.legall"]).status_code == 302


def test_uploaded_windows_1252_comma_separated_file(app, world):
    browser = _teacher(app)
    data = "Nom,Prénom,Identifiant\nDupré,Chloé,chloe.d\nBéranger,Noël,\n".encode("cp1252")
    response = _import(browser, world, file=data)
    assert response.status_code == 200
    names = set(db.session.scalars(select(User.display_name).where(User.username.in_(["chloe.d", "noel.beranger"]))))
    assert names == {"Chloé Dupré", "Noël Béranger"}


def test_utf8_bom_file_without_header(app, world):
    browser = _teacher(app)
    data = "\ufeffSaïd;Amine\n".encode("utf-8")
    assert _import(browser, world, file=data).status_code == 200
    assert db.session.scalar(select(User).filter_by(username="amine.said")).display_name == "Amine Saïd"


def test_bad_lines_are_each_reported_and_nothing_is_created(app, world):
    browser = _teacher(app)
    text = (
        "nom;prénom;entreprise;poste\n"
        "Martin;Léa;Firme A;accueil\n"      # fine
        ";Hugo;;\n"                          # line 3: no last name
        "Durand;;;\n"                        # line 4: no first name
        "Petit;Max;Firme Z;\n"               # line 5: unknown firm
        "Roux;Zoé;Firme A;pilote\n"          # line 6: unknown poste
        "Blanc;Tom;Firme A;accueil;extra\n"  # line 7: too many columns
    )
    before = _user_count()
    response = _import(browser, world, text)
    assert response.status_code == 422
    html = page_text(response)
    assert "Aucun compte n'a été créé." in html
    for expected in (
        "Ligne 3 : Le nom est manquant.",
        "Ligne 4 : Le prénom est manquant.",
        "Ligne 5 : Entreprise « Firme Z » inconnue",
        "Ligne 6 : Poste « pilote » inconnu",
        "Ligne 7 : 5 colonnes au lieu de 4",
    ):
        assert expected in html
    assert _user_count() == before


def test_duplicate_username_in_list_is_refused(app, world):
    browser = _teacher(app)
    response = _import(browser, world, "nom;prénom;identifiant\nA;B;eleve_a\n")
    assert response.status_code == 422
    assert "L'identifiant « eleve_a » est déjà utilisé." in page_text(response)


def test_empty_list_is_refused(app, world):
    browser = _teacher(app)
    response = _import(browser, world, "")
    assert response.status_code == 422
    assert "Collez la liste de la classe ou choisissez un fichier." in page_text(response)


def test_a_class_list_holds_at_most_200_trainees(app, world):
    browser = _teacher(app)
    before = _user_count()
    lines = "\n".join(f"Nom{n};Prénom{n}" for n in range(201))
    response = _import(browser, world, "nom;prénom\n" + lines)
    assert response.status_code == 422
    assert ("La liste compte 201 élèves : 200 au plus par import. "
            "Importez-la en plusieurs fois (une classe à la fois).") in page_text(response)
    assert _user_count() == before


def test_imported_trainees_choose_their_password_at_first_login(app, world):
    browser = _teacher(app)
    response = _import(browser, world, "Martin;Léa")
    assert "à la première connexion, choisissez le vôtre" in page_text(response)
    password = _passwords(response.get_data(as_text=True))["lea.martin"]
    trainee = Auth(app.test_client())
    assert trainee.login("lea.martin", password).headers["Location"] == "/mot-de-passe"


def test_reset_password_shows_a_new_one_once_and_ends_sessions(app, world):
    trainee = Auth(app.test_client())
    trainee.login("eleve_a")
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}"
    response = browser.post(f"/admin/utilisateurs/{world.trainee_a.id}/mot-de-passe", form_page=page)
    assert response.status_code == 200
    new_password = _passwords(response.get_data(as_text=True))["eleve_a"]
    assert trainee.client.get("/").status_code == 302  # logged out everywhere
    assert Auth(app.test_client()).login("eleve_a", new_password).status_code == 302


def test_deactivate_then_reactivate(app, world):
    trainee = Auth(app.test_client())
    trainee.login("eleve_a")
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}"
    assert browser.post(f"/admin/utilisateurs/{world.trainee_a.id}/desactiver", form_page=page).status_code == 302
    assert trainee.client.get("/").status_code == 302
    assert Auth(app.test_client()).login("eleve_a").status_code == 200  # refused
    browser.post(f"/admin/utilisateurs/{world.trainee_a.id}/reactiver", form_page=page)
    assert Auth(app.test_client()).login("eleve_a").status_code == 302


def test_teacher_cannot_manage_another_classrooms_trainee(app, world):
    browser = _teacher(app)
    response = browser.post(f"/admin/utilisateurs/{world.trainee_b.id}/desactiver")
    assert response.status_code == 404
    db.session.expire_all()
    assert world.trainee_b.active


def test_only_admin_manages_teachers(app, world, make_user):
    assert _teacher(app).client.get("/admin/professeurs").status_code == 404
    make_user(Role.ADMIN, "admin")
    db.session.commit()
    admin = _teacher(app, "admin")
    response = admin.post("/admin/professeurs", {"display_name": "Mme Durand", "username": "durand"},
                          form_page="/admin/professeurs")
    assert response.status_code == 200
    password = _passwords(response.get_data(as_text=True))["durand"]
    assert db.session.scalar(select(User).filter_by(username="durand")).role == "teacher"
    assert Auth(app.test_client()).login("durand", password).status_code == 302
    duplicate = admin.post("/admin/professeurs", {"display_name": "X", "username": "prof_a"},
                           form_page="/admin/professeurs")
    assert duplicate.status_code == 422
    assert "déjà utilisé" in page_text(duplicate)
    # The admin sees every classroom.
    html = page_text(admin.client.get("/admin/"))
    assert "Classe A" in html and "Classe B" in html
