"""The funnel's day kernel: dropout, purchase, basket and spend, then the stage.

Most customers do nothing on most days, so the kernel works in two passes per fixed
chunk of customers. The sweep (`models.funnel_screen`) draws one uniform per customer
from the counter-based stream and flags those whose uniform falls under a cached upper
bound of their event probability (`p_hi`) or whose timer (`t_next`: lapse, need end,
renewal due, ...) is due; it has no branches and vectorises. The exact pass then
applies the full rule to the flagged few, reusing the same uniform, so the outcome is
exactly what a per-day rule applied to everyone would give. It lists them first and
prefetches the arrays of the customer a few places ahead, so their memory waits overlap
(`sim.prefetch`). Bounds use the largest seasonal intensity, so they hold every day; a
module that lifts today's odds (a campaign response) raises `boost` and forces the
customer into the exact pass by setting `p_hi` to its top (`funnel_screen.ALWAYS`),
unless today's uniform provably lies above the lifted probability
(`models.responder_visits`).

Offers: a customer holding a personal offer (`offer_end` after today) pays the offer's
price and, if they would not have bought, buys with the offer's response probability;
a blanket promo does the same for everyone while it runs. Because the same uniform
decides, the kernel knows which offer buyers would have bought anyway and books the
discount they got apart: the cost of discounting people who needed no stimulus.
Leads' buy rate has its own multiplier (reviews raise it), bounded by its ceiling.
An impulse buyer whose uniform falls between the purchase and the cart intent
(purchase probability times `P_CART_INTENT`) abandoned a cart: the `CART` flag is set.

Dropout after a purchase (BG/NBD) is a chance to leave per purchase of the customer's
own process: a purchase that the frequency lever or a mechanic (a response, an offer,
a tier's lift) added on top must not add one, or "one more visit a year" would lower
retention. So the dropout probability of today's orders is scaled by `own_share`, the
customer's own intensity over today's (the dropout test held with that probability):
dropout chances per day stay those of the unboosted process, and with no lever and no
mechanic the share is exactly 1 and the rule is the BG/NBD's.

Chunks have a fixed size, sums are kept per chunk and added in chunk order, so totals
are bit-identical whatever the thread count.
"""

import numpy as np
from numba import njit, prange

from models.basket_kernel import order_addons, order_spend, spend_form
from models.layouts import (
    P_LOYAL_AFTER, P_LAPSED_AFTER, P_CHURNED_AFTER, P_POISSON_ORDERS, P_GROSS_MARGIN,
    P_RATE_ADD, P_SEASON_MAX, P_CHURN_MULT, P_WON_BACK, P_LEAD_BUY, P_LEAD_BUY_MAX,
    P_PROMO_PRICE, P_PROMO_RESPONSE, P_OFFER_PRICE, P_XSELL_MARGIN, P_UPSELL_MARGIN, D_A,
    D_B, A_REVENUE, A_MARGIN, A_DISCOUNT, A_ORDERS, A_BUYERS, A_FIRST, A_REVENUE_FIRST,
    A_REPEAT_ORDERS, A_REVENUE_REPEAT, A_DIED_PREMATURE, A_DIED_NATURAL, A_LEADS_LOST,
    A_WON_BACK, A_RETURNING, A_ITEMS, A_ADDON_REVENUE, A_CARTS, A_OFFER_BUYERS,
    A_OFFER_BUYERS_ANYWAY, A_OFFER_DISCOUNT, A_OFFER_DISCOUNT_ANYWAY, C_REVENUE, C_MARGIN,
    C_BUYERS, K_EVENT, K_ORDERS, K_SPEND, K_DROP, K_DUE, K_CANCEL, K_ITEMS,
)
from models.purchase_odds import (  # noqa: F401  (tests call them through fk)
    NO_RATE, buy_chance, buy_probability, cart_intent, hazard, offer_response, own_share,
    poisson_rate,
)
from models.stages import (
    ALIVE, CART, CHURNED, COMPLEMENTARY, CONTRACTUAL, DIED_NATURAL, EXPOSED, FIRST_IN_RUN,
    FOREVER, LAPSED, LOYAL, NEVER, NEW, OVERDUE, POTENTIAL, PRICE, RECURRENT, REPEAT,
    WON_BACK,
)
from models.funnel_screen import RECOUNT_DAYS, stored_bound, stored_timer, sweep
from sim.compress import listed_flags
from sim.prefetch import AHEAD, prefetch
from sim.streams import gamma, mix, nth, poisson_positive, uniform32, uniform64

CHUNK = 16384


@njit(cache=True, inline="always")
def month_of(day):
    return (day * 12) // 365


@njit(cache=True, inline="always")
def cohort_of(arrival):
    """Row of the cohort matrix: 0 for the base that existed on day 0, then months."""
    return 0 if arrival < 0 else 1 + month_of(arrival)


@njit(cache=True, inline="always")
def stage_by_count(n, loyal_after):
    if n >= loyal_after:
        return LOYAL
    if n >= 2:
        return REPEAT
    return NEW


@njit(cache=True, inline="always")
def due_pending(kind, n, flags, due, day):
    """A renewing buyer (recurrent need, contract) whose next purchase is not yet due
    and who let no due day pass unbought since the last one: silence is expected, so
    recency does not make them lapsed or churned."""
    return (n > 0 and (kind == RECURRENT or kind == CONTRACTUAL)
            and (flags & OVERDUE) == 0 and due > day)


@njit(cache=True, inline="always")
def stage_of(n, last, day, previous, bought_today, pending, par):
    """The CRM stage at the end of `day`, from purchase count and recency (which does not
    count while the next purchase is not yet due: `pending`)."""
    if n == 0:
        return POTENTIAL
    idle = day - last
    if not pending and idle >= par[P_CHURNED_AFTER]:
        return CHURNED
    if not pending and idle >= par[P_LAPSED_AFTER]:
        return LAPSED
    if bought_today:
        if (previous == LAPSED or previous == CHURNED) and par[P_WON_BACK] > 0:
            return WON_BACK
        return stage_by_count(n, int(par[P_LOYAL_AFTER]))
    if previous == WON_BACK:
        return WON_BACK
    return stage_by_count(n, int(par[P_LOYAL_AFTER]))


@njit(cache=True, inline="always")
def bound(s, alive, pending, kind, n, last, need_end, due, lam, rel_buy, rel_churn,
          offer_end, day, stage_tab, dem_tab, par, known):
    """(next timer day, upper bound of any day's event probability) of one customer;
    recency timers of a `pending` renewing buyer wait for the due day. `known`: a
    purchase chance already worked out (`purchase_odds.chance`), or NO_RATE."""
    t = np.int64(FOREVER)
    if n > 0:
        wait = np.int64(due) if pending else np.int64(NEVER)
        if s != LAPSED and s != CHURNED:
            t = min(t, max(wait, np.int64(last) + np.int64(par[P_LAPSED_AFTER])))
        if s != CHURNED:
            t = min(t, max(wait, np.int64(last) + np.int64(par[P_CHURNED_AFTER])))
    if not alive:
        return stored_timer(t), np.uint16(0)
    t = min(t, np.int64(need_end))
    if n > 0 and (kind == RECURRENT or kind == CONTRACTUAL):
        t = min(t, np.int64(due))
    window = dem_tab[COMPLEMENTARY, D_B]
    if n > 0 and kind == COMPLEMENTARY and day - last < window:
        t = min(t, np.int64(last) + np.int64(window))
    on_offer = offer_end > day     # held on `day`: right for a refresh before its pass
    if on_offer:
        t = min(t, np.int64(offer_end))
    h = hazard(s, rel_churn, stage_tab, par)
    q = buy_probability(s, kind, n, last, -1, lam, rel_buy, False, day, par[P_SEASON_MAX],
                        par[P_LEAD_BUY_MAX], stage_tab, dem_tab, par, known)
    r = offer_response(kind, n, on_offer, par)
    q = cart_intent(kind, q + (1.0 - q) * r, par)
    p = h + (1.0 - h) * q
    return stored_timer(t), stored_bound(np.float32(p) + np.float32(1e-7))


@njit(cache=True, _nrt=False)
def refresh_range(lo, hi, day, S, M):
    """Recompute cached bounds and timers of customers [lo, hi) (each its own); no
    reference counting, as `visit`: it makes no array."""
    stage, flags, dtype, n, last, lam = S[2], S[3], S[4], S[5], S[6], S[7]
    need_end, due, t_next, p_hi, rel_buy, rel_churn = S[10], S[11], S[12], S[13], S[14], S[15]
    offer_end = S[18]
    stage_tab, dem_tab, par = M[0], M[1], M[3]
    for i in range(lo, hi):
        t_next[i], p_hi[i] = bound(stage[i], (flags[i] & ALIVE) != 0,
                                   due_pending(dtype[i], n[i], flags[i], due[i], day),
                                   dtype[i], n[i], last[i], need_end[i], due[i], lam[i],
                                   rel_buy[i], rel_churn[i], offer_end[i], day, stage_tab,
                                   dem_tab, par, NO_RATE)


@njit(cache=True)
def next_due(h, kind, day, lam_i, dem_tab, par):
    """Day the need recurs next: Gamma intervals (recurrent) or the contract period."""
    if kind == CONTRACTUAL:
        return day + max(1, int(dem_tab[CONTRACTUAL, D_A]))
    k = dem_tab[RECURRENT, D_A]
    rate = lam_i + par[P_RATE_ADD]
    interval = gamma(h, k, k * rate)
    return day + max(1, int(interval + 0.5))


@njit(cache=True, inline="always")
def book_orders(h_spend, h_drop, h_items, orders, day, s, kind, n, last, cohort, nu, p_drop,
                price, anyway, stage_tab, par, acc, coh, form):
    """Book up to `orders` orders at `price` (share of list); BG/NBD dropout may follow
    each repeat order. Price below the stage's is an offer's: its discount is booked
    apart, and apart again when the buyer would have bought `anyway`. `form`: the spend
    draw's shape (`basket_kernel.spend_form`).

    Returns (purchases after, revenue, margin, died).
    """
    list_price = stage_tab[s, PRICE]
    keep = 1.0 - par[P_GROSS_MARGIN]
    if last < 0 or month_of(last) != month_of(day):
        coh[cohort, C_BUYERS] += 1.0
        if last != NEVER and month_of(last) == month_of(day) - 1:
            acc[A_RETURNING] += 1.0   # bought last month too: survives month to month
    acc[A_BUYERS] += 1.0
    paid_sum = 0.0
    margin_sum = 0.0
    for j in range(orders):
        x = order_spend(nth(h_spend, j), nu, s, stage_tab, par, form)
        items, up, xs = order_addons(h_items, j, x, s, stage_tab, par)
        gross = x + up + xs
        paid = gross * price
        m = x * (price - keep)
        if up > 0:
            m += up * (price - 1.0 + par[P_UPSELL_MARGIN])
        if xs > 0:
            m += xs * (price - 1.0 + par[P_XSELL_MARGIN])
        paid_sum += paid
        margin_sum += m
        acc[A_DISCOUNT] += gross - paid
        acc[A_ITEMS] += items
        acc[A_ADDON_REVENUE] += (up + xs) * price
        if price < list_price:
            given = gross * (list_price - price)
            acc[A_OFFER_DISCOUNT] += given
            if anyway:
                acc[A_OFFER_DISCOUNT_ANYWAY] += given
        acc[A_ORDERS] += 1.0
        if n == 0:
            acc[A_FIRST] += 1.0
            acc[A_REVENUE_FIRST] += paid
        else:
            acc[A_REPEAT_ORDERS] += 1.0
            acc[A_REVENUE_REPEAT] += paid
        n += 1
        if (n >= 2 and kind != CONTRACTUAL and p_drop > 0.0
                and uniform64(nth(h_drop, j)) < p_drop):
            acc[A_DIED_PREMATURE] += 1.0
            acc[A_REVENUE] += paid_sum
            acc[A_MARGIN] += margin_sum
            coh[cohort, C_REVENUE] += paid_sum
            coh[cohort, C_MARGIN] += margin_sum
            return n, paid_sum, margin_sum, True
    acc[A_REVENUE] += paid_sum
    acc[A_MARGIN] += margin_sum
    coh[cohort, C_REVENUE] += paid_sum
    coh[cohort, C_MARGIN] += margin_sum
    return n, paid_sum, margin_sum, False


@njit(cache=True, inline="always")
def death_column(natural, n):
    """Leads lost are counted apart from customers' churn, whatever the cause."""
    if n == 0:
        return A_LEADS_LOST
    return A_DIED_NATURAL if natural else A_DIED_PREMATURE


@njit(cache=True)
def chunk_step(lo, hi, day, dks, S, M, acc, counts, coh, blocks):
    """Sweep one chunk, then apply the exact rule to its flagged customers. `blocks`:
    the sweep's block summaries (`funnel_screen`)."""
    kh, p_hi, t_next = S[0], S[13], S[12]
    acc[:] = 0.0
    counts[:, :] = 0
    coh[:, :] = 0.0
    f_c = np.empty(hi - lo, dtype=np.uint8)
    sweep(kh[lo:hi], p_hi[lo:hi], t_next[lo:hi], dks[K_EVENT], day, f_c, blocks[0],
          blocks[1], lo, (lo // CHUNK + day) % RECOUNT_DAYS == 0)
    picked = np.empty(hi - lo, dtype=np.int32)
    m = listed_flags(f_c, hi - lo, lo, picked)
    visit(picked, m, day, dks, S, M, acc, counts, coh)


@njit(cache=True, _nrt=False)
def visit(picked, m, day, dks, S, M, acc, counts, coh):
    """The exact rule for the flagged customers `picked[:m]`. Compiled without numba's
    reference counting: it makes no array, and the counts it would keep on the arrays it
    reads are atomic operations, a tenth of each visit's time on two threads."""
    (kh, arrival, stage, flags, dtype, n, last, lam, nu, pdrop, need_end, due, t_next,
     p_hi, rel_buy, rel_churn, boost, revenue, offer_end) = S
    stage_tab, dem_tab, season, par = M
    ek = dks[K_EVENT]
    churn_mult = par[P_CHURN_MULT]
    promo_on = par[P_PROMO_PRICE] != 1.0 or par[P_PROMO_RESPONSE] != 0.0
    form = spend_form(par)
    for t in range(m):
        if t + AHEAD < m:     # the arrays of a customer further on, while this one works
            # (lam: the record it shares with need_end, offer_end, rel_buy, rel_churn,
            # boost, pdrop and nu in the funnel's layout, `models.funnel.EXACT_RECORD`)
            prefetch((stage, flags, dtype, n, last, due, lam, arrival, revenue),
                     picked[t + AHEAD])
        i = picked[t]
        s = stage[i]
        was_alive = (flags[i] & ALIVE) != 0
        bought = False
        known = NO_RATE     # the purchase chance worked out today (`purchase_odds.chance`)
        if was_alive:
            kind = dtype[i]
            died = False
            natural = need_end[i] <= day
            if natural:
                died = True
            else:
                h = hazard(s, rel_churn[i], stage_tab, par)
                q, known = buy_chance(s, kind, n[i], last[i], due[i], lam[i], rel_buy[i],
                                      (flags[i] & EXPOSED) != 0, day, season[day],
                                      par[P_LEAD_BUY], stage_tab, dem_tab, par, NO_RATE)
                q = min(1.0, q * boost[i])
                on_offer = offer_end[i] > day
                offered = (on_offer or promo_on) and not (n[i] > 0 and kind == CONTRACTUAL)
                q_own = q
                price = stage_tab[s, PRICE]
                if offered:
                    q = q + (1.0 - q) * offer_response(kind, n[i], on_offer, par)
                    price *= par[P_PROMO_PRICE]
                    if on_offer:
                        price *= par[P_OFFER_PRICE]
                if last[i] == day and par[P_POISSON_ORDERS] == 0:
                    q = 0.0    # bought on arrival today: at most one purchase a day
                renews = n[i] > 0 and (kind == RECURRENT or kind == CONTRACTUAL)
                due_today = renews and due[i] == day
                p_drop = min(1.0, pdrop[i] * rel_churn[i] * churn_mult)
                u = np.float64(uniform32(mix(kh[i] ^ ek)))
                if u < h:
                    died = True
                elif (kind == CONTRACTUAL and due_today
                      and uniform64(mix(kh[i] ^ dks[K_CANCEL])) < p_drop):
                    died = True
                elif u < h + (1.0 - h) * q:
                    bought = True
                elif u < h + (1.0 - h) * cart_intent(kind, q, par):
                    flags[i] = flags[i] | np.uint8(CART)
                    acc[A_CARTS] += 1.0
                if due_today and not died:
                    due[i] = next_due(mix(kh[i] ^ dks[K_DUE]), kind, day, lam[i], dem_tab, par)
                    if not bought:
                        flags[i] = flags[i] | np.uint8(OVERDUE)
                if bought:
                    anyway = u < h + (1.0 - h) * q_own
                    if offered:
                        acc[A_OFFER_BUYERS] += 1.0
                        if anyway:
                            acc[A_OFFER_BUYERS_ANYWAY] += 1.0
                    orders = 1
                    if par[P_POISSON_ORDERS] > 0 and not renews and q < 1.0:
                        orders = poisson_positive(mix(kh[i] ^ dks[K_ORDERS]), -np.log(1.0 - q))
                    own = 1.0   # no dropout to thin: the share would change nothing
                    if p_drop > 0.0:
                        own = own_share(s, kind, n[i], last[i], lam[i], q, day, season[day],
                                        stage_tab, dem_tab, par, known)
                    n_after, paid, _, dropped = book_orders(
                        mix(kh[i] ^ dks[K_SPEND]), mix(kh[i] ^ dks[K_DROP]),
                        mix(kh[i] ^ dks[K_ITEMS]), orders, day, s, kind, n[i], last[i],
                        cohort_of(arrival[i]), nu[i], p_drop * own, price, anyway,
                        stage_tab, par, acc, coh, form)
                    if n[i] == 0:
                        flags[i] = flags[i] | np.uint8(FIRST_IN_RUN)
                        if kind == RECURRENT or kind == CONTRACTUAL:
                            due[i] = next_due(mix(kh[i] ^ dks[K_DUE]), kind, day, lam[i],
                                              dem_tab, par)
                    n[i] = n_after
                    last[i] = day
                    if flags[i] & OVERDUE:
                        flags[i] = flags[i] & ~np.uint8(OVERDUE)
                    revenue[i] += np.float32(paid)
                    if dropped:
                        flags[i] = flags[i] & ~np.uint8(ALIVE)
            if died:
                acc[death_column(natural, n[i])] += 1.0
                flags[i] = flags[i] & ~np.uint8(ALIVE)
                if natural:
                    flags[i] = flags[i] | np.uint8(DIED_NATURAL)
            if boost[i] != 1.0:     # written only if changed: a clean line is not written back
                boost[i] = 1.0
            if flags[i] & EXPOSED:
                flags[i] = flags[i] & ~np.uint8(EXPOSED)
        pending = due_pending(dtype[i], n[i], flags[i], due[i], day)
        new_s = stage_of(n[i], last[i], day, s, bought, pending, par)
        if bought and new_s == WON_BACK:
            acc[A_WON_BACK] += 1.0
        if new_s != s:
            stage[i] = new_s
        now_alive = (flags[i] & ALIVE) != 0
        if new_s != s or now_alive != was_alive:
            counts[1 if was_alive else 0, s] -= 1
            counts[1 if now_alive else 0, new_s] += 1
        t_next[i], p_hi[i] = bound(new_s, now_alive, pending, dtype[i], n[i], last[i],
                                   need_end[i], due[i], lam[i], rel_buy[i], rel_churn[i],
                                   offer_end[i], day, stage_tab, dem_tab, par, known)


@njit(cache=True, parallel=True)
def day_step(day, n_live, dks, P):
    """Simulate one day for customers [0, n_live); sums go to per-chunk rows.
    `P`: a `sim.pack.Pack` of (S, M, (acc, counts, coh), blocks)."""
    S, M, rows, blocks = P.items
    acc, counts, coh = rows
    n_chunks = (n_live + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        lo = c * CHUNK
        hi = min(lo + CHUNK, n_live)
        chunk_step(lo, hi, day, dks, S, M, acc[c], counts[c], coh[c], blocks)


@njit(cache=True)
def one_chunk_day(day, n_live, dks, P):
    """`day_step` for a population of one chunk, with no threads to wake."""
    S, M, rows, blocks = P.items
    acc, counts, coh = rows
    chunk_step(0, n_live, day, dks, S, M, acc[0], counts[0], coh[0], blocks)
