"""Inventory: count sheet, entry of counted quantities, differences, validation, frozen."""
from datetime import date
from decimal import Decimal as D

from sqlalchemy import func, select

from crm.extensions import db
from crm.formation.models import Activity
from crm.stocks import services
from crm.stocks.models import StockCount, StockMove
from tests.conftest import page_text


def _stocked(world, make_product):
    coffee = make_product(world.firm_a, reference="CAF", label="Café")
    tea = make_product(world.firm_a, reference="THE", label="Thé")
    service = make_product(world.firm_a, reference="LIV", label="Livraison", stock_tracked=False)
    # Café: 100 × 5,00 then 52 × 6,00 → CMUP (500 + 312) / 152 = 5,342… → 5,34 ; stock 152.
    services.move_stock(world.firm_a, None, coffee, 100, "reception", D("5.00"))
    services.move_stock(world.firm_a, None, coffee, 52, "reception", D("6.00"))
    # Thé: 20 × 2,50.
    services.move_stock(world.firm_a, None, tea, 20, "reception", D("2.50"))
    return coffee, tea, service


def test_count_sheet_entry_validation_and_freeze(client, auth, world, make_product):
    coffee, tea, service = _stocked(world, make_product)
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post("/stocks/inventaires", {"label": "Inventaire de fin d'année", "counted_on": "2026-12-31",
                                                 "family_id": "0"}, form_page="/stocks/inventaires")
    assert response.status_code == 302
    count_url = response.headers["Location"]
    db.session.expire_all()
    count = db.session.scalar(select(StockCount))
    assert [line.product.reference for line in count.lines] == ["CAF", "THE"]  # no service to count
    sheet = page_text(client.get(f"{count_url}/feuille"))
    assert "Feuille de comptage" in sheet and "Café" in sheet and "152" not in sheet  # a blind count
    line_caf, line_the = count.lines

    # A counted quantity that is not a number: French message next to the line, nothing saved.
    response = auth.post(count_url, {f"counted-{line_caf.id}": "cent", f"counted-{line_the.id}": "23"},
                         form_page=count_url)
    assert response.status_code == 422
    assert "« cent » n'est pas un nombre entier" in page_text(response)
    db.session.expire_all()
    assert [line.counted for line in count.lines] == [None, None]

    # Validation refused while a line is not counted.
    auth.post(count_url, {f"counted-{line_caf.id}": "150"}, form_page=count_url)
    response = auth.post(f"{count_url}/valider", {}, form_page=count_url)
    assert response.status_code == 422
    assert "Il reste 1 article non compté :" in page_text(response)

    auth.post(count_url, {f"counted-{line_caf.id}": "150", f"counted-{line_the.id}": "23"}, form_page=count_url)
    response = auth.post(f"{count_url}/valider", {}, form_page=count_url)
    assert response.status_code == 302
    db.session.expire_all()
    # Café: 150 counted, 152 expected → −2 × 5,34 = −10,68 ; Thé: 23 − 20 = +3 × 2,50 = +7,50.
    assert [(l.expected, l.difference, l.difference_value) for l in count.lines] == [
        (152, -2, D("-10.68")), (20, 3, D("7.50"))]
    assert (coffee.on_hand, tea.on_hand) == (150, 23)
    adjustments = db.session.scalars(select(StockMove).where(StockMove.kind == "adjustment")
                                     .order_by(StockMove.id)).all()
    assert [(m.quantity, m.unit_cost, m.source) for m in adjustments] == [
        (-2, D("5.34"), f"Inventaire n° {count.id}"), (3, D("2.50"), f"Inventaire n° {count.id}")]
    text = page_text(client.get(count_url)).replace("\u202f", " ").replace("\xa0", " ")
    assert "-10,68 €" in text and "7,50 €" in text and "-3,18 €" in text  # total of the differences
    activity = db.session.scalar(select(Activity).where(Activity.verb == "stock.counted"))
    assert activity.codes == ["A3T3C2"]

    # Frozen: a crafted POST changes nothing, a second validation neither.
    response = auth.post(count_url, {f"counted-{line_caf.id}": "999"}, form_page=count_url)
    assert response.status_code == 422
    assert "Cet inventaire est validé" in page_text(response)
    response = auth.post(f"{count_url}/valider", {}, form_page=count_url)
    assert response.status_code == 422
    response = auth.post(f"{count_url}/supprimer", {}, form_page=count_url)
    assert response.status_code == 422
    db.session.expire_all()
    assert line_caf.counted == 150 and coffee.on_hand == 150
    assert db.session.scalar(select(func.count()).select_from(StockMove).where(StockMove.kind == "adjustment")) == 2


def test_negative_count_is_refused(client, auth, world, make_product):
    coffee, tea, _ = _stocked(world, make_product)
    count = services.create_count(world.firm_a, world.trainee_a, "Tournant", date(2026, 6, 1))
    db.session.commit()
    auth.login("eleve_a")
    url = f"/stocks/inventaires/{count.id}"
    response = auth.post(url, {f"counted-{count.lines[0].id}": "-4"}, form_page=url)
    assert response.status_code == 422
    assert "ne peut pas être négative" in page_text(response)


def test_draft_inventory_can_be_deleted(client, auth, world, make_product):
    _stocked(world, make_product)
    count = services.create_count(world.firm_a, world.trainee_a, "Essai", date(2026, 6, 1))
    db.session.commit()
    auth.login("eleve_a")
    response = auth.post(f"/stocks/inventaires/{count.id}/supprimer", {}, form_page=f"/stocks/inventaires/{count.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(StockCount)) == 0
