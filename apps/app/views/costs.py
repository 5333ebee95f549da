"""Where the CRM money goes (by mechanic and by channel), measured uplift against
control groups, and the per-mechanic split when it is asked for."""

import hvplot.pandas  # noqa: F401  (registers .hvplot)
import panel as pn

from apps.app import frames
from apps.app.views.base import ResultView
from models.mechanics import discover


class Costs(ResultView):
    title = "CRM cost over the run by mechanic and by channel"

    def frame(self):
        channels = list(self.store.job.scenario.channels)
        return frames.costs(self.store.result(), sorted(discover()), channels)

    def figure(self, frame):
        plots = [part.hvplot.bar(x="name", y="cost", by="strategy", title=f"by {by}",
                                 rot=30, responsive=True, height=300)
                 for by, part in frame.groupby("by", sort=False)]
        out = plots[0]
        for p in plots[1:]:
            out = out + p
        return out


class Uplift(ResultView):
    title = ("Measured vs true uplift of each mechanic with a control group: incremental "
             "revenue over the run, total (p05-p95 over replications)")
    needs_document = True

    def frame(self):
        return frames.uplift(self.store.complete_result(), self.store.job)

    def figure(self, frame):
        table = pn.widgets.Tabulator(frame.round(1), disabled=True, show_index=False)
        points = frames.uplift_points(frame)
        return pn.Row(uplift_chart(points), table, sizing_mode="stretch_width")


def uplift_chart(points):
    """Measured and true side by side at each strategy's mechanic, with their bands."""
    ticks = list(dict.fromkeys(zip(points["x"].round().astype(int), points["label"])))
    span = (-0.5, len(ticks) - 0.5)
    bands = points.assign(below=points["mean"] - points["lo"],
                          above=points["hi"] - points["mean"])
    whiskers = bands.hvplot.errorbars(x="x", y="mean", yerr1="below", yerr2="above")
    dots = points.hvplot.scatter(x="x", y="mean", by="which", size=80, xticks=ticks, xlim=span,
                                 xlabel="", ylabel="incremental revenue over the run",
                                 hover_cols=["label", "lo", "hi"], height=320, width=520)
    return whiskers * dots


class ByMechanic(ResultView):
    title = "Which mechanic pays (leave-one-out split of each strategy)"
    needs_document = True

    def frame(self):
        return frames.by_mechanic(self.store.document())

    def figure(self, frame):
        return pn.widgets.Tabulator(frame.round(2), disabled=True, show_index=False)
