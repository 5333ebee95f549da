"""The economic model beside the simulator: the closed-form projection of the same
scenario (instant, redrawn whenever a parameter moves) and its leverage table, next to
what the simulator reports once its runs are in."""

import asyncio

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from apps.app.state import AppState
from apps.app.store import ResultsStore
from scenarios.errors import InputError

YEAR = 365


def simulator_years(result, strategy: str) -> pd.DataFrame:
    """year, simulator_revenue, simulator_active (year end), mean over replications."""
    d = result.daily()
    d = d.loc[d["strategy"] == strategy, ["rep", "day", "new_revenue", "n_active"]]
    if d.empty:
        return pd.DataFrame(columns=["year", "simulator_revenue", "simulator_active"])
    year = d["day"] // YEAR + 1
    per_rep = d.assign(year=year).groupby(["rep", "year"]).agg(
        simulator_revenue=("new_revenue", "sum"), simulator_active=("n_active", "last"))
    full = per_rep.reset_index().groupby("year", as_index=False).mean()
    days = d.groupby(year)["day"].nunique()
    return full[full["year"].map(days) == YEAR].drop(columns="rep")


def side_by_side(document: dict, simulated: pd.DataFrame | None) -> pd.DataFrame:
    """The model's years with the simulator's beside them (where it has whole years)."""
    model = pd.DataFrame(document["years"])[["year", "revenue", "gross_margin",
                                             "active_customers"]]
    model = model.rename(columns={"revenue": "model_revenue",
                                  "gross_margin": "model_gross_margin",
                                  "active_customers": "model_active"})
    if simulated is None or simulated.empty:
        return model
    return model.merge(simulated, on="year", how="left")


class EconomicsView(Viewer):
    """Recomputed off the UI thread on every change of the scenario or its parameters
    (before the comparison the same change starts, see `SnowballApp`); the newest
    request wins."""

    state = param.ClassSelector(class_=AppState)
    store = param.ClassSelector(class_=ResultsStore)
    strategy = param.String("baseline")
    document = param.Dict(default=None, allow_None=True)
    error = param.String("")
    seconds = param.Number(0.0, doc="time the model took for the shown numbers")
    shown = param.Boolean(True, doc="on screen (its tab is the active one)")

    def __init__(self, **params):
        super().__init__(**params)
        self._asked = 0
        self._stale = False
        self._years_of: tuple = (None, None, None)

    async def update(self, *events, request=None) -> None:
        """Recompute for `request` (default: the state's); while the view is hidden it
        only notes that its numbers are stale, so no run waits on a model nobody sees."""
        if not self.shown:
            self._stale = True
            return
        self._asked += 1
        asked, self._stale = self._asked, False
        request = request or self.state.request()
        if request is None:
            return
        strategy = self.strategy if self.strategy in request.strategies else "baseline"
        years = max(1, round(request.days / YEAR))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        try:
            document = await asyncio.to_thread(_compute, request, strategy, years)
        except InputError as e:
            self.error = e.message
            return
        if asked == self._asked:
            self.param.update(document=document, error="", seconds=loop.time() - t0)

    @param.depends("shown", watch=True)
    def _on_shown(self) -> None:
        if self.shown and self._stale:
            pn.state.execute(self.update)

    def _simulated(self, strategy: str) -> pd.DataFrame | None:
        """The simulator's years, once per set of runs (not once per model update)."""
        result = self.store.result()
        if result is None:
            return None
        if self._years_of[0] is not result or self._years_of[1] != strategy:
            self._years_of = (result, strategy, simulator_years(result, strategy))
        return self._years_of[2]

    def tables(self, document: dict | None) -> dict | None:
        """What the tables show: {heading, years, leverage, footer}, or None while the
        model computes."""
        if document is None:
            return None
        years = side_by_side(document, self._simulated(document["strategy"]))
        leverage = pd.DataFrame(document["leverage"])[["step", "revenue_change",
                                                       "revenue_change_pct"]]
        return {"heading": f"**{document['scenario']}, strategy {document['strategy']}**: "
                "the model's yearly figures beside the simulator's (mean over its "
                "replications)", "years": years.round(1), "leverage": leverage.round(2),
                "footer": "Only the simulator can show: "
                + ", ".join(document["simulator_only"] or ["-"])}

    def _panes(self):
        """The panes on screen, refilled in place: new numbers travel to the page as a
        data update, not as new tables the page must build."""
        waiting = pn.pane.Markdown("*the economic model: computing ...*")
        heading, footer = pn.pane.Markdown(""), pn.pane.Markdown("")
        years = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False,
                                     css_classes=["economics-years"])
        leverage = pn.widgets.Tabulator(pd.DataFrame(), disabled=True, show_index=False,
                                        css_classes=["economics-leverage"])
        shown = pn.Column(heading, years, "**What one step of each lever does** (revenue "
                          "over the horizon)", leverage, footer, visible=False,
                          sizing_mode="stretch_width")

        def fill(*_):
            if not self.shown:
                return            # refilled when its tab is shown
            out = self.tables(self.document)
            waiting.visible, shown.visible = out is None, out is not None
            if out is not None:
                heading.object, footer.object = out["heading"], out["footer"]
                years.value, leverage.value = out["years"], out["leverage"]

        self.param.watch(fill, ["document", "shown"])
        self.store.param.watch(fill, "version")
        fill()
        return waiting, shown

    def __panel__(self):
        strategies = pn.widgets.Select(label="strategy", value=self.strategy,
                                       options=list(self.state.strategies) or ["baseline"])
        self.state.param.watch(lambda e: setattr(strategies, "options", list(e.new)),
                               "strategies")
        strategies.link(self, value="strategy")
        self.param.watch(self.update, "strategy")
        error = pn.pane.Alert(alert_type="danger", visible=False)
        self.param.watch(lambda e: error.param.update(object=e.new, visible=bool(e.new)),
                         "error")
        return pn.Column("### The economic model", strategies, error, *self._panes(),
                         sizing_mode="stretch_width")

def _compute(request, strategy: str, years: int) -> dict:
    from apps.economics import economics_document

    return economics_document(request.scenario_file(), strategy, years)
