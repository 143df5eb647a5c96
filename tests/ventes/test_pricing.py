"""Pricing calculator (S122): hand-checked textbook cases, every pair, refusals, the page."""
from decimal import Decimal as D

import pytest

from crm.core.errors import DomainError
from crm.ventes.pricing import compute_pricing
from tests.conftest import page_text


def test_purchase_price_and_margin_rate():
    # PA HT 100 ; taux de marge 25 % → PV HT = 100 × 1,25 = 125,00 ; TTC = 125 × 1,20 = 150,00 ;
    # marge 25 ; taux de marque = 25 / 125 = 20 % ; coefficient = 150 / 100 = 1,5.
    r = compute_pricing(D("20"), purchase_price=D("100"), margin_rate=D("25"))
    assert r.sale_price == D("125.00")
    assert r.sale_price_ttc == D("150.00")
    assert r.margin == D("25.00")
    assert r.markup_rate == D("20.00")
    assert r.coefficient == D("1.5000")
    formulas = [s.formula for s in r.steps]
    assert "PV HT = PA HT × (1 + taux de marge)" in formulas
    assert any(s.detail == "100,00 × (1 + 25,00 %) = 125,00 €" for s in r.steps)


def test_sale_price_and_markup_rate():
    # PV HT 80 ; taux de marque 40 % → PA HT = 80 × 0,60 = 48,00 ; marge 32 ;
    # taux de marge = 32 / 48 = 66,666… → 66,67 % ; TTC (20 %) = 96,00 ; coef = 96 / 48 = 2.
    r = compute_pricing(D("20"), sale_price=D("80"), markup_rate=D("40"))
    assert (r.purchase_price, r.margin, r.margin_rate) == (D("48.00"), D("32.00"), D("66.67"))
    assert (r.sale_price_ttc, r.coefficient) == (D("96.00"), D("2.0000"))


def test_purchase_price_and_coefficient_at_reduced_rate():
    # PA HT 12 ; coef 1,85 ; TVA 5,5 % → TTC = 12 × 1,85 = 22,20 ; PV HT = 22,20 / 1,055 = 21,0426… → 21,04 ;
    # marge = 21,0426 − 12 = 9,0426 → 9,04 ; taux de marque = 9,0426 / 21,0426 = 42,97 % ;
    # taux de marge = 9,0426 / 12 = 75,36 %.
    r = compute_pricing(D("5.5"), purchase_price=D("12"), coefficient=D("1.85"))
    assert (r.sale_price_ttc, r.sale_price, r.margin) == (D("22.20"), D("21.04"), D("9.04"))
    assert (r.markup_rate, r.margin_rate) == (D("42.97"), D("75.36"))


def test_ttc_and_purchase_price_round_half_up():
    # PV TTC 59,90 ; PA HT 30 ; TVA 20 % → PV HT = 49,9166… → 49,92 ; coef = 59,90 / 30 = 1,99666… → 1,9967 ;
    # taux de marque = 19,9166 / 49,9166 = 39,899… → 39,90 % ; taux de marge = 19,9166 / 30 = 66,388… → 66,39 %.
    r = compute_pricing(D("20"), purchase_price=D("30"), sale_price_ttc=D("59.90"))
    assert (r.sale_price, r.coefficient, r.markup_rate, r.margin_rate) == (
        D("49.92"), D("1.9967"), D("39.90"), D("66.39"))


def test_half_cent_rounds_up():
    # PA HT 0,10 ; taux de marge 25 % → PV HT = 0,125 exactly → 0,13 (half-up, not banker's 0,12).
    assert compute_pricing(D("0"), purchase_price=D("0.10"), margin_rate=D("25")).sale_price == D("0.13")


def test_ttc_and_margin_rate_back_to_purchase_price():
    # TTC 132 ; TVA 10 % → PV HT 120 ; taux de marge 50 % → PA = 120 / 1,5 = 80 ; taux de marque 33,33 %.
    r = compute_pricing(D("10"), sale_price_ttc=D("132"), margin_rate=D("50"))
    assert (r.sale_price, r.purchase_price, r.markup_rate, r.coefficient) == (
        D("120.00"), D("80.00"), D("33.33"), D("1.6500"))


@pytest.mark.parametrize("pair", [
    ("purchase_price", "sale_price"), ("purchase_price", "sale_price_ttc"),
    ("purchase_price", "coefficient"), ("purchase_price", "markup_rate"), ("purchase_price", "margin_rate"),
    ("sale_price", "coefficient"), ("sale_price", "markup_rate"), ("sale_price", "margin_rate"),
    ("sale_price_ttc", "coefficient"), ("sale_price_ttc", "markup_rate"), ("sale_price_ttc", "margin_rate"),
])
def test_every_useful_pair_gives_the_same_product(pair):
    # The reference product: PA 40, PV HT 50, TTC 60 (20 %), coef 1,5, marque 20 %, marge 25 %.
    reference = {"purchase_price": D("40"), "sale_price": D("50"), "sale_price_ttc": D("60"),
                 "coefficient": D("1.5"), "markup_rate": D("20"), "margin_rate": D("25")}
    r = compute_pricing(D("20"), **{k: reference[k] for k in pair})
    for key, value in reference.items():
        assert r.values[key] == value, key


@pytest.mark.parametrize("figures, message", [
    ({"purchase_price": D("10")}, "exactement deux"),
    ({"purchase_price": D("10"), "sale_price": D("12"), "margin_rate": D("5")}, "exactement deux"),
    ({"markup_rate": D("20"), "margin_rate": D("25")}, "au moins un prix"),
    ({"coefficient": D("2"), "margin_rate": D("25")}, "au moins un prix"),
    ({"sale_price": D("10"), "sale_price_ttc": D("12")}, "même chose"),
    ({"purchase_price": D("-1"), "margin_rate": D("25")}, "négatif"),
    ({"purchase_price": D("10"), "markup_rate": D("100")}, "entre 0 et 100"),
    ({"purchase_price": D("10"), "coefficient": D("0")}, "supérieur à zéro"),
])
def test_refusals(figures, message):
    with pytest.raises(DomainError) as error:
        compute_pricing(D("20"), **figures)
    assert message in error.value.message


def test_calculator_page_shows_figures_and_formulas(client, auth, world):
    auth.login("eleve_a")
    response = client.get("/ventes/calculateur?vat_rate=20&purchase_price=100&margin_rate=25")
    text = page_text(response)
    assert response.status_code == 200
    assert "150,00\xa0€" in text and "PV HT = PA HT × (1 + taux de marge)" in text
    assert "Taux de marque = marge ÷ PV HT × 100" in text


def test_calculator_page_bad_input(client, auth, world):
    auth.login("eleve_a")
    response = client.get("/ventes/calculateur?vat_rate=20&purchase_price=abc&margin_rate=25")
    assert response.status_code == 422
    assert "Ce n'est pas un nombre" in page_text(response)
    response = client.get("/ventes/calculateur?vat_rate=20&purchase_price=10")
    assert response.status_code == 422
    assert "exactement deux" in page_text(response)
    response = client.get("/ventes/calculateur?vat_rate=19&purchase_price=10&margin_rate=5")
    assert response.status_code == 422
