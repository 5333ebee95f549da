"""`snowball economics SCENARIO`: the instant economic model, as a table or JSON."""

import json
from typing import Optional

import typer


def economics(
    scenario: str = typer.Argument("baby_food", help="preset name or YAML file"),
    strategy: str = typer.Option("baseline", help="the strategy to model"),
    years: int = typer.Option(3, help="years to project (365 days each)"),
    customers: Optional[int] = typer.Option(None, help="customers on day 0 (inflows "
                                            "scale, as in `snowball run`)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON document"),
) -> None:
    """Project SCENARIO instantly (no simulation): yearly revenue, gross margin and
    active customers, and what one step of each lever does."""
    from rich.console import Console

    from apps.cli import fail, user_errors
    from apps.economics import economics_document
    from apps.tables import economics_tables
    from scenarios.loader import ScenarioFile

    if customers is not None and customers < 1:
        fail(f"--customers must be at least 1 (got {customers})")
    if not 1 <= years <= 100:
        fail(f"--years must be within 1..100 (got {years})")
    with user_errors():
        f = ScenarioFile(scenario)
        f.adjust(customers=customers)
        doc = economics_document(f, strategy, years)
    if as_json:
        print(json.dumps(doc, indent=2))
        return
    console = Console()
    for table in economics_tables(doc):
        console.print(table)
