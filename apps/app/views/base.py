"""What every results view shares: it redraws when the store changes (while it is on
screen: a view on a hidden tab waits until its tab is shown), and shows a hint until
there is something to draw."""

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

    def render(self, version: int = 0, shown: bool = True):
        """The figure of the current results (or a hint while there are none); a hidden
        view keeps what it drew until it is shown again."""
        if not shown:
            raise param.Skip
        if not self.ready():
            return pn.pane.Markdown(f"*{self.title}: waiting for the first results*")
        frame = self.frame()
        if frame.empty:
            return pn.pane.Markdown(f"*{self.title}: nothing to show for these strategies*")
        return self.figure(frame)

    def __panel__(self):
        figure = pn.bind(self.render, self.store.param.version, self.param.shown)
        return pn.Column(f"### {self.title}", pn.panel(figure), sizing_mode="stretch_width")
