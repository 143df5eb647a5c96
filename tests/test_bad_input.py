"""No input gives a 500 (issue 8): each case found by hand answers a French message, and saves nothing.

Ids that cannot exist answer 404; a form field answers 422 with its message. The same
cases, and every other form and query parameter, are fuzzed by tests/test_form_fuzz.py.
"""
from __future__ import annotations

import io
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from crm.clients import services as party_services
from crm.clients.models import Party, SavedFilter
from crm.core.models import Classroom, Firm, User
from crm.extensions import db
from crm.stocks.models import PurchaseOrder, StockCount, StockMove
from crm.stocks.services import move_stock
from crm.ventes.caisse.models import DailyClosing
from crm.ventes.documents.models import SalesDocument
from crm.ventes.models import Product
from tests.conftest import Auth, csrf_token, page_text
from tests.factories import firm_today

HUGE = "99999999999999999999"  # beyond SQLite's 2^63
PG_HUGE = str(2**31)  # beyond PostgreSQL's integer


def _count(model, *where) -> int:
    """Rows of the model in the test's firms (real-commit tests elsewhere leave other firms' rows)."""
    db.session.expire_all()
    test_firms = select(Firm.id).join(Classroom).where(Classroom.name.in_(("Classe A", "Classe B")))
    if hasattr(model, "firm_id"):
        where = (model.firm_id.in_(test_firms), *where)
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def shop(app, world):
    """Firm A with a client, a supplier and a stocked product; eleve_a logged in."""
    class Shop:
        pass

    s = Shop()
    s.firm = world.firm_a
    s.client = party_services.create_party(world.firm_a, None, {
        "kind": "client", "category": "business", "company_name": "Lycée Jean Moulin"}, journal=False)
    s.supplier = party_services.create_party(world.firm_a, None, {
        "kind": "supplier", "category": "business", "company_name": "Fournitures Dupont"}, journal=False)
    s.pen = Product(firm_id=s.firm.id, reference="STYLO", label="Stylo plume",
                    purchase_price=D("4"), sale_price=D("10.00"), vat_rate=D("20"))
    db.session.add(s.pen)
    db.session.flush()
    move_stock(s.firm, None, s.pen, 10, "reception", unit_cost=D("4"), source="stock initial")
    db.session.commit()
    s.browser = Auth(app.test_client())
    s.browser.login("eleve_a")
    return s


# --- rates: "%" in a validator's message -------------------------------------------------

def _quote(shop, **fields):
    data = {"party_id": shop.client.id, "issue_date": firm_today().isoformat(), "remise_rate": "",
            "rabais_rate": "", "ristourne_rate": "", "escompte_rate": "", "notes": "",
            "lines-0-product_id": str(shop.pen.id), "lines-0-description": "", "lines-0-quantity": "1",
            "lines-0-unit_price": "", "lines-0-discount_rate": "", "lines-0-vat_rate": "",
            "lines-0-source_line_id": ""}
    data.update(fields)
    return shop.browser.post("/ventes/devis/nouveau", data, form_page="/ventes/devis/nouveau")


@pytest.mark.parametrize("field", ["remise_rate", "rabais_rate", "ristourne_rate", "escompte_rate",
                                   "lines-0-discount_rate"])
@pytest.mark.parametrize("rate", ["-1", "150"])
def test_a_rate_out_of_0_100_is_a_form_error(shop, field, rate):
    response = _quote(shop, **{field: rate})
    assert response.status_code == 422
    assert "Un taux entre 0 et 100 %." in page_text(response)
    assert _count(SalesDocument) == 0


def test_every_formatted_validator_message_formats(app):
    """NumberRange and Length format their message with %: a literal % must be written %%."""
    from wtforms import Form as WTForm
    from wtforms.fields.core import UnboundField
    from wtforms.validators import Length, NumberRange

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    checked = 0
    for form_class in subclasses(WTForm):  # every form: the app imported every package's views
        for unbound in vars(form_class).values():
            if not isinstance(unbound, UnboundField):
                continue
            validators = unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else ())
            for validator in validators or ():
                if isinstance(validator, (NumberRange, Length)) and validator.message:
                    validator.message % {"min": 1, "max": 2}  # raises on a lone %
                    checked += 1
    assert checked >= 3


def test_a_document_total_beyond_the_amount_columns_is_refused(shop):
    """A million articles at a million euros: each bound holds, the total would overflow Numeric(12, 2)."""
    response = _quote(shop, **{"lines-0-quantity": "1000000", "lines-0-unit_price": "1000000"})
    assert response.status_code == 422
    assert "Le total dépasse 10 milliards d'euros" in page_text(response)
    assert _count(SalesDocument) == 0


# --- ids and integers beyond the database's range -----------------------------------------

@pytest.mark.parametrize("path", [f"/clients/{HUGE}", f"/clients/{PG_HUGE}", f"/ventes/documents/{HUGE}",
                                  f"/stocks/articles/{2**63}/seuils", f"/accueil/nouvelle?tiers={HUGE}"])
def test_an_id_beyond_the_database_range_is_a_404(shop, path):
    assert shop.browser.client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"/clients/?page={HUGE}", f"/ventes/catalogue?famille={HUGE}",
                                  f"/ventes/catalogue?page={PG_HUGE}", f"/stocks/mouvements?page={HUGE}",
                                  f"/stocks/commandes/nouvelle?supplier_id={HUGE}",
                                  f"/stocks/mouvements/nouveau?product_id={HUGE}&quantity={HUGE}"])
def test_a_query_integer_beyond_the_range_is_ignored(shop, path):
    assert shop.browser.client.get(path).status_code == 200


@pytest.mark.parametrize("value", [HUGE, PG_HUGE])
def test_posted_ids_beyond_the_range_are_refused(shop, value):
    response = shop.browser.post("/stocks/commandes/nouvelle", {"supplier_id": value, "order_date": "2026-01-05",
                                                                "notes": ""}, form_page="/stocks/commandes/nouvelle")
    assert response.status_code in (404, 422)
    response = _quote(shop, **{"lines-0-product_id": value})
    assert response.status_code in (404, 422)
    response = shop.browser.post("/accueil/nouvelle", {"party_id": value, "channel": "face", "nature": "other",
                                                       "request_text": "?", "visitor_name": "X"},
                                 form_page="/accueil/nouvelle")
    assert response.status_code in (404, 422)
    assert _count(PurchaseOrder) == 0 and _count(SalesDocument) == 0


@pytest.mark.parametrize("value", [HUGE, PG_HUGE])
def test_quantities_and_thresholds_beyond_the_range_are_form_errors(shop, value):
    page = "/stocks/mouvements/nouveau"
    response = shop.browser.post(page, {"product_id": shop.pen.id, "kind": "reception", "quantity": value,
                                        "unit_cost": "", "source": "", "note": ""}, form_page=page)
    assert response.status_code == 422
    assert "trop grand" in page_text(response)
    page = f"/stocks/articles/{shop.pen.id}/seuils"
    base = {"minimum": "1", "safety": "1", "maximum": "10", "alert_mode": "typed", "alert": "2", "period_days": "",
            "lead_time_days": "", "supplier_id": ""}
    for field in ("maximum", "lead_time_days", "period_days", "supplier_id"):
        response = shop.browser.post(page, {**base, field: value}, form_page=page)
        assert response.status_code in (404, 422), field
    response = shop.browser.post(page, {**base, "alert_mode": "computed", "period_days": "3000000",
                                        "lead_time_days": "1", "preview": "1"}, form_page=page)
    assert response.status_code == 422 and "3 650 jours" in page_text(response)
    assert _count(StockMove) == 1  # the initial stock only


def test_a_counted_quantity_beyond_the_range_is_refused(shop):
    page = "/stocks/inventaires"
    response = shop.browser.post(page, {"label": "Inventaire", "counted_on": firm_today().isoformat(),
                                        "family_id": "0"}, form_page=page)
    assert response.status_code == 302
    count = db.session.scalars(select(StockCount)).one()
    line = count.lines[0]
    page = f"/stocks/inventaires/{count.id}"
    response = shop.browser.post(page, {f"counted-{line.id}": HUGE}, form_page=page)
    assert response.status_code == 422
    assert "trop grand" in page_text(response)


# --- NUL bytes ----------------------------------------------------------------------------

def test_a_nul_byte_in_a_login_is_refused(app, world):
    client = app.test_client()
    response = client.post("/connexion", data={"username": "eleve\x00_a", "password": "x",
                                               "csrf_token": csrf_token(client, "/connexion")})
    assert response.status_code == 422
    assert "octet nul" in page_text(response)


def test_a_nul_byte_in_a_party_name_saves_nothing(shop):
    page = "/clients/nouveau"
    response = shop.browser.post(page, {"kind": "prospect", "category": "private", "last_name": "Du\x00pont"},
                                 form_page=page)
    assert response.status_code == 422
    assert "octet nul" in page_text(response)
    assert _count(Party, Party.last_name.like("Du%")) == 0


@pytest.mark.parametrize("path", ["/clients/?q=Lyc%00%C3%A9e", "/ventes/catalogue?q=STY%00LO",
                                  "/clients/choix.json?q=Lyc%00%C3%A9e", "/prospection/agenda?date=2026%00-01-05"])
def test_a_nul_byte_in_the_query_is_removed(shop, path):
    response = shop.browser.client.get(path)
    assert response.status_code == 200
    text = str(response.get_json()) if response.is_json else page_text(response)
    assert "Lycée Jean Moulin" in text or "Stylo plume" in text or "agenda" in path


def test_a_nul_byte_in_a_url_path_is_a_400(app):
    client = app.test_client()
    response = client.get("/avis/a%00b")
    assert response.status_code == 400
    assert "octet nul" in page_text(response)


# --- CSV imports ----------------------------------------------------------------------------

def _upload_parties(browser, content: bytes):
    return browser.post("/clients/import", {"file": (io.BytesIO(content), "tiers.csv")}, form_page="/clients/import",
                        content_type="multipart/form-data")


def test_a_party_import_with_cr_only_line_ends_is_read(shop):
    content = "type;nom;ville\rclient;Martin;Lyon\rprospect;Durand;Paris\r".encode("cp1252")
    response = _upload_parties(shop.browser, content)
    assert response.status_code == 200
    text = page_text(response)
    assert "2 fiches prêtes à importer" in text and "Durand" in text


def test_a_party_import_with_a_huge_cell_is_refused(shop):
    content = ("type;nom;notes\nclient;Martin;" + "x" * 140_000 + "\n").encode()
    before = _count(Party)
    response = _upload_parties(shop.browser, content)
    assert response.status_code == 422
    assert "131 072 caractères" in page_text(response)
    assert _count(Party) == before


def _import_class(browser, world, text):
    page = f"/admin/classes/{world.classroom_a.id}/eleves/import"
    return browser.post(page, {"text": text}, form_page=page, content_type="multipart/form-data")


def test_a_class_list_with_cr_only_line_ends_is_read(app, world):
    browser = Auth(app.test_client())
    browser.login("prof_a")
    before = _count(User)
    response = _import_class(browser, world, "nom;prénom\rMartin;Léa\rDurand;Paul\r")
    assert response.status_code == 200
    assert _count(User) == before + 2


def test_a_class_list_with_a_huge_cell_is_refused(app, world):
    browser = Auth(app.test_client())
    browser.login("prof_a")
    before = _count(User)
    response = _import_class(browser, world, "nom;prénom\nMartin;" + "x" * 140_000 + "\n")
    assert response.status_code == 422
    assert "131 072 caractères" in page_text(response)
    assert _count(User) == before


# --- pagination links, the till, dates, saved filters -------------------------------------------

@pytest.mark.parametrize("query", ["endpoint=x", "_method=POST", "_external=1", "_anchor=x"])
def test_a_paginated_list_ignores_url_for_keywords_in_its_query(shop, query):
    for n in range(30):
        db.session.add(Product(firm_id=shop.firm.id, reference=f"P{n:03d}", label=f"Article {n}",
                               purchase_price=D("1"), sale_price=D("2"), vat_rate=D("20")))
    db.session.commit()
    response = shop.browser.client.get(f"/ventes/catalogue?{query}")
    assert response.status_code == 200
    assert "Suivante" in page_text(response)


def test_the_till_refuses_an_astronomic_cash_amount(shop):
    form = {"reference": "", "quantity": "1", "party_id": "", "cash": "1e308", "cheque": "", "card": "",
            "transfer": "", "action": "change", "line_product": [str(shop.pen.id)], "line_quantity": ["1"]}
    response = shop.browser.post("/ventes/caisse/", form, form_page="/ventes/caisse/")
    assert response.status_code == 422
    assert "trop grand" in page_text(response)


def test_closing_the_till_of_year_one_is_refused(shop):
    response = shop.browser.post("/ventes/caisse/cloture/0001-01-01", {}, form_page="/ventes/caisse/tickets")
    assert response.status_code < 500
    assert "entre le 01/01/2000 et le 31/12/2099" in page_text(shop.browser.client.get("/ventes/caisse/tickets"))
    assert _count(DailyClosing) == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2100-01-01"])
def test_a_quote_dated_out_of_the_century_is_refused(shop, day):
    response = _quote(shop, issue_date=day)
    assert response.status_code == 422
    assert "entre le 01/01/2000 et le 31/12/2099" in page_text(response)
    assert _count(SalesDocument) == 0


def test_the_desk_report_refuses_a_period_out_of_the_century(shop):
    response = shop.browser.client.get("/accueil/remontee?end=9999-12-31")
    assert response.status_code == 422
    assert "entre le 01/01/2000 et le 31/12/2099" in page_text(response)


def test_a_saved_filter_of_a_megabyte_is_refused(shop):
    response = shop.browser.post("/clients/filtres", {"name": "Énorme", "q": "x" * 1_000_000}, form_page="/clients/")
    assert response.status_code == 303
    assert len(response.headers["Location"]) < 2000
    assert _count(SavedFilter) == 0
    assert "200 caractères" in page_text(shop.browser.client.get("/clients/"))


# --- exchange between firms and the firm's legal identity (issue 15) ------------------------------

@pytest.mark.parametrize("value", [HUGE, PG_HUGE])
def test_exchange_ids_beyond_the_range_are_404_or_form_errors(shop, world, value):
    from tests import factories

    neighbour = factories.make_firm(world.classroom_a, trade_name="Voisine", siren="552100554")
    db.session.commit()
    client = shop.browser.client
    assert client.get(f"/echanges/annuaire/{value}/lier-fiche").status_code == 404
    assert shop.browser.post(f"/echanges/transmissions/{value}", {}, form_page="/echanges/").status_code == 404
    page = f"/echanges/annuaire/{neighbour.id}/lier-fiche"
    for party_id in (value, "-1", "1\x00", "x" * 5000):
        response = shop.browser.post(page, {"party_id": party_id}, form_page=page)
        assert response.status_code == 422, party_id
    assert _count(Party, Party.linked_firm_id.is_not(None)) == 0


def test_the_identity_form_refuses_hostile_values_in_french(shop, world):
    from crm.core.models import Firm, Membership

    db.session.get(Membership, world.membership_a.id).position = "responsable"
    db.session.commit()
    good = {"legal_form": "SARL", "siren": "732829320", "siret": "", "vat_number": "", "rcs_city": "Lyon",
            "share_capital": "8000"}
    cases = [("share_capital", HUGE, "pas valide"), ("share_capital", "1e400", ""),
             ("share_capital", "8000,123", ""), ("rcs_city", "Ly\x00on", ""), ("siren", "7328\x0029320", ""),
             ("siren", "x" * 5000, "SIREN"), ("vat_number", "FR" + "9" * 300, "TVA"),
             ("legal_form", "\x00", "")]
    for name, value, message in cases:
        response = shop.browser.post("/entreprise/identite", {**good, name: value}, form_page="/entreprise/identite")
        assert response.status_code == 422, (name, value)
        assert message in page_text(response), (name, value)
    db.session.expire_all()
    assert db.session.get(Firm, shop.firm.id).rcs_city == ""
