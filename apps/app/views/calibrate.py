"""The Calibrate tab: a transaction log in, the health of its base, the fitted models,
the holdout check and the report's charts out, and the calibrated scenario handed to
the comparison with one button."""

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from apps.app.calibrate import LOG_TYPES, MAX_LOG_BYTES, CalibrateState
from apps.app.controls import dropper, message
from apps.app.state import AppState
from apps.calibrate_report import charts, fit_rows, holdout_items

FLAGS = {"customer_col": "--customer-col", "date_col": "--date-col",
         "amount_col": "--amount-col", "date_format": "--date-format",
         "calibration_end": "--calibration-end", "holdout_end": "--holdout-end"}
WIDTH = 220


def _table(frame: pd.DataFrame) -> pn.pane.DataFrame:
    return pn.pane.DataFrame(frame, index=False, float_format=lambda v: f"{v:,.3f}",
                             sizing_mode="stretch_width")


class CalibrateView(Viewer):
    """The log's inputs and the Calibrate button, then the results of the last
    calibration that succeeded."""

    state = param.ClassSelector(class_=CalibrateState)
    app_state = param.ClassSelector(class_=AppState, doc="the comparison's state")

    def __init__(self, on_use=None, **params):
        params.setdefault("state", CalibrateState())
        super().__init__(**params)
        self._on_use = on_use
        self.upload = dropper(self.state.upload, LOG_TYPES, MAX_LOG_BYTES,
                              css_classes=["log-upload"])
        self.run_button = pn.widgets.Button(label="Calibrate", color="primary",
                                            disabled=self.state.param.running,
                                            css_classes=["calibrate-run"])
        self.run_button.on_click(lambda _: pn.state.execute(self.state.run))
        self.use_button = pn.widgets.Button(label="Use in comparison",
                                            color="success",
                                            css_classes=["calibrate-use"])
        self.use_button.on_click(lambda _: self.use())

    def use(self) -> bool:
        """Load the calibrated scenario into the comparison and show its tab."""
        if not self.state.use_in_comparison(self.app_state):
            return False
        if self._on_use is not None:
            self._on_use()
        return True

    def inputs(self) -> pn.Column:
        s = self.state
        text = {name: pn.widgets.TextInput.from_param(
            s.param[name], label=f"{name.replace('_', ' ')} ({flag})", width=WIDTH,
            placeholder="YYYY-MM-DD" if name.endswith("_end") else "detected")
            for name, flag in FLAGS.items()}
        reps = pn.widgets.IntInput.from_param(s.param.reps, label="holdout replications "
                                              "(--reps)", width=WIDTH)
        server = pn.widgets.TextInput.from_param(
            s.param.server_path, label="or a log on the server (path)", width=2 * WIDTH,
            placeholder="used instead of the upload while written here")
        busy = pn.indicators.LoadingSpinner(value=s.param.running, width=28, height=28)
        return pn.Column(
            pn.pane.Markdown(f"Upload a transaction log (CSV or Parquet, at most "
                             f"{MAX_LOG_BYTES // 2**20} MiB; larger logs: `snowball "
                             "calibrate`), one row per order with customer id, date and "
                             "amount. Empty columns and date format are detected as the "
                             "CLI detects them; with both dates empty the calibration "
                             "ends halfway through the log and the holdout at its end."),
            pn.FlexBox(self.upload, server, *text.values(), reps),
            pn.Row(self.run_button, busy, pn.pane.Str(s.param.status)),
            message(s, "log_error"), sizing_mode="stretch_width")

    def results(self, version: int = 0):
        """The calibration on screen: summary, fit, holdout, health, charts."""
        result = self.state.result
        if result is None:
            return pn.pane.Markdown("*upload a log and press Calibrate*")
        report, fit = result.report, result.report["fit"]
        scenario = report["scenario"]
        parts = [pn.Row(self.use_button, pn.pane.Markdown(
                     f"Scenario **{scenario['name']}**: {scenario['customers']:,} customers "
                     "on day 0 (the sidebar's customers setting scales them, as for any "
                     "upload).")),
                 pn.pane.Markdown(f"### {report['log']}: {report['rows']:,} rows, "
                                  f"{report['customers']:,} customers, "
                                  f"{report['first_date']} .. {report['last_date']}\n"
                                  + "".join(f"\n- {t}" for t in report["treatments"])),
                 pn.pane.Markdown(f"### Fit on {report['calibration']['start']} .. "
                                  f"{report['calibration']['end']} (rates per "
                                  f"{fit['bgnbd']['time_unit_days']:g} days; better "
                                  f"purchase model: {fit['better_fit']}; simulated: "
                                  f"{fit['simulated_model']} + gamma_gamma)"),
                 _table(pd.DataFrame(fit_rows(fit)))]
        if "holdout" in report:
            h = report["holdout"]
            parts += [pn.pane.Markdown(f"### Holdout {h['start']} .. {h['end']}: repeat "
                                       "purchases"),
                      _table(pd.DataFrame(holdout_items(h).items(),
                                          columns=["", "repeat purchases"]))]
        kpis = report["health"]["kpis"]
        parts += [pn.pane.Markdown("### Health of the base"),
                  _table(pd.DataFrame({"KPI": list(kpis), "value": [
                      f"{v:,.3f}" if isinstance(v, float) else v for v in kpis.values()]})),
                  *(pn.pane.HoloViews(c, linked_axes=False)   # each chart its own scale
                    for c in charts(report, result.frames))]
        return pn.Column(*parts, sizing_mode="stretch_width")

    def __panel__(self):
        return pn.Column(self.inputs(), pn.panel(pn.bind(self.results,
                                                         self.state.param.version)),
                         sizing_mode="stretch_width")
