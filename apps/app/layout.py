"""The page: state -> runner -> store -> views, assembled in one template."""

import asyncio
from functools import partial

import panel as pn

from apps.app import downloads
from apps.app.controls import sidebar
from apps.app.runner import Runner
from apps.app.state import AppState
from apps.app.store import ResultsStore
from apps.app.views.calibrate import CalibrateView
from apps.app.views.cohorts import LayerCake, LtvByCohort
from apps.app.views.costs import ByMechanic, Costs, Uplift
from apps.app.views.economics import EconomicsView
from apps.app.views.funnel import Funnel, RfmSegments
from apps.app.views.kpis import KpiCards
from apps.app.views.series import ActiveBase, MoneyOverTime
from apps.app.views.sweeps import SweepsView

RUN_ON = ("preset", "strategies", "customers", "years", "reps", "seed", "overrides",
          "custom_strategy", "by_mechanic")
ECONOMICS_ON = ("preset", "strategies", "customers", "years", "overrides", "custom_strategy")
RESULT_TABS = (("Comparison", ("kpis", "money", "stages")), ("Snowball", ("cake", "ltv")),
               ("Funnel and segments", ("funnel", "rfm")),
               ("Costs and uplift", ("costs", "uplift", "by_mechanic")))
URL = {"preset": "scenario", "strategies": "strategies", "customers": "customers",
       "years": "years", "reps": "reps", "seed": "seed", "overrides": "set",
       "custom_strategy": "custom"}


class SnowballApp:
    """One session's app: its own state, store and runner (nothing shared with other
    sessions but the worker pool and the cache of finished runs)."""

    def __init__(self, submit=None, **state):
        self.state = AppState(**state)
        self.store = ResultsStore()
        self.runner = Runner(self.store, submit=submit)
        s = self.store
        self.views = {"kpis": KpiCards(store=s), "money": MoneyOverTime(store=s),
                      "stages": ActiveBase(store=s), "cake": LayerCake(store=s),
                      "ltv": LtvByCohort(store=s), "funnel": Funnel(store=s),
                      "rfm": RfmSegments(store=s), "costs": Costs(store=s),
                      "uplift": Uplift(store=s), "by_mechanic": ByMechanic(store=s)}
        self.economics = EconomicsView(state=self.state, store=s)
        self.calibrate = CalibrateView(app_state=self.state, on_use=self.show_comparison)
        self.tabs = None
        self._responses = 0

    async def refresh(self, request=None) -> bool:
        """Run `request` (default: the current one), superseding one in flight; False if
        the input is invalid (its message is shown) or a newer request took over."""
        request = request or self.state.request()
        if request is None:
            return False
        try:
            return await self.runner.run(request)
        except MemoryError:
            self.store.fail("the simulated base outgrew the memory of the server: use "
                            "fewer customers or a shorter horizon")
        return False

    def start(self) -> None:
        """Wire the state to the runner and the economic model (in a server session)."""
        self.state.param.watch(self._changed, list(RUN_ON))
        self._changed()

    def _changed(self, *events) -> None:
        pn.state.execute(partial(self.respond, {e.name for e in events} or set(RUN_ON)))

    async def respond(self, changed: set) -> None:
        """The economic model first, then the comparison: the model's numbers (a
        fraction of a second) reach the page before the runs take the cores, and a
        change the model does not read (seed, replications) goes straight to the runs."""
        self._responses += 1
        mine = self._responses
        request = self.state.request()
        if request is None:
            return
        if changed & set(ECONOMICS_ON):
            await self.economics.update(request=request)
            await asyncio.sleep(0)     # let the page receive the model's numbers
        if mine == self._responses:   # else a newer change runs its own comparison
            await self.refresh(request)

    def show_tab(self, active: int) -> None:
        """Only the views on the tab on screen redraw as runs land."""
        for i, (_, names) in enumerate(RESULT_TABS):
            for name in names:
                self.views[name].shown = i == active
        self.economics.shown = active == len(RESULT_TABS)

    def progress(self):
        bar = pn.indicators.Progress(value=0, max=1, width=200, css_classes=["progress"])
        text = pn.pane.Str("", css_classes=["status"])

        def show(*_):
            s = self.store
            bar.param.update(max=max(1, s.total), value=s.done, active=False)
            text.object = s.status

        self.store.param.watch(show, ["done", "total", "status"])
        return pn.Row(bar, text)

    def downloads(self):
        def file(callback, filename, label):
            return pn.widgets.FileDownload(callback=callback, filename=filename, label=label,
                                           css_classes=["download-" + filename.replace(".", "-")])

        request = lambda: self.store.request  # noqa: E731  (the request on screen)
        report_views = [self.views[k] for k in ("kpis", "money", "stages", "cake", "funnel")]
        return pn.Column(
            "### Take the numbers away",
            file(lambda: downloads.runs_csv(self.store), "runs.csv", "Results (CSV)"),
            file(lambda: downloads.daily_parquet(self.store), "daily.parquet",
                 "Daily series (Parquet)"),
            file(lambda: downloads.scenario_yaml(request()), "scenario.yaml",
                 "Scenario (YAML)"),
            file(lambda: downloads.html_report(self.store.document(), report_views),
                 "report.html", "Report (HTML)"))

    def page(self):
        tabs = pn.Tabs(
            *[(label, pn.Column(*(self.views[n] for n in names)))
              for label, names in RESULT_TABS],
            ("Economic model", self.economics),
            ("Take away", self.downloads()),
            dynamic=True, sizing_mode="stretch_width")
        tabs.append(("Trainer", self.trainer()))
        tabs.append(("Sweeps", SweepsView()))
        tabs.append(("Calibrate", self.calibrate))
        self.tabs = tabs
        tabs.param.watch(lambda e: self.show_tab(e.new), "active")
        self.show_tab(tabs.active)
        return pn.template.FastListTemplate(
            title="Snowball: compare CRM strategies", sidebar=sidebar(self.state),
            main=[self.progress(), tabs], sidebar_width=380)

    def show_comparison(self) -> None:
        """Bring the comparison's first tab to the front (a calibrated scenario was
        just handed to it)."""
        if self.tabs is not None:
            self.tabs.active = 0

    def trainer(self):
        from apps.app.views.trainer import Trainer

        trainer = Trainer()
        if pn.state.location is not None:    # a smaller demonstration by link
            pn.state.location.sync(trainer, {"customers": "trainer_customers",
                                             "days": "trainer_days", "reps": "trainer_reps"})
        return trainer

    def sync_url(self) -> None:
        if pn.state.location is not None:
            pn.state.location.sync(self.state, URL)


def create_app(**state):
    """A new session's page (what `panel serve` and `snowball app` serve)."""
    app = SnowballApp(**state)
    app.sync_url()
    page = app.page()
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.onload(app.start)   # once the page is drawn and the link's state is in
    else:
        app.start()
    return page

