"""Who needs a stimulus: the targeting score of a differentiated offer.

An offer pays where it converts someone who would not have bought (incremental) and
costs where it discounts someone who would have bought anyway. So the customers who
*need* a stimulus are those latently alive who are unlikely to buy in the offer's
window on their own: need = alive x (1 - own purchase probability in the window), the
own probability coming from the same behaviour model the funnel runs (rate, stage,
multipliers; for recurrent demand, whether the need recurs within the window).

A real CRM only predicts this. `precision` says how well: the score is
precision x rank(need) + (1 - precision) x noise, both uniform on [0, 1] (the noise a
stream draw per customer and offer day), so 1 is a perfect propensity model, 0 a
random pick, and values between a model of that quality.
"""

import numpy as np
from numba import njit

from models.funnel_kernel import D_B, P_RATE_ADD
from models.stages import ALIVE, BUY, RECURRENT
from sim.streams import mix, uniform64


@njit(cache=True)
def need(idx, day, window, flags, stage, dtype, lam, rel_buy, due, stage_tab, dem_tab, par,
         out):
    """Need of customers `idx` for a stimulus over the next `window` days."""
    for j in range(idx.size):
        i = idx[j]
        if (flags[i] & ALIVE) == 0:
            out[j] = 0.0
            continue
        s = stage[i]
        if dtype[i] == RECURRENT:
            own = 0.0
            if due[i] - day < window:
                own = min(1.0, dem_tab[RECURRENT, D_B] * stage_tab[s, BUY] * rel_buy[i])
        else:
            rate = (lam[i] + par[P_RATE_ADD]) * stage_tab[s, BUY] * rel_buy[i]
            own = 1.0 - np.exp(-rate * window)
        out[j] = 1.0 - own


@njit(cache=True)
def noise(idx, key, kh, out):
    """A uniform per customer of `idx`, from the stream `key`."""
    for j in range(idx.size):
        out[j] = uniform64(mix(kh[idx[j]] ^ key))


def scores(need_values: np.ndarray, noise_values: np.ndarray, precision: float) -> np.ndarray:
    """precision x rank(need) + (1 - precision) x noise (ranks scaled to [0, 1]; ties
    broken by the noise so that equal needs are picked at random)."""
    n = need_values.size
    if n == 0:
        return need_values
    order = np.lexsort((noise_values, need_values))
    rank = np.empty(n, dtype=np.float64)
    rank[order] = np.arange(n) / max(1, n - 1)
    return precision * rank + (1.0 - precision) * noise_values
