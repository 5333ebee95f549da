"""What every results view shares: it redraws when the store changes (while it is on
screen: a view on a hidden tab waits until its tab is shown), and shows a hint until
there is something to draw."""

import holoviews as hv
import panel as pn
import param
from panel.viewable import Viewer

from apps.app.store import ResultsStore


class ResultView(Viewer):
    """A view of the store: `frame()` is the table behind it, `figure()` draws it."""

    store = param.ClassSelector(class_=ResultsStore)
    shown = param.Boolean(True, doc="on screen: a hidden view is not redrawn, since a "
                          "redraw costs the server as much as a run")
    title = "results"
    needs_document = False     # True: needs a finished replication of every strategy

    def frame(self):
        raise NotImplementedError

    def figure(self, frame):
        raise NotImplementedError

    def ready(self) -> bool:
        source = self.store.complete_result() if self.needs_document else self.store.result()
        return source is not None

    def render(self):
        """The figure of the current results (or a hint while there are none)."""
        if not self.ready():
            return pn.pane.Markdown(f"*{self.title}: waiting for the first results*")
        frame = self.frame()
        if frame.empty:
            return pn.pane.Markdown(f"*{self.title}: nothing to show for these strategies*")
        return self.figure(frame)

    def on_screen(self, version: int = 0, shown: bool = True):
        """What the page shows: a hidden view keeps what it drew until it is shown."""
        if not shown:
            raise param.Skip
        return self.render()

    def __panel__(self):
        figure = pn.bind(self.on_screen, self.store.param.version, self.param.shown)
        return pn.Column(f"### {self.title}", pn.panel(figure), sizing_mode="stretch_width")


class StreamedView(ResultView):
    """A chart that takes new numbers in place: while the runs of one comparison land,
    its shape (the strategies, the series) stays, so the frame is sent to the plot on
    the page through a `Pipe`, which refills its data sources, instead of a new plot
    (whose building costs the server more than a run at the default size)."""

    def __init__(self, **params):
        super().__init__(**params)
        self._pipe, self._shape = None, None

    def shape(self, frame) -> tuple:
        raise NotImplementedError

    def chart(self, pipe):
        """The plot drawn from `pipe.data` (a frame like `frame()`), redrawn on send."""
        raise NotImplementedError

    def on_screen(self, version: int = 0, shown: bool = True):
        if not shown:
            raise param.Skip
        frame = self.frame() if self.ready() else None
        if frame is None or frame.empty:
            self._pipe = None
            return self.render()
        if self._pipe is not None and self.shape(frame) == self._shape:
            self._pipe.send(frame)
            raise param.Skip          # the plot on the page redraws itself
        self._pipe, self._shape = hv.streams.Pipe(data=frame), self.shape(frame)
        return self.chart(self._pipe)
