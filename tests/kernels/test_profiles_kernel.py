"""`apply_profiles` (models/arrival_kernel.py): a day-0 base built from observed
histories, as `snowball calibrate` writes them.

Checked bit for bit against `arrival_reference.profile_arrival` on the same keys, then
against the BG/NBD: the share of a profile's customers alive equals P(alive | x, t_x, T)
(FHL 2005a eq. A2, `models.analytic.bgnbd_prob_alive`) within Z = 4 binomial standard
errors (deterministic keys).
"""

import arrival_reference as AR
import numpy as np
import pytest
from test_arrival_kernel import CONFIGS, DEM_TAB, run_init, trait_keys

from models import analytic as A
from models import arrival_kernel as ak
from models import traits

Z = 4.0
PROFILES = np.array([[1, 40, 40], [2, 5, 300], [3, 200, 260], [8, 0, 700], [2, 690, 700]],
                    dtype=np.float64)


def _apply(cfg, size, profile_of):
    kh, A_ = run_init(cfg, size, np.zeros(size, dtype=np.int8))
    import kernel_reference as R
    S = tuple(kh if name == "kh" else A_[name] if name in A_ else np.zeros(size, R.DTYPES[name])
              for name in R.STATE_ORDER)
    M = (np.ones((7, 4)), DEM_TAB, np.ones(1), cfg["par"])
    ak.apply_profiles(0, size, cfg["day"], trait_keys(), profile_of, PROFILES, S, M,
                      (cfg["rate"], cfg["spend"], cfg["drop"], cfg["need"]))
    return kh, A_


@pytest.mark.parametrize("drop", [traits.encode(traits.BETA, 0.8, 2.4),
                                  traits.encode(traits.CONSTANT, 0.1)])
def test_profiles_match_reference(drop):
    cfg = dict(CONFIGS["history"], drop=drop)
    size = 600
    profile_of = (np.arange(size) % len(PROFILES)).astype(np.int32)
    kh, got = _apply(cfg, size, profile_of)
    for i in range(size):
        ref = AR.profile_arrival(kh[i], cfg["day"], trait_keys(), int(got["dtype"][i]),
                                 PROFILES[profile_of[i]], cfg["rate"], drop, DEM_TAB,
                                 cfg["par"])
        for name, value in ref.items():
            if value is not None:
                assert got[name][i] == value, (i, name, got[name][i], value)


def test_alive_share_is_the_bgnbd_posterior():
    cfg = dict(CONFIGS["history"], shares=np.array([1.0, 0, 0, 0, 0, 0]))
    per = 4000
    profile_of = np.repeat(np.arange(len(PROFILES), dtype=np.int32), per)
    _, got = _apply(cfg, profile_of.size, profile_of)
    r, alpha = cfg["rate"][1:]
    a, b = cfg["drop"][1:]
    x, idle, tenure = PROFILES[:, 0] - 1, PROFILES[:, 1], PROFILES[:, 2]
    want = A.bgnbd_prob_alive(x, tenure - idle, tenure, r, alpha, a, b)
    alive = (got["flags"] & 1).reshape(len(PROFILES), per).mean(axis=1)
    se = np.sqrt(np.maximum(want * (1 - want), 1e-12) / per)
    assert np.all(np.abs(alive - want) <= Z * se + 1e-12), (alive, want)
    assert want.min() < 0.5 < want.max()   # the check covers likely dead and alive
