"""The claims about when CRM pays that a user will test, checked on the built-in presets:

(a) in a high share-of-wallet category (baby food) CRM can pay: some CRM strategy beats
    today's practice on contribution over 3 years;
(b) a cheap, rarely bought product (shoe polish) cannot fund CRM: every CRM strategy has
    a negative ROMI;
(c) protection against premature churn pays where there is premature churn, and cannot
    touch churn that is natural (the need ended);
(d) a blanket sale earns less than personal offers of the same depth and pull: the
    sale discounts everyone who buys, many of whom would have bought anyway (the margin
    claim at equal depth, pull and days, and precision at equal reach, are checked in
    tests/mechanics/test_differentiated_offer.py).

The presets run through the same job as the CLI (`apps.job.Job`) at a small size, with
replication r of every strategy paired with replication r of the baseline (common random
numbers); a claim must hold in every replication, not only on average. A "CRM strategy"
is one whose overrides switch on or tune a mechanic or a channel (it costs money or
gives away price), as opposed to the free what-if levers.
"""

import numpy as np

from apps.job import Job
from helpers import scenario
from mechanics_common import SEEDS, run_summary
from models.comparison import paired


def crm_strategies(job_file) -> list[str]:
    return [name for name, s in job_file.scenario.strategies.items()
            if any(k.startswith(("mechanics.", "channels.")) for k in s.overrides)]


def run_preset(name, customers, reps=2, seed=1, strategies=None):
    """{strategy: [compare(...) per replication]} of the preset's CRM strategies."""
    probe = Job.prepare(name, customers, None, reps, seed, None)
    names = strategies or crm_strategies(probe.file)
    job = Job.prepare(name, customers, None, reps, seed, ",".join(names))
    out: dict[str, list[dict]] = {}
    for strategy, _, metrics in paired(job.run(), job.invested):
        out.setdefault(strategy, []).append(metrics)
    return out


def test_a_crm_strategy_pays_in_baby_food():
    """baby_food at 3 000 customers, 3 years, 2 replications, every CRM strategy: at least
    one (replenishment reminders on the due day, say) adds contribution over the
    baseline in every replication, at a positive ROMI; a 5% discount on every member
    order does not."""
    pairs = run_preset("baby_food", 3000)
    assert {"replenishment", "loyalty_programme"} <= set(pairs)
    paying = [s for s, runs in pairs.items()
              if all(r["incremental_contribution"] > 0 and r["romi"] is not None
                     and r["romi"] > 0 for r in runs)]
    assert paying, {s: [r["incremental_contribution"] for r in runs]
                    for s, runs in pairs.items()}
    assert "loyalty_programme" not in paying       # a 5% discount on every order does not


def test_every_crm_strategy_loses_money_in_shoe_polish():
    """shoe_polish at 5 000 consumers, 3 years, 2 replications: every CRM strategy (e-mail,
    SMS, cashback, welcome and win-back, experience, all together) has a negative ROMI and
    a negative incremental contribution in every replication."""
    job = Job.prepare("shoe_polish", 5000, None, 1, 1, None)
    names = crm_strategies(job.file)
    assert {"email_programme", "sms_programme", "loyalty_programme"} <= set(names)
    pairs = run_preset("shoe_polish", 5000)
    assert set(pairs) == set(names)
    for strategy, runs in pairs.items():
        for r in runs:
            assert r["romi"] is not None and r["romi"] < 0, (strategy, r)
            assert r["incremental_contribution"] < 0, (strategy, r)


def churn_scenario(premature: bool, multiplier: float):
    """Buyers whose need ends after 100-600 days; with `premature`, stage hazards and a
    dropout after repeat purchases on top."""
    stages = {"new": {"churn_hazard": 0.005}, "repeat": {"churn_hazard": 0.002},
              "loyal": {"churn_hazard": 0.001}} if premature else {}
    return scenario(horizon_days=365,
                    base={"customers": 3000, "history": {"new": 0.4, "repeat": 0.3,
                                                         "loyal": 0.3}, "history_days": 200},
                    acquisition={"inflow_per_day": 8, "arrive_as": "new"},
                    behaviour={"purchase_rate": {"gamma": {"shape": 2.0, "rate": 60.0}},
                               "spend": 100.0,
                               "dropout": {"beta": {"a": 1.0, "b": 20.0}} if premature else 0.0,
                               "need_lifetime_days": {"uniform": [100, 600]},
                               "stages": stages},
                    levers={"premature_churn_multiplier": multiplier})


def test_churn_protection_pays_only_against_premature_churn():
    """levers.premature_churn_multiplier 0.5: with premature churn, fewer premature
    dropouts and more revenue in every seed; with natural churn only, every daily series
    is bit-identical to the unprotected run (a need that ended stays ended)."""
    for seed in SEEDS:
        _, _, as_is = run_summary(churn_scenario(True, 1.0), seed)
        _, _, protected = run_summary(churn_scenario(True, 0.5), seed)
        assert protected["churned_premature"] < as_is["churned_premature"], seed
        assert protected["revenue"] > as_is["revenue"], seed
    _, natural, s0 = run_summary(churn_scenario(False, 1.0), 1)
    _, shielded, s1 = run_summary(churn_scenario(False, 0.5), 1)
    assert s0["churned_natural"] > 1000 and s0["churned_premature"] == 0
    for name in natural.names:
        assert np.array_equal(natural[name], shielded[name]), name
    assert s0 == s1


def test_a_blanket_sale_loses_margin_against_personal_offers_in_fashion():
    """ecommerce_fashion at 5 000 customers, 3 years, 2 replications: the 20%-off sales
    lose contribution against today's practice; the personal 20%-off codes of the same
    pull earn more than the sales (the sales reach everyone, so they also sell more:
    compared on contribution), and give far less of their discount to buyers who would
    have ordered anyway."""
    job = Job.prepare("ecommerce_fashion", 5000, None, 2, 1,
                      "seasonal_sales,personal_offers")
    result = job.run()
    by = {(run.strategy, run.seed): run.summary for run in result.runs}
    for seed in {run.seed for run in result.runs}:
        sale, offer = by[("seasonal_sales", seed)], by[("personal_offers", seed)]
        base = by[("baseline", seed)]
        assert sale["contribution"] < base["contribution"]
        assert offer["contribution"] > sale["contribution"]
        assert offer["offer_buyers_anyway_share"] < sale["offer_buyers_anyway_share"]
        assert offer["offer_discounts_anyway"] < 0.2 * sale["offer_discounts_anyway"]
