"""Purchasing: supplier terms, purchase orders from the reorder proposals, goods receipts.

Every figure is computed by hand in the comments.
"""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from crm.clients import services as clients
from crm.core.errors import DomainError
from crm.core.numbering_models import DocumentCounter
from crm.core.pdf import pdf_available
from crm.extensions import db
from crm.formation.models import Activity
from crm.stocks import purchasing, services
from crm.stocks.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, StockMove
from crm.stocks.purchasing import ReceiptLineInput as R
from tests.conftest import page_text
from tests.querycount import counting
from tests.stocks.test_thresholds_alerts import _consumed
from tests.factories import firm_today

TODAY = firm_today()
YEAR = TODAY.year


def supplier(firm, name="Papeterie Grossiste", lead=None, minimum=None):
    party = clients.create_party(firm, None, {"kind": "supplier", "category": "business",
                                              "company_name": name}, journal=False)
    if lead is not None:
        purchasing.set_supplier_terms(party, lead, minimum)
    return party


def stocked(world, make_product, reference, on_hand, price, alert, maximum, supplier_party=None, firm=None):
    firm = firm or world.firm_a
    product = make_product(firm, reference=reference, purchase_price=D(price))
    if on_hand:
        services.move_stock(firm, None, product, on_hand, "reception", D(price), moved_on=TODAY - timedelta(days=3))
    services.set_thresholds(product, minimum=min(alert, 2), safety=min(alert, 2), maximum=maximum,
                            alert_mode="typed", alert=alert,
                            supplier_id=supplier_party.id if supplier_party else None)
    return product


def plain(value: str) -> str:
    """Amounts print with non-breaking spaces (1 234,56 €): compare with plain spaces."""
    return value.replace("\xa0", " ").replace("\u202f", " ")


def activities(verb):
    return db.session.scalars(select(Activity).where(Activity.verb == verb).order_by(Activity.id)).all()


# --- supplier terms and the computed alert point ---------------------------------

def test_computed_alert_point_uses_the_preferred_suppliers_lead_time(world, make_product):
    product = make_product(world.firm_a)
    _consumed(world, product)  # 85 units consumed over the last 30 days
    grossiste = supplier(world.firm_a, lead=6)
    # Typed lead time 2 is overridden by the supplier's 6 days: 85 × 6 / 30 = 17; + safety 5 = 22.
    threshold = services.set_thresholds(product, minimum=5, safety=5, maximum=100, alert_mode="computed",
                                        period_days=30, lead_time_days=2, supplier_id=grossiste.id)
    assert (threshold.alert, threshold.lead_time_days, threshold.supplier_id) == (22, 6, grossiste.id)
    assert product.alert_point == 22  # what the alert count reads
    # The supplier now delivers in 4 days: 85 × 4 / 30 = 11,33 → 12; + 5 = 17, recomputed at once.
    purchasing.set_supplier_terms(grossiste, 4, D("150"))
    db.session.refresh(threshold)
    db.session.refresh(product)
    assert (threshold.alert, threshold.lead_time_days, product.alert_point) == (17, 4, 17)
    # 30 days: 85 × 30 / 30 = 85 + 5 = 90 ≤ 100 is fine; 40 days: 85 × 40 / 30 = 113,33 → 114 + 5 = 119 > 100.
    with pytest.raises(DomainError, match="au-dessus de son stock maximum"):
        purchasing.set_supplier_terms(grossiste, 40, D("150"))


@pytest.mark.parametrize("lead, minimum, message", [
    ("-2", "100", "ne peut pas être négative"),
    ("deux", "100", "Saisissez un nombre entier"),
    ("", "100", "obligatoire"),
    ("5", "-10", "ne peut pas être négative"),
    ("5", "cent", "Ce n'est pas un nombre"),
])
def test_bad_supplier_terms_are_refused(client, auth, world, lead, minimum, message):
    party = supplier(world.firm_a)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/fournisseurs/{party.id}"
    response = auth.post(url, {"lead_time_days": lead, "minimum_order": minimum}, form_page=url)
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.expire_all()
    assert purchasing.terms_of(party) is None


def test_supplier_terms_form_and_non_supplier_party(client, auth, world):
    party = supplier(world.firm_a)
    prospect = clients.create_party(world.firm_a, None, {"kind": "prospect", "category": "private",
                                                         "last_name": "Durand"}, journal=False)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/fournisseurs/{party.id}"
    assert auth.post(url, {"lead_time_days": "7", "minimum_order": "250,50"}, form_page=url).status_code == 302
    db.session.expire_all()
    terms = purchasing.terms_of(party)
    assert (terms.lead_time_days, terms.minimum_order) == (7, D("250.50"))
    assert "250,50 €" in plain(page_text(client.get("/stocks/fournisseurs")))
    assert client.get(f"/stocks/fournisseurs/{prospect.id}").status_code == 404


# --- reorder proposals → one draft per supplier ----------------------------------

def _alert_world(world, make_product):
    """Four products at or under their alert point; two suppliers, one product without supplier."""
    s1 = supplier(world.firm_a, "Papeterie Grossiste", lead=5, minimum=D("500"))
    s2 = supplier(world.firm_a, "Encres du Nord", lead=3)
    a = stocked(world, make_product, "A", 4, "10.00", 10, 50, s1)      # proposed 50 − 4 = 46
    b = stocked(world, make_product, "B", 0, "5.50", 5, 20, s1)        # proposed 20 − 0 = 20
    c = stocked(world, make_product, "C", 3, "2.00", 8, 30, s2)        # proposed 30 − 3 = 27
    d = stocked(world, make_product, "D", 1, "1.00", 5, 10)            # no supplier: left out
    stocked(world, make_product, "E", 40, "1.00", 5, 60, s1)           # above its alert: not proposed
    return s1, s2, a, b, c, d


def test_one_click_orders_one_draft_per_supplier(world, make_product):
    s1, s2, a, b, c, d = _alert_world(world, make_product)
    result = purchasing.orders_from_proposals(world.firm_a, world.trainee_a)
    by_supplier = {order.supplier_id: order for order in result.orders}
    assert set(by_supplier) == {s1.id, s2.id}
    first = by_supplier[s1.id]
    assert [(item.product.reference, item.quantity, item.unit_price) for item in first.lines] == [
        ("A", 46, D("10.00")), ("B", 20, D("5.50"))]
    # 46 × 10 = 460 + 20 × 5,50 = 110 → 570 HT; TVA 20 % = 114; TTC 684.
    assert (first.total_ht, first.total_vat, first.total_ttc) == (D("570.00"), D("114.00"), D("684.00"))
    assert [(item.product.reference, item.quantity) for item in by_supplier[s2.id].lines] == [("C", 27)]
    assert [p.reference for p in result.without_supplier] == ["D"]
    assert [plain(w) for w in result.warnings] == []  # 570 ≥ the 500 minimum
    assert all(o.is_draft and o.number is None for o in result.orders)
    # A second click updates the same drafts instead of duplicating them.
    again = purchasing.orders_from_proposals(world.firm_a, world.trainee_a)
    assert {o.id for o in again.orders} == {o.id for o in result.orders}
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrder)) == 2


def test_proposal_under_the_minimum_is_flagged_and_its_validation_refused(world, make_product):
    s1 = supplier(world.firm_a, "Papeterie Grossiste", lead=5, minimum=D("500"))
    stocked(world, make_product, "A", 4, "10.00", 10, 50, s1)  # 46 × 10 = 460 HT < 500
    result = purchasing.orders_from_proposals(world.firm_a, world.trainee_a)
    assert [plain(w) for w in result.warnings] == [
        "Brouillon préparé, à compléter : Le minimum de commande de Papeterie Grossiste est de 500,00 € HT ; cette "
        "commande fait 460,00 € HT : complétez-la avant de la valider."
    ]
    order = result.orders[0]
    with pytest.raises(DomainError, match="Commande refusée. Le minimum de commande"):
        purchasing.validate_order(world.firm_a, world.trainee_a, order)
    assert order.number is None and order.is_draft
    # 50 × 10 = 500 HT: exactly the minimum is accepted.
    purchasing.set_order_line(order, order.lines[0].product, 50)
    purchasing.validate_order(world.firm_a, world.trainee_a, order)
    assert order.number == f"CF{YEAR}-0001"


def test_already_on_order_and_proposed_quantity(world, make_product):
    s1 = supplier(world.firm_a, lead=5)
    a = stocked(world, make_product, "A", 4, "10.00", 10, 50, s1)
    order = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    line = purchasing.set_order_line(order, a, 30)
    [alert] = purchasing.alerts_with_orders(world.firm_a)
    assert (alert.on_order, alert.proposed) == (0, 46)  # a draft is not on order: 50 − 4 − 0
    purchasing.validate_order(world.firm_a, world.trainee_a, order)
    [alert] = purchasing.alerts_with_orders(world.firm_a)
    assert (alert.on_order, alert.proposed) == (30, 16)  # 50 − 4 − 30
    # 5 arrive: on hand 9 (still ≤ alert 10), on order 30 − 5 = 25, proposed 50 − 9 − 25 = 16.
    receipt = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(5)})
    purchasing.validate_receipt(world.firm_a, world.trainee_a, receipt)
    [alert] = purchasing.alerts_with_orders(world.firm_a)
    assert (a.on_hand, alert.on_order, alert.proposed) == (9, 25, 16)
    assert order.status == "partially_received"
    # The one-click order proposes only what is not already on order.
    [draft] = purchasing.orders_from_proposals(world.firm_a, world.trainee_a).orders
    assert [(item.product.reference, item.quantity) for item in draft.lines] == [("A", 16)]
    # What is on order, with what settles each line, is one statement however many lines.
    with counting(db.engine) as tally:
        assert purchasing.on_order(world.firm_a, [a.id]) == {a.id: 25}
        assert purchasing.on_order(world.firm_a) == {a.id: 25}
    assert tally.count == 2, tally.statements


# --- receptions: CMUP, partial, discrepancies, over-reception ------------------------

def _ordered(world, make_product, quantity=30, price="10.00"):
    """10 units in stock at a CMUP of 8,00; an order of `quantity` at `price`, validated."""
    s1 = supplier(world.firm_a, lead=5)
    product = make_product(world.firm_a, reference="CH-045", purchase_price=D("8.00"))
    services.move_stock(world.firm_a, None, product, 10, "reception", D("8.00"), moved_on=TODAY - timedelta(days=3))
    order = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    line = purchasing.set_order_line(order, product, quantity, D(price))
    purchasing.validate_order(world.firm_a, world.trainee_a, order)
    return product, order, line


def test_partial_receptions_cmup_and_discrepancies(world, make_product):
    product, order, line = _ordered(world, make_product)
    # First delivery: 20 of 30, 2 of them damaged → 18 accepted.
    first = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY,
                                      {line.id: R(20, 2, note="2 cartons écrasés")}, delivery_note="BL 4512")
    assert product.on_hand == 10  # a draft moves nothing
    purchasing.validate_receipt(world.firm_a, world.trainee_a, first)
    # CMUP = (10 × 8,00 + 18 × 10,00) / 28 = 260 / 28 = 9,2857… → 9,29
    assert (product.on_hand, product.average_cost) == (28, D("9.29"))
    assert first.number == f"BR{YEAR}-0001" and order.status == "partially_received"
    assert purchasing.receipt_discrepancies(first.lines[0]) == ["10 manquants", "2 abîmés"]
    move = db.session.scalar(select(StockMove).order_by(StockMove.id.desc()))
    assert (move.kind, move.quantity, move.unit_cost) == ("reception", 18, D("10.00"))
    assert move.source == f"BR{YEAR}-0001 (CF{YEAR}-0001)"
    # The rest: 30 − 18 = 12 still expected (the damaged units included), all arrive.
    assert purchasing.remaining_by_line(order) == {line.id: 12}
    second = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(12)})
    purchasing.validate_receipt(world.firm_a, world.trainee_a, second)
    # CMUP = (28 × 9,29 + 12 × 10,00) / 40 = (260,12 + 120) / 40 = 9,503 → 9,50
    assert (product.on_hand, product.average_cost) == (40, D("9.50"))
    assert second.number == f"BR{YEAR}-0002" and order.status == "received"
    assert purchasing.receipt_discrepancies(second.lines[0]) == []
    assert purchasing.on_order(world.firm_a) == {}  # a received order is no longer on order
    assert [a.summary for a in activities("stock.goods_received")] == [
        f"Réception BR{YEAR}-0001 sur la commande CF{YEAR}-0001 : 18 unités entrées",
        f"Réception BR{YEAR}-0002 sur la commande CF{YEAR}-0001 : 12 unités entrées"]
    assert activities("stock.goods_received")[0].codes == ["A3T3C2"]
    # A received order takes no more receipt.
    with pytest.raises(DomainError, match="pas encore entièrement reçue"):
        purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(1, extra=True, note="x")})


def test_over_reception_refused_unless_extra_is_said(world, make_product):
    product, order, line = _ordered(world, make_product, quantity=12)
    with pytest.raises(DomainError, match="13 reçus pour 12 attendus. Réception refusée"):
        purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(13)})
    with pytest.raises(DomainError, match="décrivez l'écart"):
        purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(13, extra=True)})
    receipt = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY,
                                        {line.id: R(13, extra=True, note="1 offert par le fournisseur")})
    purchasing.validate_receipt(world.firm_a, world.trainee_a, receipt)
    # 10 + 13 = 23; CMUP (10 × 8 + 13 × 10) / 23 = 210 / 23 = 9,1304… → 9,13
    assert (product.on_hand, product.average_cost, order.status) == (23, D("9.13"), "received")
    assert purchasing.receipt_discrepancies(receipt.lines[0]) == ["1 en plus"]


def test_a_draft_receipt_is_checked_again_at_validation(world, make_product):
    product, order, line = _ordered(world, make_product, quantity=10)
    one = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(8)})
    two = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(8)})
    purchasing.validate_receipt(world.firm_a, world.trainee_a, one)
    with pytest.raises(DomainError, match="8 reçus pour 2 attendus"):
        purchasing.validate_receipt(world.firm_a, world.trainee_a, two)


@pytest.mark.parametrize("value, message", [
    (R(-1), "la quantité reçue doit être un nombre entier positif ou nul"),
    (R(3, 4, note="x"), r"plus d'unités abîmées \(4\) que d'unités reçues \(3\)"),
    (R(3, 1), "décrivez l'écart"),
    (R(0), "Saisissez au moins une quantité reçue"),
])
def test_bad_receipt_lines(world, make_product, value, message):
    product, order, line = _ordered(world, make_product)
    with pytest.raises(DomainError, match=message):
        purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: value})


# --- validation, numbering, immutability --------------------------------------

def test_validation_numbers_freezes_and_journals(world, make_product):
    s1 = supplier(world.firm_a, lead=5)
    a = stocked(world, make_product, "A", 4, "10.00", 10, 50, s1)
    [order] = purchasing.orders_from_proposals(world.firm_a, world.trainee_a).orders
    with pytest.raises(DomainError, match="Ajoutez au moins une ligne"):
        purchasing.validate_order(world.firm_a, world.trainee_a,
                                  purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY))
    purchasing.validate_order(world.firm_a, world.trainee_a, order)
    second = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    purchasing.set_order_line(second, a, 3)
    purchasing.validate_order(world.firm_a, world.trainee_a, second)
    assert (order.number, second.number, order.status) == (f"CF{YEAR}-0001", f"CF{YEAR}-0002", "validated")
    [ordered_one, ordered_two] = activities("stock.purchase_ordered")
    assert ordered_one.codes == ["A3T3C2"]
    assert (
        plain(ordered_one.summary) == f"Commande fournisseur CF{YEAR}-0001 validée : Papeterie Grossiste, 460,00 € HT"
    )
    # Only the order made from the alerts answers an alert.
    [answered] = activities("stock.alert_answered")
    assert answered.summary == f"Alerte de stock traitée par la commande CF{YEAR}-0001 : A"
    # The services refuse any change…
    for attempt in (lambda: purchasing.set_order_line(order, a, 5),
                    lambda: purchasing.remove_order_line(order, order.lines[0]),
                    lambda: purchasing.delete_order(order),
                    lambda: purchasing.validate_order(world.firm_a, world.trainee_a, order)):
        with pytest.raises(DomainError, match="figée"):
            attempt()


def test_database_refuses_changes_to_validated_documents(world, make_product):
    product, order, line = _ordered(world, make_product)
    receipt = purchasing.create_receipt(world.firm_a, world.trainee_a, order, TODAY, {line.id: R(5)})
    purchasing.validate_receipt(world.firm_a, world.trainee_a, receipt)
    db.session.flush()
    statements = [
        update(PurchaseOrder).where(PurchaseOrder.id == order.id).values(total_ht=1),
        update(PurchaseOrder).where(PurchaseOrder.id == order.id).values(supplier_id=order.supplier_id + 1000),
        delete(PurchaseOrder).where(PurchaseOrder.id == order.id),
        update(PurchaseOrderLine).where(PurchaseOrderLine.id == line.id).values(quantity=99),
        delete(PurchaseOrderLine).where(PurchaseOrderLine.id == line.id),
        update(GoodsReceipt).where(GoodsReceipt.id == receipt.id).values(note="changé"),
        delete(GoodsReceipt).where(GoodsReceipt.id == receipt.id),
        update(GoodsReceiptLine).where(GoodsReceiptLine.receipt_id == receipt.id).values(received=1),
        delete(GoodsReceiptLine).where(GoodsReceiptLine.receipt_id == receipt.id),
    ]
    for statement in statements:
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.execute(statement.execution_options(synchronize_session=False))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(PurchaseOrderLine(firm_id=world.firm_a.id, order_id=order.id, product_id=product.id + 0,
                                         quantity=1, unit_price=1, vat_rate=20))
        db.session.flush()
    db.session.expunge_all()
    # The status still moves on (validated → partially received → received).
    db.session.execute(update(PurchaseOrder).where(PurchaseOrder.id == order.id).values(status="received"))
    assert db.session.scalar(select(PurchaseOrder.status).where(PurchaseOrder.id == order.id)) == "received"


def test_a_draft_can_be_changed_and_deleted(world, make_product):
    s1 = supplier(world.firm_a)
    a = make_product(world.firm_a, reference="A", purchase_price=D("4.00"), vat_rate=D("5.5"))
    b = make_product(world.firm_a, reference="B", purchase_price=D("3.00"))
    order = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    purchasing.set_order_line(order, a, 10)                 # 40,00 at 5,5 % → TVA 2,20
    line_b = purchasing.set_order_line(order, b, 7, D("2.99"))  # 20,93 at 20 % → TVA 4,186 → 4,19
    totals = purchasing.order_totals(order)
    assert [(v.rate, v.base, v.amount) for v in totals.vat] == [(D("20"), D("20.93"), D("4.19")),
                                                               (D("5.5"), D("40.00"), D("2.20"))]
    assert (order.total_ht, order.total_vat, order.total_ttc) == (D("60.93"), D("6.39"), D("67.32"))
    purchasing.set_order_line(order, a, 12)  # replaces the line: 48,00
    assert len(order.lines) == 2 and order.total_ht == D("68.93")
    purchasing.remove_order_line(order, line_b)
    assert order.total_ht == D("48.00")
    with pytest.raises(DomainError, match="au moins 1"):
        purchasing.set_order_line(order, a, -3)
    service = make_product(world.firm_a, reference="SRV", stock_tracked=False)
    with pytest.raises(DomainError, match="pas suivi en stock"):
        purchasing.set_order_line(order, service, 1)
    order_id = order.id
    purchasing.delete_order(order)
    assert db.session.get(PurchaseOrder, order_id) is None


# --- screens and bad input over HTTP -------------------------------------------

def test_journey_over_http_alert_order_receipt_stock_card(client, auth, world, make_product):
    s1 = supplier(world.firm_a, lead=5)
    a = stocked(world, make_product, "A", 4, "10.00", 10, 50, s1)
    db.session.commit()
    auth.login("eleve_a")
    assert "Commander les quantités proposées" in page_text(client.get("/stocks/alertes"))
    response = auth.post("/stocks/commandes/depuis-alertes", {}, form_page="/stocks/alertes")
    assert response.status_code == 302
    order = db.session.scalar(select(PurchaseOrder))
    assert response.headers["Location"].endswith(f"/stocks/commandes/{order.id}")
    url = f"/stocks/commandes/{order.id}"
    text_ = plain(page_text(client.get(url)))
    assert "46" in text_ and "460,00" in text_ and "Brouillon" in text_
    assert auth.post(f"{url}/valider", {}, form_page=url).status_code == 302
    db.session.expire_all()
    assert order.number == f"CF{YEAR}-0001"
    alerts_page = page_text(client.get("/stocks/alertes"))
    assert "46" in alerts_page  # already on order
    document = page_text(client.get(f"{url}/document"))
    assert "Commande fournisseur" in document and f"CF{YEAR}-0001" in document and "Papeterie Grossiste" in document
    line = order.lines[0]
    reception_url = f"{url}/reception"
    response = auth.post(reception_url, {"received_on": TODAY.isoformat(), "delivery_note": "BL 77",
                                         f"received-{line.id}": "46", f"damaged-{line.id}": "0"},
                         form_page=reception_url)
    assert response.status_code == 302
    receipt = db.session.scalar(select(GoodsReceipt))
    receipt_url = f"/stocks/receptions/{receipt.id}"
    assert auth.post(f"{receipt_url}/valider", {}, form_page=receipt_url).status_code == 302
    db.session.expire_all()
    assert (a.on_hand, order.status, receipt.number) == (50, "received", f"BR{YEAR}-0001")
    card = page_text(client.get(f"/stocks/articles/{a.id}"))
    assert f"BR{YEAR}-0001 (CF{YEAR}-0001)" in card


@pytest.mark.skipif(not pdf_available(), reason="WeasyPrint's system libraries are missing")
def test_purchase_order_pdf(client, auth, world, make_product):
    product, order, line = _ordered(world, make_product)
    db.session.commit()
    auth.login("eleve_a")
    response = client.get(f"/stocks/commandes/{order.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f'CF{YEAR}-0001.pdf' in response.headers["Content-Disposition"]


@pytest.mark.parametrize("data, message", [
    ({"quantity": "-4"}, "Saisissez une quantité d'au moins 1."),
    ({"quantity": "douze"}, "Saisissez un nombre entier, par exemple 12."),
    ({"quantity": ""}, "obligatoire"),
    ({"unit_price": "dix"}, "Ce n'est pas un nombre"),
    ({"unit_price": "-1"}, "La valeur ne peut pas être négative."),
])
def test_bad_order_lines_are_refused(client, auth, world, make_product, data, message):
    s1 = supplier(world.firm_a)
    product = make_product(world.firm_a)
    order = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/commandes/{order.id}"
    response = auth.post(url, {"product_id": product.id, "quantity": "3", "unit_price": "", "vat_rate": "",
                               **data}, form_page=url)
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrderLine)) == 0


def test_foreign_product_and_supplier_ids_answer_404(client, auth, world, make_product):
    s1 = supplier(world.firm_a)
    foreign_supplier = supplier(world.firm_b, "Fournisseur de B")
    foreign_product = make_product(world.firm_b)
    product = make_product(world.firm_a)
    order = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/commandes/{order.id}"
    assert auth.post(url, {"product_id": foreign_product.id, "quantity": "3"}, form_page=url).status_code == 404
    assert auth.post("/stocks/commandes/nouvelle", {"supplier_id": foreign_supplier.id,
                                                    "order_date": TODAY.isoformat()},
                     form_page="/stocks/commandes/nouvelle").status_code == 404
    thresholds = f"/stocks/articles/{product.id}/seuils"
    assert auth.post(thresholds, {"minimum": "1", "safety": "1", "maximum": "9", "alert_mode": "typed",
                                  "alert": "2", "supplier_id": foreign_supplier.id},
                     form_page=thresholds).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrderLine)) == 0
    assert db.session.scalar(select(func.count()).select_from(PurchaseOrder)) == 1


@pytest.mark.parametrize("fields, message", [
    ({"received": "-2"}, "La quantité reçue ne peut pas être négative."),
    ({"received": "beaucoup"}, "« beaucoup » n'est pas un nombre entier"),
    ({"received": "5", "damaged": "x"}, "« x » n'est pas un nombre entier : saisissez la quantité abîmée."),
    ({"received": "31"}, "31 reçus pour 30 attendus. Réception refusée"),
])
def test_bad_receipts_over_http(client, auth, world, make_product, fields, message):
    product, order, line = _ordered(world, make_product)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/commandes/{order.id}/reception"
    data = {"received_on": TODAY.isoformat(), **{f"{k}-{line.id}": v for k, v in fields.items()}}
    response = auth.post(url, data, form_page=url)
    assert response.status_code == 422
    assert message in page_text(response)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(GoodsReceipt)) == 0
    assert product.on_hand == 10


def test_minimum_order_refused_over_http(client, auth, world, make_product):
    s1 = supplier(world.firm_a, "Papeterie Grossiste", lead=5, minimum=D("500"))
    product = make_product(world.firm_a, purchase_price=D("10.00"))
    order = purchasing.create_order(world.firm_a, world.trainee_a, s1, TODAY)
    purchasing.set_order_line(order, product, 46)
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/commandes/{order.id}"
    assert "est de 500,00 € HT ; cette commande fait 460,00 € HT" in plain(page_text(client.get(url)))
    response = auth.post(f"{url}/valider", {}, form_page=url)
    assert response.status_code == 422
    assert "Commande refusée. Le minimum de commande de Papeterie Grossiste est de 500,00 € HT" in plain(
        page_text(response)
    )
    db.session.expire_all()
    assert order.number is None and order.status == "draft"


def test_party_page_of_a_supplier_links_to_its_terms(client, auth, world):
    party = supplier(world.firm_a, lead=4, minimum=D("80"))
    db.session.commit()
    auth.login("eleve_a")
    assert f'href="/stocks/fournisseurs/{party.id}"' in page_text(client.get(f"/clients/{party.id}"))
    terms_page = plain(page_text(client.get(f"/stocks/fournisseurs/{party.id}")))
    assert 'value="4"' in terms_page and 'value="80,00"' in terms_page


def test_proposals_under_the_minimum_give_a_draft_to_complete_over_http(client, auth, world, make_product):
    """Not a refusal: the draft is the intended result, flagged; its validation is the refusal."""
    s1 = supplier(world.firm_a, "Papeterie Grossiste", lead=5, minimum=D("500"))
    stocked(world, make_product, "A", 4, "10.00", 10, 50, s1)  # 46 × 10 = 460 HT < 500
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post("/stocks/commandes/depuis-alertes", {}, form_page="/stocks/alertes")
    assert response.status_code == 302
    page = plain(page_text(client.get(response.headers["Location"])))
    assert "Brouillon préparé, à compléter : Le minimum de commande de Papeterie Grossiste" in page
    order = db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.firm_id == world.firm_a.id))
    assert order.is_draft and order.total_ht == D("460.00")
    response = auth.post(f"/stocks/commandes/{order.id}/valider", {}, form_page=f"/stocks/commandes/{order.id}")
    assert response.status_code == 422 and "Commande refusée." in plain(page_text(response))
    db.session.expire_all()
    assert order.number is None and order.status == "draft"
    assert db.session.scalar(select(DocumentCounter.id).where(DocumentCounter.firm_id == world.firm_a.id,
                                                              DocumentCounter.doc_type == "purchase_order")) is None
