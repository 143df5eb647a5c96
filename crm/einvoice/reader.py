"""Reading a received CII XML into crm.einvoice.cii.Invoice (what the buyer books, nothing retyped)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from crm.einvoice import cii

NS = {"rsm": cii.RSM, "ram": cii.RAM, "udt": cii.UDT, "qdt": cii.QDT}
TYPE_KINDS = {"381": "credit_note"}


class NotCii(ValueError):
    """The bytes are not a CII invoice (not XML, or another root element)."""


def parse(xml: bytes):
    """The XML tree of a CII invoice; NotCii otherwise (no entities, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise NotCii(f"XML illisible : {error}") from None
    if root.tag != f"{{{cii.RSM}}}CrossIndustryInvoice":
        raise NotCii(f"l'élément racine est « {etree.QName(root).localname} », pas CrossIndustryInvoice")
    return root


def _text(node, path: str) -> str:
    found = node.xpath(path, namespaces=NS)
    if not found:
        return ""
    value = found[0]
    return (value if isinstance(value, str) else (value.text or "")).strip()


def _decimal(node, path: str, default: Decimal | None = Decimal("0")) -> Decimal | None:
    text = _text(node, path)
    if not text:
        return default
    try:
        return Decimal(text)
    except InvalidOperation:
        return default


def _date(node, path: str) -> date | None:
    text = _text(node, path)
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None


def _party(node) -> cii.TradeParty:
    if node is None:
        return cii.TradeParty("", cii.Address([], "", ""))
    lines = [_text(node, f"ram:PostalTradeAddress/ram:{tag}") for tag in ("LineOne", "LineTwo", "LineThree")]
    legal_id = _text(node, "ram:SpecifiedLegalOrganization/ram:ID")
    scheme = _text(node, "ram:SpecifiedLegalOrganization/ram:ID/@schemeID")
    vat = _text(node, "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")
    siren = legal_id if scheme in ("", cii.SIREN_SCHEME) and len(legal_id) == 9 and legal_id.isdigit() else ""
    if not siren and len(legal_id) == 14 and legal_id.isdigit():  # a SIRET (scheme 0009)
        siren = legal_id[:9]
    if not siren and vat.upper().startswith("FR") and len(vat) == 13:
        siren = vat[4:]
    return cii.TradeParty(
        name=_text(node, "ram:Name"),
        address=cii.Address([line for line in lines if line], _text(node, "ram:PostalTradeAddress/ram:PostcodeCode"),
                            _text(node, "ram:PostalTradeAddress/ram:CityName"),
                            _text(node, "ram:PostalTradeAddress/ram:CountryID") or "FR"),
        siren=siren, vat_number=vat, email=_text(node, "ram:URIUniversalCommunication/ram:URIID"))


def read(xml: bytes) -> cii.Invoice:
    """The invoice a CII XML describes (its figures as written; the checks are crm.einvoice.services's)."""
    root = parse(xml)
    transaction = root.find("rsm:SupplyChainTradeTransaction", NS)
    if transaction is None:
        raise NotCii("pas de SupplyChainTradeTransaction")
    agreement = transaction.find("ram:ApplicableHeaderTradeAgreement", NS)
    settlement = transaction.find("ram:ApplicableHeaderTradeSettlement", NS)
    if agreement is None or settlement is None:
        raise NotCii("accord ou règlement de l'échange absent")
    lines = []
    for position, item in enumerate(transaction.findall("ram:IncludedSupplyChainTradeLineItem", NS), start=1):
        quantity = _decimal(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
        price = _decimal(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:ChargeAmount")
        base = _decimal(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/ram:BasisQuantity",
                        Decimal("1")) or Decimal("1")
        discount = sum((Decimal(x.text) for x in item.xpath(
            "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator"
            "='false']/ram:ActualAmount", namespaces=NS)), Decimal("0"))
        lines.append(cii.Line(
            number=position, reference=_text(item, "ram:SpecifiedTradeProduct/ram:SellerAssignedID"),
            name=_text(item, "ram:SpecifiedTradeProduct/ram:Name"), quantity=quantity,
            unit_code=_text(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity/@unitCode") or "C62",
            unit_price=price / base, discount_rate=_decimal(
                item, "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeAllowanceCharge/ram:CalculationPercent"),
            discount_amount=discount, gross=quantity * price / base,
            vat_rate=_decimal(item, "ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/"
                                    "ram:RateApplicablePercent"),
            net=_decimal(item, "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
                               "ram:LineTotalAmount")))
    summation = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    if summation is None:
        raise NotCii("totaux absents")
    vat = [cii.VatBreakdown(_decimal(tax, "ram:RateApplicablePercent"), _decimal(tax, "ram:BasisAmount"),
                            _decimal(tax, "ram:CalculatedAmount"))
           for tax in settlement.findall("ram:ApplicableTradeTax", NS)]
    allowances = [cii.Allowance("remise", Decimal("0"), _decimal(a, "ram:CategoryTradeTax/ram:RateApplicablePercent"),
                                _decimal(a, "ram:ActualAmount"))
                  for a in settlement.xpath("ram:SpecifiedTradeAllowanceCharge[ram:ChargeIndicator/udt:Indicator"
                                            "='false']", namespaces=NS)]
    type_code = _text(root, "rsm:ExchangedDocument/ram:TypeCode")
    return cii.Invoice(
        kind=TYPE_KINDS.get(type_code, "invoice"), number=_text(root, "rsm:ExchangedDocument/ram:ID"),
        issue_date=_date(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
        seller=_party(agreement.find("ram:SellerTradeParty", NS)),
        buyer=_party(agreement.find("ram:BuyerTradeParty", NS)),
        lines=lines, allowances=allowances, vat=vat,
        line_total=_decimal(summation, "ram:LineTotalAmount"),
        allowance_total=_decimal(summation, "ram:AllowanceTotalAmount"),
        tax_basis=_decimal(summation, "ram:TaxBasisTotalAmount"),
        tax_total=_decimal(summation, "ram:TaxTotalAmount[not(@currencyID) or @currencyID=../../"
                                      "ram:InvoiceCurrencyCode]"),
        grand_total=_decimal(summation, "ram:GrandTotalAmount"),
        prepaid=_decimal(summation, "ram:TotalPrepaidAmount"),
        due_date=_date(settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"),
        payment_terms=_text(settlement, "ram:SpecifiedTradePaymentTerms/ram:Description"),
        iban=_text(settlement, "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/"
                               "ram:IBANID"),
        buyer_order=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        seller_order=_text(agreement, "ram:SellerOrderReferencedDocument/ram:IssuerAssignedID"),
        corrected_invoice=_text(settlement, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
        type_code=type_code,
    )


def charge_total(xml: bytes) -> Decimal:
    root = parse(xml)
    return _decimal(root, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:ChargeTotalAmount")
