"""What every results view shares: it redraws when the store changes, and shows a
hint until there is something to draw."""

import panel as pn
import param
from panel.viewable import Viewer

from apps.app.store import ResultsStore


class ResultView(Viewer):
    """A view of the store: `frame()` is the table behind it, `figure()` draws it."""

    store = param.ClassSelector(class_=ResultsStore)
    title = "results"
    needs_document = False     # True: needs a finished replication of every strategy

    def frame(self):
        raise NotImplementedError

    def figure(self, frame):
        raise NotImplementedError

    def ready(self) -> bool:
        source = self.store.complete_result() if self.needs_document else self.store.result()
        return source is not None

    def render(self, version: int = 0):
        """The figure of the current results (or a hint while there are none)."""
        if not self.ready():
            return pn.pane.Markdown(f"*{self.title}: waiting for the first results*")
        frame = self.frame()
        if frame.empty:
            return pn.pane.Markdown(f"*{self.title}: nothing to show for these strategies*")
        return self.figure(frame)

    def __panel__(self):
        return pn.Column(f"### {self.title}", pn.panel(pn.bind(self.render,
                                                               self.store.param.version)),
                         sizing_mode="stretch_width")
