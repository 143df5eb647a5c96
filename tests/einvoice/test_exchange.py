"""Exchange between the firms of a classroom, uploads from outside, bad inputs, isolation."""
from __future__ import annotations

import io
import re
from decimal import Decimal as D

import pytest
from lxml import etree
from sqlalchemy import func, select

from crm.clients.models import Party
from crm.core.models import Firm
from crm.core.pdf import pdf_available
from crm.einvoice import cii, issuing, services
from crm.einvoice.models import IncomingInvoice
from crm.extensions import db
from crm.formation.models import Activity
from crm.ventes.documents.models import DocumentFile
from tests.conftest import Auth, csrf_token, page_text
from tests.einvoice.conftest import BUYER_SIRET, every_rate_lines, issue_invoice

needs_pdf = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load its system libraries here")


def _browser(app, username):
    browser = Auth(app.test_client())
    browser.login(username)
    return browser


def _incoming(firm) -> list[IncomingInvoice]:
    return list(db.session.scalars(select(IncomingInvoice).where(IncomingInvoice.firm_id == firm.id)))


def _upload(browser, data: bytes, filename: str):
    return browser.client.post("/echanges/deposer", data={
        "file": (io.BytesIO(data), filename), "csrf_token": csrf_token(browser.client, "/echanges/")},
        content_type="multipart/form-data")


def test_the_directory_lists_the_classroom_only_and_links_a_firm(app, seller, buyer, world):
    html = page_text(_browser(app, "eleve_a").client.get("/echanges/annuaire"))
    assert "Comptoir démo" in html and "Firme B" not in html
    html = page_text(_browser(app, "eleve_b").client.get("/echanges/annuaire"))
    assert "Comptoir démo" not in html and "Boutique voisine" not in html
    browser = _browser(app, "eleve_a")
    # A firm of another classroom cannot be linked: 404, nothing created.
    before = db.session.scalar(select(func.count(Party.id)))
    response = browser.post(f"/echanges/annuaire/{world.firm_b.id}/lier", {"kind": "client"},
                            form_page="/echanges/annuaire")
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(Party.id))) == before
    response = browser.post(f"/echanges/annuaire/{buyer.id}/lier", {"kind": "client"}, form_page="/echanges/annuaire")
    assert response.status_code == 302
    db.session.expire_all()
    party = db.session.scalar(select(Party).where(Party.firm_id == seller.firm.id, Party.linked_firm_id == buyer.id))
    assert (party.kind, party.company_name, party.siret) == ("client", "Comptoir démo", BUYER_SIRET)
    # Linking twice keeps one party.
    browser.post(f"/echanges/annuaire/{buyer.id}/lier", {"kind": "client"}, form_page="/echanges/annuaire")
    assert db.session.scalar(select(func.count(Party.id)).where(Party.linked_firm_id == buyer.id)) == 1


@needs_pdf
def test_an_invoice_to_a_linked_firm_lands_in_its_incoming_invoices(app, seller, buyer, world):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    draft = issue_invoice(seller, client, every_rate_lines(seller)[:3], remise="5", escompte="2", validate=False)
    db.session.commit()
    seller_browser = _browser(app, "eleve_a")
    response = seller_browser.post(f"/ventes/documents/{draft.id}/valider", form_page="/ventes/devis/")
    assert response.status_code == 302
    db.session.expire_all()
    [incoming] = _incoming(buyer)
    stored = db.session.scalar(select(DocumentFile).where(DocumentFile.document_id == draft.id))
    assert incoming.data == stored.data and incoming.sha256 == stored.sha256
    assert (incoming.channel, incoming.number, incoming.total_ttc) == ("platform", draft.number, draft.total_ttc)
    assert incoming.seller_siren == "732829320" and incoming.sender_firm_id == seller.firm.id
    assert "Factur-X transmise" in page_text(seller_browser.client.get(f"/ventes/documents/{draft.id}"))
    # The buyer sees it, its lines read from the XML; no other firm does.
    buyer_browser = _browser(app, "eleve_c")
    page = page_text(buyer_browser.client.get(f"/echanges/recues/{incoming.id}"))
    assert draft.number in page and "Chaise empilable" in page and "Boutique voisine" in page
    assert buyer_browser.client.get(f"/echanges/recues/{incoming.id}/fichier").data == stored.data
    for username in ("eleve_a", "eleve_b"):
        other = _browser(app, username)
        assert other.client.get(f"/echanges/recues/{incoming.id}").status_code == 404
        assert other.client.get(f"/echanges/recues/{incoming.id}/fichier").status_code == 404
        assert draft.number not in page_text(other.client.get("/echanges/"))
    # Uploading the same file again is a duplicate: refused, nothing booked.
    response = _upload(buyer_browser, stored.data, "facture.pdf")
    assert response.status_code == 422 and "déjà reçue" in page_text(response)
    assert len(_incoming(buyer)) == 1


def _xml_for(seller, buyer_party, **changes) -> bytes:
    invoice = issue_invoice(seller, buyer_party, every_rate_lines(seller)[:2])
    data = issuing.invoice_of(invoice)
    for name, value in changes.items():
        setattr(data, name, value)
    return cii.to_xml(data)


def test_an_outside_xml_is_checked_and_booked(app, seller, buyer):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    client.linked_firm_id = None  # an ordinary client: nothing is delivered
    xml = _xml_for(seller, client)
    db.session.commit()
    browser = _browser(app, "eleve_c")
    response = _upload(browser, xml, "facture.xml")
    assert response.status_code == 302, page_text(response)
    db.session.expire_all()
    [incoming] = _incoming(buyer)
    assert (incoming.channel, incoming.content_type, incoming.seller_name) == ("upload", "application/xml",
                                                                                "Boutique voisine")
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.firm_id == buyer.id,
                                                                  Activity.verb == "einvoice.received")) == 1


def _refused(app, buyer, data: bytes, filename: str, expected: str):
    before = len(_incoming(buyer))
    activities = db.session.scalar(select(func.count(Activity.id)))
    response = _upload(_browser(app, "eleve_c"), data, filename)
    text = page_text(response)
    assert response.status_code == 422, text
    assert expected in text, text
    db.session.expire_all()
    assert len(_incoming(buyer)) == before and db.session.scalar(select(func.count(Activity.id))) == activities
    return text


def test_bad_inputs_are_refused_with_a_french_message_and_nothing_booked(app, seller, buyer):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    client.linked_firm_id = None
    good = _xml_for(seller, client)
    other_buyer = _xml_for(seller, seller.business)
    db.session.commit()
    from pypdf import PdfWriter

    plain = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(plain)
    _refused(app, buyer, plain.getvalue(), "scan.pdf", "ne contient pas de facture électronique")
    _refused(app, buyer, b"<commande><ligne/></commande>", "commande.xml", "n'est pas une facture électronique CII")
    _refused(app, buyer, b"\x00\x01 pas du XML", "facture.xml", "n'est pas une facture électronique CII")
    text = _refused(app, buyer, other_buyer, "facture.xml", "pas à votre entreprise")
    assert "196900014" in text and "552100554" in text
    # Totals that do not add up: the French message names them.
    root = etree.fromstring(good)
    ns = {"ram": cii.RAM}
    grand = root.find(".//ram:GrandTotalAmount", ns)
    grand.text = str(D(grand.text) + D("10"))
    text = _refused(app, buyer, etree.tostring(root), "facture.xml", "ne s'additionnent pas")
    assert "Total TTC annoncé" in text
    # An EN 16931 rule: a SEPA transfer without its account (CII-SR-470), listed by rule id.
    root = etree.fromstring(good)
    account = root.find(".//ram:PayeePartyCreditorFinancialAccount", ns)
    account.getparent().remove(account)
    text = _refused(app, buyer, etree.tostring(root), "facture.xml", "règles EN 16931")
    assert "CII-SR-470" in text, re.findall(r"refusal-reasons.*?</ul>", text, re.S)
    # The XSD: an element out of its place.
    root = etree.fromstring(good)
    document = root.find(f"{{{cii.RSM}}}ExchangedDocument")
    type_code = document.find("ram:TypeCode", ns)
    document.remove(type_code)
    document.insert(0, type_code)
    _refused(app, buyer, etree.tostring(root), "facture.xml", "schéma XML Factur-X (XSD)")
    # A firm without a SIREN cannot check that an invoice is its own.
    firm = db.session.get(Firm, buyer.id)
    firm.siren, firm.siret = "", ""
    db.session.commit()
    _refused(app, buyer, good, "facture.xml", "n'a pas de SIREN")


def test_delivery_never_crosses_classrooms(app, seller, buyer, world):
    """A client linked to a firm that has since left the classroom gets nothing delivered."""
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    firm = db.session.get(Firm, buyer.id)
    firm.classroom_id = world.classroom_b.id
    invoice = issue_invoice(seller, client, every_rate_lines(seller)[:1])
    issuing_pdf = b"%PDF-"  # never read: the classroom check comes first
    db.session.add(DocumentFile(firm_id=seller.firm.id, document_id=invoice.id, purpose="facturx",
                                content_type="application/pdf", filename="x.pdf", data=issuing_pdf,
                                size=len(issuing_pdf), sha256="0" * 64))
    db.session.flush()
    delivery = services.deliver(invoice.id)
    assert (delivery.status, delivery.reason_code) == ("refused", "unreachable")
    assert _incoming(buyer) == []
    with pytest.raises(Exception):  # noqa: B017 - the service refuses with a DomainError
        services.link_firm(seller.firm, seller.user, firm, "supplier")
