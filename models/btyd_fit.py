"""Fit the customer-base models to a calibration summary, with standard errors.

BG/NBD and Pareto/NBD by maximum likelihood (the better likelihood is reported as the
better fit), Gamma-Gamma for spend. Standard errors come from the inverse Hessian of the
negative log-likelihood at the optimum (numerical, on log-parameters, then the delta
method back to the parameters); where the Hessian is not positive definite they are
None rather than a number that means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import analytic as A
from models import pareto_nbd as P
from models.analytic import _bgnbd_ll_terms, _gg_terms, _mle


@dataclass(frozen=True)
class ModelFit:
    """One fitted model: parameters, their standard errors and the log-likelihood."""

    model: str
    params: dict
    se: dict
    log_likelihood: float

    def values(self) -> tuple:
        return tuple(self.params.values())


def log_hessian(neg_ll, lp: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Central-difference Hessian of `neg_ll` at log-parameters `lp`: 2k^2 + 1
    evaluations (adaptive schemes take hundreds, and one evaluation of a large log's
    likelihood costs milliseconds). In log-parameters one step fits every scale."""
    k = lp.size
    eye = np.eye(k) * step
    f0 = neg_ll(lp)
    h = np.empty((k, k))
    for i in range(k):
        h[i, i] = (neg_ll(lp + 2 * eye[i]) - 2 * f0 + neg_ll(lp - 2 * eye[i])) / (4 * step**2)
        for j in range(i):
            h[i, j] = h[j, i] = (neg_ll(lp + eye[i] + eye[j]) - neg_ll(lp + eye[i] - eye[j])
                                 - neg_ll(lp - eye[i] + eye[j])
                                 + neg_ll(lp - eye[i] - eye[j])) / (4 * step**2)
    return h


def standard_errors(neg_ll, params: np.ndarray) -> list[float | None]:
    """SEs of positive parameters: the inverse Hessian of `neg_ll` over log-parameters,
    then the delta method (se = theta * se(log theta))."""
    lp = np.log(np.asarray(params, dtype=float))
    h = log_hessian(neg_ll, lp)
    if not np.all(np.isfinite(h)) or np.any(np.linalg.eigvalsh(h) <= 0):
        return [None] * lp.size
    se_log = np.sqrt(np.diag(np.linalg.inv(h)))
    return [float(v) for v in np.exp(lp) * se_log]


def fit_bgnbd(x, t_x, age) -> ModelFit:
    """BG/NBD (FHL 2005a) by ML; parameters r, alpha (in the summary's time unit), a, b."""
    est = A.fit_bgnbd(x, t_x, age)
    x, t_x, age = (np.asarray(v, dtype=float) for v in (x, t_x, age))

    def neg_ll(lp):
        v = -np.sum(_bgnbd_ll_terms(*np.exp(lp), x, t_x, age))
        return v if np.isfinite(v) else 1e300

    values = np.array([est.r, est.alpha, est.a, est.b])
    se = standard_errors(neg_ll, values)
    names = ("r", "alpha", "a", "b")
    return ModelFit("bgnbd", dict(zip(names, map(float, values))), dict(zip(names, se)),
                    float(-neg_ll(np.log(values))))


def fit_pareto_nbd(x, t_x, age) -> ModelFit:
    """Pareto/NBD by ML; parameters r, alpha, s, beta (rates in the summary's unit)."""
    data = P.ParetoNBDData(x, t_x, age)
    scale = float(np.max(data.age)) or 1.0
    scaled = P.ParetoNBDData(data.x, data.t_x / scale, data.age / scale)

    def neg_ll_scaled(lp):
        r, alpha, s, beta = np.exp(lp)
        with np.errstate(all="ignore"):
            v = -np.sum(P.log_likelihood_terms((r, alpha, s, beta), scaled))
        return v if np.isfinite(v) else 1e300

    r, alpha, s, beta = _mle(neg_ll_scaled, np.zeros(4))
    values = np.array([r, alpha * scale, s, beta * scale])

    def neg_ll(lp):
        with np.errstate(all="ignore"):
            v = -np.sum(P.log_likelihood_terms(tuple(np.exp(lp)), data))
        return v if np.isfinite(v) else 1e300

    names = ("r", "alpha", "s", "beta")
    return ModelFit("pareto_nbd", dict(zip(names, map(float, values))),
                    dict(zip(names, standard_errors(neg_ll, values))),
                    float(-neg_ll(np.log(values))))


def fit_spend(x, mbar) -> ModelFit:
    """Gamma-Gamma (FH 2013) on the customers with repeat purchases of positive value."""
    x, mbar = np.asarray(x, dtype=float), np.asarray(mbar, dtype=float)
    use = (x > 0) & (mbar > 0)
    est = A.fit_gamma_gamma(x[use], mbar[use])
    xs, ms = x[use], mbar[use]

    def neg_ll(lp):
        v = -np.sum(_gg_terms(*np.exp(lp), xs, ms))
        return v if np.isfinite(v) else 1e300

    values = np.array([est.p, est.q, est.gamma])
    names = ("p", "q", "gamma")
    return ModelFit("gamma_gamma", dict(zip(names, map(float, values))),
                    dict(zip(names, standard_errors(neg_ll, values))),
                    float(-neg_ll(np.log(values))))
