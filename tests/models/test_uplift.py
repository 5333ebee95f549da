"""Control groups: the measured uplift and its 90% interval against the true uplift.

The true uplift of a replication is known exactly from a twin run without the mechanic
(same seed: every customer is the same person). Welch's interval is Neyman's, which is
conservative for the effect on the treated sample, so coverage should be at least the
stated 90% less binomial noise: with 60 replications, 48 or more covered (if coverage
were exactly 90%, fewer than 48 happens with probability about 0.5%). The interval must
not be uselessly wide either: the spread of (measured - true) over replications is
compared with the interval's half-width.
"""

import numpy as np
import pytest

from helpers import scenario
from models.uplift import Z90, measured_uplift, true_uplift
from scenarios.build import make_sim
from sim.ensemble import rep_seed

HOLDOUT = 0.3
REPS = 60


def campaign(enabled, holdout=HOLDOUT):
    return scenario(
        horizon_days=180,
        base={"customers": 4000, "history": {"new": 0.3, "repeat": 0.4, "loyal": 0.3}},
        behaviour={"purchase_rate": {"gamma": {"shape": 1.5, "rate": 60}},
                   "spend": {"gamma_gamma": {"p": 5, "q": 4, "gamma": 300}},
                   "dropout": {"beta": {"a": 1, "b": 8}}},
        mechanics={"email_campaign": {"enabled": enabled, "every_days": 7,
                                      "response_rate": 0.2, "uplift": 2.0,
                                      "holdout_share": holdout}})


@pytest.fixture(scope="module")
def replications():
    on, off = campaign(True), campaign(False)
    out = []
    for rep in range(REPS):
        seed = rep_seed(11, rep)
        a, b = make_sim(on, seed), make_sim(off, seed)
        a.run()
        b.run()
        out.append((measured_uplift(a, "email_campaign", HOLDOUT),
                    true_uplift(a, b, "email_campaign", HOLDOUT)))
    return out


def test_the_interval_covers_the_true_uplift_at_least_at_its_level(replications):
    covered = sum(m["lo"] <= t <= m["hi"] for m, t in replications)
    assert covered >= 48, covered


def test_the_interval_is_not_uselessly_wide(replications):
    errors = np.array([m["uplift"] - t for m, t in replications])
    half = np.mean([(m["hi"] - m["lo"]) / 2 for m, _ in replications])
    assert 0.6 <= errors.std(ddof=1) / (half / Z90) <= 1.25


def test_the_campaign_really_lifts_revenue(replications):
    assert all(t > 0 for _, t in replications)
    assert np.mean([m["uplift"] for m, _ in replications]) > 0


def test_groups_are_the_configured_share_and_reported_in_the_summary():
    from models.metrics import summarize
    sim = make_sim(campaign(True), 5)
    sim.run()
    m = measured_uplift(sim, "email_campaign", HOLDOUT)
    share = m["held_out"] / (m["held_out"] + m["treated"])
    assert abs(share - HOLDOUT) < 4 * np.sqrt(HOLDOUT * (1 - HOLDOUT) / 4000)
    s = summarize(sim, 0.1)
    assert s["uplift_email_campaign"] == pytest.approx(m["uplift"])
    assert s["uplift_email_campaign_lo"] < s["uplift_email_campaign"] \
        < s["uplift_email_campaign_hi"]
    assert measured_uplift(sim, "email_campaign", 0.0) is None      # no control group
    assert measured_uplift(sim, "welcome_series", HOLDOUT) is None   # not in this run
