"""The economic model as a document: yearly figures and the leverage table.

`economics_document` is what `snowball economics --json` prints and what the app
shows; `snowball run` puts the model's figures beside the simulator's with it. Each
lever row says which scenario override makes the simulator take the same step, so the
two can be compared (`python -m apps.bench.economics`).
"""

import math

from scenarios.errors import InputError

YEAR = 365
LEVERS = (  # name, step, variant fields, the simulator's override
    ("retention", "+1 point of yearly retention"),
    ("frequency", "+1 purchase a year per customer"),
    ("check", "+1% average check"),
    ("margin", "+1 point of gross margin"),
    ("retention_5", "+5 points of yearly retention"),
)


def churn_multiplier(retention: float, premature_share: float, points: float):
    """Premature-churn multiplier that lifts the yearly retention by `points` (0-1):
    with H = -ln(retention) split into premature and natural churn, -ln(r + points) =
    m H_premature + H_natural. None when nothing premature is left to cut; 0 when the
    target is out of reach (every premature route closed)."""
    if not 0.0 < retention < 1.0 or premature_share <= 0.0:
        return None
    h = -math.log(retention)
    target = -math.log(min(retention + points, 1.0 - 1e-12))
    return max(0.0, (target - h * (1.0 - premature_share)) / (h * premature_share))


def _variants(sc, proj=None):
    """(lever, step, Variant, override) rows for the leverage table; the retention
    steps (set from the baseline's projection `proj`) only given it."""
    from models.econ_model import Variant

    lev = sc.levers
    rows = []
    for name, step in LEVERS:
        if name.startswith("retention"):
            if proj is None:
                continue
            pts = 0.05 if name == "retention_5" else 0.01
            m = churn_multiplier(float(proj.retention[0]), float(proj.premature_share[0]), pts)
            if m is None:
                continue
            rows.append((name, step, Variant(churn=m), {
                "levers.premature_churn_multiplier": lev.premature_churn_multiplier * m}))
        elif name == "frequency":
            rows.append((name, step, Variant(rate_add=1.0 / YEAR), {
                "levers.extra_purchases_per_year": lev.extra_purchases_per_year + 1.0}))
        elif name == "check":
            rows.append((name, step, Variant(spend=1.01), {
                "levers.spend_multiplier": lev.spend_multiplier * 1.01}))
        elif sc.economics.gross_margin <= 0.99:
            rows.append((name, step, Variant(margin_add=0.01), {
                "economics.gross_margin": sc.economics.gross_margin + 0.01}))
    return rows


def _projections(sc, model):
    """The baseline's projection (row 0), the leverage rows and each row's yearly
    (revenue, gross margin). The levers that need no baseline figure are projected
    with the baseline, the retention steps after it: two projections, in each of
    which variants that move customers alike share a run."""
    from models.econ_model import Variant

    others = _variants(sc)
    first = model.project([Variant()] + [v for _, _, v, _ in others])
    rows = _variants(sc, first)
    retention = [v for name, _, v, _ in rows if name.startswith("retention")]
    second = model.project(retention) if retention else None
    figures, at = [], {"first": 1, "second": 0}
    for name, *_ in rows:
        which = "second" if name.startswith("retention") else "first"
        proj, i = (second if which == "second" else first), at[which]
        at[which] += 1
        figures.append((proj.revenue[i], proj.gross_margin[i]))
    return first, rows, figures


def _pct(after, before):
    return 100.0 * (after / before - 1.0) if before else None


def economics_document(file, strategy: str = "baseline", years: int = 3) -> dict:
    """The economic model of `file` (a ScenarioFile, already adjusted) for one strategy:
    {"scenario", "strategy", "years": [...], "leverage": [...], "simulator_only", ...};
    "horizon" holds the figures over the scenario's own horizon (within the years), the
    span the simulator runs, which need not be whole years."""
    from models.econ_mechanics import simulator_only, translated
    from models.econ_model import Model

    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 100:
        raise InputError(f"--years must be a whole number within 1..100 (got {years!r})")
    sc = file.resolve(strategy)
    model = Model(sc, years)
    base, rows, figures = _projections(sc, model)
    table = [{"year": y + 1, "revenue": float(base.revenue[0, y]),
              "gross_margin": float(base.gross_margin[0, y]),
              "active_customers": float(base.active[0, y]),
              "alive_customers": float(base.alive[0, y]),
              "purchases": float(base.purchases[0, y]),
              "first_purchases": float(base.first_purchases[0, y])} for y in range(years)]
    h = base.horizon
    horizon = {"days": int(h["days"]), "revenue": float(h["revenue"][0]),
               "gross_margin": float(h["gross_margin"][0]),
               "active_customers_end": float(h["active_end"][0])}
    rev, gm = float(base.revenue[0].sum()), float(base.gross_margin[0].sum())
    leverage = []
    for (name, step, _, override), (revenue, margin) in zip(rows, figures):
        r, g = float(revenue.sum()), float(margin.sum())
        leverage.append({
            "lever": name, "step": step,
            "revenue_change": r - rev, "revenue_change_pct": _pct(r, rev),
            "gross_margin_change": g - gm, "gross_margin_change_pct": _pct(g, gm),
            "last_year_revenue_change_pct": _pct(float(revenue[-1]),
                                                 float(base.revenue[0, -1])),
            "override": override})
    return {"scenario": sc.name, "strategy": strategy, "customers": sc.base.customers,
            "currency": sc.economics.currency, "years": table,
            "revenue_total": rev, "gross_margin_total": gm, "horizon": horizon,
            "retention_rate": float(base.retention[0]), "leverage": leverage,
            "translated": translated(sc), "simulator_only": simulator_only(sc),
            "step_days": model.dt}


def is_lever_strategy(name: str, strategy) -> bool:
    """The baseline, or a strategy that overrides `levers.*` only."""
    return name == "baseline" or bool(strategy.overrides) and all(
        k.startswith("levers.") for k in strategy.overrides)


BESIDE = (("revenue", "revenue"), ("gross_margin", "gross_margin"),
          ("active_customers_end", "active_end"))


def beside_simulator(sc, stats: dict) -> dict:
    """The economic model's revenue and gross margin over the run's horizon and active
    customers at its end, beside the simulator's mean (`stats`: a strategy's reduced
    metrics) and their ratio model / simulator."""
    from models.econ_mechanics import simulator_only
    from models.econ_model import Model

    horizon = Model(sc, max(1, -(-sc.horizon_days // YEAR))).project().horizon
    out = {}
    for metric, key in BESIDE:
        model = float(horizon[key][0])
        sim = (stats.get(metric) or {}).get("mean")
        out[metric] = {"model": model, "simulator": sim,
                       "ratio": model / sim if sim else None}
    out["simulator_only"] = simulator_only(sc)
    return out
