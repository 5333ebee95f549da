"""The tables behind every chart, from a job's result (pandas only, no Panel).

Monthly series use the simulator's cohort month (day * 12 // 365). A band is the
p05-p95 across replications, like every band the CLI reports.
"""

import numpy as np
import pandas as pd

from apps.job import cohort_frame, segment_frame
from models.comparison import mechanic_frame, reduce_values
from models.kpis import LTV_COLUMNS, month_of
from models.stages import CHURNED, LAPSED, LOYAL, NEW, POTENTIAL, REPEAT, STAGES, WON_BACK

STAGES_SHOWN = tuple(STAGES[s] for s in (NEW, REPEAT, LOYAL, WON_BACK, LAPSED, CHURNED))
FUNNEL = tuple(STAGES[s] for s in (POTENTIAL, NEW, REPEAT, LOYAL))
KPI_CARDS = (   # (label, metric in the document, its difference to the baseline)
    ("Revenue", "revenue", "incremental_revenue"),
    ("Contribution", "contribution", "incremental_contribution"),
    ("Customer equity", "customer_equity", None),
    ("LTV (projected)", "ltv_projected", None),
    ("ROMI", None, "romi"),
    ("Payback month", None, "payback_month"),
    ("Active customers at the end", "active_customers_end", None),
)


def _band(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    g = frame.groupby(keys, observed=True)[value]
    out = g.mean().rename("mean").to_frame()
    out["lo"] = g.quantile(0.05)
    out["hi"] = g.quantile(0.95)
    return out.reset_index()


def monthly_money(result) -> pd.DataFrame:
    """strategy, month, metric (revenue, contribution), mean, lo, hi."""
    d = result.daily().copy()   # one block: new columns do not fragment it
    d["month"] = month_of(d["day"].to_numpy())
    d["contribution"] = d["new_gross_margin"] - d["new_crm_cost"] - d["new_acquisition_cost"]
    d["revenue"] = d["new_revenue"]
    per_rep = d.groupby(["strategy", "rep", "month"])[["revenue", "contribution"]].sum()
    long = per_rep.reset_index().melt(["strategy", "rep", "month"], var_name="metric")
    return _band(long, ["strategy", "metric", "month"], "value")


def stages(result) -> pd.DataFrame:
    """strategy, month, stage, customers (end of month, mean over replications)."""
    d = result.daily().copy()   # one block: new columns do not fragment it
    d["month"] = month_of(d["day"].to_numpy())
    last = d.groupby(["strategy", "rep", "month"]).tail(1)
    cols = {f"n_{s}": s for s in STAGES_SHOWN}
    long = last.rename(columns=cols).melt(["strategy", "rep", "month"], list(cols.values()),
                                          var_name="stage", value_name="customers")
    return long.groupby(["strategy", "month", "stage"], as_index=False)["customers"].mean()


def layer_cake(result) -> pd.DataFrame:
    """strategy, month, cohort, revenue: revenue by acquisition cohort (mean over reps)."""
    c = cohort_frame(result)
    c = c[c["revenue"] != 0]
    return c.groupby(["strategy", "month", "cohort"], as_index=False)["revenue"].mean()


def ltv_by_cohort(result) -> pd.DataFrame:
    """strategy, cohort, size, ltv_observed, ltv_projected (mean over replications)."""
    rows = []
    for r in result.runs:
        table = np.atleast_2d(r.results.matrices["ltv_by_cohort"])
        frame = pd.DataFrame(table, columns=list(LTV_COLUMNS))
        frame["cohort"] = np.arange(len(frame))
        frame["strategy"] = r.strategy
        rows.append(frame[frame["size"] > 0])
    ltv = pd.concat(rows, ignore_index=True)
    cols = ["size", "ltv_observed", "ltv_projected"]
    return ltv.groupby(["strategy", "cohort"], as_index=False)[cols].mean()


def funnel(result) -> pd.DataFrame:
    """strategy, step, customers: where the base stands at the end (potential -> loyal)
    and where it left (premature vs natural churn over the run), mean over reps."""
    d = result.daily()
    last = d[d["day"] == d["day"].max()]
    cols = {**{f"n_{s}": s for s in FUNNEL},
            "cum_churned_premature": "churned (premature)",
            "cum_churned_natural": "churned (natural)"}
    long = last.rename(columns=cols).melt(["strategy", "rep"], list(cols.values()),
                                          var_name="step", value_name="customers")
    out = long.groupby(["strategy", "step"], as_index=False, sort=False)["customers"].mean()
    out["step"] = pd.Categorical(out["step"], list(cols.values()), ordered=True)
    return out.sort_values(["strategy", "step"]).reset_index(drop=True)


def rfm(result) -> pd.DataFrame:
    """strategy, segment, customers, revenue in the last month (mean over reps)."""
    s = segment_frame(result)
    s = s[s["month"] == s["month"].max()]
    return s.groupby(["strategy", "segment"], as_index=False, observed=True)[
        ["customers", "revenue"]].mean()


def costs(result, mechanics: list[str], channels: list[str]) -> pd.DataFrame:
    """strategy, by (mechanic or channel), name, cost over the run (mean over reps)."""
    d = result.daily()
    last = d[d["day"] == d["day"].max()]
    rows = []
    for by, names in (("mechanic", mechanics), ("channel", channels)):
        for name in names:
            col = f"cum_crm_cost_{name}"
            if col in last:
                cost = last.groupby("strategy")[col].mean()
                rows += [{"strategy": s, "by": by, "name": name, "cost": float(v)}
                         for s, v in cost.items() if v > 0]
    return pd.DataFrame(rows, columns=["strategy", "by", "name", "cost"])


def kpi_cards(document: dict) -> pd.DataFrame:
    """strategy, label, value, vs_baseline (mean over replications; None: not shown)."""
    rows = []
    base = document["strategies"]["baseline"]
    for strategy, stats in document["strategies"].items():
        paired = stats.get("vs_baseline", {})
        for label, metric, diff in KPI_CARDS:
            value = stats[metric]["mean"] if metric else None
            if diff is not None:
                delta = paired.get(diff, {}).get("mean")
            elif metric and strategy != "baseline" and value is not None \
                    and base[metric]["mean"] is not None:
                delta = value - base[metric]["mean"]
            else:
                delta = None
            if metric is None and strategy != "baseline":
                value, delta = delta, None
            rows.append({"strategy": strategy, "label": label, "value": value,
                         "vs_baseline": delta})
    return pd.DataFrame(rows)


SPLIT_NEEDED = "needs the per-mechanic split (tick 'split each strategy's effect by mechanic')"
NO_TWIN = "the baseline runs this mechanic alike: no run without it to compare"


def uplift(result, job) -> pd.DataFrame:
    """strategy, mechanic, treated, then measured_* and true_* (mean, lo, hi: p05-p95
    over replications) and a note. Both in one unit, incremental revenue over the run
    in total: measured = (revenue per treated - per held-out customer) x customers
    treated, what the control group says; true = the strategy minus its twin without the
    mechanic on the same seeds (the per-mechanic split), what the mechanic really did."""
    runs = result.summaries()
    mechanics = [c[len("uplift_"):-len("_treated")] for c in runs
                 if c.startswith("uplift_") and c.endswith("_treated")]
    split = mechanic_frame(result.runs + result.twins, job.plan) if job.by_mechanic else None
    rows = []
    for strategy, reps in runs.groupby("strategy", sort=False):
        for m in mechanics:
            per_treated, treated = reps[f"uplift_{m}"], reps[f"uplift_{m}_treated"]
            if per_treated.isna().all():
                continue
            measured = reduce_values([None if pd.isna(u) else u * t
                                      for u, t in zip(per_treated, treated)])
            true, note = _true_uplift(split, job, strategy, m)
            rows.append({"strategy": strategy, "mechanic": m, "treated": treated.mean(),
                         **{f"measured_{k}": v for k, v in measured.items()},
                         **{f"true_{k}": v for k, v in true.items()}, "note": note})
    numbers = {c: float for c in UPLIFT_COLUMNS[2:-1]}
    return pd.DataFrame(rows, columns=UPLIFT_COLUMNS).astype(numbers)


UPLIFT_COLUMNS = ["strategy", "mechanic", "treated", "measured_mean", "measured_lo",
                  "measured_hi", "true_mean", "true_lo", "true_hi", "note"]


def uplift_points(uplift_frame: pd.DataFrame) -> pd.DataFrame:
    """The chart of `uplift`: one row per (strategy, mechanic, which) with which in
    (measured, true), its mean and p05-p95 band, and `label` ("strategy: mechanic")
    for the axis, at x = its index, measured just left and true just right of it; a
    true uplift not computed (see the note) is left out."""
    rows = [{"label": f"{r.strategy}: {r.mechanic}", "strategy": r.strategy,
             "mechanic": r.mechanic, "which": which, "mean": getattr(r, f"{which}_mean"),
             "lo": getattr(r, f"{which}_lo"), "hi": getattr(r, f"{which}_hi")}
            for r in uplift_frame.itertuples() for which in ("measured", "true")]
    points = pd.DataFrame(rows, columns=["label", "strategy", "mechanic", "which", "mean",
                                         "lo", "hi"]).dropna(subset=["mean"])
    labels = list(dict.fromkeys(points["label"]))
    points["x"] = points["label"].map(labels.index) + points["which"].map(
        {"measured": -UPLIFT_OFFSET, "true": UPLIFT_OFFSET})
    return points.reset_index(drop=True)


UPLIFT_OFFSET = 0.15    # measured left of its label's tick, true right of it


def _true_uplift(split, job, strategy: str, mechanic: str) -> tuple[dict, str]:
    """The per-mechanic split's incremental revenue of `mechanic` in `strategy`, or why
    there is none."""
    if mechanic not in job.invested.get(strategy, []):
        return reduce_values([]), NO_TWIN
    if split is None:
        return reduce_values([]), SPLIT_NEEDED
    mine = split[(split["strategy"] == strategy) & (split["mechanic"] == mechanic)]
    return reduce_values(list(mine["incremental_revenue"])), ""


def by_mechanic(document: dict) -> pd.DataFrame:
    """strategy, mechanic, then the per-mechanic split's means (when asked for)."""
    rows = []
    for strategy, stats in document["strategies"].items():
        for mechanic, metrics in stats.get("by_mechanic", {}).items():
            rows.append({"strategy": strategy, "mechanic": mechanic,
                         **{k: v["mean"] if isinstance(v, dict) else v
                            for k, v in metrics.items()}})
    return pd.DataFrame(rows)
