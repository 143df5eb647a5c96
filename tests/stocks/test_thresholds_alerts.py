"""Thresholds (typed or computed alert point), alerts page and navigation badge."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.formation.models import Activity
from crm.stocks import services
from crm.stocks.models import StockThreshold
from tests.conftest import page_text
from tests.factories import firm_today

VALID = {"minimum": "5", "safety": "5", "maximum": "60", "alert_mode": "typed", "alert": "15",
         "period_days": "", "lead_time_days": ""}


def _consumed(world, product):
    """Moves over the last 45 days; the 30-day window sees 40 + 50 − 5 = 85 units consumed."""
    today = firm_today()
    move = services.move_stock
    move(world.firm_a, None, product, 300, "reception", D("2"), moved_on=today - timedelta(days=45))
    move(world.firm_a, None, product, -10, "delivery", moved_on=today - timedelta(days=40))  # outside
    move(world.firm_a, None, product, -40, "delivery", moved_on=today - timedelta(days=15))
    move(world.firm_a, None, product, -50, "counter_sale", moved_on=today - timedelta(days=10))
    move(world.firm_a, None, product, 5, "customer_return", moved_on=today - timedelta(days=5))
    move(world.firm_a, None, product, -7, "loss", moved_on=today - timedelta(days=4))  # not consumption


def test_computed_alert_point(world, make_product):
    product = make_product(world.firm_a)
    _consumed(world, product)
    # 85 units over 30 days → 2,83 a day; lead time 6 days → 85 × 6 / 30 = 17; + safety 5 = 22.
    computation = services.compute_alert(product, 30, 6, 5)
    assert (computation.consumption, computation.daily, computation.alert) == (85, D("2.83"), 22)
    assert "2,83 × 6 j de délai + 5 de sécurité = 22" in computation.explanation
    # 85 × 4 / 30 = 11,33 → rounded up to 12; + 5 = 17.
    assert services.compute_alert(product, 30, 4, 5).alert == 17
    threshold = services.set_thresholds(product, minimum=5, safety=5, maximum=100, alert_mode="computed",
                                        period_days=30, lead_time_days=6)
    assert (threshold.alert, threshold.alert_mode, threshold.period_days) == (22, "computed", 30)


def test_thresholds_form_and_computation_preview(client, auth, world, make_product):
    product = make_product(world.firm_a)
    _consumed(world, product)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/articles/{product.id}/seuils"
    preview = auth.post(url, {**VALID, "alert_mode": "computed", "period_days": "30", "lead_time_days": "6",
                              "preview": "1"}, form_page=url)
    assert preview.status_code == 200
    assert "2,83 × 6 j de délai + 5 de sécurité = 22" in page_text(preview)
    assert db.session.scalar(select(StockThreshold)) is None  # a preview saves nothing
    response = auth.post(url, VALID, form_page=url)
    assert response.status_code == 302
    db.session.expire_all()
    threshold = db.session.scalar(select(StockThreshold))
    assert (threshold.minimum, threshold.safety, threshold.alert, threshold.maximum) == (5, 5, 15, 60)


@pytest.mark.parametrize("changes, message", [
    ({"minimum": "-1"}, "ne peut pas être négative"),
    ({"safety": "deux"}, "Saisissez un nombre entier"),
    ({"minimum": "70"}, "Le stock maximum ne peut pas être inférieur au stock minimum"),
    ({"alert": "80"}, "ne peut pas être inférieur au stock d'alerte (80)"),
    ({"alert": "3"}, "Le stock d'alerte ne peut pas être inférieur au stock de sécurité"),
    ({"alert": ""}, "Le stock d'alerte doit être un nombre entier"),
    ({"alert_mode": "computed", "period_days": "", "lead_time_days": "5"}, "période d'observation"),
    ({"alert_mode": "computed", "period_days": "0", "lead_time_days": "5"}, "Au moins 1 jour"),
])
def test_bad_thresholds_are_refused(client, auth, world, make_product, changes, message):
    product = make_product(world.firm_a)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/articles/{product.id}/seuils"
    response = auth.post(url, {**VALID, **changes}, form_page=url)
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.expire_all()
    assert db.session.scalar(select(StockThreshold)) is None


def test_database_checks_threshold_order(world, make_product):
    product = make_product(world.firm_a)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(StockThreshold(firm_id=world.firm_a.id, product_id=product.id,
                                      minimum=10, safety=0, alert=5, maximum=8))
        db.session.flush()


def test_alerts_page_badge_and_answering_an_alert(client, auth, world, make_product):
    low = make_product(world.firm_a, reference="LOW", label="Stylo bleu")
    fine = make_product(world.firm_a, reference="OK", label="Cahier")
    foreign = make_product(world.firm_b, reference="B-LOW", label="Gomme de B")
    for firm, product, quantity in ((world.firm_a, low, 8), (world.firm_a, fine, 40), (world.firm_b, foreign, 1)):
        services.move_stock(firm, None, product, quantity, "reception", D("1"))
        services.set_thresholds(product, minimum=4, safety=4, maximum=50, alert_mode="typed", alert=10)
    db.session.commit()
    alerts = services.stock_alerts(world.firm_a)
    assert [(a.product.reference, a.on_order, a.proposed) for a in alerts] == [("LOW", 0, 42)]  # 50 − 8 − 0
    auth.login("eleve_a")
    text = page_text(client.get("/stocks/alertes"))
    assert "Stylo bleu" in text and "Cahier" not in text and "Gomme de B" not in text
    assert "Articles en alerte de stock\">1</span>" in page_text(client.get("/ventes/"))
    # Answering the alert: a reception of the proposed quantity from the alert page.
    response = auth.post("/stocks/mouvements/nouveau",
                         {"product_id": low.id, "kind": "reception", "quantity": "42", "alert": "1"},
                         form_page=f"/stocks/mouvements/nouveau?product_id={low.id}&quantity=42&alert=1")
    assert response.status_code == 302
    db.session.expire_all()
    assert services.stock_alerts(world.firm_a) == []
    assert db.session.scalar(select(Activity).where(Activity.verb == "stock.alert_answered")).codes == ["A3T3C2"]
    assert "Articles en alerte de stock" not in page_text(client.get("/ventes/"))


def test_in_alert_at_or_under_the_greater_of_alert_point_and_minimum(world, make_product):
    """Minimum 8 above an alert point of 5: at 8 the product is in alert (under its minimum), at 9 it is not;
    an inactive or untracked product, or one without thresholds, never is."""
    move = services.move_stock
    at_minimum, above, inactive, no_threshold = (make_product(world.firm_a, reference=r)
                                                 for r in ("MIN8", "NEUF", "INACTIF", "SANS"))
    for product, quantity in ((at_minimum, 8), (above, 9), (inactive, 1), (no_threshold, 0)):
        if quantity:
            move(world.firm_a, None, product, quantity, "reception", D("1"))
    for product in (at_minimum, above, inactive):
        services.set_thresholds(product, minimum=8, safety=2, maximum=20, alert_mode="typed", alert=5)
    inactive.active = False
    db.session.flush()
    assert at_minimum.alert_point == 8
    assert [a.product.reference for a in services.stock_alerts(world.firm_a)] == ["MIN8"]
    assert services.stock_alert_count(world.firm_a) == 1
    move(world.firm_a, None, above, -1, "loss")  # 8 left: at its minimum now
    assert services.stock_alert_count(world.firm_a) == 2
    services.set_thresholds(above, minimum=3, safety=2, maximum=20, alert_mode="typed", alert=5)
    assert services.stock_alert_count(world.firm_a) == 1  # 8 > max(5, 3)
