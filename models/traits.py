"""Latent traits drawn once per customer: a plain number or a distribution.

A trait is encoded as three floats (kind, a, b) so kernels can draw it without Python
objects: kind 0 is a constant `a`, 1 Gamma(shape a, rate b), 2 Beta(a, b),
3 Uniform(a, b). A plain number everywhere lets closed forms be checked exactly.
"""

import numpy as np
from numba import njit

from sim.streams import beta, gamma, uniform64

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
def draw(h, trait):
    """One draw of an encoded trait from hash h."""
    kind = int(trait[0])
    if kind == 0:
        return trait[1]
    if kind == 1:
        return gamma(h, trait[1], trait[2])
    if kind == 2:
        return beta(h, trait[1], trait[2])
    return trait[1] + (trait[2] - trait[1]) * uniform64(h)
