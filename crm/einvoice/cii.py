"""The CII XML (EN 16931 profile of Factur-X) of a validated invoice or credit note.

Generated from the stored document (its lines, rates and frozen totals), never
read back from the PDF. What the XML carries, with its EN 16931 business terms:

- seller (BG-4) and buyer (BG-7): name, SIREN (BT-30 / BT-47, scheme 0002), VAT
  numbers (BT-31 / BT-48), postal addresses, the seller's e-mail;
- number (BT-1), type 380 invoice / 381 credit note (BT-3), issue date (BT-2),
  delivery date (BT-72), delivery address when it differs (BG-15), the sales
  order (BT-14) and delivery note (BT-16) it follows, the invoice a credit note
  corrects (BT-25);
- payment terms (BT-20), due date (BT-9), IBAN/BIC (BG-17) with SEPA transfer (58),
  the printed payment and legal mentions as notes (BT-22, subject codes of the
  French practice: PMT, PMD, AAB, REG), the option for VAT on debits as the VAT
  point date code 5 (BT-8);
- each line: quantity and unit code (BT-129/130), net price (BT-146), the line
  discount as a line allowance (BG-27), VAT category and rate, line net (BT-131);
- the document-level reductions of the cascade (remise, rabais, ristourne) and the
  escompte, printed as deductions from the gross HT, as document allowances
  (BG-20), one per reduction and VAT rate (EN 16931 ties every allowance to one
  VAT category): see allowances();
- the VAT breakdown per rate (BG-23), the totals (BG-22), the amount already paid
  (BT-113) and the amount due (BT-115).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from crm.core.money import ZERO
from crm.ventes.computation import DocumentTotals, nets_by_rate, shares_by_rate

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}
EN16931 = "urn:cen.eu:en16931:2017"
TYPE_CODES = {"invoice": "380", "credit_note": "381"}
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the French SIRENE register

# UN/ECE Recommendation 20 codes of the units the catalogue uses (BT-130); any other: C62 (one).
UNIT_CODES = {
    "unité": "C62", "unite": "C62", "u": "C62", "pièce": "H87", "piece": "H87", "pce": "H87",
    "kg": "KGM", "kilogramme": "KGM", "g": "GRM", "gramme": "GRM", "l": "LTR", "litre": "LTR",
    "m": "MTR", "mètre": "MTR", "metre": "MTR", "m²": "MTK", "m2": "MTK", "heure": "HUR", "h": "HUR",
    "jour": "DAY", "mois": "MON", "lot": "LO", "douzaine": "DZN", "paire": "PR", "forfait": "C62",
    # Packagings: Recommendation 21 codes, prefixed with X as EN 16931 takes them.
    "paquet": "XPA", "boîte": "XBX", "boite": "XBX", "carton": "XCT", "sachet": "XSA", "bouteille": "XBO",
    "rouleau": "XRO", "colis": "XPK", "bidon": "XJY", "flacon": "XFL",
}
# UNCL 5189 reason codes of the document-level allowances.
REASON_CODES = {"remise": "95", "rabais": "65", "ristourne": "105", "escompte": "95"}
REASONS = {"remise": "Remise", "rabais": "Rabais", "ristourne": "Ristourne",
           "escompte": "Escompte pour paiement anticipé"}
EXEMPTION_REASON = "Opération exonérée de TVA"
COUNTRIES = {"": "FR", "france": "FR", "belgique": "BE", "suisse": "CH", "luxembourg": "LU",
             "allemagne": "DE", "espagne": "ES", "italie": "IT"}


@dataclass
class Address:
    lines: list[str]
    postcode: str
    city: str
    country: str = "FR"


@dataclass
class TradeParty:
    name: str
    address: Address
    siren: str = ""
    vat_number: str = ""
    email: str = ""


@dataclass
class Line:
    number: int
    reference: str
    name: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    discount_rate: Decimal
    discount_amount: Decimal
    gross: Decimal
    vat_rate: Decimal
    net: Decimal


@dataclass
class Allowance:
    kind: str  # remise, rabais, ristourne, escompte
    rate: Decimal  # the printed percentage (on the whole document)
    vat_rate: Decimal
    amount: Decimal


@dataclass
class VatBreakdown:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass
class Invoice:
    """Everything the XML says, read from a stored document (or, later, from a received XML)."""

    kind: str  # invoice / credit_note
    number: str
    issue_date: date
    seller: TradeParty
    buyer: TradeParty
    lines: list[Line]
    allowances: list[Allowance]
    vat: list[VatBreakdown]
    line_total: Decimal
    allowance_total: Decimal
    tax_basis: Decimal
    tax_total: Decimal
    grand_total: Decimal
    prepaid: Decimal = ZERO
    due_date: date | None = None
    delivery_date: date | None = None
    ship_to: TradeParty | None = None
    payment_terms: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # (subject code, text)
    iban: str = ""
    bic: str = ""
    seller_order: str = ""
    despatch_advice: str = ""
    buyer_order: str = ""
    corrected_invoice: str = ""
    corrected_invoice_date: date | None = None
    type_code: str = ""  # BT-3 as read from a received XML (380, 381, 384…)
    vat_point_code: str = ""  # BT-8: "5" (invoice date) when the seller opted for VAT on debits

    @property
    def due_payable(self) -> Decimal:
        return self.grand_total - self.prepaid


def unit_code(unit: str | None) -> str:
    """The UN/ECE code of a catalogue unit ("unité", "kg", "litres"…); C62 (one) when unknown."""
    text = (unit or "").strip().lower()
    return UNIT_CODES.get(text) or UNIT_CODES.get(text.removesuffix("s")) or "C62"


def country_code(country: str | None) -> str:
    text = (country or "").strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return COUNTRIES.get(text.lower(), "FR")


def vat_number_of(siren: str, vat_number: str) -> str:
    """The VAT number as given, else the French one derived from the SIREN (key = (12 + 3 × (SIREN mod 97)) mod 97)."""
    if vat_number:
        return vat_number.replace(" ", "").upper()
    if len(siren) == 9 and siren.isdigit():
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    return ""


def allowances(totals: DocumentTotals) -> list[Allowance]:
    """The cascade and the escompte as document allowances, one per reduction and VAT rate.

    EN 16931 ties each document allowance to one VAT category (BR-32, BR-S-08): the
    taxable amount of a rate must equal its lines' nets less its allowances. The
    document prints each reduction once, on the whole net. Each reduction is therefore
    split between the rates as the differences of the rates' shares of the net before
    and after it (crm.ventes.computation.shares_by_rate, the rounding of the VAT bases):
    the pieces of one reduction add up to the printed amount to the cent, and the
    pieces of one rate to its lines' nets less its VAT base. No percentage is sent
    (a piece is not exactly rate × basis); the reason text carries the printed rate.
    """
    by_rate = nets_by_rate(totals.lines)
    before = shares_by_rate(by_rate, totals.gross_ht, totals.gross_ht)
    result = []
    steps = list(totals.reductions) + ([totals.escompte] if totals.escompte else [])
    for step in steps:
        after = shares_by_rate(by_rate, totals.gross_ht, step.net)
        for rate in sorted(by_rate, reverse=True):
            amount = before[rate] - after[rate]
            if amount:
                result.append(Allowance(step.kind, step.rate, rate, amount))
        before = after
    return result


# --- writing ----------------------------------------------------------------

def _amount(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def _number(value: Decimal) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Writer:
    def __init__(self):
        self.root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)

    @staticmethod
    def add(parent, tag: str, text: str | None = None, **attributes):
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attributes)
        if text is not None:
            element.text = text
        return element

    def date(self, parent, tag: str, value: date, qualified: bool = False):
        holder = self.add(parent, tag)
        self.add(holder, "qdt:DateTimeString" if qualified else "udt:DateTimeString", _day(value), format="102")


def to_xml(invoice: Invoice) -> bytes:
    """The CII XML (Factur-X EN 16931 profile) of an invoice, as UTF-8 bytes."""
    w = _Writer()
    add = w.add
    context = add(w.root, "rsm:ExchangedDocumentContext")
    add(add(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)
    header = add(w.root, "rsm:ExchangedDocument")
    add(header, "ram:ID", invoice.number)
    add(header, "ram:TypeCode", TYPE_CODES[invoice.kind])
    w.date(header, "ram:IssueDateTime", invoice.issue_date)
    for subject, text in invoice.notes:
        note = add(header, "ram:IncludedNote")
        add(note, "ram:Content", text)
        if subject:
            add(note, "ram:SubjectCode", subject)
    transaction = add(w.root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        _write_line(w, transaction, line)
    _write_agreement(w, add(transaction, "ram:ApplicableHeaderTradeAgreement"), invoice)
    delivery = add(transaction, "ram:ApplicableHeaderTradeDelivery")
    if invoice.ship_to is not None:
        ship_to = add(delivery, "ram:ShipToTradeParty")
        add(ship_to, "ram:Name", invoice.ship_to.name)
        _write_address(w, ship_to, invoice.ship_to.address)
    if invoice.delivery_date:
        w.date(add(delivery, "ram:ActualDeliverySupplyChainEvent"), "ram:OccurrenceDateTime",
               invoice.delivery_date)
    if invoice.despatch_advice:
        add(add(delivery, "ram:DespatchAdviceReferencedDocument"), "ram:IssuerAssignedID", invoice.despatch_advice)
    _write_settlement(w, add(transaction, "ram:ApplicableHeaderTradeSettlement"), invoice)
    return etree.tostring(w.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write_line(w: _Writer, transaction, line: Line) -> None:
    add = w.add
    item = add(transaction, "ram:IncludedSupplyChainTradeLineItem")
    add(add(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(line.number))
    product = add(item, "ram:SpecifiedTradeProduct")
    if line.reference:
        add(product, "ram:SellerAssignedID", line.reference)
    add(product, "ram:Name", line.name)
    agreement = add(item, "ram:SpecifiedLineTradeAgreement")
    add(add(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _amount(line.unit_price))
    add(add(item, "ram:SpecifiedLineTradeDelivery"), "ram:BilledQuantity", _number(line.quantity),
        unitCode=line.unit_code)
    settlement = add(item, "ram:SpecifiedLineTradeSettlement")
    _write_tax(w, settlement, "ram:ApplicableTradeTax", line.vat_rate)
    if line.discount_amount:
        # The line discount is printed as a rate and an amount of the line's gross: a line allowance.
        allowance = add(settlement, "ram:SpecifiedTradeAllowanceCharge")
        add(add(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
        add(allowance, "ram:CalculationPercent", _number(line.discount_rate))
        add(allowance, "ram:BasisAmount", _amount(line.gross))
        add(allowance, "ram:ActualAmount", _amount(line.discount_amount))
        add(allowance, "ram:ReasonCode", "95")
        add(allowance, "ram:Reason", "Remise sur la ligne")
    add(add(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"), "ram:LineTotalAmount",
        _amount(line.net))


def _category(rate: Decimal) -> str:
    return "S" if rate else "E"


def _write_tax(w: _Writer, parent, tag: str, rate: Decimal) -> None:
    tax = w.add(parent, tag)
    w.add(tax, "ram:TypeCode", "VAT")
    w.add(tax, "ram:CategoryCode", _category(rate))
    w.add(tax, "ram:RateApplicablePercent", _number(rate))


def _write_party(w: _Writer, parent, tag: str, party: TradeParty, with_email: bool = True) -> None:
    add = w.add
    element = add(parent, tag)
    add(element, "ram:Name", party.name)
    if party.siren:
        add(add(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.siren, schemeID=SIREN_SCHEME)
    _write_address(w, element, party.address)
    if party.email and with_email:
        add(add(element, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.vat_number:
        add(add(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_number, schemeID="VA")


def _write_address(w: _Writer, parent, address: Address) -> None:
    add = w.add
    element = add(parent, "ram:PostalTradeAddress")
    if address.postcode:
        add(element, "ram:PostcodeCode", address.postcode)
    for tag, text in zip(("ram:LineOne", "ram:LineTwo", "ram:LineThree"), address.lines, strict=False):
        add(element, tag, text)
    if address.city:
        add(element, "ram:CityName", address.city)
    add(element, "ram:CountryID", address.country)


def _write_agreement(w: _Writer, agreement, invoice: Invoice) -> None:
    add = w.add
    _write_party(w, agreement, "ram:SellerTradeParty", invoice.seller)
    _write_party(w, agreement, "ram:BuyerTradeParty", invoice.buyer)
    if invoice.seller_order:
        add(add(agreement, "ram:SellerOrderReferencedDocument"), "ram:IssuerAssignedID", invoice.seller_order)
    if invoice.buyer_order:
        add(add(agreement, "ram:BuyerOrderReferencedDocument"), "ram:IssuerAssignedID", invoice.buyer_order)


def _write_settlement(w: _Writer, settlement, invoice: Invoice) -> None:
    add = w.add
    if invoice.kind == "invoice":
        add(settlement, "ram:PaymentReference", invoice.number)
    add(settlement, "ram:InvoiceCurrencyCode", "EUR")
    if invoice.iban and invoice.kind == "invoice":
        means = add(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        add(means, "ram:TypeCode", "58")  # SEPA credit transfer
        add(add(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", invoice.iban)
        if invoice.bic:
            add(add(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", invoice.bic)
    for vat in invoice.vat:
        tax = add(settlement, "ram:ApplicableTradeTax")
        add(tax, "ram:CalculatedAmount", _amount(vat.amount))
        add(tax, "ram:TypeCode", "VAT")
        if not vat.rate:
            add(tax, "ram:ExemptionReason", EXEMPTION_REASON)
        add(tax, "ram:BasisAmount", _amount(vat.base))
        add(tax, "ram:CategoryCode", _category(vat.rate))
        if invoice.vat_point_code:
            add(tax, "ram:DueDateTypeCode", invoice.vat_point_code)
        add(tax, "ram:RateApplicablePercent", _number(vat.rate))
    for allowance in invoice.allowances:
        element = add(settlement, "ram:SpecifiedTradeAllowanceCharge")
        add(add(element, "ram:ChargeIndicator"), "udt:Indicator", "false")
        add(element, "ram:ActualAmount", _amount(allowance.amount))
        add(element, "ram:ReasonCode", REASON_CODES[allowance.kind])
        add(element, "ram:Reason", f"{REASONS[allowance.kind]} {_number(allowance.rate).replace('.', ',')} %")
        _write_tax(w, element, "ram:CategoryTradeTax", allowance.vat_rate)
    if invoice.payment_terms or invoice.due_date:
        terms = add(settlement, "ram:SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            add(terms, "ram:Description", invoice.payment_terms)
        if invoice.due_date:
            w.date(terms, "ram:DueDateDateTime", invoice.due_date)
    summation = add(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    add(summation, "ram:LineTotalAmount", _amount(invoice.line_total))
    add(summation, "ram:AllowanceTotalAmount", _amount(invoice.allowance_total))
    add(summation, "ram:TaxBasisTotalAmount", _amount(invoice.tax_basis))
    add(summation, "ram:TaxTotalAmount", _amount(invoice.tax_total), currencyID="EUR")
    add(summation, "ram:GrandTotalAmount", _amount(invoice.grand_total))
    add(summation, "ram:TotalPrepaidAmount", _amount(invoice.prepaid))
    add(summation, "ram:DuePayableAmount", _amount(invoice.due_payable))
    if invoice.corrected_invoice:
        reference = add(settlement, "ram:InvoiceReferencedDocument")
        add(reference, "ram:IssuerAssignedID", invoice.corrected_invoice)
        if invoice.corrected_invoice_date:
            w.date(reference, "ram:FormattedIssueDateTime", invoice.corrected_invoice_date, qualified=True)
