"""Regular campaign (models/mechanics/email_campaign.py) through a channel other than
e-mail: the costs land on that channel, unsubscribes shrink its reachable stock, and a
frequency cap cuts the contacts."""

import numpy as np
import pytest

from mechanics_common import rich, run_summary

SMS = {"optin_share": 0.6, "deliverability": 0.97, "open_rate": 0.9,
       "cost_per_contact": 3.0, "unsubscribe_rate": 0.01}
EMAIL = {"optin_share": 0.9, "cost_per_contact": 0.2}


def sms_campaign(every_days=7, **policy):
    return rich(channels={"email": EMAIL, "sms": SMS}, contact_policy=policy,
                mechanics={"email_campaign": {"enabled": True, "channel": "sms",
                                              "every_days": every_days, "start_day": 2}})


def test_a_campaign_on_sms_books_its_cost_on_sms():
    """Contacts go out on the campaign days only (start_day 2, every 7 days); each costs
    the SMS price, booked on crm_cost_sms and on the mechanic; e-mail costs nothing."""
    sim, r, s = run_summary(sms_campaign(), 1)
    contacts = r["new_contacts_email_campaign"]
    days = np.arange(2, sim.days, 7)
    assert np.all(contacts[days] > 0)
    assert np.all(np.delete(contacts, days) == 0)
    assert np.array_equal(r["new_crm_cost_sms"], contacts * 3.0)
    assert np.array_equal(r["new_crm_cost_email_campaign"], r["new_crm_cost_sms"])
    assert np.all(r["new_crm_cost_email"] == 0)
    assert s["crm_cost"] == pytest.approx(contacts.sum() * 3.0)
    # only SMS opt-ins are reached: a campaign day's contacts <= the reachable stock
    reach = r["n_reachable_sms"]
    assert np.all(contacts[days] <= reach[days - 1])


def test_unsubscribes_shrink_the_sms_reach():
    """Against the same run without unsubscribing (same seed, so the same arrivals and
    opt-in draws), the SMS reach is lower by exactly the running total of unsubscribes,
    day by day; it is a recount of the SMS opt-in bits at the end; the e-mail reach is
    untouched; and everybody ever opted in (reach plus unsubscribes) is ~ Binomial(n,
    0.6), within 4 SE."""
    sim, r, _ = run_summary(sms_campaign(every_days=3), 2)
    sms = {**SMS, "unsubscribe_rate": 0.0}
    _, free, _ = run_summary(rich(channels={"email": EMAIL, "sms": sms},
                                  mechanics={"email_campaign": {
                                      "enabled": True, "channel": "sms", "every_days": 3,
                                      "start_day": 2}}), 2)
    unsub, reach = r["new_unsubscribes"], r["n_reachable_sms"]
    assert unsub.sum() > 200 and free["cum_unsubscribes"][-1] == 0
    assert np.array_equal(free["n_reachable_sms"] - reach, np.cumsum(unsub))
    c, n = sim.customers, sim.customers.n
    assert reach[-1] == np.count_nonzero(c.optin[:n] & 2)
    assert np.array_equal(r["n_reachable_email"], free["n_reachable_email"])
    assert reach[-1] + unsub.sum() == pytest.approx(0.6 * n, abs=4 * np.sqrt(0.24 * n))


@pytest.mark.parametrize("cap", [1.0, 0.5])
def test_a_frequency_cap_cuts_the_contacts(cap):
    """A campaign every 2 days under a cap of `cap` contacts a week: fewer contacts than
    uncapped, and no customer above the bucket (max(1, 7 cap)) plus the refill (cap/7 a
    day) over the run."""
    _, free, _ = run_summary(sms_campaign(every_days=2), 3)
    sim, capped, _ = run_summary(sms_campaign(every_days=2, max_contacts_per_week=cap), 3)
    sent, sent0 = capped["cum_contacts"][-1], free["cum_contacts"][-1]
    assert sent < 0.6 * sent0
    days = sim.days
    n = sim.customers.n
    assert sent <= n * (max(1.0, 7 * cap) + days * cap / 7)
    assert sent > 0.5 * capped["n_reachable_sms"].mean() * days * cap / 7
