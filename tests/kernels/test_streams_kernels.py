"""Counter-based streams (sim/streams.py) against plain-Python references.

Bit-identity: SplitMix64 and the uniforms on Python ints masked to 64 bits; the
normal, gamma, beta and Poisson draws written out in Python with `math` (the same C
library as the compiled code), so they agree to the last bit too.

Distributions: N = 200,000 draws from fixed keys (customer keys mix(i) XOR a fixed day
key, as in the simulator), so every check is deterministic. Mean and variance are
compared with the exact values within Z = 4 standard errors (SE of the mean
sigma/sqrt(N); SE of the sample variance sigma^2 sqrt((2 + excess kurtosis)/N)), which
a correct sampler fails by chance about once in 16,000 checks. Shapes are checked with
scipy's Kolmogorov-Smirnov test (continuous) or a chi-square test on the pmf (Poisson)
at the level ALPHA = 0.001. Independence: the correlation of draws of adjacent keys,
adjacent days, sibling decisions and sibling `nth` values is within Z/sqrt(N) of 0.
"""

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

import kernel_reference as R
from sim import streams as S

Z = 4.0
ALPHA = 0.001
N = 200_000
SEED_KEY = R.mix(12345)


@njit(cache=True)
def _mix_all(hs):
    out = np.empty_like(hs)
    for i in range(hs.size):
        out[i] = S.mix(hs[i])
    return out


@njit(cache=True)
def _draw_all(hs, what, a, b):
    """Kernel draws for every hash: 0 uniform32, 1 uniform64, 2 normal, 3 gamma(a, b),
    4 beta(a, b), 5 poisson_positive(a)."""
    out = np.empty(hs.size, dtype=np.float64)
    for i in range(hs.size):
        h = hs[i]
        if what == 0:
            out[i] = S.uniform32(h)
        elif what == 1:
            out[i] = S.uniform64(h)
        elif what == 2:
            out[i] = S.normal(h)
        elif what == 3:
            out[i] = S.gamma(h, a, b)
        elif what == 4:
            out[i] = S.beta(h, a, b)
        else:
            out[i] = S.poisson_positive(h, a)
    return out


def hashes(day: int = 3, decision: str = "test.draw", n: int = N) -> np.ndarray:
    """mix(kh_i ^ day_key) for customer keys kh_i = mix(i): one draw per customer."""
    dk = np.uint64(R.day_key(SEED_KEY, R.decision(decision), day))
    kh = R.mix_np(np.arange(n, dtype=np.uint64))
    return R.mix_np(kh ^ dk)


EDGES = [0, 1, 2, 3, (1 << 63) - 1, 1 << 63, (1 << 64) - 2, (1 << 64) - 1, R.GOLDEN,
         0xFFFFFFFF, 1 << 32, 1 << 40, (1 << 40) - 1, 1 << 11, (1 << 11) - 1]


def python_ints(n=3000):
    """Edge values plus n well-spread 64-bit ints (the reference mixer of 1..n)."""
    return EDGES + [R.mix(k) for k in range(1, n + 1)]


# ------------------------------------------------------------------ bit-identical


def test_mix_is_splitmix64_finaliser_on_python_ints():
    xs = python_ints()
    got = _mix_all(np.array(xs, dtype=np.uint64))
    assert [int(g) for g in got] == [R.mix(x) for x in xs]
    # and a scalar call from Python
    assert int(S.mix(np.uint64(12345))) == R.mix(12345)
    # SplitMix64's known first output from state 0: mix(0 + golden)
    assert R.mix(R.GOLDEN) == 0xE220A8397B1DCDAF


def test_mix_vectorised_reference_on_a_million_values():
    x = np.arange(1_000_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    assert np.array_equal(_mix_all(x), R.mix_np(x))


def test_mix_is_a_bijection_on_a_sample():
    x = np.arange(1_000_000, dtype=np.uint64)
    assert np.unique(_mix_all(x)).size == x.size


def test_day_key_nth_day_keys_and_decision():
    seeds = [0, 1, SEED_KEY, (1 << 64) - 1]
    decisions = [R.decision(n) for n in ("funnel.event", "funnel.spend", "x")]
    for name in ("funnel.event", "traits.rate", "email_campaign.response", ""):
        assert int(S.decision(name)) == R.decision(name)
    for seed in seeds:
        for d in decisions:
            for day in (0, 1, 2, 364, 365, 100_000):
                assert int(S.day_key(np.uint64(seed), np.uint64(d), day)) == \
                    R.day_key(seed, d, day)
            got = S.day_keys(np.uint64(seed), np.array(decisions, dtype=np.uint64), 17)
            assert [int(g) for g in got] == [R.day_key(seed, d, 17) for d in decisions]
    for h in python_ints(200):
        for j in (0, 1, 2, 9, 1000):
            assert int(S.nth(np.uint64(h), j)) == R.nth(h, j)


def test_keys_by_day_are_each_days_day_keys():
    """The table a module builds once holds, row by row, the keys of each day."""
    decisions = [R.decision(n) for n in ("funnel.event", "send.win_back", "first.due")]
    table = S.keys_by_day(np.uint64(SEED_KEY), np.array(decisions, dtype=np.uint64), 400)
    assert table.shape == (400, 3)
    for day in (0, 1, 7, 364, 399):
        assert [int(k) for k in table[day]] == [R.day_key(SEED_KEY, d, day) for d in decisions]


def test_scheduled_customer_keys_are_mixed_source_day_index():
    """sim/customers.py builds kh = mix((source << 56) ^ (day << 32) ^ index) in place."""
    from sim.customers import Customers
    c = Customers(8)
    sl1 = c.add(0, 0, 5)
    sl2 = c.add(1, 37, 6)        # grows past the capacity
    expect = [R.mix(i) for i in range(5)] + [R.mix((1 << 56) ^ (37 << 32) ^ i)
                                             for i in range(6)]
    assert (sl1, sl2) == (slice(0, 5), slice(5, 11))
    assert [int(k) for k in c.kh[:11]] == expect


def test_uniforms_bit_identical_to_python():
    xs = python_ints()
    hs = np.array(xs, dtype=np.uint64)
    u32 = _draw_all(hs, 0, 0.0, 0.0)
    u64 = _draw_all(hs, 1, 0.0, 0.0)
    assert [float(v) for v in u32] == [float(R.uniform32(x)) for x in xs]
    assert [float(v) for v in u64] == [R.uniform64(x) for x in xs]
    big = hashes()
    assert np.array_equal(_draw_all(big, 0, 0.0, 0.0), R.uniform32_np(big).astype(np.float64))
    assert np.array_equal(_draw_all(big, 1, 0.0, 0.0), R.uniform64_np(big))


def test_uniform_ranges():
    assert S.uniform32(np.uint64(0)) == 0.0
    assert S.uniform32(np.uint64((1 << 64) - 1)) == np.float32(1 - 2.0**-24)
    assert S.uniform64(np.uint64(0)) == 2.0**-53            # never exactly 0 (safe for log)
    assert S.uniform64(np.uint64((1 << 64) - 1 - (1 << 11))) < 1.0


def test_uniform64_is_below_one_for_the_largest_hash():
    assert S.uniform64(np.uint64((1 << 64) - 1)) < 1.0


@pytest.mark.parametrize("shape,rate", [(0.3, 1.0), (0.5, 15.0), (1.0, 2.0), (2.5, 0.5),
                                        (40.0, 3.0)])
def test_gamma_bit_identical_to_python(shape, rate):
    xs = python_ints(1500)
    got = _draw_all(np.array(xs, dtype=np.uint64), 3, shape, rate)
    assert [float(g) for g in got] == [R.gamma(x, shape, rate) for x in xs]


def test_normal_beta_poisson_bit_identical_to_python():
    xs = python_ints(1500)
    hs = np.array(xs, dtype=np.uint64)
    assert [float(v) for v in _draw_all(hs, 2, 0, 0)] == [R.normal(x) for x in xs]
    for a, b in ((0.5, 0.5), (2.0, 5.0), (0.8, 3.0)):
        assert [float(v) for v in _draw_all(hs, 4, a, b)] == [R.beta(x, a, b) for x in xs]
    for lam in (1e-4, 0.05, 0.7, 3.0, 20.0):
        assert [int(v) for v in _draw_all(hs, 5, lam, 0)] == \
            [R.poisson_positive(x, lam) for x in xs]


def test_trait_draw_matches_python():
    """Same draws as the reference; pow and log of numba's LLVM intrinsics and of
    CPython's libm may differ in the last bits, so agreement is to 1e-11 relative."""
    from models import traits
    xs = python_ints(800)
    for trait in (traits.encode(traits.CONSTANT, 3.5), traits.encode(traits.GAMMA, 0.5, 15),
                  traits.encode(traits.BETA, 0.8, 2.4), traits.encode(traits.UNIFORM, 2, 9)):
        np.testing.assert_allclose([traits.draw(np.uint64(x), trait, traits.shapes(trait))
                                    for x in xs],
                                   [R.draw(x, trait) for x in xs], rtol=1e-11, atol=0)


# ------------------------------------------------------------------ distributions


def check_moments(x, mean, var, exkurt):
    """Sample mean and variance within Z standard errors of the exact values."""
    n = x.size
    se_mean = math.sqrt(var / n)
    se_var = var * math.sqrt((2.0 + exkurt) / n)
    assert abs(x.mean() - mean) < Z * se_mean, (x.mean(), mean, se_mean)
    assert abs(x.var(ddof=1) - var) < Z * se_var, (x.var(ddof=1), var, se_var)


@pytest.mark.parametrize("what", [0, 1])
def test_uniform_distribution(what):
    x = _draw_all(hashes(), what, 0.0, 0.0)
    check_moments(x, 0.5, 1 / 12, -1.2)
    assert stats.kstest(x, "uniform").pvalue > ALPHA


def test_normal_distribution():
    x = _draw_all(hashes(), 2, 0.0, 0.0)
    check_moments(x, 0.0, 1.0, 0.0)
    assert stats.kstest(x, "norm").pvalue > ALPHA


def test_ziggurat_layers_have_equal_areas_and_close_at_the_top():
    """Every layer of the normal's ziggurat (height f(x[i+1]) - f(x[i]) above x[i], the
    base: x[0] f(r), f the unnormalised density) has the same area v; built from r and
    v down from the base, the top layer must close at f(0) = 1 with that area too,
    which holds only if r and v agree: to 1e-8 relative, as r is given to 13 digits
    (another layer count's pair misses by far more)."""
    x = S._ZIG_X
    f = np.exp(-0.5 * x * x)
    v = x[0] * f[1]
    areas = x[1:-1] * (f[2:] - f[1:-1])
    np.testing.assert_allclose(areas[:-1], v, rtol=1e-12)
    assert x[-1] == 0.0 and areas[-1] == pytest.approx(v, rel=1e-8)
    np.testing.assert_array_equal(S._ZIG_INNER, x[1:] / x[:-1])


def test_normal_tail_beyond_the_ziggurat():
    """The draws beyond |r| = 3.44 (5.8 in 10,000: the tail method, not the layers):
    2,000,000 draws give about 1,160; their |x| against the normal truncated at r (KS at
    ALPHA) and their count within Z binomial standard errors of the exact share."""
    x = _draw_all(hashes(n=2_000_000), 2, 0.0, 0.0)
    r = S._ZIG_R
    tail = np.abs(x[np.abs(x) > r])
    p = 2.0 * stats.norm.sf(r)
    assert abs(tail.size - p * x.size) < Z * math.sqrt(x.size * p * (1 - p))
    assert stats.kstest(tail, stats.truncnorm(r, np.inf).cdf).pvalue > ALPHA


@pytest.mark.parametrize("shape,rate", [(0.1, 1.0), (0.3, 2.0), (0.5, 15.0), (0.999, 1.0),
                                        (1.0, 1.0), (2.5, 0.5), (6.0, 30.0), (50.0, 1.0)])
def test_gamma_distribution(shape, rate):
    """Shapes below 1 go through the U**(1/shape) boost, the rest straight through
    Marsaglia-Tsang; mean shape/rate, variance shape/rate^2, excess kurtosis 6/shape."""
    x = _draw_all(hashes(), 3, shape, rate)
    assert np.all(x > 0) or shape < 0.2    # tiny shapes may underflow to 0
    check_moments(x, shape / rate, shape / rate**2, 6.0 / shape)
    assert stats.kstest(x, "gamma", args=(shape, 0, 1 / rate)).pvalue > ALPHA


@pytest.mark.parametrize("a,b", [(0.5, 0.5), (2.0, 5.0), (0.8, 3.0), (10.0, 1.5)])
def test_beta_distribution(a, b):
    x = _draw_all(hashes(), 4, a, b)
    assert np.all((x >= 0) & (x <= 1))
    mean, var, _, exkurt = (float(v) for v in stats.beta(a, b).stats(moments="mvsk"))
    check_moments(x, mean, var, exkurt)
    assert stats.kstest(x, "beta", args=(a, b)).pvalue > ALPHA


@pytest.mark.parametrize("lam", [0.05, 0.7, 3.0, 12.0])
def test_poisson_positive_distribution(lam):
    """Poisson(lam) given K >= 1: pmf p_k / (1 - p_0); moments from that pmf."""
    x = _draw_all(hashes(), 5, lam, 0.0)
    assert x.min() >= 1
    k = np.arange(1, 200)
    pmf = stats.poisson.pmf(k, lam) / (1 - math.exp(-lam))
    mean = float((k * pmf).sum())
    var = float(((k - mean) ** 2 * pmf).sum())
    mu4 = float(((k - mean) ** 4 * pmf).sum())
    check_moments(x, mean, var, mu4 / var**2 - 3.0)
    # chi-square on the pmf, the tail pooled where fewer than 5 are expected
    expected = pmf * x.size
    top = int(np.max(np.flatnonzero(expected >= 5))) + 1
    observed = np.bincount(x.astype(np.int64), minlength=k[-1] + 1)[1:k[-1] + 1]
    obs = np.append(observed[:top], observed[top:].sum() + (x > k[-1]).sum())
    exp = np.append(expected[:top], x.size - expected[:top].sum())
    if exp[-1] < 5:
        obs = np.append(obs[:-2], obs[-2:].sum())
        exp = np.append(exp[:-2], exp[-2:].sum())
    assert stats.chisquare(obs, exp).pvalue > ALPHA


# ------------------------------------------------------------------ independence


def corr(a, b):
    return float(np.corrcoef(a, b)[0, 1])


def test_draws_of_adjacent_keys_days_and_decisions_are_uncorrelated():
    """Correlations within Z/sqrt(N) of 0 (the SE of r under independence)."""
    tol = Z / math.sqrt(N - 1)
    dk = np.uint64(R.day_key(SEED_KEY, R.decision("test.draw"), 3))
    raw = np.arange(N + 1, dtype=np.uint64)
    for kh in (raw, R.mix_np(raw)):            # raw counters and mixed customer keys
        u = _draw_all(R.mix_np(kh ^ dk), 1, 0.0, 0.0)
        assert abs(corr(u[:-1], u[1:])) < tol
    day3, day4 = hashes(3), hashes(4)
    assert abs(corr(_draw_all(day3, 1, 0, 0), _draw_all(day4, 1, 0, 0))) < tol
    assert abs(corr(_draw_all(day3, 2, 0, 0), _draw_all(day4, 2, 0, 0))) < tol
    other = hashes(3, "test.other")
    assert abs(corr(_draw_all(day3, 1, 0, 0), _draw_all(other, 1, 0, 0))) < tol
    # the event uniform and the order-count / spend draws of the same customer and day
    ev = _draw_all(hashes(3, "funnel.event"), 0, 0, 0)
    assert abs(corr(ev, _draw_all(hashes(3, "funnel.spend"), 3, 6.0, 0.1))) < tol
    assert abs(corr(ev, _draw_all(hashes(3, "funnel.orders"), 1, 0, 0))) < tol
    # nth siblings of one hash (the values gamma and beta consume)
    sib = [R.mix_np(day3 + np.uint64((j + 1) * R.GOLDEN % (1 << 64))) for j in range(3)]
    assert abs(corr(_draw_all(sib[0], 1, 0, 0), _draw_all(sib[1], 1, 0, 0))) < tol
    assert abs(corr(_draw_all(sib[1], 1, 0, 0), _draw_all(sib[2], 1, 0, 0))) < tol
    assert abs(corr(_draw_all(day3, 1, 0, 0), _draw_all(sib[0], 1, 0, 0))) < tol
    # and the two gammas inside one beta draw
    g0 = _draw_all(sib[0], 3, 2.0, 1.0)
    g1 = _draw_all(sib[1], 3, 2.0, 1.0)
    assert abs(corr(g0, g1)) < tol
