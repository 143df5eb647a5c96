"""Write a firm back as a scenario file: loading it into an empty firm gives the same data.

The setting (identity, settings, organigramme, catalogue, parties) is written as
it is now; everything that happened is written as `history`, in the order it
happened (business date, then real instant), so that a load replays it through
the same services: same numbers, same totals, same stock ledger and CMUP.

Message templates and call plans are written with their targets (not the calls
made: those are the trainees' work).

Not written (the trainees' own traces rather than the firm's setting): desk
requests and the contact history, events already fired, inventories (their
adjustments are written as stock moves), drafts of delivery notes, invoices
and credit notes, the journal and assessments.
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import yaml
from sqlalchemy import select

from crm.accueil.models import Service
from crm.clients.models import Party
from crm.core.firm_settings import get_firm_settings
from crm.core.models import Firm
from crm.extensions import db
from crm.formation.models import ScenarioEvent
from crm.stocks.models import GoodsReceipt, PurchaseOrder, StockMove, StockThreshold, SupplierTerms
from crm.ventes.caisse.models import CounterSale, DailyClosing
from crm.ventes.documents.models import Payment, SalesDocument
from crm.ventes.models import Product, ProductFamily

FIRM_KEYS = ("trade_name", "legal_form", "siret", "vat_number", "address_line1", "address_line2", "postcode",
             "city", "phone", "email", "website", "iban", "bic", "terms_of_sale", "rcs_city")
PARTY_KEYS = ("category", "civility", "first_name", "last_name", "company_name", "siret", "vat_number",
              "legal_form", "sector", "phone", "email", "address_line1", "address_line2", "postcode", "city", "notes")
# Order of records written on the same date at the same instant (never in practice, but stable).
RANK = {"quote": 0, "order": 1, "delivery": 2, "invoice": 3, "credit_note": 4, "payment": 5, "stock_move": 6,
        "purchase_order": 7, "goods_receipt": 8, "counter_sale": 9, "closing": 10}


def _money(value) -> str:
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def _number(value) -> str:
    value = Decimal(value)
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


def _clean(data: dict) -> dict:
    """Leave out empty values: the file stays readable and the defaults fill them back."""
    return {k: v for k, v in data.items() if v not in ("", None, [], {}, False)}


def export_firm(firm: Firm, name: str | None = None) -> str:
    """The scenario text of `firm` as it is now."""
    parties = list(db.session.scalars(select(Party).where(Party.firm_id == firm.id).order_by(Party.id)))
    keys = _party_keys(parties)
    data = {
        "scenario": _clean({"name": name or f"Export de {firm.trade_name}",
                            "start_date": firm.business_date}),
        "firm": _clean({**{key: getattr(firm, key) for key in FIRM_KEYS},
                        "share_capital": _number(firm.share_capital) if firm.share_capital is not None else None}),
        "settings": _settings(firm),
        "organigramme": _organigramme(firm),
        "segments": sorted({p.segment for p in parties if p.segment and p.kind != "supplier"}),
        "families": list(db.session.scalars(select(ProductFamily.name).where(ProductFamily.firm_id == firm.id)
                                             .order_by(ProductFamily.id))),
        "products": _products(firm, keys),
        "suppliers": [_party(p, keys) for p in parties if p.kind == "supplier"],
        "clients": [_party(p, keys) for p in parties if p.kind != "supplier"],
        "history": _history(firm, keys),
        "events": _events(firm, keys),
        "message_templates": _message_templates(firm),
        "call_plans": _call_plans(firm, keys),
    }
    data = {k: v for k, v in data.items() if v or k in ("scenario", "firm")}
    header = ("# Scénario exporté de Comptoir (format : docs/scenarios.md).\n"
              "# Chargez-le dans une entreprise neuve : flask --app crm scenario load FICHIER --firm ID\n")
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def _party_keys(parties: list[Party]) -> dict[int, str]:
    seen: Counter = Counter()
    keys = {}
    for party in parties:
        seen[party.name] += 1
        keys[party.id] = party.name if seen[party.name] == 1 else f"{party.name} ({seen[party.name]})"
    return keys


def _settings(firm: Firm) -> dict:
    settings = get_firm_settings(firm)
    data = {"payment_terms_days": settings.payment_terms_days, "late_payment_rate": _number(settings.late_payment_rate),
            "escompte_terms": settings.escompte_terms, "time_zone": settings.time_zone,
            "allow_negative_stock": settings.allow_negative_stock, "vat_on_debits": settings.vat_on_debits,
            "number_prefixes": dict(sorted((settings.number_prefixes or {}).items()))}
    return _clean(data)


def _organigramme(firm: Firm) -> list:
    services = db.session.scalars(select(Service).where(Service.firm_id == firm.id).order_by(Service.id))
    return [_clean({"name": s.name, "people": [_clean({"name": p.name, "role": p.role, "phone": p.phone,
                                                       "email": p.email}) for p in s.people]}) for s in services]


def _products(firm: Firm, keys: dict) -> list:
    thresholds = {t.product_id: t for t in db.session.scalars(
        select(StockThreshold).where(StockThreshold.firm_id == firm.id))}
    result = []
    for product in db.session.scalars(select(Product).where(Product.firm_id == firm.id).order_by(Product.id)):
        item = {"reference": product.reference, "label": product.label,
                "family": product.family.name if product.family else None, "unit": product.unit,
                "purchase_price": _money(product.purchase_price), "sale_price": _money(product.sale_price),
                "vat_rate": _number(product.vat_rate), "description": product.description,
                "advantages": product.advantage_list}
        if not product.stock_tracked:
            item["stock_tracked"] = False
        if not product.active:
            item["active"] = False
        item = _clean(item)
        item["sale_price"] = _money(product.sale_price)
        threshold = thresholds.get(product.id)
        if threshold is not None:
            item["thresholds"] = _clean({"minimum": threshold.minimum, "safety": threshold.safety,
                                         "alert": threshold.alert, "maximum": threshold.maximum,
                                         "supplier": keys.get(threshold.supplier_id)})
        if product.objections:
            item["objections"] = [{"objection": o.objection, "answer": o.answer} for o in product.objections]
        if product.promotions:
            item["promotions"] = [_clean({"price": _money(p.price), "starts_on": p.starts_on, "ends_on": p.ends_on,
                                          "label": p.label}) for p in product.promotions]
        result.append(item)
    return result


def _party(party: Party, keys: dict) -> dict:
    item = {}
    if keys[party.id] != party.name:
        item["key"] = keys[party.id]
    if party.kind != "supplier":
        item["kind"] = party.kind
    item.update(_clean({key: getattr(party, key) for key in PARTY_KEYS}))
    item["category"] = party.category
    if party.kind != "supplier":
        item.update(_clean({"segment": party.segment, "source": party.source, "tags": party.tag_list,
                            "marketing_consent": party.marketing_consent, "stage": party.stage,
                            "interest": party.interest}))
    if party.contacts:
        item["contacts"] = [_clean({"name": c.name, "role": c.role, "phone": c.phone, "email": c.email})
                            for c in party.contacts]
    if party.kind == "supplier":
        terms = db.session.scalar(select(SupplierTerms).where(SupplierTerms.party_id == party.id))
        if terms is not None:
            item["terms"] = {"lead_time_days": terms.lead_time_days, "minimum_order": _money(terms.minimum_order)}
    return item


# --- history ------------------------------------------------------------------------------

def _history(firm: Firm, keys: dict) -> list:
    entries: list[tuple] = []  # (date, instant, rank, id, entry)
    drafts = Counter()

    def key_of(record) -> str:
        if record.number:
            return record.number
        if record.id not in drafts:
            drafts[record.id] = len(drafts) + 1
        return f"brouillon-{drafts[record.id]}"

    documents = db.session.scalars(select(SalesDocument).where(SalesDocument.firm_id == firm.id)
                                   .order_by(SalesDocument.id)).all()
    for document in documents:
        entry = _document(document, key_of, keys)
        if entry is not None:
            entries.append((document.issue_date, document.validated_at or document.created_at,
                            RANK[document.kind], document.id, entry))
    for payment in db.session.scalars(select(Payment).where(Payment.firm_id == firm.id)):
        entries.append((payment.paid_on, payment.created_at, RANK["payment"], payment.id, _clean({
            "type": "payment", "date": payment.paid_on, "invoice": payment.invoice.number,
            "amount": _money(payment.amount), "method": payment.method, "reference": payment.reference})))
    receipts = {r.number for r in db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.firm_id == firm.id))}
    # Returns to the supplier are not part of scenario files: the units a return took out of the stock
    # leave it as a plain exit (casse / perte), so the reloaded firm has the same stock.
    for move in db.session.scalars(select(StockMove).where(
            StockMove.firm_id == firm.id, StockMove.kind.in_(("reception", "loss", "adjustment", "supplier_return")))):
        if move.source.split(" ")[0] in receipts:
            continue  # written with its goods receipt
        entries.append((move.moved_on, move.created_at, RANK["stock_move"], move.id, _clean({
            "type": "stock_move", "date": move.moved_on, "product": move.product.reference,
            "kind": "loss" if move.kind == "supplier_return" else move.kind,
            "quantity": move.quantity,
            "unit_cost": _money(move.unit_cost) if move.kind == "reception" else None,
            "source": move.source, "note": move.note})))
    for order in db.session.scalars(select(PurchaseOrder).where(PurchaseOrder.firm_id == firm.id)):
        entries.append((order.order_date, order.validated_at or order.created_at, RANK["purchase_order"], order.id,
                        _clean({"type": "purchase_order", "key": key_of(order), "date": order.order_date,
                                "supplier": keys[order.supplier_id],
                                "lines": [{"product": item.product.reference, "quantity": item.quantity,
                                           "unit_price": _money(item.unit_price)} for item in order.lines],
                                "notes": order.notes, "draft": order.is_draft})))
    for receipt in db.session.scalars(select(GoodsReceipt).where(GoodsReceipt.firm_id == firm.id,
                                                                  GoodsReceipt.number.is_not(None))):
        entries.append((receipt.received_on, receipt.validated_at, RANK["goods_receipt"], receipt.id, _clean({
            "type": "goods_receipt", "key": receipt.number, "date": receipt.received_on,
            "order": receipt.order.number, "delivery_note": receipt.delivery_note, "note": receipt.note,
            "lines": [_clean({"product": item.order_line.product.reference, "received": item.received,
                              "damaged": item.damaged, "note": item.note}) for item in receipt.lines]})))
    for sale in db.session.scalars(select(CounterSale).where(CounterSale.firm_id == firm.id)):
        entries.append((sale.sale_date, sale.sold_at, RANK["counter_sale"], sale.id, _clean({
            "type": "counter_sale", "date": sale.sale_date, "party": keys.get(sale.party_id),
            "lines": [{"product": item.reference, "quantity": item.quantity} for item in sale.lines],
            "payments": [{"mode": p.mode, "amount": _money(p.amount)} for p in sale.payments]})))
    for closing in db.session.scalars(select(DailyClosing).where(DailyClosing.firm_id == firm.id)):
        entries.append((closing.closing_date, closing.closed_at, RANK["closing"], closing.id,
                        {"type": "closing", "date": closing.closing_date}))
    entries.sort(key=lambda e: e[:4])
    return [entry for *_ignored, entry in entries]


def _lines(document: SalesDocument) -> list:
    return [
        _clean(
            {
                "product": item.product.reference if item.product else None,
                "description": item.description
                if (item.product is None or item.description != item.product.label)
                else None,
                "quantity": _number(item.quantity),
                "unit_price": _money(item.unit_price),
                "vat_rate": _number(item.vat_rate),
                "discount_rate": _number(item.discount_rate) if item.discount_rate else None,
            }
        )
        for item in document.lines
    ]


def _reductions(document: SalesDocument) -> dict:
    return _clean({name: _number(getattr(document, name)) if getattr(document, name) else None
                   for name in ("remise_rate", "rabais_rate", "ristourne_rate", "escompte_rate")})


def _document(document: SalesDocument, key_of, keys: dict) -> dict | None:
    base = {"type": document.kind, "key": key_of(document), "date": document.issue_date}
    if document.kind == "quote":
        outcome = document.status if document.status in ("accepted", "refused") else None
        return _clean({**base, "party": keys[document.party_id], **_reductions(document),
                       "lines": _lines(document), "notes": document.notes, "draft": document.is_draft,
                       "outcome": outcome})
    if document.kind == "order":
        source = document.source.number if document.source is not None else None
        entry = {**base, "source": source, "party": None if source else keys[document.party_id],
                 **_reductions(document), "lines": _lines(document), "notes": document.notes,
                 "draft": document.is_draft}
        return _clean(entry)
    if document.is_draft:
        return None  # drafts after the order are the trainees' work in progress
    if document.kind == "delivery":
        return {**base, "source": document.source.number,
                "lines": [{"product": item.product.reference, "quantity": _number(item.quantity)}
                          for item in document.lines if item.product is not None]}
    if document.kind == "invoice":
        if document.deliveries:
            return {**base, "deliveries": [d.number for d in document.deliveries]}
        return {**base, "source": document.source.number}
    if document.kind == "credit_note":
        return _clean({**base, "invoice": document.credited_invoice.number, "lines": _lines(document),
                       "goods_returned": document.goods_returned})
    return None


def _events(firm: Firm, keys: dict) -> list:
    events = db.session.scalars(select(ScenarioEvent).where(ScenarioEvent.firm_id == firm.id,
                                                            ScenarioEvent.fired_at.is_(None))
                                .order_by(ScenarioEvent.due_on, ScenarioEvent.due_time, ScenarioEvent.id))
    result = []
    for event in events:
        payload = dict(event.payload or {})
        key = payload.pop("key", "")
        if "party_id" in payload:
            payload["party"] = keys.get(payload.pop("party_id"))
        result.append(_clean({"key": key, "kind": event.kind, "title": event.title, "date": event.due_on,
                              "time": event.due_time.strftime("%H:%M"), **payload}))
    return result


def _message_templates(firm: Firm) -> list:
    from crm.prospection.models import MessageTemplate

    templates = db.session.scalars(select(MessageTemplate).where(MessageTemplate.firm_id == firm.id)
                                   .order_by(MessageTemplate.id))
    return [_clean({"name": t.name, "kind": t.kind, "purpose": t.purpose, "subject": t.subject,
                    "salutation": t.salutation, "body": t.body, "closing": t.closing}) for t in templates]


def _call_plans(firm: Firm, keys: dict) -> list:
    from crm.prospection.models import CallPlan, CallPlanEntry

    result = []
    for plan in db.session.scalars(select(CallPlan).where(CallPlan.firm_id == firm.id).order_by(CallPlan.id)):
        party_ids = db.session.scalars(select(CallPlanEntry.party_id).where(CallPlanEntry.plan_id == plan.id)
                                       .order_by(CallPlanEntry.id))
        targets = list(dict.fromkeys(keys[party_id] for party_id in party_ids))  # once each, in order
        result.append(_clean({
            "name": plan.name, "objective": plan.objective, "channel": plan.channel,
            "template": plan.template.name if plan.template else None, "script": plan.script,
            "objections": [{"objection": o.objection, "answer": o.answer} for o in plan.objections],
            "targets": targets}))
    return result
