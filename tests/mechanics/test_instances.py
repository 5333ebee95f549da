"""Several instances of a mechanic, and no limit on how many messaging mechanics run.

A ninth and a tenth messaging mechanic (further campaigns under names of their own)
run beside all seven kinds, each with its own control group, series and costs; an
instance behaves exactly as the mechanic it is an instance of, with streams of its own.
"""

import numpy as np

from helpers import scenario
from mechanics_common import RICH
from models.mechanics import build
from models.metrics import summarize
from scenarios.build import make_sim

HOLD = {"enabled": True, "holdout_share": 0.2}
TEN = {
    "abandoned_cart": HOLD, "differentiated_offer": HOLD, "email_campaign": HOLD,
    "replenishment": HOLD, "reviews": HOLD, "welcome_series": HOLD, "win_back": HOLD,
    "sms_win_back": {**HOLD, "type": "win_back", "channel": "sms", "priority": 45,
                     "days_since_last_purchase": [75, 95]},
    "monthly_digest": {**HOLD, "type": "email_campaign", "every_days": 30, "start_day": 3},
    "flash_sale": {**HOLD, "type": "email_campaign", "every_days": 45, "start_day": 10,
                   "channel": "sms", "stages": ["repeat", "loyal"]},
}
CHANNELS = {"email": RICH["channels"]["email"], "sms": {"optin_share": 0.6}}


def test_ten_messaging_mechanics_run_each_with_its_own_series_and_control_group():
    sc = scenario(**{**RICH, "channels": CHANNELS, "mechanics": TEN})
    messaging = [m for m in build(sc.mechanics) if hasattr(m, "rule")]
    assert len(messaging) == 10
    sim = make_sim(sc, 3)
    r = sim.run()
    total = 0.0
    for m in messaging:
        contacts = r["new_contacts_" + m.name].sum()
        assert contacts > 0, m.name
        total += contacts
        picked = getattr(sim.customers, sim.module("channels").marks[m.name])
        assert picked[: sim.customers.n].any(), m.name
    assert total == r["new_contacts"].sum()
    summary = summarize(sim, sc.economics.discount_rate_per_year)
    for name in ("sms_win_back", "monthly_digest", "flash_sale"):
        assert "uplift_" + name in summary, name


def test_an_instance_is_the_mechanic_it_is_of_under_its_own_name():
    campaign = {"enabled": True, "every_days": 5}
    one = scenario(horizon_days=20, mechanics={"email_campaign": campaign})
    other = scenario(horizon_days=20, mechanics={
        "newsletter": {**campaign, "type": "email_campaign"}})
    a, b = make_sim(one, 1).run(), make_sim(other, 1).run()
    # everyone is reachable and nothing fails to arrive: the same customers are
    # contacted on the same days, whatever the streams
    assert np.array_equal(a["new_contacts_email_campaign"], b["new_contacts_newsletter"])
    assert a["new_contacts_email_campaign"][0] > 0
    assert "new_contacts_email_campaign" not in b.names
