"""What a person takes away: the results as CSV and Parquet, the scenario as YAML (the
CLI loads it back), and a self-contained HTML report of the comparison."""

import io

import yaml

from scenarios.loader import set_path


def runs_csv(store) -> io.StringIO:
    """One row per run: strategy, replication, seed and every summary metric."""
    return io.StringIO(store.result().summaries().to_csv(index=False))


def daily_parquet(store) -> io.BytesIO:
    """The daily series of every run (the CLI's daily.parquet)."""
    buf = io.BytesIO()
    daily = store.result().daily()
    daily.attrs.update({"scenario_id": store.document()["scenario_id"]} if
                       store.document() else {})
    daily.to_parquet(buf, index=False)
    buf.seek(0)
    return buf


def scenario_yaml(request) -> io.StringIO:
    """The scenario as compared: the file with the edited parameters written in (and
    the custom strategy, if any); `snowball run` reads it back."""
    data = yaml.safe_load(request.text)
    for path, value in request.overrides:
        set_path(data, path, value)
    if request.days is not None:
        data["horizon_days"] = request.days
    return io.StringIO(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def html_report(document: dict, views: list) -> io.StringIO:
    """The comparison's figures and charts as one HTML file with everything inlined."""
    import panel as pn
    from bokeh.resources import INLINE

    title = (f"Snowball: {document['scenario']} ({document['customers']:,} customers, "
             f"{document['days']} days, {document['reps']} replications, seed "
             f"{document['seed']}, scenario id {document['scenario_id']})")
    page = pn.Column(f"# {title}", *[pn.Column(f"### {v.title}", v.render()) for v in views])
    buf = io.StringIO()
    page.save(buf, resources=INLINE, title="Snowball comparison")
    buf.seek(0)
    return buf
