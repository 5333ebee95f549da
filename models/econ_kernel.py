"""The economic model's hot loops, compiled: a step's transition coefficients and the
step itself, cell by cell.

As numpy expressions over the whole grid each step cost some thirty array passes of
a few thousand cells, most of the time spent in call overhead and temporaries; here a
cell is computed once, only the branch that applies (purchase or renewal) is
evaluated, and the powers shared by a step's formulas are taken once. The numpy forms
they replace are kept as the reference in the tests (`tests/models/econ_reference.py`).

Rows of a cell's coefficients (`rows[v, j, c, w * K + k, row]`): revenue, margin,
orders, dropout after buying, then the buyers of each move (group g, count + m + 1)
at row N_FLOWS + g * MAX_JUMP + m; `used` marks the moves that happen at all.
"""

import numpy as np
from numba import njit

from models.stages import CHURNED, LAPSED

MAX_JUMP = 4        # most purchases a customer may add to the count within one step
N_FLOWS = 4         # revenue, margin, orders, dropout after buying
N_ROWS = N_FLOWS + 2 * MAX_JUMP
N_OUT = 9           # the per-variant flows of a step, in `econ_chain.Flows`' order


@njit(cache=True)
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


@njit(cache=True)
def renewal_powers(pw, h, dt, h_after):
    """The powers of a renewal step that do not depend on the due day's probability
    (so a route along its silence takes them once): into pw[:3]."""
    pw[0] = (1.0 - h) ** (0.5 * dt)
    pw[1] = (1.0 - h) ** dt
    pw[2] = (1.0 - h_after) ** (0.5 * dt)


@njit(cache=True)
def renewal_odds(pw, p, cancel):
    """`econ_chain.renewal_odds` of one cell from its `renewal_powers`: (stay, buy,
    died after buying)."""
    bought = pw[0] * p * (1.0 - cancel)
    return pw[1] * (1.0 - p), bought * pw[2], bought * (1.0 - pw[2])


@njit(cache=True)
def _unit(u, pw, h, q, r, pay, marg, h_after, q_after, renew_jumps, ords, pd, contract,
          renewing, dt):
    """A route's coefficients per unit of its share, into `u`: stay, died, revenue,
    margin, orders, dropout after buying, then the buyers by count jump. pw: the
    route's renewal powers, then its last (jumps, keep), reused while they hold."""
    if renewing:
        cancel = pd if contract else 0.0
        p_stay, p_buy, p_after = renewal_odds(pw, r, cancel)
        p_days = (p_buy + p_after) * renew_jumps
    else:
        p_stay, p_buy, p_after, p_days = purchase_odds(h, q, dt, h_after, q_after)
    u[0] = p_stay
    u[1] = 1.0 - p_stay - p_buy - p_after
    u[4] = p_days * ords
    u[2] = u[4] * pay
    u[3] = u[4] * marg
    jumps = p_days / max(p_buy + p_after, 1e-300)
    if contract:
        keep = 1.0
    elif jumps == pw[3]:
        keep = pw[4]
    else:
        keep = (1.0 - pd) ** max(jumps, 1.0)
        pw[3], pw[4] = jumps, keep
    u[5] = p_buy * (1.0 - keep) + p_after
    jc = 1.0 if np.isnan(jumps) else min(max(jumps, 1.0), float(MAX_JUMP))
    low = np.floor(jc)
    frac = jc - low
    for m in range(1, MAX_JUMP + 1):
        split = (1.0 - frac if low == m else 0.0) + (frac if low == m - 1 else 0.0)
        u[5 + m] = p_buy * keep * split


@njit(cache=True)
def _cell(v, j, w, c, k, parts, shares, back, stay, died, rows):
    """A cell's coefficients: its routes' units (active, lapsed, churned: `parts`)
    weighted by the routes' shares; the active route's buyers join group 0, the
    others' group `back`."""
    K = stay.shape[4]
    wk = w * K + k
    stay[v, j, w, c, k] = (shares[0] * parts[0, 0] + shares[1] * parts[1, 0]
                           + shares[2] * parts[2, 0])
    died[v, j, w, c, k] = (shares[0] * parts[0, 1] + shares[1] * parts[1, 1]
                           + shares[2] * parts[2, 1])
    for row in range(N_FLOWS):
        rows[v, j, c, wk, row] = (shares[0] * parts[0, 2 + row] + shares[1] * parts[1, 2 + row]
                                  + shares[2] * parts[2, 2 + row])
    for m in range(MAX_JUMP):
        rows[v, j, c, wk, N_FLOWS + m] = shares[0] * parts[0, 6 + m]
        for p in range(1, 3):
            rows[v, j, c, wk, N_FLOWS + back * MAX_JUMP + m] += shares[p] * parts[p, 6 + m]


@njit(cache=True)
def coefs_kernel(dt, hazard, paid, margin, stage_a, won_back, renewing, contract, pdrop,
                 w_lapsed, w_churned, q_a, q_l, q_c, renew_a, renew_l, renew_c, orders,
                 jumps_r):
    """(stay, died, rows, used) of one step of `dt` days; arguments as `econ_chain.coefs`
    reads them from its Tables and StepInputs (renewing, contract: per class). A
    route's unit is recomputed only when its inputs change along the silence (most
    classes' do not)."""
    V, J, W, C, K = q_a.shape
    stay, died = np.zeros((V, J, W, C, K)), np.zeros((V, J, W, C, K))
    rows = np.zeros((V, J, C, W * K, N_ROWS))
    parts, shares, seen = np.zeros((3, 6 + MAX_JUMP)), np.zeros(3), np.zeros((3, 2))
    pw = np.zeros((3, 5))
    back = 1 if won_back else 0
    for v in range(V):
        for j in range(J):
            ren, con, pd, jr = renewing[j], contract[j], pdrop[v, j], jumps_r[v, j]
            ords = 1.0 if ren else orders[v, j]
            for w in range(W):
                for c in range(C):
                    s, up = stage_a[w, c], min(c + 1, C - 1)
                    h_up, h_back = hazard[v, stage_a[0, up]], hazard[v, stage_a[1, c]]
                    q_up = q_a[v, j, 0, up, 0]
                    q_back = q_a[v, j, 1, c, 0] if won_back else q_up
                    for k in range(K):
                        for p in range(3):
                            if p == 0:
                                q, r, st = q_a[v, j, w, c, k], renew_a[v, j, w, c, k], s
                            elif p == 1:
                                q, r, st = q_l[v, j, 0, 0, k], renew_l[v, j, 0, 0, k], LAPSED
                            else:
                                q, r, st = q_c[v, j, 0, 0, k], renew_c[v, j, 0, 0, k], CHURNED
                            if k > 0 and q == seen[p, 0] and r == seen[p, 1]:
                                continue
                            seen[p, 0], seen[p, 1] = q, r
                            h_after = h_up if p == 0 else h_back
                            if k == 0:
                                if ren:
                                    renewal_powers(pw[p], hazard[v, st], dt, h_after)
                                pw[p, 3] = np.nan
                            _unit(parts[p], pw[p], hazard[v, st], q, r, paid[v, st],
                                  margin[v, st], h_after, q_up if p == 0 else q_back, jr,
                                  ords, pd, con, ren, dt)
                        shares[0] = 1.0 - w_lapsed[j, k]
                        shares[1] = w_lapsed[j, k] - w_churned[j, k]
                        shares[2] = w_churned[j, k]
                        _cell(v, j, w, c, k, parts, shares, back, stay, died, rows)
    used = np.zeros(2 * MAX_JUMP, dtype=np.bool_)
    for m in range(2 * MAX_JUMP):
        used[m] = np.any(rows[..., N_FLOWS + m] != 0.0)
    return stay, died, rows, used


@njit(cache=True)
def _buyers(x, dead, stay, died, rows, used, new, new_dead, age):
    """The buyers' part of a step: moves, stays and deaths into `new` and `new_dead`;
    returns the four flows (per v, j) and the deaths without a purchase (v, j, k)."""
    V, J, W, C, K = x.shape
    flows = np.zeros((N_FLOWS, V, J))
    died_k = np.zeros((V, J, K))
    acc = np.zeros(N_ROWS)
    for v in range(V):
        for j in range(J):
            for c in range(C):
                acc[:] = 0.0
                for w in range(W):
                    for k in range(K):
                        xv = x[v, j, w, c, k]
                        if xv == 0.0:
                            continue
                        for row in range(N_ROWS):     # contiguous: vectorised
                            acc[row] += rows[v, j, c, w * K + k, row] * xv
                        died_k[v, j, k] += xv * died[v, j, w, c, k]
                        to = min(k + 1, K - 1) if age else k
                        new[v, j, w, c, to] += xv * stay[v, j, w, c, k]
                for row in range(N_FLOWS):
                    flows[row, v, j] += acc[row]
                for g in range(2):
                    for m in range(MAX_JUMP):
                        if used[g * MAX_JUMP + m]:
                            new[v, j, g, min(c + m + 1, C - 1), 0] += \
                                acc[N_FLOWS + g * MAX_JUMP + m]
            for k in range(K):
                to = min(k + 1, K - 1) if age else k
                new_dead[v, j, to] += dead[v, j, k] + died_k[v, j, k]
            new_dead[v, j, 0] += flows[3, v, j]
    return flows, died_k


@njit(cache=True)
def _leads(leads, lead, new, new_dead, nat, out):
    """The leads' part of a step (no purchase yet: no count or silence); `lead` rows:
    stay, the first purchase's count jump (MAX_JUMP), dropout, revenue, margin,
    orders, buyers. Returns the leads left."""
    V, J = leads.shape
    C = new.shape[3]
    if not np.any(leads != 0.0):
        return leads.copy()
    left = np.empty_like(leads)
    for v in range(V):
        for j in range(J):
            n = leads[v, j]
            for m in range(MAX_JUMP):
                new[v, j, 0, min(m, C - 1), 0] += n * lead[1 + m, v, j]
            new_dead[v, j, 0] += n * lead[1 + MAX_JUMP, v, j]
            out[0, v] += n * lead[2 + MAX_JUMP, v, j]
            out[1, v] += n * lead[3 + MAX_JUMP, v, j]
            out[2, v] += n * lead[4 + MAX_JUMP, v, j]
            out[3, v] += n * lead[5 + MAX_JUMP, v, j]
            left[v, j] = n * lead[0, v, j] * nat
    return left


@njit(cache=True)
def step_kernel(x, dead, leads, stay, died, rows, used, lead, nat, age, days,
                active_alive, active_dead):
    """One step of the chain: (buyers, dead, leads, flows (N_OUT, V)) after it, the
    flows in `econ_chain.Flows`' order."""
    V, J, W, C, K = x.shape
    new = np.zeros_like(x)
    new_dead = np.zeros_like(dead)
    flows, died_k = _buyers(x, dead, stay, died, rows, used, new, new_dead, age)
    out = np.zeros((N_OUT, V))
    left = _leads(leads, lead, new, new_dead, nat, out)    # rows 0-3: the leads' flows
    for v in range(V):
        for j in range(J):
            out[6, v] += flows[3, v, j]
            for k in range(K):
                out[6, v] += died_k[v, j, k]
                by_k = 0.0
                for w in range(W):
                    for c in range(C):
                        by_k += new[v, j, w, c, k]
                        new[v, j, w, c, k] *= nat
                out[7, v] += by_k * (1.0 - nat)
                new_dead[v, j, k] += by_k * (1.0 - nat)
                out[4, v] += by_k * nat * active_alive[j, k]
                out[4, v] += new_dead[v, j, k] * active_dead[j, k]
                out[5, v] += by_k * nat
            for n in range(N_FLOWS - 1):
                out[n, v] += flows[n, v, j]
            out[5, v] += left[v, j]
            for w in range(W):
                for c in range(C):
                    for k in range(K):
                        out[8, v] += x[v, j, w, c, k] * days
    return new, new_dead, left, out
