"""A whole practice firm's data at any size, for the query-count test and `make bench`.

`populate(firm, user, Sizes(...))` fills one firm with parties, products (with
thresholds, suppliers, promotions), sales documents of every kind and status
with their lines and payments, stock moves, purchase orders and receipts,
desk requests, till sales and journal entries. It is reproducible (fixed seed)
and fast: rows go in through the models' tables with multi-row INSERTs
(SQLAlchemy core), and the few chained records (till tickets, whose hashes
link them) go through their service.

`Sizes.issue()` is the data set of issue 10 (20 000 parties, 5 000 products,
20 000 documents with 100 000 lines, 50 000 stock moves, 20 000 journal
entries); the query-count test uses `Sizes.scaled(n)`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal as D

from sqlalchemy import func, insert, select, update

from crm.clients.models import Contact, Interaction, Party
from crm.clients.services import fold
from crm.core.numbering_models import DocumentCounter
from crm.extensions import db
from crm.formation.models import Activity, ActivityCompetency
from crm.stocks.models import (
    GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, StockCount, StockCountLine, SupplierReturn,
    SupplierReturnLine,
    StockMove, StockThreshold, SupplierTerms,
)
from crm.ventes.documents.models import Payment, SalesDocument, SalesLine, invoice_deliveries
from crm.ventes.models import Product, ProductFamily, PromotionalPrice, product_search_text
from tests.factories import firm_today

LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Hélène", "Émile"]
FIRST = ["Léa", "Hugo", "Zoé", "Lucas", "Emma", "Nathan", "Chloé", "Louis", "Inès", "Jules"]
CITIES = [("75011", "Paris"), ("69001", "Lyon"), ("13001", "Marseille"), ("59000", "Lille"),
          ("33000", "Bordeaux"), ("44000", "Nantes"), ("67000", "Strasbourg"), ("31000", "Toulouse"),
          ("97400", "Saint-Denis"), ("06000", "Nice")]
WORDS = ["Chaise", "Table", "Bureau", "Lampe", "Étagère", "Fauteuil", "Armoire", "Tabouret",
         "Caisson", "Écran", "Clavier", "Câble", "Ramette", "Stylo", "Classeur", "Agrafeuse"]
COLOURS = ["noire", "blanche", "chêne", "rouge", "bleue", "grise", "verte", "hêtre"]
VAT = [D("20"), D("20"), D("20"), D("10"), D("5.5")]
# kind → share of the documents, statuses a validated one may have, numbering prefix and type
KINDS = [
    ("quote", 0.2, ["sent", "accepted", "refused"], "DE", "quote"),
    ("order", 0.15, ["confirmed", "delivered", "partially_delivered"], "BC", "order"),
    ("delivery", 0.15, ["issued", "invoiced"], "BL", "delivery"),
    ("invoice", 0.4, ["unpaid", "partially_paid", "paid"], "FA", "invoice"),
    ("credit_note", 0.1, ["validated"], "AV", "credit_note"),
]
START = date(2025, 1, 2)
DAYS = 540
MOVE_KINDS = [("reception", 1), ("delivery", -1), ("counter_sale", -1), ("loss", -1)]
VERBS = [("party.created", "A1T3C3"), ("quote.created", "A3T2C1"), ("invoice.validated", "A3T3C2")]


@dataclass(frozen=True)
class Sizes:
    parties: int
    products: int
    documents: int
    lines_per_document: int
    stock_moves: int
    activities: int
    till_sales: int = 0

    @classmethod
    def issue(cls) -> Sizes:
        """The data set measured in issue 10 (one firm, several years of a school)."""
        return cls(parties=20_000, products=5_000, documents=20_000, lines_per_document=5,
                   stock_moves=50_000, activities=20_000, till_sales=30)

    @classmethod
    def scaled(cls, n: int) -> Sizes:
        """A small firm whose every table grows with n (query-count test: n and 10 × n)."""
        return cls(parties=4 * n, products=2 * n, documents=5 * n, lines_per_document=3,
                   stock_moves=5 * n, activities=4 * n, till_sales=n)


@dataclass
class Populated:
    """Ids of representative rows, to open their pages."""

    ids: dict


def _bulk(model, rows: list[dict]) -> list[int]:
    """Multi-row INSERTs, then the new ids in the order of `rows` (ids grow in insertion order;
    the data set is built by one session alone, so no other row takes an id meanwhile)."""
    if not rows:
        return []
    before = db.session.scalar(select(func.coalesce(func.max(model.id), 0)))
    _plain(model, rows)
    ids = list(db.session.scalars(select(model.id).where(model.id > before).order_by(model.id)))
    assert len(ids) == len(rows), f"{model.__tablename__}: rows inserted by someone else meanwhile"
    return ids


def _plain(table_or_model, rows: list[dict]) -> None:
    """Core executemany (SQLAlchemy's insertmanyvalues: a few hundred rows per statement)."""
    table = getattr(table_or_model, "__table__", table_or_model)
    for start in range(0, len(rows), 10_000):
        db.session.connection().execute(insert(table), rows[start:start + 10_000])


def populate(firm, user, sizes: Sizes, seed: int = 10) -> Populated:
    rnd = random.Random(seed)
    firm_id = firm.id
    parties, suppliers = _parties(rnd, firm_id, user, sizes)
    products = _products(rnd, firm_id, sizes, suppliers)
    documents = _documents(rnd, firm_id, user, sizes, parties, products)
    _moves(rnd, firm_id, user, sizes, products)
    orders = _purchasing(rnd, firm_id, user, sizes, suppliers, products)
    activity = _journal(rnd, firm_id, user, sizes)
    desk = _desk(rnd, firm, user, sizes, parties)
    closing = _closing(firm, user)
    sales = _till(firm, user, sizes, products, parties)
    count_id = _stock_count(firm_id, products)
    db.session.flush()
    saved = _saved_filter(firm, user)
    return Populated(ids={
        "party_id": [parties[0], suppliers[0]], "product_id": [products[0]["id"]],
        "document_id": documents, **orders, "desk_request_id": [desk], "sale_id": [sales],
        "count_id": [count_id], "closing_id": [closing], "saved_filter_id": [saved], "activity_id": [activity],
        # The classroom's indicators (a teacher page of the indicateurs section: 404 for a trainee).
        "classroom_id": [firm.classroom_id],
    })


# --- parties ---------------------------------------------------------------------

def _parties(rnd, firm_id, user, sizes):
    rows = []
    for n in range(sizes.parties):
        postcode, city = rnd.choice(CITIES)
        supplier = n % 20 == 0
        business = supplier or n % 4 == 0
        last, first = rnd.choice(LAST), rnd.choice(FIRST)
        company = f"{last} {'Fournitures' if supplier else 'et fils'} {n}" if business else ""
        sort_name = company if business else f"{last.upper()} {first}"
        phone = f"01{n:08d}"[:10]
        siret = f"{rnd.randrange(10**13, 10**14)}" if business else ""
        kind = "supplier" if supplier else ("prospect", "client", "client")[n % 3]
        email = f"contact{n}@exemple.fr"
        rows.append({
            "firm_id": firm_id, "kind": kind, "category": "business" if business else "private",
            "civility": "", "first_name": "" if business else first,
            "last_name": "" if business else last, "company_name": company, "siret": siret,
            "vat_number": "", "legal_form": "", "sector": "", "sort_name": sort_name,
            "sort_key": fold(sort_name), "phone": phone, "email": email,
            "address_line1": f"{n % 200 + 1} rue des Lilas", "address_line2": "",
            "postcode": postcode, "city": city, "segment": rnd.choice(["Senior", "Artisan", "Étudiant", ""]),
            "source": "", "tags": rnd.choice([",vip,", ",salon,", ""]), "marketing_consent": False,
            "notes": "", "stage": "nouveau" if kind == "prospect" else None,
            "search_text": fold(f"{company} {first if not business else ''} {last if not business else ''} "
                                f"{email} {city} {phone} {siret}"),
            "created_by_id": user.id, "created_at": datetime(2024, 1, 1) + timedelta(minutes=37 * n),
        })
    ids = _bulk(Party, rows)
    suppliers = [pid for pid, row in zip(ids, rows, strict=False) if row["kind"] == "supplier"]
    customers = [pid for pid, row in zip(ids, rows, strict=False) if row["kind"] != "supplier"]
    _plain(Contact, [{"firm_id": firm_id, "party_id": pid, "name": f"Contact {i}", "role": "Achats",
                      "phone": "", "email": ""}
                     for i, pid in enumerate(ids[:: 10])])
    _plain(Interaction, [{"firm_id": firm_id, "party_id": pid, "channel": "call_out",
                          "at": datetime(2026, 1, 5, 10) + timedelta(hours=i), "subject": "Relance",
                          "outcome": "Rappeler", "author_id": user.id}
                         for i, pid in enumerate(ids[:: 5])])
    _plain(SupplierTerms, [{"firm_id": firm_id, "party_id": pid, "lead_time_days": 5 + i % 10,
                            "minimum_order": D("0")} for i, pid in enumerate(suppliers)])
    return customers, suppliers


# --- catalogue -------------------------------------------------------------------------

def _products(rnd, firm_id, sizes, suppliers):
    families = _bulk(ProductFamily, [{"firm_id": firm_id, "name": f"Famille {w}"} for w in WORDS[:8]])
    rows = []
    for n in range(sizes.products):
        word = WORDS[n % len(WORDS)]
        price = D(rnd.randrange(200, 50_000)) / 100
        reference = f"{word[:3].upper()}-{n:05d}"
        label, barcode = f"{word} {rnd.choice(COLOURS)} modèle {n}", f"{3760000000000 + n}"
        rows.append({
            "firm_id": firm_id, "reference": reference, "label": label, "barcode": barcode,
            "search_text": product_search_text(reference, label, barcode), "family_id": families[n % len(families)],
            "description": "", "advantages": "Solide\nGarantie deux ans", "unit": "unité",
            "purchase_price": (price * D("0.6")).quantize(D("0.01")), "sale_price": price,
            "vat_rate": rnd.choice(VAT), "stock_tracked": n % 10 != 3, "active": n % 50 != 49,
            "on_hand": 0, "average_cost": (price * D("0.6")).quantize(D("0.01")),
            "alert_point": 10 if n % 10 != 3 else None,  # the threshold below: max(alert 10, minimum 5)
            "created_at": datetime(2024, 6, 1) + timedelta(minutes=n),
        })
    ids = _bulk(Product, rows)
    products = [dict(row, id=pid) for pid, row in zip(ids, rows, strict=False)]
    _plain(StockThreshold, [
        {"firm_id": firm_id, "product_id": p["id"], "minimum": 5, "safety": 5, "alert": 10,
         "maximum": 60, "alert_mode": "typed", "supplier_id": suppliers[i % len(suppliers)] if suppliers else None}
        for i, p in enumerate(products) if p["stock_tracked"]])
    _plain(PromotionalPrice, [
        {"firm_id": firm_id, "product_id": p["id"], "price": (p["sale_price"] * D("0.9")).quantize(D("0.01")),
         "starts_on": date(2025, 1, 1), "ends_on": date(2030, 12, 31), "label": "Promotion"}
        for p in products[::25]])
    return products


# --- sales documents ----------------------------------------------------------------

def _documents(rnd, firm_id, user, sizes, parties, products):
    plan = []
    for kind, share, statuses, prefix, doc_type in KINDS:
        plan += [(kind, statuses, prefix, doc_type)] * max(1, round(sizes.documents * share))
    rnd.shuffle(plan)
    docs, seen, validated = [], set(), {}
    for n, (kind, statuses, prefix, doc_type) in enumerate(plan):
        issue = START + timedelta(days=rnd.randrange(DAYS))
        draft = n % 10 == 0 or kind not in seen  # every kind has drafts, as every list shows some
        seen.add(kind)
        if not draft:
            validated[kind] = validated.get(kind, -1) + 1
        docs.append({
            "firm_id": firm_id, "kind": kind, "number": None, "status": "draft",
            "party_id": parties[rnd.randrange(len(parties))], "issue_date": issue,
            "valid_until": issue + timedelta(days=30) if kind == "quote" else None,
            "due_date": issue + timedelta(days=30) if kind == "invoice" and not draft else None,
            "delivery_date": issue if kind in ("delivery", "invoice") else None,
            "remise_rate": D("0"), "rabais_rate": D("0"), "ristourne_rate": D("0"),
            "escompte_rate": D("0"), "total_ht": D("0"), "total_vat": D("0"), "total_ttc": D("0"),
            "notes": "", "goods_returned": False, "created_by_id": user.id,
            "created_at": datetime.combine(issue, datetime.min.time()),
            # Statuses in turn: even a small firm has each one on its lists (a page's queries
            # may depend on them, e.g. a sent quote asks the firm's date to say "expired").
            "_final": None if draft else statuses[validated[kind] % len(statuses)],
            "_prefix": prefix, "_type": doc_type,
        })
    ids = _bulk(SalesDocument, [{k: v for k, v in d.items() if not k.startswith("_")} for d in docs])
    lines, totals = [], {}
    for doc_id, _doc in zip(ids, docs, strict=False):
        ht = vat = D("0")
        for position in range(1, sizes.lines_per_document + 1):
            product = products[rnd.randrange(len(products))]
            quantity = D(rnd.randrange(1, 6))
            net = (quantity * product["sale_price"]).quantize(D("0.01"))
            lines.append({"firm_id": firm_id, "document_id": doc_id, "position": position,
                          "product_id": product["id"], "description": product["label"],
                          "quantity": quantity, "unit_price": product["sale_price"],
                          "discount_rate": D("0"), "vat_rate": product["vat_rate"], "net": net})
            ht += net
            vat += (net * product["vat_rate"] / 100).quantize(D("0.01"))
        totals[doc_id] = (ht, vat, ht + vat)
    for start in range(0, len(lines), 10_000):
        _plain(SalesLine, lines[start:start + 10_000])
    invoices = [i for i, d in zip(ids, docs, strict=False) if d["kind"] == "invoice" and d["_final"]]
    credit_notes = [i for i, d in zip(ids, docs, strict=False) if d["kind"] == "credit_note"]
    if invoices and credit_notes:
        db.session.execute(update(SalesDocument), [
            {"id": cn, "credited_invoice_id": invoices[n % len(invoices)]} for n, cn in enumerate(credit_notes)])
    # Validation: numbers in date order per kind and year, totals, then payments and links.
    numbered, counters = [], {}
    for doc_id, doc in sorted(zip(ids, docs, strict=False), key=lambda item: (item[1]["issue_date"], item[0])):
        ht, vat, ttc = totals[doc_id]
        row = {"id": doc_id, "total_ht": ht, "total_vat": vat, "total_ttc": ttc}
        if doc["_final"]:
            key = (doc["_type"], doc["issue_date"].year)
            counters[key] = counters.get(key, 0) + 1
            row |= {"number": f"{doc['_prefix']}{key[1]}-{counters[key]:04d}", "status": doc["_final"],
                    "validated_by_id": user.id,
                    "validated_at": datetime.combine(doc["issue_date"], datetime.min.time())}
        else:
            row |= {"number": None, "status": "draft", "validated_by_id": None, "validated_at": None}
        numbered.append(row)
    for start in range(0, len(numbered), 5_000):
        db.session.execute(update(SalesDocument), numbered[start:start + 5_000])
    _plain(DocumentCounter, [{"firm_id": firm_id, "doc_type": t, "year": y, "last_number": last,
                              "last_date": date(y, 12, 31)} for (t, y), last in counters.items()])
    final = {doc_id: doc for doc_id, doc in zip(ids, docs, strict=False)}
    payments = []
    for doc_id, doc in final.items():
        if doc["kind"] == "invoice" and doc["_final"] in ("partially_paid", "paid"):
            ttc = totals[doc_id][2]
            amount = ttc if doc["_final"] == "paid" else (ttc / 2).quantize(D("0.01"))
            payments.append({"firm_id": firm_id, "invoice_id": doc_id,
                             "paid_on": doc["issue_date"] + timedelta(days=10), "amount": amount,
                             "method": "transfer", "reference": "", "created_by_id": user.id})
    _plain(Payment, payments)
    deliveries = [i for i, d in final.items() if d["kind"] == "delivery" and d["_final"] == "invoiced"]
    _plain(invoice_deliveries, [{"invoice_id": inv, "delivery_id": dl}
                                for inv, dl in zip(invoices, deliveries, strict=False)])
    first = {}
    for doc_id, doc in final.items():
        first.setdefault((doc["kind"], bool(doc["_final"])), doc_id)
    # A validated invoice, a draft, a validated delivery note and credit note.
    return [first[key] for key in (("invoice", True), ("quote", False), ("delivery", True),
                                   ("credit_note", True)) if key in first]


# --- stock ----------------------------------------------------------------------------

def _moves(rnd, firm_id, user, sizes, products):
    tracked = [p for p in products if p["stock_tracked"]]
    if not tracked:
        return
    on_hand = {p["id"]: 0 for p in tracked}
    rows = []
    for n in range(sizes.stock_moves):
        product = tracked[rnd.randrange(len(tracked))]
        pid = product["id"]
        kind, sign = MOVE_KINDS[0] if on_hand[pid] < 5 else rnd.choice(MOVE_KINDS)
        quantity = sign * rnd.randrange(1, 5 if sign < 0 else 30)
        if sign < 0:
            quantity = max(quantity, -on_hand[pid])
        on_hand[pid] += quantity
        rows.append({"firm_id": firm_id, "product_id": pid, "kind": kind, "quantity": quantity,
                     "unit_cost": product["average_cost"],
                     "moved_on": START + timedelta(days=n * DAYS // max(sizes.stock_moves, 1)),
                     "source": "", "note": "", "author_id": user.id, "on_hand_after": on_hand[pid],
                     "average_cost_after": product["average_cost"],
                     "created_at": datetime(2025, 1, 2) + timedelta(minutes=n)})
    for start in range(0, len(rows), 10_000):
        _plain(StockMove, rows[start:start + 10_000])
    db.session.execute(update(Product), [{"id": pid, "on_hand": qty} for pid, qty in on_hand.items()])


def _purchasing(rnd, firm_id, user, sizes, suppliers, products):
    tracked = [p for p in products if p["stock_tracked"]]
    count = max(2, sizes.products // 50)
    orders = []
    for n in range(count):
        orders.append({"firm_id": firm_id, "number": None, "status": "draft",
                       "supplier_id": suppliers[n % len(suppliers)], "order_date": START + timedelta(days=n),
                       "notes": "", "from_alerts": False, "total_ht": D("0"), "total_vat": D("0"),
                       "total_ttc": D("0"), "author_id": user.id})
    ids = _bulk(PurchaseOrder, orders)
    lines = []
    for order_id in ids:
        for product in rnd.sample(tracked, min(3, len(tracked))):
            lines.append({"firm_id": firm_id, "order_id": order_id, "product_id": product["id"],
                          "quantity": 10, "unit_price": product["purchase_price"], "vat_rate": D("20")})
    line_ids = _bulk(PurchaseOrderLine, lines)
    validated = ids[1:]
    db.session.execute(update(PurchaseOrder), [
        {"id": order_id, "number": f"CF2025-{n + 1:04d}", "status": "validated",
         "total_ht": D("100"), "total_vat": D("20"), "total_ttc": D("120")}
        for n, order_id in enumerate(validated)])
    _plain(DocumentCounter, [{"firm_id": firm_id, "doc_type": "purchase_order", "year": 2025,
                              "last_number": len(validated), "last_date": date(2025, 12, 31)}])
    receipt_ids = _bulk(GoodsReceipt, [{"firm_id": firm_id, "number": None, "status": "draft",
                                        "order_id": order_id, "received_on": START + timedelta(days=20),
                                        "delivery_note": "", "note": "", "author_id": user.id}
                                       for order_id in validated[:: 2]])
    by_order = {}
    for line_id, line in zip(line_ids, lines, strict=False):
        by_order.setdefault(line["order_id"], []).append(line_id)
    _plain(GoodsReceiptLine, [{"firm_id": firm_id, "receipt_id": rid, "order_line_id": lid, "received": 5,
                               "damaged": 0, "extra": False, "note": ""}
                              for rid, oid in zip(receipt_ids, validated[:: 2], strict=False) for lid in by_order[oid]])
    # Draft returns to the supplier (one per receipt), a unit of each order line.
    return_ids = _bulk(SupplierReturn, [{"firm_id": firm_id, "number": None, "status": "draft", "order_id": oid,
                                         "receipt_id": rid, "returned_on": START + timedelta(days=21),
                                         "reason": "Casse au transport", "author_id": user.id}
                                        for rid, oid in zip(receipt_ids, validated[:: 2], strict=False)])
    _plain(SupplierReturnLine, [{"firm_id": firm_id, "return_id": return_id, "order_line_id": lid,
                                 "source": "damaged", "quantity": 1}
                                for return_id, oid in zip(return_ids, validated[:: 2], strict=False)
                                for lid in by_order[oid]])
    return {"order_id": [ids[0], validated[0]], "receipt_id": [receipt_ids[0]], "return_id": [return_ids[0]]}


def _stock_count(firm_id, products):
    count_id = _bulk(StockCount, [{"firm_id": firm_id, "label": "Inventaire annuel",
                                   "counted_on": date(2025, 12, 31), "status": "draft"}])[0]
    _plain(StockCountLine, [{"firm_id": firm_id, "count_id": count_id, "product_id": p["id"]}
                            for p in products if p["stock_tracked"] and p["active"]])
    return count_id


# --- journal, desk, till ------------------------------------------------------------

def _journal(rnd, firm_id, user, sizes):
    rows = []
    for n in range(sizes.activities):
        verb, _ = VERBS[n % len(VERBS)]
        rows.append({"firm_id": firm_id, "user_id": user.id, "position": "commercial", "verb": verb,
                     "object_type": "", "object_id": None, "summary": f"Action {n}",
                     "at": datetime(2025, 1, 2) + timedelta(minutes=11 * n)})
    ids = []
    for start in range(0, len(rows), 10_000):
        ids += _bulk(Activity, rows[start:start + 10_000])
    _plain(ActivityCompetency, [{"activity_id": aid, "code": VERBS[n % len(VERBS)][1], "user_id": user.id,
                                 "firm_id": firm_id, "at": row["at"]}
                                for n, (aid, row) in enumerate(zip(ids, rows, strict=False))])
    return ids[0]


def _desk(rnd, firm, user, sizes, parties):
    from crm.accueil import services

    first = None
    for n in range(max(8, sizes.parties // 200)):  # a few with a party: the register shows who came
        party = db.session.get(Party, parties[n % len(parties)]) if n % 2 else None
        request = services.record_request(firm, user, services.RequestData(
            channel="face", nature="info_hours", request_text=f"Horaires d'ouverture {n}",
            party=party, visitor_name="" if party else f"Visiteur {n}", answer="Du lundi au samedi"))
        first = first or request.id
    return first


def _closing(firm, user):
    """The Z of the day before the till sales (a closed day, as the closings list shows)."""
    from crm.ventes.caisse import services

    return services.close_day(firm, user, firm_today() - timedelta(days=1)).id


def _saved_filter(firm, user):
    from crm.clients import services

    return services.save_filter(firm, user, "Clients de Lyon", {"kind": "client", "q": "lyon"}).id


# How the day's tickets are paid, in turn: cash with change, a card, a cheque and cash.
TILL_PAYMENTS = [lambda ttc: [("cash", "1000")], lambda ttc: [("card", ttc)],
                 lambda ttc: [("cheque", "1.00"), ("cash", "1000")]]


def _till(firm, user, sizes, products, parties):
    """The day's tickets: one in three to a known client (its name on the tickets list)."""
    from crm.core.clock import business_today
    from crm.ventes.caisse import services

    sellable = [p for p in products if p["active"] and not p["stock_tracked"]]
    first = None
    for n in range(sizes.till_sales):
        product = db.session.get(Product, sellable[n % len(sellable)]["id"])
        party = db.session.get(Party, parties[n]) if n % 3 == 0 else None
        lines = [services.TicketLine(product, 1)]
        ttc = services.ticket_totals(lines, business_today(firm)).total_ttc
        sale = services.sell(firm, user, lines, TILL_PAYMENTS[n % 3](ttc), party=party)
        first = first or sale.id
    return first
