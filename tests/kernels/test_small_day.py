"""A population of one chunk runs its funnel day in one call (models/small_day.py):
its results are exactly those of the day kernel, the responders' release and the day's
close called one after the other, as a larger population's day calls them."""

import numpy as np

from models import funnel as fm
from models import funnel_kernel as fk
from models import funnel_totals as ft
from models import responder_visits as rv
from scenarios.build import make_sim
from scenarios.loader import ScenarioFile


def _run(monkeypatch, separate: bool):
    """bench_funnel (a weekly campaign: days whose responders are released), 3,000
    customers (one chunk), 60 days; (results, customers, responders listed on each day a
    send listed them: with `separate` only)."""
    released = []
    f = ScenarioFile("bench_funnel")
    f.adjust(customers=3_000, days=60)
    sim = make_sim(f.resolve("baseline"), 5)

    def whole_day(day, n_live, dks, P, close, lists, listed):
        fk.one_chunk_day(day, n_live, dks, P)
        if listed:
            released.append(int(lists[0, 0]))
            rv.release(1, lists, sim.customers.flags, sim.customers.boost)
        ft.close_day(day, n_live, 1, close)

    if separate:
        monkeypatch.setattr(fm.sd, "whole_day", whole_day)
    r = sim.run()
    monkeypatch.undo()
    return r, sim.customers, released


def test_one_call_a_day_is_the_three_calls(monkeypatch):
    r_one, c_one, _ = _run(monkeypatch, separate=False)
    r_sep, c_sep, released = _run(monkeypatch, separate=True)
    assert c_one.n < fk.CHUNK and sum(released) > 50     # responders were released
    for name in r_sep.names:
        assert np.array_equal(r_one[name], r_sep[name]), name
    for name, m in r_sep.matrices.items():
        assert np.array_equal(r_one.matrices[name], m), name
    n = c_one.n
    for name in c_sep._specs:
        assert np.array_equal(getattr(c_one, name)[:n], getattr(c_sep, name)[:n]), name
