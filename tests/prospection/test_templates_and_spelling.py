"""Message templates: merge fields (unknown ones refused, named), merged values, French spell check."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.core.errors import DomainError
from crm.extensions import db
from crm.prospection import merge, messaging, spelling
from crm.prospection.models import MessageTemplate
from tests.conftest import page_text
from tests.prospection.conftest import TODAY


def test_unknown_merge_fields_are_refused_naming_them(auth, firm_a, world):
    auth.login("eleve_a")
    response = auth.post("/prospection/modeles/nouveau", {
        "name": "Relance", "kind": "letter", "purpose": "", "subject": "Votre facture {{ numero_facture }}",
        "salutation": "{{ formule_appel }},", "body": "Bonjour {{ nom_client }}, à bientôt.", "closing": ""},
        form_page="/prospection/modeles/nouveau")
    assert response.status_code == 422
    page = page_text(response)
    assert "L'objet utilise un champ de fusion inconnu : {{ numero_facture }}." in page
    assert "Vouliez-vous écrire {{ numero_document }} au lieu de {{ numero_facture }} ?" in page
    assert db.session.scalar(select(func.count(MessageTemplate.id))) == 0


def test_several_unknown_fields_and_stray_braces(firm_a, world):
    with pytest.raises(DomainError) as refused:
        merge.check_text("{{ prenom }} {{ age }} {{ pointure }}", "body", "Le corps du message")
    assert refused.value.message.startswith(
        "Le corps du message utilise des champs de fusion inconnus : {{ age }}, {{ pointure }}.")
    assert refused.value.field == "body"
    with pytest.raises(DomainError, match="accolades mal fermées"):
        merge.check_text("Bonjour {{ nom }", "body")
    with pytest.raises(DomainError, match="inconnu : {{ nom.upper\\(\\) }}"):
        merge.check_text("{{ nom.upper() }}")  # no attribute, no call: a name or nothing


def test_merge_fields_take_the_recipients_values(firm_a, world, make_party):
    party = make_party(firm_a, civility="Mme", first_name="Claire", last_name="Dubois",
                       address_line1="8 avenue Foch", postcode="69006", city="Lyon")
    values = merge.values_for(firm_a, world.trainee_a, "Commercial", party, TODAY)
    text = merge.merge(
        "{{ formule_appel }}, {{ civilite }} {{ prenom }} {{ nom }} ({{ ville }}) — "
        "{{ eleve }}, {{ poste }}, {{ entreprise }}, le {{ date_du_jour }}.{{ numero_document }}",
        values,
    )
    assert text == ("Madame, Mme Claire Dubois (Lyon) — Élève 3, Commercial, Firme A, le 16 mars 2026."
                    .replace("Élève 3", world.trainee_a.display_name))
    business = make_party(firm_a, category="business", company_name="Boulangerie Martin")
    assert merge.values_for(firm_a, None, "", business, TODAY)["formule_appel"] == "Madame, Monsieur"


def test_invoice_fields_are_formatted_the_french_way(firm_a, world, make_party):
    figures = merge.DocumentFigures(
        label="Facture", number="FA2026-0001", issue_date=date(2026, 1, 5), total_ttc=Decimal("1200.00"),
        balance_due=Decimal("1200.00"), due_date=date(2026, 2, 4), days_late=40, penalty_rate=Decimal("10"),
        penalties=Decimal("13.15"), indemnity=Decimal("40"), total_to_pay=Decimal("1253.15"))
    values = merge.values_for(firm_a, None, "", make_party(firm_a), TODAY, figures)
    assert merge.merge("{{ document }} du {{ date_document }} : {{ reste_du }} dû depuis le {{ date_echeance }} "
                       "({{ jours_de_retard }} jours), pénalités {{ penalites_de_retard }} au taux de "
                       "{{ taux_penalites }}, indemnité {{ indemnite_forfaitaire }}, total {{ total_a_regler }}.",
                       values).replace("\u202f", " ").replace("\xa0", " ") == (
        "Facture FA2026-0001 du 05/01/2026 : 1 200,00 € dû depuis le 04/02/2026 (40 jours), pénalités 13,15 € "
        "au taux de 10 %, indemnité 40,00 €, total 1 253,15 €.")


def test_spell_check_flags_unknown_french_words_but_not_names():
    text = "Madame, nous vous remercions pour votre comande de chaises. Sincèrement, Hugo Nguyen, Comptoir."
    unknown = spelling.check(text, spelling.ignored_words("Hugo Nguyen", "Comptoir"))
    assert [u.word for u in unknown] == ["comande"]
    assert "commande" in unknown[0].suggestions
    marked = spelling.highlight(text, unknown)
    assert '<mark class="misspelt" title="Suggestions : ' in marked and ">comande</mark>" in marked


def test_spell_check_knows_elisions_hyphens_and_acronyms():
    text = ("Aujourd'hui, l'offre qu'il vous propose jusqu'au 30 avril : rendez-vous, prix TTC, SIRET, "
            "ci-joint le devis.")
    assert spelling.check(text) == []


def test_highlight_escapes_html():
    text = "<script>alert(1)</script> erreurr"
    marked = spelling.highlight(text, spelling.check(text))
    assert "<script>" not in marked and "&lt;script&gt;" in marked and ">erreurr</mark>" in marked


def test_template_preview_shows_the_spell_check(auth, firm_a, world, make_template):
    template = make_template(firm_a, world.trainee_a, body="Nous vous proposons une remise exeptionnelle.")
    db.session.commit()
    auth.login("eleve_a")
    page = page_text(auth.client.get(f"/prospection/modeles/{template.id}"))
    assert "1 mot inconnu du dictionnaire est surligné" in page
    assert ">exeptionnelle</mark>" in page


def test_template_saved_records_preparing_and_writing(firm_a, world, make_template):
    from crm.formation.models import Activity

    make_template(firm_a, world.trainee_a)
    activity = db.session.scalar(select(Activity).where(Activity.verb == "message_template.written"))
    assert {c.code for c in activity.competencies} == {"A2T1C4", "A2T2C1"}


def test_two_templates_cannot_share_a_name(firm_a, world, make_template):
    make_template(firm_a, world.trainee_a, name="Offre")
    with pytest.raises(DomainError, match="existe déjà"):
        make_template(firm_a, world.trainee_a, name="offre")
    assert messaging.templates_of(firm_a)[0].name == "Offre"
