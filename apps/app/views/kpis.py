"""KPI cards: per strategy, the headline numbers and their difference to the baseline."""

import html

import panel as pn

from apps.app import frames
from apps.app.views.base import ResultView


def _fmt(value, label: str = "") -> str:
    if value is None or value != value:
        return "n/a"
    if label == "Payback month":
        return f"{value:.0f}"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M"
    if abs(value) >= 1e3:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


CARD = "border:1px solid #ddd;border-radius:6px;padding:6px 10px;min-width:260px"


class KpiCards(ResultView):
    title = "Key figures (mean over replications; difference to the baseline)"
    needs_document = True

    def frame(self):
        return frames.kpi_cards(self.store.document())

    def figure(self, frame):
        # the replications the means are over: what a page (or a test) can wait on
        reps = len({run.rep for run in self.store.complete_result().runs})
        cards = []
        for strategy, rows in frame.groupby("strategy", sort=False):
            lines = []
            for row in rows.itertuples():
                delta = "" if row.vs_baseline is None or row.vs_baseline != row.vs_baseline \
                    else f" <span class='delta'>({row.vs_baseline:+,.0f})</span>"
                lines.append(f"<tr><td>{html.escape(row.label)}</td>"
                             f"<td class='kpi-value'>{_fmt(row.value, row.label)}{delta}"
                             "</td></tr>")
            cards.append(f"<div class='kpi-card' data-strategy='{html.escape(strategy)}' "
                         f"data-replications='{reps}' style='{CARD}'>"
                         f"<h4>{html.escape(strategy)}</h4>"
                         f"<table>{''.join(lines)}</table></div>")
        return pn.pane.HTML(f"<div style='display:flex;flex-wrap:wrap;gap:12px'>"
                            f"{''.join(cards)}</div>", sizing_mode="stretch_width")
