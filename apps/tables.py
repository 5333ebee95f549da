"""Rich tables for the terminal: presets, and strategies side by side."""

from rich.table import Table

from apps.figures import banded, plain
from models.comparison import NO_INVESTMENT

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
# Shown only where some strategy moves them off their neutral value (the last field):
# baskets, offers and carts mean nothing in a scenario without them.
SHOWN_IF_USED = (
    ("items_per_check", "Items per check", ".3g", 1.0),
    ("offer_discounts", "Offer discounts", "n", 0.0),
    ("offer_discounts_anyway", "… to buyers anyway", "n", 0.0),
    ("abandoned_carts", "Abandoned carts", "n", 0.0),
)
# Paired differences from the baseline (the document's `vs_baseline`).
VS_BASELINE_SHOWN = (
    ("incremental_revenue", "Δ Revenue vs baseline", "n"),
    ("incremental_contribution", "Δ Contribution vs baseline", "n"),
    ("romi", "ROMI", ".0%"), ("payback_month", "Payback month", ".3g"),
)
# Per mechanic inside a strategy (the document's `by_mechanic`).
BY_MECHANIC_SHOWN = (
    ("incremental_gross_margin", "Δ Margin", "n"), ("incremental_crm_cost", "Δ CRM", "n"),
    ("incremental_discounts", "Δ Disc.", "n"), ("incremental_contribution", "Δ Contr.", "n"),
    ("romi", "ROMI", ".0%"), ("booked_cost", "Booked", "n"),
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


def _cell(stat: dict, fmt: str) -> str:
    """The mean, and under it half the width of the band (dim), both rounded to what
    the band supports; a figure that is None for want of an investment says so."""
    if stat["mean"] is None:
        return "free lever" if stat.get("note") == NO_INVESTMENT else "-"
    half = (stat["hi"] - stat["lo"]) / 2
    if not half > 0:
        return plain(stat["mean"], fmt)
    mean, band = banded(stat["mean"], half, fmt)
    return f"{mean}\n[dim]±{band}[/]"


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
              caption=f"mean over replications; ± half the {doc['band']} band, both rounded "
                      "to what the band supports; ROMI and payback only for a strategy "
                      "that brings a mechanic (free lever: no investment)")
    t.add_column("metric", style="bold", no_wrap=True)
    for name in strategies:
        t.add_column(name.replace("_", " "), justify="right", overflow="fold")
    for key, label, fmt in SHOWN:
        t.add_row(label, *[_cell(strategies[s].get(key, NONE), fmt) for s in strategies])
    for key, label, fmt, neutral in SHOWN_IF_USED:
        if any(s.get(key, NONE)["mean"] not in (None, neutral)
               for s in doc["strategies"].values()):
            t.add_row(label, *[_cell(strategies[s].get(key, NONE), fmt) for s in strategies])
    if any("vs_baseline" in strategies[s] for s in strategies):
        t.add_section()
        for key, label, fmt in VS_BASELINE_SHOWN:
            t.add_row(label, *[_cell(strategies[s].get("vs_baseline", {}).get(key, NONE), fmt)
                               for s in strategies])
    return t


def mechanics_tables(doc: dict) -> list[Table]:
    """One table per strategy split by mechanic (the document's `by_mechanic`), a row
    per mechanic: the strategy against its twin without the mechanic."""
    return [mechanics_table(doc, name) for name, s in doc["strategies"].items()
            if s.get("by_mechanic")]


def mechanics_table(doc: dict, strategy: str) -> Table:
    t = Table(title=f"{strategy}: each mechanic, the strategy minus the strategy without "
                    f"it ({doc['currency']})",
              caption="Δ: gross margin, CRM cost, discounts, contribution; booked: the "
                      "CRM cost the mechanic itself booked in the strategy; mean over "
                      "replications, ± half the band")
    t.add_column("mechanic", style="bold", no_wrap=True)
    for _, label, _ in BY_MECHANIC_SHOWN:
        t.add_column(label, justify="right", overflow="fold")
    for mechanic, stats in doc["strategies"][strategy]["by_mechanic"].items():
        t.add_row(mechanic.replace("_", " "),
                  *[_cell(stats[key], fmt) for key, _, fmt in BY_MECHANIC_SHOWN])
    return t


def economics_tables(doc: dict) -> list[Table]:
    """The economic model's years and its leverage table."""
    years = Table(title=f"Economic model: {doc['scenario']}, {doc['strategy']} "
                        f"({doc['currency']})")
    for col in ("year", "revenue", "gross margin", "active at end", "alive at end"):
        years.add_column(col, justify="right")
    for y in doc["years"]:
        years.add_row(str(y["year"]), plain(y["revenue"], "n"), plain(y["gross_margin"], "n"),
                      plain(y["active_customers"], "n"), plain(y["alive_customers"], "n"))
    lev = Table(title="Leverage: one step of each lever, over the horizon")
    for col in ("lever", "Δ revenue", "Δ revenue %", "Δ margin %", "last year %",
                "simulator override"):
        lev.add_column(col, justify="left" if col in ("lever", "simulator override")
                       else "right")
    for r in doc["leverage"]:
        lev.add_row(r["step"], plain(r["revenue_change"], "n"),
                    f"{r['revenue_change_pct']:+.1f}%", f"{r['gross_margin_change_pct']:+.1f}%",
                    f"{r['last_year_revenue_change_pct']:+.1f}%",
                    ", ".join(f"{k}: {v:.4g}" for k, v in r["override"].items()))
    notes = Table(show_header=False, box=None)
    if doc["translated"]:
        notes.add_row("mechanics in the model: " + ", ".join(
            f"{m} ({how})" for m, how in doc["translated"].items()))
    if doc["simulator_only"]:
        notes.add_row("simulator only (not in these figures): "
                      + ", ".join(doc["simulator_only"]))
    return [years, lev, notes]


def economic_model_table(doc: dict) -> Table | None:
    """The economic model beside the simulator for the strategies that have it."""
    names = [n for n, st in doc["strategies"].items() if "economic_model" in st]
    if not names:
        return None
    t = Table(title="Economic model (instant) vs simulator (mean)")
    for col in ("strategy", "metric", "model", "simulator", "model / simulator"):
        t.add_column(col, justify="left" if col in ("strategy", "metric") else "right")
    for n in names:
        em = doc["strategies"][n]["economic_model"]
        for metric, label in (("revenue", "Revenue"), ("gross_margin", "Gross margin"),
                              ("active_customers_end", "Active at end")):
            row = em[metric]
            t.add_row(n, label, plain(row["model"], "n"),
                      "-" if row["simulator"] is None else plain(row["simulator"], "n"),
                      "-" if row["ratio"] is None else f"{row['ratio']:.3f}")
        if em["simulator_only"]:
            t.add_row(n, "[dim]simulator only[/]", ", ".join(em["simulator_only"]), "", "")
    return t
