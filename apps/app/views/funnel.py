"""The funnel (where the base stands, where it left: premature vs natural churn) and
the RFM segments."""

import hvplot.pandas  # noqa: F401  (registers .hvplot)

from apps.app import frames
from apps.app.views.base import ResultView


class Funnel(ResultView):
    title = "Funnel at the end, and churn over the run by cause"

    def frame(self):
        return frames.funnel(self.store.result())

    def figure(self, frame):
        frame = frame.assign(step=frame["step"].astype(str))
        return frame.hvplot.bar(x="step", y="customers", by="strategy", rot=30,
                                responsive=True, height=320)


class RfmSegments(ResultView):
    title = "RFM segments in the last month"

    def frame(self):
        return frames.rfm(self.store.result())

    def figure(self, frame):
        frame = frame.assign(segment=frame["segment"].astype(str))
        return frame.hvplot.bar(x="segment", y="customers", by="strategy", rot=30,
                                responsive=True, height=320)
