"""Every view renders, and the frames behind the charts hold what the runs hold."""

import asyncio
import io

import numpy as np
import pandas as pd
import param
import panel as pn
import pytest
import yaml

from apps.app import downloads, frames
from apps.app.state import AppState
from apps.app.views.economics import EconomicsView
from scenarios.loader import ScenarioFile, scenario_id

from app_fixtures import SMALL, STRATEGIES

VIEWS = ["kpis", "money", "stages", "cake", "ltv", "funnel", "rfm", "costs", "by_mechanic"]


@pytest.mark.parametrize("name", VIEWS)
def test_every_view_renders_its_frame(computed, name):
    view = computed.views[name]
    frame = view.frame()
    assert not frame.empty
    assert pn.panel(view.render()).get_root() is not None


def test_money_bands_hold_the_mean_and_add_up_to_the_runs(computed):
    money = frames.monthly_money(computed.store.result())
    assert (money["lo"] <= money["mean"] + 1e-9).all()
    assert (money["mean"] <= money["hi"] + 1e-9).all()
    revenue = money[(money["metric"] == "revenue")].groupby("strategy")["mean"].sum()
    doc = computed.store.document()["strategies"]
    for s in STRATEGIES:    # months partition the days: the sum is the run's revenue
        assert revenue[s] == pytest.approx(doc[s]["revenue"]["mean"], rel=1e-9)


def test_layer_cake_and_funnel_match_the_totals(computed):
    result = computed.store.result()
    doc = computed.store.document()["strategies"]
    cake = frames.layer_cake(result).groupby("strategy")["revenue"].sum()
    funnel = frames.funnel(result).set_index(["strategy", "step"])["customers"]
    stages = frames.stages(result)
    last = stages[stages["month"] == stages["month"].max()]
    for s in STRATEGIES:
        assert cake[s] == pytest.approx(doc[s]["revenue"]["mean"], rel=1e-9)
        assert funnel[(s, "churned (premature)")] == doc[s]["churned_premature"]["mean"]
        assert funnel[(s, "churned (natural)")] == doc[s]["churned_natural"]["mean"]
        active = last[(last["strategy"] == s) & last["stage"].isin(
            ["new", "repeat", "loyal", "won_back"])]["customers"].sum()
        assert active == pytest.approx(doc[s]["active_customers_end"]["mean"])


def test_kpi_cards_show_the_difference_to_the_baseline(computed):
    cards = frames.kpi_cards(computed.store.document()).set_index(["strategy", "label"])
    doc = computed.store.document()["strategies"]
    vs = doc["retention_plus"]["vs_baseline"]
    assert cards.loc[("retention_plus", "Revenue"), "vs_baseline"] == \
        vs["incremental_revenue"]["mean"]
    equity = {s: doc[s]["customer_equity"]["mean"] for s in ("baseline", "retention_plus")}
    assert cards.loc[("retention_plus", "Customer equity"), "vs_baseline"] == pytest.approx(
        equity["retention_plus"] - equity["baseline"])
    assert np.isnan(cards.loc[("baseline", "Revenue"), "vs_baseline"])
    assert set(cards.index.get_level_values("label")) == {c[0] for c in frames.KPI_CARDS}


def test_costs_by_mechanic_and_channel(computed):
    costs = computed.views["costs"].frame()
    crm = costs[(costs["strategy"] == "crm_programme") & (costs["by"] == "mechanic")]
    assert {"replenishment", "experience", "email_campaign"} <= set(crm["name"])
    channel = costs[(costs["strategy"] == "crm_programme") & (costs["by"] == "channel")]
    total = computed.store.document()["strategies"]["crm_programme"]["crm_cost"]["mean"]
    assert crm["cost"].sum() == pytest.approx(total, rel=1e-9)   # every cost has a mechanic
    # channels carry the messages only, not budgets (experience) or coupons (win-back)
    assert 0 < channel["cost"].sum() < total - crm.set_index("name").loc["experience", "cost"]


def test_by_mechanic_on_demand(computed):
    split = frames.by_mechanic(computed.store.document())
    assert set(split[split["strategy"] == "crm_programme"]["mechanic"]) == {
        "experience", "replenishment", "welcome_series", "win_back"}


def test_downloads(computed, tmp_path):
    runs = pd.read_csv(io.StringIO(downloads.runs_csv(computed.store).read()))
    assert {"strategy", "rep", "seed", "revenue", "contribution"} <= set(runs.columns)
    assert len(runs) == len(STRATEGIES) * 2
    daily = pd.read_parquet(downloads.daily_parquet(computed.store))
    assert {"strategy", "rep", "day", "new_revenue"} <= set(daily.columns)
    request = computed.store.request
    path = tmp_path / "scenario.yaml"
    path.write_text(downloads.scenario_yaml(request).read())
    again = ScenarioFile(str(path))
    again.adjust(customers=request.customers)
    assert scenario_id(again.scenario) == scenario_id(request.scenario_file().scenario)
    assert yaml.safe_load(path.read_text())["horizon_days"] == 182
    report = downloads.html_report(computed.store.document(),
                                   [computed.views[k] for k in ("kpis", "money")]).read()
    assert "<script src=\"http" not in report and "Bokeh" in report
    assert "retention_plus" in report


def test_economic_model_beside_the_simulator(computed):
    """Half a year simulated: the model's year 1, and the run's 182 days with the
    simulator's mean beside the model's (the CLI document's figures of the same runs)."""
    view = EconomicsView(state=computed.state, store=computed.store)
    asyncio.run(view.update())
    doc = view.document
    table = view.tables(doc)["years"].set_index("period")
    run = "first 182 days (the run)"
    assert list(table.index) == ["year 1", run]
    assert table.loc["year 1", "model_revenue"] == round(doc["years"][0]["revenue"], 1)
    assert pd.isna(table.loc["year 1", "simulator_revenue"])   # no whole year simulated
    assert table.loc[run, "model_revenue"] == round(doc["horizon"]["revenue"], 1)
    sim = computed.store.document()["strategies"]["baseline"]
    for column, metric in (("simulator_revenue", "revenue"),
                           ("simulator_gross_margin", "gross_margin"),
                           ("simulator_active", "active_customers_end")):
        assert table.loc[run, column] == pytest.approx(sim[metric]["mean"], abs=0.05)


def test_the_economic_model_panes_show_its_tables(computed):
    """The panes on screen hold the tables' frames, refilled when new numbers come."""
    view = EconomicsView(state=computed.state, store=computed.store)
    waiting, shown = view._panes()
    assert waiting.visible
    asyncio.run(view.update())
    out = view.tables(view.document)
    years, leverage = shown[1].object, shown[3].object
    assert not waiting.visible
    assert years.equals(out["years"]) and leverage.equals(out["leverage"])
    assert "model_gross_margin" in shown[1]._get_properties(None)["text"]


def test_the_simulator_stands_beside_the_model_only_for_the_same_scenario(computed):
    """An edit the runs on screen do not have yet: the model's new numbers alone, and
    the heading says the simulator's follow."""
    state = AppState(**SMALL)
    state.param.update(strategies=STRATEGIES, overrides={"economics.gross_margin": 0.3})
    view = EconomicsView(state=state, store=computed.store)
    asyncio.run(view.update())
    shown = view.tables(view.document)
    assert "simulator_revenue" not in shown["years"]
    assert "once the runs of this setting are in" in shown["heading"]


def test_the_leverage_table_shows_what_each_step_does_to_the_margin(computed):
    """The margin step moves gross margin, not revenue; the table shows both, as the
    document has them."""
    view = EconomicsView(state=computed.state, store=computed.store)
    asyncio.run(view.update())
    leverage = view.tables(view.document)["leverage"].set_index("step")
    rows = {r["step"]: r for r in view.document["leverage"]}
    margin = "+1 point of gross margin"
    assert leverage.loc[margin, "revenue_change"] == 0
    assert leverage.loc[margin, "gross_margin_change"] > 0
    for step, row in rows.items():
        for column in ("revenue_change", "gross_margin_change", "gross_margin_change_pct"):
            assert leverage.loc[step, column] == round(row[column], 2)


def test_the_whole_page_builds(in_thread):
    from apps.app.layout import SnowballApp

    app = SnowballApp(submit=in_thread, customers=300)
    page = app.page()
    assert pn.Column(*page.sidebar, *page.main).get_root() is not None


@pytest.mark.parametrize("name", ["money", "stages"])
def test_a_chart_on_screen_takes_new_numbers_in_place(computed, name):
    """The first draw builds the plot; a redraw of the same shape sends the frame to it
    (no new plot: `Skip` keeps the one on the page); a hidden view draws nothing."""
    view = computed.views[name]
    view._pipe = None
    plot = view.on_screen(1, True)
    assert pn.panel(plot).get_root() is not None
    pipe, before = view._pipe, view._pipe.data
    with pytest.raises(param.Skip):
        view.on_screen(2, True)
    assert view._pipe is pipe and pipe.data is not before    # the new frame was sent
    pd.testing.assert_frame_equal(pipe.data, view.frame())
    with pytest.raises(param.Skip):
        view.on_screen(3, False)


def test_only_the_tab_on_screen_redraws(in_thread):
    """Views on hidden tabs keep what they drew; the economic model computes only on
    its tab, and a change it does not read (the seed) does not recompute it."""
    from apps.app.layout import RESULT_TABS, SnowballApp

    app = SnowballApp(submit=in_thread, customers=300, years=0.25, reps=1)
    app.page()
    assert app.views["kpis"].shown and not app.views["cake"].shown
    assert not app.economics.shown
    with pytest.raises(param.Skip):
        app.views["cake"].on_screen(1, app.views["cake"].shown)
    asyncio.run(app.respond({"overrides"}))
    assert app.economics.document is None and app.store.done == app.store.total > 0
    app.show_tab(len(RESULT_TABS))
    assert app.economics.shown and not app.views["kpis"].shown
    asyncio.run(app.respond({"overrides"}))
    assert app.economics.document["strategy"] == "baseline"
    asked = app.economics._asked
    app.state.seed += 1
    asyncio.run(app.respond({"seed"}))
    assert app.economics._asked == asked and app.store.document()["seed"] == app.state.seed
