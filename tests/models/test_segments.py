"""RFM snapshots: every buyer is counted once a month in the grid and in a segment,
and the segments mean what their names say."""

import numpy as np

from helpers import run, scenario
from models.segments import SEGMENTS


def test_monthly_snapshots_count_every_buyer_once():
    sim, r, _ = run(scenario(horizon_days=200, base={"customers": 4000,
                                                     "history": {"new": 0.5, "loyal": 0.5}},
                             behaviour={"purchase_rate": {"gamma": {"shape": 1, "rate": 40}},
                                        "spend": 50.0}), seed=4)
    grid, segments = r.matrices["rfm_grid"], r.matrices["rfm_segments"]
    assert grid.shape[0] == segments.shape[0] == 7           # months 0..6 of 200 days
    np.testing.assert_array_equal(grid.sum(axis=(1, 2)), segments.sum(axis=1))
    # the last snapshot (first day of month 6) sees every customer who had bought by then
    assert segments[-1].sum() <= sim.customers.n
    assert segments[0].sum() == 4000                        # the whole base has bought
    # money per segment adds up to the buyers' revenue so far (non-negative, finite)
    assert np.isfinite(r.matrices["rfm_segment_revenue"]).all()


def test_champions_buy_more_recently_and_more_often_than_the_lost():
    sim, r, _ = run(scenario(horizon_days=400, base={"customers": 6000,
                                                     "history": {"new": 0.4, "repeat": 0.3,
                                                                 "loyal": 0.3}},
                             behaviour={"purchase_rate": {"gamma": {"shape": 0.8, "rate": 30}},
                                        "dropout": {"beta": {"a": 1, "b": 5}},
                                        "spend": 50.0}), seed=6)
    seg = r.matrices["rfm_segments"][-1]
    revenue = r.matrices["rfm_segment_revenue"][-1]
    champions, lost = SEGMENTS.index("champions"), SEGMENTS.index("lost")
    assert seg[champions] > 0 and seg[lost] > 0
    assert revenue[champions] / seg[champions] > revenue[lost] / seg[lost]


def test_quintile_edges_are_numpys_quantiles_bit_for_bit():
    """The counting quintiles give np.quantile's 'linear' result exactly, on samples of
    every size (one value too) and on value ranges counted or, when too wide, sorted."""
    from models.segments import QUINTILES, quintile_edges

    rng = np.random.default_rng(11)
    for trial in range(400):
        size = int(rng.integers(1, 12)) if trial % 2 else int(rng.integers(1, 5000))
        span = (2, 90, 5000, 1 << 24)[trial % 4]
        values = rng.integers(-3, span, size).astype(np.int64)
        edges = np.empty(4)
        quintile_edges(values, edges)
        np.testing.assert_array_equal(edges, np.quantile(values.astype(np.float64),
                                                         QUINTILES))


def _plain_cells(day, last, purchases, r_edges, f_edges):
    """5 R + F of every customer (25: never bought), the scoring written out in numpy."""
    idle = (day - last).astype(np.float64)
    r = 4 - (idle[:, None] > r_edges[None, :]).sum(axis=1)
    f = (purchases.astype(np.float64)[:, None] > f_edges[None, :]).sum(axis=1)
    return np.where(purchases > 0, 5 * r + f, 25)


def test_snapshot_kernel_matches_a_plain_count_bit_for_bit():
    """Per chunk, buyers per cell and their revenue added in customer order (numpy's
    bincount adds its weights in order), on a base of two whole chunks and a part."""
    from models.segments import CHUNK, _MAP, _edges, _score, _segment_of

    rng = np.random.default_rng(5)
    n, day = 2 * CHUNK + 1234, 300
    purchases = rng.integers(0, 30, n).astype(np.int32) * (rng.random(n) < 0.8)
    last = np.where(purchases > 0, day - rng.integers(0, 300, n), -(2**31)).astype(np.int32)
    revenue = rng.gamma(2.0, 40.0, n) * (purchases > 0)
    r_edges, f_edges = np.empty(4), np.empty(4)
    assert _edges(n, 7, day, last, purchases, r_edges, f_edges)
    chunks = (n + CHUNK - 1) // CHUNK
    grid = np.zeros((chunks, 5, 5), dtype=np.int64)
    money = np.zeros((chunks, 5, 5))
    _score(n, day, last, purchases, revenue, r_edges, f_edges, grid, money)
    cells = _plain_cells(day, last, purchases, r_edges, f_edges)
    for c in range(chunks):
        part = slice(c * CHUNK, min((c + 1) * CHUNK, n))
        counts = np.bincount(cells[part], minlength=26)[:25].reshape(5, 5)
        sums = np.bincount(cells[part], weights=revenue[part], minlength=26)[:25]
        np.testing.assert_array_equal(grid[c], counts)
        assert money[c].tobytes() == sums.reshape(5, 5).tobytes()
    out = np.full(n, -1, dtype=np.int8)
    _segment_of(n, day, last, purchases, r_edges, f_edges, _MAP, out)
    plain = np.where(cells < 25, _MAP.ravel()[np.minimum(cells, 24)], -1)
    np.testing.assert_array_equal(out, plain)
