"""The cohort layer cake (revenue by acquisition cohort: the snowball) and LTV by cohort."""

import hvplot.pandas  # noqa: F401  (registers .hvplot)

from apps.app import frames
from apps.app.views.base import ResultView


class LayerCake(ResultView):
    title = "Revenue by acquisition cohort (0: the base on day 0)"

    def frame(self):
        return frames.layer_cake(self.store.result())

    def figure(self, frame):
        wide = frame.pivot_table(index=["strategy", "month"], columns="cohort",
                                 values="revenue", fill_value=0).reset_index()
        wide.columns = [str(c) for c in wide.columns]
        cohorts = [c for c in wide.columns if c not in ("strategy", "month")]
        return wide.hvplot.area(x="month", y=cohorts, groupby="strategy", stacked=True,
                                legend=False, ylabel="revenue", responsive=True,
                                height=320, widget_location="top_left")


class LtvByCohort(ResultView):
    title = "LTV by acquisition cohort (gross margin per customer)"

    def frame(self):
        return frames.ltv_by_cohort(self.store.result())

    def figure(self, frame):
        observed = frame.hvplot.line(x="cohort", y="ltv_observed", by="strategy",
                                     title="observed to date", responsive=True, height=300)
        projected = frame.hvplot.line(x="cohort", y="ltv_projected", by="strategy",
                                      title="projected", responsive=True, height=300)
        return (observed + projected).opts(shared_axes=False).cols(1)
