"""Plain-Python references of the numba kernels (house rule: every kernel has one).

Nothing here imports a kernel: the references are written from the module docstrings,
the code comments and `models/stages.py`, on Python ints (masked to 64 bits) and
Python floats, so the tests can check the kernels against them bit for bit; only the
slot tables (`models/layouts.py`) are shared, so they cannot drift apart.

Float semantics follow the kernels' declared dtypes: float32 arrays are promoted to
float64 when they meet a float64 (numba's rule), a float32 times a float32 stays float32,
and every store into a float32 array rounds. Scalar transcendental functions use the
`math` module, which calls the same C library as the compiled kernels.
"""
from __future__ import annotations

import math

import numpy as np
from stream_reference import (  # noqa: F401  (re-exported: tests draw through R)
    GOLDEN,
    M1,
    M2,
    M64,
    beta,
    day_key,
    decision,
    draw,
    gamma,
    mix,
    mix_np,
    normal,
    nth,
    poisson,
    poisson_positive,
    uniform32,
    uniform32_np,
    uniform64,
    uniform64_np,
)

# ---------------------------------------------------------------- stages (models/stages.py)

POTENTIAL, NEW, REPEAT, LOYAL, LAPSED, CHURNED, WON_BACK = range(7)
BUY, HAZARD, SPEND, PRICE, XSELL, UPSELL = range(6)
POISSON, RECURRENT, COMPLEMENTARY, SITUATIONAL, IMPULSE, CONTRACTUAL = range(6)
ALIVE, DIED_NATURAL, EXPOSED, FIRST_IN_RUN, CART, OVERDUE = 1, 2, 4, 8, 16, 64
NEVER = -(2**30)
FOREVER = 2**31 - 1

# Rows of `par`, columns of acc/coh, rows of dks and the order of the state tuple: the
# kernels' interface, written once in `models.layouts` (plain Python, no kernel).
from models.layouts import (  # noqa: E402,F401  (re-exported: tests read them through R)
    A_ADDON_REVENUE, A_BUYERS, A_CARTS, A_DIED_NATURAL, A_DIED_PREMATURE, A_DISCOUNT,
    A_FIRST, A_ITEMS, A_LEADS_LOST, A_MARGIN, A_OFFER_BUYERS, A_OFFER_BUYERS_ANYWAY,
    A_OFFER_DISCOUNT, A_OFFER_DISCOUNT_ANYWAY, A_ORDERS, A_REPEAT_ORDERS, A_RETURNING,
    A_REVENUE, A_REVENUE_FIRST, A_REVENUE_REPEAT, A_WON_BACK, C_BUYERS, C_MARGIN,
    C_REVENUE, D_A, D_B, K_CANCEL, K_DROP, K_DUE, K_EVENT, K_ITEMS, K_ORDERS, K_SPEND,
    N_ACC, N_COH, N_KEYS, N_PAR, P_CART_INTENT, P_CHURN_MULT, P_CHURNED_AFTER,
    P_GROSS_MARGIN, P_ITEMS_EXTRA, P_LAPSED_AFTER, P_LEAD_BUY, P_LEAD_BUY_MAX,
    P_LOYAL_AFTER, P_OFFER_PRICE, P_OFFER_RESPONSE, P_POISSON_ORDERS, P_PROMO_PRICE,
    P_PROMO_RESPONSE, P_RATE_ADD, P_SEASON_MAX, P_SPEND_CONST, P_SPEND_KIND, P_SPEND_MULT,
    P_SPEND_P, P_UPSELL_MARGIN, P_WON_BACK, P_XSELL_MARGIN, P_XSELL_PRICE, STATE_ORDER,
)
DTYPES = {"kh": np.uint64, "arrival": np.int32, "stage": np.int8, "flags": np.uint8,
          "dtype": np.int8, "purchases": np.int32, "last": np.int32, "lam": np.float32,
          "nu": np.float32, "pdrop": np.float32, "need_end": np.int32, "due": np.int32,
          "t_next": np.uint16, "p_hi": np.uint16, "rel_buy": np.float32,
          "rel_churn": np.float32, "boost": np.float32,
          "revenue": np.float32, "offer_end": np.int32}
F32 = np.float32

# ---------------------------------------------------------------- funnel rule (funnel_kernel)


def month_of(day: int) -> int:
    return (day * 12) // 365


def cohort_of(arrival: int) -> int:
    return 0 if arrival < 0 else 1 + month_of(arrival)


def due_pending(kind, n, flags, due, day) -> bool:
    """A recurrent or contract buyer whose next due day is still ahead and who has let
    no due day pass unbought since the last purchase (OVERDUE unset)."""
    return (n > 0 and kind in (RECURRENT, CONTRACTUAL) and (flags & OVERDUE) == 0
            and due > day)


def stage_of(n, last, day, previous, bought_today, pending, par) -> int:
    """CRM stage at the end of `day`: leads are potential; recency first (churned, then
    lapsed), except for a `pending` renewing buyer, whose silence is expected; a
    purchase after lapsed/churned is 'won back' (if enabled) until the next purchase;
    otherwise new / repeat (2+) / loyal (loyal_after+) by purchase count."""
    if n == 0:
        return POTENTIAL
    idle = day - last
    if not pending and idle >= par[P_CHURNED_AFTER]:
        return CHURNED
    if not pending and idle >= par[P_LAPSED_AFTER]:
        return LAPSED
    if bought_today and previous in (LAPSED, CHURNED) and par[P_WON_BACK] > 0:
        return WON_BACK
    if not bought_today and previous == WON_BACK:
        return WON_BACK
    loyal_after = int(par[P_LOYAL_AFTER])
    if n >= loyal_after:
        return LOYAL
    return REPEAT if n >= 2 else NEW


def hazard(s, rel_churn, stage_tab, par) -> float:
    return min(1.0, float(stage_tab[s, HAZARD]) * float(rel_churn) * float(par[P_CHURN_MULT]))


def buy_probability(s, kind, n, last, due, lam, rel_buy, exposed, day, season_factor,
                    lead_buy, stage_tab, dem_tab, par) -> float:
    """Today's purchase probability before the boost. Buyers of recurrent demand buy
    only on their due day (share of wallet x stage x rel_buy), contract holders renew
    on it for sure; everyone else (and every lead) buys at a Poisson rate
    (lam + rate_add) x stage x rel_buy, times the season for situational buyers and the
    complementary boost inside the window after a purchase, leads' rate times the lead
    multiplier; impulse buyers need an exposure (organic with the table's probability,
    or a campaign's)."""
    if n > 0 and kind == RECURRENT:
        if due != day:
            return 0.0
        return min(1.0, float(dem_tab[RECURRENT, D_B]) * float(stage_tab[s, BUY])
                   * float(rel_buy))
    if n > 0 and kind == CONTRACTUAL:
        return 1.0 if due == day else 0.0
    rate = (float(lam) + float(par[P_RATE_ADD])) * float(stage_tab[s, BUY]) * float(rel_buy)
    if n == 0:
        rate *= float(lead_buy)
    else:
        if kind == SITUATIONAL:
            rate *= float(season_factor)
        elif kind == COMPLEMENTARY and day - last < dem_tab[COMPLEMENTARY, D_B]:
            rate *= float(dem_tab[COMPLEMENTARY, D_A])
    q = 1.0 - math.exp(-rate)
    if kind == IMPULSE and not exposed:
        q *= float(dem_tab[IMPULSE, D_A])
    return q


def own_share(s, kind, n, last, lam, q, day, season_factor, stage_tab, dem_tab, par) -> float:
    """The customer's own share of today's purchase intensity q (q after the boost and
    the offers): the buy probability with rel_buy, the lead multiplier and the exposure
    neutral, no boost, no offer, and the rate without the lever (lam / (lam + rate_add)
    of it; for recurrent buyers it is the due days that come at lam + rate_add a day).
    Poisson orders compare order rates (-log(1 - q)), single orders probabilities;
    contract holders never drop out after a purchase (1). At most 1."""
    add = float(par[P_RATE_ADD])
    lam = float(lam)
    if n > 0 and kind == CONTRACTUAL:
        return 1.0
    if n > 0 and kind == RECURRENT:
        own = min(1.0, float(dem_tab[RECURRENT, D_B]) * float(stage_tab[s, BUY]))
        if add != 0.0:
            own *= lam / (lam + add)
        return min(1.0, own / q)
    rate = (lam + add) * float(stage_tab[s, BUY])
    if n > 0 and kind == SITUATIONAL:
        rate *= float(season_factor)
    elif n > 0 and kind == COMPLEMENTARY and day - last < dem_tab[COMPLEMENTARY, D_B]:
        rate *= float(dem_tab[COMPLEMENTARY, D_A])
    if add != 0.0:
        rate *= lam / (lam + add)
    own = 1.0 - math.exp(-rate)
    if kind == IMPULSE:
        own *= float(dem_tab[IMPULSE, D_A])
    if par[P_POISSON_ORDERS] > 0 and q < 1.0:
        return min(1.0, math.log(1.0 - own) / math.log(1.0 - q))
    return min(1.0, own / q)


def offer_response(kind, n, on_offer, par) -> float:
    """The promo's and (when held) the personal offer's conversion of non-buyers,
    combined as independent chances; nothing for contract holders."""
    if n > 0 and kind == CONTRACTUAL:
        return 0.0
    miss = 1.0 - float(par[P_PROMO_RESPONSE])
    if on_offer:
        miss *= 1.0 - float(par[P_OFFER_RESPONSE])
    return 1.0 - miss


def cart_intent(kind, q, par) -> float:
    return min(1.0, q * float(par[P_CART_INTENT])) if kind == IMPULSE else q


def bound(s, alive, pending, kind, n, last, need_end, due, lam, rel_buy, rel_churn,
          offer_end, day, stage_tab, dem_tab, par):
    """(next timer day, cached upper bound of the event probability) after `day`.

    Timers: lapse and churn by recency (stage changes with no event; for a pending
    renewing buyer not before the due day), and for the
    alive: the need's end, the due day of recurrent/contract buyers, the end of the
    complementary window, the offer's end. The bound: today's hazard plus the buy
    probability with the largest seasonal intensity, no due day and the lead
    multiplier's ceiling, raised by an offer held on `day` (so a bound taken during
    a day, before its pass, holds that day too) and by the cart intent, as float32
    plus 1e-7. Both as stored: `stored_timer`, `stored_bound`."""
    t = FOREVER
    if n > 0:
        wait = int(due) if pending else NEVER
        if s not in (LAPSED, CHURNED):
            t = min(t, max(wait, int(last) + int(par[P_LAPSED_AFTER])))
        if s != CHURNED:
            t = min(t, max(wait, int(last) + int(par[P_CHURNED_AFTER])))
    if not alive:
        return stored_timer(t), 0
    t = min(t, int(need_end))
    if n > 0 and kind in (RECURRENT, CONTRACTUAL):
        t = min(t, int(due))
    window = float(dem_tab[COMPLEMENTARY, D_B])
    if n > 0 and kind == COMPLEMENTARY and day - last < window:
        t = min(t, int(last) + int(window))
    on_offer = int(offer_end) > day
    if on_offer:
        t = min(t, int(offer_end))
    h = hazard(s, rel_churn, stage_tab, par)
    q = buy_probability(s, kind, n, last, -1, lam, rel_buy, False, day, par[P_SEASON_MAX],
                        par[P_LEAD_BUY_MAX], stage_tab, dem_tab, par)
    q = cart_intent(kind, q + (1.0 - q) * offer_response(kind, n, on_offer, par), par)
    p = h + (1.0 - h) * q
    return stored_timer(t), stored_bound(F32(F32(p) + F32(1e-7)))


ALWAYS = 65535    # the stored bound's top: any uniform passes (forced into the pass)


def stored_timer(t) -> int:
    """A timer day as the kernels keep it: 16 bits, before day 0 0, beyond 65535 65535."""
    return min(max(int(t), 0), 65535)


def stored_bound(p) -> int:
    """A probability bound as the kernels keep it: in 2**-15, rounded up, 16 bits."""
    return min(math.ceil(float(p) * 32768.0), 65535)


def swept(kh, ek: int, p_hi, t_next, day: int) -> bool:
    """Whether the funnel's sweep flags a customer: the top 15 bits of its event
    uniform's hash under the stored bound, or its timer due."""
    return (mix(int(kh) ^ ek) >> 49) < int(p_hi) or int(t_next) <= day


def order_spend(h, nu, s, stage_tab, par) -> float:
    if par[P_SPEND_KIND] == 0:
        x = float(par[P_SPEND_CONST])
    else:
        x = gamma(h, float(par[P_SPEND_P]), float(nu))
    return x * float(stage_tab[s, SPEND]) * float(par[P_SPEND_MULT])


def next_due(h, kind, day, lam, dem_tab, par) -> int:
    if kind == CONTRACTUAL:
        return day + max(1, int(dem_tab[CONTRACTUAL, D_A]))
    k = float(dem_tab[RECURRENT, D_A])
    rate = float(lam) + float(par[P_RATE_ADD])
    return day + max(1, int(gamma(h, k, k * rate) + 0.5))


def _count_buyer(last, day, cohort, acc, coh):
    """A buyer today; counted once a month for its cohort, and as returning when it
    also bought last month (the month-to-month survival the reports show)."""
    if last < 0 or month_of(last) != month_of(day):
        coh[cohort, C_BUYERS] += 1.0
        if last != NEVER and month_of(last) == month_of(day) - 1:
            acc[A_RETURNING] += 1.0
    acc[A_BUYERS] += 1.0


def book_orders(h_spend, h_drop, h_items, orders, day, s, kind, n, last, cohort, nu, p_drop,
                price, anyway, stage_tab, par, acc, coh):
    """Book `orders` orders at `price`; after each repeat order (not for contracts) the
    customer drops out with probability p_drop. An order j is the core check x, plus
    x * UPSELL traded up (its own margin), plus Poisson(XSELL) cross-sold items at the
    cross-sell price (their own margin; draw j of h_items, made only when XSELL > 0); its
    items are 1 + the mean extra items of the core basket + the cross-sold ones.
    Paid below the stage's list price, the difference is an offer's discount, booked
    again apart when the buyer would have bought anyway. Returns (n after, paid,
    margin, dropped)."""
    list_price = float(stage_tab[s, PRICE])
    keep = 1.0 - float(par[P_GROSS_MARGIN])
    _count_buyer(last, day, cohort, acc, coh)
    paid_sum = 0.0
    margin_sum = 0.0
    dropped = False
    for j in range(orders):
        x = order_spend(nth(h_spend, j), nu, s, stage_tab, par)
        items = 1.0 + float(par[P_ITEMS_EXTRA])
        up = x * float(stage_tab[s, UPSELL])
        xs = 0.0
        if stage_tab[s, XSELL] > 0:
            k = poisson(nth(h_items, j), float(stage_tab[s, XSELL]))
            items += k
            xs = k * float(par[P_XSELL_PRICE])
        gross = x + up + xs
        paid = gross * price
        m = x * (price - keep)
        if up > 0:
            m += up * (price - 1.0 + float(par[P_UPSELL_MARGIN]))
        if xs > 0:
            m += xs * (price - 1.0 + float(par[P_XSELL_MARGIN]))
        paid_sum += paid
        margin_sum += m
        acc[A_DISCOUNT] += gross - paid
        acc[A_ITEMS] += items
        acc[A_ADDON_REVENUE] += (up + xs) * price
        if price < list_price:
            acc[A_OFFER_DISCOUNT] += gross * (list_price - price)
            if anyway:
                acc[A_OFFER_DISCOUNT_ANYWAY] += gross * (list_price - price)
        acc[A_ORDERS] += 1.0
        if n == 0:
            acc[A_FIRST] += 1.0
            acc[A_REVENUE_FIRST] += paid
        else:
            acc[A_REPEAT_ORDERS] += 1.0
            acc[A_REVENUE_REPEAT] += paid
        n += 1
        if n >= 2 and kind != CONTRACTUAL and uniform64(nth(h_drop, j)) < p_drop:
            acc[A_DIED_PREMATURE] += 1.0
            dropped = True
            break
    acc[A_REVENUE] += paid_sum
    acc[A_MARGIN] += margin_sum
    coh[cohort, C_REVENUE] += paid_sum
    coh[cohort, C_MARGIN] += margin_sum
    return n, paid_sum, margin_sum, dropped
