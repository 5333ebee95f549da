"""Measured vs true uplift: the frame behind the app's view holds the figures the
Job/JSON path gives for the same seed, in one unit (incremental revenue, total)."""

import copy

import pytest
import yaml

from apps.app import frames
from apps.job import Job
from scenarios.loader import ScenarioFile

from helpers import MINIMAL

CAMPAIGN = {"enabled": True, "every_days": 7, "response_rate": 0.2, "uplift": 2.0,
            "holdout_share": 0.3}


def job(by_mechanic: bool) -> Job:
    data = copy.deepcopy(MINIMAL)
    data.update(horizon_days=120, base={**data["base"], "customers": 1500})
    data["mechanics"] = {"email_campaign": {**CAMPAIGN, "enabled": False},
                         "experience": {"enabled": False}}
    data["strategies"] = {
        "baseline": {},
        "campaign": {"overrides": {"mechanics.email_campaign.enabled": True}},
        "both": {"overrides": {"mechanics.email_campaign.enabled": True,
                               "mechanics.experience.enabled": True}}}
    f = ScenarioFile.from_text(yaml.safe_dump(data), "uplift.yaml")
    return Job.prepare(f, None, None, 3, 7, "all", by_mechanic=by_mechanic)


@pytest.fixture(scope="module")
def split():
    j = job(True)
    result = j.run()
    return j, result, j.document(result)


def test_measured_and_true_are_the_json_figures_of_the_same_seed(split):
    j, result, doc = split
    frame = frames.uplift(result, j).set_index(["strategy", "mechanic"])
    assert set(frame.index) == {("campaign", "email_campaign"), ("both", "email_campaign")}
    runs = result.summaries()
    for strategy in ("campaign", "both"):
        row = frame.loc[(strategy, "email_campaign")]
        mine = runs[runs["strategy"] == strategy]
        total = mine["uplift_email_campaign"] * mine["uplift_email_campaign_treated"]
        assert row["measured_mean"] == pytest.approx(total.mean(), rel=1e-12)
        stats = doc["strategies"][strategy]
        assert row["measured_mean"] / row["treated"] == pytest.approx(
            stats["uplift_email_campaign"]["mean"], rel=0.2)   # treated varies a little by rep
        true = stats["by_mechanic"]["email_campaign"]["incremental_revenue"]
        for k in ("mean", "lo", "hi"):
            assert row[f"true_{k}"] == pytest.approx(true[k], rel=1e-12)
        assert row["measured_lo"] <= row["measured_mean"] <= row["measured_hi"]
        assert row["note"] == ""


def test_without_the_split_the_true_figure_says_what_it_needs(split):
    j_off = job(False)
    result = j_off.run()
    off = frames.uplift(result, j_off).set_index(["strategy", "mechanic"])
    on = frames.uplift(split[1], split[0]).set_index(["strategy", "mechanic"])
    assert off["measured_mean"].to_dict() == pytest.approx(on["measured_mean"].to_dict())
    assert off["true_mean"].isna().all()
    assert (off["note"] == frames.SPLIT_NEEDED).all()
