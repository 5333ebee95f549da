"""One customer's funnel day, and a chunk of them, by the documented rule.

The composition of the pieces in `kernel_reference` (stage, hazard, buy probability,
offers, orders, bound) into the whole day the kernel's `chunk_step` makes; kept in its
own file so each step of the day reads as one short function.
"""
from __future__ import annotations

import math

import numpy as np
from kernel_reference import (
    ALIVE, A_CARTS, A_DIED_NATURAL, A_DIED_PREMATURE, A_LEADS_LOST, A_OFFER_BUYERS,
    A_OFFER_BUYERS_ANYWAY, A_WON_BACK, CART, CONTRACTUAL, DIED_NATURAL, EXPOSED, F32,
    FIRST_IN_RUN, K_CANCEL, K_DROP, K_DUE, K_EVENT, K_ITEMS, K_ORDERS, K_SPEND, N_ACC,
    N_COH, OVERDUE, PRICE, P_CHURN_MULT, P_LEAD_BUY, P_OFFER_PRICE, P_POISSON_ORDERS,
    P_PROMO_PRICE, P_PROMO_RESPONSE, RECURRENT, STATE_ORDER, WON_BACK, book_orders,
    bound, buy_probability, cart_intent, cohort_of, due_pending, hazard, mix, next_due,
    offer_response, own_share, poisson_positive, stage_of, swept, uniform32, uniform64,
)


def customer(S: dict, i: int) -> dict:
    """One customer's state as a dict of numpy scalars (dtypes kept)."""
    return {name: S[name][i] for name in STATE_ORDER}


def event_uniform(kh, dks) -> np.float32:
    return uniform32(mix(int(kh) ^ int(dks[K_EVENT])))


def reference_day(c: dict, day: int, dks, tables, acc, coh, sweep: bool = True,
                  thin_dropout: bool = True):
    """One customer's day by the documented rule; returns (new state, count deltas).

    The one event uniform u decides the day: death if u < hazard; else (a contract
    holder on the due day cancels with the dropout probability); else a purchase if
    u < h + (1 - h) q, q the buy probability times today's boost (capped at 1), then
    raised by offers (q + (1 - q) r: a blanket promo while par says one runs, a personal
    offer while day < offer_end; never for contract holders, who also keep their list
    price), and an impulse buyer with u below the cart intent abandons a cart. Natural
    death (the need ended) comes first. Orders are Poisson(-log(1-q)) given at least one
    (single orders for renewals or if disabled); recurring customers get their next due
    day on the due day unless dead. The stage is recomputed from count and recency, the
    boost and the exposure end with the day, and the bound is refreshed.

    sweep=True mirrors the two-pass kernel: the rule is applied only if u < p_hi or the
    timer is due, otherwise the customer is left untouched. sweep=False applies it to
    everyone (then t_next and p_hi differ, the behaviour must not).

    The dropout probability of today's orders is p_drop times `own_share` (purchases
    added by the lever or a mechanic bring no chance to leave); thin_dropout=False is the
    plain BG/NBD rule, a dropout test after every repeat order whatever brought it.
    """
    stage_tab, dem_tab, _, par = tables
    c = dict(c)
    deltas = []
    u32 = event_uniform(c["kh"], dks)
    if sweep and not swept(c["kh"], int(dks[K_EVENT]), c["p_hi"], c["t_next"], day):
        return c, deltas
    s = int(c["stage"])
    flags = int(c["flags"])
    was_alive = (flags & ALIVE) != 0
    bought = False
    if was_alive:
        flags, bought = _live_day(c, flags, float(u32), day, dks, tables, acc, coh,
                                  thin_dropout)
    c["flags"] = np.uint8(flags)
    n1, last1 = int(c["purchases"]), int(c["last"])
    pending = due_pending(int(c["dtype"]), n1, flags, int(c["due"]), day)
    new_s = stage_of(n1, last1, day, s, bought, pending, par)
    if bought and new_s == WON_BACK:
        acc[A_WON_BACK] += 1.0
    c["stage"] = np.int8(new_s)
    now_alive = (flags & ALIVE) != 0
    if new_s != s or now_alive != was_alive:
        deltas = [(int(was_alive), s, -1), (int(now_alive), new_s, +1)]
    t, p = bound(new_s, now_alive, pending, int(c["dtype"]), n1, last1, int(c["need_end"]),
                 int(c["due"]), c["lam"], c["rel_buy"], c["rel_churn"], c["offer_end"], day,
                 stage_tab, dem_tab, par)
    c["t_next"], c["p_hi"] = np.uint16(t), np.uint16(p)
    return c, deltas


def _todays_offer(c, s, kind, n0, last0, flags, day, tables):
    """(q, q_own, price, offered): the buy probability with today's boost and offers,
    without the offers, and the share of list price paid; kept apart because the dropout
    thinning and the 'bought anyway' counters need the probability without offers."""
    stage_tab, dem_tab, season, par = tables
    q = buy_probability(s, kind, n0, last0, int(c["due"]), c["lam"], c["rel_buy"],
                        (flags & EXPOSED) != 0, day, season[day], par[P_LEAD_BUY],
                        stage_tab, dem_tab, par)
    q = min(1.0, q * float(c["boost"]))
    on_offer = int(c["offer_end"]) > day
    promo_on = par[P_PROMO_PRICE] != 1.0 or par[P_PROMO_RESPONSE] != 0.0
    offered = (on_offer or promo_on) and not (n0 > 0 and kind == CONTRACTUAL)
    q_own = q
    price = float(stage_tab[s, PRICE])
    if offered:
        q = q + (1.0 - q) * offer_response(kind, n0, on_offer, par)
        price *= float(par[P_PROMO_PRICE])
        if on_offer:
            price *= float(par[P_OFFER_PRICE])
    if last0 == day and par[P_POISSON_ORDERS] == 0:
        q = 0.0
    return q, q_own, price, offered


def _live_day(c, flags, u, day, dks, tables, acc, coh, thin_dropout):
    """The day of a customer alive at its start: death, cancellation, purchase or cart,
    the next due day; returns (flags, bought). Writes c's purchases, last, due, revenue."""
    stage_tab, dem_tab, _, par = tables
    s, kind, kh = int(c["stage"]), int(c["dtype"]), int(c["kh"])
    n0, last0 = int(c["purchases"]), int(c["last"])
    bought = died = False
    natural = int(c["need_end"]) <= day
    n_now = n0
    if natural:
        died = True
    else:
        h = hazard(s, c["rel_churn"], stage_tab, par)
        q, q_own, price, offered = _todays_offer(c, s, kind, n0, last0, flags, day, tables)
        renews = n0 > 0 and kind in (RECURRENT, CONTRACTUAL)
        due_today = renews and int(c["due"]) == day
        p_drop = min(1.0, float(F32(c["pdrop"]) * F32(c["rel_churn"]))
                     * float(par[P_CHURN_MULT]))
        if u < h:
            died = True
        elif (kind == CONTRACTUAL and due_today
              and uniform64(mix(kh ^ int(dks[K_CANCEL]))) < p_drop):
            died = True
        elif u < h + (1.0 - h) * q:
            bought = True
        elif u < h + (1.0 - h) * cart_intent(kind, q, par):
            flags |= CART
            acc[A_CARTS] += 1.0
        if due_today and not died:
            c["due"] = np.int32(next_due(mix(kh ^ int(dks[K_DUE])), kind, day, c["lam"],
                                         dem_tab, par))
            if not bought:
                flags |= OVERDUE      # a need came and went without a purchase here
        if bought:
            flags, n_now = _purchase(c, flags, u, h, q, q_own, price, offered, p_drop,
                                     renews, day, dks, tables, acc, coh, thin_dropout)
    if died:
        if n_now == 0:
            acc[A_LEADS_LOST] += 1.0
        else:
            acc[A_DIED_NATURAL if natural else A_DIED_PREMATURE] += 1.0
        flags &= ~ALIVE
        if natural:
            flags |= DIED_NATURAL
    c["boost"] = F32(1.0)
    flags &= ~EXPOSED
    return flags, bought


def _purchase(c, flags, u, h, q, q_own, price, offered, p_drop, renews, day, dks, tables,
              acc, coh, thin_dropout):
    """Today's orders booked: offer counters, order count, dropout after the orders, the
    first due day of a recurring customer; returns (flags, purchases after the day)."""
    stage_tab, dem_tab, season, par = tables
    s, kind, kh = int(c["stage"]), int(c["dtype"]), int(c["kh"])
    n0, last0 = int(c["purchases"]), int(c["last"])
    anyway = u < h + (1.0 - h) * q_own
    if offered:
        acc[A_OFFER_BUYERS] += 1.0
        if anyway:
            acc[A_OFFER_BUYERS_ANYWAY] += 1.0
    orders = 1
    if par[P_POISSON_ORDERS] > 0 and not renews and q < 1.0:
        orders = poisson_positive(mix(kh ^ int(dks[K_ORDERS])), -math.log(1.0 - q))
    if thin_dropout:
        p_drop *= own_share(s, kind, n0, last0, c["lam"], q, day, season[day],
                            stage_tab, dem_tab, par)
    n_now, paid, _, dropped = book_orders(
        mix(kh ^ int(dks[K_SPEND])), mix(kh ^ int(dks[K_DROP])),
        mix(kh ^ int(dks[K_ITEMS])), orders, day, s, kind, n0, last0,
        cohort_of(int(c["arrival"])), c["nu"], p_drop, price, anyway, stage_tab, par,
        acc, coh)
    if n0 == 0:
        flags |= FIRST_IN_RUN
        if kind in (RECURRENT, CONTRACTUAL):
            c["due"] = np.int32(next_due(mix(kh ^ int(dks[K_DUE])), kind, day,
                                         c["lam"], dem_tab, par))
    c["purchases"] = np.int32(n_now)
    c["last"] = np.int32(day)
    flags &= ~OVERDUE
    c["revenue"] = F32(c["revenue"] + F32(paid))
    if dropped:
        flags &= ~ALIVE
    return flags, n_now


def reference_chunk(S: dict, lo: int, hi: int, day: int, dks, tables, n_cohorts: int,
                    sweep: bool = True, thin_dropout: bool = True):
    """Apply `reference_day` to customers [lo, hi) in order, in place on the dict of
    arrays S; returns (acc, counts, coh) of the chunk."""
    acc = [0.0] * N_ACC
    counts = np.zeros((2, 7), dtype=np.int64)
    coh = np.zeros((n_cohorts, N_COH), dtype=np.float64)
    coh_l = [[0.0] * N_COH for _ in range(n_cohorts)]

    class _Coh:  # 2-index adapter over lists of Python floats
        def __getitem__(self, k):
            return coh_l[k[0]][k[1]]

        def __setitem__(self, k, v):
            coh_l[k[0]][k[1]] = v

    ch = _Coh()
    ek = int(dks[K_EVENT])
    for i in range(lo, hi):
        if sweep and not swept(S["kh"][i], ek, S["p_hi"][i], S["t_next"][i], day):
            continue   # the same early return as in reference_day, without the copies
        new, deltas = reference_day(customer(S, i), day, dks, tables, acc, ch, sweep,
                                    thin_dropout)
        for name in STATE_ORDER:
            S[name][i] = new[name]
        for a, s, d in deltas:
            counts[a, s] += d
    coh[:, :] = np.array(coh_l, dtype=np.float64).reshape(n_cohorts, N_COH)
    return np.array(acc, dtype=np.float64), counts, coh


def release_listed(S: dict, lists, chunk: int) -> None:
    """After the day: the responders listed instead of forced into the exact pass
    (per chunk of `chunk` customers: the count, then offsets in the chunk) have no
    exposure and a boost of 1, as a visit would have left them; lists are emptied."""
    for c in range(lists.shape[0]):
        for t in range(1, int(lists[c, 0]) + 1):
            i = c * chunk + int(lists[c, t])
            S["flags"][i] = np.uint8(int(S["flags"][i]) & ~EXPOSED)
            S["boost"][i] = F32(1.0)
        lists[c, 0] = 0
