"""Issue 15's exchange, end to end: a directory the teacher opens to other classes, refused deliveries
shown to the seller and retried, one delivery whatever path validated the invoice, linking a party
already in the file, and the legal identity kept by the firm's responsable."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crm.clients import services as party_services
from crm.clients.models import Party
from crm.core.firm_settings import get_firm_settings
from crm.core.mentions import seller_legal_mentions
from crm.core.models import Classroom, Firm
from crm.core.pdf import pdf_available
from crm.einvoice import services
from crm.einvoice.models import EinvoiceDelivery, IncomingInvoice
from crm.extensions import db
from crm.ventes.documents import services as sales
from tests.conftest import Auth, page_text
from tests.einvoice.conftest import BUYER_SIRET, credit, every_rate_lines, issue_invoice

OTHER_SIRET = "44306184100047"  # a valid SIRET of another company
FIRM_B_SIRET = "40483304800022"
needs_pdf = pytest.mark.skipif(not pdf_available(), reason="WeasyPrint cannot load its system libraries here")


@pytest.fixture
def firm_b(world):
    """Firme B (classroom B, teacher prof_b) with an identity a buyer is checked against."""
    firm = db.session.get(Firm, world.firm_b.id)
    firm.siren, firm.siret, firm.legal_form = FIRM_B_SIRET[:9], FIRM_B_SIRET, "SARL"
    firm.address_line1, firm.postcode, firm.city = "2 rue Neuve", "75002", "Paris"
    db.session.commit()
    return firm


def _browser(app, username):
    browser = Auth(app.test_client())
    browser.login(username)
    return browser


def _teacher(app, username, firm_id=None):
    browser = _browser(app, username)
    if firm_id is not None:
        browser.post(f"/entreprises/{firm_id}/entrer", form_page="/entreprises")
    return browser


def _incoming(firm) -> list[IncomingInvoice]:
    return list(db.session.scalars(select(IncomingInvoice).where(IncomingInvoice.firm_id == firm.id)))


def _delivery(document) -> EinvoiceDelivery | None:
    db.session.expire_all()
    return db.session.scalar(select(EinvoiceDelivery).where(EinvoiceDelivery.document_id == document.id))


def _open(app, teacher: str, classroom_id: int, open_: bool):
    browser = _teacher(app, teacher)
    response = browser.post(f"/admin/classes/{classroom_id}/annuaire", {"open": "y" if open_ else ""},
                            form_page=f"/admin/classes/{classroom_id}")
    assert response.status_code == 303
    return browser


def _validate(app, username, document):
    response = _browser(app, username).post(f"/ventes/documents/{document.id}/valider", form_page="/ventes/devis/")
    assert response.status_code == 302
    db.session.expire_all()


# --- 1. the directory the teacher opens ------------------------------------------------

def test_a_closed_classroom_never_sees_nor_trades_outside(app, seller, firm_b, world):
    """Closed is the default; opening one side only is not enough: the two classrooms must be open."""
    assert db.session.get(Classroom, world.classroom_a.id).directory_open is False
    _open(app, "prof_a", world.classroom_a.id, True)
    for username, hidden in (("eleve_a", "Firme B"), ("eleve_b", "Boutique voisine")):
        assert hidden not in page_text(_browser(app, username).client.get("/echanges/annuaire"))
    response = _browser(app, "eleve_a").post(f"/echanges/annuaire/{firm_b.id}/lier", {"kind": "client"},
                                             form_page="/echanges/annuaire")
    assert response.status_code == 404
    assert not services.in_directory(seller.firm, firm_b) and not services.in_directory(firm_b, seller.firm)
    # A teacher cannot open a classroom that is not theirs (404), nothing changes.
    browser = _teacher(app, "prof_a")
    response = browser.post(f"/admin/classes/{world.classroom_b.id}/annuaire", {"open": "y"},
                            form_page=f"/admin/classes/{world.classroom_a.id}")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Classroom, world.classroom_b.id).directory_open is False


@needs_pdf
def test_two_open_classrooms_trade_and_closing_stops_the_delivery(app, seller, firm_b, world):
    _open(app, "prof_a", world.classroom_a.id, True)
    _open(app, "prof_b", world.classroom_b.id, True)
    page = page_text(_teacher(app, "prof_a").client.get(f"/admin/classes/{world.classroom_a.id}"))
    assert "Ouvert aux autres classes du serveur" in page
    html = page_text(_browser(app, "eleve_a").client.get("/echanges/annuaire"))
    assert "Firme B" in html and "Classe B" in html
    assert "Boutique voisine" in page_text(_browser(app, "eleve_b").client.get("/echanges/annuaire"))
    response = _browser(app, "eleve_a").post(f"/echanges/annuaire/{firm_b.id}/lier", {"kind": "client"},
                                             form_page="/echanges/annuaire")
    assert response.status_code == 302
    client = db.session.scalar(select(Party).where(Party.firm_id == seller.firm.id,
                                                   Party.linked_firm_id == firm_b.id))
    invoice = issue_invoice(seller, client, every_rate_lines(seller)[:2], validate=False)
    db.session.commit()
    _validate(app, "eleve_a", invoice)
    [incoming] = _incoming(firm_b)
    assert (incoming.number, incoming.sender_firm_id) == (invoice.number, seller.firm.id)
    assert _delivery(invoice).status == "delivered"
    # Classroom B closes: the next invoice is refused, the seller is told why and how to fix it.
    _open(app, "prof_b", world.classroom_b.id, False)
    second = issue_invoice(seller, client, every_rate_lines(seller)[:1], validate=False)
    db.session.commit()
    _validate(app, "eleve_a", second)
    assert len(_incoming(firm_b)) == 1
    delivery = _delivery(second)
    assert (delivery.status, delivery.reason_code) == ("refused", "unreachable")
    page = page_text(_browser(app, "eleve_a").client.get(f"/ventes/documents/{second.id}"))
    assert "Transmission refusée : L'entreprise cliente n'est pas dans votre annuaire" in page
    assert "le professeur ouvre l'annuaire des deux classes" in page
    assert "Firme B" not in page_text(_browser(app, "eleve_a").client.get("/echanges/annuaire"))
    # Opened again: the retry delivers it.
    _open(app, "prof_b", world.classroom_b.id, True)
    browser = _browser(app, "eleve_a")
    response = browser.post(f"/echanges/transmissions/{second.id}", form_page=f"/ventes/documents/{second.id}")
    assert response.status_code == 302
    assert _delivery(second).status == "delivered" and len(_incoming(firm_b)) == 2


# --- 2. a refused delivery is shown, fixed and retried --------------------------------------

@needs_pdf
def test_a_refused_delivery_shows_its_reason_and_is_retried_once_fixed(app, seller, buyer):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    buyer_firm = db.session.get(Firm, buyer.id)
    buyer_firm.siren, buyer_firm.siret = OTHER_SIRET[:9], OTHER_SIRET  # the buyer's identity is wrong
    invoice = issue_invoice(seller, client, every_rate_lines(seller)[:2], validate=False)
    db.session.commit()
    _validate(app, "eleve_a", invoice)
    assert _incoming(buyer) == []
    delivery = _delivery(invoice)
    assert (delivery.status, delivery.reason_code, delivery.attempts) == ("refused", "buyer_mismatch", 1)
    browser = _browser(app, "eleve_a")
    page = page_text(browser.client.get(f"/ventes/documents/{invoice.id}"))
    assert (f"Transmission refusée : La facture est adressée au SIREN {BUYER_SIRET[:9]} (votre fiche client), "
            f"mais l'entreprise cliente a le SIREN {OTHER_SIRET[:9]}.") in page
    assert "faites-le corriger puis transmettez à nouveau" in page and "Transmettre à nouveau" in page
    # Retrying before the fix: refused again, nothing booked.
    browser.post(f"/echanges/transmissions/{invoice.id}", form_page=f"/ventes/documents/{invoice.id}")
    assert _delivery(invoice).attempts == 2 and _incoming(buyer) == []
    # The buyer's responsable fixes its SIREN (its identity page), the seller retries: delivered, once.
    buyer_browser = _browser(app, "eleve_c")
    response = buyer_browser.post("/entreprise/identite", {
        "legal_form": "SAS", "siren": BUYER_SIRET[:9], "siret": BUYER_SIRET, "vat_number": "",
        "rcs_city": "Lyon", "share_capital": ""}, form_page="/entreprise/identite")
    assert response.status_code == 302
    response = browser.post(f"/echanges/transmissions/{invoice.id}", form_page=f"/ventes/documents/{invoice.id}")
    assert response.status_code == 302
    delivery = _delivery(invoice)
    [incoming] = _incoming(buyer)
    assert (delivery.status, delivery.incoming_id, delivery.reason) == ("delivered", incoming.id, "")
    page = page_text(browser.client.get(f"/ventes/documents/{invoice.id}"))
    assert "Factur-X transmise à l'entreprise cliente" in page and "Transmission refusée" not in page
    browser.post(f"/echanges/transmissions/{invoice.id}", form_page=f"/ventes/documents/{invoice.id}")
    assert len(_incoming(buyer)) == 1 and _delivery(invoice).attempts == 3


def test_another_firm_cannot_retry_a_delivery(app, seller, buyer, world):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    invoice = issue_invoice(seller, client, every_rate_lines(seller)[:1])
    db.session.commit()
    for username in ("eleve_b", "eleve_c"):
        response = _browser(app, username).post(f"/echanges/transmissions/{invoice.id}", form_page="/echanges/")
        assert response.status_code == 404
    other = issue_invoice(seller, seller.business, every_rate_lines(seller)[:1])
    db.session.commit()
    response = _browser(app, "eleve_a").post(f"/echanges/transmissions/{other.id}", form_page="/echanges/")
    assert response.status_code == 404  # an ordinary client's invoice has nothing to deliver


# --- 3. delivered once, whatever path validated it ---------------------------------------

@needs_pdf
def test_an_invoice_validated_outside_a_request_is_delivered_at_its_first_download_once(app, seller, buyer):
    """What the scenario loader does (validate_document outside the validating view): the delivery is
    registered; the Factur-X printed at the first download is delivered; later downloads deliver nothing."""
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    invoice = issue_invoice(seller, client, every_rate_lines(seller)[:2])  # sales.validate_document
    note = credit(seller, invoice, {"CH-045": D("1")})
    db.session.commit()
    assert (_delivery(invoice).status, _delivery(note).status) == ("pending", "pending")
    assert _incoming(buyer) == []
    browser = _browser(app, "eleve_a")
    assert "Transmettre maintenant" in page_text(browser.client.get(f"/ventes/documents/{invoice.id}"))
    for _ in range(2):
        assert browser.client.get(f"/ventes/documents/{invoice.id}/pdf").status_code == 200
    [incoming] = _incoming(buyer)
    assert incoming.number == invoice.number and _delivery(invoice).status == "delivered"
    # The credit note: « Transmettre maintenant » prints it and delivers it.
    browser.post(f"/echanges/transmissions/{note.id}", form_page=f"/ventes/documents/{note.id}")
    assert _delivery(note).status == "delivered"
    assert sorted(i.type_code for i in _incoming(buyer)) == ["380", "381"]
    assert browser.client.get(f"/ventes/documents/{note.id}/pdf").status_code == 200
    assert len(_incoming(buyer)) == 2


@needs_pdf
def test_a_validated_invoice_is_delivered_once_even_when_downloaded_after(app, seller, buyer):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    invoice = issue_invoice(seller, client, every_rate_lines(seller)[:1], validate=False)
    db.session.commit()
    _validate(app, "eleve_a", invoice)
    browser = _browser(app, "eleve_a")
    browser.client.get(f"/ventes/documents/{invoice.id}/pdf")
    browser.post(f"/echanges/transmissions/{invoice.id}", form_page=f"/ventes/documents/{invoice.id}")
    assert len(_incoming(buyer)) == 1
    assert db.session.scalar(select(func.count(EinvoiceDelivery.id))) == 1
    assert services.register_delivery(invoice).status == "delivered"  # registering again changes nothing


def test_only_invoices_and_credit_notes_to_a_linked_client_register_a_delivery(app, seller, buyer):
    client = services.link_firm(seller.firm, seller.user, buyer, "client")
    quote = sales.create_document(seller.firm, seller.user, "quote", client, seller_date())
    sales.save_draft(quote, {}, every_rate_lines(seller)[:1])
    sales.validate_document(quote, seller.user)
    ordinary = issue_invoice(seller, seller.business, every_rate_lines(seller)[:1])
    assert _delivery(quote) is None and _delivery(ordinary) is None


def seller_date():
    from tests.einvoice.conftest import ISSUED

    return ISSUED


# --- 4. linking a party already in the file ---------------------------------------------------

def test_the_directory_proposes_the_party_with_the_same_siren_and_links_it(app, seller, buyer, world):
    existing = party_services.create_party(seller.firm, None, {
        "kind": "client", "category": "business", "company_name": "Comptoir démo (ancienne fiche)",
        "siret": BUYER_SIRET, "address_line1": "5 place Bellecour", "postcode": "69002", "city": "Lyon"},
        journal=False)
    db.session.commit()
    browser = _browser(app, "eleve_a")
    html = page_text(browser.client.get("/echanges/annuaire"))
    assert "Même SIREN" in html and "Lier « Comptoir démo (ancienne fiche) »" in html
    before = db.session.scalar(select(func.count(Party.id)))
    response = browser.post(f"/echanges/annuaire/{buyer.id}/lier-fiche", {"party_id": str(existing.id)},
                            form_page="/echanges/annuaire")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Party.id))) == before
    assert db.session.get(Party, existing.id).linked_firm_id == buyer.id
    assert "Même SIREN" not in page_text(browser.client.get("/echanges/annuaire"))
    # Linking it twice, or another firm's party: unchanged / 404.
    browser.post(f"/echanges/annuaire/{buyer.id}/lier-fiche", {"party_id": str(existing.id)},
                 form_page="/echanges/annuaire")
    foreign = party_services.create_party(db.session.get(Firm, world.firm_b.id), None, {
        "kind": "client", "category": "business", "company_name": "Ailleurs"}, journal=False)
    db.session.commit()
    response = browser.post(f"/echanges/annuaire/{buyer.id}/lier-fiche", {"party_id": str(foreign.id)},
                            form_page="/echanges/annuaire")
    assert response.status_code == 404
    assert db.session.get(Party, foreign.id).linked_firm_id is None


def test_linking_a_wrong_party_is_refused_with_a_french_message(app, seller, buyer):
    other_company = party_services.create_party(seller.firm, None, {
        "kind": "client", "category": "business", "company_name": "Autre société", "siret": OTHER_SIRET},
        journal=False)
    without_siret = party_services.create_party(seller.firm, None, {
        "kind": "supplier", "category": "business", "company_name": "Comptoir"}, journal=False)
    db.session.commit()
    browser = _browser(app, "eleve_a")
    page = f"/echanges/annuaire/{buyer.id}/lier-fiche"
    assert "Lier une fiche existante à Comptoir démo" in page_text(browser.client.get(page))
    cases = [({"party_id": str(other_company.id)}, "ne correspond pas au SIREN de Comptoir démo"),
             ({"party_id": str(seller.private.id)}, "est un particulier"),
             ({"party_id": ""}, "Choisissez la fiche à lier."),
             ({"party_id": "abc"}, "Choisissez"),
             ({"party_id": str(2**40)}, "")]
    for data, message in cases:
        response = browser.post(page, data, form_page=page)
        assert response.status_code == 422 and message in page_text(response), data
    assert db.session.scalar(select(func.count(Party.id)).where(Party.linked_firm_id == buyer.id)) == 0
    # A party without SIRET gets the firm's: its invoices name the buyer by it.
    response = browser.post(page, {"party_id": str(without_siret.id)}, form_page=page)
    assert response.status_code == 302
    db.session.expire_all()
    linked = db.session.get(Party, without_siret.id)
    assert (linked.linked_firm_id, linked.siret) == (buyer.id, BUYER_SIRET)


# --- 5. the legal identity kept by the responsable ---------------------------------------------

def test_the_responsable_keeps_the_legal_identity_and_the_mentions_follow(app, buyer):
    browser = _browser(app, "eleve_c")
    page = page_text(browser.client.get("/entreprise/identite"))
    assert "Ville du greffe (RCS)" in page and "Enregistrer" in page
    response = browser.post("/entreprise/identite", {
        "legal_form": "SAS", "siren": "552 100 554", "siret": BUYER_SIRET, "vat_number": "FR96552100554",
        "rcs_city": "Lyon", "share_capital": "8 000", "vat_on_debits": "y"}, form_page="/entreprise/identite")
    assert response.status_code == 302
    db.session.expire_all()
    firm = db.session.get(Firm, buyer.id)
    assert (firm.siren, firm.vat_number, firm.rcs_city, firm.share_capital) == (
        "552100554", "FR96552100554", "Lyon", D("8000.00"))
    assert get_firm_settings(firm).vat_on_debits is True
    assert [" ".join(line.split()) for line in seller_legal_mentions(firm)] == [
        "SAS au capital de 8 000,00 €", "RCS Lyon 552 100 554"]


def test_bad_identity_input_is_refused_in_french_and_nothing_saved(app, buyer):
    browser = _browser(app, "eleve_c")
    good = {"legal_form": "SAS", "siren": BUYER_SIRET[:9], "siret": BUYER_SIRET, "vat_number": "",
            "rcs_city": "Lyon", "share_capital": ""}
    cases = [({"siren": "552100555"}, "Numéro SIREN invalide"),
             ({"siret": "55210055400014"}, "Numéro SIRET invalide"),
             ({"siret": "44306184100047"}, "Le SIRET doit commencer par les 9 chiffres du SIREN"),
             ({"vat_number": "FR00443061841"}, "Numéro de TVA intracommunautaire invalide"),
             ({"vat_number": "FR64443061841"}, "doit se terminer par le SIREN"),
             ({"share_capital": "-5"}, "capital social"),
             ({"share_capital": "beaucoup"}, ""),
             ({"legal_form": "Coopérative"}, ""),
             ({"rcs_city": "x" * 81}, "")]
    for change, message in cases:
        response = browser.post("/entreprise/identite", {**good, **change}, form_page="/entreprise/identite")
        assert response.status_code == 422, change
        assert message in page_text(response), change
    db.session.expire_all()
    firm = db.session.get(Firm, buyer.id)
    assert (firm.rcs_city, firm.share_capital, firm.vat_number) == ("", None, "")


def test_only_the_responsable_or_the_teacher_changes_the_identity(app, seller, world):
    browser = _browser(app, "eleve_a")  # at the accueil poste
    page = page_text(browser.client.get("/entreprise/identite"))
    assert "Seul l'élève au poste de responsable" in page
    response = browser.post("/entreprise/identite", {"legal_form": "SARL", "siren": "732829320",
                                                     "rcs_city": "Paris"}, form_page="/entreprise/identite")
    assert response.status_code == 422 and "Seul le professeur ou l'élève au poste de responsable" in page_text(
        response)
    db.session.expire_all()
    assert db.session.get(Firm, seller.firm.id).rcs_city == ""
    teacher = _teacher(app, "prof_a", seller.firm.id)
    response = teacher.post("/entreprise/identite", {"legal_form": "SARL", "siren": "732829320",
                                                     "siret": "73282932000074", "rcs_city": "Lyon",
                                                     "share_capital": "1500"}, form_page="/entreprise/identite")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Firm, seller.firm.id).rcs_city == "Lyon"
    # The printed invoice follows: capital, RCS, and the VAT option once chosen.
    teacher.post("/entreprise/identite", {"legal_form": "SARL", "siren": "732829320", "siret": "73282932000074",
                                          "rcs_city": "Lyon", "share_capital": "1500", "vat_on_debits": "y"},
                 form_page="/entreprise/identite")
    draft = issue_invoice(seller, seller.business, every_rate_lines(seller)[:1], validate=False)
    db.session.commit()
    printed = " ".join(page_text(teacher.client.get(f"/ventes/documents/{draft.id}/imprimer")).split())
    assert "SARL au capital de 1 500,00 €" in printed and "RCS Lyon 732 829 320" in printed
    assert "Option pour le paiement de la taxe d'après les débits" in printed
