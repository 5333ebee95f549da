"""Rich tables for the terminal: presets, and strategies side by side."""

from rich.table import Table

SHOWN = (
    ("revenue", "Revenue", ",.0f"), ("gross_margin", "Gross margin", ",.0f"),
    ("crm_cost", "CRM cost", ",.0f"), ("acquisition_cost", "Acquisition", ",.0f"),
    ("contribution", "Contribution", ",.0f"), ("customer_equity", "Customer equity", ",.0f"),
    ("ltv_365", "LTV 365d (margin)", ",.0f"), ("purchases", "Purchases", ",.0f"),
    ("new_customers", "New customers", ",.0f"), ("active_customers_end", "Active at end", ",.0f"),
    ("retention_rate", "Annual retention", ".1%"), ("one_time_share", "One-time buyers", ".1%"),
    ("repeat_rate", "Repeat rate", ".1%"), ("avg_check_new", "Check, first order", ",.0f"),
    ("avg_check_repeat", "Check, repeat", ",.0f"), ("arppu", "ARPPU", ",.0f"),
    ("churned_premature", "Churned (premature)", ",.0f"),
    ("churned_natural", "Churned (natural)", ",.0f"),
)


def presets_table(rows: list[dict]) -> Table:
    t = Table(title="Built-in scenarios")
    t.add_column("name", style="bold")
    t.add_column("strategies")
    t.add_column("description")
    for r in rows:
        t.add_row(r["name"], ", ".join(r["strategies"]), r["description"])
    return t


def _cell(stat: dict, fmt: str) -> str:
    if stat["mean"] is None:
        return "-"
    text = format(stat["mean"], fmt)
    if stat["hi"] != stat["lo"]:
        text += f"\n[dim]{format(stat['lo'], fmt)} .. {format(stat['hi'], fmt)}[/]"
    return text


def summary_table(doc: dict) -> Table:
    strategies = doc["strategies"]
    t = Table(title=f"{doc['scenario']}: {doc['customers']:,} customers, {doc['days']} days, "
                    f"{doc['reps']} replications ({doc['currency']}; band {doc['band']})")
    t.add_column("metric", style="bold")
    for name in strategies:
        t.add_column(name, justify="right")
    for key, label, fmt in SHOWN:
        t.add_row(label, *[_cell(strategies[s][key], fmt) for s in strategies])
    return t
