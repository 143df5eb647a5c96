"""Legal mentions: one module decides (crm.core.mentions), the page, the PDF and the XML print them."""
from __future__ import annotations

from decimal import Decimal as D

from crm.core.firm_settings import update_firm_settings
from crm.core.mentions import VAT_ON_DEBITS, document_mentions, seller_legal_mentions
from crm.core.models import Firm
from crm.einvoice import issuing, validation
from crm.extensions import db
from crm.ventes.documents import services
from tests.admin.test_classrooms_and_firms import _firm_data, _settings_data, _teacher
from tests.conftest import Auth, page_text
from tests.einvoice.conftest import ISSUED, every_rate_lines, issue_invoice
from tests.einvoice.test_issuing import _xpath


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def _printed(app, document) -> str:
    browser = Auth(app.test_client())
    browser.login("eleve_a")
    return _plain(page_text(browser.client.get(f"/ventes/documents/{document.id}/imprimer")))


def test_a_company_prints_its_capital_and_rcs_everywhere(app, seller):
    seller.firm.share_capital, seller.firm.rcs_city = D("8000"), "Lyon"
    update_firm_settings(seller.firm, vat_on_debits=True)
    invoice = issue_invoice(seller, seller.business, every_rate_lines(seller), remise="5")
    db.session.commit()
    printed = _printed(app, invoice)
    assert "SARL au capital de 8 000,00 €" in printed and "RCS Lyon 732 829 320" in printed
    assert VAT_ON_DEBITS in printed
    assert "SIREN 196900014" in printed  # the client's SIREN
    assert "Livraison de biens et prestation de services" in printed  # nature of the operation
    xml = issuing.xml_of(invoice)
    notes = _xpath(xml, "//ram:IncludedNote[ram:SubjectCode='REG']/ram:Content")
    assert "SARL au capital de 8 000,00 €" in [n.replace("\u202f", " ").replace("\xa0", " ") for n in notes]
    assert "RCS Lyon 732 829 320" in notes and VAT_ON_DEBITS in notes
    assert set(_xpath(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:DueDateTypeCode")) == {
        "5"}
    validation.check_xsd(xml)
    assert validation.fatal_failures(xml) == []
    # A quote carries the company's identity, but not the invoice-only mentions.
    quote = services.create_document(seller.firm, seller.user, "quote", seller.business, ISSUED)
    services.save_draft(quote, {}, every_rate_lines(seller)[:1])
    db.session.commit()
    printed = _printed(app, quote)
    assert "RCS Lyon 732 829 320" in printed and VAT_ON_DEBITS not in printed
    assert "Nature de l'opération" not in printed


def test_what_prints_depends_on_the_seller_and_the_client(seller):
    firm = seller.firm
    firm.share_capital, firm.rcs_city = D("1500"), "Lyon"
    assert [_plain(m) for m in seller_legal_mentions(firm)] == ["SARL au capital de 1 500,00 €",
                                                                "RCS Lyon 732 829 320"]
    firm.legal_form = "EI"  # a sole trader has no capital nor RCS company mention
    assert seller_legal_mentions(firm) == []
    firm.legal_form, firm.rcs_city, firm.share_capital = "SAS", "", None
    assert seller_legal_mentions(firm) == []
    invoice = issue_invoice(seller, seller.private, every_rate_lines(seller)[:1])
    settings = update_firm_settings(firm)
    mentions = document_mentions(invoice, db.session.get(Firm, firm.id), settings)
    assert mentions.client_siren == "" and mentions.nature == "Livraison de biens"
    assert mentions.delivery_address == ["12 quai Perrache", "69002 Lyon"]  # differs from the billing one
    assert mentions.tax_mentions == []
    business = issue_invoice(seller, seller.business, every_rate_lines(seller)[1:2])
    mentions = document_mentions(business, firm, settings)
    assert mentions.client_siren == "196900014" and mentions.delivery_address is None
    assert mentions.nature == "Prestation de services"


def test_the_teacher_sets_rcs_capital_and_the_option_on_debits(app, world):
    from crm.core.firm_settings import get_firm_settings

    browser = _teacher(app)
    page = f"/admin/entreprises/{world.firm_a.id}/modifier"
    response = browser.post(page, _firm_data(rcs_city="Lyon", share_capital="8 000,00"), form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    firm = db.session.get(Firm, world.firm_a.id)
    assert (firm.rcs_city, firm.share_capital) == ("Lyon", D("8000.00"))
    response = browser.post(page, _firm_data(share_capital="huit mille"), form_page=page)
    assert response.status_code == 422 and "share_capital" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Firm, world.firm_a.id).share_capital == D("8000.00")

    page = f"/admin/entreprises/{world.firm_a.id}/parametres"
    assert browser.post(page, _settings_data(vat_on_debits="y"), form_page=page).status_code == 302
    db.session.expire_all()
    assert get_firm_settings(world.firm_a).vat_on_debits is True
    assert browser.post(page, _settings_data(), form_page=page).status_code == 302
    db.session.expire_all()
    assert get_firm_settings(world.firm_a).vat_on_debits is False
