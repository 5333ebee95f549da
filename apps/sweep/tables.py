"""Rich tables of a sweep's sensitivity indices and of a PRIM box."""

from rich.table import Table


def _fmt(v) -> str:
    return "-" if v is None else f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.0f}"


def sensitivity_tables(document: dict) -> list[Table]:
    tables = []
    for outcome, strategies in document["outcomes"].items():
        keys = next(iter(next(iter(strategies.values())).values())).keys()
        table = Table(title=f"{outcome}: {document['method']} indices")
        table.add_column("strategy")
        table.add_column("parameter")
        for k in keys:
            table.add_column(k, justify="right")
        for strategy, params in strategies.items():
            for parameter, values in params.items():
                table.add_row(strategy, parameter, *[_fmt(values[k]) for k in keys])
        tables.append(table)
    return tables


def prim_table(report: dict) -> Table:
    sign = "<=" if report["direction"] == "below" else ">="
    title = (f"{report['strategy']}: {report['outcome']} {sign} {report['threshold']:,g} at "
             f"{report['cases']} of {report['points']} points")
    table = Table(title=title)
    box = report["box"]
    if box is None:
        table.add_column("PRIM")
        table.add_row("no box: every point is, or no point is, a case")
        return table
    table.caption = (f"coverage {box['coverage']:.0%} of the cases, density "
                     f"{box['density']:.0%} in the box, mass {box['mass']:.0%} of the points")
    for column in ("parameter", "min", "max"):
        table.add_column(column)
    for parameter, lim in box["limits"].items():
        if "levels" in lim:
            table.add_row(parameter, ", ".join(map(str, lim["levels"])), "")
        else:
            table.add_row(parameter, _fmt(lim["min"]), _fmt(lim["max"]))
    return table
