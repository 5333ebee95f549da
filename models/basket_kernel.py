"""What one order holds: the core check, and the up-sold and cross-sold add-ons.

The funnel's day kernel books each order through these (inlined): the check is drawn
per order from the customer's spend rate, cross-sold items are drawn (they are money),
the core basket's item count only feeds a KPI and costs no draw.
"""

from numba import njit

from models.layouts import (
    P_ITEMS_EXTRA, P_SPEND_CONST, P_SPEND_KIND, P_SPEND_MULT, P_SPEND_P, P_XSELL_PRICE,
)
from models.stages import SPEND, UPSELL, XSELL
from sim.streams import gamma_shape, gamma_unit, nth, poisson


@njit(cache=True, inline="always")
def spend_form(par):
    """The shape of the check's Gamma draw (`sim.streams.gamma_shape` of p), worked out
    once for a kernel's many orders; a fixed check draws nothing (p = 1 stands in)."""
    return gamma_shape(par[P_SPEND_P] if par[P_SPEND_KIND] != 0 else 1.0)


@njit(cache=True, inline="always")
def order_spend(h, nu_i, s, stage_tab, par, form):
    """The core check of one order: a fixed amount or a Gamma draw at the customer's
    spend rate (shape p: `form`, `spend_form`), times the stage's and the lever's
    multipliers."""
    if par[P_SPEND_KIND] == 0:
        x = par[P_SPEND_CONST]
    else:
        x = gamma_unit(h, form) / nu_i
    return x * stage_tab[s, SPEND] * par[P_SPEND_MULT]


@njit(cache=True, inline="always")
def order_addons(h_items, j, x, s, stage_tab, par):
    """(items, up-sold value, cross-sold value) of order j with core check x. The core
    basket counts its mean items (the check is drawn per order, its item count only
    feeds a KPI: no draw is spent on it); cross-sold items are drawn, they are money."""
    items = 1.0 + par[P_ITEMS_EXTRA]
    up = x * stage_tab[s, UPSELL]
    xs = 0.0
    if stage_tab[s, XSELL] > 0:
        k = poisson(nth(h_items, j), stage_tab[s, XSELL])
        items += k
        xs = k * par[P_XSELL_PRICE]
    return items, up, xs
