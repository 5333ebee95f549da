"""Money over time (revenue, contribution with p05-p95 bands) and the active base by
funnel stage over time."""

import holoviews as hv
import hvplot.pandas  # noqa: F401  (registers .hvplot)

from apps.app import frames
from apps.app.views.base import ResultView


class MoneyOverTime(ResultView):
    title = "Revenue and contribution by month (band: p05-p95 across replications)"

    def frame(self):
        return frames.monthly_money(self.store.result())

    def figure(self, frame):
        plots = []
        for metric, part in frame.groupby("metric", sort=True):
            band = part.hvplot.area(x="month", y="lo", y2="hi", by="strategy", alpha=0.2,
                                    stacked=False, legend=False, responsive=True, height=300)
            line = part.hvplot.line(x="month", y="mean", by="strategy", ylabel=metric,
                                    title=metric, responsive=True, height=300)
            plots.append(band * line)
        return hv.Layout(plots).opts(shared_axes=False).cols(1)


class ActiveBase(ResultView):
    title = "Customers by funnel stage at each month's end"

    def frame(self):
        return frames.stages(self.store.result())

    def figure(self, frame):
        return frame.hvplot.area(x="month", y="customers", by="stage", groupby="strategy",
                                 stacked=True, responsive=True, height=320,
                                 widget_location="top_left")
