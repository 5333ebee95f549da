"""Declared effects: the only way a mechanic changes behaviour, and how effects compose.

A mechanic declares what it changes (`Mechanic.effects()`): a lever, a value, the
stages it holds in and when. The funnel resolves the declarations: effects that always
hold are composed into its tables once, when it is built; effects that come and go (a
promo's days, the review stock's daily lift) are moved through `Funnel.move`, which
accepts only a lever the mechanic declared. A lever held per customer (a loyalty tier's
own multipliers, the traits of a referred friend) is moved the same way, customer by
customer, through `Funnel.move_each`; today's `boost` is the channel's (the contact
kernel multiplies in the declared `buy_today` of each response). Two mechanics acting
on one lever compose by the lever's rule, written here and nowhere else, in the order
of the mechanics' names (per customer: in the order they run, priority then name), so
the result never depends on the order a scenario lists them in:

- multiply: factors multiply (prices, purchase rates, hazards, a response's lift);
- add: amounts add (cross-sold items, the up-sold share of the check);
- either: probabilities combine as independent chances, 1 - (1 - a)(1 - b);
- single: one mechanic owns the lever; a second one declaring it is an error.
"""

from dataclasses import dataclass

import numpy as np

from models import layouts as lay
from models.stages import BUY, HAZARD, PRICE, STAGES, UPSELL, XSELL

MULTIPLY, ADD, EITHER, SINGLE = "multiply", "add", "either", "single"


@dataclass(frozen=True)
class Lever:
    """Where a lever lives: a column of the stage table (`stage_col`), a row of the
    funnel's parameters (`par_row`) or a customer array (`state`, kept `at_most`)."""

    rule: str
    meaning: str
    stage_col: int | None = None
    par_row: int | None = None
    neutral: float = 1.0
    bounds: bool = False     # moving it changes the funnel's cached bounds
    state: str | None = None
    at_most: float | None = None


LEVERS = {
    "buy": Lever(MULTIPLY, "purchase-rate multiplier", stage_col=BUY),
    "churn_hazard": Lever(MULTIPLY, "daily premature-churn hazard multiplier",
                          stage_col=HAZARD),
    "price": Lever(MULTIPLY, "share of the list price paid", stage_col=PRICE),
    "cross_sell_items": Lever(ADD, "mean cross-sold items per order", stage_col=XSELL,
                              neutral=0.0),
    "upsell_share": Lever(ADD, "share of the core check added by trading up",
                          stage_col=UPSELL, neutral=0.0),
    "cross_sell_item_price": Lever(SINGLE, "list price of a cross-sold item",
                                   par_row=lay.P_XSELL_PRICE, neutral=0.0),
    "cross_sell_margin": Lever(SINGLE, "gross margin of cross-sold items",
                               par_row=lay.P_XSELL_MARGIN, neutral=0.0),
    "upsell_margin": Lever(SINGLE, "gross margin of the traded-up value",
                           par_row=lay.P_UPSELL_MARGIN, neutral=0.0),
    "cart_intent": Lever(SINGLE, "carts started per purchase (impulse demand)",
                         par_row=lay.P_CART_INTENT),
    "offer_price": Lever(SINGLE, "share of the list price paid on a personal offer",
                         par_row=lay.P_OFFER_PRICE),
    "offer_response": Lever(SINGLE, "daily pull of a personal offer on a non-buyer",
                            par_row=lay.P_OFFER_RESPONSE, neutral=0.0),
    "promo_price": Lever(MULTIPLY, "share of the list price paid while a promo runs",
                         par_row=lay.P_PROMO_PRICE, bounds=True),
    "promo_response": Lever(EITHER, "daily pull of a promo on a non-buyer",
                            par_row=lay.P_PROMO_RESPONSE, neutral=0.0, bounds=True),
    "lead_buy": Lever(SINGLE, "leads' purchase-rate multiplier", par_row=lay.P_LEAD_BUY),
    "lead_buy_max": Lever(SINGLE, "ceiling of the leads' purchase-rate multiplier",
                          par_row=lay.P_LEAD_BUY_MAX),
    "inflow_lift": Lever(ADD, "extra share of the daily inflow that converts (unpaid)",
                         par_row=lay.P_INFLOW_LIFT, neutral=0.0),
    "buy_today": Lever(MULTIPLY, "today's purchase probability of a responder",
                       state="boost"),
    "rel_buy": Lever(MULTIPLY, "a customer's own purchase-rate multiplier", state="rel_buy"),
    "rel_churn": Lever(MULTIPLY, "a customer's own churn multiplier (hazard and dropout)",
                       state="rel_churn"),
    "arrival_rate": Lever(MULTIPLY, "purchase-rate trait of the customers it brings",
                          state="lam"),
    "arrival_dropout": Lever(MULTIPLY, "dropout trait of the customers it brings (at "
                             "most 1)", state="pdrop", at_most=1.0),
    "arrivals": Lever(ADD, "customers brought in beside acquisition", neutral=0.0),
}


@dataclass(frozen=True)
class Effect:
    """One declared effect: `lever` moved to (or by) `value` for customers in `stages`
    (empty: everyone); `when` says when it holds. An effect that `moves` is set while
    the run goes (through `Funnel.move`); the others are composed once, at build."""

    lever: str
    value: float
    stages: tuple[str, ...] = ()
    when: str = "always"
    moves: bool = False

    def __post_init__(self):
        if self.lever not in LEVERS:
            raise ValueError(f"unknown lever {self.lever!r}; levers: {', '.join(LEVERS)}")


def compose(rule: str, start: float, values) -> float:
    """`values` (in the order of the mechanics' names) applied to `start` by `rule`."""
    x = start
    for v in values:
        if rule == MULTIPLY:
            x *= v
        elif rule == ADD:
            x += v
        elif rule == EITHER:
            x = v if x == 0.0 else 1.0 - (1.0 - x) * (1.0 - v)
        else:
            x = v
    return x


def check_owners(declared: dict[str, list]) -> None:
    """ValueError if two mechanics declare a lever only one may hold."""
    owners: dict[str, set] = {}
    for mechanic, effects in declared.items():
        for e in effects:
            owners.setdefault(e.lever, set()).add(mechanic)
    for lever, names in owners.items():
        if LEVERS[lever].rule == SINGLE and len(names) > 1:
            raise ValueError(f"mechanics {', '.join(sorted(names))} all set {lever!r}, "
                             "which one mechanic alone may hold")


def apply_static(declared: dict[str, list], stage_tab: np.ndarray, par: np.ndarray) -> None:
    """Compose every effect that always holds into the stage table and the parameters
    (in place), mechanic by mechanic in the order of their names."""
    check_owners(declared)
    for mechanic in sorted(declared):
        for e in declared[mechanic]:
            lever = LEVERS[e.lever]
            if e.moves:
                continue
            if lever.stage_col is not None:
                for stage in e.stages or STAGES:
                    s = STAGES.index(stage)
                    stage_tab[s, lever.stage_col] = compose(
                        lever.rule, stage_tab[s, lever.stage_col], [e.value])
            elif lever.par_row is not None:
                par[lever.par_row] = compose(lever.rule, par[lever.par_row], [e.value])
