"""A small firm whose every indicator is worked out by hand (the arithmetic is in the comments).

Firm A lives on a simulated calendar; its business date is moved day by day
while the fixture sells, as a teacher would, and ends on 20/11/2026. The month
of November is then shown from the 1st to the 20th and compared with 1–20 October.

Catalogue (purchase → sale price HT):
  CH chaise (Mobilier, 20 %)      20,00 → 45,00, stock tracked, alert point 20
  TB table (Mobilier, 20 %)       55,00 → 120,00, stock tracked, alert point 2
  LI livre de caisse (Papeterie, 5,5 %) 5,00 → 12,50, stock tracked
  SV installation (no family, 20 %) 10,00 → 38,00, a service (not in stock)

Stock ledger (CMUP):
  01/10 receptions: CH 10 × 20,00 ; TB 5 × 55,00 ; LI 40 × 5,00
  08/10 ticket TK1: CH −1 (9 left, CMUP 20,00)
  10/11 reception CH 10 × 26,00 → CMUP (9 × 20 + 10 × 26) ÷ 19 = 440 ÷ 19 = 23,157… → 23,16
  12/11 ticket TK2: CH −2, LI −4 ; 15/11 ticket TK3: TB −1 ; 18/11 credit note AV1: CH +1 returned

Previous period (1–20 October):
  05/10 invoice FA1, Lycée (professionnel): 2 TB × 120 = 240,00 HT, TVA 48,00, 288,00 TTC;
        cost 2 × 55,00 = 110,00 ; validated by eleve_a
  08/10 ticket TK1, no client: 1 CH = 45,00 HT, 54,00 TTC; cost 20,00 ; cashier eleve_c
  → CA HT 285,00 ; CA TTC 342,00 ; 2 sales ; cost 130,00 ; margin 155,00
  02/10 quote DE1 (Boulangerie), valid until 01/11, never answered → expired by 20/11
  10/10 desk request (tarifs), satisfaction 4

Current period (1–20 November):
  03/11 invoice FA2, Lycée: 4 CH × 45 = 180,00 + 2 SV × 38 = 76,00 → gross 256,00 ;
        remise 10 % = 25,60 → 230,40 HT ; TVA 20 % = 46,08 → 276,48 TTC ; validated by eleve_a.
        Lines' shares of 230,40: CH 180 ÷ 256 × 230,40 = 162,00 ; SV 76 ÷ 256 × 230,40 = 68,40.
        Cost: 4 CH × 20,00 (CMUP on 03/11) = 80,00 + 2 SV × 10,00 (purchase price) = 20,00 → 100,00
  12/11 ticket TK2, Claire Dubois (particulier, no segment): 2 CH × 45 = 90,00 + 4 LI × 12,50 = 50,00
        → 140,00 HT ; TVA 18,00 + 2,75 → 160,75 TTC ; paid 200,00 cash, change 39,25 ; cashier eleve_a
        Cost: 2 × 23,16 = 46,32 + 4 × 5,00 = 20,00 → 66,32
  15/11 ticket TK3, no client: 1 TB = 120,00 HT, 144,00 TTC, paid by card ; cost 55,00 ; cashier eleve_c
  18/11 credit note AV1 on FA2: 1 CH returned, 45,00 less the 10 % remise = 40,50 HT, 48,60 TTC ;
        cost given back 1 × 23,16 ; validated by eleve_c
  19/11 a draft invoice of 1 000,00 (not validated: not a sale)
  Payments: 02/11 FA1 by transfer 288,00 ; 16/11 FA2 by cheque 100,00
  Quotes: DE2 04/11 accepted, DE3 07/11 refused, DE4 09/11 still sent (valid until 09/12), DE5 draft
  Desk: 02/11 tarifs closed 5/5 ; 06/11 réclamation closed 2/5 ; 14/11 horaires, rated 3 by its survey
  Surveys: TK2 answered 13/11 (overall 4, accueil 5, conseils 4, would recommend) ; TK3 offered, not answered
  Prospects: one at each stage: nouveau, contacté, intéressé, devis envoyé, perdu, and one converted

  CA HT  = 230,40 − 40,50 + 260,00 = 449,90
  CA TTC = 276,48 − 48,60 + 304,75 = 532,63
  sales = 1 invoice + 2 tickets = 3 ; average basket = 532,63 ÷ 3 = 177,543… → 177,54
  cost = 100,00 − 23,16 + (66,32 + 55,00) = 198,16 ; margin = 449,90 − 198,16 = 251,74
  margin rate = 251,74 ÷ 198,16 × 100 = 127,038… → 127,04 % ; markup rate = 251,74 ÷ 449,90 × 100 → 55,95 %

Firm B has an invoice of 9 999,00 HT in November: it must never show in firm A's figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

import pytest

from crm.accueil import services as desk
from crm.clients import services as clients
from crm.core.models import Role
from crm.extensions import db
from crm.indicateurs import surveys
from crm.stocks.services import move_stock, set_thresholds
from crm.ventes.caisse import services as till
from crm.ventes.documents import services as documents
from crm.ventes.documents.services import LineData
from crm.ventes.models import Product, ProductFamily
from crm.ventes.codes import CASH, PAYMENT_MODES

TODAY = date(2026, 11, 20)
# The till's card code, whatever its spelling (the codes are being unified).
CARD = next(code for code, label in PAYMENT_MODES.items() if label == "Carte bancaire")


@dataclass
class Shop:
    world: object
    firm: object
    seller: object  # eleve_a
    other: object  # eleve_c
    products: dict
    parties: dict
    tickets: dict
    invoices: dict
    desk_requests: dict
    surveys: dict


def _on(firm, day: date) -> date:
    """Move the firm's simulated calendar (as the teacher does) and return the day."""
    firm.business_date = day
    db.session.flush()
    return day


def _invoice(firm, user, party, day, lines, remise=D("0")):
    invoice = documents.create_document(firm, user, "invoice", party, day)
    documents.save_draft(invoice, {"remise_rate": remise}, lines)
    documents.validate_document(invoice, user)
    return invoice


def _line(product, quantity):
    return LineData(product.label, D(quantity), product.sale_price, product.vat_rate, product=product)


def _quote(firm, user, party, day, product, status):
    quote = documents.create_document(firm, user, "quote", party, day)
    documents.save_draft(quote, {}, [_line(product, 1)])
    if status == "draft":
        return quote
    documents.validate_document(quote, user)
    if status == "accepted":
        documents.accept_quote(quote, user)
    elif status == "refused":
        documents.refuse_quote(quote, user)
    return quote


@pytest.fixture
def shop(world, make_user, make_member):
    firm, seller = world.firm_a, world.trainee_a
    other = make_user(Role.TRAINEE, "eleve_c", classroom=world.classroom_a, display_name="Élève C")
    make_member(other, firm, "commercial")
    world.membership_a.position = "commercial"

    furniture = ProductFamily(firm_id=firm.id, name="Mobilier")
    paper = ProductFamily(firm_id=firm.id, name="Papeterie")
    db.session.add_all([furniture, paper])
    db.session.flush()
    products = {
        "CH": Product(firm_id=firm.id, reference="CH", label="Chaise", family_id=furniture.id,
                      purchase_price=D("20.00"), sale_price=D("45.00"), vat_rate=D("20")),
        "TB": Product(firm_id=firm.id, reference="TB", label="Table", family_id=furniture.id,
                      purchase_price=D("55.00"), sale_price=D("120.00"), vat_rate=D("20")),
        "LI": Product(firm_id=firm.id, reference="LI", label="Livre de caisse", family_id=paper.id,
                      purchase_price=D("5.00"), sale_price=D("12.50"), vat_rate=D("5.5")),
        "SV": Product(firm_id=firm.id, reference="SV", label="Installation", purchase_price=D("10.00"),
                      sale_price=D("38.00"), vat_rate=D("20"), stock_tracked=False),
    }
    db.session.add_all(products.values())
    db.session.flush()
    ch, tb, li, sv = (products[k] for k in ("CH", "TB", "LI", "SV"))
    set_thresholds(ch, 5, 8, 60, "typed", alert=20)
    set_thresholds(tb, 1, 1, 20, "typed", alert=2)

    lycee = clients.create_party(firm, seller, {"kind": "client", "category": "business",
                                                "company_name": "Lycée Jean Moulin",
                                                "segment": "Établissements scolaires"}, journal=False)
    claire = clients.create_party(firm, seller, {"kind": "client", "category": "private", "first_name": "Claire",
                                                 "last_name": "Dubois"}, journal=False)
    bakery = clients.create_party(firm, seller, {"kind": "prospect", "category": "business",
                                                 "company_name": "Boulangerie Martin", "stage": "contacte"},
                                  journal=False)
    for n, stage in enumerate(("nouveau", "interesse", "devis_envoye", "perdu", "contacte")):
        clients.create_party(firm, seller, {"kind": "prospect", "category": "private", "last_name": f"Prospect {n}",
                                            "stage": stage}, journal=False)
    converted = clients.create_party(firm, seller, {"kind": "prospect", "category": "private",
                                                    "last_name": "Converti", "stage": "interesse"}, journal=False)
    clients.convert_to_client(converted, seller)
    # Stages: nouveau 1, contacté 2 (bakery + one), intéressé 1, devis envoyé 1, perdu 1, converti 1.

    tickets, invoices, requests, answered = {}, {}, {}, {}
    # --- October -------------------------------------------------------------------------
    day = _on(firm, date(2026, 10, 1))
    for product, quantity in ((ch, 10), (tb, 5), (li, 40)):
        move_stock(firm, seller, product, quantity, "reception", unit_cost=product.purchase_price, moved_on=day)
    day = _on(firm, date(2026, 10, 2))
    _quote(firm, seller, bakery, day, ch, "sent")  # valid 30 days: until 01/11
    day = _on(firm, date(2026, 10, 5))
    invoices["FA1"] = _invoice(firm, seller, lycee, day, [_line(tb, 2)])
    day = _on(firm, date(2026, 10, 8))
    tickets["TK1"] = till.sell(firm, other, [till.TicketLine(ch, 1)], [(CASH, "54")], today=day)
    day = _on(firm, date(2026, 10, 10))
    requests["oct"] = _desk_request(firm, seller, "info_prices", satisfaction=4)
    # --- November ------------------------------------------------------------------------
    day = _on(firm, date(2026, 11, 2))
    documents.record_payment(invoices["FA1"], seller, D("288.00"), "transfer", day)
    requests["prices"] = _desk_request(firm, seller, "info_prices", satisfaction=5)
    day = _on(firm, date(2026, 11, 3))
    invoices["FA2"] = _invoice(firm, seller, lycee, day, [_line(ch, 4), _line(sv, 2)], remise=D("10"))
    day = _on(firm, date(2026, 11, 4))
    _quote(firm, seller, lycee, day, tb, "accepted")
    day = _on(firm, date(2026, 11, 6))
    requests["complaint"] = _desk_request(firm, other, "complaint", satisfaction=2)
    day = _on(firm, date(2026, 11, 7))
    _quote(firm, other, claire, day, tb, "refused")
    day = _on(firm, date(2026, 11, 9))
    _quote(firm, seller, claire, day, li, "sent")
    _quote(firm, seller, claire, day, li, "draft")
    day = _on(firm, date(2026, 11, 10))
    move_stock(firm, seller, ch, 10, "reception", unit_cost=D("26.00"), moved_on=day)
    day = _on(firm, date(2026, 11, 12))
    tickets["TK2"] = till.sell(firm, seller, [till.TicketLine(ch, 2), till.TicketLine(li, 4)], [(CASH, "200")],
                               party=claire, today=day)
    day = _on(firm, date(2026, 11, 13))
    survey = surveys.offer_survey(firm, seller, "counter_sale", tickets["TK2"], day)
    surveys.answer_survey(surveys.token_for(survey), surveys.Answers(4, 5, 4, True, "Bon accueil"))
    answered["TK2"] = survey
    day = _on(firm, date(2026, 11, 14))
    requests["hours"] = _desk_request(firm, seller, "info_hours")
    desk_survey = surveys.offer_survey(firm, seller, "desk_request", requests["hours"], day)
    surveys.answer_survey(surveys.token_for(desk_survey), surveys.Answers(3))
    answered["desk"] = desk_survey
    day = _on(firm, date(2026, 11, 15))
    tickets["TK3"] = till.sell(firm, other, [till.TicketLine(tb, 1)], [(CARD, "144")], today=day)
    answered["TK3"] = surveys.offer_survey(firm, other, "counter_sale", tickets["TK3"], day)
    day = _on(firm, date(2026, 11, 16))
    documents.record_payment(invoices["FA2"], seller, D("100.00"), "cheque", day)
    day = _on(firm, date(2026, 11, 18))
    credit = documents.derive_document(invoices["FA2"], "credit_note", other, today=day)
    ch_line = next(line for line in credit.lines if line.product_id == ch.id)
    documents.save_draft(credit, {"goods_returned": True}, [
        LineData(ch_line.description, D("1"), ch_line.unit_price, ch_line.vat_rate, product=ch,
                 source_line=ch_line.source_line)])
    documents.validate_document(credit, other)
    invoices["AV1"] = credit
    day = _on(firm, date(2026, 11, 19))
    draft = documents.create_document(firm, seller, "invoice", lycee, day)
    documents.save_draft(draft, {}, [LineData("Gros projet", D("1"), D("1000.00"), D("20"))])
    _on(firm, TODAY)

    _call_plans(firm, seller, shop_parties := {"lycee": lycee, "claire": claire, "bakery": bakery})

    # Firm B sells in the same month: never part of firm A's figures.
    firm_b = world.firm_b
    firm_b.business_date = TODAY
    client_b = clients.create_party(firm_b, world.trainee_b, {"kind": "client", "category": "business",
                                                              "company_name": "Client B"}, journal=False)
    _invoice(firm_b, world.trainee_b, client_b, date(2026, 11, 10),
             [LineData("Prestation B", D("1"), D("9999.00"), D("20"))])
    db.session.commit()
    return Shop(world, firm, seller, other, products, shop_parties, tickets, invoices, requests, answered)


def _desk_request(firm, user, nature, satisfaction=None):
    request = desk.record_request(firm, user, desk.RequestData(
        channel="face", nature=nature, request_text="Une question", visitor_name="Visiteur", answer="Réponse"))
    if satisfaction is not None:
        desk.close_request(request, user, satisfaction)
    return request


def _call_plans(firm, user, parties):
    """Call plans, as the prospection screens leave them (rows written directly: only their results count).

    November phone plan, 5 targets: 1 absent then appointment ; 2 sale ; 3 refused ; 4 voicemail ;
    5 not called yet → 5 targets, 4 called, 3 reached (1, 2, 3), 1 appointment, 1 sale:
    progress 4 ÷ 5 = 80 % ; reached 3 ÷ 4 = 75 % ; appointments 1 ÷ 3 = 33,33 % ; sales 1 ÷ 3 = 33,33 %.
    An October plan that ended on 31/10 (one sale) and a November letter plan do not count.
    """
    from crm.prospection import models as p

    def plan(name, channel, starts_on, ends_on, outcomes):
        row = p.CallPlan(firm_id=firm.id, name=name, objective=next(iter(p.OBJECTIVES)), channel=channel,
                         starts_on=starts_on, ends_on=ends_on, created_by_id=user.id)
        db.session.add(row)
        db.session.flush()
        for n, calls in enumerate(outcomes):
            party = clients.create_party(firm, user, {"kind": "client", "category": "private",
                                                      "last_name": f"Cible {name} {n}"}, journal=False)
            entry = p.CallPlanEntry(firm_id=firm.id, plan_id=row.id, party_id=party.id, attempts=len(calls),
                                    last_outcome=calls[-1] if calls else None)
            db.session.add(entry)
            db.session.flush()
            for outcome in calls:
                db.session.add(p.CallAttempt(firm_id=firm.id, entry_id=entry.id, outcome=outcome, user_id=user.id))
        db.session.flush()

    plan("Relance novembre", p.PHONE, date(2026, 11, 2), None,
         [[p.ABSENT, p.APPOINTMENT], [p.SALE], [p.REFUSED], [p.VOICEMAIL], []])
    plan("Octobre", p.PHONE, date(2026, 10, 1), date(2026, 10, 31), [[p.SALE]])
    plan("Courrier", p.LETTER, date(2026, 11, 5), None, [[p.SENT]])
