"""Tenancy: for every route that takes an id, another firm's object answers 404.

The test walks app.url_map, so a new route is covered the day it is added. Each
id argument name must have an entry in FOREIGN_IDS: a function that creates (or
finds) an object of *firm B* and returns its id. A route with an id argument
missing from FOREIGN_IDS fails the test, telling the developer to add one.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from tests.conftest import Auth
from tests.factories import firm_today


def _firm_b(world):
    return world.firm_b.id


def _classroom_b(world):
    return world.classroom_b.id


def _trainee_b(world):
    return world.trainee_b.id


def _membership_b(world):
    return world.membership_b.id


def _product_b(world):
    from crm.ventes.models import Product

    product = Product(firm_id=world.firm_b.id, reference="B-001", label="Article de B",
                      purchase_price=10, sale_price=15, vat_rate=20)
    db.session.add(product)
    db.session.flush()
    return product


def _product_b_id(world):
    return _product_b(world).id


def _family_b(world):
    from crm.ventes.models import ProductFamily

    family = ProductFamily(firm_id=world.firm_b.id, name="Famille de B")
    db.session.add(family)
    db.session.flush()
    return family.id


def _objection_b(world):
    from crm.ventes.models import ProductObjection

    item = ProductObjection(firm_id=world.firm_b.id, product=_product_b_objection(world),
                            objection="Trop cher", answer="Qualité durable")
    db.session.add(item)
    db.session.flush()
    return item.id


def _product_b_objection(world):
    from crm.ventes.models import Product

    product = Product(firm_id=world.firm_b.id, reference="B-OBJ", label="Article B objection",
                      purchase_price=1, sale_price=2, vat_rate=20)
    db.session.add(product)
    db.session.flush()
    return product


def _promotion_b(world):
    from datetime import date

    from crm.ventes.models import Product, PromotionalPrice

    product = Product(firm_id=world.firm_b.id, reference="B-PROMO", label="Article B promo",
                      purchase_price=1, sale_price=2, vat_rate=20)
    promotion = PromotionalPrice(firm_id=world.firm_b.id, product=product, price=1,
                                 starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31))
    db.session.add(promotion)
    db.session.flush()
    return promotion.id


def _count_b(world):
    from datetime import date

    from crm.stocks.models import StockCount

    count = StockCount(firm_id=world.firm_b.id, label="Inventaire de B", counted_on=date(2026, 1, 1))
    db.session.add(count)
    db.session.flush()
    return count.id
def _party_b(world):
    from crm.clients import services

    return services.create_party(world.firm_b, None, {"kind": "prospect", "category": "private",
                                                      "last_name": "Tiers B"}, journal=False).id


def _contact_b(world):
    from crm.clients import services
    from crm.clients.models import Party

    party = db.session.get(Party, _party_b(world))
    return services.add_contact(party, None, {"name": "Contact B"}).id


def _address_b(world):
    from crm.clients import services
    from crm.clients.models import Party

    party = db.session.get(Party, _party_b(world))
    return services.add_address(party, None, {"kind": "billing", "line1": "1 rue B",
                                              "postcode": "75001", "city": "Paris"}).id


def _saved_filter_b(world):
    from crm.clients import services

    return services.save_filter(world.firm_b, world.trainee_b, "Filtre B", {"kind": "client"}).id


def _document_b(world):
    from datetime import date

    from crm.ventes.documents.models import SalesLine, Invoice

    party = db.session.get(__import__("crm.clients.models", fromlist=["Party"]).Party, _party_b(world))
    invoice = Invoice(firm_id=world.firm_b.id, party=party, issue_date=date(2026, 1, 5), status="draft")
    invoice.lines.append(SalesLine(firm_id=world.firm_b.id, position=1, description="Prestation B",
                                   quantity=1, unit_price=100, vat_rate=20, net=100))
    db.session.add(invoice)
    db.session.flush()
    return invoice.id
def _service_b(world):
    from crm.accueil import services

    return services.create_service(world.firm_b, world.trainee_b, "Service B").id


def _staff_member_b(world):
    from crm.accueil import services
    service = services.create_service(world.firm_b, world.trainee_b, "Service B2")
    return services.add_staff_member(service, world.trainee_b, {"name": "Personne B"}).id


def _desk_request_b(world):
    from crm.accueil import services

    return services.record_request(world.firm_b, world.trainee_b, services.RequestData(
        channel="face", nature="other", request_text="?", visitor_name="B", answer="ok")).id


def _purchase_order_b(world):
    from datetime import date

    from crm.clients import services
    from crm.stocks.models import PurchaseOrder, PurchaseOrderLine
    from crm.ventes.models import Product

    supplier = services.create_party(world.firm_b, None, {"kind": "supplier", "category": "business",
                                                          "company_name": "Fournisseur B"}, journal=False)
    product = Product(firm_id=world.firm_b.id, reference=f"B-PO-{supplier.id}", label="Article commandé de B",
                      purchase_price=10, sale_price=15, vat_rate=20)
    db.session.add(product)
    db.session.flush()
    order = PurchaseOrder(firm_id=world.firm_b.id, supplier_id=supplier.id, order_date=date(2026, 1, 5),
                          status="draft")
    order.lines.append(PurchaseOrderLine(firm_id=world.firm_b.id, product_id=product.id, quantity=3,
                                         unit_price=10, vat_rate=20))
    db.session.add(order)
    db.session.flush()
    return order


def _order_b(world):
    return _purchase_order_b(world).id


def _order_line_b(world):
    return _purchase_order_b(world).lines[0].id


def _receipt_b(world):
    from datetime import date

    from crm.stocks.models import GoodsReceipt

    receipt = GoodsReceipt(firm_id=world.firm_b.id, order_id=_order_b(world), received_on=date(2026, 1, 9),
                           status="draft")
    db.session.add(receipt)
    db.session.flush()
    return receipt.id
def _return_b(world):
    """A validated return of firm B (its credit note page, its validation: every route of it)."""
    from datetime import date

    from crm.stocks.models import GoodsReceipt, GoodsReceiptLine, SupplierReturn, SupplierReturnLine

    order = _purchase_order_b(world)
    order.number, order.status = f"CF-B-{order.id}", "validated"
    receipt = GoodsReceipt(firm_id=world.firm_b.id, order_id=order.id, received_on=date(2026, 1, 9),
                           status="draft")
    receipt.lines.append(GoodsReceiptLine(firm_id=world.firm_b.id, order_line_id=order.lines[0].id, received=3,
                                          damaged=1, note="cassé"))
    db.session.add(receipt)
    db.session.flush()
    receipt.number, receipt.status = f"BR-B-{receipt.id}", "validated"
    supplier_return = SupplierReturn(firm_id=world.firm_b.id, order_id=order.id, receipt_id=receipt.id,
                                     returned_on=date(2026, 1, 10), reason="Casse", status="draft")
    supplier_return.lines.append(SupplierReturnLine(firm_id=world.firm_b.id, order_line_id=order.lines[0].id,
                                                    source="damaged", quantity=1))
    db.session.add(supplier_return)
    db.session.flush()
    supplier_return.number, supplier_return.status = f"RF-B-{supplier_return.id}", "validated"
    db.session.flush()
    return supplier_return.id


def _counter_sale_b(world):
    from crm.ventes.caisse import services
    from crm.ventes.models import Product

    product = Product(firm_id=world.firm_b.id, reference="B-CAISSE", label="Prestation de B",
                      sale_price=15, vat_rate=20, stock_tracked=False)
    db.session.add(product)
    db.session.flush()
    return services.sell(world.firm_b, world.trainee_b, [services.TicketLine(product, 1)],
                         [("cash", "20")])


def _sale_b(world):
    return _counter_sale_b(world).id


def _closing_b(world):
    from crm.ventes.caisse import services

    return services.close_day(world.firm_b, world.trainee_b, firm_today()).id


def _plan_b(world):
    from datetime import date

    from crm.prospection.models import CallPlan

    plan = CallPlan(firm_id=world.firm_b.id, name="Plan de B", objective="promotion", channel="phone",
                    starts_on=date(2026, 1, 5))
    db.session.add(plan)
    db.session.flush()
    return plan


def _plan_b_id(world):
    return _plan_b(world).id


def _plan_objection_b(world):
    from crm.prospection.models import CallPlanObjection

    item = CallPlanObjection(firm_id=world.firm_b.id, plan=_plan_b(world), objection="Trop cher", answer="Non")
    db.session.add(item)
    db.session.flush()
    return item.id


def _entry_b(world):
    from crm.prospection.models import CallPlanEntry

    entry = CallPlanEntry(firm_id=world.firm_b.id, plan_id=_plan_b(world).id, party_id=_party_b(world),
                          source="manual", status="todo", attempts=0)
    db.session.add(entry)
    db.session.flush()
    return entry.id


def _mailing_b(world):
    from crm.prospection.models import Mailing

    mailing = Mailing(firm_id=world.firm_b.id, plan_id=_plan_b(world).id, subject="Offre", body="Texte",
                      total=1, done=1, up_to_entry_id=1, status="ready", pdf=b"%PDF-1.7")
    db.session.add(mailing)
    db.session.flush()
    return mailing.id


def _message_b(world):
    from crm.prospection.models import Message

    message = Message(firm_id=world.firm_b.id, folder="inbox", status="received", from_address="a@b.fr",
                      to_address="b@b.fr", subject="Message de B", body="Bonjour")
    db.session.add(message)
    db.session.flush()
    return message.id


def _template_b(world):
    from crm.prospection.models import MessageTemplate

    template = MessageTemplate(firm_id=world.firm_b.id, name="Modèle de B", kind="letter", purpose="",
                               subject="Objet", body="Texte")
    db.session.add(template)
    db.session.flush()
    return template.id


def _reminder_b(world):
    from datetime import date

    from crm.prospection.models import PaymentReminder

    invoice_id = _document_b(world)
    from crm.ventes.documents.models import Invoice

    invoice = db.session.get(Invoice, invoice_id)
    reminder = PaymentReminder(firm_id=world.firm_b.id, invoice_id=invoice_id, party_id=invoice.party_id,
                               level="friendly", channel="letter", sent_on=date(2026, 2, 10), days_late=5,
                               amount_due=120, penalties=0, indemnity=0)
    db.session.add(reminder)
    db.session.flush()
    return reminder.id


def _agenda_item_b(world):
    from datetime import date

    from crm.prospection.models import AgendaItem

    item = AgendaItem(firm_id=world.firm_b.id, user_id=world.trainee_b.id, kind="callback", day=date(2026, 2, 10),
                      title="Rappeler B")
    db.session.add(item)
    db.session.flush()
    return item.id
def _scenario_b(world):
    from crm.formation.models import Scenario

    scenario = Scenario(name="Scénario de B", source="scenario: {name: B}\nfirm: {trade_name: B}\n",
                        author_id=world.teacher_b.id)
    db.session.add(scenario)
    db.session.flush()
    return scenario.id


def _event_b(world):
    from datetime import date

    from crm.formation.models import ScenarioEvent

    event = ScenarioEvent(firm_id=world.firm_b.id, kind="complaint", title="Plainte chez B",
                          due_on=date(2030, 1, 1), payload={"text": "?", "visitor_name": "B"})
    db.session.add(event)
    db.session.flush()
    return event.id


def _activity_b(world):
    from crm.formation.journal import record_activity

    return record_activity(world.firm_b, world.trainee_b, "party.updated", None, "Activité de B").id


def _incoming_b(world):
    from datetime import date

    from decimal import Decimal

    from crm.einvoice import cii, issuing
    from crm.einvoice.models import IncomingInvoice
    from crm.ventes.documents.models import Invoice

    # A real CII (its page reads it back), written from firm B's own invoice: stored files are checked.
    invoice = issuing.invoice_of(db.session.get(Invoice, _document_b(world)), paid=Decimal("0"))
    invoice.number = "F-B-1"  # the draft has none
    xml = cii.to_xml(invoice)
    incoming = IncomingInvoice(firm_id=world.firm_b.id, channel="upload", type_code="380", number="F-B-1",
                               issue_date=date(2026, 2, 10), seller_name="Fournisseur de B", seller_key="b",
                               total_ht=10, total_vat=2, total_ttc=12, due_payable=12, filename="b.xml",
                               content_type="application/xml", data=xml, xml=xml, sha256="0" * 64)
    db.session.add(incoming)
    db.session.flush()
    return incoming.id


def _supplier_invoice_b(world):
    from datetime import date

    from crm.einvoice.models import SupplierInvoice

    invoice = SupplierInvoice(firm_id=world.firm_b.id, supplier_id=_party_b(world), number="FB-1",
                              issue_date=date(2026, 2, 10), total_ht=10, total_vat=2, total_ttc=12)
    db.session.add(invoice)
    db.session.flush()
    return invoice.id


# id argument name → factory(world) returning the id of an object of firm B
# (or, for teacher-side objects, of classroom B). Extend it with each new route.
FOREIGN_IDS = {
    "firm_id": _firm_b,
    "classroom_id": _classroom_b,
    "user_id": _trainee_b,
    "membership_id": _membership_b,
    "product_id": _product_b_id,
    "family_id": _family_b,
    "objection_id": _objection_b,
    "promotion_id": _promotion_b,
    "count_id": _count_b,
    "party_id": _party_b,
    "document_id": _document_b,
    "contact_id": _contact_b,
    "address_id": _address_b,
    "saved_filter_id": _saved_filter_b,
    "service_id": _service_b,
    "staff_member_id": _staff_member_b,
    "desk_request_id": _desk_request_b,
    "order_id": _order_b,
    "order_line_id": _order_line_b,
    "receipt_id": _receipt_b,
    "return_id": _return_b,
    "sale_id": _sale_b,
    "closing_id": _closing_b,
    "plan_id": _plan_b_id,
    "plan_objection_id": _plan_objection_b,
    "entry_id": _entry_b,
    "mailing_id": _mailing_b,
    "message_id": _message_b,
    "template_id": _template_b,
    "reminder_id": _reminder_b,
    "agenda_item_id": _agenda_item_b,
    "scenario_id": _scenario_b,
    "event_id": _event_b,
    "activity_id": _activity_b,
    "incoming_id": _incoming_b,
    "supplier_invoice_id": _supplier_invoice_b,
}

ID_ARG = re.compile(r"^\w+_id$|^id$")


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        args = [a for a in rule.arguments if ID_ARG.match(a)]
        if args:
            yield rule, args


def _row_counts():
    """Rows per table: a refused request must change nothing."""
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table))
    return counts


def test_every_id_argument_has_a_foreign_factory(app):
    missing = {a for _, args in _id_routes(app) for a in args if a not in FOREIGN_IDS}
    assert not missing, f"add a firm-B factory to FOREIGN_IDS for: {sorted(missing)}"


@pytest.mark.parametrize("who", ["trainee", "teacher"])
def test_foreign_ids_answer_404_on_every_route(app, world, who):
    browser = Auth(app.test_client())
    if who == "trainee":
        browser.login("eleve_a")
    else:
        browser.login("prof_a")
        # A teacher working inside one of their own firms.
        browser.post(f"/entreprises/{world.firm_a.id}/entrer")
    foreign = {name: factory(world) for name, factory in FOREIGN_IDS.items()}
    db.session.commit()
    before = _row_counts()
    checked = 0
    for rule, args in _id_routes(app):
        values = {a: foreign[a] for a in args}
        for a in rule.arguments:
            # Other arguments get a value their converter accepts (first of an any(...)).
            items = getattr(rule._converters.get(a), "items", None)
            values.setdefault(a, sorted(items)[0] if items else "x")
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = browser.client.get(url) if method == "GET" else browser.post(url, {})
            assert response.status_code == 404, f"{who}: {method} {url} answered {response.status_code}"
            checked += 1
    assert checked >= 10
    db.session.expire_all()
    assert _row_counts() == before


def test_a_closed_classroom_directory_shows_no_firm_of_another_classroom(app, world):
    """The exchange directory (issue 15): another classroom's firms appear only when both classrooms are open."""
    from crm.core.models import Classroom
    from tests.conftest import page_text

    classroom_a = db.session.get(Classroom, world.classroom_a.id)
    for open_a, open_b, visible in ((False, False, False), (True, False, False), (False, True, False),
                                    (True, True, True)):
        classroom_a.directory_open = open_a
        db.session.get(Classroom, world.classroom_b.id).directory_open = open_b
        db.session.commit()
        for username, other in (("eleve_a", "Firme B"), ("eleve_b", "Firme A")):
            browser = Auth(app.test_client())
            browser.login(username)
            assert (other in page_text(browser.client.get("/echanges/annuaire"))) is visible, (open_a, open_b)
