"""Which customers a contact rule picks (models/contact_select.py): exactly those of the
documented rule (`contact_reference.picked`, the rule applied to every customer in plain
Python), whichever way the sweep finds them, and the rule tables a `Rule` builds."""

import contact_reference as CR
import kernel_reference as R
import numpy as np
from contact_population import (
    ALL_RULE, DAY, kernel_select, picked, population, random_rule)

from models import contact_select as cs
from models.channels import Rule


def test_the_rule_is_the_documented_rule():
    """The kernel's sweep picks exactly the customers of the documented rule, whichever
    way it finds them (by a few dates of the last purchase or the due day, by stage, or
    by the whole rule), edge values of the day tables included."""
    rng = np.random.default_rng(11)
    P = population(rng, 20_000)
    P["flags"] |= np.where(rng.random(20_000) < 0.4, R.CART, 0).astype(np.uint8)
    day = DAY
    # edge values of the two day tables
    P["last"][:6] = [day, day - 1022, day - 1023, day - 1024, R.NEVER, day - 5000]
    P["due"][:6] = [day, day + 1022, day + 1023, day + 1024, day - 1, R.FOREVER]
    P["last"][6:8] = [day + 3, day + 1]    # never in a simulation: the rule still decides
    sparse = [0, 1, 7, 14, 65, 1022]
    rules = {
        "random": random_rule(rng), "all": ALL_RULE,
        "many days": CR.rule_tables(since=range(0, 1023, 3), until=[0, 1, 1022, 1023]),
        "since": CR.rule_tables(stages=("new", "lapsed"), since=sparse),
        "since, one stage": CR.rule_tables(stages=("new",), since=sparse),
        "since and until": CR.rule_tables(since=sparse, until=[0, 3]),
        "until": CR.rule_tables(kinds=("recurrent",), until=[0, 1, 1022]),
        "since, 17 days": CR.rule_tables(since=range(17)),
        "since, 16 days": CR.rule_tables(since=range(16)),
        "stage": CR.rule_tables(stages=("new", "repeat", "loyal")),
        "stage and flags": CR.rule_tables(stages=("new", "repeat"), flags=R.CART),
        "flags": CR.rule_tables(flags=R.CART | R.ALIVE),
        "since and flags": CR.rule_tables(since=sparse, flags=R.CART),
        "nobody": CR.rule_tables(stages=()),
    }
    modes = set()
    for name, rule in rules.items():
        for lo, hi in ((0, 20_000), (5, 5), (3, 11), (100, 9_001)):
            got, mode = kernel_select(P, lo, hi, day, rule)
            assert np.array_equal(got, picked(P, lo, hi, day, rule)), (name, lo, hi)
        modes.add(mode)
    assert modes == {cs.BY_LAST, cs.BY_DUE, cs.BY_STAGE, cs.BY_RULE}


def test_a_rare_stage_or_flag_is_listed_before_the_dates_with_the_same_picks():
    """Where few customers pass the stage and flag masks (3% here, most of them on a
    date), the sweep lists them and checks their dates, rather than comparing every
    customer's dates first: the picks are the documented rule's all the same, in blocks
    where the share is rare and in blocks where it is not."""
    rng = np.random.default_rng(12)
    size = 20_000
    P = population(rng, size)
    P["last"] = (DAY - rng.choice([1, 2, 7, 9, 14, 30], size)).astype(np.int32)
    P["due"] = (DAY + rng.choice([0, 1, 5, 1022], size)).astype(np.int32)
    rare = rng.random(size) < np.where(np.arange(size) < 12_000, 0.03, 0.5)
    P["stage"] = np.where(rare, CR.RULE_STAGES.index("new"), CR.RULE_STAGES.index("loyal")).astype(np.int8)
    P["flags"] = np.where(rare, P["flags"] | R.CART, P["flags"] & (0xFF ^ R.CART)).astype(np.uint8)
    rules = {
        "since, one stage": CR.rule_tables(stages=("new",), since=[1, 7, 14]),
        "until, one stage": CR.rule_tables(stages=("new",), until=[0, 1]),
        "since, a flag": CR.rule_tables(since=[7, 30], flags=R.CART),
        "until, stages and a flag": CR.rule_tables(stages=("new", "loyal"), until=[0],
                                                   flags=R.CART),
    }
    for name, rule in rules.items():
        for lo, hi in ((0, size), (3, 11), (100, 13_001)):
            got, mode = kernel_select(P, lo, hi, DAY, rule)
            assert mode in (cs.BY_LAST, cs.BY_DUE)
            assert np.array_equal(got, picked(P, lo, hi, DAY, rule)), (name, lo, hi)
        assert got.sum() > 150, name


def test_rule_tables_match_reference():
    cases = [dict(stages=("new", "lapsed")),
             dict(stages=("loyal",), demand_types=("recurrent", "impulse"),
                  days_since_last=(0, 5, 1022, 1023, 4000), days_until_due=(3, -1)),
             dict(stages=("new",), flags=R.CART | R.ALIVE)]
    for kw in cases:
        got = Rule(**kw).tables()
        ref = CR.rule_tables(kw["stages"], kw.get("demand_types"), kw.get("days_since_last"),
                            kw.get("days_until_due"), kw.get("flags", 0))
        for g, r in zip(got, ref):
            assert np.array_equal(g, r)
