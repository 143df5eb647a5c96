"""The indicator screens as trainees and teachers use them: figures shown with their formulas,
periods, the journal (A3T3C4, A3T3C5), analyses, the class view, isolation and bad input."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crm.core.models import Role
from crm.extensions import db
from crm.formation.models import Activity
from crm.indicateurs.models import PerformanceAnalysis
from crm.ventes.caisse import services as till
from crm.ventes.models import Product
from tests.conftest import page_text as _page_text


def page_text(response) -> str:
    """What a reader sees: tags removed, spaces collapsed, entities decoded."""
    return visible(_page_text(response))


def visible(html: str) -> str:
    import re

    html = re.sub(r"<(script|svg)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html).replace("\xa0", " ").replace("\u202f", " ")
    return re.sub(r"[ \t\n]+", " ", text).replace(" ,", ",").replace(" .", ".")


def _activities(verb):
    return db.session.scalars(select(Activity).where(Activity.verb == verb).order_by(Activity.id)).all()


def test_dashboard_shows_each_figure_with_its_worked_formula(shop, auth):
    auth.login("eleve_a")
    response = auth.client.get("/indicateurs/")
    text = page_text(response)
    assert response.status_code == 200
    assert "Novembre 2026 : du 01/11/2026 au 20/11/2026" in text
    assert "du 01/10/2026 au 20/10/2026" in text
    assert "CA HT = factures HT − avoirs HT + tickets HT" in text
    assert "= 230,40 € (factures HT) − 40,50 € (avoirs HT) + 260,00 € (tickets HT) = 449,90 €" in text
    assert "Panier moyen = CA TTC ÷ nombre de ventes" in text and "177,54 €" in text
    assert "= 251,74 € (marge brute) ÷ 198,16 € (coût d'achat) × 100 = 127,04 %" in text
    assert "évolution +57,9 %" in text
    assert "Mobilier : 331,50 € ÷ 449,90 € × 100 = 73,7 %" in text
    assert "Taux de transformation = devis acceptés ÷ devis envoyés × 100" in text
    assert "Taux de satisfaction = avis satisfaits (note 4 ou 5) ÷ avis recueillis × 100" in text
    assert "Rotation = coût des sorties pour ventes ÷ stock moyen" in text
    assert ("Taux de contacts joints = cibles jointes ÷ cibles appelées × 100"
            " = 3 (jointes) ÷ 4 (appelées) × 100 = 75 %") in text


def test_the_page_draws_its_charts_without_script(shop, auth):
    auth.login("eleve_a")
    html = auth.client.get("/indicateurs/").get_data(as_text=True)
    assert html.count("<svg") == 5  # revenue over time, families, funnels of quotes, prospects and calls
    assert "<script" not in html.split("<main", 1)[1]
    assert "HT par jour — novembre 2026</figcaption>" in html


def test_another_firms_sales_never_show(shop, auth):
    auth.login("eleve_a")
    text = page_text(auth.client.get("/indicateurs/"))
    assert "9 999" not in text and "Client B" not in text
    auth.logout()
    auth.login("eleve_b")
    text = page_text(auth.client.get("/indicateurs/"))
    assert "9 999,00 €" in text and "449,90" not in text


def test_a_firm_without_sales_gets_an_empty_state(world, auth):
    auth.login("eleve_a")
    response = auth.client.get("/indicateurs/")
    text = page_text(response)
    assert response.status_code == 200
    assert "Aucune vente sur cette période" in text and "Enregistrez une vente" in text
    assert "Aucune analyse écrite pour cette période" in text


@pytest.mark.parametrize("query, message", [
    ("periode=annee", "Choisissez une période"),
    ("periode=custom&du=2026-11-10", "Indiquez la date de début et la date de fin de la période."),
    ("periode=custom&du=2026-11-10&au=2026-11-01", "La date de fin précède la date de début."),
    ("periode=month&date=pas-une-date", "date"),
    ("periode=month&date=1899-01-01", "Choisissez une date entre"),
    ("periode=custom&du=2019-01-01&au=2026-11-01", "trois ans au plus"),
])
def test_bad_periods_answer_422_with_a_french_message_and_the_default_period(shop, auth, query, message):
    auth.login("eleve_a")
    response = auth.client.get(f"/indicateurs/?{query}")
    assert response.status_code == 422
    text = page_text(response)
    assert message in text and "Novembre 2026 : du 01/11/2026" in text


def test_period_chooser_and_navigation(shop, auth):
    auth.login("eleve_a")
    text = page_text(auth.client.get("/indicateurs/?periode=week&date=2026-11-04"))
    assert "Semaine du 02/11/2026 au 08/11/2026" in text and "230,40" in text
    assert "semaine précédente" in text and "semaine suivante" in text
    text = page_text(auth.client.get("/indicateurs/?periode=day&date=2026-11-12"))
    assert "140,00 € (tickets HT)" in text


def test_consulting_is_journalled_once_an_hour_per_period(shop, auth):
    auth.login("eleve_a")
    auth.client.get("/indicateurs/")
    auth.client.get("/indicateurs/")
    auth.client.get("/indicateurs/?periode=week")
    consulted = _activities("indicators.consulted")
    assert [a.summary for a in consulted] == ["Indicateurs consultés : novembre 2026",
                                              "Indicateurs consultés : semaine du 16/11/2026 au 22/11/2026"]
    assert consulted[0].codes == ["A3T3C4"] and consulted[0].user_id == shop.seller.id


def test_a_teacher_reading_a_firm_is_not_journalled(shop, auth):
    auth.login("prof_a")
    auth.post(f"/entreprises/{shop.firm.id}/entrer")
    assert auth.client.get("/indicateurs/").status_code == 200
    assert _activities("indicators.consulted") == []


def test_trainee_writes_an_analysis_kept_with_the_period(shop, auth):
    auth.login("eleve_a")
    form_page = "/indicateurs/?periode=month&date=2026-11-01"
    refused = auth.post("/indicateurs/analyses", {"periode": "month", "date": "2026-11-01",
                                                  "strengths": "Le CA progresse de 57,9 %.", "proposals": ""},
                        form_page=form_page)
    assert refused.status_code == 422
    text = page_text(refused)
    assert "Le champ « Mes propositions d'amélioration » est obligatoire." in text
    assert "Le CA progresse de 57,9 %." in text  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(PerformanceAnalysis)) == 0
    done = auth.post("/indicateurs/analyses", {"periode": "month", "date": "2026-11-01",
                                               "strengths": "Le CA progresse de 57,9 %.",
                                               "proposals": "Proposer la chaise avec la table."}, form_page=form_page)
    assert done.status_code == 302 and done.headers["Location"].endswith("#analyses")
    analysis = db.session.scalar(select(PerformanceAnalysis))
    assert (analysis.period_kind, analysis.period_start, analysis.period_end, analysis.author_id) == (
        "month", date(2026, 11, 1), date(2026, 11, 20), shop.seller.id)
    assert _activities("indicators.analysed")[0].codes == ["A3T3C4", "A3T3C5"]
    text = page_text(auth.client.get(form_page))
    assert "Proposer la chaise avec la table." in text
    assert "Proposer la chaise" not in page_text(auth.client.get("/indicateurs/?periode=month&date=2026-10-01"))
    assert "Proposer la chaise avec la table." in page_text(auth.client.get("/indicateurs/analyses"))


def test_teachers_read_analyses_but_do_not_write_them(shop, auth):
    auth.login("prof_a")
    auth.post(f"/entreprises/{shop.firm.id}/entrer")
    assert "Enregistrer mon analyse" not in page_text(auth.client.get("/indicateurs/"))
    response = auth.post("/indicateurs/analyses", {"periode": "month", "strengths": "x", "proposals": "y"})
    assert response.status_code == 404


def _second_firm(world, make_firm, make_user, make_member):
    """Firm A2 in the same classroom: one ticket of 100,00 HT on 10/11 by eleve_d."""
    firm = make_firm(world.classroom_a, trade_name="Firme A2", business_date=date(2026, 11, 20))
    trainee = make_user(Role.TRAINEE, "eleve_d", classroom=world.classroom_a, display_name="Élève D")
    make_member(trainee, firm, "commercial")
    product = Product(firm_id=firm.id, reference="P", label="Prestation", sale_price=D("100.00"),
                      purchase_price=D("30.00"), vat_rate=D("20"), stock_tracked=False)
    db.session.add(product)
    db.session.flush()
    till.sell(firm, trainee, [till.TicketLine(product, 1)], [("card", "120")], today=date(2026, 11, 10))
    db.session.commit()
    return firm


def test_class_view_puts_the_firms_side_by_side(shop, auth, make_firm, make_user, make_member):
    _second_firm(shop.world, make_firm, make_user, make_member)
    auth.login("prof_a")
    response = auth.client.get(f"/indicateurs/classes/{shop.world.classroom_a.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Firme A" in text and "Firme A2" in text and "Novembre 2026" in text
    assert "449,90" in text and "100,00" in text  # each firm's CA HT
    # A2's margin rate: (100 − 30) ÷ 30 × 100 = 233,33 %, the best of the row
    assert "233,33" in text
    assert "Élève D" in text and "Élève C" in text  # each trainee's own figures
    assert "Taux de contacts joints ★ 75 %" in text  # the best of the row (A2 has no call plan)
    assert "9 999" not in text  # firm B is in another classroom


def test_class_view_is_only_for_the_teacher_of_the_classroom(shop, auth):
    classroom = shop.world.classroom_a.id
    auth.login("prof_b")
    assert auth.client.get(f"/indicateurs/classes/{classroom}").status_code == 404
    auth.logout()
    auth.login("eleve_a")
    assert auth.client.get(f"/indicateurs/classes/{classroom}").status_code == 404


def test_classroom_page_and_menu_lead_to_the_indicators(shop, auth):
    auth.login("prof_a")
    text = auth.client.get(f"/admin/classes/{shop.world.classroom_a.id}").get_data(as_text=True)
    assert f"/indicateurs/classes/{shop.world.classroom_a.id}" in text
    auth.logout()
    auth.login("eleve_a")
    home = auth.client.get("/").get_data(as_text=True)
    assert 'href="/indicateurs/"' in home
    assert "Indicateurs commerciaux" in page_text(auth.client.get("/indicateurs/"))


def test_class_view_leaves_archived_firms_out(shop, auth, make_firm, make_user, make_member):
    from crm.core.models import utcnow

    archived = _second_firm(shop.world, make_firm, make_user, make_member)
    archived.archived_at = utcnow()
    db.session.commit()
    auth.login("prof_a")
    text = page_text(auth.client.get(f"/indicateurs/classes/{shop.world.classroom_a.id}"))
    assert "Firme A" in text and "Firme A2" not in text
