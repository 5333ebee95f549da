"""Rich tables for the terminal: presets, and strategies side by side."""

from rich.table import Table

SHOWN = (
    ("revenue", "Revenue", "n"), ("gross_margin", "Gross margin", "n"),
    ("crm_cost", "CRM cost", "n"), ("acquisition_cost", "Acquisition", "n"),
    ("contribution", "Contribution", "n"), ("customer_equity", "Customer equity", "n"),
    ("ltv_365", "LTV 365d (margin)", "n"), ("purchases", "Purchases", "n"),
    ("new_customers", "New customers", "n"), ("active_customers_end", "Active at end", "n"),
    ("retention_rate", "Annual retention", ".1%"), ("one_time_share", "One-time buyers", ".1%"),
    ("repeat_rate", "Repeat rate", ".1%"), ("avg_check_new", "Check, first order", "n"),
    ("avg_check_repeat", "Check, repeat", "n"), ("arppu", "ARPPU", "n"),
    ("churned_premature", "Churned (premature)", "n"),
    ("churned_natural", "Churned (natural)", "n"),
    ("drr", "DRR (costs / revenue)", ".1%"),
    ("transactions_per_customer", "Orders per buyer, year", ".3g"),
    ("lifecycle_length", "Lifecycle (days)", "n"), ("ltv_projected", "LTV projected", "n"),
    ("crm_budget_per_customer", "CRM cost / active / year", "n"),
)
# Paired differences from the baseline (the document's `vs_baseline`).
VS_BASELINE_SHOWN = (
    ("incremental_revenue", "Δ Revenue vs baseline", "n"),
    ("incremental_contribution", "Δ Contribution vs baseline", "n"),
    ("romi", "ROMI", ".0%"), ("payback_month", "Payback month", ".3g"),
)
NONE = {"mean": None, "lo": None, "hi": None}


def presets_table(rows: list[dict]) -> Table:
    t = Table(title="Built-in scenarios")
    t.add_column("name", style="bold")
    t.add_column("strategies")
    t.add_column("description")
    for r in rows:
        t.add_row(r["name"], ", ".join(r["strategies"]), r["description"])
    return t


def _num(x: float, fmt: str) -> str:
    """Compact numbers (12.3M) so many strategies fit side by side."""
    if fmt != "n":
        return format(x, fmt)
    for threshold, size, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K")):
        if abs(x) >= threshold:
            return f"{x / size:.3g}{suffix}" if abs(x) < 100 * size else \
                f"{x / size:,.0f}{suffix}"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.3g}"


def _cell(stat: dict, fmt: str) -> str:
    """The mean, and under it half the width of the band (dim)."""
    if stat["mean"] is None:
        return "-"
    text = _num(stat["mean"], fmt)
    half = (stat["hi"] - stat["lo"]) / 2
    if half > 0:
        text += f"\n[dim]±{_num(half, fmt)}[/]"
    return text


STRATEGY_WIDTH = 13   # characters a strategy column needs (number, band, borders)


def summary_tables(doc: dict, width: int) -> list[Table]:
    """The strategies side by side, in as many tables as a `width`-wide terminal needs
    (the baseline is repeated in each, so every table compares against it)."""
    names = list(doc["strategies"])
    per_table = max(1, (width - 24) // STRATEGY_WIDTH - 1)
    others = [n for n in names if n != "baseline"]
    groups = [others[i:i + per_table] for i in range(0, len(others), per_table)] or [[]]
    return [summary_table(doc, ["baseline", *group]) for group in groups]


def summary_table(doc: dict, names: list[str] | None = None) -> Table:
    strategies = {n: doc["strategies"][n] for n in (names or doc["strategies"])}
    t = Table(title=f"{doc['scenario']}: {doc['customers']:,} customers, {doc['days']} days, "
                    f"{doc['reps']} replications ({doc['currency']})",
              caption=f"mean over replications; ± half the {doc['band']} band")
    t.add_column("metric", style="bold", no_wrap=True)
    for name in strategies:
        t.add_column(name.replace("_", " "), justify="right", overflow="fold")
    for key, label, fmt in SHOWN:
        t.add_row(label, *[_cell(strategies[s].get(key, NONE), fmt) for s in strategies])
    if any("vs_baseline" in strategies[s] for s in strategies):
        t.add_section()
        for key, label, fmt in VS_BASELINE_SHOWN:
            t.add_row(label, *[_cell(strategies[s].get("vs_baseline", {}).get(key, NONE), fmt)
                               for s in strategies])
    return t
