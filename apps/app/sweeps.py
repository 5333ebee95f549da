"""A stored sweep loaded into the app: its experiments, its spec and the sensitivity
table `snowball sweep analyze` computes, through the sweep package's own functions."""

import pandas as pd
import param

from apps.sweep.analyze import analyze, stored_spec, swings
from apps.sweep.store import load
from scenarios.errors import InputError


class SweepState(param.Parameterized):
    """The folder on screen and what was read from it; a folder that cannot be read
    leaves its message and keeps the previous sweep."""

    folder = param.String(default="", doc="a sweep folder on the server")
    message = param.String(default="")
    spec = param.Parameter(default=None)
    experiments = param.DataFrame(default=None, allow_None=True)
    method = param.String(default="")
    sensitivity = param.DataFrame(default=None, allow_None=True)
    version = param.Integer(default=0)

    def load(self) -> bool:
        """Read the folder; False (and the message) if it is not a readable sweep."""
        try:
            spec, experiments = stored_spec(self.folder), load(self.folder)
        except InputError as e:
            self.message = e.message
            return False
        except (OSError, ValueError) as e:
            self.message = f"{self.folder}: cannot read the sweep ({e})"
            return False
        try:
            method, table, message = *analyze(self.folder), ""
        except InputError as e:     # e.g. an unfinished sweep: the scatter still shows
            method, table, message = "", None, e.message
        self.param.update(spec=spec, experiments=experiments, method=method,
                          sensitivity=table, message=message, version=self.version + 1)
        return True

    def outcomes(self) -> list[str]:
        return list(self.spec.outcomes) if self.spec is not None else []

    def parameters(self) -> list[str]:
        return list(self.spec.parameters) if self.spec is not None else []

    def strategies(self) -> list[str]:
        return list(self.spec.runs) if self.spec is not None else []

    def scatter(self, outcome: str, parameter: str, strategy: str) -> pd.DataFrame:
        """One row per experiment (point x replication) of the strategy that ran."""
        rows = self.experiments
        rows = rows[(rows["strategy"] == strategy) & rows["error"].isna()]
        return rows[["experiment", "point", parameter, outcome]].reset_index(drop=True)

    def swings(self, outcome: str, strategy: str) -> pd.DataFrame:
        return swings(self.spec, self.experiments, outcome, strategy)

    def indices(self, outcome: str, strategy: str) -> pd.DataFrame:
        """The sensitivity rows of one outcome and strategy (empty if none)."""
        table = self.sensitivity
        if table is None or table.empty:
            return pd.DataFrame()
        chosen = table[(table["outcome"] == outcome) & (table["strategy"] == strategy)]
        return chosen.reset_index(drop=True)
