"""The Pareto/NBD (Schmittlein, Morrison & Colombo 1987), the BG/NBD's older sibling.

Purchases are Poisson(lambda) with lambda ~ Gamma(r, alpha) while alive, as in the
BG/NBD; a customer's lifetime is exponential with rate mu ~ Gamma(s, beta), so dropout
can happen at any time rather than only after a purchase. The likelihood follows Fader,
Hardie & Lee, "A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005,
brucehardie.com/notes/009/), eq. (22) with the 2F1 form of A0; CDNOW's 39-week fit is
r=0.55, alpha=10.58, s=0.61, beta=11.67, LL=-9595.0 (FHL 2005a, table 1).
Times are in whatever unit the rates use.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1, logsumexp


def _pairs(x, t):
    """Unique (x, t) pairs and the index of each row: 2F1 is costly, the pairs few."""
    pairs, inverse = np.unique(np.stack([x, t]), axis=1, return_inverse=True)
    return pairs, inverse.ravel()


class ParetoNBDData:
    """(x, t_x, T) prepared once for many likelihood evaluations."""

    def __init__(self, x, t_x, age):
        self.x, self.t_x, self.age = (np.asarray(v, dtype=float) for v in (x, t_x, age))
        self.recent, self.recent_of = _pairs(self.x, self.t_x)
        self.aged, self.aged_of = _pairs(self.x, self.age)


def _log_a0(r, alpha, s, beta, d: ParetoNBDData):
    """log A0 of FHL's note eq. (22), through the pair tables."""
    if alpha >= beta:
        big, small_shift = alpha, lambda x: s + 1.0
    else:
        big, small_shift = beta, lambda x: r + x
    gap = abs(alpha - beta)

    def log_term(pairs, of):
        x, t = pairs
        rsx = r + s + x
        f = hyp2f1(rsx, small_shift(x), rsx + 1.0, gap / (big + t))
        return (np.log(f) - rsx * np.log(big + t))[of]

    rsx = r + s + d.x
    one = log_term(d.recent, d.recent_of)     # at t_x
    two = log_term(d.aged, d.aged_of)         # at T
    return logsumexp(np.stack([one, two]), axis=0, b=np.stack([np.ones_like(one),
                                                                -np.ones_like(two)]))


def _terms(r, alpha, s, beta, d: ParetoNBDData):
    """(log of the prefactor, log of the alive term, log of the A0 term) per customer."""
    x, age = d.x, d.age
    pre = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    with np.errstate(divide="ignore", invalid="ignore"):
        dead = np.log(s) - np.log(r + s + x) + _log_a0(r, alpha, s, beta, d)
    return pre, alive, dead


def log_likelihood_terms(params, d: ParetoNBDData) -> np.ndarray:
    r, alpha, s, beta = params
    pre, alive, dead = _terms(r, alpha, s, beta, d)
    return pre + np.logaddexp(alive, dead)


def prob_alive(params, d: ParetoNBDData) -> np.ndarray:
    r, alpha, s, beta = params
    _, alive, dead = _terms(r, alpha, s, beta, d)
    return np.exp(alive - np.logaddexp(alive, dead))


def _s1(s):
    return s - 1.0 if abs(s - 1.0) > 1e-9 else 1e-9


def expected_repeat(t, params):
    """E[X(t)] for a new customer: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]."""
    r, alpha, s, beta = params
    t = np.asarray(t, dtype=float)
    return r * beta / (alpha * _s1(s)) * (1.0 - (beta / (beta + t)) ** _s1(s))


def conditional_expected(t, params, d: ParetoNBDData) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: P(alive) times the alive customers' expectation."""
    r, alpha, s, beta = params
    x, age = d.x, d.age
    alive_mean = ((r + x) * (beta + age) / ((alpha + age) * _s1(s))
                  * (1.0 - ((beta + age) / (beta + age + t)) ** _s1(s)))
    return prob_alive(params, d) * alive_mean
