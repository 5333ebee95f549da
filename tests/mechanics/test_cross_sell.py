"""Cross-sell and up-sell: more items per check, add-on revenue at its own margin.

Homogeneous shop (fixed check, single orders, no churn) with every stage recommended,
so every order draws Poisson(extra_items) cross-sold items: the mean items per check
is checked within 4 standard errors of the Poisson mean; money follows exactly from
the counts (add-ons at their list price and their own margin).
"""

import numpy as np
import pytest

from helpers import run, scenario
from models.stages import STAGES

CHECK, MARGIN = 100.0, 0.3


def shop(items_per_order=1.0, **cross_sell):
    mechanics = {"cross_sell": {"enabled": True, "stages": list(STAGES), **cross_sell}} \
        if cross_sell else {}
    return scenario(horizon_days=90, base={"customers": 4000, "history": {"potential": 1.0}},
                    behaviour={"purchase_rate": 0.03, "spend": CHECK,
                               "orders_per_day": "single", "items_per_order": items_per_order},
                    economics={"gross_margin": MARGIN}, mechanics=mechanics)


def test_cross_sold_items_and_their_money():
    m, price, item_margin = 0.6, 15.0, 0.5
    _, r, s = run(shop(extra_items=m, item_price=price, item_margin=item_margin), 2)
    orders, items = r["new_purchases"].sum(), r["new_items"].sum()
    extra = items - orders
    assert abs(extra - m * orders) < 4 * np.sqrt(m * orders)     # Poisson SE of the sum
    assert r["new_addon_revenue"].sum() == pytest.approx(price * extra)
    assert r["new_revenue"].sum() == pytest.approx(CHECK * orders + price * extra)
    assert r["new_gross_margin"].sum() == pytest.approx(
        MARGIN * CHECK * orders + item_margin * price * extra)
    assert s["items_per_check"] == pytest.approx(items / orders)


def test_up_sell_adds_a_share_of_the_check_at_its_margin():
    _, r, s = run(shop(extra_items=0.0, upsell_share=0.1, upsell_margin=0.5), 2)
    orders = r["new_purchases"].sum()
    assert r["new_items"].sum() == orders                      # no extra items
    assert r["new_revenue"].sum() == pytest.approx(1.1 * CHECK * orders)
    assert r["new_gross_margin"].sum() == pytest.approx((MARGIN + 0.1 * 0.5) * CHECK * orders)
    assert s["addon_revenue_share"] == pytest.approx(0.1 / 1.1)


def test_core_basket_items_only_count():
    """items_per_order sets the items-per-check KPI (the core basket counts its mean) and
    nothing else; cross-sold items come on top."""
    _, base, _ = run(shop(), 5)
    _, r, s = run(shop(items_per_order=2.5), 5)
    for name in ("new_purchases", "new_revenue", "new_gross_margin", "n_alive"):
        assert np.array_equal(r[name], base[name]), name
    assert s["items_per_check"] == pytest.approx(2.5)
    _, x, _ = run(shop(items_per_order=2.5, extra_items=0.5, item_price=10.0), 5)
    orders = x["new_purchases"].sum()
    assert x["new_items"].sum() - 2.5 * orders == pytest.approx(
        x["new_addon_revenue"].sum() / 10.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cross_sell_at_a_positive_margin_raises_margin_and_the_mix(seed):
    _, _, b = run(shop(), seed)
    _, _, s = run(shop(extra_items=0.3, item_price=20.0, item_margin=0.45,
                       cost_per_year=100.0), seed)
    assert s["gross_margin"] > b["gross_margin"]
    assert s["items_per_check"] > b["items_per_check"] == 1.0
    assert s["gross_margin"] / s["revenue"] > b["gross_margin"] / b["revenue"]   # richer mix
