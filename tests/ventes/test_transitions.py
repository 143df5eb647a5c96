"""Document transitions are decided by the service: every transition posted from every status.

The expected table below is written by hand from the rules of the sales chain
(DESIGN.md, issue 9), not computed from `next_steps`: a quote becomes an order
only once accepted and still valid, a delivery note is invoiced once, an order
billed without delivery is not delivered any more, a credit note only corrects a
validated invoice within what remains uncredited, a payment only settles what is
still due. A refused transition keeps nothing; the page shows exactly the allowed ones.
"""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crm.clients import services as party_services
from crm.core.clock import business_today
from crm.core.errors import DomainError
from crm.extensions import db
from crm.stocks.services import move_stock
from crm.ventes.documents import services
from crm.ventes.documents.models import Payment, SalesDocument, SalesLine
from crm.ventes.models import Product
from tests.conftest import Auth, page_text

TRANSITIONS = ("validate", "delete", "accept", "refuse", "order", "delivery", "invoice", "credit_note",
               "payment")

# status of the document → the transitions it allows (all others are refused).
EXPECTED = {
    "quote_draft": {"validate", "delete"},
    "quote_sent": {"accept", "refuse"},
    "quote_expired": set(),
    "quote_accepted": set(),  # its order is already drafted
    "quote_accepted_order_deleted": {"order"},
    "quote_refused": set(),
    "order_draft": {"validate", "delete"},
    "order_confirmed": {"delivery", "invoice"},
    "order_partially_delivered": {"delivery"},
    "order_delivered": set(),
    "order_invoiced_without_delivery": set(),
    "delivery_draft": {"validate", "delete"},
    "delivery_issued": {"invoice"},
    "delivery_invoiced": set(),
    "invoice_draft": {"validate", "delete"},
    "invoice_unpaid": {"payment", "credit_note"},
    "invoice_partially_paid": {"payment", "credit_note"},
    "invoice_paid": {"credit_note"},
    "invoice_fully_credited": set(),
    "credit_note_draft": {"validate", "delete"},
    "credit_note_validated": set(),
}


class Chain:
    """Builds a fresh document in a given status in firm A, through the services."""

    def __init__(self, world):
        self.firm = world.firm_a
        self.user = world.trainee_a
        self.client = party_services.create_party(self.firm, None, {
            "kind": "client", "category": "business", "company_name": "Lycée Jean Moulin"}, journal=False)
        self.chair = Product(firm_id=self.firm.id, reference="CH-045", label="Chaise empilable",
                             purchase_price=D("20"), sale_price=D("45.00"), vat_rate=D("20"))
        db.session.add(self.chair)
        db.session.flush()
        move_stock(self.firm, None, self.chair, 500, "reception", unit_cost=D("20"), source="stock initial")

    @property
    def today(self):
        return business_today(self.firm)

    def draft(self, kind: str, **header) -> SalesDocument:
        document = services.create_document(self.firm, self.user, kind, self.client, self.today)
        services.save_draft(document, header, [
            services.LineData("Chaise empilable", D("2"), D("45.00"), D("20"), product=self.chair)])
        return document

    def validated(self, kind: str, **header) -> SalesDocument:
        document = self.draft(kind, **header)
        services.validate_document(document, self.user)
        return document

    def derive(self, source, kind: str, validate: bool = True) -> SalesDocument:
        document = services.derive_document(source, kind, self.user)
        if validate:
            services.validate_document(document, self.user)
        return document

    def build(self, state: str) -> SalesDocument:
        return getattr(self, state)()

    # quotes
    def quote_draft(self):
        return self.draft("quote")

    def quote_sent(self):
        return self.validated("quote")

    def quote_expired(self):
        quote = self.validated("quote", valid_until=self.today)
        self.firm.business_date = self.today + timedelta(days=1)  # the next day: past its validity
        db.session.flush()
        return quote

    def quote_accepted(self):
        quote = self.quote_sent()
        services.accept_quote(quote, self.user)
        return quote

    def quote_accepted_order_deleted(self):
        quote = self.quote_sent()
        services.delete_draft(services.accept_quote(quote, self.user))
        db.session.expire(quote)
        return quote

    def quote_refused(self):
        quote = self.quote_sent()
        services.refuse_quote(quote, self.user)
        return quote

    # orders
    def order_draft(self):
        return self.draft("order")

    def order_confirmed(self):
        return self.validated("order")

    def order_partially_delivered(self):
        order = self.order_confirmed()
        delivery = self.derive(order, "delivery", validate=False)
        services.set_derived_quantities(delivery, {}, {order.lines[0].id: D("1")})
        services.validate_document(delivery, self.user)
        return order

    def order_delivered(self):
        order = self.order_confirmed()
        self.derive(order, "delivery")
        return order

    def order_invoiced_without_delivery(self):
        order = self.order_confirmed()
        self.derive(order, "invoice")
        return order

    # delivery notes
    def delivery_draft(self):
        return self.derive(self.order_confirmed(), "delivery", validate=False)

    def delivery_issued(self):
        return self.derive(self.order_confirmed(), "delivery")

    def delivery_invoiced(self):
        delivery = self.delivery_issued()
        self.derive(delivery, "invoice")
        return delivery

    # invoices
    def invoice_draft(self):
        return self.draft("invoice")

    def invoice_unpaid(self):
        return self.validated("invoice")

    def invoice_partially_paid(self):
        invoice = self.invoice_unpaid()
        services.record_payment(invoice, self.user, D("10.00"), "cheque", self.today)
        return invoice

    def invoice_paid(self):
        invoice = self.invoice_unpaid()
        services.record_payment(invoice, self.user, invoice.total_ttc, "transfer", self.today)
        return invoice

    def invoice_fully_credited(self):
        invoice = self.invoice_unpaid()
        self.derive(invoice, "credit_note")
        return invoice

    # credit notes
    def credit_note_draft(self):
        return self.derive(self.invoice_unpaid(), "credit_note", validate=False)

    def credit_note_validated(self):
        return self.derive(self.invoice_unpaid(), "credit_note")


def _path(document_id: int, transition: str) -> str:
    base = f"/ventes/documents/{document_id}"
    return {"validate": f"{base}/valider", "delete": f"{base}/supprimer", "accept": f"{base}/accepter",
            "refuse": f"{base}/refuser", "payment": f"{base}/reglements"}.get(transition,
                                                                              f"{base}/suite/{transition}")


def _snapshot():
    """Every document with its status, number and totals, and the number of lines and payments."""
    db.session.expire_all()
    documents = db.session.execute(
        select(SalesDocument.id, SalesDocument.kind, SalesDocument.status, SalesDocument.number,
               SalesDocument.total_ttc).order_by(SalesDocument.id)).all()
    lines = db.session.scalar(select(func.count(SalesLine.id)))
    payments = db.session.scalar(select(func.count(Payment.id)))
    return documents, lines, payments


@pytest.fixture
def chain(app, world):
    built = Chain(world)
    db.session.commit()
    built.browser = Auth(app.test_client())
    built.browser.login("eleve_a")
    return built


@pytest.mark.parametrize("state", list(EXPECTED))
def test_every_transition_from_every_status(chain, state):
    for transition in TRANSITIONS:
        document = chain.build(state)
        db.session.commit()
        before = _snapshot()
        data = {"amount": "1,00", "method": "cash", "paid_on": chain.today.isoformat()} \
            if transition == "payment" else {}
        response = chain.browser.post(_path(document.id, transition), data,
                                      form_page=f"/ventes/documents/{document.id}")
        after = _snapshot()
        if transition in EXPECTED[state]:
            assert response.status_code == 302, f"{state} → {transition}: {response.status_code}"
            assert after != before, f"{state} → {transition} changed nothing"
        else:
            assert response.status_code in (303, 404, 422), f"{state} → {transition}: {response.status_code}"
            assert after == before, f"{state} → {transition} was refused but kept a change"


def _shown_actions(html: str, document_id: int) -> set[str]:
    shown = {transition for transition in TRANSITIONS
             if f'action="{_path(document_id, transition)}"' in html}
    if f'href="/ventes/documents/{document_id}/modifier"' in html:
        shown.add("edit")
    return shown


@pytest.mark.parametrize("state", list(EXPECTED))
def test_the_page_offers_exactly_the_allowed_transitions(chain, state):
    document = chain.build(state)
    db.session.commit()
    html = page_text(chain.browser.client.get(f"/ventes/documents/{document.id}"))
    expected = set(EXPECTED[state]) | ({"edit"} if document.is_draft else set())
    assert _shown_actions(html, document.id) == expected
    assert set(services.next_steps(document)) == expected


# --- the reproduced defects ---------------------------------------------------------

def test_a_delivery_note_is_invoiced_once_whatever_is_posted(chain):
    delivery = chain.delivery_issued()
    db.session.commit()
    for _ in range(3):
        chain.browser.post(_path(delivery.id, "invoice"), form_page=f"/ventes/documents/{delivery.id}")
    invoices = db.session.scalars(select(SalesDocument).where(
        SalesDocument.firm_id == chain.firm.id, SalesDocument.kind == "invoice")).all()
    assert len(invoices) == 1
    services.validate_document(invoices[0], chain.user)
    assert invoices[0].number is not None


def test_two_draft_invoices_of_one_delivery_note_cannot_both_be_validated(chain):
    delivery = chain.delivery_issued()
    first = services.derive_document(delivery, "invoice", chain.user)
    # A second draft sneaked in through the service (as an old page could have posted).
    second = services.create_document(chain.firm, chain.user, "invoice", chain.client, chain.today, source=delivery)
    second.deliveries.append(delivery)
    services.save_draft(second, {}, [services.carried_line(line, line.quantity) for line in delivery.lines])
    services.validate_document(first, chain.user)
    with pytest.raises(DomainError, match="déjà facturé"):
        services.validate_document(second, chain.user)


def _orders(chain) -> int:
    return db.session.scalar(select(func.count()).where(
        SalesDocument.firm_id == chain.firm.id, SalesDocument.kind == "order"))


def test_a_refused_quote_never_becomes_an_order(chain):
    quote = chain.quote_refused()
    db.session.commit()
    response = chain.browser.post(_path(quote.id, "order"), form_page=f"/ventes/documents/{quote.id}")
    assert response.status_code == 303
    assert "devis accepté" in page_text(chain.browser.client.get(response.headers["Location"]))
    assert _orders(chain) == 0


def test_an_expired_quote_never_becomes_an_order(chain):
    quote = chain.quote_expired()
    db.session.commit()
    for transition in ("accept", "order"):
        chain.browser.post(_path(quote.id, transition), form_page=f"/ventes/documents/{quote.id}")
    assert _orders(chain) == 0


# --- derived documents keep their source -----------------------------------------------

def test_a_derived_document_cannot_add_an_article_nor_change_a_price(chain):
    order = chain.order_confirmed()
    delivery = services.derive_document(order, "delivery", chain.user)
    stranger = services.LineData("Bureau", D("1"), D("300.00"), D("20"))
    with pytest.raises(DomainError, match="ne figure pas sur"):
        services.save_draft(delivery, {}, [stranger])
    cheaper = services.LineData("Chaise empilable", D("2"), D("1.00"), D("20"), product=chain.chair,
                                source_line=order.lines[0])
    with pytest.raises(DomainError, match="ne peuvent pas être changés"):
        services.save_draft(delivery, {}, [cheaper])
    other = party_services.create_party(chain.firm, None, {
        "kind": "client", "category": "private", "last_name": "Martin"}, journal=False)
    with pytest.raises(DomainError, match="ne peut pas être changé"):
        services.save_draft(delivery, {"party": other}, [services.carried_line(order.lines[0], D("2"))])


def test_the_trainee_chooses_each_quantity_and_zero_means_not_delivered(chain):
    order = chain.draft("order")
    services.save_draft(order, {}, [
        services.LineData("Chaise empilable", D("10"), D("45.00"), D("20"), product=chain.chair),
        services.LineData("Montage", D("1"), D("60.00"), D("20"))])
    services.validate_document(order, chain.user)
    delivery = services.derive_document(order, "delivery", chain.user)
    db.session.commit()
    chair_line, service_line = order.lines
    page = f"/ventes/documents/{delivery.id}/modifier"
    html = page_text(chain.browser.client.get(page))
    assert f'name="quantity_{chair_line.id}"' in html and "Reste à livrer" in html
    data = {"issue_date": chain.today.isoformat(), f"quantity_{chair_line.id}": "4",
            f"quantity_{service_line.id}": "0"}
    assert chain.browser.post(page, data, form_page=page).status_code == 302
    db.session.expire_all()
    assert [(line.source_line_id, line.quantity) for line in delivery.lines] == [(chair_line.id, D("4"))]
    # More than remains to deliver: refused beside that line's field, nothing saved.
    data[f"quantity_{chair_line.id}"] = "11"
    response = chain.browser.post(page, data, form_page=page)
    assert response.status_code == 422
    html = page_text(response)
    field_at = html.index(f'name="quantity_{chair_line.id}"')
    assert "10 au plus peut être repris" in html[field_at:field_at + 600]
    db.session.expire_all()
    assert [line.quantity for line in delivery.lines] == [D("4")]


def test_a_derived_document_keeps_the_reductions_of_its_source(chain):
    order = chain.order_confirmed()
    delivery = services.derive_document(order, "delivery", chain.user)
    with pytest.raises(DomainError, match="ne peuvent pas être changés") as refused:
        services.save_draft(delivery, {"remise_rate": D("50")}, [services.carried_line(order.lines[0], D("2"))])
    assert refused.value.field == "remise_rate"
