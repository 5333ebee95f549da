"""The business calendar fires each event on its own day, and nothing on idle days."""

from sim.calendar import Calendar


def test_events_fire_on_their_days_in_order():
    """Same-day events fire in the order they were scheduled (simpy's tie rule): the
    one-off at day 9 was queued at the start, the weekly one's day 9 on day 2."""
    cal, fired = Calendar(), []
    cal.every(7, lambda d: fired.append(("weekly", d)), start=2, until=20)
    cal.at(9, lambda d: fired.append(("once", d)))
    for day in range(25):
        cal.advance_to(day)
    assert fired == [("weekly", 2), ("once", 9), ("weekly", 9), ("weekly", 16)]


def test_an_idle_day_leaves_only_future_events_queued():
    """After a day's events the next queued event is the next one due, so the days in
    between cost one look at the queue (a spent stop event would sit at the old day)."""
    cal = Calendar()
    cal.every(7, lambda d: None)
    cal.advance_to(0)
    assert cal.env.peek() == 7
    for day in range(1, 7):
        cal.advance_to(day)
        assert cal.env.peek() == 7
