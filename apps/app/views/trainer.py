"""Trainer mode: one click sets up the demonstration of the snowball, and a play button
steps through the months.

Two comparisons run side by side: the same business (baby_food) at two retention levels,
whose layer cakes grow apart month by month; and a CRM programme in baby_food against
one in shoe_polish, where a 25 RUB yearly margin cannot pay for the messages.
"""

import asyncio

import hvplot.pandas  # noqa: F401  (registers .hvplot)
import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from apps.app import frames
from apps.app.request import RunRequest
from apps.app.runner import Runner
from apps.app.store import ResultsStore
from models.kpis import month_of
from scenarios.loader import read_text

DEMO = {  # scenario: (strategies, the CRM programme compared with the baseline)
    "baby_food": (("baseline", "retention_plus", "crm_programme"), "crm_programme"),
    "shoe_polish": (("baseline", "everything"), "everything"),
}
SEED = 42


def demo_requests(customers: int, days: int, reps: int) -> dict[str, RunRequest]:
    return {name: RunRequest(*read_text(name), customers, days, reps, SEED, strategies)
            for name, (strategies, _) in DEMO.items()}


def crm_payoff(result, programme: str) -> pd.DataFrame:
    """month, gain: cumulative contribution of `programme` minus the baseline's (mean
    over replications): does the CRM programme pay, and from when?"""
    d = result.daily()
    d = d.assign(month=month_of(d["day"].to_numpy()),
                 contribution=d["new_gross_margin"] - d["new_crm_cost"]
                 - d["new_acquisition_cost"])
    reps = d["rep"].nunique()
    monthly = d.groupby(["strategy", "month"])["contribution"].sum() / reps
    gain = (monthly[programme] - monthly["baseline"]).cumsum()
    return gain.rename("gain").reset_index()


class Trainer(Viewer):
    """Small runs (5 000 customers, 3 years, 2 replications) so the room waits seconds."""

    month = param.Integer(0, bounds=(0, 35))
    customers = param.Integer(5_000)
    days = param.Integer(1095)
    reps = param.Integer(2)

    def __init__(self, submit=None, **params):
        super().__init__(**params)
        self._months()
        self.stores = {name: ResultsStore() for name in DEMO}
        self.runners = {name: Runner(store, submit=submit)
                        for name, store in self.stores.items()}
        self._cake = self._payoff = self._player = None

    @param.depends("days", watch=True)
    def _months(self) -> None:
        self.param.month.bounds = (0, max(0, int(month_of(self.days)) - 1))
        if getattr(self, "_player", None) is not None:   # not yet during __init__
            self._player.end = self.param.month.bounds[1]

    async def set_up(self, *_) -> None:
        """Run both comparisons, then get the frames the animation draws from."""
        self.month = 0
        if self._player is not None:
            self._player.value = 0
        requests = demo_requests(self.customers, self.days, self.reps)
        await asyncio.gather(*(self.runners[name].run(r) for name, r in requests.items()))
        self._cake = frames.layer_cake(self.stores["baby_food"].result())
        self._payoff = pd.concat(
            [crm_payoff(self.stores[name].result(), programme).assign(scenario=name)
             for name, (_, programme) in DEMO.items()], ignore_index=True)
        self.param.trigger("month")

    def picture(self, month: int):
        if self._cake is None:
            return pn.pane.Markdown("*press 'Set up the demonstration'*")
        cake = self._cake[self._cake["month"] <= month]
        cakes = []
        for strategy in ("baseline", "retention_plus"):
            part = cake[cake["strategy"] == strategy].pivot_table(
                index="month", columns="cohort", values="revenue", fill_value=0)
            part.columns = [str(c) for c in part.columns]
            cakes.append(part.reset_index().hvplot.area(
                x="month", y=list(part.columns), stacked=True, legend=False,
                xlim=(0, self.param.month.bounds[1]), ylabel="revenue by cohort",
                title=f"baby_food, {strategy}, month {month + 1}",
                height=300, responsive=True))
        payoff = self._payoff[self._payoff["month"] <= month].hvplot.line(
            x="month", y="gain", by="scenario", xlim=(0, self.param.month.bounds[1]),
            title="CRM programme: contribution gained over the baseline, to date",
            height=300, responsive=True)
        return pn.Column(pn.Row(*cakes, sizing_mode="stretch_width"), payoff,
                         sizing_mode="stretch_width")

    def __panel__(self):
        setup = pn.widgets.Button(label="Set up the demonstration", color="primary",
                                  css_classes=["trainer-setup"])
        setup.on_click(lambda e: pn.state.execute(self.set_up))
        player = pn.widgets.Player(start=0, end=self.param.month.bounds[1], interval=400,
                                   loop_policy="once", label="month", css_classes=["player"])
        player.link(self, value="month")
        self._player = player
        label = pn.bind(lambda m: pn.pane.Str(f"month {m + 1}", css_classes=["trainer-month"]),
                        self.param.month)
        return pn.Column(
            "### Watch the snowball\nThe same business at two retention levels, and a CRM "
            "programme where it pays (baby food) and where it does not (shoe polish).",
            pn.Row(setup, player, label), pn.bind(self.picture, self.param.month),
            sizing_mode="stretch_width")
