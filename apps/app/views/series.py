"""Money over time (revenue, contribution with p05-p95 bands) and the active base by
funnel stage over time."""

from functools import partial

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers .hvplot)
import panel as pn

from apps.app import frames
from apps.app.views.base import StreamedView


class MoneyOverTime(StreamedView):
    title = "Revenue and contribution by month (band: p05-p95 across replications)"

    def frame(self):
        return frames.monthly_money(self.store.result())

    def shape(self, frame) -> tuple:
        return tuple(sorted(set(zip(frame["metric"], frame["strategy"]))))

    @staticmethod
    def _metric(data, metric: str):
        part = data[data["metric"] == metric]
        band = part.hvplot.area(x="month", y="lo", y2="hi", by="strategy", alpha=0.2,
                                stacked=False, legend=False, responsive=True, height=300)
        line = part.hvplot.line(x="month", y="mean", by="strategy", ylabel=metric,
                                title=metric, responsive=True, height=300)
        return (band * line).opts(framewise=True)

    def figure(self, frame):
        plots = [self._metric(frame, m) for m in sorted(frame["metric"].unique())]
        return hv.Layout(plots).opts(shared_axes=False).cols(1)

    def chart(self, pipe):
        return pn.Column(*[pn.pane.HoloViews(hv.DynamicMap(partial(self._metric, metric=m),
                                                           streams=[pipe]),
                                             linked_axes=False, sizing_mode="stretch_width")
                           for m in sorted(pipe.data["metric"].unique())],
                         sizing_mode="stretch_width")


class ActiveBase(StreamedView):
    title = "Customers by funnel stage at each month's end"

    def frame(self):
        return frames.stages(self.store.result())

    def shape(self, frame) -> tuple:
        return tuple(frame["strategy"].unique()), tuple(sorted(frame["stage"].unique()))

    def figure(self, frame):
        return frame.hvplot.area(x="month", y="customers", by="stage", groupby="strategy",
                                 stacked=True, responsive=True, height=320,
                                 widget_location="top_left")

    @staticmethod
    def _strategy(strategy: str, data):
        part = data[data["strategy"] == strategy]
        return part.hvplot.area(x="month", y="customers", by="stage", stacked=True,
                                responsive=True, height=320).opts(framewise=True)

    def chart(self, pipe):
        strategies = list(pipe.data["strategy"].unique())
        plot = hv.DynamicMap(self._strategy, streams=[pipe],
                             kdims=[hv.Dimension("strategy", values=strategies)])
        return pn.pane.HoloViews(plot, widget_location="top_left",
                                 sizing_mode="stretch_width")
