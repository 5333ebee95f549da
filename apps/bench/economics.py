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
    from apps.economics import is_lever_strategy

    return [n for n, s in file.scenario.strategies.items() if is_lever_strategy(n, s)]


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


CHURN_GRID = (0.78, 0.85, 0.92)
CHURN = "levers.premature_churn_multiplier"


def _file(name, customers, years):
    from scenarios.loader import ScenarioFile

    f = ScenarioFile(name)
    f.adjust(customers=customers, days=YEAR * years)
    return f


def simulate_preset(name: str, customers: int, reps: int, years: int, seed: int,
                    churn_grid: bool) -> dict:
    """The simulator's yearly figures (lists by replication) of a preset's baseline and
    lever strategies; with churn_grid, also the baseline with the premature-churn lever
    at each CHURN_GRID value times its own (paired with the baseline: same seeds)."""
    f = _file(name, customers, years)
    scenarios = {n: f.resolve(n) for n in lever_strategies(f)}
    if churn_grid:
        own = scenarios["baseline"].levers.premature_churn_multiplier
        for m in CHURN_GRID:
            scenarios[f"churn x{m}"] = _with(scenarios["baseline"], CHURN, own * m)
    t0 = time.perf_counter()
    out = simulate(scenarios, reps, seed, years)
    return {"seconds": round(time.perf_counter() - t0, 1),
            "runs": {s: {m: v.tolist() for m, v in d.items()} for s, d in out.items()}}


def _retention_five(sim: dict, lever: dict) -> dict:
    """The simulator's paired change of revenue at the model's +5-point multiplier,
    interpolated (linearly) between the churn grid's paired changes."""
    base = np.array(sim["baseline"]["revenue"])
    m = lever["override"][CHURN] / 1.0
    grid = sorted((float(k.split("x")[1]), np.array(v["revenue"])) for k, v in sim.items()
                  if k.startswith("churn x"))
    xs = np.array([g for g, _ in grid])
    total = np.array([100 * ((v.sum(axis=1) - base.sum(axis=1)) / base.sum(axis=1)).mean()
                      for _, v in grid])
    last = np.array([100 * ((v[:, -1] - base[:, -1]) / base[:, -1]).mean() for _, v in grid])
    inside = bool(xs.min() <= m <= xs.max())
    return {"override": lever["override"], "inside_grid": inside,
            "model_revenue_change_pct": lever["revenue_change_pct"],
            "simulator_revenue_change_pct": float(np.interp(m, xs, total)),
            "model_last_year_change_pct": lever["last_year_revenue_change_pct"],
            "simulator_last_year_change_pct": float(np.interp(m, xs, last))}


def compare(name: str, sim: dict, customers: int, years: int) -> dict:
    """Model vs simulator rows of one preset (the simulator's figures from `sim`)."""
    from apps.economics import economics_document

    f = _file(name, customers, years)
    names = [n for n in lever_strategies(f) if n in sim["runs"]]
    rows = []
    docs = {}
    for n in names:
        t0 = time.perf_counter()
        docs[n] = economics_document(f, n, years)
        seconds = time.perf_counter() - t0
        for y in range(years):
            model = docs[n]["years"][y]
            for metric in ("revenue", "gross_margin", "active_customers"):
                v = np.array(sim["runs"][n][metric])[:, y]
                rows.append({"strategy": n, "year": y + 1, "metric": metric,
                             "model": model[metric], "simulator": float(v.mean()),
                             "simulator_se": float(v.std(ddof=1) / np.sqrt(len(v))),
                             "ratio": model[metric] / float(v.mean()),
                             "model_seconds": round(seconds, 3)})
    five = None
    if any(k.startswith("churn x") for k in sim["runs"]):
        lever = next(r for r in docs["baseline"]["leverage"] if r["lever"] == "retention_5")
        five = _retention_five(sim["runs"], lever)
    return {"preset": name, "strategies": names, "simulator_seconds": sim["seconds"],
            "worst_deviation": max(abs(r["ratio"] - 1.0) for r in rows), "rows": rows,
            "retention_5": five}


COLD = ("import time; t0 = time.perf_counter(); "
        "from apps.economics import economics_document; "
        "from scenarios.loader import ScenarioFile; t1 = time.perf_counter(); "
        "f = ScenarioFile({name!r}); t2 = time.perf_counter(); "
        "economics_document(f); t3 = time.perf_counter(); "
        "print(t1 - t0, t2 - t1, t3 - t2)")


def speed(names, repeat: int = 5) -> dict:
    """Seconds per preset: the document warm (best of `repeat`, the file loaded; wall
    and CPU time, with the machine's load average, since a shared machine stretches
    the wall time), and in a fresh interpreter: the imports, loading the file, the
    first document."""
    import subprocess
    import sys

    from apps.economics import economics_document
    from scenarios.loader import ScenarioFile

    import os

    out = {"load_average": os.getloadavg()[0], "cores": os.cpu_count()}
    for name in names:
        f = ScenarioFile(name)
        best = cpu = float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            economics_document(f)
            best = min(best, time.perf_counter() - t0)
            cpu = min(cpu, time.process_time() - c0)
        cold = subprocess.run([sys.executable, "-c", COLD.format(name=name)],
                              capture_output=True, text=True, check=True)
        imports, load, first = map(float, cold.stdout.split())
        out[name] = {"warm_seconds": round(best, 4), "warm_cpu_seconds": round(cpu, 4),
                     "cold_import_seconds": round(imports, 3),
                     "cold_load_seconds": round(load, 3),
                     "cold_first_document_seconds": round(first, 3)}
    return out


def main(argv=None) -> None:
    from scenarios.loader import preset_names

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--presets", default="all")
    ap.add_argument("--customers", type=int, default=200_000)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--retention-five", default="baby_food,shoe_polish")
    ap.add_argument("--simulated", help="read the simulator's figures from this JSON "
                    "(written by --save-simulated) instead of simulating")
    ap.add_argument("--save-simulated", help="write the simulator's figures here")
    ap.add_argument("--speed", action="store_true", help="instead, time the model")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    names = preset_names() if a.presets == "all" else a.presets.split(",")
    if a.speed:
        text = json.dumps(speed(names), indent=1)
        if a.out:
            with open(a.out, "w") as fh:
                fh.write(text + "\n")
        print(text)
        return
    five = set(a.retention_five.split(","))
    if a.simulated:
        with open(a.simulated) as fh:
            raw = json.load(fh)
        a.customers, a.reps, a.years, a.seed = (raw[k] for k in ("customers", "reps",
                                                                  "years", "seed"))
        names = [n for n in names if n in raw["presets"]]
    else:
        raw = {"customers": a.customers, "reps": a.reps, "years": a.years, "seed": a.seed,
               "presets": {n: simulate_preset(n, a.customers, a.reps, a.years, a.seed,
                                              n in five) for n in names}}
        if a.save_simulated:
            with open(a.save_simulated, "w") as fh:
                json.dump(raw, fh)
    report = {k: raw[k] for k in ("customers", "reps", "years", "seed")}
    report["presets"] = [compare(n, raw["presets"][n], a.customers, a.years) for n in names]
    report["worst_deviation"] = max(p["worst_deviation"] for p in report["presets"])
    text = json.dumps(report, indent=1)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
