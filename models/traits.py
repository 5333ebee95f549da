"""Latent traits drawn once per customer: a plain number or a distribution.

A trait is encoded as three floats (kind, a, b) so kernels can draw it without Python
objects: kind 0 is a constant `a`, 1 Gamma(shape a, rate b), 2 Beta(a, b),
3 Uniform(a, b). A plain number everywhere lets closed forms be checked exactly.
"""

import numpy as np
from numba import njit

from sim.streams import gamma_shape, gamma_unit, nth, uniform64

CONSTANT, GAMMA, BETA, UNIFORM = 0, 1, 2, 3


def encode(kind: int, a: float, b: float = 0.0) -> np.ndarray:
    return np.array([kind, a, b], dtype=np.float64)


def mean(trait: np.ndarray) -> float:
    kind, a, b = int(trait[0]), trait[1], trait[2]
    if kind == CONSTANT:
        return a
    if kind == GAMMA:
        return a / b
    if kind == BETA:
        return a / (a + b)
    return 0.5 * (a + b)


@njit(cache=True)
def shapes(trait):
    """What every draw of a trait shares: the forms (`sim.streams.gamma_shape`, a square
    root and divisions) of its Gamma's shape, or of its Beta's two Gammas. A kernel that
    draws one trait for many customers works them out once."""
    kind = int(trait[0])
    a = trait[1] if kind == GAMMA or kind == BETA else 1.0
    b = trait[2] if kind == BETA else 1.0
    return gamma_shape(a), gamma_shape(b)


@njit(cache=True)
def draw(h, trait, forms):
    """One draw of an encoded trait from hash h; `forms`: its `shapes`. The same numbers
    as `sim.streams.gamma` and `beta` of the trait's parameters."""
    kind = int(trait[0])
    if kind == CONSTANT:
        return trait[1]
    if kind == GAMMA:
        return gamma_unit(h, forms[0]) / trait[2]
    if kind == BETA:
        x = gamma_unit(nth(h, 0), forms[0])
        y = gamma_unit(nth(h, 1), forms[1])
        return x / (x + y)
    return trait[1] + (trait[2] - trait[1]) * uniform64(h)
