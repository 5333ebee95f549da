"""Each strategy against the baseline, replication by replication.

Replication r of every strategy shares its seed with replication r of `baseline`
(common random numbers), so the paired difference of two runs is the strategy's effect
with most of the noise cancelled. Per pair of runs:

- incremental_revenue, incremental_gross_margin, incremental_crm_cost: strategy total
  minus baseline total over the horizon;
- incremental_contribution: the same for contribution = gross margin - CRM cost -
  acquisition cost;
- incremental_discounts: price given away (discounts, loyalty rewards); gross margin is
  already net of it;
- investment: what the strategy chose to spend, the deliberate outlay that ROMI divides
  by: the change in the CRM cost booked by the mechanics the strategy brings (switches
  on or retunes; `strategy_mechanics`), plus, when it brings one, the incremental
  discounts (a discount programme is marketing spend though it never shows as a CRM
  bill). A lever that keeps more customers alive also sends them more of the regular
  campaign: that cost is a consequence, not an investment; it stays in the return and
  in the contribution, not in the denominator. A strategy that brings no mechanic (the
  free what-if levers) has no investment;
- romi = (incremental gross margin - incremental CRM cost) / investment; None without a
  mechanic, and when the investment is at most 1% of the baseline's CRM cost and
  discounts (a retune that costs next to nothing, or a saving: the ratio means nothing
  there; read the incremental contribution);
- payback_month: the first month (1-based cohort month, day d in month d*12//365 + 1)
  from which the cumulative incremental contribution stays >= 0 to the end of the run;
  1 when it never goes below 0, None when it ends below 0, and None without a positive
  investment (a free lever, a saving: nothing was paid to pay back).

`vs_baseline` reduces the pairs over replications like every other metric ({"mean",
"lo", "hi"}, lo/hi the 5th/95th percentiles; None when any replication has None). The
baseline itself gets no entry. Where ROMI and payback are None because the strategy
brings no mechanic, or invests next to nothing, their entry says so in a `note`.

Per mechanic (leave-one-out, opt-in): the mechanics of a strategy are those enabled in
its resolved scenario and not configured identically in the baseline's. For each, a
twin of the strategy runs with that mechanic as in the baseline (off, unless the
baseline uses it too) under the same seeds; strategy minus twin is the mechanic's
marginal effect inside the strategy (BY_MECHANIC: the same incremental figures and ROMI,
the mechanic's own outlay the investment, the 1% threshold still the baseline run's), beside `booked_cost`, the
CRM cost the mechanic booked itself in the strategy run (its `crm_cost_<mechanic>` flow,
channel contact costs included). Mechanics interact (a shared contact cap, the same
customers), so the marginal effects need not add up to the strategy's.
"""

import numpy as np

from models.mechanics import configured

BASELINE = "baseline"
VS_BASELINE = ("incremental_revenue", "incremental_gross_margin", "incremental_crm_cost",
               "incremental_discounts", "incremental_contribution", "investment", "romi",
               "payback_month")
FREE_LEVER = 0.01   # investment below this share of the baseline's spend: no ROMI
BY_MECHANIC = ("incremental_revenue", "incremental_gross_margin", "incremental_crm_cost",
               "incremental_discounts", "incremental_contribution", "investment", "romi",
               "booked_cost")
NO_INVESTMENT = "no investment: the strategy brings no mechanic (a free what-if lever)"
SMALL_INVESTMENT = ("investment at most 1% of the baseline's CRM cost and discounts in "
                    "some replication (or a saving)")


def _flow(results, name: str) -> np.ndarray:
    key = "new_" + name
    return np.asarray(results[key], dtype=np.float64) if key in results \
        else np.zeros(results.days)


def daily_money(results) -> dict[str, np.ndarray]:
    """Daily revenue, gross margin, CRM cost, acquisition cost, discounts, contribution."""
    out = {k: _flow(results, k) for k in
           ("revenue", "gross_margin", "crm_cost", "acquisition_cost", "discounts")}
    out["contribution"] = out["gross_margin"] - out["crm_cost"] - out["acquisition_cost"]
    return out


def payback_month(daily_incremental: np.ndarray, tolerance: float = 0.0) -> int | None:
    """First month from which the cumulative sum stays >= -tolerance (1-based), or None."""
    d = np.asarray(daily_incremental, dtype=np.float64)
    if d.size == 0:
        return None
    months = np.bincount((np.arange(d.size) * 12) // 365, weights=d)
    negative = np.flatnonzero(np.cumsum(months) < -tolerance)
    if negative.size == 0:
        return 1
    last = int(negative[-1])
    return None if last == months.size - 1 else last + 2


def romi(incremental_margin: float, incremental_crm_cost: float, investment: float,
         baseline_spend: float = 0.0) -> float | None:
    """(dGM - dCRM) / investment; None unless the investment exceeds FREE_LEVER of the
    baseline's own CRM cost and discounts."""
    if not investment > FREE_LEVER * max(baseline_spend, 0.0):
        return None
    return (incremental_margin - incremental_crm_cost) / investment


def compare(results, baseline, invested=(), spend_reference=None) -> dict[str, float | None]:
    """The VS_BASELINE metrics of one strategy run against the baseline run of its seed.
    `invested`: the mechanics the strategy brings, whose outlay is the investment (none,
    or an outlay <= 0: no ROMI, no payback); `spend_reference` (default `baseline`) is the run
    whose CRM cost and discounts set ROMI's threshold, so a mechanic measured against a
    twin keeps the threshold of the strategy."""
    if results.days != baseline.days:
        raise ValueError(f"runs of different lengths: {results.days} vs {baseline.days} days")
    s, b = daily_money(results), daily_money(baseline)
    spend = b if spend_reference is None else daily_money(spend_reference)
    inc = {k: s[k] - b[k] for k in s}
    total = {k: float(v.sum()) for k, v in inc.items()}
    scale = sum(float(np.abs(b[k]).sum()) for k in ("gross_margin", "crm_cost",
                                                     "acquisition_cost"))
    outlay = sum(float((_flow(results, "crm_cost_" + m) - _flow(baseline, "crm_cost_" + m))
                       .sum()) for m in invested)
    investment = outlay + total["discounts"] if invested else 0.0
    paid = bool(invested) and investment > 0
    return {
        "incremental_revenue": total["revenue"],
        "incremental_gross_margin": total["gross_margin"],
        "incremental_crm_cost": total["crm_cost"],
        "incremental_discounts": total["discounts"],
        "incremental_contribution": total["contribution"],
        "investment": investment,
        "romi": romi(total["gross_margin"], total["crm_cost"], investment,
                     float(spend["crm_cost"].sum() + spend["discounts"].sum()))
        if paid else None,
        "payback_month": payback_month(inc["contribution"], tolerance=1e-12 * scale)
        if paid else None,
    }


def paired(result, invested: dict[str, list[str]],
           baseline: str = BASELINE) -> list[tuple[str, int, dict]]:
    """(strategy, rep, compare(...)) for every non-baseline run with a baseline twin;
    `invested`: {strategy: the mechanics it brings} (`strategy_mechanics`)."""
    runs = {(r.strategy, r.rep): r for r in result.runs}
    return [(r.strategy, r.rep, compare(r.results, partner(runs, baseline, r).results,
                                        invested.get(r.strategy, ())))
            for r in result.runs if r.strategy != baseline and (baseline, r.rep) in runs]


def partner(runs: dict, name: str, run):
    """The run of `name` in `run`'s replication ({(strategy, rep): run}); its seed must
    be `run`'s, or the difference of the two would not cancel the noise."""
    other = runs[(name, run.rep)]
    if other.seed != run.seed:
        raise ValueError(f"{run.strategy} rep {run.rep}: seed {run.seed} differs from "
                         f"{name}'s {other.seed}; runs are not paired")
    return other


def paired_frame(result, invested: dict[str, list[str]], baseline: str = BASELINE):
    """The paired comparisons as a DataFrame: strategy, rep, then VS_BASELINE columns."""
    import pandas as pd

    return pd.DataFrame([{"strategy": s, "rep": rep, **m}
                         for s, rep, m in paired(result, invested, baseline)],
                        columns=["strategy", "rep", *VS_BASELINE])


def reduce_values(values: list) -> dict:
    """{"mean", "lo", "hi"} over replications, lo/hi the p05/p95; all None if any is None."""
    if not values or any(v is None for v in values):
        return {"mean": None, "lo": None, "hi": None}
    v = np.asarray(values, dtype=np.float64)
    lo, hi = np.percentile(v, [5, 95])
    return {"mean": float(v.mean()), "lo": float(lo), "hi": float(hi)}


def explained(stats: dict, invested) -> dict:
    """ROMI and payback of a strategy with a `note` where they are None for want of an
    investment (and not because the run says so)."""
    note = SMALL_INVESTMENT if invested else NO_INVESTMENT
    if stats["romi"]["mean"] is None:
        stats["romi"] = {**stats["romi"], "note": note}
    if not invested:
        stats["payback_month"] = {**stats["payback_month"], "note": NO_INVESTMENT}
    return stats


def vs_baseline(result, invested: dict[str, list[str]],
                baseline: str = BASELINE) -> dict[str, dict]:
    """{strategy: {metric: {"mean", "lo", "hi"}}} for every strategy but the baseline;
    `invested` as in `paired`."""
    rows: dict[str, list[dict]] = {}
    for strategy, _, metrics in paired(result, invested, baseline):
        rows.setdefault(strategy, []).append(metrics)
    return {s: explained({m: reduce_values([row[m] for row in runs]) for m in VS_BASELINE},
                         invested.get(s, ()))
            for s, runs in rows.items()}


def strategy_mechanics(strategy, baseline) -> list[str]:
    """Names of the mechanics a resolved strategy brings: enabled in it and not
    configured identically in the resolved baseline (alphabetical)."""
    return sorted(name for name, _, params in configured(strategy.mechanics)
                  if params.enabled and params != getattr(baseline.mechanics, name, None))


def leave_one_out(strategy, mechanic: str, baseline):
    """The strategy's twin: `mechanic` configured as in the baseline, all else alike."""
    mechanics = strategy.mechanics.model_copy(
        update={mechanic: getattr(baseline.mechanics, mechanic, None)})
    return strategy.model_copy(update={"mechanics": mechanics})


def mechanic_effect(results, twin, baseline, mechanic: str) -> dict[str, float | None]:
    """BY_MECHANIC of one replication: the strategy run against its twin without
    `mechanic`, and what the mechanic booked in the strategy run."""
    diff = compare(results, twin, (mechanic,), spend_reference=baseline)
    booked = float(_flow(results, "crm_cost_" + mechanic).sum())
    return {**{k: diff[k] for k in BY_MECHANIC if k in diff}, "booked_cost": booked}


def mechanic_rows(runs, plan: dict[str, dict[str, str]], baseline: str = BASELINE) -> list:
    """One dict per strategy x mechanic x replication. `runs`: the strategies' and the
    twins' runs; `plan`: {strategy: {mechanic: name of the twin's runs}}."""
    by = {(r.strategy, r.rep): r for r in runs}
    rows = []
    for r in runs:
        for mechanic, twin in plan.get(r.strategy, {}).items():
            effect = mechanic_effect(r.results, partner(by, twin, r).results,
                                     partner(by, baseline, r).results, mechanic)
            rows.append({"strategy": r.strategy, "mechanic": mechanic, "rep": r.rep,
                         **effect})
    return rows


def mechanic_frame(runs, plan: dict[str, dict[str, str]], baseline: str = BASELINE):
    """`mechanic_rows` as a DataFrame: strategy, mechanic, rep, then BY_MECHANIC."""
    import pandas as pd

    return pd.DataFrame(mechanic_rows(runs, plan, baseline),
                        columns=["strategy", "mechanic", "rep", *BY_MECHANIC])


def by_mechanic(runs, plan: dict[str, dict[str, str]], baseline: str = BASELINE) -> dict:
    """{strategy: {mechanic: {metric: {"mean", "lo", "hi"}}}} for every strategy of
    `plan` (empty for a strategy that brings no mechanic)."""
    rows = mechanic_rows(runs, plan, baseline)
    return {s: {m: {k: reduce_values([row[k] for row in rows
                                      if row["strategy"] == s and row["mechanic"] == m])
                    for k in BY_MECHANIC}
                for m in mechanics}
            for s, mechanics in plan.items()}
