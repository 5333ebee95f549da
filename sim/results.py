"""Results of one simulation: daily series and matrices, named by convention.

Stocks `n_*` are levels at the end of a day, flows `new_*` are what happened during
the day, and every flow gets its running total `cum_*` when the run ends. Modules
register what they report in `init` and write into the arrays as they go, so nothing
is computed twice and the engine knows no metric by name.
"""

import numpy as np
import pandas as pd


class Results:
    """Daily series (one float64 per day) and named matrices of one run."""

    def __init__(self, days: int):
        self.days = int(days)
        self._stocks: dict[str, np.ndarray] = {}
        self._flows: dict[str, np.ndarray] = {}
        self._cums: dict[str, np.ndarray] = {}
        self.matrices: dict[str, np.ndarray] = {}
        self.meta: dict = {}

    def stock(self, name: str) -> np.ndarray:
        """Register (or fetch) the stock `n_<name>`."""
        return self._series(self._stocks, "n_" + name)

    def flow(self, name: str) -> np.ndarray:
        """Register (or fetch) the flow `new_<name>`; `cum_<name>` follows at the end."""
        return self._series(self._flows, "new_" + name)

    def flow_block(self, names) -> np.ndarray:
        """Register the flows `names` as the rows of one (len(names), days) array, so a
        kernel can write a day of all of them at once."""
        return self._block(self._flows, ["new_" + n for n in names])

    def stock_block(self, names) -> np.ndarray:
        """Register the stocks `names` as the rows of one (len(names), days) array."""
        return self._block(self._stocks, ["n_" + n for n in names])

    def _block(self, table: dict, names: list[str]) -> np.ndarray:
        taken = [n for n in names if n in table]
        if taken:
            raise ValueError(f"series already registered: {', '.join(taken)}")
        block = np.zeros((len(names), self.days), dtype=np.float64)
        for row, name in zip(block, names):
            table[name] = row
        return block

    def matrix(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in self.matrices:
            self.matrices[name] = np.zeros(shape, dtype=np.float64)
        return self.matrices[name]

    def _series(self, table: dict, name: str) -> np.ndarray:
        if name not in table:
            table[name] = np.zeros(self.days, dtype=np.float64)
        return table[name]

    def finalize(self) -> None:
        self._cums = {"cum_" + k[4:]: np.cumsum(v) for k, v in self._flows.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        for table in (self._stocks, self._flows, self._cums):
            if name in table:
                return table[name]
        raise KeyError(f"no result named {name!r}; known: {', '.join(self.names)}")

    def __contains__(self, name: str) -> bool:
        return name in self._stocks or name in self._flows or name in self._cums

    @property
    def names(self) -> list[str]:
        return [*self._stocks, *self._flows, *self._cums]

    def daily(self) -> pd.DataFrame:
        """Tidy frame: one row per day, one column per series."""
        columns = {"day": np.arange(self.days, dtype=np.int32)}
        for name in self.names:
            columns[name] = self[name]
        return pd.DataFrame(columns)
