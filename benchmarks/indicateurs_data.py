"""A firm with a school year of sales: 100 000 sales lines (invoices, credit notes, tickets) and their
stock ledger, inserted in bulk with a fixed seed, for the indicators' benchmark.

Compact on purpose: only the tables the indicators read. (tests/dataset.py, the whole-firm
generator of the speed work, can replace it once it is on main: the dashboard reads the same rows.)
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal as D

from sqlalchemy import insert, update

from crm.accueil.models import DeskRequest
from crm.clients.models import Party
from crm.extensions import db
from crm.stocks.models import StockMove
from crm.ventes.caisse.models import CounterSale, CounterSaleLine, CounterSalePayment
from crm.ventes.documents.models import PAYMENT_METHODS, Payment, SalesDocument, SalesLine
from crm.ventes.models import Product, ProductFamily
from crm.ventes.codes import CASH

START = date(2025, 9, 1)
DAYS = 365
CENT = D("0.01")


@dataclass(frozen=True)
class Plan:
    invoices: int = 12_000  # × 5 lines
    credit_notes: int = 1_000  # × 2 lines
    tickets: int = 9_500  # × 4 lines → 60 000 + 2 000 + 38 000 = 100 000 sales lines
    products: int = 500
    families: int = 20
    parties: int = 2_000
    quotes: int = 3_000
    desk_requests: int = 2_000

    @property
    def sales_lines(self) -> int:
        return self.invoices * 5 + self.credit_notes * 2 + self.tickets * 4


def _ids(model, rows: list[dict]) -> list[int]:
    ids = []
    for start in range(0, len(rows), 5000):
        ids += list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True),
                                       rows[start:start + 5000]))
    return ids


def _plain(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(model), rows[start:start + 10_000])


def populate(firm, user, plan: Plan = Plan(), seed: int = 13) -> None:
    rnd = random.Random(seed)
    fid = firm.id
    families = _ids(ProductFamily, [{"firm_id": fid, "name": f"Famille {n}"} for n in range(plan.families)])
    product_rows = []
    for n in range(plan.products):
        cost = D(rnd.randrange(200, 20000)) / 100
        product_rows.append({"firm_id": fid, "reference": f"REF-{n:04d}", "label": f"Article {n}",
                             "family_id": families[n % plan.families], "purchase_price": cost,
                             "sale_price": (cost * D("1.8")).quantize(CENT), "vat_rate": D("20"),
                             "stock_tracked": n % 10 != 0, "on_hand": 0, "average_cost": cost,
                             "description": "", "advantages": "", "unit": "pièce", "active": True,
                             "created_at": datetime(2025, 8, 1)})
    products = list(zip(_ids(Product, product_rows), product_rows, strict=False))
    parties = _ids(Party, [{
        "firm_id": fid, "kind": "client", "category": "business" if n % 3 == 0 else "private",
        "company_name": f"Société {n}" if n % 3 == 0 else "", "last_name": "" if n % 3 == 0 else f"Client {n}",
        "sort_name": f"Client {n}", "sort_key": f"client {n}", "segment": ["Artisans", "Écoles", "", "Seniors"][n % 4],
        "civility": "", "first_name": "", "siret": "", "vat_number": "", "legal_form": "", "sector": "", "phone": "",
        "email": "", "address_line1": "", "address_line2": "", "postcode": "", "city": "", "source": "", "tags": "",
        "marketing_consent": False, "notes": "", "search_text": "", "stage": None,
        "created_at": datetime(2025, 8, 1)} for n in range(plan.parties)])
    _ledger(rnd, fid, user, products)
    _documents(rnd, fid, user, plan, products, parties)
    _tickets(rnd, fid, user, plan, products, parties)
    _plain(DeskRequest, [{
        "firm_id": fid, "channel": "face", "nature": ["info_prices", "complaint", "order", "other"][n % 4],
        "request_text": "?", "answer": "!", "status": "closed", "handling": "immediate",
        "satisfaction": rnd.choice([None, 3, 4, 5]), "created_by_id": user.id,
        "received_on": START + timedelta(days=rnd.randrange(DAYS)), "created_at": datetime(2025, 9, 1),
        "visitor_name": "V", "visitor_phone": "", "visitor_email": "", "documentation": "", "message": "",
        "satisfaction_comment": "", "reactions_note": "", "improvement_note": ""} for n in range(plan.desk_requests)])
    db.session.flush()


def _ledger(rnd, fid, user, products) -> None:
    """A reception of each stock-tracked product at the start of each month (the CMUP moves)."""
    rows = []
    for product_id, product in products:
        if not product["stock_tracked"]:
            continue
        on_hand, cmup = 0, product["purchase_price"]
        for month in range(12):
            day = date(2025 + (8 + month) // 12, (8 + month) % 12 + 1, 1)
            quantity = rnd.randrange(20, 80)
            cost = (product["purchase_price"] * D(rnd.randrange(90, 111)) / 100).quantize(CENT)
            cmup = ((on_hand * cmup + quantity * cost) / (on_hand + quantity)).quantize(CENT)
            on_hand += quantity
            rows.append({"firm_id": fid, "product_id": product_id, "kind": "reception", "quantity": quantity,
                         "unit_cost": cost, "moved_on": day, "source": "", "note": "", "author_id": user.id,
                         "on_hand_after": on_hand, "average_cost_after": cmup, "created_at": datetime(2025, 9, 1)})
            on_hand -= quantity // 2  # what the month sold, as one exit at its end
            rows.append({"firm_id": fid, "product_id": product_id, "kind": "delivery", "quantity": -(quantity // 2),
                         "unit_cost": cmup, "moved_on": day + timedelta(days=27), "source": "", "note": "",
                         "author_id": user.id, "on_hand_after": on_hand, "average_cost_after": cmup,
                         "created_at": datetime(2025, 9, 1)})
    _plain(StockMove, rows)


def _documents(rnd, fid, user, plan, products, parties) -> None:
    docs, lines_of = [], []
    kinds = ["invoice"] * plan.invoices + ["credit_note"] * plan.credit_notes + ["quote"] * plan.quotes
    for n, kind in enumerate(kinds):
        day = START + timedelta(days=rnd.randrange(DAYS))
        count = {"invoice": 5, "credit_note": 2, "quote": 2}[kind]
        lines = []
        for position in range(1, count + 1):
            product_id, product = products[rnd.randrange(len(products))]
            quantity = D(rnd.randrange(1, 6))
            lines.append({"firm_id": fid, "position": position, "product_id": product_id,
                          "description": product["label"], "quantity": quantity, "unit_price": product["sale_price"],
                          "discount_rate": D("0"), "vat_rate": D("20"),
                          "net": (quantity * product["sale_price"]).quantize(CENT)})
        ht = sum(line["net"] for line in lines)
        vat = (ht * D("0.2")).quantize(CENT)
        prefix = {"invoice": "FA", "credit_note": "AV", "quote": "DE"}[kind]
        docs.append({"firm_id": fid, "kind": kind, "number": None, "status": "draft",
                     "_number": f"{prefix}-{n:06d}",
                     "_status": {"invoice": "paid", "credit_note": "validated",
                                 "quote": rnd.choice(["sent", "accepted", "refused"])}[kind],
                     "party_id": parties[rnd.randrange(len(parties))], "issue_date": day,
                     "valid_until": day + timedelta(days=30) if kind == "quote" else None,
                     "remise_rate": D("0"), "rabais_rate": D("0"), "ristourne_rate": D("0"), "escompte_rate": D("0"),
                     "total_ht": ht, "total_vat": vat, "total_ttc": ht + vat, "notes": "",
                     "goods_returned": kind == "credit_note" and n % 2 == 0, "created_by_id": user.id,
                     "validated_by_id": user.id, "created_at": datetime(2025, 9, 1),
                     "validated_at": datetime(2025, 9, 1)})
        lines_of.append(lines)
    # Drafts first: a numbered document is frozen by the database, lines included (crm.core.immutability).
    ids = _ids(SalesDocument, [{k: v for k, v in doc.items() if not k.startswith("_")} for doc in docs])
    rows, payments = [], []
    for doc_id, doc, lines in zip(ids, docs, lines_of, strict=False):
        rows += [{**line, "document_id": doc_id} for line in lines]
        if doc["kind"] == "invoice":
            payments.append({"firm_id": fid, "invoice_id": doc_id, "paid_on": doc["issue_date"] + timedelta(days=10),
                             "amount": doc["total_ttc"], "method": rnd.choice(list(PAYMENT_METHODS)),
                             "reference": "", "created_by_id": user.id, "created_at": datetime(2025, 9, 1)})
    _plain(SalesLine, rows)
    for start in range(0, len(ids), 5000):
        db.session.execute(update(SalesDocument), [
            {"id": doc_id, "number": doc["_number"], "status": doc["_status"]}
            for doc_id, doc in zip(ids[start:start + 5000], docs[start:start + 5000], strict=False)])
    _plain(Payment, payments)


def _tickets(rnd, fid, user, plan, products, parties) -> None:
    sales, lines_of = [], []
    days = sorted(START + timedelta(days=rnd.randrange(DAYS)) for _ in range(plan.tickets))
    for n, day in enumerate(days, start=1):
        lines = []
        for position in range(1, 5):
            product_id, product = products[rnd.randrange(len(products))]
            quantity = rnd.randrange(1, 4)
            lines.append({"firm_id": fid, "position": position, "product_id": product_id,
                          "reference": product["reference"], "label": product["label"], "quantity": quantity,
                          "unit_price": product["sale_price"], "vat_rate": D("20"),
                          "net": (quantity * product["sale_price"]).quantize(CENT)})
        ht = sum(line["net"] for line in lines)
        vat = (ht * D("0.2")).quantize(CENT)
        sales.append({"firm_id": fid, "number": f"TK-{n:06d}", "sequence": n,
                      "sold_at": datetime.combine(day, datetime.min.time()), "sale_date": day,
                      "party_id": parties[n % len(parties)] if n % 4 == 0 else None, "cashier_id": user.id,
                      "total_ht": ht, "total_vat": vat, "total_ttc": ht + vat, "tendered": ht + vat,
                      "change_given": D("0"), "previous_hash": "0" * 64, "hash": f"{n:064d}"})
        lines_of.append(lines)
    ids = _ids(CounterSale, sales)
    rows, payments = [], []
    for sale_id, sale, lines in zip(ids, sales, lines_of, strict=False):
        rows += [{**line, "sale_id": sale_id} for line in lines]
        payments.append({"firm_id": fid, "sale_id": sale_id, "position": 1, "mode": CASH, "amount": sale["total_ttc"]})
    _plain(CounterSaleLine, rows)
    _plain(CounterSalePayment, payments)
