"""Strategies x replications with common random numbers, reduced to means and bands.

Replication r of every strategy runs with the same seed, so each customer meets the
same draws in every strategy and a difference between strategies is the strategies'
doing, not noise. The band reported beside a mean is the 5th-95th percentile of the
replications (the spread of outcomes a strategy can have), not a CI of the mean.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.streams import mix

BAND = "p05-p95 across replications"


def rep_seed(seed: int, rep: int) -> int:
    """Seed of replication `rep`: the same for every strategy (common random numbers)."""
    if rep == 0:
        return int(seed)
    mixed = (int(seed) + int(rep) * 0x9E3779B97F4A7C15) % 2**64
    return int(mix(np.uint64(mixed))) >> 1


@dataclass
class Run:
    strategy: str
    rep: int
    seed: int
    results: object
    summary: dict


@dataclass
class EnsembleResult:
    runs: list[Run] = field(default_factory=list)

    def summaries(self) -> pd.DataFrame:
        rows = [{"strategy": r.strategy, "rep": r.rep, "seed": r.seed, **r.summary}
                for r in self.runs]
        return pd.DataFrame(rows)

    def daily(self) -> pd.DataFrame:
        frames = []
        for r in self.runs:
            frame = r.results.daily()
            frame.insert(0, "rep", np.int32(r.rep))
            frame.insert(0, "strategy", r.strategy)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def matrices(self, name: str) -> pd.DataFrame:
        """A named matrix of every run as tidy rows (strategy, rep, row, column, value)."""
        frames = []
        for r in self.runs:
            m = np.atleast_2d(r.results.matrices[name])
            rows, cols = np.indices(m.shape)
            frames.append(pd.DataFrame({"strategy": r.strategy, "rep": np.int32(r.rep),
                                        "row": rows.ravel().astype(np.int32),
                                        "col": cols.ravel().astype(np.int32),
                                        "value": m.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def reduce(self) -> dict:
        """{strategy: {metric: {"mean", "lo", "hi"}}} with lo/hi the p05/p95 band."""
        out: dict = {}
        for r in self.runs:
            out.setdefault(r.strategy, {})
        for strategy in out:
            runs = [r for r in self.runs if r.strategy == strategy]
            for metric in runs[0].summary:
                values = [r.summary[metric] for r in runs]
                if any(v is None for v in values):
                    out[strategy][metric] = {"mean": None, "lo": None, "hi": None}
                    continue
                v = np.asarray(values, dtype=np.float64)
                lo, hi = np.percentile(v, [5, 95])
                out[strategy][metric] = {"mean": float(v.mean()), "lo": float(lo),
                                         "hi": float(hi)}
        return out


class Ensemble:
    """Runs `make_sim(strategy, seed)` for every strategy and replication."""

    def __init__(self, make_sim, summarize, strategies, reps: int, seed: int):
        self.make_sim = make_sim
        self.summarize = summarize
        self.strategies = list(strategies)
        self.reps = int(reps)
        self.seed = int(seed)

    def run(self, on_day=None) -> EnsembleResult:
        """`on_day(strategy, rep, day)` is called after every simulated day (progress)."""
        out = EnsembleResult()
        for rep in range(self.reps):
            seed = rep_seed(self.seed, rep)
            for strategy in self.strategies:
                sim = self.make_sim(strategy, seed)
                hook = None if on_day is None else (
                    lambda day, s=strategy, r=rep: on_day(s, r, day))
                results = sim.run(hook)
                out.runs.append(Run(strategy, rep, seed, results, self.summarize(sim)))
        return out
