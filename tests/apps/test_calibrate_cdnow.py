"""`snowball calibrate` on the CDNOW sample (tests/data/CDNOW_sample.txt, 2,357 customers,
39-week calibration 1997-01-01..1997-09-30, 39-week holdout to 1998-06-30).

Published figures:
[FHL05a] Fader, Hardie & Lee (2005), Marketing Science 24(2): BG/NBD r=0.243,
         alpha=4.414, a=0.793, b=2.426, LL=-9582.4; Pareto/NBD r=0.55, alpha=10.58,
         s=0.61, beta=11.67, LL=-9595.0 (table 1).
[FHL05b] Fader, Hardie & Lee (2005), J. Marketing Research 42(4): Gamma-Gamma p=6.25,
         q=3.74, gamma=15.44.
The fit is cross-checked against lifetimes (an independent implementation, test-only
dependency) from its own summary of the raw rows; the simulated holdout against the
BG/NBD's conditional expectation within 4 standard errors of the replications' mean.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from apps.calibration import calibrate_log
from apps.cli import app
from models.txlog_layout import LogOptions

CDNOW = Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt"
END, HOLDOUT = "1997-09-30", "1998-06-30"
REPS = 8


@pytest.fixture(scope="module")
def cal():
    return calibrate_log(CDNOW, LogOptions(), END, HOLDOUT, reps=REPS, seed=11)


@pytest.fixture(scope="module")
def raw():
    tx = pd.read_csv(CDNOW, sep=r"\s+", header=None, names=["c", "s", "date", "n", "v"],
                     dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    return tx


def test_published_bgnbd_and_gamma_gamma(cal):
    fit = cal.report["fit"]
    bg, gg, pn = fit["bgnbd"], fit["gamma_gamma"], fit["pareto_nbd"]
    assert bg["time_unit_days"] == 7
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(bg["log_likelihood"], 1) == -9582.4
    assert [round(gg[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    assert gg["customers"] == 946
    assert [round(pn[k], 2) for k in ("r", "alpha", "s", "beta")] == [0.55, 10.58, 0.61, 11.67]
    assert round(pn["log_likelihood"], 1) == -9595.0
    assert fit["better_fit"] == "bgnbd"


def test_fit_agrees_with_lifetimes(cal, raw):
    """lifetimes' own summary (days, rescaled to weeks) and fitters; standard errors
    too (lifetimes inverts the Hessian of its own likelihood)."""
    import warnings
    warnings.simplefilter("ignore")
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
    from lifetimes.utils import summary_data_from_transaction_data

    s = summary_data_from_transaction_data(raw, "c", "date", monetary_value_col="v",
                                           observation_period_end=END, freq="D")
    s[["recency", "T"]] /= 7
    bg = BetaGeoFitter().fit(s.frequency, s.recency, s["T"])
    ours = cal.report["fit"]
    for k in ("r", "alpha", "a", "b"):
        assert ours["bgnbd"][k] == pytest.approx(bg.params_[k], rel=1e-3)
        assert ours["bgnbd"]["se"][k] == pytest.approx(bg.summary.loc[k, "se(coef)"],
                                                       rel=1e-2)
    rep = s[(s.frequency > 0) & (s.monetary_value > 0)]
    gg = GammaGammaFitter().fit(rep.frequency, rep.monetary_value)
    for k, theirs in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert ours["gamma_gamma"][k] == pytest.approx(gg.params_[theirs], rel=1e-3)
    pn = ParetoNBDFitter().fit(s.frequency, s.recency, s["T"])
    for k in ("r", "alpha", "s", "beta"):
        assert ours["pareto_nbd"][k] == pytest.approx(pn.params_[k], rel=2e-3)


def test_holdout_counts_and_simulation(cal, raw):
    h = cal.report["holdout"]
    days = raw.drop_duplicates(["c", "date"])
    first = days.groupby("c")["date"].transform("min")
    inside = (days.date > END) & (days.date <= HOLDOUT) & (first <= END)
    assert h["actual_repeat"] == int(inside.sum())
    assert h["days"] == 273
    sim = h["simulated_repeat"]
    assert sim["reps"] == REPS and sim["lo"] <= sim["mean"] <= sim["hi"]
    # sampling error of the mean of REPS replications, from their own spread
    assert abs(sim["mean"] - h["model_expected_repeat"]) <= 4 * sim["sd"] / np.sqrt(REPS)
    track = cal.frames["tracking"]
    assert track["actual_cum"].iloc[-1] == cal.report["calibration"]["repeat_transactions"] \
        + h["actual_repeat"]
    freq = pd.DataFrame(h["by_frequency"])
    assert freq["customers"].sum() == 2357 and list(freq["x"])[-1] == "7+"


def test_scenario_reproduces_the_base_and_runs(cal, tmp_path):
    data = yaml.safe_load(cal.scenario_yaml)
    profiles = np.array(data["base"]["profiles"])
    assert profiles[:, 3].sum() == data["base"]["customers"] == 2357
    # purchases and repeat days of the log, customer for customer
    assert (profiles[:, 3] * (profiles[:, 0] - 1)).sum() == \
        cal.report["calibration"]["repeat_transactions"]
    assert data["behaviour"]["purchase_rate"]["gamma"]["rate"] == pytest.approx(4.4136 * 7,
                                                                                 rel=1e-4)
    prov = data["provenance"]
    assert prov["log_sha256"] == cal.report["sha256"] and prov["calibration_end"] == END
    assert set(prov["standard_errors"]) >= {"bgnbd.r", "gamma_gamma.p"}
    assert data["acquisition"]["inflow_per_day"] == 0   # CDNOW's cohort closed in March
    path = tmp_path / "cdnow.yaml"
    path.write_text(cal.scenario_yaml)
    res = CliRunner().invoke(app, ["run", str(path), "--days", "20", "--reps", "1",
                                   "--json", "--strategies", "baseline"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["customers"] == 2357 and doc["strategies"]["baseline"]["purchases"]["mean"] > 0


def test_report_html_is_self_contained(cal):
    from apps.calibrate_report import report_html

    page = report_html(cal.report, cal.frames)
    assert page.startswith("<!DOCTYPE html>") and "Bokeh" in page
    assert "<script src=" not in page          # JavaScript inlined, no network
    assert "1,882" in page or str(cal.report["holdout"]["actual_repeat"]) in page
