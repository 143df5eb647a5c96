"""Load a checked scenario into an empty firm, through the services of each package.

Nothing is written around the rules: parties go through the party service,
products through the catalogue, the opening stock and every past document,
payment, ticket and reception through the same services the trainees use, so
numbers are chronological, stock moves and CMUP are real, and the indicators
are alive from the first day. The firm's simulated calendar is set to each
history entry's date while it is replayed, then to the scenario's start date.

All of it happens in the caller's transaction: a refusal anywhere raises
ScenarioInvalid (with the path and line of the faulty entry) and the caller
rolls back, so a firm is never half-loaded. The journal stays silent: this is
the teacher's setting, not the trainees' work.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.extensions import db
from crm.formation.journal import journal_silenced
from crm.formation.models import FirmScenario, ScenarioEvent
from crm.formation.scenarios import schema as s
from crm.formation.scenarios.check import ScenarioError, ScenarioInvalid, check_scenario, line_of, path_text

OPENING_SOURCE = "Stock d'ouverture"


class _Book:
    """What the loader created, by the names the file uses."""

    def __init__(self):
        self.families: dict[str, object] = {}
        self.products: dict[str, object] = {}
        self.parties: dict[str, object] = {}
        self.documents: dict[str, object] = {}


def load_source(firm: Firm, source: str, actor: User | None = None, scenario_id: int | None = None) -> s.ScenarioFile:
    """Check `source` then load it into `firm` (empty); ScenarioInvalid lists what is wrong."""
    scenario, lines = check_scenario(source)
    load_scenario(firm, scenario, lines, actor)
    db.session.add(FirmScenario(firm_id=firm.id, scenario_id=scenario_id, name=scenario.scenario.name[:120],
                                source=source, loaded_at=utcnow(), loaded_by_id=actor.id if actor else None))
    db.session.flush()
    return scenario


def load_scenario(firm: Firm, scenario: s.ScenarioFile, lines: dict, actor: User | None = None) -> None:
    _check_empty(firm)
    book = _Book()
    step = _Step(lines)
    with journal_silenced():
        step.run(("firm",), _identity, firm, scenario)
        step.run(("settings",), _settings, firm, scenario.settings)
        for i, department in enumerate(scenario.organigramme):
            step.run(("organigramme", i), _department, firm, department)
        for i, name in enumerate(scenario.families):
            step.run(("families", i), _family, firm, name, book)
        for i, supplier in enumerate(scenario.suppliers):
            step.run(("suppliers", i), _party, firm, supplier, "supplier", book)
        for i, client in enumerate(scenario.clients):
            step.run(("clients", i), _party, firm, client, client.kind, book)
        opening = min([e.date for e in scenario.history] + [scenario.scenario.start_date or date.max])
        if opening == date.max:
            opening = None
        firm.business_date = opening
        for i, product in enumerate(scenario.products):
            step.run(("products", i), _product, firm, product, book)
        for i, entry in enumerate(scenario.history):
            firm.business_date = entry.date
            step.run(("history", i), REPLAY[type(entry)], firm, entry, book)
        firm.business_date = scenario.scenario.start_date
        for i, event in enumerate(scenario.events):
            step.run(("events", i), _event, firm, event, scenario, book)
        templates: dict[str, object] = {}
        for i, template in enumerate(scenario.message_templates):
            step.run(("message_templates", i), _message_template, firm, template, templates, actor)
        for i, plan in enumerate(scenario.call_plans):
            step.run(("call_plans", i), _call_plan, firm, plan, templates, book, actor)
    if step.errors:
        raise ScenarioInvalid(step.errors)
    db.session.flush()


class _Step:
    """Run one loading step; a refusal becomes an error at that entry's path and line.

    The first refusal stops the load: later entries depend on earlier ones, and the
    transaction is rolled back by the caller anyway.
    """

    def __init__(self, lines: dict):
        self.lines = lines
        self.errors: list[ScenarioError] = []

    def run(self, path: tuple, function, *args) -> None:
        if self.errors:
            return
        try:
            function(*args)
        except DomainError as error:
            self.errors.append(ScenarioError(path_text(path), line_of(self.lines, path), error.message))


def _check_empty(firm: Firm) -> None:
    from crm.clients.models import Party
    from crm.ventes.models import Product

    if firm.is_archived:
        raise DomainError("Cette entreprise est archivée : on ne peut plus y charger de scénario.")
    for model in (Party, Product, FirmScenario):
        if db.session.scalar(select(model.id).where(model.firm_id == firm.id).limit(1)) is not None:
            raise DomainError(
                f"L'entreprise « {firm.trade_name} » contient déjà des données : un scénario se charge dans "
                "une entreprise neuve (ou réinitialisez-la depuis son scénario).")


# --- the setting -------------------------------------------------------------------------

def _identity(firm: Firm, scenario: s.ScenarioFile) -> None:
    from crm.admin.services import FIRM_FIELDS, apply_firm_data

    data = scenario.firm.model_dump()
    apply_firm_data(firm, {**{key: data.get(key, "") for key in FIRM_FIELDS if key != "siren"},
                           "share_capital": data.get("share_capital")})


def _settings(firm: Firm, settings: s.Settings) -> None:
    from crm.core.firm_settings import update_firm_settings
    from crm.core.numbering_models import DEFAULT_PREFIXES

    update_firm_settings(
        firm, number_prefixes={**DEFAULT_PREFIXES, **settings.number_prefixes},
        allow_negative_stock=settings.allow_negative_stock, late_payment_rate=settings.late_payment_rate,
        payment_terms_days=settings.payment_terms_days, escompte_terms=settings.escompte_terms,
        time_zone=settings.time_zone, vat_on_debits=settings.vat_on_debits)


def _department(firm: Firm, department: s.Department) -> None:
    from crm.accueil import services as desk

    service = desk.create_service(firm, None, department.name)
    for person in department.people:
        desk.add_staff_member(service, None, person.model_dump())


def _family(firm: Firm, name: str, book: _Book) -> None:
    from crm.ventes.catalogue import create_family

    book.families[name.casefold()] = create_family(firm, name)


def _party(firm: Firm, party: s.Party, kind: str, book: _Book) -> None:
    from crm.clients.services import add_contact, create_party
    from crm.stocks.purchasing import set_supplier_terms

    data = party.model_dump(exclude={"key", "contacts", "terms"})
    data["kind"] = kind
    if "tags" in data:
        data["tags"] = ",".join(data["tags"])
    if data.get("interest") is None:
        data.pop("interest", None)
    created = create_party(firm, None, data, journal=False)
    for contact in party.contacts:
        add_contact(created, None, contact.model_dump())
    if isinstance(party, s.Supplier) and party.terms:
        set_supplier_terms(created, party.terms.lead_time_days, party.terms.minimum_order)
    book.parties[party.ref] = created


def _product(firm: Firm, item: s.Product, book: _Book) -> None:
    from crm.stocks.services import move_stock, set_thresholds
    from crm.ventes.catalogue import add_objection, add_promotion, create_product

    family = book.families.get(item.family.casefold()) if item.family else None
    product = create_product(firm, None, {
        "reference": item.reference, "label": item.label, "family_id": family.id if family else None,
        "description": item.description, "advantages": "\n".join(item.advantages), "unit": item.unit,
        "purchase_price": item.purchase_price, "sale_price": item.sale_price, "vat_rate": item.vat_rate,
        "stock_tracked": item.stock_tracked, "active": item.active,
    })
    for objection in item.objections:
        add_objection(product, None, objection.objection, objection.answer)
    for promotion in item.promotions:
        add_promotion(product, promotion.price, promotion.starts_on, promotion.ends_on, promotion.label)
    if item.stock:
        move_stock(firm, None, product, item.stock, "reception", unit_cost=item.purchase_price,
                   source=OPENING_SOURCE)
    if item.thresholds:
        t = item.thresholds
        supplier = book.parties.get(t.supplier) if t.supplier else None
        set_thresholds(product, t.minimum, t.safety, t.maximum, "typed", alert=t.alert,
                       supplier_id=supplier.id if supplier else None)
    book.products[item.reference] = product


# --- history ----------------------------------------------------------------------------------

def _line_data(lines: list[s.Line], book: _Book, day: date) -> list:
    from crm.ventes.documents.services import LineData

    result = []
    for line in lines:
        product = book.products[line.product.upper()] if line.product else None
        result.append(LineData(
            description=line.description or product.label,
            quantity=line.quantity,
            unit_price=line.unit_price if line.unit_price is not None else product.price_on(day),
            vat_rate=line.vat_rate if line.vat_rate is not None else product.vat_rate,
            discount_rate=line.discount_rate, product=product))
    return result


def _reductions(entry) -> dict:
    return {"remise_rate": entry.remise_rate, "rabais_rate": entry.rabais_rate,
            "ristourne_rate": entry.ristourne_rate, "escompte_rate": entry.escompte_rate}


def _quote(firm: Firm, entry: s.Quote, book: _Book) -> None:
    from crm.ventes.documents import services as sales

    quote = sales.create_document(firm, None, "quote", book.parties[entry.party], entry.date)
    sales.save_draft(quote, {**_reductions(entry), "notes": entry.notes}, _line_data(entry.lines, book, entry.date))
    if not entry.draft:
        sales.validate_document(quote, None)
        if entry.outcome == "accepted":
            sales.accept_quote(quote, None)  # drafts its order, which an `order` entry may validate
        elif entry.outcome == "refused":
            sales.refuse_quote(quote, None)
    _remember(book, entry, quote)


def _order(firm: Firm, entry: s.Order, book: _Book) -> None:
    from crm.ventes.documents import services as sales
    from crm.ventes.documents.models import SalesOrder

    if entry.source:
        quote = book.documents[entry.source]
        order = next(d for d in quote.derived if isinstance(d, SalesOrder))
        header = {"issue_date": entry.date}
        if entry.notes:
            header["notes"] = entry.notes
        lines = _carried_quantities(order, entry.lines) if entry.lines else _carried(order)
        sales.save_draft(order, header, lines)
    else:
        order = sales.create_document(firm, None, "order", book.parties[entry.party], entry.date)
        sales.save_draft(order, {**_reductions(entry), "notes": entry.notes},
                         _line_data(entry.lines, book, entry.date))
    if not entry.draft:
        sales.validate_document(order, None)
    _remember(book, entry, order)


def _carried_quantities(document, entry_lines) -> list:
    """The lines of a derived draft as the scenario gives them: an article of the source and its quantity.

    A document made from another keeps that one's articles and prices (crm.ventes.documents.services);
    a scenario line naming another article, or another price, is refused.
    """
    carried = {(item.product.reference if item.product else item.description).upper(): item
               for item in _carried(document)}
    lines = []
    for line in entry_lines:
        key = (line.product or line.description or "").upper()
        item = carried.get(key)
        if item is None:
            raise DomainError(f"{line.product or line.description} ne figure pas sur le document d'origine.")
        if line.unit_price is not None and line.unit_price != item.unit_price:
            raise DomainError(f"{line.product or line.description} : le prix est celui du document d'origine "
                              f"({item.unit_price}).")
        item.quantity = line.quantity
        lines.append(item)
    return lines


def _carried(document) -> list:
    from crm.ventes.documents.services import LineData

    return [LineData(item.description, item.quantity, item.unit_price, item.vat_rate, item.discount_rate, item.product,
                     item.source_line) for item in document.lines]


def _delivery(firm: Firm, entry: s.Delivery, book: _Book) -> None:
    from crm.ventes.documents import services as sales

    order = book.documents[entry.source]
    delivery = sales.derive_document(order, "delivery", None, today=entry.date)
    if entry.lines:
        carried = {item.product.reference: item for item in _carried(delivery) if item.product is not None}
        lines = []
        for line in entry.lines:
            reference = line.product.upper()
            if reference not in carried:
                raise DomainError(f"{reference} ne reste pas à livrer sur cette commande.")
            lines.append(carried[reference])
            lines[-1].quantity = line.quantity
        sales.save_draft(delivery, {}, lines)
    sales.validate_document(delivery, None)
    _remember(book, entry, delivery)


def _invoice(firm: Firm, entry: s.Invoice, book: _Book) -> None:
    from crm.ventes.documents import services as sales

    if entry.deliveries:
        invoice = sales.invoice_deliveries([book.documents[k] for k in entry.deliveries], None, today=entry.date)
    else:
        invoice = sales.derive_document(book.documents[entry.source], "invoice", None, today=entry.date)
    sales.validate_document(invoice, None)
    _remember(book, entry, invoice)


def _credit_note(firm: Firm, entry: s.CreditNote, book: _Book) -> None:
    from crm.ventes.documents import services as sales

    credit = sales.derive_document(book.documents[entry.invoice], "credit_note", None, today=entry.date)
    lines = _carried_quantities(credit, entry.lines) if entry.lines else _carried(credit)
    sales.save_draft(credit, {"goods_returned": entry.goods_returned}, lines)
    sales.validate_document(credit, None)
    _remember(book, entry, credit)


def _payment(firm: Firm, entry: s.Payment, book: _Book) -> None:
    from crm.ventes.documents import services as sales

    invoice = book.documents[entry.invoice]
    amount = entry.amount if entry.amount is not None else sales.balance_due(invoice)
    sales.record_payment(invoice, None, amount, entry.method, entry.date, entry.reference)


def _stock_move(firm: Firm, entry: s.StockMove, book: _Book) -> None:
    from crm.stocks.services import move_stock

    move_stock(firm, None, book.products[entry.product.upper()], entry.quantity, entry.kind,
               unit_cost=entry.unit_cost, source=entry.source, note=entry.note, moved_on=entry.date)


def _purchase_order(firm: Firm, entry: s.PurchaseOrder, book: _Book) -> None:
    from crm.stocks import purchasing

    order = purchasing.create_order(firm, None, book.parties[entry.supplier], entry.date, entry.notes)
    for line in entry.lines:
        purchasing.set_order_line(order, book.products[line.product.upper()], line.quantity, line.unit_price)
    if not entry.draft:
        purchasing.validate_order(firm, None, order)
    _remember(book, entry, order)


def _goods_receipt(firm: Firm, entry: s.GoodsReceipt, book: _Book) -> None:
    from crm.stocks import purchasing

    order = book.documents[entry.order]
    by_reference = {line.product.reference: line for line in order.lines}
    values = {}
    for line in entry.lines:
        order_line = by_reference[line.product.upper()]
        extra = line.received > purchasing.remaining_by_line(order)[order_line.id]
        note = line.note or ("Écart à la réception" if extra or line.damaged else "")
        values[order_line.id] = purchasing.ReceiptLineInput(line.received, line.damaged, extra, note)
    receipt = purchasing.create_receipt(firm, None, order, entry.date, values, entry.delivery_note, entry.note)
    purchasing.validate_receipt(firm, None, receipt)
    _remember(book, entry, receipt)


def _counter_sale(firm: Firm, entry: s.CounterSale, book: _Book) -> None:
    from crm.ventes.caisse import services as till

    lines = [till.TicketLine(book.products[item.product.upper()], item.quantity) for item in entry.lines]
    payments = [(p.mode, str(p.amount)) for p in entry.payments]
    party = book.parties[entry.party] if entry.party else None
    till.sell(firm, None, lines, payments, party=party, today=entry.date)


def _closing(firm: Firm, entry: s.Closing, book: _Book) -> None:
    from crm.ventes.caisse import services as till

    till.close_day(firm, None, entry.date, today=entry.date)


def _remember(book: _Book, entry, record) -> None:
    if getattr(entry, "key", None):
        book.documents[entry.key] = record


REPLAY = {s.Quote: _quote, s.Order: _order, s.Delivery: _delivery, s.Invoice: _invoice,
          s.CreditNote: _credit_note, s.Payment: _payment, s.StockMove: _stock_move,
          s.PurchaseOrder: _purchase_order, s.GoodsReceipt: _goods_receipt, s.CounterSale: _counter_sale,
          s.Closing: _closing}


# --- scheduled events -----------------------------------------------------------------------

def _event(firm: Firm, event: s.Event, scenario: s.ScenarioFile, book: _Book) -> None:
    due_on = event.date or scenario.scenario.start_date + timedelta(days=event.day)
    payload = event.model_dump(mode="json", exclude={"key", "kind", "title", "day", "date", "time"},
                               exclude_defaults=True)
    payload["key"] = event.key or ""
    if event.party:  # the party as created, whatever name the file gave it
        payload["party_id"] = book.parties[payload.pop("party")].id
    db.session.add(ScenarioEvent(firm_id=firm.id, kind=event.kind, title=event.title, due_on=due_on,
                                 due_time=event.time, payload=payload))


# --- prospection ------------------------------------------------------------------------------

def _message_template(firm: Firm, item: s.MessageTemplate, templates: dict, actor: User | None) -> None:
    """Through the template service: an unknown merge field is refused with its name."""
    from crm.prospection import messaging

    templates[item.name.casefold()] = messaging.save_template(firm, actor, messaging.TemplateData(
        name=item.name, kind=item.kind, purpose=item.purpose, subject=item.subject,
        salutation=item.salutation, body=item.body.strip(), closing=item.closing))


def _call_plan(firm: Firm, item: s.CallPlan, templates: dict, book: _Book, actor: User | None) -> None:
    """A plan ready to run; the teacher (or the demo) assigns trainees to it afterwards."""
    from crm.core.clock import business_today
    from crm.prospection import services as prospection

    plan = prospection.create_plan(firm, actor, prospection.PlanData(
        name=item.name, objective=item.objective, channel=item.channel, starts_on=business_today(firm),
        script=item.script.strip(), template=templates.get((item.template or "").casefold())))
    for objection in item.objections:
        prospection.add_objection(plan, actor, objection.objection, objection.answer)
    for target in item.targets:
        prospection.add_target(plan, actor, book.parties[target])
