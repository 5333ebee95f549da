"""Trait classes of the economic model: each trait distribution cut into a few classes.

The simulator draws a purchase rate and a dropout probability per customer; the
economic model follows a handful of classes instead, each with its share of the
customers and one value: the conditional mean of the trait inside an interval, so the
mean of the trait is kept exactly. The intervals are equal-probability intervals of the
trait over everyone the model follows: the day-0 base, whose traits are drawn from the
posterior given each customer's history (Gamma(r + x, alpha + T), Beta(a, b + x)),
pooled with the arrivals, who keep the prior.
"""

import numpy as np
from scipy.special import betainc, gammainc

from models.traits import BETA, CONSTANT, GAMMA, UNIFORM

GRID = 240          # points of the pooled distribution function


def _cdf(kind: int, a, b, x):
    """P(X <= x) of Gamma(shape a, rate b) or Beta(a, b), broadcast."""
    if kind == GAMMA:
        return gammainc(a, b * x)
    return betainc(a, b, np.clip(x, 0.0, 1.0))


def _partial_mean(kind: int, a, b, x):
    """E[X 1{X <= x}]: the first incomplete moment (a Gamma(a + 1) or Beta(a + 1, b)
    distribution function times the mean)."""
    if kind == GAMMA:
        return a / b * gammainc(a + 1.0, b * x)
    return a / (a + b) * betainc(a + 1.0, b, np.clip(x, 0.0, 1.0))


def classes(trait: np.ndarray, n: int, comps=None):
    """(values, masses) of n classes of an encoded trait; `comps` (a, b, weight) arrays
    of Gamma or Beta components replace the trait's own parameters (the pooled
    population). masses has one row per component and sums to its weight."""
    kind, a, b = int(trait[0]), float(trait[1]), float(trait[2])
    if kind == CONSTANT or n == 1 and kind != UNIFORM:
        mean = a if kind == CONSTANT else (a / b if kind == GAMMA else a / (a + b))
        if comps is None:
            return np.array([mean]), np.ones((1, 1))
        ca, cb, w = comps
        means = ca / cb if kind == GAMMA else ca / (ca + cb)
        value = (w * means).sum() / w.sum() if kind != CONSTANT else mean
        return np.array([value]), w[:, None].copy()
    if kind == UNIFORM:
        edges = np.linspace(a, b, n + 1)
        return 0.5 * (edges[1:] + edges[:-1]), np.full((1, n), 1.0 / n)
    if comps is None:
        comps = (np.array([a]), np.array([b]), np.array([1.0]))
    ca, cb, w = (np.asarray(v, dtype=np.float64)[:, None] for v in comps)
    top = (ca / cb * (1.0 + 12.0 / np.sqrt(ca))).max() if kind == GAMMA else 1.0
    grid = np.concatenate([[0.0], np.geomspace(top * 1e-7, top, GRID)])
    pooled = (w * _cdf(kind, ca, cb, grid)).sum(axis=0) / w.sum()
    edges = np.interp(np.arange(1, n) / n, pooled, grid)
    edges = np.concatenate([[0.0], edges, [np.inf if kind == GAMMA else 1.0]])
    mass = np.diff(_cdf(kind, ca, cb, edges), axis=1) * w
    first = np.diff(_partial_mean(kind, ca, cb, edges), axis=1) * w
    total = mass.sum(axis=0)
    values = np.where(total > 0, first.sum(axis=0) / np.maximum(total, 1e-300),
                      0.5 * (edges[:-1] + np.minimum(edges[1:], top)))
    return values, mass
