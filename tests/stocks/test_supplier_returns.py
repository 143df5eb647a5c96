"""Returns to the supplier (bons de retour fournisseur) and the supplier credit note that answers them.

Every figure is computed by hand in the comments.
"""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from crm.clients import services as clients
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.einvoice import purchasing as buying
from crm.einvoice.models import SupplierInvoice
from crm.extensions import db
from crm.formation.models import Activity, ActivityCompetency
from crm.stocks import purchasing, services
from crm.stocks.models import StockMove, SupplierReturn, SupplierReturnLine
from crm.stocks.purchasing import ReceiptLineInput as R
from tests.conftest import Auth, page_text


def plain(value: str) -> str:
    """Amounts print with non-breaking spaces (1 234,56 €): compare with plain spaces."""
    return value.replace("\xa0", " ").replace("\u202f", " ")


def _codes(firm, verb) -> set[str]:
    return set(db.session.scalars(select(ActivityCompetency.code).join(Activity).where(
        Activity.firm_id == firm.id, Activity.verb == verb)))


class Purchase:
    """Order 10 × 12,00 € HT at 20 %, validated; `receive()` books a receipt."""

    def __init__(self, world, make_product, initial=None):
        self.firm, self.user = world.firm_a, world.trainee_a
        self.today = business_today(self.firm)
        self.supplier = clients.create_party(self.firm, None, {"kind": "supplier", "category": "business",
                                                               "company_name": "Grossiste Dupont"}, journal=False)
        self.product = make_product(self.firm, reference="VASE", label="Vase en grès", purchase_price=D("12.00"))
        if initial:
            quantity, cost = initial
            services.move_stock(self.firm, None, self.product, quantity, "reception", D(cost), source="stock initial",
                                moved_on=self.today)
        self.order = purchasing.create_order(self.firm, self.user, self.supplier, self.today)
        self.line = purchasing.set_order_line(self.order, self.product, 10, D("12.00"), D("20"))
        purchasing.validate_order(self.firm, self.user, self.order)

    def receive(self, received=10, damaged=0):
        receipt = purchasing.create_receipt(self.firm, self.user, self.order, self.today, {
            self.line.id: R(received, damaged, note="cartons écrasés" if damaged else "")})
        purchasing.validate_receipt(self.firm, self.user, receipt)
        return receipt

    def send_back(self, receipt=None, damaged=0, stock=0, reason="Vases fêlés", validate=True):
        values = {}
        if damaged:
            values[(self.line.id, "damaged")] = damaged
        if stock:
            values[(self.line.id, "stock")] = stock
        supplier_return = purchasing.create_return(self.firm, self.user, self.order, receipt, self.today, reason,
                                                   values)
        if validate:
            purchasing.validate_return(self.firm, self.user, supplier_return)
        return supplier_return

    def invoice(self, number="FD-100", quantity="10", price="12.00"):
        return buying.typed_from_order(self.firm, self.user, self.order, number, self.today, None, [
            buying.TypedLine(self.line.id, D(quantity), D(price))])

    def credit_note(self, supplier_return, number="AV-7", quantity="2", price="12.00"):
        return buying.typed_credit_note(self.firm, self.user, supplier_return, number, self.today, [
            buying.TypedLine(self.line.id, D(quantity), D(price))])


@pytest.fixture
def purchase(world, make_product):
    return Purchase(world, make_product)


def test_damaged_units_go_back_and_the_credit_note_lowers_what_is_owed(purchase):
    receipt = purchase.receive(10, damaged=2)  # 8 accepted into stock, 2 damaged never entered
    assert purchase.product.on_hand == 8
    assert purchasing.returnable_by_line(purchase.order, receipt)[purchase.line.id].damaged == 2
    moves_before = db.session.scalar(select(func.count(StockMove.id)))
    supplier_return = purchase.send_back(receipt, damaged=2)
    assert supplier_return.number == f"RF{purchase.today.year}-0001" and supplier_return.status == "validated"
    # Damaged at the reception: they never entered the stock, so nothing leaves it.
    assert purchase.product.on_hand == 8 and db.session.scalar(select(func.count(StockMove.id))) == moves_before
    assert supplier_return.total_ht == D("24.00")  # 2 × 12,00
    assert purchasing.returnable_by_line(purchase.order, receipt)[purchase.line.id].damaged == 0
    assert {"A3T3C2", "S131"} <= _codes(purchase.firm, "stock.supplier_returned")

    # The supplier invoices the 10 vases: 10 × 12,00 = 120,00 HT, VAT 20 % 24,00, 144,00 TTC.
    invoice = purchase.invoice()
    assert (invoice.total_ht, invoice.total_vat, invoice.total_ttc) == (D("120.00"), D("24.00"), D("144.00"))
    differences = buying.match(invoice)
    assert [d.kind for d in differences] == ["quantity"]
    assert "Retour au fournisseur pour casse à la réception : 2 unités ; un avoir est attendu." in differences[0].text
    buying.book(invoice, purchase.user, "2 vases cassés renvoyés, avoir demandé (bon de retour).")

    # Its credit note for the 2 vases: 2 × 12,00 = 24,00 HT, VAT 4,80, 28,80 TTC; deducted from the invoice.
    note = purchase.credit_note(supplier_return)
    assert (note.kind, note.total_ht, note.total_vat, note.total_ttc) == (
        "credit_note", D("24.00"), D("4.80"), D("28.80"))
    assert note.return_id == supplier_return.id and note.applied_to_id == invoice.id
    assert buying.match(note) == []
    assert buying.return_credit_status(supplier_return, [note]) == "awaiting_credit"  # not booked yet
    buying.book(note, purchase.user)
    assert note.status_label == "Enregistré, déduit"
    assert buying.return_credit_status(supplier_return, [note]) == "credited"
    assert {"A3T3C2", "S131"} <= _codes(purchase.firm, "supplier_invoice.booked")

    # What is owed: 144,00 − 28,80 = 115,20, on the invoice, in the list and on the statement.
    assert buying.balance_of(invoice) == D("115.20") and invoice.status == "partially_paid"
    assert buying.balances([invoice, note]) == {invoice.id: D("115.20"), note.id: None}
    entries = buying.supplier_statement(purchase.firm, purchase.supplier)
    assert [(e.credit, e.debit, e.balance) for e in entries] == [
        (D("144.00"), 0, D("144.00")), (0, D("28.80"), D("115.20"))]
    assert buying.amount_due(purchase.firm, purchase.supplier) == D("115.20")
    with pytest.raises(DomainError, match=r"dépasse ce qui reste à payer \(115,20"):
        buying.record_supplier_payment(invoice, purchase.user, D("144.00"), "transfer", purchase.today)
    buying.record_supplier_payment(invoice, purchase.user, D("115.20"), "transfer", purchase.today)
    assert invoice.status == "paid" and buying.amount_due(purchase.firm, purchase.supplier) == 0


def test_a_return_from_stock_leaves_it_at_the_cmup(world, make_product, app):
    purchase = Purchase(world, make_product, initial=(5, "9.00"))  # 5 in stock at 9,00
    purchase.receive(10)
    # CMUP after the receipt: (5 × 9,00 + 10 × 12,00) ÷ 15 = 165,00 ÷ 15 = 11,00
    assert (purchase.product.on_hand, purchase.product.average_cost) == (15, D("11.00"))
    supplier_return = purchase.send_back(stock=3, reason="Fêlures découvertes en rayon")
    line = supplier_return.lines[0]
    assert (line.source, line.quantity, line.unit_cost) == ("stock", 3, D("11.00"))
    # Exit of 3 at the CMUP: 3 × 11,00 = 33,00; 12 left, CMUP unchanged, value 12 × 11,00 = 132,00.
    move = db.session.scalar(select(StockMove).where(StockMove.kind == "supplier_return"))
    assert (move.quantity, move.unit_cost, move.value) == (-3, D("11.00"), D("33.00"))
    assert (move.on_hand_after, move.average_cost_after) == (12, D("11.00"))
    assert move.source == f"{supplier_return.number} ({purchase.order.number})"
    assert (purchase.product.on_hand, purchase.product.stock_value) == (12, D("132.00"))
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    card = plain(page_text(browser.client.get(f"/stocks/articles/{purchase.product.id}")))
    assert f"Retour fournisseur · {supplier_return.number}" in card
    assert "33,00 €" in card and "132,00 €" in card
    # No more than the units the order put in stock (10), and only what is on hand.
    with pytest.raises(DomainError, match="8 unités à reprendre du stock, mais 7 unités acceptées"):
        purchase.send_back(stock=8)


def test_more_than_damaged_or_in_stock_is_refused_with_nothing_saved(app, purchase):
    receipt = purchase.receive(10, damaged=2)
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    page = f"/stocks/receptions/{receipt.id}/retour"
    form = page_text(browser.client.get(page))
    assert 'name="damaged-' in form and "Motif du retour" in form
    response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "Casse",
                                   f"damaged-{purchase.line.id}": "3"}, form_page=page)
    text = plain(page_text(response))
    assert response.status_code == 422
    assert ("VASE : 3 unités abîmées à retourner, mais 2 unités abîmées à la réception "
            f"{receipt.number} et pas encore retournées. Retour refusé") in text
    response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "Casse",
                                   f"stock-{purchase.line.id}": "9"}, form_page=page)
    assert response.status_code == 422 and "9 unités à reprendre du stock, mais 8 unités acceptées" in plain(
        page_text(response))
    response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "",
                                   f"damaged-{purchase.line.id}": "2"}, form_page=page)
    assert response.status_code == 422 and "motif" in page_text(response)
    response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "Casse",
                                   f"damaged-{purchase.line.id}": "deux"}, form_page=page)
    assert response.status_code == 422 and "n'est pas un nombre entier" in page_text(response)
    for huge in ("99999999999999999999", str(2**31)):
        response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "Casse",
                                       f"stock-{purchase.line.id}": huge}, form_page=page)
        assert response.status_code == 422 and "Ce nombre est trop grand" in page_text(response)
    response = browser.post(page, {"returned_on": "9999-12-31", "reason": "x" * 300,
                                   f"damaged-{purchase.line.id}": "1"}, form_page=page)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SupplierReturn.id))) == 0
    assert db.session.scalar(select(func.count(SupplierReturnLine.id))) == 0
    # A credit note cannot be linked to a return id that is not offered (404 page or form error, nothing saved).
    note = SupplierInvoice(firm_id=purchase.firm.id, kind="credit_note", supplier_id=purchase.supplier.id,
                           number="AV-X", issue_date=purchase.today, total_ht=D("1.00"), total_vat=D("0.20"),
                           total_ttc=D("1.20"))
    db.session.add(note)
    db.session.commit()
    note_page = f"/echanges/achats/{note.id}"
    response = browser.post(f"{note_page}/retour", {"return_id": "99999999999999999999", "applied_to_id": "0"},
                            form_page=note_page)
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(SupplierInvoice, note.id).return_id is None
    # The right quantity goes through: draft, then validated from its page.
    response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "Casse au transport",
                                   f"damaged-{purchase.line.id}": "2"}, form_page=page)
    assert response.status_code == 302
    supplier_return = db.session.scalar(select(SupplierReturn))
    page = f"/stocks/retours/{supplier_return.id}"
    assert "Brouillon" in page_text(browser.client.get(page))
    assert browser.post(f"{page}/valider", {}, form_page=page).status_code == 302
    shown = page_text(browser.client.get(page))
    assert "En attente d'avoir" in shown and "Saisir l'avoir papier" in shown
    # Both ways: the receipt and the order show their return.
    assert supplier_return.id and f"/stocks/retours/{supplier_return.id}" in page_text(
        browser.client.get(f"/stocks/receptions/{receipt.id}"))
    assert f"/stocks/retours/{supplier_return.id}" in page_text(
        browser.client.get(f"/stocks/commandes/{purchase.order.id}"))
    assert "En attente d'avoir" in page_text(browser.client.get("/stocks/retours"))


def test_a_validated_return_is_frozen(purchase):
    receipt = purchase.receive(10, damaged=2)
    supplier_return = purchase.send_back(receipt, damaged=2)
    with pytest.raises(DomainError, match="validé : il est figé"):
        purchasing.delete_return(supplier_return)
    with pytest.raises(DomainError, match="déjà validé"):
        purchasing.validate_return(purchase.firm, purchase.user, supplier_return)
    db.session.commit()
    # The database refuses it too, whatever the client.
    with pytest.raises(IntegrityError):
        db.session.execute(update(SupplierReturn).where(SupplierReturn.id == supplier_return.id)
                           .values(reason="autre"))
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(update(SupplierReturnLine).where(SupplierReturnLine.return_id == supplier_return.id)
                           .values(quantity=1))
    db.session.rollback()
    # The damaged units are all returned now: a second return of them is refused.
    with pytest.raises(DomainError, match="1 unité abîmée à retourner, mais 0 unité abîmée"):
        purchase.send_back(receipt, damaged=1)


def test_a_draft_return_is_checked_again_at_validation(purchase):
    receipt = purchase.receive(10, damaged=2)
    first = purchase.send_back(receipt, damaged=2, validate=False)
    second = purchase.send_back(receipt, damaged=2, validate=False)
    purchasing.validate_return(purchase.firm, purchase.user, first)
    with pytest.raises(DomainError, match="Retour refusé"):
        purchasing.validate_return(purchase.firm, purchase.user, second)
    purchasing.delete_return(second)


def test_the_credit_note_match_lists_its_differences(purchase):
    receipt = purchase.receive(10, damaged=2)
    supplier_return = purchase.send_back(receipt, damaged=2)
    note = purchase.credit_note(supplier_return, quantity="1", price="11.50")
    kinds = sorted(d.kind for d in buying.match(note))
    assert kinds == ["price", "quantity"]
    texts = plain(" ".join(d.text for d in buying.match(note)))
    assert "« Vase en grès » : crédité 11,50 € HT l'unité, commandé 12,00 € ; écart de -0,50 € sur la ligne." in texts
    assert ("« Vase en grès » : quantité créditée 1 unité ; quantité retournée (bon "
            f"{supplier_return.number}) et pas encore créditée 2 unités.") in texts
    # Not on the return: an article credited that was not sent back.
    other = purchase.credit_note(supplier_return, number="AV-8")
    other.lines[0].order_line_id = None
    other.lines[0].description, other.lines[0].reference = "Coupe en verre", "COUPE"
    assert sorted(d.kind for d in buying.match(other)) == ["not_returned", "quantity"]
    with pytest.raises(DomainError, match="2 écarts avec le bon de retour"):
        buying.book(note, purchase.user, "")
    buying.dispute(note, purchase.user, "Il manque un vase et le prix est faux.")
    assert note.status == "disputed"
    # A credit note with no return at all is booked with a reason only.
    lone = SupplierInvoice(firm_id=purchase.firm.id, kind="credit_note", supplier_id=purchase.supplier.id,
                           number="AV-GESTE", issue_date=purchase.today, total_ht=D("10.00"), total_vat=D("2.00"),
                           total_ttc=D("12.00"))
    db.session.add(lone)
    db.session.flush()
    assert [d.kind for d in buying.match(lone)] == ["no_return"]
    with pytest.raises(DomainError, match="indiquez pourquoi"):
        buying.book(lone, purchase.user)
    buying.book(lone, purchase.user, "Geste commercial pour le retard.")
    # Kept to the credit of the account: the statement owes the supplier 12,00 less.
    assert buying.amount_due(purchase.firm, purchase.supplier) == D("-12.00")
    assert lone.status_label == "Enregistré, à déduire"


def test_a_credit_note_cannot_be_deducted_from_more_than_is_left(purchase):
    receipt = purchase.receive(10, damaged=2)
    supplier_return = purchase.send_back(receipt, damaged=2)
    invoice = purchase.invoice(quantity="8")  # 8 × 12,00 = 96,00 HT, 115,20 TTC
    buying.book(invoice, purchase.user)
    buying.record_supplier_payment(invoice, purchase.user, D("100.00"), "transfer", purchase.today)
    note = purchase.credit_note(supplier_return)  # 28,80 TTC, more than the 15,20 left
    assert note.applied_to_id == invoice.id
    with pytest.raises(DomainError, match=r"Il ne reste que 15,20.€ à payer sur la facture FD-100"):
        buying.book(note, purchase.user)
    buying.link_return(note, supplier_return, purchase.user, None)
    buying.book(note, purchase.user)
    # 115,20 − 100,00 − 28,80 = −13,60: the supplier owes the firm.
    assert buying.amount_due(purchase.firm, purchase.supplier) == D("-13.60")
    assert buying.balance_of(invoice) == D("15.20")


def test_the_pages_walk_from_the_receipt_to_the_credit_note(app, purchase):
    receipt = purchase.receive(10, damaged=2)
    invoice = purchase.invoice()
    buying.book(invoice, purchase.user, "Avoir attendu pour 2 vases cassés.")
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    receipt_page = page_text(browser.client.get(f"/stocks/receptions/{receipt.id}"))
    assert f"/stocks/receptions/{receipt.id}/retour" in receipt_page
    page = f"/stocks/receptions/{receipt.id}/retour"
    response = browser.post(page, {"returned_on": purchase.today.isoformat(), "reason": "Casse au transport",
                                   f"damaged-{purchase.line.id}": "2"}, form_page=page)
    supplier_return = db.session.scalar(select(SupplierReturn))
    page = f"/stocks/retours/{supplier_return.id}"
    assert browser.post(f"{page}/valider", {}, form_page=page).status_code == 302
    db.session.expire_all()
    page = f"/echanges/retours/{supplier_return.id}/avoir"
    form = page_text(browser.client.get(page))
    assert f'name="quantity_{purchase.line.id}" value="2"' in form and 'value="12,00"' in form
    response = browser.post(page, {"number": "", "issue_date": purchase.today.isoformat()}, form_page=page)
    assert response.status_code == 422 and "Indiquez le numéro de l'avoir" in page_text(response)
    response = browser.post(page, {"number": "AV-7", "issue_date": purchase.today.isoformat(),
                                   f"quantity_{purchase.line.id}": "2", f"price_{purchase.line.id}": "12,00"},
                            form_page=page)
    assert response.status_code == 302
    note = db.session.scalar(select(SupplierInvoice).where(SupplierInvoice.kind == "credit_note"))
    page = f"/echanges/achats/{note.id}"
    shown = page_text(browser.client.get(page))
    assert "Conforme" in shown and supplier_return.number in shown and "FD-100" in shown
    assert browser.post(f"{page}/enregistrer", {"reason": ""}, form_page=page).status_code == 302
    statement = plain(page_text(browser.client.get(f"/echanges/fournisseurs/{purchase.supplier.id}/releve")))
    assert "Reste dû au fournisseur" in statement and "115,20 €" in statement
    assert f"Avoir AV-7 (retour {supplier_return.number}), déduit de la facture FD-100" in statement
    invoice_page = plain(page_text(browser.client.get(f"/echanges/achats/{invoice.id}")))
    assert "Avoirs déduits" in invoice_page and "115,20 €" in invoice_page
    listing = plain(page_text(browser.client.get("/echanges/achats")))
    assert "115,20 €" in listing and "Enregistré, déduit" in listing
    assert "Crédité" in page_text(browser.client.get(f"/stocks/retours/{supplier_return.id}"))


def test_another_firms_return_and_receipt_answer_404(app, world, make_product):
    purchase = Purchase(SimpleWorld(world.firm_b, world.trainee_b), make_product)
    receipt = purchase.receive(10, damaged=2)
    supplier_return = purchase.send_back(receipt, damaged=2)
    db.session.commit()
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    for url in (f"/stocks/retours/{supplier_return.id}", f"/stocks/receptions/{receipt.id}/retour",
                f"/stocks/commandes/{purchase.order.id}/retour", f"/echanges/retours/{supplier_return.id}/avoir"):
        assert browser.client.get(url).status_code == 404, url
    for url in (f"/stocks/retours/{supplier_return.id}/valider", f"/stocks/retours/{supplier_return.id}/supprimer",
                f"/stocks/receptions/{receipt.id}/retour"):
        assert browser.post(url, {"reason": "x"}).status_code == 404, url
    assert f"retours/{supplier_return.id}" not in page_text(browser.client.get("/stocks/retours"))


class SimpleWorld:
    def __init__(self, firm, user):
        self.firm_a, self.trainee_a = firm, user


def test_the_scenario_export_keeps_a_returns_stock_exit(world, make_product):
    import yaml

    from crm.formation.scenarios.export import export_firm

    purchase = Purchase(world, make_product)
    purchase.receive(10)
    supplier_return = purchase.send_back(stock=3, reason="Fêlures découvertes en rayon")
    history = yaml.safe_load(export_firm(purchase.firm))["history"]
    exits = [entry for entry in history if entry["type"] == "stock_move" and entry["product"] == "VASE"]
    # Returns are not part of scenario files: the 3 units leave the stock as a plain exit.
    assert [(e["kind"], e["quantity"], e["source"]) for e in exits] == [
        ("loss", -3, f"{supplier_return.number} ({purchase.order.number})")]


def test_damaged_units_credited_by_the_supplier_are_no_longer_on_order(purchase):
    """Ordered 10, 8 accepted, 2 damaged: the 2 are expected (a replacement may come) until the
    supplier credits their return; then the order is received and nothing is on order any more."""
    receipt = purchase.receive(10, damaged=2)
    assert purchase.order.status == "partially_received"
    assert purchasing.on_order(purchase.firm, [purchase.product.id]) == {purchase.product.id: 2}
    supplier_return = purchase.send_back(receipt, damaged=2)
    assert purchasing.on_order(purchase.firm, [purchase.product.id]) == {purchase.product.id: 2}  # not credited yet
    note = purchase.credit_note(supplier_return)
    assert purchasing.remaining_by_line(purchase.order) == {purchase.line.id: 2}  # the credit note is not booked
    buying.book(note, purchase.user)
    assert purchasing.remaining_by_line(purchase.order) == {purchase.line.id: 0}
    assert purchasing.on_order(purchase.firm, [purchase.product.id]) == {}
    assert purchase.order.status == "received"
