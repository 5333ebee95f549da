"""The Sweeps tab: a stored sweep's tornado, sensitivity table and a scatter of any
outcome against any parameter."""

import hvplot.pandas  # noqa: F401  (registers .hvplot)
import panel as pn
import param
from panel.viewable import Viewer

from apps.app.sweeps import SweepState
from apps.sweep.charts import tornado_plot


class SweepsView(Viewer):
    """Path input and load button, the selects, then the three figures."""

    state = param.ClassSelector(class_=SweepState)

    def __init__(self, **params):
        params.setdefault("state", SweepState())
        super().__init__(**params)
        self.path = pn.widgets.TextInput(label="Sweep folder (on the server)", value="",
                                         placeholder="the --out folder of snowball sweep run")
        self.button = pn.widgets.Button(label="Load", color="primary")
        self.button.on_click(lambda _: self.load(self.path.value))
        self.outcome = pn.widgets.Select(label="Outcome")
        self.parameter = pn.widgets.Select(label="Parameter")
        self.strategy = pn.widgets.Select(label="Strategy")

    def load(self, folder: str) -> bool:
        """Load the folder and offer its outcomes, parameters and strategies."""
        self.state.folder = folder
        if not self.state.load():
            return False
        for select, options in ((self.outcome, self.state.outcomes()),
                                (self.parameter, self.state.parameters()),
                                (self.strategy, self.state.strategies())):
            select.param.update(options=options, value=options[0])
        return True

    def _waiting(self, *choices) -> bool:
        """No sweep yet, or its selects are being filled one after the other."""
        return self.state.experiments is None or None in choices

    def scatter(self, outcome, parameter, strategy, version=0):
        if self._waiting(outcome, parameter, strategy):
            return pn.pane.Markdown("*load a sweep folder to see its experiments*")
        frame = self.state.scatter(outcome, parameter, strategy)
        return frame.hvplot.scatter(x=parameter, y=outcome, hover_cols=["experiment"],
                                    title=f"{strategy}: {outcome} by {parameter}",
                                    responsive=True, height=320)

    def tornado(self, outcome, strategy, version=0):
        if self._waiting(outcome, strategy):
            return pn.pane.Markdown("")
        return tornado_plot(self.state.swings(outcome, strategy), outcome,
                            strategy).opts(width=720, height=320)

    def table(self, outcome, strategy, version=0):
        if self._waiting(outcome, strategy):
            return pn.pane.Markdown("")
        rows = self.state.indices(outcome, strategy)
        if rows.empty:
            return pn.pane.Markdown(f"*no sensitivity indices for {strategy}: {outcome}*")
        return pn.widgets.Tabulator(rows.drop(columns=["outcome", "strategy"]),
                                    disabled=True, show_index=False,
                                    name=f"{self.state.method} indices")

    def __panel__(self):
        o, p, s, v = self.outcome, self.parameter, self.strategy, self.state.param.version
        message = pn.pane.Alert(pn.bind(lambda m: m or "", self.state.param.message),
                                alert_type="warning", css_classes=["sweep-message"],
                                visible=pn.bind(bool, self.state.param.message))
        return pn.Column(
            pn.Row(self.path, self.button, message), pn.Row(o, p, s),
            pn.panel(pn.bind(self.tornado, o, s, v)),
            pn.panel(pn.bind(self.table, o, s, v)),
            pn.panel(pn.bind(self.scatter, o, p, s, v)), sizing_mode="stretch_width")
