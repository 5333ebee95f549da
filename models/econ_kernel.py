"""The economic model's hot loops, compiled: a step's transition coefficients and the
step itself, cell by cell.

As numpy expressions over the whole grid a step costs some thirty array passes, and
its coefficients (megabytes for the leverage table's variants) are streamed from
memory at every step. Classes never mix, so here the whole run goes class by class:
a class's coefficients under each distinct step input (a few dozen kilobytes) are
built, then stay in cache while the class is stepped through every step. Only the
branch that applies (purchase or renewal) is evaluated, and the powers a route shares
along its silence are taken once. The numpy forms they replace are the reference in
the tests (`tests/models/econ_reference.py`).

Compiled with numpy's error model: a division by zero gives inf or nan, as in the
reference, without a check per division (every division that matters is guarded).

Rows of a cell's coefficients (`rows[c, w * K + k, row]` of a class): stay, died
without a purchase, the orders of its active, lapsed and churned routes, dropout
after buying, then the buyers of each move (group g, count + m + 1) at row
MOVES + g * MAX_JUMP + m. Orders are counted by stage and priced outside.
"""

import numpy as np
from numba import njit

from models.stages import CHURNED, LAPSED, POTENTIAL

MAX_JUMP = 4        # most purchases a customer may add to the count within one step
STAY, DIED, ORDERS = 0, 1, 2  # rows of a cell: stay, died, orders of its three routes
DROPOUT = 5                   # (active, lapsed, churned), dropout after buying,
MOVES = 6                     # then the buyers of each move (group, jump)
N_ROWS = MOVES + 2 * MAX_JUMP
N_STAGES = 7
# a step's outputs per variant: orders by stage (priced outside: the leverage table's
# variants that differ only in price share a run), then these
FIRST, ACTIVE, ALIVE, PREMATURE, NATURAL, BUYER_DAYS = range(N_STAGES, N_STAGES + 6)
N_OUT = N_STAGES + 6


@njit(cache=True, error_model="numpy")
def purchase_odds(h, q, dt, h_after, q_after):
    """`econ_chain.step_odds` of one cell: (stay, buy, died after buying, purchases)."""
    x = (1.0 - h) * (1.0 - q)
    y = 1.0 - h_after
    stay = x ** dt
    if x < 1.0:
        any_buy = (1.0 - h) * q * (1.0 - stay) / max(1.0 - x, 1e-300)
        s1 = (1.0 - stay) / max(1.0 - x, 1e-300)
    else:
        any_buy = 0.0
        s1 = dt
    y_dt = y ** dt
    if abs(y - x) < 1e-9:
        buy = (1.0 - h) * q * (dt * x ** (dt - 1.0))
    else:
        buy = (1.0 - h) * q * ((y_dt - stay) / (y - x))
    ye = min(y, 1.0 - 1e-9)
    if abs(ye - x) < 1e-9:
        s2 = dt * x ** (dt - 1.0)
    else:
        s2 = ((y_dt if ye == y else ye ** dt) - stay) / (ye - x)
    purchases = (1.0 - h) * q * (s1 + q_after * ye / (1.0 - ye) * (s1 - s2))
    return stay, buy, any_buy - buy, purchases


@njit(cache=True, error_model="numpy")
def renewal_powers(pw, h, dt, h_after):
    """The powers of a renewal step that do not depend on the due day's probability
    (so a route along its silence takes them once): into pw[:3]."""
    pw[0] = (1.0 - h) ** (0.5 * dt)
    pw[1] = (1.0 - h) ** dt
    pw[2] = (1.0 - h_after) ** (0.5 * dt)


@njit(cache=True, error_model="numpy")
def renewal_odds(pw, p, cancel):
    """The reference's `renewal_odds` of one cell from its `renewal_powers`: (stay,
    buy, died after buying)."""
    bought = pw[0] * p * (1.0 - cancel)
    return pw[1] * (1.0 - p), bought * pw[2], bought * (1.0 - pw[2])


@njit(cache=True, error_model="numpy")
def _unit(u, pw, h, q, r, h_after, q_after, renew_jumps, ords, pd, contract, renewing,
          dt):
    """A route's coefficients per unit of its share, into `u`: stay, died, orders,
    dropout after buying, then the buyers by count jump. pw: the
    route's renewal powers, then its last (jumps, keep), reused while they hold."""
    if renewing:
        cancel = pd if contract else 0.0
        p_stay, p_buy, p_after = renewal_odds(pw, r, cancel)
        p_days = (p_buy + p_after) * renew_jumps
    else:
        p_stay, p_buy, p_after, p_days = purchase_odds(h, q, dt, h_after, q_after)
    u[0] = p_stay
    u[1] = 1.0 - p_stay - p_buy - p_after
    u[2] = p_days * ords
    # purchases per buyer: a renewal's are its own (p_days / (p_buy + p_after), but for
    # the last bit, and without weight where nobody buys)
    jumps = renew_jumps if renewing else p_days / max(p_buy + p_after, 1e-300)
    if contract:
        keep = 1.0
    elif jumps == pw[3]:
        keep = pw[4]
    else:
        keep = (1.0 - pd) ** max(jumps, 1.0)
        pw[3], pw[4] = jumps, keep
    u[3] = p_buy * (1.0 - keep) + p_after
    jc = 1.0 if np.isnan(jumps) else min(max(jumps, 1.0), float(MAX_JUMP))
    low = np.floor(jc)
    frac = jc - low
    for m in range(1, MAX_JUMP + 1):
        split = (1.0 - frac if low == m else 0.0) + (frac if low == m - 1 else 0.0)
        u[3 + m] = p_buy * keep * split


@njit(cache=True, error_model="numpy")
def _cell(c, wk, active, lapsed, churned, shares, back, rows):
    """A cell's rows: its routes' units weighted by the routes' shares (orders kept by
    route: they are priced by stage); the active route's buyers join group 0, the
    lapsed and churned routes' group `back`."""
    for row in (STAY, DIED, DROPOUT):
        u = row if row != DROPOUT else 3
        rows[c, wk, row] = (shares[0] * active[u] + shares[1] * lapsed[u]
                            + shares[2] * churned[u])
    rows[c, wk, ORDERS] = shares[0] * active[2]
    rows[c, wk, ORDERS + 1] = shares[1] * lapsed[2]
    rows[c, wk, ORDERS + 2] = shares[2] * churned[2]
    for m in range(MAX_JUMP):
        mine = shares[0] * active[4 + m]
        others = shares[1] * lapsed[4 + m] + shares[2] * churned[4 + m]
        if back:
            rows[c, wk, MOVES + m] = mine
            rows[c, wk, MOVES + MAX_JUMP + m] = others
        else:
            rows[c, wk, MOVES + m] = mine + others
            rows[c, wk, MOVES + MAX_JUMP + m] = 0.0


@njit(cache=True, error_model="numpy")
def class_coefs(v, j, tab, inp, i, rows):
    """Rows (C, W x K, N_ROWS) of class j of variant v under the step inputs i. Routes
    (the active one of each group w, then lapsed and churned, which no group changes)
    are worked out once per count and silence, and again along the silence only when
    their inputs change (most classes' do not)."""
    hazard, stage_a, won_back, renewing, contract, pdrop, w_l, w_c = tab
    q_a, q_l, q_c, renew_a, renew_l, renew_c, orders, jumps_r, days, _ = inp
    W, C, K = q_a.shape[3:]
    dt = days[i]
    units, shares = np.zeros((W + 2, 4 + MAX_JUMP)), np.zeros(3)
    seen, pw = np.zeros((W + 2, 2)), np.zeros((W + 2, 5))
    ren, con, pd, jr = renewing[j], contract[j], pdrop[v, j], jumps_r[i, v, j]
    ords = 1.0 if ren else orders[i, v, j]
    for c in range(C):
        up = min(c + 1, C - 1)
        h_up, h_back = hazard[v, stage_a[0, up]], hazard[v, stage_a[1, c]]
        q_up = q_a[i, v, j, 0, up, 0]
        q_back = q_a[i, v, j, 1, c, 0] if won_back else q_up
        for k in range(K):
            for p in range(W + 2):
                if p < W:
                    q, r, st = q_a[i, v, j, p, c, k], renew_a[i, v, j, p, c, k], stage_a[p, c]
                elif p == W:
                    q, r, st = q_l[i, v, j, k], renew_l[i, v, j, k], LAPSED
                else:
                    q, r, st = q_c[i, v, j, k], renew_c[i, v, j, k], CHURNED
                if k > 0 and q == seen[p, 0] and r == seen[p, 1]:
                    continue
                seen[p, 0], seen[p, 1] = q, r
                h_after, q_after = (h_up, q_up) if p < W else (h_back, q_back)
                if k == 0:
                    if ren:
                        renewal_powers(pw[p], hazard[v, st], dt, h_after)
                    pw[p, 3] = np.nan
                _unit(units[p], pw[p], hazard[v, st], q, r, h_after, q_after, jr, ords, pd,
                      con, ren, dt)
            shares[0] = 1.0 - w_l[j, k]
            shares[1] = w_l[j, k] - w_c[j, k]
            shares[2] = w_c[j, k]
            for w in range(W):
                _cell(c, w * K + k, units[w], units[W], units[W + 1], shares, won_back, rows)


@njit(cache=True, error_model="numpy")
def _buyers(x, rows, stage_a, age, new, died_k, f):
    """The buyers' part of a class's step: stays and moves into `new`, deaths without
    a purchase into `died_k`, orders by stage then the dropout into `f`; returns the
    buyers' number. The rows' sums are local scalars (unrolled for MAX_JUMP = 4):
    kept in registers, twice as fast as an array."""
    W, C, K = x.shape
    to = 1 if age else 0
    total = 0.0
    for c in range(C):
        o_l = o_c = drop = g0 = g1 = g2 = g3 = b0 = b1 = b2 = b3 = 0.0
        for w in range(W):
            o_a = 0.0
            for k in range(K):
                xv = x[w, c, k]
                if xv == 0.0:
                    continue
                total += xv
                wk = w * K + k                 # no view of the row: no reference count
                o_a += rows[c, wk, 2] * xv
                o_l += rows[c, wk, 3] * xv
                o_c += rows[c, wk, 4] * xv
                drop += rows[c, wk, 5] * xv
                g0 += rows[c, wk, 6] * xv
                g1 += rows[c, wk, 7] * xv
                g2 += rows[c, wk, 8] * xv
                g3 += rows[c, wk, 9] * xv
                b0 += rows[c, wk, 10] * xv
                b1 += rows[c, wk, 11] * xv
                b2 += rows[c, wk, 12] * xv
                b3 += rows[c, wk, 13] * xv
                died_k[k] += xv * rows[c, wk, DIED]
                new[w, c, min(k + to, K - 1)] += xv * rows[c, wk, STAY]
            f[stage_a[w, c]] += o_a
        f[LAPSED] += o_l
        f[CHURNED] += o_c
        f[N_STAGES] += drop
        for g, (m0, m1, m2, m3) in enumerate(((g0, g1, g2, g3), (b0, b1, b2, b3))):
            new[g, min(c + 1, C - 1), 0] += m0
            new[g, min(c + 2, C - 1), 0] += m1
            new[g, min(c + 3, C - 1), 0] += m2
            new[g, min(c + 4, C - 1), 0] += m3
    return total


@njit(cache=True, error_model="numpy")
def class_step(x, dead, leads, rows, lead, stage_a, nat, age, days, act_alive, act_dead,
               new, new_dead, scratch, out):
    """One step of one class of one variant: `new`, `new_dead` filled from x, dead;
    its outputs added to `out` (N_OUT); the leads left returned. lead: stay, the first
    purchase's count jump (MAX_JUMP), dropout, orders, buyers of a lead."""
    W, C, K = x.shape
    died_k, by_k, f = scratch[0, :K], scratch[1, :K], scratch[2, :N_STAGES + 1]
    new[:] = 0.0
    new_dead[:] = 0.0
    died_k[:] = 0.0
    by_k[:] = 0.0
    f[:] = 0.0
    buyers = _buyers(x, rows, stage_a, age, new, died_k, f)
    for k in range(K):
        new_dead[min(k + 1, K - 1) if age else k] += dead[k] + died_k[k]
    new_dead[0] += f[N_STAGES]
    left = leads
    if leads != 0.0:
        for m in range(MAX_JUMP):
            new[0, min(m, C - 1), 0] += leads * lead[1 + m]
        new_dead[0] += leads * lead[1 + MAX_JUMP]
        out[POTENTIAL] += leads * lead[2 + MAX_JUMP]
        out[FIRST] += leads * lead[3 + MAX_JUMP]
        left = leads * lead[0] * nat
    out[PREMATURE] += f[N_STAGES] + died_k.sum()
    for w in range(W):
        for c in range(C):
            for k in range(K):
                by_k[k] += new[w, c, k]
                new[w, c, k] *= nat
    for k in range(K):
        out[NATURAL] += by_k[k] * (1.0 - nat)
        new_dead[k] += by_k[k] * (1.0 - nat)
        out[ACTIVE] += by_k[k] * nat * act_alive[k] + new_dead[k] * act_dead[k]
        out[ALIVE] += by_k[k] * nat
    for n in range(N_STAGES):
        out[n] += f[n]
    out[ALIVE] += left
    out[BUYER_DAYS] += buyers * days
    return left


@njit(cache=True, error_model="numpy")
def run_kernel(tab, inp, which, nats, ages, x0, dead0, leads0, act_alive, act_dead):
    """Steps `which` (the step inputs of each), class by class, so that a class's
    coefficients stay in cache over all its steps: (outputs (S, V, N_OUT), buyers,
    dead, leads at the end). tab: Tables' arrays; inp: the step inputs stacked
    (q_a, q_l, q_c, renew_a, renew_l, renew_c, orders, jumps_r, days, lead)."""
    V, J, W, C, K = x0.shape
    n, S, lead = inp[8].shape[0], which.shape[0], inp[9]
    out = np.zeros((S, V, N_OUT))
    x_end, dead_end, leads_end = np.empty_like(x0), np.empty_like(dead0), leads0.copy()
    rows = np.empty((n, C, W * K, N_ROWS))
    x, new = np.empty((W, C, K)), np.empty((W, C, K))
    dead, new_dead = np.empty(K), np.empty(K)
    scratch = np.zeros((3, max(N_STAGES + 1, K)))
    for v in range(V):
        for j in range(J):
            for i in range(n):
                class_coefs(v, j, tab, inp, i, rows[i])
            x[:] = x0[v, j]
            dead[:] = dead0[v, j]
            leads = leads0[v, j]
            for s in range(S):
                i = which[s]
                leads = class_step(x, dead, leads, rows[i], lead[i, :, v, j], tab[1],
                                   nats[s], ages[s], inp[8][i], act_alive[j], act_dead[j],
                                   new, new_dead, scratch, out[s, v])
                x, new = new, x
                dead, new_dead = new_dead, dead
            x_end[v, j] = x
            dead_end[v, j] = dead
            leads_end[v, j] = leads
    return out, x_end, dead_end, leads_end
