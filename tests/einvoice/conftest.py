"""A firm that sells at every French VAT rate, to a business and to a private client."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm.clients import services as party_services
from crm.clients.models import Address
from crm.core.models import Firm, Role, User
from crm.extensions import db
from crm.ventes.documents import services
from crm.ventes.documents.services import LineData
from crm.ventes.models import Product
from tests import factories

ISSUED = date(2026, 11, 20)


@pytest.fixture
def seller(app, world):
    """Firm A with a full identity, products at 20 %, 10 %, 5,5 %, 2,1 % and 0 %, two clients."""

    class Seller:
        pass

    s = Seller()
    firm = db.session.get(Firm, world.firm_a.id)
    firm.trade_name, firm.legal_form = "Boutique voisine", "SARL"
    firm.siren, firm.siret, firm.vat_number = "732829320", "73282932000074", ""
    firm.address_line1, firm.postcode, firm.city = "3 rue des Lilas", "69003", "Lyon"
    firm.email, firm.iban, firm.bic = "contact@boutique.test", "FR7630006000011234567890189", "AGRIFRPP"
    s.firm = firm
    s.user = db.session.scalar(select(User).filter_by(username="eleve_a"))
    s.business = party_services.create_party(firm, None, {
        "kind": "client", "category": "business", "company_name": "Lycée Jean Moulin",
        "siret": "19690001400012", "vat_number": "FR15196900014", "address_line1": "1 rue du Lycée",
        "postcode": "69008", "city": "Lyon", "email": "intendance@lycee.test"}, journal=False)
    s.private = party_services.create_party(firm, None, {
        "kind": "client", "category": "private", "first_name": "Léa", "last_name": "Martin",
        "address_line1": "8 impasse du Parc", "postcode": "69100", "city": "Villeurbanne"}, journal=False)
    db.session.add(Address(firm_id=firm.id, party=s.private, kind="delivery", line1="12 quai Perrache",
                           postcode="69002", city="Lyon"))
    s.products = {}
    for reference, label, price, rate, unit, tracked in (
            ("CH-045", "Chaise empilable", "45.00", "20", "unité", True),
            ("RE-010", "Repas traiteur", "12.40", "10", "unité", False),
            ("LI-001", "Livre de caisse", "12.50", "5.5", "unité", True),
            ("JO-002", "Journal hebdomadaire", "2.35", "2.1", "unité", False),
            ("FO-003", "Formation certifiante", "180.00", "0", "heure", False),
            ("CA-004", "Café en grains", "18.90", "5.5", "kg", False)):
        product = Product(firm_id=firm.id, reference=reference, label=label, purchase_price=D(price) / 2,
                          sale_price=D(price), vat_rate=D(rate), unit=unit, stock_tracked=tracked)
        db.session.add(product)
        s.products[reference] = product
    db.session.flush()
    from crm.stocks.services import move_stock

    for reference in ("CH-045", "LI-001"):
        move_stock(firm, None, s.products[reference], 100, "reception", unit_cost=D("5"), source="stock initial")
    db.session.commit()
    return s


def every_rate_lines(seller) -> list[LineData]:
    p = seller.products
    return [
        LineData("Chaise empilable", D("10"), D("45.00"), D("20"), D("0"), p["CH-045"]),
        LineData("Repas traiteur", D("7"), D("12.40"), D("10"), D("0"), p["RE-010"]),
        LineData("Livre de caisse", D("4"), D("12.50"), D("5.5"), D("10"), p["LI-001"]),  # line discount
        LineData("Journal hebdomadaire", D("13"), D("2.35"), D("2.1"), D("0"), p["JO-002"]),
        LineData("Formation certifiante", D("3.5"), D("180.00"), D("0"), D("5"), p["FO-003"]),
        LineData("Café en grains", D("2.375"), D("18.90"), D("5.5"), D("0"), p["CA-004"]),
    ]


def issue_invoice(seller, party, lines, remise="0", rabais="0", ristourne="0", escompte="0", validate=True):
    document = services.create_document(seller.firm, seller.user, "invoice", party, ISSUED)
    services.save_draft(document, {"remise_rate": D(remise), "rabais_rate": D(rabais),
                                   "ristourne_rate": D(ristourne), "escompte_rate": D(escompte)}, lines)
    if validate:
        services.validate_document(document, seller.user)
    db.session.flush()
    return document


def credit(seller, invoice, quantities: dict[str, D] | None = None):
    """A validated credit note of an invoice: every line, or the given quantities per product reference."""
    note = services.derive_document(invoice, "credit_note", seller.user, today=ISSUED)
    if quantities is not None:
        wanted = {line.source_line_id: quantities.get(line.product.reference, D("0")) for line in note.lines}
        services.set_derived_quantities(note, {}, wanted)
    services.validate_document(note, seller.user)
    db.session.flush()
    return note


BUYER_SIRET = "55210055400013"


@pytest.fixture
def buyer(seller, world):
    """Comptoir démo: a firm of the seller's classroom, eleve_c at its responsable poste."""
    firm = factories.make_firm(world.classroom_a, trade_name="Comptoir démo", legal_form="SAS",
                               siren=BUYER_SIRET[:9], siret=BUYER_SIRET, address_line1="5 place Bellecour",
                               postcode="69002", city="Lyon")
    user = factories.make_user(Role.TRAINEE, "eleve_c", classroom=world.classroom_a)
    factories.make_member(user, firm, "responsable")
    db.session.commit()
    return firm


@pytest.fixture
def trade(seller, world):
    """Comptoir démo (classroom A, eleve_c at the responsable poste) orders chairs and books from
    Boutique voisine (the seller): supplier linked, purchase order validated, not received yet."""
    from crm.einvoice import services as exchange
    from crm.stocks import purchasing as stock_purchasing
    from tests import factories

    class Trade:
        pass

    t = Trade()
    t.seller = seller
    t.buyer = factories.make_firm(world.classroom_a, trade_name="Comptoir démo", legal_form="SAS",
                                  siren=BUYER_SIRET[:9], siret=BUYER_SIRET, address_line1="5 place Bellecour",
                                  postcode="69002", city="Lyon")
    t.buyer_user = factories.make_user(Role.TRAINEE, "eleve_c", classroom=world.classroom_a)
    factories.make_member(t.buyer_user, t.buyer, "responsable")
    t.supplier = exchange.link_firm(t.buyer, t.buyer_user, seller.firm, "supplier")
    t.client = exchange.link_firm(seller.firm, seller.user, t.buyer, "client")
    t.chair = factories.make_product(t.buyer, reference="CH-045", label="Chaise empilable",
                                     purchase_price=D("45.00"), sale_price=D("79.00"))
    t.book = factories.make_product(t.buyer, reference="LI-001", label="Livre de caisse",
                                    purchase_price=D("11.25"), sale_price=D("19.90"), vat_rate=D("5.5"))
    t.order = stock_purchasing.create_order(t.buyer, t.buyer_user, t.supplier, ISSUED)
    stock_purchasing.set_order_line(t.order, t.chair, 10)
    stock_purchasing.set_order_line(t.order, t.book, 4)
    stock_purchasing.validate_order(t.buyer, t.buyer_user, t.order)
    db.session.commit()
    return t


def trade_lines(trade, chairs="10", chair_price="45.00") -> list[LineData]:
    """The seller's invoice lines for the buyer's order (a 10 % line discount on the books)."""
    p = trade.seller.products
    return [LineData("Chaise empilable", D(chairs), D(chair_price), D("20"), D("0"), p["CH-045"]),
            LineData("Livre de caisse", D("4"), D("12.50"), D("5.5"), D("10"), p["LI-001"])]


def receive_goods(trade, chairs: int, damaged: int = 0, books: int = 0):
    from crm.stocks import purchasing as stock_purchasing

    lines = {line.product.reference: line.id for line in trade.order.lines}
    values = {lines["CH-045"]: stock_purchasing.ReceiptLineInput(chairs, damaged, note="abîmées" if damaged else "")}
    if books:
        values[lines["LI-001"]] = stock_purchasing.ReceiptLineInput(books)
    receipt = stock_purchasing.create_receipt(trade.buyer, trade.buyer_user, trade.order, ISSUED, values)
    stock_purchasing.validate_receipt(trade.buyer, trade.buyer_user, receipt)
    db.session.flush()
    return receipt
