"""Today's odds of one customer, as the funnel's kernels compute them (all inlined).

The premature-churn hazard, the purchase intensity and probability by demand type,
the share of that probability that is the customer's own (for the dropout after a
purchase), and what a promo or a personal offer adds: the day kernel, the cached
bounds and the arrival kernel all read them from here, so they cannot disagree.
"""

import numpy as np
from numba import njit

from models.layouts import (
    D_A, D_B, P_CART_INTENT, P_CHURN_MULT, P_OFFER_RESPONSE, P_POISSON_ORDERS,
    P_PROMO_RESPONSE, P_RATE_ADD,
)
from models.stages import (
    BUY, COMPLEMENTARY, CONTRACTUAL, HAZARD, IMPULSE, RECURRENT, SITUATIONAL,
)


@njit(cache=True, inline="always")
def hazard(s, rel_churn, stage_tab, par):
    return min(1.0, stage_tab[s, HAZARD] * rel_churn * par[P_CHURN_MULT])


@njit(cache=True, inline="always")
def poisson_rate(s, kind, n, last, lam, rel_buy, day, season_factor, lead_buy, stage_tab,
                 dem_tab, par):
    """Daily purchase intensity of the Poisson-like demand types (and of leads)."""
    rate = (lam + par[P_RATE_ADD]) * stage_tab[s, BUY] * rel_buy
    if n == 0:
        rate *= lead_buy
    else:
        if kind == SITUATIONAL:
            rate *= season_factor
        elif kind == COMPLEMENTARY and day - last < dem_tab[COMPLEMENTARY, D_B]:
            rate *= dem_tab[COMPLEMENTARY, D_A]
    return rate


# No intensity worked out yet: a `known` pair that matches no rate.
NO_RATE = (-1.0, 0.0)


@njit(cache=True, inline="always")
def chance(rate, known):
    """1 - exp(-rate), the chance of a purchase at daily intensity `rate`. `known` is a
    (rate, chance) pair already worked out for this customer today: a visit asks up to
    three times (today's odds, the dropout's own share, the next bound), mostly at one
    rate, and the same rate has the same chance without a second exp."""
    if rate == known[0]:
        return known[1]
    return 1.0 - np.exp(-rate)


@njit(cache=True, inline="always")
def buy_chance(s, kind, n, last, due, lam, rel_buy, exposed, day, season_factor, lead_buy,
               stage_tab, dem_tab, par, known):
    """(probability of buying on `day` before today's boost, (rate, chance) of the
    Poisson-like intensity it came from, or NO_RATE): see `buy_probability`."""
    if n > 0 and kind == RECURRENT:
        if due != day:
            return 0.0, NO_RATE
        return min(1.0, dem_tab[RECURRENT, D_B] * stage_tab[s, BUY] * rel_buy), NO_RATE
    if n > 0 and kind == CONTRACTUAL:
        return (1.0 if due == day else 0.0), NO_RATE
    rate = poisson_rate(s, kind, n, last, lam, rel_buy, day, season_factor, lead_buy,
                        stage_tab, dem_tab, par)
    c = chance(rate, known)
    q = c
    if kind == IMPULSE and not exposed:
        q *= dem_tab[IMPULSE, D_A]
    return q, (rate, c)


@njit(cache=True, inline="always")
def buy_probability(s, kind, n, last, due, lam, rel_buy, exposed, day, season_factor,
                    lead_buy, stage_tab, dem_tab, par, known):
    """Probability of buying on `day` before today's boost (0 off the due day); `known`:
    see `chance`."""
    return buy_chance(s, kind, n, last, due, lam, rel_buy, exposed, day, season_factor,
                      lead_buy, stage_tab, dem_tab, par, known)[0]


@njit(cache=True, inline="always")
def own_share(s, kind, n, last, lam, q, day, season_factor, stage_tab, dem_tab, par, known):
    """Share of today's purchase intensity (q, boosted and offered) that is the
    customer's own: without the frequency lever, a mechanic's rel_buy or lead multiplier,
    a response's boost, an exposure or an offer. The dropout after a purchase is scaled
    by it (a Bernoulli(share) thinning of the dropout test), so purchases that a lever
    or a mechanic adds bring no extra chances to leave: dropout chances per day stay
    those of the customer's own process. Exactly 1 when nothing was added. `known`: see
    `chance`."""
    add = par[P_RATE_ADD]
    if n > 0 and kind == CONTRACTUAL:
        return 1.0
    if n > 0 and kind == RECURRENT:
        own = min(1.0, dem_tab[RECURRENT, D_B] * stage_tab[s, BUY])
        if add != 0.0:
            own *= lam / (lam + add)      # the lever brings due days at lam + add a day
        return min(1.0, own / q)
    rate = poisson_rate(s, kind, n, last, lam, 1.0, day, season_factor, 1.0, stage_tab,
                        dem_tab, par)
    if add != 0.0:
        rate *= lam / (lam + add)
    own = chance(rate, known)
    if kind == IMPULSE:
        own *= dem_tab[IMPULSE, D_A]       # organic exposure only
    if par[P_POISSON_ORDERS] > 0 and q < 1.0:
        return min(1.0, np.log(1.0 - own) / np.log(1.0 - q))   # ratio of order rates
    return min(1.0, own / q)


@njit(cache=True, inline="always")
def offer_response(kind, n, on_offer, par):
    """Share of would-be non-buyers that today's promo and personal offer convert
    (contract holders renew on their own schedule: offers do not move them)."""
    if n > 0 and kind == CONTRACTUAL:
        return 0.0
    miss = 1.0 - par[P_PROMO_RESPONSE]
    if on_offer:
        miss *= 1.0 - par[P_OFFER_RESPONSE]
    return 1.0 - miss


@njit(cache=True, inline="always")
def cart_intent(kind, q, par):
    """Probability of starting a cart: impulse buyers leave some unbought."""
    if kind == IMPULSE:
        return min(1.0, q * par[P_CART_INTENT])
    return q
