"""Each indicator against the figures worked out by hand in conftest.py."""
from decimal import Decimal as D

from crm.indicateurs import services
from crm.indicateurs.periods import period_of
from tests.indicateurs.conftest import TODAY


def _board(shop, kind="month"):
    return services.dashboard(shop.firm, period_of(kind, TODAY), TODAY)


def test_revenue_count_basket(shop):
    board = _board(shop)
    ht, ttc, count, basket = board.revenue
    assert ht.value == D("449.90") and ht.previous == D("285.00")
    assert [t.value for t in ht.terms] == [D("230.40"), D("40.50"), D("260.00")]
    assert ttc.value == D("532.63") and ttc.previous == D("342.00")
    assert count.value == 3 and count.previous == 2
    assert basket.value == D("177.54") and basket.previous == D("171.00")
