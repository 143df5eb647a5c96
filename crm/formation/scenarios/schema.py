"""The shape of a scenario file, checked field by field (pydantic).

Keys are the field names of the models (one vocabulary for the code, the
exports and docs/scenarios.md); enumerated values are the stored codes, read
from the models so that a code renamed there is renamed here. Anything not
declared is refused (`extra="forbid"`): a misspelt key is an error, not a
silently ignored line. Cross references (a product's family, a client's
segment, the party of a sale…) are checked afterwards in `references.py`.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.functional_validators import AfterValidator, BeforeValidator

from crm.accueil.models import CHANNELS as DESK_CHANNELS, NATURES
from crm.clients.models import CATEGORIES, CIVILITIES, INTEREST_LEVELS, SOURCES, STAGES
from crm.core import identifiers
from crm.core.clock import is_time_zone
from crm.core.money import VAT_RATES, VAT_RATES_TEXT
from crm.core.numbering_models import DOCUMENT_TYPES
from crm.formation.models import EVENT_KINDS
from crm.prospection.models import OBJECTIVES, PLAN_CHANNELS, TEMPLATE_KINDS, TEMPLATE_PURPOSES
from crm.stocks.models import MOVE_LABELS
from crm.ventes.documents.models import PAYMENT_METHODS
from crm.ventes.codes import PAYMENT_MODES


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _choice(values: dict | tuple, what: str):
    def check(value):
        if value not in values:
            allowed = ", ".join(str(v) for v in values)
            raise ValueError(f"{what} : « {value} » n'est pas une valeur possible ; choisissez parmi {allowed}")
        return value
    return AfterValidator(check)


def _identifier(normalise):
    def check(value: str) -> str:
        return normalise(value) if value else ""
    return AfterValidator(check)


def _vat_rate(value: Decimal) -> Decimal:
    for rate in VAT_RATES:
        if value == rate:
            return rate
    raise ValueError(f"taux de TVA inconnu ({value}) : choisissez {VAT_RATES_TEXT}")


def _text(max_length: int):
    return Annotated[str, Field(max_length=max_length)]


def _not_float(value):
    """YAML reads 12.5 as a float: go through its text so 0.1 stays 0.1 (money is never float)."""
    return str(value) if isinstance(value, float) else value


Amount = Annotated[Decimal, BeforeValidator(_not_float), Field(ge=0, max_digits=12, decimal_places=2)]
Rate = Annotated[Decimal, BeforeValidator(_not_float), Field(ge=0, le=100, decimal_places=2)]
VatRate = Annotated[Decimal, BeforeValidator(_not_float), AfterValidator(_vat_rate)]
Quantity = Annotated[Decimal, BeforeValidator(_not_float), Field(gt=0, max_digits=12, decimal_places=3)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Siret = Annotated[str, _identifier(identifiers.siret)]
VatNumber = Annotated[str, _identifier(identifiers.vat_number)]
Phone = Annotated[str, _identifier(identifiers.phone)]
Email = Annotated[str, _identifier(identifiers.email)]
Postcode = Annotated[str, _identifier(identifiers.postcode)]
Key = Annotated[str, Field(min_length=1, max_length=120)]


# --- the firm -------------------------------------------------------------------------

class About(Strict):
    name: _text(120)
    description: str = ""
    # The firm's simulated date once loaded; history is dated before it.
    start_date: dt.date | None = None


class FirmIdentity(Strict):
    trade_name: Annotated[str, Field(min_length=1, max_length=120)]
    legal_form: _text(40) = ""
    siret: Siret = ""
    vat_number: VatNumber = ""
    address_line1: _text(120) = ""
    address_line2: _text(120) = ""
    postcode: Postcode = ""
    city: _text(80) = ""
    phone: Phone = ""
    email: Email = ""
    website: _text(200) = ""
    iban: Annotated[str, _identifier(identifiers.iban)] = ""
    bic: Annotated[str, _identifier(identifiers.bic)] = ""
    terms_of_sale: _text(20000) = ""
    rcs_city: _text(80) = ""
    share_capital: Annotated[Decimal, Field(ge=0, lt=Decimal("1000000000000"), decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _vat_matches_siret(self):
        if self.vat_number and self.siret and self.vat_number[-9:] != self.siret[:9]:
            raise ValueError("le numéro de TVA doit se terminer par le SIREN (9 premiers chiffres du SIRET)")
        return self


class Settings(Strict):
    payment_terms_days: Annotated[int, Field(ge=0, le=60)] = 30
    late_payment_rate: Rate = Decimal("10")
    escompte_terms: _text(500) = ""
    time_zone: str = "Europe/Paris"
    allow_negative_stock: bool = False
    vat_on_debits: bool = False
    number_prefixes: dict[Annotated[str, _choice(DOCUMENT_TYPES, "Type de document")], _text(16)] = {}

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"fuseau horaire inconnu « {value} » (par exemple Europe/Paris)")
        return value


class Person(Strict):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    role: _text(80) = ""
    phone: Phone = ""
    email: Email = ""


class Department(Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    people: list[Person] = []


# --- catalogue ---------------------------------------------------------------------------

class Thresholds(Strict):
    minimum: Count = 0
    safety: Count = 0
    alert: Count = 0
    maximum: Count = 0
    supplier: Key | None = None

    @model_validator(mode="after")
    def _order(self):
        if not (self.maximum >= self.minimum and self.maximum >= self.alert >= self.safety):
            raise ValueError("seuils incohérents : il faut sécurité ≤ alerte ≤ maximum et minimum ≤ maximum")
        return self


class Objection(Strict):
    objection: Annotated[str, Field(min_length=1, max_length=255)]
    answer: Annotated[str, Field(min_length=1)]


class Promotion(Strict):
    price: Amount
    starts_on: dt.date
    ends_on: dt.date
    label: _text(80) = ""

    @model_validator(mode="after")
    def _dates(self):
        if self.ends_on < self.starts_on:
            raise ValueError("la promotion finit avant de commencer")
        return self


class Product(Strict):
    reference: Annotated[str, Field(min_length=1, max_length=40)]
    label: Annotated[str, Field(min_length=1, max_length=160)]
    family: _text(80) | None = None
    unit: _text(20) = "unité"
    purchase_price: Amount = Decimal("0")
    sale_price: Amount
    vat_rate: VatRate = Decimal("20")
    description: str = ""
    advantages: list[_text(255)] = []
    stock_tracked: bool = True
    active: bool = True
    # Opening stock, received at the purchase price before any history.
    stock: Count = 0
    thresholds: Thresholds | None = None
    objections: list[Objection] = []
    promotions: list[Promotion] = []

    @field_validator("reference")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _stock_of_a_service(self):
        if not self.stock_tracked and (self.stock or self.thresholds):
            raise ValueError("un article non suivi en stock (une prestation) n'a ni stock ni seuils")
        return self


# --- parties -------------------------------------------------------------------------------

class Contact(Strict):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    role: _text(80) = ""
    phone: Phone = ""
    email: Email = ""


class SupplierTerms(Strict):
    lead_time_days: Annotated[int, Field(ge=0, le=365)] = 0
    minimum_order: Amount = Decimal("0")


class Party(Strict):
    # How the rest of the file names this party; by default its name.
    key: Key | None = None
    category: Annotated[str, _choice(CATEGORIES, "Catégorie")] = "business"
    civility: Annotated[str, _choice(("",) + tuple(CIVILITIES), "Civilité")] = ""
    first_name: _text(80) = ""
    last_name: _text(80) = ""
    company_name: _text(120) = ""
    siret: Siret = ""
    vat_number: VatNumber = ""
    legal_form: _text(40) = ""
    sector: _text(80) = ""
    phone: Phone = ""
    email: Email = ""
    address_line1: _text(120) = ""
    address_line2: _text(120) = ""
    postcode: Postcode = ""
    city: _text(80) = ""
    notes: _text(5000) = ""
    contacts: list[Contact] = []

    @model_validator(mode="after")
    def _named(self):
        if self.category == "business" and not self.company_name:
            raise ValueError("la raison sociale (company_name) d'un professionnel est obligatoire")
        if self.category == "private" and not self.last_name:
            raise ValueError("le nom (last_name) d'un particulier est obligatoire")
        return self

    @property
    def name(self) -> str:
        if self.category == "business":
            return self.company_name
        return " ".join(p for p in (self.civility, self.first_name, self.last_name) if p)

    @property
    def ref(self) -> str:
        return self.key or self.name


class Client(Party):
    kind: Literal["client", "prospect"] = "client"
    segment: _text(60) = ""
    source: Annotated[str, _choice(("",) + tuple(SOURCES), "Origine")] = ""
    tags: list[_text(40)] = []
    marketing_consent: bool = False
    stage: Annotated[str, _choice(STAGES, "Étape")] | None = None
    interest: Annotated[int, _choice(INTEREST_LEVELS, "Intérêt")] | None = None


class Supplier(Party):
    terms: SupplierTerms | None = None


# --- history: the firm's past, replayed through the services --------------------------

class Line(Strict):
    product: Key | None = None
    description: _text(255) | None = None
    quantity: Quantity
    # Defaults: the product's catalogue price and VAT rate.
    unit_price: Amount | None = None
    vat_rate: VatRate | None = None
    discount_rate: Rate = Decimal("0")

    @model_validator(mode="after")
    def _what(self):
        if not self.product and not (self.description and self.unit_price is not None):
            raise ValueError("une ligne sans article (product) donne sa description et son prix (unit_price)")
        return self


class Reductions(Strict):
    remise_rate: Rate = Decimal("0")
    rabais_rate: Rate = Decimal("0")
    ristourne_rate: Rate = Decimal("0")
    escompte_rate: Rate = Decimal("0")


class Step(Strict):
    date: dt.date
    key: Key | None = None


class Quote(Step, Reductions):
    type: Literal["quote"]
    party: Key
    lines: Annotated[list[Line], Field(min_length=1)]
    notes: str = ""
    draft: bool = False
    outcome: Literal["sent", "accepted", "refused"] = "sent"


class Order(Step, Reductions):
    """An order: from an accepted quote (`source`), or typed directly (party and lines)."""

    type: Literal["order"]
    source: Key | None = None
    party: Key | None = None
    lines: list[Line] = []
    notes: str = ""
    draft: bool = False

    @model_validator(mode="after")
    def _origin(self):
        if not self.source and not (self.party and self.lines):
            raise ValueError("une commande vient d'un devis (source) ou donne son client (party) et ses lignes")
        return self


class DeliveryLine(Strict):
    product: Key
    quantity: Quantity


class Delivery(Step):
    """A delivery note of an order; without lines it delivers all that remains."""

    type: Literal["delivery"]
    source: Key
    lines: list[DeliveryLine] = []


class Invoice(Step):
    """An invoice of delivery notes (`deliveries`) or of an order (`source`)."""

    type: Literal["invoice"]
    source: Key | None = None
    deliveries: list[Key] = []

    @model_validator(mode="after")
    def _origin(self):
        if bool(self.source) == bool(self.deliveries):
            raise ValueError(
                "une facture vient d'une commande (source) ou de bons de livraison (deliveries), pas des deux"
            )
        return self


class CreditNote(Step):
    type: Literal["credit_note"]
    invoice: Key
    # Lines credited; without lines, the whole invoice.
    lines: list[Line] = []
    goods_returned: bool = False


class Payment(Strict):
    type: Literal["payment"]
    date: dt.date
    invoice: Key
    # Without an amount: the balance due.
    amount: Amount | None = None
    method: Annotated[str, _choice(PAYMENT_METHODS, "Mode de règlement")]
    reference: _text(80) = ""


def _not_zero(value: int) -> int:
    if value == 0:
        raise ValueError("la quantité ne peut pas valoir 0")
    return value


class StockMove(Strict):
    type: Literal["stock_move"]
    date: dt.date
    product: Key
    kind: Annotated[str, _choice(("reception", "loss", "adjustment"), "Mouvement")]
    # Signed like the ledger: positive in, negative out.
    quantity: Annotated[int, AfterValidator(_not_zero)]
    unit_cost: Amount | None = None
    source: _text(80) = ""
    note: _text(255) = ""


class PurchaseLine(Strict):
    product: Key
    quantity: Annotated[int, Field(gt=0)]
    unit_price: Amount | None = None


class PurchaseOrder(Step):
    type: Literal["purchase_order"]
    supplier: Key
    lines: Annotated[list[PurchaseLine], Field(min_length=1)]
    notes: _text(255) = ""
    draft: bool = False


class ReceiptLine(Strict):
    product: Key
    received: Count
    damaged: Count = 0
    note: _text(255) = ""


class GoodsReceipt(Step):
    type: Literal["goods_receipt"]
    order: Key
    lines: Annotated[list[ReceiptLine], Field(min_length=1)]
    delivery_note: _text(80) = ""
    note: _text(255) = ""


class TillLine(Strict):
    product: Key
    quantity: Annotated[int, Field(gt=0, le=9999)]


class TillPayment(Strict):
    mode: Annotated[str, _choice(PAYMENT_MODES, "Mode de paiement")]
    amount: Amount


class CounterSale(Step):
    type: Literal["counter_sale"]
    party: Key | None = None
    lines: Annotated[list[TillLine], Field(min_length=1)]
    payments: Annotated[list[TillPayment], Field(min_length=1)]


class Closing(Strict):
    type: Literal["closing"]
    date: dt.date


HistoryEntry = Annotated[
    Quote
    | Order
    | Delivery
    | Invoice
    | CreditNote
    | Payment
    | StockMove
    | PurchaseOrder
    | GoodsReceipt
    | CounterSale
    | Closing,
    Field(discriminator="type"),
]

# --- scheduled events ---------------------------------------------------------------------


class EventLine(Strict):
    product: Key
    quantity: Quantity


def _time_text(value):
    """Unquoted 09:30 is a number to YAML (sexagesimal 570): ask for quotes rather than guess."""
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('écrivez l\'heure entre guillemets, par exemple time: "09:30"')
    return value


class Event(Strict):
    """Something that happens to the firm on a day of its calendar (see crm.formation.events)."""

    key: Key | None = None
    kind: Annotated[str, _choice(EVENT_KINDS, "Type d'événement")]
    title: Annotated[str, Field(min_length=1, max_length=160)]
    # `day`: days after start_date (0 = the first day); or an explicit `date`.
    day: Annotated[int, Field(ge=0, le=3650)] | None = None
    date: dt.date | None = None
    time: Annotated[dt.time, BeforeValidator(_time_text)] = dt.time(9, 0)
    party: Key | None = None
    visitor_name: _text(120) = ""
    visitor_phone: Phone = ""
    visitor_email: Email = ""
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    nature: Annotated[str, _choice(NATURES, "Nature")] | None = None
    channel: Annotated[str, _choice(DESK_CHANNELS, "Canal")] | None = None
    lines: list[EventLine] = []

    @model_validator(mode="after")
    def _when_and_who(self):
        if (self.day is None) == (self.date is None):
            raise ValueError("un événement a soit un jour (day, compté depuis start_date), soit une date")
        if not self.party and not self.visitor_name:
            raise ValueError("indiquez qui se manifeste : un tiers du fichier (party) ou un nom (visitor_name)")
        if self.kind == "incoming_order" and not (self.party and self.lines):
            raise ValueError("une commande reçue donne son client (party) et ses lignes (lines)")
        if self.kind == "supplier_delay" and not self.party:
            raise ValueError("un retard fournisseur nomme le fournisseur (party)")
        return self


# --- prospection: message templates and call plans ---------------------------------------


class MessageTemplate(Strict):
    """A letter or email template; its merge fields are checked when it is loaded."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    kind: Annotated[str, _choice(TEMPLATE_KINDS, "Type de modèle")]
    purpose: Annotated[str, _choice(TEMPLATE_PURPOSES, "Usage")] = ""
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    salutation: _text(200) = ""
    body: Annotated[str, Field(min_length=1, max_length=20000)]
    closing: _text(5000) = ""


class CallPlan(Strict):
    """A call plan ready for the trainees: script, objections and targets named by party."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    objective: Annotated[str, _choice(OBJECTIVES, "Objet du contact")]
    channel: Annotated[str, _choice(PLAN_CHANNELS, "Mode de transmission")] = "phone"
    template: _text(80) | None = None
    script: _text(20000) = ""
    objections: list[Objection] = []
    targets: list[Key] = []


# --- the file ----------------------------------------------------------------------------

class ScenarioFile(Strict):
    scenario: About
    firm: FirmIdentity
    settings: Settings = Settings()
    organigramme: list[Department] = []
    segments: list[_text(60)] = []
    families: list[Annotated[str, Field(min_length=1, max_length=80)]] = []
    products: list[Product] = []
    suppliers: list[Supplier] = []
    clients: list[Client] = []
    history: list[HistoryEntry] = []
    events: list[Event] = []
    message_templates: list[MessageTemplate] = []
    call_plans: list[CallPlan] = []


MOVE_KINDS = {k: MOVE_LABELS[k] for k in ("reception", "loss", "adjustment")}
