"""The references between the sections of a scenario: each name must exist, once.

Also what only the whole file can tell: history dated before the start date and
in order, a sale built on a document of the right kind, stock that never goes
below zero during the replay.
"""
from __future__ import annotations

from collections import defaultdict

from crm.formation.scenarios import schema as s
from crm.formation.scenarios.check import ScenarioError, line_of, path_text

KIND_OF = {s.Quote: "quote", s.Order: "order", s.Delivery: "delivery", s.Invoice: "invoice",
           s.CreditNote: "credit_note", s.PurchaseOrder: "purchase_order"}
LABELS = {"quote": "un devis", "order": "une commande", "delivery": "un bon de livraison",
          "invoice": "une facture", "credit_note": "un avoir", "purchase_order": "une commande fournisseur"}


class _Collector:
    def __init__(self, lines: dict):
        self.lines = lines
        self.errors: list[ScenarioError] = []

    def add(self, path: tuple, message: str) -> None:
        self.errors.append(ScenarioError(path_text(path), line_of(self.lines, path), message))


def reference_errors(scenario: s.ScenarioFile, lines: dict) -> list[ScenarioError]:
    out = _Collector(lines)
    families = _unique(out, ("families",), scenario.families, lambda f: f.casefold(), "famille")
    segments = _unique(out, ("segments",), scenario.segments, lambda x: x.casefold(), "segment")
    products = _unique(out, ("products",), scenario.products, lambda p: p.reference, "référence",
                       field="reference")
    _unique(out, ("organigramme",), scenario.organigramme, lambda d: d.name.casefold(), "service", field="name")
    suppliers = _unique(out, ("suppliers",), scenario.suppliers, lambda p: p.ref, "tiers", field="key")
    clients = _unique(out, ("clients",), scenario.clients, lambda p: p.ref, "tiers", field="key")
    for key in set(suppliers) & set(clients):
        out.add(
            ("clients", clients[key], "key"), f"« {key} » désigne déjà un fournisseur : donnez une clé (key) distincte"
        )

    for i, product in enumerate(scenario.products):
        if product.family and product.family.casefold() not in families:
            out.add(("products", i, "family"), f"famille inconnue « {product.family} » : déclarez-la dans families")
        if product.thresholds and product.thresholds.supplier and product.thresholds.supplier not in suppliers:
            out.add(("products", i, "thresholds", "supplier"),
                    f"fournisseur inconnu « {product.thresholds.supplier} » : déclarez-le dans suppliers")
    for i, client in enumerate(scenario.clients):
        if client.segment and client.segment.casefold() not in segments:
            out.add(("clients", i, "segment"), f"segment inconnu « {client.segment} » : déclarez-le dans segments")
        if client.kind == "client" and client.stage not in (None, "converti"):
            out.add(("clients", i, "stage"), "seul un prospect a une étape de prospection")

    _history(out, scenario, products, clients, suppliers)
    _events(out, scenario, products, clients, suppliers)
    _prospection(out, scenario, {**suppliers, **clients})
    return out.errors


def _unique(out: _Collector, path: tuple, items: list, key, what: str, field: str | None = None) -> dict:
    seen: dict = {}
    for i, item in enumerate(items):
        value = key(item)
        if value in seen:
            where = path + (i, field) if field else path + (i,)
            out.add(where, f"{what} en double « {value} » (déjà en {path_text(path + (seen[value],))})")
        else:
            seen[value] = i
    return seen


def _history(out, scenario, products, clients, suppliers) -> None:  # noqa: C901 - one branch per entry type
    start = scenario.scenario.start_date
    documents: dict[str, tuple[str, object]] = {}
    stock = {p.reference: p.stock for p in scenario.products if p.stock_tracked}
    last_date = None
    for i, entry in enumerate(scenario.history):
        here = ("history", i)
        if start and entry.date > start:
            out.add(here + ("date",), f"l'historique précède le début du scénario ({start:%d/%m/%Y})")
        if last_date and entry.date < last_date:
            out.add(here + ("date",), "l'historique se lit dans l'ordre chronologique : "
                                      "cette opération est datée avant la précédente")
        last_date = max(last_date or entry.date, entry.date)
        key = getattr(entry, "key", None)
        if key:
            if key in documents:
                out.add(here + ("key",), f"clé en double « {key} »")
            documents[key] = (KIND_OF.get(type(entry), ""), entry)

        # The helpers below run within this iteration only; `here` is bound to it explicitly.
        def need(field, value, kinds, here=here):
            found = documents.get(value)
            if found is None or found[0] not in kinds:
                expected = " ou ".join(LABELS[k] for k in kinds)
                out.add(here + (field,), f"« {value} » ne désigne pas {expected} plus haut dans l'historique")
                return None
            return found[1]

        def party(field, value, book, here=here):
            if value not in book:
                out.add(here + (field,), f"tiers inconnu « {value} »")

        def lines_products(lines, here=here):
            for j, line in enumerate(lines):
                if line.product and line.product.upper() not in products:
                    out.add(here + ("lines", j, "product"), f"article inconnu « {line.product} »")

        if isinstance(entry, s.Quote):
            party("party", entry.party, clients)
            lines_products(entry.lines)
        elif isinstance(entry, s.Order):
            if entry.source:
                quote = need("source", entry.source, ["quote"])
                if quote is not None and (quote.draft or quote.outcome != "accepted"):
                    out.add(here + ("source",), f"le devis « {entry.source} » doit être accepté (outcome: accepted)")
            if entry.party:
                party("party", entry.party, clients)
            lines_products(entry.lines)
        elif isinstance(entry, s.Delivery):
            order = need("source", entry.source, ["order"])
            if order is not None and order.draft:
                out.add(here + ("source",), "on ne livre pas une commande en brouillon")
            for j, line in enumerate(entry.lines):
                if line.product.upper() not in products:
                    out.add(here + ("lines", j, "product"), f"article inconnu « {line.product} »")
            if order is not None:
                _deliver(out, here, entry, order, documents, stock)
        elif isinstance(entry, s.Invoice):
            if entry.source:
                need("source", entry.source, ["order"])
            for j, ref in enumerate(entry.deliveries):
                documents_ok = documents.get(ref)
                if documents_ok is None or documents_ok[0] != "delivery":
                    out.add(here + ("deliveries", j), f"« {ref} » ne désigne pas un bon de livraison plus haut")
        elif isinstance(entry, s.CreditNote):
            need("invoice", entry.invoice, ["invoice"])
            lines_products(entry.lines)
        elif isinstance(entry, s.Payment):
            need("invoice", entry.invoice, ["invoice"])
        elif isinstance(entry, s.StockMove):
            ref = entry.product.upper()
            if ref not in products:
                out.add(here + ("product",), f"article inconnu « {entry.product} »")
            elif ref in stock:
                if (entry.kind == "reception" and entry.quantity < 0) or (entry.kind == "loss" and entry.quantity > 0):
                    out.add(here + ("quantity",), "une réception est positive, une perte négative")
                stock[ref] += entry.quantity
                if stock[ref] < 0:
                    out.add(here + ("quantity",), f"le stock de {ref} deviendrait négatif ({stock[ref]})")
        elif isinstance(entry, s.PurchaseOrder):
            party("supplier", entry.supplier, suppliers)
            for j, line in enumerate(entry.lines):
                if line.product.upper() not in products:
                    out.add(here + ("lines", j, "product"), f"article inconnu « {line.product} »")
        elif isinstance(entry, s.GoodsReceipt):
            order = need("order", entry.order, ["purchase_order"])
            for j, line in enumerate(entry.lines):
                ref = line.product.upper()
                if order is not None and ref not in {item.product.upper() for item in order.lines}:
                    out.add(here + ("lines", j, "product"), f"« {line.product} » n'est pas sur cette commande")
                elif ref in stock:
                    stock[ref] += line.received - line.damaged
                if line.damaged > line.received:
                    out.add(here + ("lines", j, "damaged"), "plus d'articles abîmés que reçus")
        elif isinstance(entry, s.CounterSale):
            if entry.party:
                party("party", entry.party, clients)
            for j, line in enumerate(entry.lines):
                ref = line.product.upper()
                if ref not in products:
                    out.add(here + ("lines", j, "product"), f"article inconnu « {line.product} »")
                elif ref in stock:
                    stock[ref] -= line.quantity
                    if stock[ref] < 0:
                        out.add(here + ("lines", j, "quantity"), f"le stock de {ref} deviendrait négatif")


def _deliver(out, here, entry, order, documents, stock) -> None:
    """Follow the stock of delivered goods (the whole order when no lines are given)."""
    lines = _order_lines(order, documents)
    wanted = entry.lines or [
        s.DeliveryLine(product=item.product, quantity=item.quantity) for item in lines if item.product
    ]
    for line in wanted:
        ref = line.product.upper()
        if ref in stock:
            stock[ref] -= int(line.quantity)
            if stock[ref] < 0:
                out.add(here, f"le stock de {ref} ne suffit pas pour cette livraison")


def _order_lines(order, documents) -> list:
    if order.lines:
        return order.lines
    quote = documents.get(order.source)
    return quote[1].lines if quote else []


def _events(out, scenario, products, clients, suppliers) -> None:
    keys = defaultdict(int)
    for i, event in enumerate(scenario.events):
        here = ("events", i)
        if event.key:
            keys[event.key] += 1
            if keys[event.key] > 1:
                out.add(here + ("key",), f"clé d'événement en double « {event.key} »")
        if event.date and scenario.scenario.start_date and event.date < scenario.scenario.start_date:
            out.add(here + ("date",), "un événement arrive au plus tôt le jour du début du scénario")
        if event.day is not None and not scenario.scenario.start_date:
            out.add(here + ("day",), "un jour relatif (day) demande une date de début (scenario.start_date)")
        if event.party:
            book = suppliers if event.kind == "supplier_delay" else clients
            if event.party not in book:
                what = "fournisseur" if event.kind == "supplier_delay" else "client ou prospect"
                out.add(here + ("party",), f"{what} inconnu « {event.party} »")
        for j, line in enumerate(event.lines):
            if line.product.upper() not in products:
                out.add(here + ("lines", j, "product"), f"article inconnu « {line.product} »")


def _prospection(out, scenario, parties) -> None:
    templates = _unique(out, ("message_templates",), scenario.message_templates, lambda t: t.name.casefold(),
                        "modèle", field="name")
    _unique(out, ("call_plans",), scenario.call_plans, lambda p: p.name.casefold(), "plan d'appel", field="name")
    for i, plan in enumerate(scenario.call_plans):
        here = ("call_plans", i)
        if plan.template and plan.template.casefold() not in templates:
            out.add(here + ("template",), f"modèle inconnu « {plan.template} » : déclarez-le dans message_templates")
        seen = set()
        for j, target in enumerate(plan.targets):
            if target not in parties:
                out.add(here + ("targets", j), f"tiers inconnu « {target} » : déclarez-le dans clients ou suppliers")
            elif target in seen:
                out.add(here + ("targets", j), f"cible en double « {target} »")
            seen.add(target)
