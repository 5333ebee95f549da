"""Funnel stages, demand types and the per-customer flag bits shared by the kernels.

Stages are what a CRM sees, derived from behaviour (purchase count and recency);
whether a customer is still latently alive is a flag beside it, so both views can be
reported.
"""

import numpy as np

POTENTIAL, NEW, REPEAT, LOYAL, LAPSED, CHURNED, WON_BACK = range(7)
STAGES = ("potential", "new", "repeat", "loyal", "lapsed", "churned", "won_back")
ACTIVE_STAGES = (NEW, REPEAT, LOYAL, WON_BACK)
ACTIVE_STAGE_NAMES = tuple(STAGES[s] for s in ACTIVE_STAGES)

# Columns of the stage table (one row per stage): buy and churn multipliers, check
# multiplier, price paid as a share of list, mean cross-sold items per order, up-sold
# value as a share of the check.
BUY, HAZARD, SPEND, PRICE, XSELL, UPSELL, N_STAGE_COLS = range(7)

# Demand types: how a need turns into purchases.
POISSON, RECURRENT, COMPLEMENTARY, SITUATIONAL, IMPULSE, CONTRACTUAL = range(6)
DEMAND_TYPES = ("poisson", "recurrent", "complementary", "situational", "impulse", "contractual")

# Flag bits.
ALIVE = 1
DIED_NATURAL = 2
EXPOSED = 4
FIRST_IN_RUN = 8     # made the first purchase during the simulated horizon
CART = 16            # left a cart without buying (set by the funnel, read by triggers)
PICKED = 32          # chosen by a mechanic's own targeting for today's send (transient)
OVERDUE = 64         # a renewing customer let a due day pass unbought since the last purchase

NEVER = -(2**30)      # "last purchase" of someone who never bought
FOREVER = 2**31 - 1   # a timer that never fires


def stage_table(stages: dict) -> np.ndarray:
    """(stage, column) table of a scenario's `behaviour.stages` (stage name -> params
    with buy, churn_hazard, spend, price); stages not given buy and pay as listed."""
    tab = np.zeros((len(STAGES), N_STAGE_COLS), dtype=np.float64)
    for s, name in enumerate(STAGES):
        params = stages.get(name)
        if params is None:
            tab[s, (BUY, SPEND, PRICE)] = 1.0
        else:
            tab[s, (BUY, HAZARD, SPEND, PRICE)] = (params.buy, params.churn_hazard,
                                                   params.spend, params.price)
    return tab
