"""How closely the economic model agrees with the simulator, preset by preset.

For every preset's baseline and lever strategies (overrides of `levers.*` only) it
runs the simulator (R replications, N customers, Y years, the same seeds for every
strategy) and the economic model, and reports per year the model's revenue, gross
margin and active customers at the end of the year beside the simulator's mean, its
standard error and the ratio; and, for the presets asked, the "+5 points of
retention" lever from both (the simulator's run is paired with its baseline).

    python -m apps.bench.economics --out benchmarks/economics_agreement.json
"""

import argparse
import json
import time

import numpy as np

YEAR = 365
METRICS = {"revenue": "new_revenue", "gross_margin": "new_gross_margin"}


def lever_strategies(file) -> list[str]:
    """The baseline and every strategy that overrides only `levers.*`."""
    sc = file.scenario
    return ["baseline"] + [n for n, s in sc.strategies.items() if n != "baseline"
                           and s.overrides and all(k.startswith("levers.")
                                                   for k in s.overrides)]


def yearly(results, years: int) -> dict:
    """Per year: revenue, gross margin (sums) and active customers at the year's end."""
    out = {k: [float(results[v][YEAR * y:YEAR * (y + 1)].sum()) for y in range(years)]
           for k, v in METRICS.items()}
    out["active_customers"] = [float(results["n_active"][YEAR * (y + 1) - 1])
                               for y in range(years)]
    return out


def simulate(scenarios: dict, reps: int, seed: int, years: int) -> dict:
    """{name: {metric: (reps, years) array}} of the simulator, same seeds throughout."""
    from scenarios.build import make_sim
    from sim.ensemble import Ensemble

    ens = Ensemble(lambda s, sd: make_sim(scenarios[s], sd),
                   lambda sim: yearly(sim.results, years), list(scenarios), reps, seed)
    out = {}
    for run in ens.run().runs:
        for metric, values in run.summary.items():
            out.setdefault(run.strategy, {}).setdefault(metric, []).append(values)
    return {s: {m: np.array(v) for m, v in d.items()} for s, d in out.items()}


def _with(sc, path: str, value):
    from scenarios.loader import set_path

    data = sc.model_dump()
    set_path(data, path, value)
    return type(sc).model_validate(data)


def preset_agreement(name: str, customers: int, reps: int, years: int, seed: int,
                     retention_five: bool) -> dict:
    from apps.economics import economics_document
    from scenarios.loader import ScenarioFile

    f = ScenarioFile(name)
    f.adjust(customers=customers, days=YEAR * years)
    names = lever_strategies(f)
    scenarios = {n: f.resolve(n) for n in names}
    docs = {n: economics_document(f, n, years) for n in names}
    five = None
    if retention_five:
        row = next(r for r in docs["baseline"]["leverage"] if r["lever"] == "retention_5")
        (path, value), = row["override"].items()
        scenarios["retention_5"] = _with(scenarios["baseline"], path, value)
    t0 = time.perf_counter()
    sim = simulate(scenarios, reps, seed, years)
    rows = []
    for n in names:
        for y in range(years):
            model = docs[n]["years"][y]
            for metric in ("revenue", "gross_margin", "active_customers"):
                v = sim[n][metric][:, y]
                rows.append({"strategy": n, "year": y + 1, "metric": metric,
                             "model": model[metric], "simulator": float(v.mean()),
                             "simulator_se": float(v.std(ddof=1) / np.sqrt(len(v))),
                             "ratio": model[metric] / float(v.mean())})
    if retention_five:
        base, up = sim["baseline"]["revenue"], sim["retention_5"]["revenue"]
        model = next(r for r in docs["baseline"]["leverage"] if r["lever"] == "retention_5")
        paired = (up.sum(axis=1) - base.sum(axis=1)) / base.sum(axis=1)
        last = (up[:, -1] - base[:, -1]) / base[:, -1]
        five = {"override": model["override"],
                "model_revenue_change_pct": model["revenue_change_pct"],
                "simulator_revenue_change_pct": float(100 * paired.mean()),
                "model_last_year_change_pct": model["last_year_revenue_change_pct"],
                "simulator_last_year_change_pct": float(100 * last.mean())}
    worst = max(abs(r["ratio"] - 1.0) for r in rows)
    return {"preset": name, "strategies": names, "simulator_seconds":
            round(time.perf_counter() - t0, 1), "worst_deviation": worst, "rows": rows,
            "retention_5": five}


def main(argv=None) -> None:
    from scenarios.loader import preset_names

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--presets", default="all")
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--retention-five", default="baby_food,shoe_polish")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    names = preset_names() if a.presets == "all" else a.presets.split(",")
    five = set(a.retention_five.split(","))
    report = {"customers": a.customers, "reps": a.reps, "years": a.years, "seed": a.seed,
              "presets": [preset_agreement(n, a.customers, a.reps, a.years, a.seed,
                                           n in five) for n in names]}
    report["worst_deviation"] = max(p["worst_deviation"] for p in report["presets"])
    text = json.dumps(report, indent=1)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
