"""Sales documents through the screens: quote → order → delivery → invoice → credit note, payments.

The textbook case used throughout (checked by hand):
  10 chaises à 45,00 € HT, TVA 20 %                       → 450,00
   4 livres à 12,50 € HT, remise ligne 10 %, TVA 5,5 %    → 50,00 − 5,00 = 45,00
  Total brut HT                                              495,00
  Remise 10 %   : 49,50                                    → 445,50
  Rabais 5 %    : 22,275 arrondi à 22,28                   → 423,22 (net commercial)
  Escompte 2 %  : 8,4644 arrondi à 8,46                    → 414,76 (net financier = total HT)
  Bases de TVA au prorata des lignes : 414,76 × 450/495 = 377,05 (20 %) ; 414,76 × 45/495 = 37,71 (5,5 %)
  TVA : 377,05 × 20 % = 75,41 ; 37,71 × 5,5 % = 2,07405 → 2,07 ; total 77,48
  Total TTC : 414,76 + 77,48 = 492,24
"""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from crm.clients import services as party_services
from crm.extensions import db
from crm.stocks.services import move_stock
from crm.ventes.documents import services
from crm.ventes.documents.models import Payment, SalesDocument
from crm.ventes.models import Product
from tests.conftest import Auth, page_text
from tests.factories import firm_today

TODAY = firm_today()
YEAR = TODAY.year


@pytest.fixture
def shop(app, world):
    """Firm A with a business client, chairs in stock and books; eleve_a logged in."""
    class Shop:
        pass

    s = Shop()
    s.firm = world.firm_a
    s.client = party_services.create_party(world.firm_a, None, {
        "kind": "client", "category": "business", "company_name": "Lycée Jean Moulin",
        "siret": "73282932000074", "address_line1": "1 rue du Lycée", "postcode": "69003",
        "city": "Lyon"}, journal=False)
    s.chair = Product(firm_id=world.firm_a.id, reference="CH-045", label="Chaise empilable",
                      purchase_price=D("20"), sale_price=D("45.00"), vat_rate=D("20"))
    s.book = Product(firm_id=world.firm_a.id, reference="LI-001", label="Livre de caisse",
                     purchase_price=D("5"), sale_price=D("12.50"), vat_rate=D("5.5"))
    db.session.add_all([s.chair, s.book])
    db.session.flush()
    move_stock(world.firm_a, None, s.chair, 30, "reception", unit_cost=D("20"), source="stock initial")
    move_stock(world.firm_a, None, s.book, 10, "reception", unit_cost=D("5"), source="stock initial")
    db.session.commit()
    s.browser = Auth(app.test_client())
    s.browser.login("eleve_a")
    return s


TEXTBOOK_LINES = "textbook"


def _form(shop, lines=TEXTBOOK_LINES, **header):
    data = {"party_id": shop.client.id, "issue_date": TODAY.isoformat(), "remise_rate": "10",
            "rabais_rate": "5", "ristourne_rate": "", "escompte_rate": "2", "notes": ""}
    data.update(header)
    if lines == TEXTBOOK_LINES:
        lines = [{"product_id": str(shop.chair.id), "quantity": "10"},
                 {"product_id": str(shop.book.id), "quantity": "4", "discount_rate": "10"}]
    for i, line in enumerate(lines):
        for name in ("product_id", "description", "quantity", "unit_price", "discount_rate",
                     "vat_rate", "source_line_id"):
            data[f"lines-{i}-{name}"] = line.get(name, "")
    return data


def _new(shop, slug, data):
    page = f"/ventes/{slug}/nouveau"
    return shop.browser.post(page, data, form_page=page)


def _set_quantities(shop, document, quantities: dict, **header):
    """Post the derived-document form: one quantity per line of the source (0: not carried)."""
    edit = f"/ventes/documents/{document.id}/modifier"
    data = {"issue_date": TODAY.isoformat(), "notes": "", **header}
    data.update({f"quantity_{line_id}": str(quantity) for line_id, quantity in quantities.items()})
    return shop.browser.post(edit, data, form_page=edit)


def _source_line_ids(document) -> dict:
    """Product reference → id of the line of the source this draft carries on."""
    return {line.product.reference: line.source_line_id for line in document.lines}


def _document(response) -> SalesDocument:
    assert response.status_code == 302, response.status_code
    document_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    return db.session.get(SalesDocument, document_id)


def _post(shop, path, data=None):
    return shop.browser.post(path, data or {}, form_page="/ventes/devis/")


def _validate(shop, document):
    response = _post(shop, f"/ventes/documents/{document.id}/valider")
    db.session.expire_all()
    return response


def _plain(html: str) -> str:
    return html.replace("\u202f", " ").replace("\xa0", " ")


def test_quote_totals_follow_the_textbook_case(shop):
    quote = _document(_new(shop, "devis", _form(shop)))
    assert quote.kind == "quote" and quote.number is None and quote.status == "draft"
    assert [line.net for line in quote.lines] == [D("450.00"), D("45.00")]
    assert (quote.total_ht, quote.total_vat, quote.total_ttc) == (D("414.76"), D("77.48"), D("492.24"))
    assert quote.valid_until == TODAY + timedelta(days=30)
    html = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{quote.id}")))
    for figure in ("495,00 €", "49,50 €", "22,28 €", "423,22 €", "8,46 €", "414,76 €", "77,48 €", "492,24 €"):
        assert figure in html
    printed = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{quote.id}/imprimer")))
    assert "377,05 €" in printed and "37,71 €" in printed and "brouillon" in printed.lower()


def test_the_whole_chain_with_partial_delivery_billing_and_payments(shop):
    quote = _document(_new(shop, "devis", _form(shop)))
    _validate(shop, quote)
    assert quote.number == f"DE{YEAR}-0001" and quote.status == "sent"

    # The client accepts: the order is drafted from the quote, then validated.
    order = _document(_post(shop, f"/ventes/documents/{quote.id}/accepter"))
    assert order.kind == "order" and order.source_id == quote.id and order.total_ttc == D("492.24")
    _validate(shop, order)
    assert quote.status == "accepted" and order.status == "confirmed"
    assert order.number.endswith(f"{YEAR}-0001")

    # First delivery: 6 chairs only, no book (quantity 0): a partial delivery.
    delivery = _document(_post(shop, f"/ventes/documents/{order.id}/suite/delivery"))
    ids = _source_line_ids(delivery)
    assert _set_quantities(shop, delivery, {ids["CH-045"]: 6, ids["LI-001"]: 0}).status_code == 302
    _validate(shop, delivery)
    assert delivery.status == "issued" and shop.chair.on_hand == 24  # 30 − 6
    assert order.status == "partially_delivered"

    # The second delivery note carries exactly what remains: 4 chairs and 4 books.
    second = _document(_post(shop, f"/ventes/documents/{order.id}/suite/delivery"))
    assert sorted((item.product.reference, item.quantity) for item in second.lines) == [
        ("CH-045", D("4")), ("LI-001", D("4"))]
    _validate(shop, second)
    assert order.status == "delivered"
    assert (shop.chair.on_hand, shop.book.on_hand) == (20, 6)

    # One invoice for both delivery notes of the client: the textbook total again.
    page = "/ventes/livraisons/facturer"
    response = shop.browser.post(page, {"delivery_ids": [delivery.id, second.id]}, form_page=page)
    invoice = _document(response)
    assert invoice.total_ttc == D("492.24")
    assert {d.id for d in invoice.deliveries} == {delivery.id, second.id}
    _validate(shop, invoice)
    assert invoice.number == f"FA{YEAR}-0001"
    assert invoice.due_date == TODAY + timedelta(days=30)
    assert delivery.status == second.status == "invoiced"

    # A partial payment, then the rest; the account statement follows.
    pay = f"/ventes/documents/{invoice.id}/reglements"
    form = {"amount": "200,00", "method": "cheque", "paid_on": TODAY.isoformat(), "reference": "1234567"}
    assert _post(shop, pay, form).status_code == 302
    db.session.expire_all()
    assert invoice.status == "partially_paid" and services.balance_due(invoice) == D("292.24")
    form.update(amount="292.24", method="transfer")
    assert _post(shop, pay, form).status_code == 302
    db.session.expire_all()
    assert invoice.status == "paid" and services.balance_due(invoice) == D("0.00")
    statement = _plain(page_text(shop.browser.client.get(f"/ventes/tiers/{shop.client.id}/releve")))
    assert f"Facture FA{YEAR}-0001" in statement and "Solde dû par le client : 0,00 €" in statement

    # The journal holds the competencies of the chain.
    journal = page_text(shop.browser.client.get("/formation/journal"))
    for code in ("A3T2C1", "A3T3C1", "A3T3C2"):
        assert code in journal


def test_paying_more_than_the_balance_needs_an_explicit_choice(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    pay = f"/ventes/documents/{invoice.id}/reglements"
    form = {"amount": "500.00", "method": "cash", "paid_on": TODAY.isoformat()}
    response = _post(shop, pay, form)
    assert response.status_code == 422
    assert "dépasse le reste à payer" in _plain(page_text(response))
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    response = _post(shop, pay, {**form, "allow_overpayment": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert services.balance_due(invoice) == D("-7.76") and invoice.status == "paid"


def test_bad_payments_are_refused_in_french(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    pay = f"/ventes/documents/{invoice.id}/reglements"
    for form, message in [
        ({"amount": "-5", "method": "cash"}, "Le montant doit être positif."),
        ({"amount": "abc", "method": "cash"}, "Ce n'est pas un nombre : saisissez par exemple 12,50."),
        ({"amount": "10", "method": "bitcoin"}, "N'est pas un choix valide"),
        ({"amount": "10,001", "method": "cash"}, "2 décimales au plus."),
        ({"amount": "10", "method": "cash", "paid_on": (TODAY - timedelta(days=1)).isoformat()},
         "ne peut pas précéder la date de la facture"),
    ]:
        response = _post(shop, pay, {"paid_on": TODAY.isoformat(), **form})
        assert response.status_code == 422, form
        assert message in page_text(response), form
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_credit_note_cancels_part_of_an_invoice_and_returns_goods(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    credit = _document(_post(shop, f"/ventes/documents/{invoice.id}/suite/credit_note"))
    assert credit.credited_invoice_id == invoice.id and credit.total_ttc == invoice.total_ttc
    # Only 2 chairs come back: same cascade (−10 %, −5 %, −2 %) on 2 × 45,00 = 90,00:
    # 90,00 → 81,00 → 76,95 → escompte 1,539 → 1,54 → 75,41 HT ; TVA 15,08 ; TTC 90,49.
    ids = _source_line_ids(credit)
    response = _set_quantities(shop, credit, {ids["CH-045"]: 2, ids["LI-001"]: 0}, goods_returned="y")
    assert response.status_code == 302
    _validate(shop, credit)
    assert credit.number == f"AV{YEAR}-0001" or credit.number.endswith(f"{YEAR}-0001")
    assert credit.total_ttc == D("90.49")
    assert shop.chair.on_hand == 32  # 30 + 2 returned (an invoice alone moves no stock)
    assert services.balance_due(invoice) == D("401.75")  # 492,24 − 90,49
    printed = page_text(shop.browser.client.get(f"/ventes/documents/{credit.id}/imprimer"))
    assert f"Avoir sur la facture <strong>{invoice.number}</strong>" in printed


def test_credit_notes_never_exceed_what_remains_uncredited(shop):
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    first = _document(_post(shop, f"/ventes/documents/{invoice.id}/suite/credit_note"))
    second = _document(_post(shop, f"/ventes/documents/{invoice.id}/suite/credit_note"))
    _validate(shop, first)
    assert first.number is not None
    # The second draft was prepared while nothing was credited yet: its validation is refused.
    response = _validate(shop, second)
    assert response.status_code == 303
    message = _plain(page_text(shop.browser.client.get(response.headers["Location"])))
    assert "au plus peut être repris" in message or "est déjà entièrement annulée par des avoirs" in message
    assert second.number is None
    # And no third credit note can even be drafted.
    response = _post(shop, f"/ventes/documents/{invoice.id}/suite/credit_note")
    assert response.status_code == 303
    assert "est déjà entièrement annulée par des avoirs" in _plain(
        page_text(shop.browser.client.get(response.headers["Location"])))


def test_validated_documents_cannot_be_edited_or_deleted(shop):
    quote = _document(_new(shop, "devis", _form(shop)))
    _validate(shop, quote)
    edit = f"/ventes/documents/{quote.id}/modifier"
    crafted = _form(shop, [{"description": "Cadeau", "quantity": "1", "unit_price": "0", "vat_rate": "20"}])
    response = shop.browser.post(edit, crafted, form_page=f"/ventes/documents/{quote.id}")
    assert response.status_code == 302
    assert "ne peut plus être modifié" in page_text(shop.browser.client.get(response.headers["Location"]))
    assert _post(shop, f"/ventes/documents/{quote.id}/supprimer").status_code == 303
    db.session.expire_all()
    assert quote.number and len(quote.lines) == 2 and quote.total_ttc == D("492.24")


def test_the_database_refuses_changes_to_validated_documents(shop, app):
    quote = _document(_new(shop, "devis", _form(shop)))
    _validate(shop, quote)
    line_id = quote.lines[0].id
    statements = [
        ("UPDATE sales_line SET quantity = 1 WHERE id = :id", line_id),
        ("DELETE FROM sales_line WHERE id = :id", line_id),
        ("UPDATE sales_document SET total_ttc = 1 WHERE id = :id", quote.id),
        ("DELETE FROM sales_document WHERE id = :id", quote.id),
    ]
    for statement, object_id in statements:
        savepoint = db.session.begin_nested()
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement), {"id": object_id})
        savepoint.rollback()
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    _post(shop, f"/ventes/documents/{invoice.id}/reglements",
          {"amount": "10.00", "method": "cash", "paid_on": TODAY.isoformat()})
    payment_id = db.session.scalar(select(Payment.id))
    for statement in ("UPDATE payment SET amount = 1 WHERE id = :id", "DELETE FROM payment WHERE id = :id"):
        savepoint = db.session.begin_nested()
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement), {"id": payment_id})
        savepoint.rollback()
    # Its status may still move on (sent → accepted).
    db.session.execute(text("UPDATE sales_document SET status = 'refused' WHERE id = :id"), {"id": quote.id})


def test_drafts_can_be_edited_and_deleted_and_consume_no_number(shop):
    first = _document(_new(shop, "factures", _form(shop)))
    assert _post(shop, f"/ventes/documents/{first.id}/supprimer").status_code == 302
    assert db.session.scalar(select(SalesDocument.id).where(SalesDocument.id == first.id)) is None
    second = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, second)
    assert second.number == f"FA{YEAR}-0001"  # the deleted draft took no number


@pytest.mark.parametrize(
    "line, message",
    [
        ({"product_id": "", "description": "X", "quantity": "-2", "unit_price": "10", "vat_rate": "20"}, "quantité"),
        ({"product_id": "", "description": "X", "quantity": "1", "unit_price": "-10", "vat_rate": "20"}, "prix"),
        (
            {"product_id": "", "description": "X", "quantity": "1", "unit_price": "10", "vat_rate": "7"},
            "N'est pas un choix valide",
        ),
        (
            {"product_id": "", "description": "X", "quantity": "1000000000", "unit_price": "10", "vat_rate": "20"},
            "quantité",
        ),
        ({"product_id": "", "description": "", "quantity": "1", "unit_price": "10", "vat_rate": "20"}, "désignation"),
        ({"product_id": "", "description": "X", "quantity": "1", "unit_price": "", "vat_rate": "20"}, "prix unitaire"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_saved(shop, line, message):
    before = db.session.scalar(select(func.count(SalesDocument.id)))
    response = _new(shop, "devis", _form(shop, [line]))
    assert response.status_code == 422
    assert message.lower() in page_text(response).lower()
    assert db.session.scalar(select(func.count(SalesDocument.id))) == before


def test_validating_an_empty_document_is_refused(shop):
    empty = _document(_new(shop, "devis", _form(shop, [])))
    response = _validate(shop, empty)
    assert response.status_code == 303
    assert "Ajoutez au moins une ligne" in page_text(shop.browser.client.get(response.headers["Location"]))
    assert empty.number is None


def test_stored_totals_equal_the_sum_of_the_lines(shop):
    for slug in ("devis", "commandes", "factures"):
        _new(shop, slug, _form(shop))
    for document in db.session.scalars(select(SalesDocument)):
        totals = services.totals_of(document)
        assert document.total_ht == totals.net_financier
        assert document.total_ttc == totals.total_ttc
        assert sum(item.net for item in document.lines) == totals.gross_ht


def test_invoice_pdf_carries_the_legal_mentions(shop):
    from crm.core.pdf import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint indisponible (bibliothèques Pango absentes)")
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    response = shop.browser.client.get(f"/ventes/documents/{invoice.id}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    html = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{invoice.id}/imprimer")))
    for mention in (invoice.number, "Escompte de 2 % pour paiement anticipé", "pénalités",
                    "40 €", "Nature de l'opération", "Livraison de biens", "SIREN 732829320"):
        assert mention in html, mention


def test_a_running_promotion_gives_its_price_to_new_lines(shop):
    from crm.ventes.models import PromotionalPrice

    db.session.add(PromotionalPrice(firm_id=shop.firm.id, product=shop.chair, price=D("39.90"),
                                    starts_on=TODAY - timedelta(days=1), ends_on=TODAY + timedelta(days=6)))
    db.session.commit()
    lines = [{"product_id": str(shop.chair.id), "quantity": "2"}]
    quote = _document(_new(shop, "devis", _form(shop, lines, remise_rate="", rabais_rate="", escompte_rate="")))
    # 2 × 39,90 = 79,80 HT ; TVA 20 % = 15,96 ; TTC 95,76
    assert quote.lines[0].unit_price == D("39.90")
    assert (quote.total_ht, quote.total_ttc) == (D("79.80"), D("95.76"))


def test_the_party_page_lists_its_sales_documents(shop):
    quote = _document(_new(shop, "devis", _form(shop)))
    _validate(shop, quote)
    html = _plain(page_text(shop.browser.client.get(f"/clients/{shop.client.id}")))
    assert f"Devis {quote.number}" in html and "492,24 €" in html
    form = page_text(shop.browser.client.get(f"/ventes/devis/nouveau?client={shop.client.id}"))
    assert f'name="party_id" id="party_id" value="{shop.client.id}"' in form
    assert f'value="{shop.client.name}"' in form  # the search box shows the chosen client


def test_out_of_stock_products_are_flagged_in_the_line_choices(shop):
    move_stock(shop.firm, None, shop.book, -10, "loss", source="casse")
    db.session.commit()
    found = shop.browser.client.get("/ventes/catalogue/choix.json?q=i").get_json()["results"]
    assert {"id": shop.book.id, "label": "LI-001 — Livre de caisse", "hint": "RUPTURE DE STOCK",
            "code": "LI-001"} in found
    assert {"id": shop.chair.id, "label": "CH-045 — Chaise empilable", "hint": "stock 30",
            "code": "CH-045"} in found
    # Without script, the search step lists the same flags.
    html = page_text(shop.browser.post("/ventes/devis/nouveau", {
        "party_id": shop.client.id, "issue_date": TODAY.isoformat(), "lines-0-product_id-q": "livre",
        "picker-search": "lines-0-product_id"}, form_page="/ventes/devis/nouveau"))
    assert f'value="{shop.book.id}" > LI-001 — Livre de caisse <span class="muted">RUPTURE DE STOCK</span>' in html


def test_a_quote_past_its_validity_date_has_expired(shop):
    quote = _document(_new(shop, "devis", _form(shop, issue_date=(TODAY - timedelta(days=40)).isoformat(),
                                               valid_until=(TODAY - timedelta(days=10)).isoformat())))
    _validate(shop, quote)
    assert quote.status == "sent" and quote.status_label == "Expiré"
    assert "Expiré" in page_text(shop.browser.client.get("/ventes/devis/"))
    response = _post(shop, f"/ventes/documents/{quote.id}/accepter")
    assert response.status_code == 303
    assert "Ce devis a expiré" in page_text(shop.browser.client.get(response.headers["Location"]))
    db.session.expire_all()
    assert quote.status == "sent" and not quote.derived


def test_a_bad_line_is_named_by_its_row_and_shown_beside_its_field(shop):
    """Quantity −1 on the only line: « Ligne 1 », next to that line's quantity input (it said « Ligne 2 »)."""
    line = {"product_id": "", "description": "Chaise", "quantity": "-1", "unit_price": "45", "vat_rate": "20"}
    response = _new(shop, "devis", _form(shop, [line]))
    assert response.status_code == 422
    html = page_text(response)
    assert "Ligne 2" not in html
    field_at = html.index('name="lines-0-quantity"')
    cell = html[field_at:html.index("</td>", field_at)]
    assert "Ligne 1 : la quantité doit être supérieure à zéro." in cell
    # Every typed value is kept.
    assert 'value="Chaise"' in html and 'value="45"' in html


def test_a_line_discount_is_shown_as_an_amount(shop):
    lines = [{"description": "Chaise", "quantity": "5", "unit_price": "24,90", "discount_rate": "5",
              "vat_rate": "20"}]
    quote = _document(_new(shop, "devis", _form(shop, lines, remise_rate="", rabais_rate="", escompte_rate="")))
    assert quote.lines[0].net == D("118.27")  # 124,50 − 6,23 (6,225 rounded half-up), not 118,28
    printed = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{quote.id}/imprimer")))
    assert "6,23 €" in printed and "118,27 €" in printed


def test_a_validated_invoice_prints_as_it_was_at_validation(shop):
    """« Déjà réglé » mixed payments and credit notes into a live balance on the invoice itself."""
    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    before = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{invoice.id}/imprimer")))
    _post(shop, f"/ventes/documents/{invoice.id}/reglements",
          {"amount": "100,00", "method": "cheque", "paid_on": TODAY.isoformat()})
    credit = _document(_post(shop, f"/ventes/documents/{invoice.id}/suite/credit_note"))
    ids = _source_line_ids(credit)
    _set_quantities(shop, credit, {ids["CH-045"]: 2, ids["LI-001"]: 0})
    _validate(shop, credit)
    after = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{invoice.id}/imprimer")))
    assert after == before
    assert "Déjà réglé" not in after and "Net à payer" in after and "492,24 €" in after
    # The balance lives on the invoice's page (payments and credit notes apart) and the statement.
    page = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{invoice.id}")))
    assert "Règlements reçus" in page and "− 100,00 €" in page
    assert "Avoirs" in page and "− 90,49 €" in page
    assert "301,75 €" in page  # 492,24 − 100,00 − 90,49


def test_the_late_payment_mention_comes_from_one_setting(shop):
    from crm.core.firm_settings import update_firm_settings

    invoice = _document(_new(shop, "factures", _form(shop)))
    _validate(shop, invoice)
    printed = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{invoice.id}/imprimer")))
    assert "au taux annuel de 10 %" in printed
    update_firm_settings(shop.firm, late_payment_rate="12,5")
    db.session.commit()
    printed = _plain(page_text(shop.browser.client.get(f"/ventes/documents/{invoice.id}/imprimer")))
    assert "au taux annuel de 12,5 %" in printed and "taux annuel de 10 %" not in printed
    # The demo firm's terms of sale no longer restate a rate of their own.
    from crm.formation.scenarios.library import LIBRARY

    demo = (LIBRARY / "comptoir-demo.yaml").read_text(encoding="utf-8")
    terms = demo.split("terms_of_sale: |", 1)[1].split("settings:", 1)[0]
    assert "pénalités de retard" in terms and "taux" not in terms
