"""Closed-form reference results for customer-base models.

This module is the analytic yardstick the simulator is checked against, so it
is deliberately plain numpy/scipy (no numba, no simulation).  Each function
says which published result it implements; time units are whatever the rate
parameters use (weeks for the CDNOW BG/NBD fit, periods for sBG, days for the
homogeneous cohort).

References
----------
FHL 2005a  Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy
           Way: An Alternative to the Pareto/NBD Model", Marketing Science
           24(2), 275-284.
FHL 2005b  Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves
           for Customer Base Analysis", J. Marketing Research 42(4), 415-430.
FH 2013    Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value",
           brucehardie.com/notes/025/.
FH 2007    Fader & Hardie (2007), "How to Project Customer Retention",
           J. Interactive Marketing 21(1), 76-90.
GL 2003    Gupta & Lehmann (2003), "Customers as Assets", J. Interactive
           Marketing 17(1), 9-24.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1


# ---- argument validation -------------------------------------------------


def _positive(name: str, value) -> float:
    """A strictly positive finite scalar, or ValueError naming it."""
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _array(name: str, value, *, low=None, high=None, integer=False) -> np.ndarray:
    """A finite float array within [low, high], or ValueError naming the first bad entry."""
    arr = np.asarray(value, dtype=float)
    bad = ~np.isfinite(arr)
    if low is not None:
        bad |= arr < low
    if high is not None:
        bad |= arr > high
    if integer:
        bad |= arr != np.round(arr)
    if np.any(bad):
        first = float(arr[bad].flat[0]) if arr.ndim else float(arr)
        where = "" if arr.ndim == 0 else f" at index {tuple(int(i) for i in np.argwhere(bad)[0])}"
        rng = f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        kind = "integer " if integer else ""
        raise ValueError(f"{name} must be finite {kind}values in {rng}, got {first!r}{where}")
    return arr


class _PositiveFields:
    """Frozen-dataclass mixin: every field must be a finite number > 0."""

    def __post_init__(self):
        for f in fields(self):
            _positive(f.name, getattr(self, f.name))


def _rfm(x, t_x, T):
    x = _array("x", x, low=0, integer=True)
    t_x = _array("t_x", t_x, low=0)
    T = _array("T", T, low=0)
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    if np.any(t_x > T):
        i = tuple(int(k) for k in np.argwhere(t_x > T)[0])
        where = f" at index {i}" if i else ""
        raise ValueError(f"t_x must be <= T, got t_x={float(t_x[i])!r} > T={float(T[i])!r}{where}")
    return x, t_x, T


# ---- BG/NBD (FHL 2005a) --------------------------------------------------


@dataclass(frozen=True)
class BGNBDParams(_PositiveFields):
    """BG/NBD parameters: purchase rate ~ Gamma(r, rate alpha), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


def _bgnbd_params(r, alpha, a, b):
    return _positive("r", r), _positive("alpha", alpha), _positive("a", a), _positive("b", b)


def _bgnbd_ex(t, r, alpha, a, b):
    # (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def _at(fn, a, *args):
    """fn(..., a, b): a = 1 is a removable singularity of eqs. (9)-(10); average a = 1 -/+ 1e-7."""
    if abs(a - 1.0) < 1e-7:
        return 0.5 * (fn(*args[:-1], 1 - 1e-7, args[-1]) + fn(*args[:-1], 1 + 1e-7, args[-1]))
    return fn(*args[:-1], a, args[-1])


def bgnbd_expected_repeat(t, r, alpha, a, b):
    """E[X(t)]: expected repeat transactions in (0, t] for a new customer (FHL 2005a eq. 9)."""
    r, alpha, a, b = _bgnbd_params(r, alpha, a, b)
    t = _array("t", t, low=0)
    return _at(_bgnbd_ex, a, t, r, alpha, b)


def _log_dead_odds(x, t_x, T, r, alpha, a, b):
    """log of delta_{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x); -inf when x == 0."""
    pos = x > 0
    xs = np.where(pos, x, 1.0)  # keep b+x-1 > 0 in the branch that is discarded
    out = np.log(a) - np.log(b + xs - 1) + (r + xs) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(pos, out, -np.inf)


def bgnbd_prob_alive(x, t_x, T, r, alpha, a, b):
    """P(alive at T | x, t_x, T).

    Ratio of the 'still alive' term of the likelihood to the whole likelihood
    (FHL 2005a eq. 6 and appendix eq. A2; the reciprocal of the denominator of
    eq. 10).  Equals 1 when x == 0: under BG/NBD a customer can only drop out
    immediately after a purchase.
    """
    r, alpha, a, b = _bgnbd_params(r, alpha, a, b)
    x, t_x, T = _rfm(x, t_x, T)
    return 1.0 / (1.0 + np.exp(_log_dead_odds(x, t_x, T, r, alpha, a, b)))


def bgnbd_conditional_expected(t, x, t_x, T, r, alpha, a, b):
    """E[Y(t) | x, t_x, T]: expected transactions in (T, T+t] (FHL 2005a eq. 10).

    The numerator is eq. (9) with the posterior-updated parameters r+x,
    alpha+T, b+x; it is weighted by P(alive).
    """
    r, alpha, a, b = _bgnbd_params(r, alpha, a, b)
    x, t_x, T = _rfm(x, t_x, T)
    t = _array("t", t, low=0)
    num = _at(_cond_num, a, t, x, T, r, alpha, b)
    return num / (1.0 + np.exp(_log_dead_odds(x, t_x, T, r, alpha, a, b)))


def _cond_num(t, x, T, r, alpha, a, b):
    a_post = a + b + x - 1  # the 'a+b-1' of eq. (9) after updating b -> b+x
    z = t / (alpha + T + t)
    return a_post / (a - 1) * (
        1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a_post, z)
    )


def _bgnbd_ll_terms(r, alpha, a, b, x, t_x, T):
    # FHL 2005a eq. (6) as ln[A1 A2 (A3 + delta A4)], the form of the Excel note.
    ln_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ln_a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    ln_a3 = -(r + x) * np.log(alpha + T)
    xs = np.where(x > 0, x, 1.0)
    ln_a4 = np.where(x > 0, np.log(a) - np.log(b + xs - 1) - (r + xs) * np.log(alpha + t_x), -np.inf)
    return ln_a1 + ln_a2 + np.logaddexp(ln_a3, ln_a4)


def bgnbd_log_likelihood(params, x, t_x, T) -> float:
    """Sample log-likelihood, sum over customers of ln L (FHL 2005a eq. 6).

    ``params`` is a BGNBDParams or any (r, alpha, a, b) sequence.
    """
    r, alpha, a, b = _bgnbd_params(*_unpack(params, ("r", "alpha", "a", "b")))
    x, t_x, T = _rfm(x, t_x, T)
    return float(np.sum(_bgnbd_ll_terms(r, alpha, a, b, x, t_x, T)))


def _unpack(params, names):
    if all(hasattr(params, n) for n in names):
        return tuple(getattr(params, n) for n in names)
    vals = tuple(params)
    if len(vals) != len(names):
        raise ValueError(f"params must have {len(names)} entries {names}, got {params!r}")
    return vals


def _mle(neg_ll, x0):
    """Minimise over log-parameters: a quasi-Newton pass, then a Nelder-Mead polish.
    scipy.optimize is imported here: it takes a third of a second, and a simulation
    reaches this module (its CLV multiple) without ever fitting."""
    from scipy.optimize import minimize

    res = minimize(neg_ll, x0, method="L-BFGS-B", options={"ftol": 1e-14, "gtol": 1e-9})
    res = minimize(neg_ll, res.x, method="Nelder-Mead",
                   options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000})
    if not np.isfinite(res.fun):
        raise RuntimeError(f"maximum-likelihood fit failed: {res.message}")
    return np.exp(res.x)


def fit_bgnbd(x, t_x, T) -> BGNBDParams:
    """BG/NBD maximum-likelihood estimates (FHL 2005a section 5).

    Optimises on log-parameters so positivity needs no bounds.
    """
    x, t_x, T = _rfm(x, t_x, T)
    if x.size == 0:
        raise ValueError("x must contain at least one customer, got an empty array")
    scale = float(np.max(T)) or 1.0  # fit in rescaled time for conditioning, undo on alpha

    def neg_ll(lp):
        r, alpha, a, b = np.exp(lp)
        v = -np.sum(_bgnbd_ll_terms(r, alpha, a, b, x, t_x / scale, T / scale))
        return v if np.isfinite(v) else 1e300

    r, alpha, a, b = _mle(neg_ll, np.zeros(4))
    return BGNBDParams(float(r), float(alpha * scale), float(a), float(b))


# ---- Gamma-Gamma spend model (FHL 2005b; FH 2013) ------------------------


@dataclass(frozen=True)
class GammaGammaParams(_PositiveFields):
    """Spend z ~ Gamma(p, rate nu) per transaction; nu ~ Gamma(q, rate gamma)."""

    p: float
    q: float
    gamma: float


def gamma_gamma_expected_spend(p, q, gamma, x=None, mbar=None):
    """Expected spend per transaction.

    Without ``x``: the population mean E[Z] = p*gamma/(q-1) (FH 2013 eq. 3),
    finite only for q > 1.  With ``x`` and ``mbar`` (mean spend over x
    transactions): the posterior mean (FHL 2005b; FH 2013 eq. 5)
        (q-1)/(p x+q-1) * p gamma/(q-1) + p x/(p x+q-1) * mbar,
    a credibility-weighted average of the population mean and mbar.  x == 0
    gives the population mean whatever mbar is.
    """
    p, q, gamma = _positive("p", p), _positive("q", q), _positive("gamma", gamma)
    if q <= 1:
        raise ValueError(f"q must be > 1 for the mean spend to exist, got {q!r}")
    pop = p * gamma / (q - 1)
    if x is None and mbar is None:
        return pop
    if x is None or mbar is None:
        raise ValueError(f"x and mbar must be given together, got x={x!r}, mbar={mbar!r}")
    x = _array("x", x, low=0)
    mbar = np.asarray(mbar, dtype=float)
    m = _array("mbar", np.where(x > 0, mbar, 0.0), low=0)
    w = p * x / (p * x + q - 1)
    return (1 - w) * pop + w * m


def gamma_gamma_log_likelihood(params, x, mbar) -> float:
    """Sum over customers of ln f(mbar | p, q, gamma, x) (FH 2013 eq. 1b).

    mbar | x is a beta-prime(p x, q) variable with scale gamma/x.
    """
    p, q, gamma = (_positive(n, v) for n, v in zip(("p", "q", "gamma"), _unpack(params, ("p", "q", "gamma"))))
    return float(np.sum(_gg_terms(p, q, gamma, _array("x", x, low=1), _array("mbar", mbar, low=0))))


def _gg_terms(p, q, gamma, x, mbar):
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(mbar) + px * np.log(x) - (px + q) * np.log(gamma + x * mbar))


def fit_gamma_gamma(x, mbar) -> GammaGammaParams:
    """Gamma-Gamma MLE from repeat buyers only (x >= 1, mbar > 0) (FH 2013 sec. 3)."""
    x = _array("x", x, low=1)
    mbar = _array("mbar", mbar)
    if np.any(mbar <= 0):
        raise ValueError(f"mbar must be > 0 for every customer, got {float(mbar[mbar <= 0].flat[0])!r}")
    scale = float(np.mean(mbar))  # fit in units of the mean spend, undo on gamma

    def neg_ll(lp):
        v = -np.sum(_gg_terms(*np.exp(lp), x, mbar / scale))
        return v if np.isfinite(v) else 1e300

    p, q, g = _mle(neg_ll, np.zeros(3))
    return GammaGammaParams(float(p), float(q), float(g * scale))


# ---- shifted-beta-geometric (FH 2007) ------------------------------------


@dataclass(frozen=True)
class SBGParams(_PositiveFields):
    """sBG: per-period churn probability theta ~ Beta(alpha, beta)."""

    alpha: float
    beta: float


def sbg_survival(t, alpha, beta):
    """S(t) = B(alpha, beta+t)/B(alpha, beta): share still active after t periods (FH 2007 eq. 6)."""
    alpha, beta = _positive("alpha", alpha), _positive("beta", beta)
    t = _array("t", t, low=0)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def sbg_retention(t, alpha, beta):
    """r(t) = S(t)/S(t-1) = (beta+t-1)/(alpha+beta+t-1), t >= 1 (FH 2007 eq. 8).

    Rises with t although each customer's churn probability is constant:
    high-churn customers leave first (heterogeneity, not individual dynamics).
    """
    alpha, beta = _positive("alpha", alpha), _positive("beta", beta)
    t = _array("t", t, low=1)
    return (beta + t - 1) / (alpha + beta + t - 1)


def sbg_churn_pmf(t, alpha, beta):
    """P(T = t) = B(alpha+1, beta+t-1)/B(alpha, beta), t = 1, 2, ... (FH 2007 eq. 5)."""
    alpha, beta = _positive("alpha", alpha), _positive("beta", beta)
    t = _array("t", t, low=1, integer=True)
    return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))


def _survivors(survivors) -> np.ndarray:
    s = _array("survivors", survivors, low=0, integer=True)
    if s.ndim != 1 or s.size < 2:
        raise ValueError(f"survivors must be a 1-d curve with at least 2 points, got {survivors!r}")
    if s[0] <= 0:
        raise ValueError(f"survivors[0] (cohort size) must be > 0, got {float(s[0])!r}")
    if np.any(np.diff(s) > 0):
        k = int(np.argmax(np.diff(s) > 0)) + 1
        raise ValueError(f"survivors must be non-increasing, got survivors[{k}]={float(s[k])!r} > survivors[{k-1}]={float(s[k-1])!r}")
    return s


def sbg_log_likelihood(params, survivors) -> float:
    """ln L = sum_t n_t ln P(T=t) + s_K ln S(K), right-censoring the still-active (FH 2007 app. B)."""
    alpha, beta = (_positive(n, v) for n, v in zip(("alpha", "beta"), _unpack(params, ("alpha", "beta"))))
    s = _survivors(survivors)
    return _sbg_ll(alpha, beta, s)


def _sbg_ll(alpha, beta, s):
    k = s.size - 1
    t = np.arange(1, k + 1)
    lost = s[:-1] - s[1:]
    ln_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    ln_s = betaln(alpha, beta + k) - betaln(alpha, beta)
    return float(np.sum(lost * ln_p) + s[-1] * ln_s)


def fit_sbg(survivors) -> SBGParams:
    """sBG MLE from a survival curve of counts [n, s_1, ..., s_K] (FH 2007 app. B)."""
    s = _survivors(survivors)

    def neg_ll(lp):
        v = -_sbg_ll(*np.exp(lp), s)
        return v if np.isfinite(v) else 1e300

    alpha, beta = _mle(neg_ll, np.zeros(2))
    return SBGParams(float(alpha), float(beta))


# ---- CLV margin multiple (GL 2003) ---------------------------------------


def clv_multiple(retention, discount_rate):
    """Margin multiple r/(1+i-r) (GL 2003).

    Convention: constant per-period retention r and discount rate i, margin
    received at the end of each period the customer is retained, first at
    t = 1, infinite horizon:  sum_{t>=1} r^t/(1+i)^t = r/(1+i-r).
    """
    r = _array("retention", retention, low=0, high=1)
    i = _array("discount_rate", discount_rate, low=0)
    r, i = np.broadcast_arrays(r, i)
    if np.any(1 + i - r <= 0):
        k = np.argwhere(1 + i - r <= 0)[0]
        raise ValueError(f"retention=1 needs discount_rate > 0, got retention={float(r[tuple(k)])!r}, "
                         f"discount_rate={float(i[tuple(k)])!r}")
    out = r / (1 + i - r)
    return float(out) if out.ndim == 0 else out


def clv(margin, retention, discount_rate):
    """CLV = m r/(1+i-r): per-period margin times the margin multiple (GL 2003)."""
    m = _array("margin", margin)
    return m * clv_multiple(retention, discount_rate)
