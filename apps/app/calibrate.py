"""The Calibrate tab's state: which log, how to read it, the dates, and what
`calibrate_log` (the CLI's own function) returned for it. The calibration runs in a
worker process, so the page stays live; a log the CLI would refuse leaves the CLI's
message and keeps the results on screen."""

import asyncio
import os
import tempfile
from pathlib import Path

import numpy as np
import param

from apps.calibrate import log_options
from apps.calibration import calibrate_log
from scenarios.errors import InputError

# An upload is held in the server's memory whole; a larger log is calibrated with the CLI,
# whose reader streams it.
MAX_LOG_BYTES = 8 * 2**20
# The browser checks a file's MIME type: the extensions' own, what some systems say, and
# none at all (Chromium gives a Parquet file no type); the reader refuses what is not a log.
LOG_TYPES = [".csv", ".txt", ".tsv", ".parquet", ".pq", "application/vnd.ms-excel",
             "application/vnd.apache.parquet", ""]
SEED = 42                  # the CLI's default seed of the holdout simulation


def calibrate_task(path, opts, calibration_end: str, holdout_end: str, reps: int):
    """`calibrate_log` as the CLI calls it, with the dates the user left empty set from
    the log: the calibration ends halfway through it and the holdout at its last day
    (the split of the CDNOW studies); returns (calibration, calibration end, holdout end)."""
    if not calibration_end:
        from models.txlog import read_log

        day = read_log(path, opts).day
        first, last = int(day.min()), int(day.max())
        calibration_end = str(np.datetime64(first + (last - first) // 2, "D"))
        holdout_end = holdout_end or str(np.datetime64(last, "D"))
    result = calibrate_log(path, opts, calibration_end, holdout_end or None, reps=reps,
                           seed=SEED)
    return result, calibration_end, holdout_end


class CalibrateState(param.Parameterized):
    """The log (an upload, or a path on the server when one is written), the reading
    options and dates, and the calibration on screen (`result`)."""

    server_path = param.String("", doc="a log on the server (used instead of the upload "
                               "while it is written)")
    customer_col = param.String("", doc="customer id column: header name or 1-based "
                                "position (empty: detected)")
    date_col = param.String("", doc="date column (empty: detected)")
    amount_col = param.String("", doc="order value column (empty: detected)")
    date_format = param.String("", doc="strftime format such as %d.%m.%Y (empty: "
                               "detected)")
    calibration_end = param.String("", doc="last day the models are fitted on "
                                   "(YYYY-MM-DD; empty: halfway through the log)")
    holdout_end = param.String("", doc="last day of the holdout that checks the fit "
                               "(YYYY-MM-DD; empty: no holdout, or the log's last day "
                               "when the calibration end is empty too)")
    reps = param.Integer(20, bounds=(1, 1000), doc="replications of the holdout simulation")
    log_error = param.String("")
    status = param.String("")
    running = param.Boolean(False)
    result = param.Parameter(None, doc="the Calibration on screen")
    version = param.Integer(0, doc="bumped when a new calibration is on screen")

    def __init__(self, submit=None, **params):
        super().__init__(**params)
        self._submit = submit
        self._upload: tuple | None = None    # (temporary folder, file in it)

    def submit(self, *args):
        if self._submit is None:
            from apps.app.worker import pool

            return pool().submit(*args)
        return self._submit(*args)

    def upload(self, data: bytes, filename: str) -> bool:
        """Keep an uploaded log in a temporary folder under its own name (so messages
        and the scenario name it); refuse one over the cap, keeping what is on screen."""
        if len(data) > MAX_LOG_BYTES:
            self.log_error = (
                f"{filename}: the log is {len(data):,} bytes; at most "
                f"{MAX_LOG_BYTES // 2**20} MiB can be uploaded: calibrate a larger log "
                f"with `snowball calibrate {filename} --calibration-end YYYY-MM-DD --out "
                "my_shop.yaml` and upload the scenario it writes, or give the log's path "
                "on the server")
            return False
        folder = tempfile.TemporaryDirectory(prefix="snowball-log-")
        name = Path(filename).name
        path = Path(folder.name) / (name if name not in ("", ".", "..") else "log.csv")
        path.write_bytes(data)
        self._upload = (folder, path)
        self.param.update(server_path="", log_error="")
        return True

    def options(self):
        """The reading options, built as the CLI builds them from its flags."""
        given = {"customer_col": self.customer_col, "date_col": self.date_col,
                 "amount_col": self.amount_col, "date_format": self.date_format}
        return log_options({k: v.strip() or None for k, v in given.items()})

    async def run(self) -> bool:
        """Calibrate the chosen log off the page's thread; False (with the message) if
        there is no log or the CLI would refuse it. Earlier results stay until then."""
        upload = self._upload          # held, so its folder outlives the run
        if self.running:
            return False
        if self.server_path.strip():
            path, folder = Path(self.server_path.strip()), None
        elif upload is not None:
            path, folder = upload[1], upload[0].name
        else:
            self.log_error = ("upload a transaction log (CSV or Parquet) or give its path "
                              "on the server")
            return False
        self.param.update(running=True, log_error="", status=f"calibrating {path.name} ...")
        future = self.submit(calibrate_task, path, self.options(),
                             self.calibration_end.strip(), self.holdout_end.strip(),
                             self.reps)
        try:
            result, end, holdout = await asyncio.wrap_future(future)
        except InputError as e:
            return self._failed(e.message, folder)
        except Exception as e:     # the server goes on; the message says what stopped
            return self._failed(f"{path}: the calibration stopped ({type(e).__name__}: "
                                f"{e})", folder)
        self.param.update(result=result, calibration_end=end, holdout_end=holdout,
                          running=False, status=_done(result.report),
                          version=self.version + 1)
        return True

    def _failed(self, message: str, folder: str | None) -> bool:
        """Show a message that names an upload as the user named it."""
        if folder is not None:
            message = message.replace(folder + os.sep, "")
        self.param.update(log_error=message, running=False, status="")
        return False

    def use_in_comparison(self, app_state) -> bool:
        """Hand the calibrated scenario to the comparison, as an upload of it would."""
        if self.result is None:
            self.log_error = "calibrate a log first"
            return False
        name = self.result.report["scenario"]["name"]
        if not app_state.upload(self.result.scenario_yaml.encode("utf-8"), f"{name}.yaml"):
            self.log_error = app_state.upload_error
            return False
        return True


def _done(report: dict) -> str:
    c = report["calibration"]
    holdout = f", holdout to {report['holdout']['end']}" if "holdout" in report else ""
    return (f"{report['log']}: {report['customers']:,} customers, fitted on "
            f"{c['start']} .. {c['end']}{holdout}")
