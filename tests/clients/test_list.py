"""The party list: keyword search, filters, sort, pagination, saved filters."""
import json
import re
from datetime import datetime

from sqlalchemy import select

from crm.clients import services
from crm.clients.models import Party, SavedFilter
from crm.extensions import db
from tests.conftest import page_text


def _names(response):
    """Party names in the list, in order."""
    return re.findall(r'<td><a href="/clients/\d+">([^<]+)</a>', page_text(response))


def _seed(world, make_party):
    a = world.firm_a
    lea = make_party(a, first_name="Léa", last_name="Martin", email="lea@exemple.fr", city="Paris",
                     postcode="75011", phone="01 23 45 67 89", segment="Senior", tags="vip, salon")
    make_party(a, kind="client", category="business", company_name="Éclat Coiffure", last_name="",
               city="Lyon", postcode="69001", segment="Artisan", tags="salon")
    make_party(a, kind="supplier", category="business", company_name="Grossiste Dupont", last_name="",
               city="Lille", postcode="59000")
    hugo = make_party(a, first_name="Hugo", last_name="Nguyen", city="Paris", postcode="75002",
                      stage="interesse")
    services.add_contact(hugo, None, {"name": "Zoé Fabre", "email": "zoe@atelier.fr", "phone": "06 11 22 33 44"})
    make_party(world.firm_b, first_name="Léa", last_name="Martin", city="Paris")  # never listed in A
    lea.created_at = datetime(2026, 1, 10, 9, 0)
    hugo.created_at = datetime(2026, 3, 5, 9, 0)
    for party in db.session.scalars(select(Party).where(Party.created_at > datetime(2026, 6, 1))):
        party.created_at = datetime(2026, 6, 15, 9, 0)
    db.session.commit()


def test_keyword_search_on_name_contact_email_phone_city(auth, world, make_party):
    _seed(world, make_party)
    auth.login("eleve_a")
    get = lambda q: _names(auth.client.get("/clients/", query_string={"q": q}))  # noqa: E731
    assert get("") == ["Éclat Coiffure", "Grossiste Dupont", "MARTIN Léa", "NGUYEN Hugo"]
    assert get("lea") == ["MARTIN Léa"]          # accents ignored
    assert get("ECLAT") == ["Éclat Coiffure"]
    assert get("zoé") == ["NGUYEN Hugo"]          # an interlocuteur's name
    assert get("atelier.fr") == ["NGUYEN Hugo"]   # an interlocuteur's email
    assert get("01.23.45") == ["MARTIN Léa"]      # a phone typed any way
    assert get("06 11 22") == ["NGUYEN Hugo"]
    assert get("paris") == ["MARTIN Léa", "NGUYEN Hugo"]
    assert get("paris hugo") == ["NGUYEN Hugo"]   # every word must match
    assert get("100%") == []
    empty = auth.client.get("/clients/", query_string={"q": "introuvable"})
    assert "Aucune fiche ne correspond à cette recherche." in page_text(empty)


def test_filters_and_sort(auth, world, make_party):
    _seed(world, make_party)
    auth.login("eleve_a")
    get = lambda **args: _names(auth.client.get("/clients/", query_string=args))  # noqa: E731
    assert get(kind="prospect") == ["MARTIN Léa", "NGUYEN Hugo"]
    assert get(category="business") == ["Éclat Coiffure", "Grossiste Dupont"]
    assert get(segment="Artisan") == ["Éclat Coiffure"]
    make_party(world.firm_b, last_name="Autre", segment="Collectivité")
    db.session.commit()
    offered = re.findall(r'<option value="([^"]*)"', page_text(auth.client.get("/clients/")).split('name="segment"')[1]
                         .split("</select>")[0])
    assert offered == ["Artisan", "Senior"]  # the segments in use (another firm's never), in order
    assert get(tag="salon") == ["Éclat Coiffure", "MARTIN Léa"]
    assert get(tag="sal") == []  # a tag matches whole
    assert get(stage="interesse") == ["NGUYEN Hugo"]
    assert get(created_from="2026-01-01", created_to="2026-02-28") == ["MARTIN Léa"]
    assert get(created_from="2026-03-05") == ["Éclat Coiffure", "Grossiste Dupont", "NGUYEN Hugo"]
    assert get(sort="-nom") == ["NGUYEN Hugo", "MARTIN Léa", "Grossiste Dupont", "Éclat Coiffure"]
    assert get(sort="ancien")[:2] == ["MARTIN Léa", "NGUYEN Hugo"]
    refused = auth.client.get("/clients/", query_string={"created_from": "2026-03-01", "created_to": "2026-01-01"})
    assert refused.status_code == 422
    assert "La date de fin précède la date de début." in page_text(refused)


def test_pagination(auth, world, make_party):
    for n in range(55):
        make_party(world.firm_a, last_name=f"Nom{n:02d}", first_name="")
    db.session.commit()
    auth.login("eleve_a")
    first = auth.client.get("/clients/")
    assert len(_names(first)) == 25 and "55 résultats" in page_text(first)  # 25 rows a page, as every list
    last = auth.client.get("/clients/?page=3")
    assert _names(last) == ["NOM50", "NOM51", "NOM52", "NOM53", "NOM54"]
    # A search: its page and its number of matches (one pass on SQLite, a trigram index on PostgreSQL).
    searched = auth.client.get("/clients/?q=nom&page=3")
    assert _names(searched) == _names(last) and "55 résultats" in page_text(searched)
    beyond = auth.client.get("/clients/?q=nom&page=4")
    assert _names(beyond) == [] and beyond.status_code == 200


def test_saved_filter_is_per_firm_and_reapplies(auth, world, make_party):
    _seed(world, make_party)
    auth.login("eleve_a")
    page = "/clients/?kind=prospect&q=paris"
    response = auth.post("/clients/filtres", {"name": "Prospects parisiens", "kind": "prospect", "q": "paris"},
                         form_page=page)
    assert response.status_code == 302
    saved = db.session.scalar(select(SavedFilter).where(SavedFilter.firm_id == world.firm_a.id))
    assert json.loads(saved.criteria) == {"kind": "prospect", "q": "paris"}
    assert _names(auth.client.get(f"/clients/filtres/{saved.id}", follow_redirects=True)) == [
        "MARTIN Léa",
        "NGUYEN Hugo",
    ]
    assert "Prospects parisiens" in page_text(auth.client.get("/clients/"))
    again = auth.post("/clients/filtres", {"name": "prospects PARISIENS", "kind": "client"}, form_page=page,
                      follow_redirects=True)
    assert "Un filtre « prospects PARISIENS » existe déjà" in page_text(again)
    assert auth.post(f"/clients/filtres/{saved.id}/supprimer", {}, form_page="/clients/").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(SavedFilter.id)) is None
