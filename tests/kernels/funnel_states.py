"""Random but reachable customer states and behaviour tables for the funnel kernel tests.

Everything is drawn from a numpy Generator with a fixed seed, so every test is
deterministic. States are what the day loop can leave behind at the start of `day`:
the stage is the one the rule gives at the end of day - 1, and the cached timer and
bound are the reference `bound` computed then (or forced: p_hi = 2 with a boost above
1, as a campaign response leaves them).
"""

from __future__ import annotations

import numpy as np

import kernel_reference as R

HORIZON = 420


def make_tables(variant: int):
    """(stage_tab, dem_tab, season, par) in the order the kernels take them.

    Variant 0: Poisson orders, Gamma-Gamma spend, 'won back' on, finite churn label.
    Variant 1: single orders, fixed spend, 'won back' off, no churn label, loyal at 3.
    Variant 2: like 0 with hazards near 1 for some stages and large rate_add.
    Variant 3: like 0 with every mechanic lever on: a blanket promo, personal offers,
    a lead multiplier below its ceiling, cart intent, extra items, cross- and up-sell.
    """
    rng = np.random.default_rng(1000 + variant)
    stage_tab = np.zeros((7, 6))
    stage_tab[:, R.BUY] = [0.3, 0.8, 1.0, 1.2, 0.4, 0.2, 1.1]
    stage_tab[:, R.HAZARD] = [0.01, 0.02, 0.005, 0.004, 0.03, 0.05, 0.01]
    stage_tab[:, R.SPEND] = [1.0, 1.0, 1.1, 1.2, 0.9, 0.8, 1.0]
    stage_tab[:, R.PRICE] = [1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 0.9]
    dem_tab = np.zeros((6, 2))
    dem_tab[R.RECURRENT] = (2.5, 0.8)        # regularity, share of wallet
    dem_tab[R.COMPLEMENTARY] = (3.0, 14.0)   # boost, window days
    dem_tab[R.IMPULSE] = (0.3, 0.0)          # organic exposure
    dem_tab[R.CONTRACTUAL] = (30.0, 0.0)     # period days
    season = 0.5 + 2.5 * rng.random(HORIZON)
    par = np.zeros(R.N_PAR)
    par[R.P_LOYAL_AFTER] = 4
    par[R.P_LAPSED_AFTER] = 60
    par[R.P_CHURNED_AFTER] = 150
    par[R.P_POISSON_ORDERS] = 1.0
    par[R.P_GROSS_MARGIN] = 0.35
    par[R.P_RATE_ADD] = 0.002
    par[R.P_SPEND_KIND] = 1.0
    par[R.P_SPEND_P] = 6.0
    par[R.P_SPEND_CONST] = 0.0
    par[R.P_SEASON_MAX] = season.max()
    par[R.P_CHURN_MULT] = 1.3
    par[R.P_SPEND_MULT] = 1.1
    par[R.P_WON_BACK] = 1.0
    for row in (R.P_LEAD_BUY, R.P_LEAD_BUY_MAX, R.P_PROMO_PRICE, R.P_OFFER_PRICE,
                R.P_CART_INTENT):
        par[row] = 1.0
    _apply_variant(variant, stage_tab, dem_tab, par)
    return stage_tab, dem_tab, season, par



def _apply_variant(variant: int, stage_tab, dem_tab, par) -> None:
    """Variant 0's tables changed in place into variant 1, 2 or 3 (see `make_tables`)."""
    if variant == 1:
        par[R.P_LOYAL_AFTER] = 3
        par[R.P_LAPSED_AFTER] = 30
        par[R.P_CHURNED_AFTER] = R.FOREVER
        par[R.P_POISSON_ORDERS] = 0.0
        par[R.P_SPEND_KIND] = 0.0
        par[R.P_SPEND_CONST] = 50.0
        par[R.P_RATE_ADD] = 0.0
        par[R.P_CHURN_MULT] = 1.0
        par[R.P_SPEND_MULT] = 1.0
        par[R.P_WON_BACK] = 0.0
        dem_tab[R.COMPLEMENTARY] = (1.5, 7.0)
    if variant == 2:
        stage_tab[:, R.HAZARD] = [0.2, 0.9, 0.05, 1.0, 0.5, 0.7, 0.3]
        par[R.P_RATE_ADD] = 0.05
    if variant == 3:
        stage_tab[:, R.XSELL] = [0.0, 0.5, 0.8, 1.5, 0.0, 0.0, 0.3]
        stage_tab[:, R.UPSELL] = [0.0, 0.1, 0.2, 0.0, 0.0, 0.05, 0.1]
        par[R.P_LEAD_BUY], par[R.P_LEAD_BUY_MAX] = 1.4, 1.8
        par[R.P_PROMO_PRICE], par[R.P_PROMO_RESPONSE] = 0.85, 0.1
        par[R.P_OFFER_PRICE], par[R.P_OFFER_RESPONSE] = 0.8, 0.3
        par[R.P_CART_INTENT] = 3.0
        par[R.P_ITEMS_EXTRA] = 1.7
        par[R.P_XSELL_PRICE], par[R.P_XSELL_MARGIN] = 12.0, 0.5
        par[R.P_UPSELL_MARGIN] = 0.45


def n_cohorts() -> int:
    return 2 + R.month_of(HORIZON)


def random_state(rng: np.random.Generator, size: int, day: int, tables,
                 forced: float = 0.1, dead=None) -> dict:
    """Customers at the start of `day` (dict of arrays in the kernels' dtypes); `dead`:
    a mask of customers who have left (else 20% at random)."""
    _, dem_tab, _, par = tables
    lapsed = int(par[R.P_LAPSED_AFTER])
    churned = int(min(par[R.P_CHURNED_AFTER], 10_000))
    window = int(dem_tab[R.COMPLEMENTARY, R.D_B])
    S = {name: np.zeros(size, dtype=R.DTYPES[name]) for name in R.STATE_ORDER}
    S["kh"][:] = np.frombuffer(rng.bytes(8 * size), dtype=np.uint64)
    S["dtype"][:] = rng.integers(0, 6, size)
    n = np.where(rng.random(size) < 0.3, 0, rng.geometric(0.3, size))
    S["purchases"][:] = n
    # recency at the end of day - 1: a spread, plus every threshold and its neighbours
    special = np.array([0, 1, 2, lapsed - 1, lapsed, lapsed + 1, churned - 1, churned,
                        churned + 1, window - 1, window, window + 1])
    idle = np.where(rng.random(size) < 0.3, rng.choice(special, size),
                    rng.integers(0, min(churned, 300) + 60, size))
    last = np.where(n > 0, day - 1 - idle, R.NEVER)
    S["last"][:] = last
    arrival = np.where(rng.random(size) < 0.5, -1, rng.integers(0, day + 1, size))
    arrival = np.where((n > 0) & (arrival > last), np.where(last < 0, -1, last), arrival)
    S["arrival"][:] = arrival
    alive = rng.random(size) < 0.8
    if dead is not None:
        alive &= ~dead
    flags = np.where(alive, R.ALIVE, 0)
    flags |= np.where(~alive & (rng.random(size) < 0.3), R.DIED_NATURAL, 0)
    flags |= np.where((n > 0) & (rng.random(size) < 0.5), R.FIRST_IN_RUN, 0)
    flags |= np.where((n > 0) & (rng.random(size) < 0.4), R.OVERDUE, 0)
    S["flags"][:] = flags
    u = rng.random(size)
    lam = np.where(u < 0.3, rng.gamma(0.5, 1 / 15, size),
                   np.where(u < 0.8, rng.uniform(0, 0.3, size), rng.uniform(0.3, 3.0, size)))
    S["lam"][:] = lam
    S["nu"][:] = rng.uniform(0.05, 0.3, size)
    S["pdrop"][:] = np.where(rng.random(size) < 0.3, 0.0, rng.uniform(0, 0.6, size))
    u = rng.random(size)
    S["need_end"][:] = np.where(u < 0.6, R.FOREVER,
                                np.where(u < 0.7, day, day + rng.integers(1, 60, size)))
    renewing = (n > 0) & np.isin(S["dtype"], (R.RECURRENT, R.CONTRACTUAL))
    due = np.where(rng.random(size) < 0.3, day, day + rng.integers(0, 20, size))
    S["due"][:] = np.where(renewing, due, R.FOREVER)
    for name in ("rel_buy", "rel_churn"):
        S[name][:] = np.where(rng.random(size) < 0.5, 1.0, rng.uniform(0.5, 2.0, size))
    S["boost"][:] = 1.0
    S["revenue"][:] = rng.uniform(0, 500, size)
    u = rng.random(size)   # personal offers: none, ending today or tomorrow, or later
    S["offer_end"][:] = np.where(u < 0.6, 0, np.where(u < 0.75, rng.choice([day, day + 1],
                                                                           size),
                                                      day + rng.integers(2, 30, size)))
    was_won_back = rng.random(size) < (0.25 if par[R.P_WON_BACK] > 0 else 0.0)
    _derive_stage_and_bound(S, n, last, alive, was_won_back, day, tables)
    force(rng, S, forced)
    # a few timers set early (conservative: the customer is looked at for nothing)
    early = rng.random(size) < 0.03
    S["t_next"][early] = np.minimum(S["t_next"][early], day)
    return S



def _derive_stage_and_bound(S: dict, n, last, alive, was_won_back, day: int, tables) -> None:
    """Stage and bound as the kernel would have left them at the end of `day - 1`.

    Derived by the reference rules rather than drawn, so every state is reachable."""
    stage_tab, dem_tab, _, par = tables
    for i in range(S["kh"].size):
        prev = R.WON_BACK if was_won_back[i] else R.POTENTIAL
        pending = R.due_pending(int(S["dtype"][i]), int(n[i]), int(S["flags"][i]),
                                int(S["due"][i]), day - 1)
        s = R.stage_of(int(n[i]), int(last[i]), day - 1, prev, False, pending, par)
        S["stage"][i] = s
        t, p = R.bound(s, bool(alive[i]), pending, int(S["dtype"][i]), int(n[i]), int(last[i]),
                       int(S["need_end"][i]), int(S["due"][i]), S["lam"][i], S["rel_buy"][i],
                       S["rel_churn"][i], S["offer_end"][i], day - 1, stage_tab, dem_tab, par)
        S["t_next"][i], S["p_hi"][i] = t, p


def force(rng, S: dict, share: float) -> np.ndarray:
    """What a response or a tier does: boost > 1, p_hi at its top, sometimes the
    exposure. Returns whom it picked."""
    size = S["kh"].size
    pick = rng.random(size) < share
    # mostly alive customers; a tier (Funnel.move_each) may also touch dead ones
    pick &= ((S["flags"] & R.ALIVE) != 0) | (rng.random(size) < 0.1)
    S["boost"][pick] *= rng.uniform(1.5, 4.0, pick.sum()).astype(np.float32)
    S["p_hi"][pick] = R.ALWAYS
    exposed = pick & (rng.random(size) < 0.5)
    S["flags"][exposed] |= np.uint8(R.EXPOSED)
    return pick


def copy_state(S: dict) -> dict:
    return {k: v.copy() for k, v in S.items()}


def as_tuple(S: dict) -> tuple:
    return tuple(S[name] for name in R.STATE_ORDER)


def stage_counts(S: dict, hi: int | None = None) -> np.ndarray:
    """(alive, stage) counts of customers [0, hi)."""
    alive = (S["flags"][:hi] & R.ALIVE) != 0
    out = np.zeros((2, 7), dtype=np.int64)
    np.add.at(out, (alive.astype(np.int64), S["stage"][:hi].astype(np.int64)), 1)
    return out


def day_keys(seed_key: int, day: int) -> np.ndarray:
    decisions = [R.decision("funnel." + k) for k in
                 ("event", "orders", "spend", "drop", "due", "cancel", "items")]
    return np.array([R.day_key(seed_key, d, day) for d in decisions], dtype=np.uint64)
