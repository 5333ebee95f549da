"""Plain-Python references of the counter-based streams (sim/streams.py) and the trait
draws (models/traits.py), on Python ints masked to 64 bits: the other references and
the kernel tests draw through these."""

from __future__ import annotations

import math
import zlib

import numpy as np

from sim.streams import _ZIG_INNER as ZIG_INNER, _ZIG_R as ZIG_R, _ZIG_X as ZIG_X

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB

# ---------------------------------------------------------------- streams (sim/streams.py)


def decision(name: str) -> int:
    b = name.encode()
    return zlib.crc32(b) | (zlib.adler32(b) << 32)


def mix(z: int) -> int:
    """SplitMix64 finaliser on a Python int, masked to 64 bits."""
    z &= M64
    z = ((z ^ (z >> 30)) * M1) & M64
    z = ((z ^ (z >> 27)) * M2) & M64
    return z ^ (z >> 31)


def mix_np(z: np.ndarray) -> np.ndarray:
    """The same finaliser vectorised on uint64 arrays (numpy array arithmetic wraps)."""
    z = np.asarray(z, dtype=np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(M2)
    return z ^ (z >> np.uint64(31))


def day_key(seed_key: int, decision_id: int, day: int) -> int:
    return mix(int(seed_key) ^ mix(int(decision_id) + day * GOLDEN))


def nth(h: int, j: int) -> int:
    return mix(int(h) + (j + 1) * GOLDEN)


def uniform32(h: int) -> np.float32:
    """Top 24 bits over 2**24, as a float32 (exact)."""
    return np.float32((int(h) >> 40) / float(1 << 24))


def uniform32_np(h: np.ndarray) -> np.ndarray:
    return (h >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / (1 << 24))


def uniform64(h: int) -> float:
    return (float(int(h) >> 12) + 0.5) * (1.0 / float(1 << 52))


def uniform64_np(h: np.ndarray) -> np.ndarray:
    return ((h >> np.uint64(12)).astype(np.float64) + 0.5) * (1.0 / float(1 << 52))


def normal(h: int) -> float:
    """The ziggurat on the kernel's own tables (their construction is tested apart):
    attempt j's value is h, then nth(h, 2j): low 7 bits the layer, high bits u in
    (-1, 1); its second value nth(h, 2j + 1) tests the wedge or draws the tail."""
    j = 0
    while True:
        g = h if j == 0 else nth(h, 2 * j)
        layer = int(g) & 127
        u = 2.0 * uniform64(g) - 1.0
        x_i, x_next = float(ZIG_X[layer]), float(ZIG_X[layer + 1])
        if abs(u) < float(ZIG_INNER[layer]):
            return u * x_i
        e = nth(h, 2 * j + 1)
        if layer == 0:
            return _normal_tail(e, u < 0.0)
        x = u * x_i
        f0 = math.exp(-0.5 * (x_i * x_i - x * x))
        f1 = math.exp(-0.5 * (x_next * x_next - x * x))
        if f1 + uniform64(e) * (f0 - f1) < 1.0:
            return x
        j += 1


def _normal_tail(e: int, negative: bool) -> float:
    k = 0
    while True:
        x = math.log(uniform64(nth(e, 2 * k))) / ZIG_R
        y = math.log(uniform64(nth(e, 2 * k + 1)))
        if -2.0 * y >= x * x:
            return x - ZIG_R if negative else ZIG_R - x
        k += 1


def gamma(h: int, shape: float, rate: float) -> float:
    """Marsaglia-Tsang with the U**(1/shape) boost below shape 1; attempt j uses the
    values nth(h, 2j) (normal) and nth(h, 2j+1) (uniform), the boost nth(h, 1000)."""
    boost = 1.0
    a = float(shape)
    if a < 1.0:
        boost = uniform64(nth(h, 1000)) ** (1.0 / a)
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    j = 0
    while True:
        x = normal(nth(h, 2 * j))
        v = 1.0 + c * x
        if v > 0.0:
            v = v * v * v
            u = uniform64(nth(h, 2 * j + 1))
            if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
                return boost * d * v / float(rate)
        j += 1


def beta(h: int, a: float, b: float) -> float:
    x = gamma(nth(h, 0), a, 1.0)
    y = gamma(nth(h, 1), b, 1.0)
    return x / (x + y)


def poisson_positive(h: int, lam: float) -> int:
    """Smallest k >= 1 with P(1 <= K <= k) >= u * P(K >= 1), K ~ Poisson(lam)."""
    u = uniform64(h)
    p0 = math.exp(-lam)
    target = u * (1.0 - p0)
    k = 1
    pk = p0 * lam
    cum = pk
    while cum < target and k < 10_000:
        k += 1
        pk *= lam / k
        cum += pk
    return k


def poisson(h: int, lam: float) -> int:
    """Smallest k >= 0 with P(K <= k) >= u, K ~ Poisson(lam)."""
    u = uniform64(h)
    pk = math.exp(-lam)
    cum = pk
    k = 0
    while cum < u and k < 10_000:
        k += 1
        pk *= lam / k
        cum += pk
    return k


# ---------------------------------------------------------------- traits (models/traits.py)


def draw(h: int, trait) -> float:
    kind, a, b = int(trait[0]), float(trait[1]), float(trait[2])
    if kind == 0:
        return a
    if kind == 1:
        return gamma(h, a, b)
    if kind == 2:
        return beta(h, a, b)
    return a + (b - a) * uniform64(h)
