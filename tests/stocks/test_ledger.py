"""The stock ledger: atomic on-hand, CMUP at each reception, the fiche de stock, refusals."""
from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.core.errors import DomainError
from crm.extensions import db
from crm.formation.models import Activity
from crm.stocks import services
from crm.stocks.models import StockMove
from tests.conftest import page_text
from tests.factories import firm_today


def _text(response) -> str:
    return page_text(response).replace("\u202f", " ").replace("\xa0", " ")


def _textbook_card(world, product):
    """The stock card of the textbook exercise (figures checked by hand below)."""
    firm, user = world.firm_a, world.trainee_a
    move = services.move_stock
    # 01/03 reception 100 × 5,00 = 500,00          → stock 100, CMUP 5,00, value 500,00
    move(firm, user, product, 100, "reception", D("5.00"), "BL F-101", moved_on=date(2026, 3, 1))
    # 05/03 delivery 40 at CMUP 5,00 = 200,00      → stock 60, value 300,00
    move(firm, user, product, -40, "delivery", source="BL 0001", moved_on=date(2026, 3, 5))
    # 10/03 reception 140 × 6,00 = 840,00          → CMUP = (300 + 840) / (60 + 140) = 1 140 / 200 = 5,70
    move(firm, user, product, 140, "reception", D("6.00"), "BL F-117", moved_on=date(2026, 3, 10))
    # 15/03 counter sale 50 × 5,70 = 285,00        → stock 150, value 855,00
    move(firm, user, product, -50, "counter_sale", source="Ticket 12", moved_on=date(2026, 3, 15))
    # 20/03 customer return 5 × 5,70 = 28,50       → stock 155, value 883,50
    move(firm, user, product, 5, "customer_return", source="Avoir 3", moved_on=date(2026, 3, 20))
    # 22/03 breakage 3 × 5,70 = 17,10              → stock 152, value 866,40
    move(firm, user, product, -3, "loss", moved_on=date(2026, 3, 22))
    # 25/03 reception 48 × 6,35 = 304,80           → CMUP = (866,40 + 304,80) / 200 = 5,856 → 5,86
    #                                                stock 200, value 200 × 5,86 = 1 172,00
    move(firm, user, product, 48, "reception", D("6.35"), "BL F-130", moved_on=date(2026, 3, 25))


def test_cmup_against_the_textbook_card(world, make_product):
    product = make_product(world.firm_a)
    _textbook_card(world, product)
    db.session.expire_all()
    assert (product.on_hand, product.average_cost, product.stock_value) == (200, D("5.86"), D("1172.00"))
    moves = db.session.scalars(select(StockMove).order_by(StockMove.id)).all()
    assert [m.on_hand_after for m in moves] == [100, 60, 200, 150, 155, 152, 200]
    assert [m.average_cost_after for m in moves] == [D("5.00"), D("5.00"), D("5.70"), D("5.70"),
                                                     D("5.70"), D("5.70"), D("5.86")]
    assert [m.value for m in moves] == [D("500.00"), D("200.00"), D("840.00"), D("285.00"),
                                        D("28.50"), D("17.10"), D("304.80")]
    # The ledger is the truth: the on-hand is the sum of the signed quantities.
    assert db.session.scalar(select(func.sum(StockMove.quantity))) == product.on_hand


def test_stock_card_page_shows_the_running_balance(client, auth, world, make_product):
    product = make_product(world.firm_a, reference="CAF-250")
    _textbook_card(world, product)
    db.session.commit()
    auth.login("eleve_a")
    text = _text(client.get(f"/stocks/articles/{product.id}"))
    for figure in ("500,00 €", "300,00 €", "1 140,00 €", "5,70 €", "855,00 €", "883,50 €",
                   "866,40 €", "304,80 €", "5,86 €", "1 172,00 €", "BL F-117", "Casse / perte"):
        assert figure in text, figure


def test_exit_below_zero_is_refused_and_changes_nothing(world, make_product):
    product = make_product(world.firm_a)
    services.move_stock(world.firm_a, None, product, 2, "reception", D("3"))
    with pytest.raises(DomainError, match="Stock insuffisant .* 2 unités en stock, sortie de 3 refusée"):
        services.move_stock(world.firm_a, None, product, -3, "counter_sale")
    db.session.expire_all()
    assert product.on_hand == 2
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 1


def test_firm_setting_allows_negative_stock(world, make_product):
    product = make_product(world.firm_a)
    services.update_firm_settings(world.firm_a, allow_negative_stock=True)
    services.move_stock(world.firm_a, None, product, -3, "delivery")
    db.session.expire_all()
    assert product.on_hand == -3
    # Another firm keeps the default: refused.
    other = make_product(world.firm_b)
    with pytest.raises(DomainError):
        services.move_stock(world.firm_b, None, other, -1, "delivery")


def test_reception_after_negative_stock_takes_the_new_cost(world, make_product):
    product = make_product(world.firm_a)
    services.update_firm_settings(world.firm_a, allow_negative_stock=True)
    services.move_stock(world.firm_a, None, product, -4, "delivery")
    # Stock −4 counts as nothing in the CMUP: (0 × 0 + 10 × 7,20) / 10 = 7,20, stock 6.
    services.move_stock(world.firm_a, None, product, 10, "reception", D("7.20"))
    db.session.expire_all()
    assert (product.on_hand, product.average_cost) == (6, D("7.20"))


@pytest.mark.parametrize("quantity, kind, message", [
    (5, "delivery", "est une sortie"),
    (-5, "reception", "est une entrée"),
    (0, "adjustment", "différent de zéro"),
])
def test_sign_must_match_the_kind(world, make_product, quantity, kind, message):
    product = make_product(world.firm_a)
    with pytest.raises(DomainError, match=message):
        services.move_stock(world.firm_a, None, product, quantity, kind)


def test_database_refuses_a_wrong_sign(world, make_product):
    product = make_product(world.firm_a)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(StockMove(firm_id=world.firm_a.id, product_id=product.id, kind="delivery",
                                 quantity=5, unit_cost=0, moved_on=firm_today(),
                                 on_hand_after=5, average_cost_after=0))
        db.session.flush()


def test_service_and_untracked_products_and_foreign_firm(world, make_product):
    service = make_product(world.firm_a, stock_tracked=False)
    # A service has no stock: the sales documents may call move_stock for every line.
    assert services.move_stock(world.firm_a, None, service, -1, "delivery") is None
    with pytest.raises(DomainError, match="n'est pas suivi en stock"):
        services.record_manual_move(world.firm_a, None, service, "reception", 1, None, "", "")
    db.session.expire_all()
    assert service.on_hand == 0
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == 0
    foreign = make_product(world.firm_b)
    with pytest.raises(ValueError):
        services.move_stock(world.firm_a, None, foreign, 1, "reception")


def test_a_move_cannot_be_dated_before_the_last_one(world, make_product):
    product = make_product(world.firm_a)
    services.move_stock(world.firm_a, None, product, 5, "reception", moved_on=date(2026, 3, 10))
    with pytest.raises(DomainError, match="ne peut pas être antérieur"):
        services.move_stock(world.firm_a, None, product, -1, "delivery", moved_on=date(2026, 3, 9))


# --- the magasinier's form ------------------------------------------------------

def test_reception_without_order_through_the_form_is_journalled(client, auth, world, make_product):
    product = make_product(world.firm_a, purchase_price=D("4.00"))
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post("/stocks/mouvements/nouveau",
                         {"product_id": product.id, "kind": "reception", "quantity": "12",
                          "unit_cost": "3,50", "source": "BL 4512", "note": ""},
                         form_page="/stocks/mouvements/nouveau")
    assert response.status_code == 302
    db.session.expire_all()
    assert (product.on_hand, product.average_cost) == (12, D("3.50"))
    activity = db.session.scalar(select(Activity).where(Activity.verb == "stock.goods_received"))
    assert activity.codes == ["A3T3C2"] and activity.user_id == world.trainee_a.id


@pytest.mark.parametrize("data, message", [
    ({"kind": "loss", "quantity": "2", "note": ""}, "Indiquez la cause"),
    ({"kind": "reception", "quantity": "abc"}, "Saisissez un nombre entier"),
    ({"kind": "reception", "quantity": "-4"}, "au moins 1"),
    ({"kind": "loss", "quantity": "50", "note": "Carton tombé"}, "Stock insuffisant"),
    ({"kind": "adjustment", "quantity": "1"}, "N'est pas un choix valide"),
])
def test_manual_move_bad_input(client, auth, world, make_product, data, message):
    product = make_product(world.firm_a)
    services.move_stock(world.firm_a, None, product, 10, "reception")
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post("/stocks/mouvements/nouveau", {"product_id": product.id, **data},
                         form_page="/stocks/mouvements/nouveau")
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.expire_all()
    assert product.on_hand == 10


def test_manual_move_refuses_a_product_of_another_firm(client, auth, world, make_product):
    foreign = make_product(world.firm_b)
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post("/stocks/mouvements/nouveau",
                         {"product_id": foreign.id, "kind": "reception", "quantity": "5"},
                         form_page="/stocks/mouvements/nouveau")
    assert response.status_code == 404  # another firm's id, as on every route
    db.session.expire_all()
    assert foreign.on_hand == 0


def test_negative_stock_setting_is_clearly_flagged(client, auth, world, make_product):
    product = make_product(world.firm_a, label="Stylo")
    services.move_stock(world.firm_a, None, product, 3, "reception", D("1"))
    db.session.commit()
    auth.login("eleve_a")
    index = page_text(client.get("/stocks/"))
    assert "Stylo" in index and "Stock négatif autorisé" not in index
    # At the accueil poste, the trainee cannot change a firm-wide rule: no form, and a post is refused.
    assert 'action="/stocks/parametres"' not in index
    refused = auth.post("/stocks/parametres", {"allow_negative_stock": "y"}, follow_redirects=True)
    assert "Seul le professeur ou l'élève au poste de responsable" in page_text(refused)
    db.session.expire_all()
    assert not services.allows_negative_stock(world.firm_a)
    world.membership_a.position = "responsable"
    db.session.commit()
    response = auth.post("/stocks/parametres", {"allow_negative_stock": "y"}, form_page="/stocks/")
    assert response.status_code == 302
    assert "Stock négatif autorisé" in page_text(client.get("/stocks/mouvements/nouveau"))
    db.session.expire_all()
    assert services.allows_negative_stock(world.firm_a)
    assert not services.allows_negative_stock(world.firm_b)
    moves = page_text(client.get("/stocks/mouvements"))
    assert "Réception fournisseur" in moves and "+3" in moves
