"""CSV import (preview, all or nothing, UTF-8 / Windows-1252) and export; GDPR export and anonymisation."""
import csv
import io
import json
from datetime import date

from sqlalchemy import func, select

from crm.clients import services
from crm.clients.models import Interaction, Party
from crm.extensions import db
from crm.formation.models import Activity
from tests.conftest import page_text

IMPORT = "/clients/import"
GOOD = (
    "type;catégorie;civilité;prénom;nom;raison sociale;SIRET;téléphone;courriel;code postal;ville;"
    "étiquettes;consentement prospection;date du consentement;étape;intérêt\r\n"
    "prospect;particulier;Mme;Léa;Martin;;;01 23 45 67 89;lea@exemple.fr;75011;Paris;vip;oui;05/09/2026;Intéressé;Fort\r\n"
    "client;professionnel;;;;Éclat Coiffure;73282932000074;;contact@eclat.fr;69001;Lyon;salon, vip;non;;;\r\n"
)


def _count(firm):
    return db.session.scalar(select(func.count(Party.id)).where(Party.firm_id == firm.id))


def _upload(auth, content: bytes):
    return auth.post(IMPORT, {"file": (io.BytesIO(content), "tiers.csv")}, form_page=IMPORT,
                     content_type="multipart/form-data")


def _confirm(auth, preview):
    token_content = preview.get_data(as_text=True)
    import html, re
    content = html.unescape(re.search(r'name="content" type="hidden" value="([^"]*)"', token_content).group(1))
    return auth.post("/clients/import/confirmer", {"content": content}, form_page=IMPORT)


def test_import_previews_then_imports_everything(auth, world):
    auth.login("eleve_a")
    preview = _upload(auth, GOOD.encode("utf-8-sig"))
    assert preview.status_code == 200
    text = page_text(preview)
    assert "Aperçu : 2 fiches prêtes à importer" in text and "Éclat Coiffure" in text
    assert "<td>Prospect</td>" in text and "<td>Client</td>" in text
    db.session.expire_all()
    assert _count(world.firm_a) == 0  # the preview saves nothing
    assert _confirm(auth, preview).status_code == 302
    db.session.expire_all()
    parties = db.session.scalars(select(Party).where(Party.firm_id == world.firm_a.id).order_by(Party.sort_key)).all()
    eclat, lea = parties
    assert (lea.kind, lea.civility, lea.phone, lea.stage, lea.interest) == ("prospect", "Mme", "01 23 45 67 89", "interesse", 3)
    assert lea.marketing_consent_on == date(2026, 9, 5)
    assert (eclat.kind, eclat.category, eclat.siret, eclat.tag_list) == ("client", "business", "73282932000074", ["salon", "vip"])
    activity = db.session.scalar(select(Activity).where(Activity.verb == "party.imported"))
    assert activity.summary == "2 fiches importées"


def test_windows_1252_file_is_read_with_its_accents(auth, world):
    auth.login("eleve_a")
    content = "nom;prénom;ville;code postal\r\nBéranger;Zoé;Besançon;25000\r\n".encode("cp1252")
    preview = _upload(auth, content)
    assert preview.status_code == 200
    assert _confirm(auth, preview).status_code == 302
    db.session.expire_all()
    party = db.session.scalar(select(Party).where(Party.firm_id == world.firm_a.id))
    assert (party.last_name, party.first_name, party.city) == ("Béranger", "Zoé", "Besançon")


def test_bad_file_imports_nothing_and_reports_each_line(auth, world):
    auth.login("eleve_a")
    content = (
        "type;nom;raison sociale;téléphone;courriel;code postal;SIRET;consentement prospection\r\n"
        "prospect;Martin;;0123456789;lea@exemple.fr;75011;;oui\r\n"
        "ennemi;Durand;;12;;;;\r\n"
        "client;;;;pas-un-courriel;7501;;peut-être\r\n"
        "client;;Bati;;;;73282932000075;non\r\n"
    ).encode("utf-8")
    response = _upload(auth, content)
    assert response.status_code == 422
    text = page_text(response)
    assert "Rien n'a été importé." in text
    assert "Ligne 2" not in text
    assert "Ligne 3 : Type « ennemi » : valeur inconnue ; Numéro de téléphone invalide" in text
    assert "Ligne 4 : Adresse électronique invalide" in text and "Code postal invalide" in text
    assert "Consentement « peut-être » : écrivez oui ou non" in text
    assert "Le nom d'un particulier est obligatoire" in text
    assert "Ligne 5 : Numéro SIRET invalide : la clé de contrôle ne correspond pas." in text
    # A forged confirmation of the bad content is refused as a whole too.
    forged = auth.post("/clients/import/confirmer", {"content": content.decode()}, form_page=IMPORT)
    assert forged.status_code == 422 and "Ligne 3" in page_text(forged)
    db.session.expire_all()
    assert _count(world.firm_a) == 0


def test_bad_headers_and_separator(auth, world):
    auth.login("eleve_a")
    comma = _upload(auth, b"nom,ville\r\nMartin,Paris\r\n")
    assert comma.status_code == 422 and "séparées par des points-virgules" in page_text(comma)
    unknown = _upload(auth, "nom;pointure\r\nMartin;42\r\n".encode())
    assert unknown.status_code == 422 and "Colonne inconnue « pointure »." in page_text(unknown)
    empty = _upload(auth, b"")
    assert empty.status_code == 422


def test_export_round_trip(auth, world, make_party):
    make_party(world.firm_a, first_name="Léa", last_name="Martin", civility="Mme", phone="01 23 45 67 89",
               email="lea@exemple.fr", postcode="75011", city="Paris", tags="vip, salon",
               marketing_consent=True, marketing_consent_on=date(2026, 9, 5), stage="interesse", interest=2,
               notes="Préfère; les appels\nle matin", source="salon", segment="Senior")
    make_party(world.firm_a, kind="supplier", category="business", company_name="Grossiste Dupont",
               siret="73282932000074", vat_number="FR44732829320", legal_form="SARL", city="Lille", postcode="59000")
    make_party(world.firm_b, last_name="Secret")
    db.session.commit()
    auth.login("eleve_a")
    response = auth.client.get("/clients/export.csv")
    assert response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["type", "catégorie", "civilité", "prénom", "nom"]
    assert len(rows) == 3 and "Secret" not in raw.decode("utf-8-sig")
    fields = ("kind", "category", "civility", "first_name", "last_name", "company_name", "siret", "vat_number",
              "legal_form", "phone", "email", "postcode", "city", "tags", "marketing_consent",
              "marketing_consent_on", "stage", "interest", "notes", "source", "segment", "sort_name")
    before = [tuple(getattr(p, f) for f in fields) for p in db.session.scalars(
        select(Party).where(Party.firm_id == world.firm_a.id).order_by(Party.sort_key))]
    # Import the exported file into firm B: the same parties come back.
    other = auth.__class__(auth.client.application.test_client())
    other.login("eleve_b")
    preview = _upload(other, raw)
    assert preview.status_code == 200, page_text(preview)
    assert _confirm(other, preview).status_code == 302
    db.session.expire_all()
    after = [tuple(getattr(p, f) for f in fields) for p in db.session.scalars(
        select(Party).where(Party.firm_id == world.firm_b.id, Party.last_name != "Secret").order_by(Party.sort_key))]
    assert after == before


def test_export_follows_the_filters(auth, world, make_party):
    make_party(world.firm_a, last_name="Martin")
    make_party(world.firm_a, kind="client", last_name="Durand")
    db.session.commit()
    auth.login("eleve_a")
    text = auth.client.get("/clients/export.csv?kind=client").get_data().decode("utf-8-sig")
    assert "Durand" in text and "Martin" not in text


def test_personal_data_export_json_and_csv(auth, world, make_party):
    party = make_party(world.firm_a, email="lea@exemple.fr")
    services.add_contact(party, None, {"name": "Paul Roux", "phone": "06 12 34 56 78"})
    services.record_interaction(party, None, "call_in", "Question tarif", "Appel de Léa", journal=False)
    db.session.commit()
    auth.login("eleve_a")
    data = json.loads(auth.client.get(f"/clients/{party.id}/rgpd.json").get_data())
    assert data["tiers"]["courriel"] == "lea@exemple.fr"
    assert data["interlocuteurs"][0]["nom"] == "Paul Roux"
    assert data["historique"][0]["objet"] == "Question tarif"
    csv_text = auth.client.get(f"/clients/{party.id}/rgpd.csv").get_data().decode("utf-8-sig")
    assert "fiche;courriel;lea@exemple.fr" in csv_text and "interlocuteurs 1;nom;Paul Roux" in csv_text


def test_anonymise_erases_personal_data_and_keeps_history(auth, world, make_party):
    party = make_party(world.firm_a, first_name="Léa", last_name="Martin", email="lea@exemple.fr",
                       phone="01 23 45 67 89", postcode="75011", city="Paris", notes="Allergique")
    services.add_contact(party, None, {"name": "Paul Roux"})
    services.add_address(party, None, {"kind": "delivery", "line1": "1 rue X", "postcode": "75011", "city": "Paris"})
    services.record_interaction(party, None, "visit", "Essai", "Léa a essayé le modèle B", "Rappeler", journal=False)
    db.session.commit()
    auth.login("eleve_a")
    page = f"/clients/{party.id}"
    assert "Anonymiser définitivement" in page_text(auth.client.get(page))  # asks a confirmation first
    assert auth.post(f"{page}/anonymiser", {}, form_page=page).status_code == 302
    db.session.expire_all()
    party = db.session.get(Party, party.id)
    assert party.is_anonymised
    assert party.name == f"Tiers anonymisé n° {party.id}"
    assert (party.first_name, party.email, party.phone, party.notes) == ("", "", "", "")
    assert party.contacts == [] and party.addresses == []
    assert "lea" not in party.search_text and "martin" not in party.search_text
    [interaction] = party.interactions
    assert (interaction.subject, interaction.outcome, interaction.summary) == ("Essai", "Rappeler", "")
    assert party.city == "Paris"  # the zone de chalandise stays for the figures
    # Nothing more can be changed on it.
    refused = auth.post(f"{page}/contacts", {"channel": "visit", "subject": "x"}, form_page=page)
    assert refused.status_code == 422
    assert "a été anonymisée" in page_text(refused)


DANGEROUS = ['=HYPERLINK("http://x","y")', "+33 6 12 34 56 78", "-2+3", "@SUM(A1)", "\tTab", "\rRetour"]


def test_exports_neutralise_cells_a_spreadsheet_would_run(auth, world, make_party):
    """OWASP CSV injection: `=`, `+`, `-`, `@`, tab, CR at the start of a cell are written after an apostrophe."""
    party = make_party(world.firm_a, company_name=DANGEROUS[0], category="business", kind="client",
                       last_name="", first_name="", notes=DANGEROUS[3], segment=DANGEROUS[2])
    services.add_contact(party, None, {"name": "=1+1"})
    services.record_interaction(party, None, "call_in", DANGEROUS[0], "-rappeler", journal=False)
    db.session.commit()
    auth.login("eleve_a")
    export = auth.client.get("/clients/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(export), delimiter=";"))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + DANGEROUS[0] in cells and "'" + DANGEROUS[2] in cells and "'" + DANGEROUS[3] in cells
    gdpr = auth.client.get(f"/clients/{party.id}/rgpd.csv").get_data().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(gdpr), delimiter=";") for cell in row]
    assert "'=1+1" in cells and "'-rappeler" in cells and "'" + DANGEROUS[0] in cells
    for text in (export, gdpr):
        for row in csv.reader(io.StringIO(text), delimiter=";"):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


def test_the_shared_helper_neutralises_every_trigger_and_imports_take_it_back():
    from crm.core.spreadsheet_csv import neutralise, neutralise_typed, restore

    for text in DANGEROUS:
        assert neutralise(text) == "'" + text
        assert restore(neutralise(text)) == text
    for text in ("Dupont", "1 234,50", "'quoted", "", "a=b"):
        assert neutralise(text) == text and restore(text) == text
    assert neutralise(None) == "" and neutralise(-3) == "'-3"
    # In an xlsx file only text can be a formula: numbers keep their type.
    assert neutralise_typed("=A1") == "'=A1" and neutralise_typed(-3) == -3 and neutralise_typed(None) is None


def test_an_import_keeps_the_text_as_typed(auth, world):
    auth.login("eleve_a")
    text = 'nom;raison sociale;catégorie;notes\r\nMartin;=HYPERLINK("http://x","y");professionnel;@note\r\n'
    preview = _upload(auth, text.encode())
    assert preview.status_code == 200, page_text(preview)
    assert _confirm(auth, preview).status_code == 302
    party = db.session.scalar(select(Party).where(Party.firm_id == world.firm_a.id))
    assert party.company_name == '=HYPERLINK("http://x","y")' and party.notes == "@note"
