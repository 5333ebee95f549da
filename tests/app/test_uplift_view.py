"""Measured vs true uplift: the frame behind the app's view holds the figures the
Job/JSON path gives for the same seed, in one unit (incremental revenue, total), and
the view on a comparison whose mechanic keeps a control group draws them."""

import asyncio
import copy

import panel as pn
import pytest
import yaml

from apps.app import frames
from apps.app.request import RunRequest
from apps.app.runner import RunCache, Runner
from apps.app.store import ResultsStore
from apps.app.views.costs import Uplift
from apps.job import Job
from scenarios.loader import ScenarioFile

from helpers import MINIMAL

CAMPAIGN = {"enabled": True, "every_days": 7, "response_rate": 0.2, "uplift": 2.0,
            "holdout_share": 0.3}


def scenario_text() -> str:
    """A small scenario whose email campaign holds 30% of its targets back."""
    data = copy.deepcopy(MINIMAL)
    data.update(horizon_days=120, base={**data["base"], "customers": 1500})
    data["mechanics"] = {"email_campaign": {**CAMPAIGN, "enabled": False},
                         "experience": {"enabled": False}}
    data["strategies"] = {
        "baseline": {},
        "campaign": {"overrides": {"mechanics.email_campaign.enabled": True}},
        "both": {"overrides": {"mechanics.email_campaign.enabled": True,
                               "mechanics.experience.enabled": True}}}
    return yaml.safe_dump(data)


def job(by_mechanic: bool) -> Job:
    f = ScenarioFile.from_text(scenario_text(), "uplift.yaml")
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


def test_the_charts_points_are_the_tables_figures_side_by_side(split):
    """Each strategy's mechanic is one tick: measured just left of it, true just right,
    each with the table's mean and band; a true uplift not computed has no point."""
    j, result, _ = split
    table = frames.uplift(result, j)
    points = frames.uplift_points(table).set_index(["strategy", "which"])
    for i, row in enumerate(table.itertuples()):
        for which, side in (("measured", -1), ("true", 1)):
            point = points.loc[(row.strategy, which)]
            assert point["x"] == pytest.approx(i + side * frames.UPLIFT_OFFSET)
            assert point["label"] == f"{row.strategy}: {row.mechanic}"
            for k in ("mean", "lo", "hi"):
                assert point[k] == getattr(row, f"{which}_{k}")
    off = table.assign(true_mean=float("nan"))
    assert set(frames.uplift_points(off)["which"]) == {"measured"}


def test_without_the_split_the_true_figure_says_what_it_needs(split):
    j_off = job(False)
    result = j_off.run()
    off = frames.uplift(result, j_off).set_index(["strategy", "mechanic"])
    on = frames.uplift(split[1], split[0]).set_index(["strategy", "mechanic"])
    assert off["measured_mean"].to_dict() == pytest.approx(on["measured_mean"].to_dict())
    assert off["true_mean"].isna().all()
    assert (off["note"] == frames.SPLIT_NEEDED).all()


def test_the_view_draws_measured_and_true_with_their_bands(in_thread):
    """The app's path (request -> runner -> store -> view): the table on the page has
    both series and their p05-p95 bands, and its numbers are the JSON document's."""
    request = RunRequest(scenario_text(), "uplift.yaml", None, None, 3, 7,
                         ("baseline", "campaign", "both"), by_mechanic=True)
    store = ResultsStore()
    assert asyncio.run(Runner(store, submit=in_thread, cache=RunCache()).run(request))
    view = Uplift(store=store)
    shown = view.render()
    chart, table = shown.objects
    assert isinstance(table, pn.widgets.Tabulator)
    assert pn.panel(view).get_root() is not None
    whiskers, dots = chart.object.ErrorBars.I.dframe(), chart.object.NdOverlay.I
    points = frames.uplift_points(view.frame())
    assert len(points) == 4                      # 2 strategies x (measured, true)
    assert (whiskers["x"] == points["x"]).all()
    assert (whiskers["mean"] - whiskers["below"]).tolist() == pytest.approx(points["lo"].tolist())
    assert (whiskers["mean"] + whiskers["above"]).tolist() == pytest.approx(points["hi"].tolist())
    assert sorted(dots.keys()) == ["measured", "true"]
    for which in ("measured", "true"):           # one series of dots each, at its x
        mine = points[points["which"] == which]
        drawn = dots[which].dframe()
        assert drawn["x"].tolist() == mine["x"].tolist()
        assert drawn["mean"].tolist() == mine["mean"].tolist()
    shown = table.value.set_index(["strategy", "mechanic"])
    assert set(shown.index) == {("campaign", "email_campaign"), ("both", "email_campaign")}
    runs = store.result().summaries()
    doc = store.document()["strategies"]
    for strategy in ("campaign", "both"):
        row = shown.loc[(strategy, "email_campaign")]
        assert row["measured_lo"] <= row["measured_mean"] <= row["measured_hi"]
        assert row["true_lo"] <= row["true_mean"] <= row["true_hi"]
        mine = runs[runs["strategy"] == strategy]   # measured: per treated x treated
        total = mine["uplift_email_campaign"] * mine["uplift_email_campaign_treated"]
        assert row["measured_mean"] == pytest.approx(total.mean(), abs=0.05)  # shown to 0.1
        assert row["measured_lo"] < row["measured_hi"]     # 3 seeds: a band, not a point
        true = doc[strategy]["by_mechanic"]["email_campaign"]["incremental_revenue"]
        for k in ("mean", "lo", "hi"):
            assert row[f"true_{k}"] == pytest.approx(true[k], abs=0.05)
        assert row["measured_mean"] / row["treated"] == pytest.approx(
            doc[strategy]["uplift_email_campaign"]["mean"], rel=0.2)
