"""Kernels that give arriving customers their traits, history and first purchase.

Traits are drawn from each customer's own stream, so a customer is the same person in
every strategy. Customers of the base that exists on day 0 get a history consistent
with their stage (purchase count, recency, alive or not); their purchase rate and
dropout are then drawn from the posterior given that history (Gamma(r + x, alpha + T)
and Beta(a, b + x) in the BG/NBD convention), so loyal customers really are the
frequent buyers.

The per-customer kernels make no array, so they are compiled without numba's reference
counting (`_nrt=False`): the atomic counts on every array of the state tuple, handed
to a helper per customer, were half of an arrival's time.
"""

import numpy as np
from numba import njit, prange

from models import funnel_kernel as fk
from models import layouts as lay
from models import funnel_totals as ft
from models.basket_kernel import spend_form
from models.funnel_screen import forget_range
from models.stages import (
    ALIVE, CONTRACTUAL, FIRST_IN_RUN, FOREVER, LAPSED, LOYAL, NEVER, NEW, OVERDUE, POTENTIAL,
    PRICE, RECURRENT, REPEAT,
)
from models.traits import BETA, GAMMA, draw, shapes
from sim.streams import beta, gamma, mix, nth, uniform64

# Rows of the per-arrival key vector.
T_TYPE, T_RATE, T_SPEND, T_DROP, T_NEED, T_HIST, T_DUE, N_TRAIT_KEYS = range(8)

# History parameters (rows of `hist`).
H_DAYS, H_LAPSED_ALIVE, H_CHURNED_ALIVE, N_HIST = range(4)


@njit(cache=True, _nrt=False)
def _history(h, target, par, hist):
    """(purchases, last purchase day, tenure days, alive) of a base customer.

    Days are before day 0; whole days of idleness are counted at the end of day -1, so
    the stage there is exactly `target` (the schema makes every target reachable).
    """
    lapsed = par[lay.P_LAPSED_AFTER]
    churned = min(par[lay.P_CHURNED_AFTER], hist[H_DAYS])
    horizon = hist[H_DAYS]
    loyal_after = int(par[lay.P_LOYAL_AFTER])
    u0, u1, u2, u3 = (uniform64(nth(h, 0)), uniform64(nth(h, 1)), uniform64(nth(h, 2)),
                      uniform64(nth(h, 3)))
    if target == POTENTIAL:
        return 0, NEVER, 0.0, True
    if target == NEW:
        idle = int(u0 * min(lapsed, horizon))
        return 1, -1 - idle, idle + 1.0, True
    if target == REPEAT or target == LOYAL:
        if target == REPEAT:
            n = 2 + int(u1 * max(1, loyal_after - 2))
        else:
            n = loyal_after + int(-loyal_after * np.log(1.0 - u1))
        tenure = 1.0 + u0 * (horizon - 1.0)
        idle = int(u2 * min(tenure, lapsed))
        return n, -1 - idle, tenure, True
    n = 1 + int(-2.0 * np.log(1.0 - u1))
    if target == LAPSED:
        idle = int(lapsed) + int(u0 * max(0.0, churned - lapsed))
        alive = u3 < hist[H_LAPSED_ALIVE]
    else:
        idle = int(churned) + int(u0 * max(0.0, horizon - churned))
        alive = u3 < hist[H_CHURNED_ALIVE]
    tenure = idle + u2 * max(0.0, horizon - idle)
    return n, -1 - idle, tenure, alive


@njit(cache=True, _nrt=False)
def init_range(lo, hi, day, keys, targets, with_history, S, M, traits, has_need, share_cum,
               hist):
    """Draw traits (and, for the day-0 base, history) of customers [lo, hi)."""
    kh, dtype, lam, nu, pdrop, need_end = S[0], S[4], S[7], S[8], S[9], S[10]
    dem_tab, par = M[1], M[3]
    rate_trait, spend_trait, drop_trait, need_trait = traits
    rate_f, spend_f, drop_f, need_f = (shapes(rate_trait), shapes(spend_trait),
                                       shapes(drop_trait), shapes(need_trait))
    for i in range(lo, hi):
        k = kh[i]
        u_type = uniform64(mix(k ^ keys[T_TYPE]))
        kind = 0
        while kind < share_cum.size - 1 and u_type >= share_cum[kind]:
            kind += 1
        dtype[i] = kind
        count, last_day, tenure, alive = 0, NEVER, 0.0, True
        if with_history:
            count, last_day, tenure, alive = _history(mix(k ^ keys[T_HIST]), targets[i - lo],
                                                      par, hist)
            period = int(dem_tab[CONTRACTUAL, 0])
            if kind == CONTRACTUAL and 0 <= -1 - last_day < par[lay.P_LAPSED_AFTER]:
                last_day = -1 - (-1 - last_day) % period   # paid within the current period
        lam[i], pdrop[i] = _posterior_traits(k, keys, count, tenure, alive, rate_trait,
                                             drop_trait, rate_f, drop_f)
        nu[i] = draw(mix(k ^ keys[T_SPEND]), spend_trait, spend_f)
        if has_need:
            life = draw(mix(k ^ keys[T_NEED]), need_trait, need_f)
            if with_history:
                life *= uniform64(nth(mix(k ^ keys[T_NEED]), 7))
            need_end[i] = np.int32(min(FOREVER - 1.0, day + max(1.0, np.ceil(life))))
        _place(i, k, keys, day, count, last_day, alive, S, dem_tab, par)


@njit(cache=True, _nrt=False)
def _posterior_traits(k, keys, count, tenure, alive, rate_trait, drop_trait, rate_f, drop_f):
    """(purchase rate, dropout) of a customer with `count` purchases over `tenure` days:
    drawn from the posterior given that history, Gamma(r + x, alpha + T) and, for the
    living, Beta(a, b + x) (x = count - 1 repeat purchases); else from the traits
    themselves (`rate_f`, `drop_f`: their `traits.shapes`)."""
    x = max(count - 1, 0)
    hr = mix(k ^ keys[T_RATE])
    if int(rate_trait[0]) == GAMMA and count > 0:
        lam = gamma(hr, rate_trait[1] + x, rate_trait[2] + tenure)
    else:
        lam = draw(hr, rate_trait, rate_f)
    hd = mix(k ^ keys[T_DROP])
    if int(drop_trait[0]) == BETA and count > 0 and alive:
        pdrop = beta(hd, drop_trait[1], drop_trait[2] + x)
    else:
        pdrop = draw(hd, drop_trait, drop_f)
    return lam, pdrop


@njit(cache=True, _nrt=False)
def _place(i, k, keys, day, count, last_day, alive, S, dem_tab, par):
    """Purchase count, last purchase, life, next due date and stage of customer i."""
    stage, flags, dtype, n, last, lam, due = S[2], S[3], S[4], S[5], S[6], S[7], S[11]
    kind = dtype[i]
    n[i] = count
    last[i] = last_day
    flags[i] = ALIVE if alive else 0
    if count > 0 and (kind == RECURRENT or kind == CONTRACTUAL):
        d = fk.next_due(mix(k ^ keys[T_DUE]), kind, last_day, lam[i], dem_tab, par)
        if d < day or day - 1 - last_day >= par[lay.P_LAPSED_AFTER]:
            flags[i] = flags[i] | np.uint8(OVERDUE)   # silent past a due day, or as
            # long as the history's lapsed and churned stages say: a need went elsewhere
        if d < day:
            span = d - last_day
            d = day + int(uniform64(nth(mix(k ^ keys[T_DUE]), 9)) * span)
        due[i] = d
    stage[i] = fk.stage_of(count, last_day, day - 1, POTENTIAL, False,
                           fk.due_pending(kind, count, flags[i], due[i], day - 1), par)


# Columns of a history profile (rows of `profiles`).
PR_PURCHASES, PR_IDLE, PR_TENURE, N_PROFILE = range(4)


@njit(cache=True)
def _log_dead_odds(count, idle, tenure, rate_trait, drop_trait):
    """log P(dead) / P(alive) of a customer given purchases, days since the last and days
    since the first: a dropout chance after each of the x repeat purchases (a/(b+x-1) for
    Beta(a, b), p/(1-p) for a fixed p) times the likelihood ratio of the silence since
    the last purchase (((alpha+T)/(alpha+t_x))^(r+x) for Gamma(r, alpha), exp(lam idle)
    for a fixed rate); -inf without a repeat purchase (the BG/NBD, FHL 2005 eq. A2)."""
    x = count - 1
    if x <= 0:
        return -np.inf
    if int(drop_trait[0]) == BETA:
        odds = np.log(drop_trait[1]) - np.log(drop_trait[2] + x - 1.0)
    else:
        p = drop_trait[1]
        if p <= 0.0:
            return -np.inf
        if p >= 1.0:
            return np.inf
        odds = np.log(p) - np.log(1.0 - p)
    if int(rate_trait[0]) == GAMMA:
        r, alpha = rate_trait[1], rate_trait[2]
        return odds + (r + x) * (np.log(alpha + tenure) - np.log(alpha + tenure - idle))
    return odds + rate_trait[1] * idle


@njit(cache=True, _nrt=False)
def apply_profiles(lo, hi, day, keys, profile_of, profiles, S, M, traits):
    """Give base customers [lo, hi) the observed history of their profile (purchases,
    days since the last, days since the first purchase, as of the end of day -1), alive
    with its posterior probability and traits from the posterior given that history.
    Runs after `init_range`, before the funnel counts the customers."""
    kh = S[0]
    dem_tab, par = M[1], M[3]
    rate_trait, drop_trait = traits[0], traits[2]
    rate_f, drop_f = shapes(rate_trait), shapes(drop_trait)
    lam, pdrop = S[7], S[9]
    for i in range(lo, hi):
        k = kh[i]
        row = profiles[profile_of[i - lo]]
        count, idle, tenure = int(row[PR_PURCHASES]), row[PR_IDLE], row[PR_TENURE]
        dead = _log_dead_odds(count, idle, tenure, rate_trait, drop_trait)
        alive = uniform64(nth(mix(k ^ keys[T_HIST]), 5)) * (1.0 + np.exp(dead)) < 1.0
        lam[i], pdrop[i] = _posterior_traits(k, keys, count, tenure, alive, rate_trait,
                                             drop_trait, rate_f, drop_f)
        _place(i, k, keys, day, count, -1 - int(idle), alive, S, dem_tab, par)


PARALLEL_CHUNK = 256     # customers: a day's inflow of a large base spans several


@njit(cache=True, parallel=True)
def profile_base(lo, hi, keys, profile_of, profiles, S, M, traits, has_need, share_cum, hist,
                 counts, cohort_size):
    """The day-0 base [lo, hi) from observed histories: traits (`init_range`), each
    customer's profile (`apply_profiles`) and cached bounds over fixed chunks in
    parallel (every customer's draws are its own), then the counts in customer order."""
    targets = np.zeros(hi - lo, dtype=np.int8)
    n_chunks = (hi - lo + PARALLEL_CHUNK - 1) // PARALLEL_CHUNK
    for c in prange(n_chunks):
        a = lo + c * PARALLEL_CHUNK
        b = min(a + PARALLEL_CHUNK, hi)
        init_range(a, b, 0, keys, targets[a - lo:b - lo], True, S, M, traits, has_need,
                   share_cum, hist)
        apply_profiles(a, b, 0, keys, profile_of[a - lo:b - lo], profiles, S, M, traits)
        fk.refresh_range(a, b, 0, S, M)
    ft.count_arrivals(lo, hi, S[2], S[3], S[1], counts, cohort_size)


@njit(cache=True, _nrt=False)
def first_purchases(lo, hi, day, dks, S, M, acc, coh):
    """Book the first purchase of customers who arrive as buyers (serial: sums in order)."""
    kh, arrival, stage, flags, dtype, n, last, lam, nu = S[:9]
    due, revenue = S[11], S[17]
    stage_tab, dem_tab, par = M[0], M[1], M[3]
    price = stage_tab[POTENTIAL, PRICE] * par[lay.P_PROMO_PRICE]   # arrivals buy anyway
    form = spend_form(par)
    for i in range(lo, hi):
        if (flags[i] & ALIVE) == 0:
            continue
        kind = dtype[i]
        n[i], paid, _, _ = fk.book_orders(mix(kh[i] ^ dks[lay.K_SPEND]), 0,
                                          mix(kh[i] ^ dks[lay.K_ITEMS]), 1, day, POTENTIAL,
                                          kind, 0, last[i], fk.cohort_of(arrival[i]), nu[i],
                                          0.0, price, True, stage_tab, par, acc, coh,
                                          form)
        last[i] = day
        revenue[i] += np.float32(paid)
        stage[i] = NEW
        flags[i] = flags[i] | np.uint8(FIRST_IN_RUN)
        if kind == RECURRENT or kind == CONTRACTUAL:
            due[i] = fk.next_due(mix(kh[i] ^ dks[lay.K_DUE]), kind, day, lam[i], dem_tab, par)


@njit(cache=True)
def arrive(lo, hi, day, dks, targets, with_history, buying, P):
    """Everything a day's few arrivals [lo, hi) need, in one call: traits (`init_range`),
    the first purchase of those who arrive buying, their place in the funnel's counts,
    and their cached bounds. The same steps as the separate kernels, in the same order.
    Their blocks of the funnel's sweep are marked unknown (`funnel_screen.forget`).
    `P`: a `sim.pack.Pack` of the run's (trait keys, S, M, traits, has_need, share_cum,
    hist, acc, coh, counts, cohort_size, the sweep's block states). `targets`: the stage
    each customer's history reaches (read `with_history` only)."""
    (keys, S, M, traits, has_need, share_cum, hist, acc, coh, counts, cohort_size,
     held) = P.items
    init_range(lo, hi, day, keys, targets, with_history, S, M, traits, has_need, share_cum,
               hist)
    if buying:
        first_purchases(lo, hi, day, dks, S, M, acc, coh)
    ft.count_arrivals(lo, hi, S[2], S[3], S[1], counts, cohort_size)
    fk.refresh_range(lo, hi, day, S, M)
    forget_range(held, lo, hi)


@njit(cache=True, parallel=True)
def arrive_parallel(lo, hi, day, dks, targets, with_history, buying, P):
    """`arrive` with the per-customer steps (traits, cached bounds, the counts) over fixed
    chunks in parallel; the first purchases' sums stay serial in customer order, and the
    chunks' counts, whole numbers, add up to the same totals in any order, so every
    result is that of `arrive` at any thread count."""
    (keys, S, M, traits, has_need, share_cum, hist, acc, coh, counts, cohort_size,
     held) = P.items
    n_chunks = (hi - lo + PARALLEL_CHUNK - 1) // PARALLEL_CHUNK
    chunk_counts, chunk_sizes = _chunk_rows(n_chunks, counts, cohort_size)
    for c in prange(n_chunks):
        a = lo + c * PARALLEL_CHUNK
        b = min(a + PARALLEL_CHUNK, hi)
        init_range(a, b, day, keys, targets[a - lo:b - lo], with_history, S, M, traits,
                   has_need, share_cum, hist)
        if not buying:
            fk.refresh_range(a, b, day, S, M)
            ft.count_arrivals(a, b, S[2], S[3], S[1], chunk_counts[c], chunk_sizes[c])
    if buying:
        first_purchases(lo, hi, day, dks, S, M, acc, coh)
        for c in prange(n_chunks):
            a = lo + c * PARALLEL_CHUNK
            b = min(a + PARALLEL_CHUNK, hi)
            fk.refresh_range(a, b, day, S, M)
            ft.count_arrivals(a, b, S[2], S[3], S[1], chunk_counts[c], chunk_sizes[c])
    _add_chunks(chunk_counts, chunk_sizes, counts, cohort_size)
    forget_range(held, lo, hi)


# Both helpers below are serial kernels of their own: in a parallel kernel numba turns
# every array expression (np.zeros, a sum of rows) into a parallel loop, each a wake of
# every thread.
@njit(cache=True)
def _chunk_rows(n_chunks, counts, cohort_size):
    """Zeroed per-chunk rows of the arrivals' (alive, stage) counts and cohort sizes."""
    return (np.zeros((n_chunks, counts.shape[0], counts.shape[1]), dtype=counts.dtype),
            np.zeros((n_chunks, cohort_size.size), dtype=cohort_size.dtype))


@njit(cache=True)
def _add_chunks(chunk_counts, chunk_sizes, counts, cohort_size):
    """The chunks' counts added to the run's."""
    for c in range(chunk_counts.shape[0]):
        for a in range(counts.shape[0]):
            for s in range(counts.shape[1]):
                counts[a, s] += chunk_counts[c, a, s]
        for g in range(cohort_size.size):
            cohort_size[g] += chunk_sizes[c, g]
