"""Party file: creation with French validation, duplicates, page, history, stage, conversion."""
from datetime import datetime

from sqlalchemy import func, select

from crm.clients.models import Party
from crm.extensions import db
from crm.formation.models import Activity
from tests.conftest import page_text

NEW = "/clients/nouveau"


def _party_form(**overrides):
    data = {"kind": "prospect", "category": "private", "civility": "Mme", "first_name": "Léa",
            "last_name": "Martin", "company_name": "", "siret": "", "vat_number": "", "legal_form": "",
            "sector": "", "phone": "", "email": "", "address_line1": "", "address_line2": "",
            "postcode": "", "city": "", "segment": "", "source": "", "tags": "", "stage": "",
            "interest": "", "notes": "", "confirm_duplicates": ""}
    data.update(overrides)
    return data


def _count(firm):
    return db.session.scalar(select(func.count(Party.id)).where(Party.firm_id == firm.id))


def test_create_private_party_normalises_phone_email_and_journals(auth, world):
    auth.login("eleve_a")
    response = auth.post(NEW, _party_form(phone="0123456789", email="Lea.Martin@Exemple.FR ",
                                          postcode="75 011", city="Paris", tags="Fidèle, VIP,vip",
                                          marketing_consent="y"), form_page=NEW)
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.scalar(select(Party).where(Party.firm_id == world.firm_a.id))
    assert response.headers["Location"].endswith(f"/clients/{party.id}")
    assert party.phone == "01 23 45 67 89"
    assert party.email == "Lea.Martin@exemple.fr"
    assert party.postcode == "75011"
    assert party.tag_list == ["fidèle", "vip"]
    assert party.stage == "nouveau"
    assert party.marketing_consent and party.marketing_consent_on is not None
    assert party.created_by_id == world.trainee_a.id
    assert party.sort_name == "MARTIN Léa"
    activity = db.session.scalar(select(Activity).where(Activity.verb == "party.created"))
    assert activity.codes == ["A2T3C3", "A3T1C3"]
    page = page_text(auth.client.get(f"/clients/{party.id}"))
    assert "Mme Léa Martin" in page and "01 23 45 67 89" in page


def test_bad_input_is_refused_in_french_and_saves_nothing(auth, world):
    auth.login("eleve_a")
    cases = [
        (dict(last_name=""), "Indiquez le nom d'un particulier."),
        (dict(category="business", company_name=""), "Indiquez la raison sociale d'un professionnel."),
        (dict(phone="01 23"), "Numéro de téléphone invalide"),
        (dict(email="lea@"), "Adresse électronique invalide"),
        (dict(postcode="7501", city="Paris"), "Code postal invalide : cinq chiffres"),
        (dict(postcode="75011", city=""), "Indiquez la ville correspondant au code postal."),
        (dict(category="business", company_name="Bati Plus", siret="73282932000075"), "Numéro SIRET invalide"),
        (dict(kind="ennemi"), "N'est pas un choix valide."),
    ]
    for overrides, message in cases:
        response = auth.post(NEW, _party_form(**overrides), form_page=NEW)
        assert response.status_code == 422, overrides
        assert message in page_text(response), (overrides, page_text(response)[:0])
    db.session.expire_all()
    assert _count(world.firm_a) == 0


def test_business_party_keeps_checked_siret(auth, world):
    auth.login("eleve_a")
    response = auth.post(NEW, _party_form(category="business", company_name="Bati Plus",
                                          siret="732 829 320 00074", legal_form="SARL",
                                          first_name="", last_name=""), form_page=NEW)
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.scalar(select(Party).where(Party.firm_id == world.firm_a.id))
    assert (party.siret, party.company_name, party.sort_name) == ("73282932000074", "Bati Plus", "Bati Plus")


def test_likely_duplicates_are_shown_before_saving_then_saved_on_confirmation(auth, world, make_party):
    make_party(world.firm_a, email="lea@exemple.fr", first_name="Léa", last_name="Martin",
               postcode="75011", city="Paris")
    make_party(world.firm_a, last_name="Durand", phone="01 23 45 67 89")
    make_party(world.firm_a, category="business", company_name="Bati Plus", last_name="",
               siret="73282932000074")
    make_party(world.firm_b, last_name="Autre", email="seul@exemple.fr")  # another firm: never a duplicate
    db.session.commit()
    auth.login("eleve_a")
    cases = [
        (dict(last_name="Bernard", email="LEA@exemple.fr"), "même courriel"),
        (dict(last_name="Bernard", phone="0123456789"), "même téléphone"),
        (dict(category="business", company_name="Autre nom", siret="73282932000074"), "même SIRET"),
        (dict(first_name="Léa", last_name="martin", postcode="75011", city="Paris"),
         "même nom dans le même code postal"),
    ]
    for overrides, reason in cases:
        response = auth.post(NEW, _party_form(**overrides), form_page=NEW)
        text = page_text(response)
        assert response.status_code == 200
        assert "ressemble à 1 fiche existante" in text and reason in text, overrides
        assert "Enregistrer quand même" in text
    db.session.expire_all()
    assert _count(world.firm_a) == 3
    # Same name in another postcode, or a foreign firm's email: no warning.
    assert auth.post(NEW, _party_form(last_name="Martin", postcode="69001", city="Lyon"),
                     form_page=NEW).status_code == 302
    assert auth.post(NEW, _party_form(last_name="Neuf", email="seul@exemple.fr"),
                     form_page=NEW).status_code == 302
    # Confirmed: saved anyway.
    response = auth.post(NEW, _party_form(last_name="Bernard", email="lea@exemple.fr",
                                          confirm_duplicates="1"), form_page=NEW)
    assert response.status_code == 302
    db.session.expire_all()
    assert _count(world.firm_a) == 6


def test_edit_does_not_flag_the_party_itself(auth, world, make_party):
    party = make_party(world.firm_a, email="lea@exemple.fr", postcode="75011", city="Paris")
    db.session.commit()
    auth.login("eleve_a")
    url = f"/clients/{party.id}/modifier"
    response = auth.post(url, _party_form(email="lea@exemple.fr", postcode="75011", city="Paris",
                                          segment="Senior"), form_page=url)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Party, party.id).segment == "Senior"


def test_add_interaction_contact_and_address_to_the_timeline(auth, world, make_party):
    party = make_party(world.firm_a)
    db.session.commit()
    auth.login("eleve_a")
    page = f"/clients/{party.id}"
    response = auth.post(f"{page}/contacts", {"channel": "call_out", "subject": "Relance devis",
                                              "summary": "Intéressée par le modèle B", "outcome": "Rappeler lundi",
                                              "at": "2026-11-20T10:30"}, form_page=page)
    assert response.status_code == 302
    assert auth.post(f"{page}/contacts", {"channel": "visit", "subject": "Passage en boutique"},
                     form_page=page).status_code == 302
    refused = auth.post(f"{page}/contacts", {"channel": "visit", "subject": ""}, form_page=page)
    assert refused.status_code == 422
    assert "Le champ « Objet » est obligatoire." in page_text(refused)
    future = auth.post(f"{page}/contacts", {"channel": "visit", "subject": "x", "at": "2098-01-01T10:00"},
                       form_page=page)
    assert future.status_code == 422 and "ne peut pas être dans le futur" in page_text(future)
    assert auth.post(f"{page}/interlocuteurs", {"name": "Paul Roux", "role": "Acheteur",
                                                "phone": "06 12 34 56 78", "email": ""},
                     form_page=page).status_code == 302
    bad = auth.post(f"{page}/adresses", {"kind": "delivery", "line1": "1 rue X", "postcode": "ABCDE",
                                         "city": "Paris"}, form_page=page)
    assert bad.status_code == 422 and "Code postal invalide" in page_text(bad)
    assert auth.post(f"{page}/adresses", {"kind": "delivery", "line1": "1 rue X", "postcode": "75011",
                                          "city": "Paris"}, form_page=page).status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert [i.subject for i in party.interactions] == ["Passage en boutique", "Relance devis"]
    # Typed as read on the firm's clock (Paris, UTC+1 in November), stored in UTC, shown back in Paris time.
    assert party.interactions[1].at == datetime(2026, 11, 20, 9, 30)
    assert party.interactions[1].author_id == world.trainee_a.id
    assert [c.name for c in party.contacts] == ["Paul Roux"]
    assert "paul roux" in party.search_text and "0612345678" in party.search_text
    text = page_text(auth.client.get(page))
    assert "Relance devis" in text and "Rappeler lundi" in text and "Appel émis" in text
    assert "20/11/2026 10:30" in text


def test_stage_and_conversion_keep_the_history(auth, world, make_party):
    party = make_party(world.firm_a)
    db.session.commit()
    auth.login("eleve_a")
    page = f"/clients/{party.id}"
    auth.post(f"{page}/contacts", {"channel": "call_in", "subject": "Demande de tarif"}, form_page=page)
    assert auth.post(f"{page}/etape", {"stage": "devis_envoye", "interest": "3"}, form_page=page).status_code == 302
    refused = auth.post(f"{page}/etape", {"stage": "converti", "interest": ""}, form_page=page)
    assert refused.status_code == 422
    db.session.expire_all()
    assert (db.session.get(Party, party.id).stage, db.session.get(Party, party.id).interest) == ("devis_envoye", 3)
    assert auth.post(f"{page}/convertir", {}, form_page=page).status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert (party.kind, party.stage, party.interest) == ("client", "converti", 3)
    assert party.converted_at is not None
    assert [i.subject for i in party.interactions] == ["Demande de tarif"]
    # A client cannot be converted again nor get a prospect stage.
    again = auth.post(f"{page}/convertir", {}, form_page=page, follow_redirects=True)
    assert "Seul un prospect peut être converti en client." in page_text(again)
    assert auth.post(f"{page}/etape", {"stage": "contacte"}, form_page=page).status_code == 422
    verbs = db.session.scalars(select(Activity.verb).order_by(Activity.id)).all()
    assert verbs == ["interaction.recorded", "party.stage_changed", "party.converted"]


def test_remove_contact(auth, world, make_party):
    from crm.clients import services
    party = make_party(world.firm_a)
    contact = services.add_contact(party, world.trainee_a, {"name": "Paul Roux"})
    db.session.commit()
    auth.login("eleve_a")
    assert auth.post(f"/clients/interlocuteurs/{contact.id}/supprimer", {},
                     form_page=f"/clients/{party.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Party, party.id).contacts == []
    assert "paul" not in db.session.get(Party, party.id).search_text


def test_editing_a_converted_client_keeps_its_conversion(auth, world, make_party):
    from crm.clients import services
    party = make_party(world.firm_a, stage="interesse", interest=2)
    services.convert_to_client(party, world.trainee_a)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/clients/{party.id}/modifier"
    form_html = page_text(auth.client.get(url))
    assert '<option selected value="client">' in form_html
    response = auth.post(url, _party_form(kind="client", segment="Fidèle", interest="2"), form_page=url)
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert (party.kind, party.stage, party.interest, party.segment) == ("client", "converti", 2, "Fidèle")


def test_a_supplier_has_no_prospect_stage(auth, world):
    auth.login("eleve_a")
    response = auth.post(NEW, _party_form(kind="supplier", stage="interesse", interest="3"), form_page=NEW)
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.scalar(select(Party).where(Party.firm_id == world.firm_a.id))
    assert (party.kind, party.stage, party.interest) == ("supplier", None, None)
