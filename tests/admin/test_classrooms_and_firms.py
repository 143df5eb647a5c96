"""Teacher screens: classrooms, firms and their identity, memberships."""
import io

from sqlalchemy import func, select

from crm.core.models import Classroom, Firm, Membership
from crm.extensions import db
from tests.conftest import Auth, page_text

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _teacher(app, username="prof_a"):
    browser = Auth(app.test_client())
    browser.login(username)
    return browser


def test_teacher_sees_only_their_classrooms(app, world):
    html = page_text(_teacher(app).client.get("/admin/"))
    assert "Classe A" in html and "Firme A" in html
    assert "Classe B" not in html and "Firme B" not in html


def test_trainee_cannot_reach_teacher_screens(app, world):
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    assert browser.client.get("/admin/").status_code == 404
    assert browser.post("/admin/classes/nouvelle", {"name": "X", "school_year": "2026-2027"}).status_code == 404


def test_create_classroom(app, world):
    browser = _teacher(app)
    response = browser.post("/admin/classes/nouvelle", {"name": "1re Vente", "school_year": "2026-2027"},
                            form_page="/admin/classes/nouvelle")
    assert response.status_code == 302
    classroom = db.session.scalar(select(Classroom).filter_by(name="1re Vente"))
    assert classroom.teachers == [world.teacher_a]


def test_classroom_bad_input_is_refused_in_french(app, world):
    browser = _teacher(app)
    cases = [
        ({"name": "", "school_year": "2026-2027"}, "obligatoire"),
        ({"name": "X", "school_year": "2026"}, "Format attendu : 2026-2027."),
        ({"name": "X", "school_year": "2026-2028"}, "doivent se suivre"),
        ({"name": "classe a", "school_year": "2026-2027"}, "existe déjà"),
    ]
    before = db.session.scalar(select(func.count(Classroom.id)))
    for data, message in cases:
        response = browser.post("/admin/classes/nouvelle", data, form_page="/admin/classes/nouvelle")
        assert response.status_code == 422
        assert message in page_text(response)
    assert db.session.scalar(select(func.count(Classroom.id))) == before


def _firm_data(**overrides):
    data = {
        "trade_name": "Papeterie du Lycée", "legal_form": "SARL", "siren": "", "siret": "732 829 320 00074",
        "vat_number": "FR44732829320", "address_line1": "1 rue Haute", "address_line2": "",
        "postcode": "69003", "city": "Lyon", "phone": "0472000000", "email": "contact@papeterie.fr",
        "website": "www.papeterie.fr", "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP",
        "terms_of_sale": "Paiement à 30 jours.",
    }
    data.update(overrides)
    return data


def test_create_firm_normalises_identifiers(app, world):
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}/entreprises/nouvelle"
    response = browser.post(page, _firm_data(), form_page=page)
    assert response.status_code == 302
    firm = db.session.scalar(select(Firm).filter_by(trade_name="Papeterie du Lycée"))
    assert firm.classroom_id == world.classroom_a.id
    assert firm.siret == "73282932000074"
    assert firm.siren == "732829320"  # taken from the SIRET
    assert firm.phone == "04 72 00 00 00"
    assert firm.iban == "FR7630006000011234567890189"


def test_firm_identity_errors_are_french_and_nothing_is_saved(app, world):
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}/entreprises/nouvelle"
    cases = [
        ({"siret": "73282932000075"}, "Numéro SIRET invalide : la clé de contrôle ne correspond pas."),
        ({"siren": "123456789"}, "Numéro SIREN invalide"),
        ({"siren": "443061841", "siret": "73282932000074"}, "Le SIRET doit commencer par les 9 chiffres du SIREN."),
        ({"vat_number": "FR00732829320"}, "Numéro de TVA intracommunautaire invalide"),
        ({"postcode": "6900"}, "Code postal invalide"),
        ({"phone": "01 23"}, "Numéro de téléphone invalide"),
        ({"email": "pas-une-adresse"}, "Adresse électronique invalide"),
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "IBAN invalide"),
        ({"trade_name": ""}, "obligatoire"),
        ({"legal_form": "Inventée"}, "N'est pas un choix valide."),
    ]
    before = db.session.scalar(select(func.count(Firm.id)))
    for overrides, message in cases:
        response = browser.post(page, _firm_data(**overrides), form_page=page)
        assert response.status_code == 422, overrides
        assert message in page_text(response), overrides
    assert db.session.scalar(select(func.count(Firm.id))) == before


def test_edit_firm_with_logo_and_journal(app, world):
    browser = _teacher(app)
    page = f"/admin/entreprises/{world.firm_a.id}/modifier"
    data = _firm_data(trade_name="Firme A rénovée", logo=(io.BytesIO(PNG_1PX), "logo.png"))
    response = browser.post(page, data, form_page=page, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert world.firm_a.trade_name == "Firme A rénovée"
    assert world.firm_a.logo_mimetype == "image/png"
    logo = browser.client.get(f"/entreprises/{world.firm_a.id}/logo")
    assert logo.status_code == 200 and logo.data == PNG_1PX
    # The change is journalled in firm A with its référentiel code.
    browser.post(f"/entreprises/{world.firm_a.id}/entrer")
    assert "A1T1C1" in page_text(browser.client.get("/formation/journal"))


def test_logo_that_is_not_an_image_is_refused(app, world):
    browser = _teacher(app)
    page = f"/admin/entreprises/{world.firm_a.id}/modifier"
    data = _firm_data(logo=(io.BytesIO(b"GIF89a not really"), "logo.png"))
    response = browser.post(page, data, form_page=page, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PNG ou JPEG" in page_text(response)
    db.session.expire_all()
    assert world.firm_a.logo is None


def test_membership_add_change_remove(app, world, make_user):
    from crm.core.models import Role

    newcomer = make_user(Role.TRAINEE, "nouvel_eleve", classroom=world.classroom_a)
    db.session.commit()
    browser = _teacher(app)
    firm_page = f"/admin/entreprises/{world.firm_a.id}"
    response = browser.post(f"{firm_page}/membres", {"user_id": newcomer.id, "position": "magasinier"},
                            form_page=firm_page)
    assert response.status_code == 302
    membership = db.session.scalar(select(Membership).filter_by(user_id=newcomer.id))
    assert membership.position == "magasinier"
    browser.post(f"/admin/membres/{membership.id}/poste", {"position": "responsable"}, form_page=firm_page)
    db.session.expire_all()
    assert membership.position == "responsable"
    browser.post(f"/admin/membres/{membership.id}/retirer", form_page=firm_page)
    assert db.session.scalar(select(Membership).filter_by(user_id=newcomer.id)) is None


def test_cannot_add_a_trainee_of_another_classroom(app, world):
    browser = _teacher(app)
    firm_page = f"/admin/entreprises/{world.firm_a.id}"
    response = browser.post(f"{firm_page}/membres", {"user_id": world.trainee_b.id, "position": "accueil"},
                            form_page=firm_page)
    assert response.status_code == 422
    assert "N'est pas un choix valide." in page_text(response)
    assert db.session.scalar(select(Membership).filter_by(user_id=world.trainee_b.id, firm_id=world.firm_a.id)) is None


def test_teacher_enters_a_firm_of_their_classroom(app, world):
    browser = _teacher(app)
    response = browser.post(f"/entreprises/{world.firm_a.id}/entrer")
    assert response.status_code == 302
    html = page_text(browser.client.get("/"))
    assert "Firme A" in html and "Stocks" in html
    assert browser.post(f"/entreprises/{world.firm_b.id}/entrer").status_code == 404


def test_edit_classroom_adds_a_colleague(app, world):
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}/modifier"
    response = browser.post(page, {"name": "Classe A bis", "school_year": "2026-2027",
                                   "teacher_ids": [world.teacher_a.id, world.teacher_b.id]}, form_page=page)
    assert response.status_code == 302
    # The colleague now sees the classroom and its firm.
    html = page_text(_teacher(app, "prof_b").client.get("/admin/"))
    assert "Classe A bis" in html and "Firme A" in html


def test_edit_classroom_needs_a_teacher(app, world):
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}/modifier"
    response = browser.post(page, {"name": "Classe A", "school_year": "2026-2027"}, form_page=page)
    assert response.status_code == 422
    assert "Choisissez au moins un professeur." in page_text(response)
    response = browser.post(page, {"name": "Classe A", "school_year": "2026-2027",
                                   "teacher_ids": [world.trainee_a.id]}, form_page=page)
    assert response.status_code == 422
    db.session.expire_all()
    assert world.classroom_a.teachers == [world.teacher_a]


def _settings_data(**overrides):
    from crm.core.numbering_models import DEFAULT_PREFIXES

    data = {f"prefix_{t}": p for t, p in DEFAULT_PREFIXES.items()}
    data.update({"payment_terms_days": "45", "late_payment_rate": "12,5", "escompte_terms": "",
                 "time_zone": "Europe/Paris"})
    data.update(overrides)
    return data


def test_teacher_sets_prefixes_and_payment_terms(app, world):
    from crm.core.firm_settings import get_firm_settings

    browser = _teacher(app)
    page = f"/admin/entreprises/{world.firm_a.id}/parametres"
    response = browser.post(page, _settings_data(prefix_facture="F-{yy}-", time_zone="Indian/Reunion"),
                            form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    settings = get_firm_settings(world.firm_a)
    assert settings.payment_terms_days == 45
    assert str(settings.late_payment_rate) == "12.50"
    assert settings.prefix_template("facture") == "F-{yy}-"
    assert settings.prefix_template("devis") == "DE{year}-"
    assert settings.time_zone == "Indian/Reunion"


def test_firm_settings_refusals_are_french_and_change_nothing(app, world):
    from crm.core.firm_settings import get_firm_settings

    browser = _teacher(app)
    page = f"/admin/entreprises/{world.firm_a.id}/parametres"
    for overrides, message in [
        ({"payment_terms_days": "90"}, "De 0 (comptant) à 60 jours"),
        ({"late_payment_rate": "abc"}, "Ce n'est pas un nombre"),
        ({"prefix_facture": "FACTURE{année}"}, "entre accolades"),
        ({"prefix_devis": ""}, "Indiquez un préfixe."),
        ({"time_zone": "Europe/Atlantis"}, "N'est pas un choix valide."),
    ]:
        response = browser.post(page, _settings_data(**overrides), form_page=page)
        assert response.status_code == 422, overrides
        assert message in page_text(response), overrides
    db.session.expire_all()
    assert get_firm_settings(world.firm_a).payment_terms_days == 30


def test_a_firm_email_on_a_reserved_test_domain_is_accepted(app, world):
    browser = _teacher(app)
    page = f"/admin/classes/{world.classroom_a.id}/entreprises/nouvelle"
    response = browser.post(page, _firm_data(trade_name="Terranova", email="contact@terranova.test"), form_page=page)
    assert response.status_code == 302
    assert db.session.scalar(select(Firm.email).filter_by(trade_name="Terranova")) == "contact@terranova.test"


def test_a_firm_of_a_class_without_trainees_says_to_import_them(app, world, make_classroom, make_firm):
    empty = make_firm(make_classroom(world.teacher_a, name="Classe vide"))
    db.session.commit()
    text = page_text(_teacher(app).client.get(f"/admin/entreprises/{empty.id}"))
    assert "La classe n'a encore aucun élève" in text
    assert "déjà affectés" not in text
    # In a class with trainees all placed elsewhere, the other message stays.
    assert "déjà affectés" in page_text(_teacher(app).client.get(f"/admin/entreprises/{world.firm_a.id}"))
