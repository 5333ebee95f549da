"""Stages follow the demand type: a renewing buyer whose next purchase is not yet due is
not lapsed, however long the renewal period or the need interval is next to
`funnel.lapsed_after_days`; a missed renewal or need does make them lapse."""

import numpy as np

from tests.helpers import run, scenario

DAYS = 365


def _contract(period: int, **funnel):
    return scenario(
        horizon_days=DAYS,
        base={"customers": 4000, "history": {"potential": 1.0}},
        acquisition={"inflow_per_day": 0, "arrive_as": "new"},
        behaviour={"purchase_rate": 0.5, "spend": 100.0, "orders_per_day": "single",
                   "dropout": 0.0,
                   "demand": {"contractual": {"share": 1.0, "period_days": period}}},
        funnel={"lapsed_after_days": 100, "churned_after_days": 200, **funnel})


def _recurrent(share_of_wallet: float):
    # needs every ~150 days, very regular (Gamma shape 400: sd ~7.5 days)
    return scenario(
        horizon_days=DAYS,
        base={"customers": 4000, "history": {"potential": 1.0}},
        behaviour={"purchase_rate": 1 / 150, "spend": 100.0, "orders_per_day": "single",
                   "dropout": 0.0, "stages": {"potential": {"buy": 50.0}},
                   "demand": {"recurrent": {"share": 1.0, "regularity": 400,
                                            "share_of_wallet": share_of_wallet}}},
        funnel={"lapsed_after_days": 100, "churned_after_days": 400})


def _series(sc):
    _, results, _ = run(sc, seed=3)
    return results.daily()


def test_contract_longer_than_the_lapse_threshold_never_lapses_its_renewers():
    """A 120-day contract, lapse after 100 days, nobody cancels: every subscriber stays
    active (new/repeat/loyal) all year and nobody is ever 'won back'."""
    d = _series(_contract(120))
    bought = d["cum_first_purchases"].iloc[-1]
    assert bought > 3900                      # leads at 0.5 a day all buy in days
    assert d["n_lapsed"].max() == 0 and d["n_churned"].max() == 0
    assert d["cum_won_back"].iloc[-1] == 0
    assert d["n_active"].iloc[-1] == bought


def test_contract_lapses_after_a_missed_renewal():
    """With a stage hazard some subscribers die between renewals: they lapse once their
    renewal day has passed (not before it, not at 100 days of silence)."""
    sc = _contract(120)
    data = sc.model_dump()
    data["behaviour"]["stages"] = {"new": {"churn_hazard": 0.002},
                                   "repeat": {"churn_hazard": 0.002}}
    d = _series(type(sc).model_validate(data))
    assert d["n_lapsed"].iloc[-1] > 0
    assert d["cum_won_back"].iloc[-1] == 0             # the dead do not come back
    # nobody can be lapsed before a first renewal day has passed (day ~120 at the earliest)
    assert d["n_lapsed"].iloc[:119].max() == 0


def test_recurrent_need_longer_than_the_lapse_threshold():
    """Needs every ~150 days, all bought here: nobody lapses, nobody is won back. With a
    share of wallet of 0.5, a need bought elsewhere makes the customer lapse (100 days
    of silence past a missed need), and the next need bought here wins them back."""
    d = _series(_recurrent(1.0))
    assert d["n_lapsed"].max() == 0 and d["cum_won_back"].iloc[-1] == 0
    assert d["cum_repeat_purchases"].iloc[-1] > 4000   # about two renewals each
    half = _series(_recurrent(0.5))
    assert half["n_lapsed"].max() > 0
    assert half["cum_won_back"].iloc[-1] > 0
    # won back no more often than needs were missed and then bought
    assert half["cum_won_back"].iloc[-1] < half["cum_repeat_purchases"].iloc[-1]
    assert np.all(np.diff(half["cum_won_back"].to_numpy()) >= 0)
