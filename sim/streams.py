"""Counter-based random streams.

A draw is a pure function of (seed, decision, customer key, day): no generator state
is carried from one call to the next. That is what makes results independent of the
thread count and of the order customers are processed in, and it gives common random
numbers for free: two strategies see the same draw for the same customer, day and
decision. The mixer is SplitMix64's finaliser; every function here is a numba kernel
so the day loop can call it per customer.

Usage inside a kernel::

    dk = day_key(seed_key, PURCHASE, day)          # once per day and decision
    u = uniform32(mix(kh[i] ^ dk))                 # one customer's draw
"""

import math
import zlib

import numpy as np
from numba import njit

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S40 = np.uint64(40)
_S12 = np.uint64(12)
_INV24 = np.float32(1.0 / (1 << 24))
_INV52 = 1.0 / float(1 << 52)
SQUEEZE_GUARD = 1e-12


def decision(name: str) -> np.uint64:
    """Stable 64-bit id of a named decision (the same in every process and run)."""
    return np.uint64(zlib.crc32(name.encode()) | (zlib.adler32(name.encode()) << 32))


@njit(cache=True, inline="always")
def mix(z):
    """SplitMix64 finaliser: a bijective 64-bit mixer with full avalanche."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def day_key(seed_key, decision_id, day):
    """Key of one decision on one day, combined with a customer key by XOR then mix."""
    return mix(seed_key ^ mix(decision_id + np.uint64(day) * _GOLDEN))


@njit(cache=True, inline="always")
def nth(h, j):
    """The j-th further value derived from hash h (for draws that need several)."""
    return mix(h + np.uint64(j + 1) * _GOLDEN)


@njit(cache=True, inline="always")
def uniform32(h):
    """Uniform on [0, 1) with 24 bits: enough for event tests, and vectorises."""
    return np.float32(h >> _S40) * _INV24


@njit(cache=True, inline="always")
def uniform64(h):
    """Uniform on (0, 1) with 52 bits: the grid's midpoints, never exactly 0 or 1."""
    return (np.float64(h >> _S12) + 0.5) * _INV52


def _ziggurat(layers, r, v):
    """Right ends x[0..layers] of the normal ziggurat's layers of area v each (x[0]: the
    base layer's width v / f(r), x[1] = r, x[layers] = 0) and the share of each layer
    that lies under the density (x[i + 1] / x[i]); f(x) = exp(-x^2 / 2). In `math`, so
    any plain-Python copy gets the same bits."""
    x = [0.0] * (layers + 1)
    f = math.exp(-0.5 * r * r)
    x[0], x[1] = v / f, r
    for i in range(2, layers):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    inner = [x[i + 1] / x[i] for i in range(layers)]
    return np.array(x), np.array(inner)


# 128 layers: r and v of Marsaglia & Tsang (2000) as Doornik (2005) gives them.
_ZIG_R = 3.442619855899
_ZIG_X, _ZIG_INNER = _ziggurat(128, _ZIG_R, 9.91256303526217e-3)
_LAYER = np.uint64(127)


@njit(cache=True)
def normal(h):
    """Standard normal by the ziggurat (Marsaglia & Tsang 2000; 128 layers, Doornik's
    2005 form): attempt j reads one value (h itself, then nth(h, 2j)), its low 7 bits
    a layer and its high 52 bits a uniform u in (-1, 1). Inside the layer's part under
    the density (97% of attempts: the layers' mean share) u x[layer] is the draw, with
    no logarithm and no cosine. Else the wedge is tested with a second value,
    nth(h, 2j + 1), or the tail beyond r is drawn from it (Marsaglia's method)."""
    j = 0
    while True:
        g = h if j == 0 else nth(h, 2 * j)
        layer = g & _LAYER
        u = 2.0 * uniform64(g) - 1.0
        if abs(u) < _ZIG_INNER[layer]:
            return u * _ZIG_X[layer]
        e = nth(h, 2 * j + 1)
        if layer == 0:
            return _normal_tail(e, u < 0.0)
        x = u * _ZIG_X[layer]
        f0 = np.exp(-0.5 * (_ZIG_X[layer] * _ZIG_X[layer] - x * x))
        f1 = np.exp(-0.5 * (_ZIG_X[layer + 1] * _ZIG_X[layer + 1] - x * x))
        if f1 + uniform64(e) * (f0 - f1) < 1.0:
            return x
        j += 1


@njit(cache=True)
def _normal_tail(e, negative):
    """A normal draw beyond the ziggurat's r (or below -r): r + a / r with a ~ Exp(1)
    accepted when b ~ Exp(1) has 2 b >= (a / r)^2; try k reads nth(e, 2k), nth(e, 2k+1)."""
    k = 0
    while True:
        x = np.log(uniform64(nth(e, 2 * k))) / _ZIG_R
        y = np.log(uniform64(nth(e, 2 * k + 1)))
        if -2.0 * y >= x * x:
            return x - _ZIG_R if negative else _ZIG_R - x
        k += 1


@njit(cache=True, inline="always")
def gamma(h, shape, rate):
    """Gamma(shape, rate): `gamma_unit` of the shape, over the rate."""
    return gamma_unit(h, gamma_shape(shape)) / rate


@njit(cache=True, inline="always")
def gamma_shape(shape):
    """What every Gamma draw of one shape shares: (1 / shape below 1, else 0; Marsaglia
    and Tsang's d and c; the squeeze's top). A kernel drawing many of one shape works it
    out once, rather than a square root and two divisions per draw."""
    a = shape
    inv = 0.0
    if a < 1.0:
        inv = 1.0 / a
        a += 1.0
    d = a - 1.0 / 3.0
    return inv, d, 1.0 / np.sqrt(9.0 * d), 1.0 - SQUEEZE_GUARD * (1.0 + d)


@njit(cache=True)
def gamma_unit(h, form):
    """Gamma(shape, 1) by Marsaglia-Tsang, the shape given by its `gamma_shape`; shape
    < 1 by the U**(1/shape) boost.

    Each rejection attempt uses fresh values derived from h, so the draw stays a pure
    function of h. Most attempts are accepted by the squeeze u < 1 - 0.0331 x^4, which
    lies inside the log test's region (Marsaglia & Tsang 2000, for every d >= 2/3) and
    saves its two logarithms. The squeeze is narrowed by 1e-12 (1 + d), far more than
    the log test's rounding error, so it never accepts an attempt the log test would
    reject: the draws are exactly those of the log test alone.
    """
    inv, d, c, squeeze_top = form
    boost = 1.0
    if inv > 0.0:
        boost = uniform64(nth(h, 1000)) ** inv
    j = 0
    while True:
        x = normal(nth(h, 2 * j))
        v = 1.0 + c * x
        if v > 0.0:
            v = v * v * v
            u = uniform64(nth(h, 2 * j + 1))
            x2 = x * x
            if u < squeeze_top - 0.0331 * x2 * x2:
                return boost * d * v
            if np.log(u) < 0.5 * x * x + d - d * v + d * np.log(v):
                return boost * d * v
        j += 1


@njit(cache=True)
def beta(h, a, b):
    """Beta(a, b) as X / (X + Y) of two gammas."""
    x = gamma(nth(h, 0), a, 1.0)
    y = gamma(nth(h, 1), b, 1.0)
    return x / (x + y)


@njit(cache=True)
def poisson_positive(h, lam):
    """Poisson(lam) conditioned on being at least 1, by inversion (lam is small)."""
    u = uniform64(h)
    p0 = np.exp(-lam)
    # P(K = k | K >= 1) = p0 lam^k / k! / (1 - p0)
    target = u * (1.0 - p0)
    k = 1
    pk = p0 * lam
    cum = pk
    while cum < target and k < 10_000:
        k += 1
        pk *= lam / k
        cum += pk
    return k


@njit(cache=True)
def poisson(h, lam):
    """Poisson(lam) by inversion (lam is small: items added to a basket)."""
    u = uniform64(h)
    pk = np.exp(-lam)
    cum = pk
    k = 0
    while cum < u and k < 10_000:
        k += 1
        pk *= lam / k
        cum += pk
    return k


@njit(cache=True)
def day_keys(seed_key, decisions, day):
    """Keys of several decisions on one day (for calling kernels from Python)."""
    out = np.empty(decisions.size, dtype=np.uint64)
    for j in range(decisions.size):
        out[j] = day_key(seed_key, decisions[j], day)
    return out


@njit(cache=True)
def keys_by_day(seed_key, decisions, days):
    """`day_keys` of every day of a run, one row a day: built once, so a module's daily
    keys cost a row lookup instead of a kernel call."""
    out = np.empty((days, decisions.size), dtype=np.uint64)
    for day in range(days):
        out[day] = day_keys(seed_key, decisions, day)
    return out
