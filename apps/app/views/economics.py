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
LEVERAGE = ["step", "revenue_change", "revenue_change_pct", "gross_margin_change",
            "gross_margin_change_pct"]


SIMULATED = ["period", "simulator_revenue", "simulator_gross_margin", "simulator_active"]


def run_label(days: int) -> str:
    return f"first {days} days (the run)"


def spans(days: int) -> list[tuple[str, int, int]]:
    """(period, first day, end day): each whole year, and the horizon itself when it
    is not whole years (a run of under a year has only that)."""
    out = [(f"year {y}", (y - 1) * YEAR, y * YEAR) for y in range(1, days // YEAR + 1)]
    return out + ([(run_label(days), 0, days)] if days % YEAR else [])


def simulator_periods(result, strategy: str) -> pd.DataFrame:
    """period, simulator_revenue, simulator_gross_margin, simulator_active (at the
    period's end), mean over the replications so far."""
    d = result.daily()
    d = d.loc[d["strategy"] == strategy, ["rep", "day", "new_revenue", "new_gross_margin",
                                          "n_active"]]
    if d.empty:
        return pd.DataFrame(columns=SIMULATED)
    rows = []
    for period, lo, hi in spans(int(d["day"].max()) + 1):
        per_rep = d[(d["day"] >= lo) & (d["day"] < hi)].groupby("rep").agg(
            simulator_revenue=("new_revenue", "sum"),
            simulator_gross_margin=("new_gross_margin", "sum"),
            simulator_active=("n_active", "last"))
        rows.append({"period": period, **per_rep.mean().to_dict()})
    return pd.DataFrame(rows, columns=SIMULATED)


def model_periods(document: dict) -> pd.DataFrame:
    """period, model_revenue, model_gross_margin, model_active: the model's years and,
    when the scenario's horizon is not whole years, its figures over the horizon."""
    rows = [{"period": f"year {y['year']}", "model_revenue": y["revenue"],
             "model_gross_margin": y["gross_margin"], "model_active": y["active_customers"]}
            for y in document["years"]]
    h = document["horizon"]
    if h["days"] % YEAR:
        rows.append({"period": run_label(h["days"]), "model_revenue": h["revenue"],
                     "model_gross_margin": h["gross_margin"],
                     "model_active": h["active_customers_end"]})
    return pd.DataFrame(rows)


def side_by_side(document: dict, simulated: pd.DataFrame | None) -> pd.DataFrame:
    """The model's periods with the simulator's beside them (where it ran them)."""
    model = model_periods(document)
    if simulated is None or simulated.empty:
        return model
    return model.merge(simulated, on="period", how="left")


def same_scenario(a, b) -> bool:
    """Whether two requests describe the same scenario (what the model reads): the
    simulator's numbers of one may stand beside the model's of the other."""
    fields = ("text", "label", "customers", "days", "overrides")
    return a is not None and b is not None and all(
        getattr(a, f) == getattr(b, f) for f in fields)


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
        self._request = None        # the request the document on screen was made for
        self._periods_of: tuple = (None, None, None)

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
        years = max(1, -(-request.days // YEAR))      # the years that cover the run
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        try:
            document = await asyncio.to_thread(_compute, request, strategy, years)
        except InputError as e:
            self.error = e.message
            return
        if asked == self._asked:
            self._request = request
            self.param.update(document=document, error="", seconds=loop.time() - t0)

    @param.depends("shown", watch=True)
    def _on_shown(self) -> None:
        if self.shown and self._stale:
            pn.state.execute(self.update)

    def _simulated(self, strategy: str) -> pd.DataFrame | None:
        """The simulator's periods, once per set of runs (not once per model update);
        None until runs of the model's scenario are in."""
        result = self.store.result()
        if result is None or not same_scenario(self._request, self.store.request) \
                or strategy not in self.store.request.strategies:
            return None
        if self._periods_of[0] is not result or self._periods_of[1] != strategy:
            self._periods_of = (result, strategy, simulator_periods(result, strategy))
        return self._periods_of[2]

    def tables(self, document: dict | None) -> dict | None:
        """What the tables show: {heading, years, leverage, footer}, or None while the
        model computes."""
        if document is None:
            return None
        simulated = self._simulated(document["strategy"])
        years = side_by_side(document, simulated)
        leverage = pd.DataFrame(document["leverage"])[LEVERAGE]
        beside = ("beside the simulator's (mean over its replications so far)"
                  if simulated is not None else "; the simulator's figures appear beside "
                  "them once the runs of this setting are in")
        return {"heading": f"**{document['scenario']}, strategy {document['strategy']}**: "
                f"the model's figures {beside}", "years": years.round(1),
                "leverage": leverage.round(2),
                "footer": "Only the simulator can show: "
                + ", ".join(document["simulator_only"] or ["-"])}

    def _panes(self):
        """The panes on screen, refilled in place. The tables are plain HTML: a few
        rows each, so new numbers are one small message, and an HTML table draws the
        same whether its tab was hidden or not."""
        waiting = pn.pane.Markdown("*the economic model: computing ...*")
        heading, levers, footer = (pn.pane.Markdown("") for _ in range(3))
        years, leverage = (pn.pane.DataFrame(None, index=False, na_rep="-", css_classes=[css],
                                             sizing_mode="stretch_width")
                           for css in ("economics-years", "economics-leverage"))
        shown = pn.Column(heading, years, levers, leverage, footer,
                          sizing_mode="stretch_width")

        def fill(*_):
            if not self.shown:
                return            # refilled when its tab is shown
            out = self.tables(self.document)
            waiting.visible = out is None
            if out is not None:
                heading.object, footer.object = out["heading"], out["footer"]
                levers.object = LEVERS_HEADING
                years.object, leverage.object = out["years"], out["leverage"]

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

LEVERS_HEADING = ("**What one step of each lever does** (revenue and gross margin over "
                  "the model's years)")


def _compute(request, strategy: str, years: int) -> dict:
    from apps.economics import economics_document

    return economics_document(request.scenario_file(), strategy, years)
