"""Loyalty points: members earn points on what they pay, climb tiers, redeem or lose them.

Enrolment: a stable random `enrolment_share` of buyers joins, at the first posting after
the first purchase (the day-0 base's buyers on day 0); history before day 0 earns
nothing. Members earn `earn_rate` points per currency of revenue paid (times their
tier's earn multiplier; points are not rounded to whole points). Everything happens on
posting days (every `posting_every_days`, day 0 included): earning, tier moves, expiry
and redemption, so a purchase counts at the next posting.

Tiers are lifetime status by cumulative programme spend (no requalification, no
downgrade). A tier's frequency lift and churn multiplier are declared effects on the
customer's own `rel_buy` and `rel_churn` (the churn multiplier moves both the
premature-churn hazard and the BG/NBD dropout): the posting lists the members whose
tier changes them and the funnel moves their multipliers (`Funnel.move_each`); members
below the first tier have no behavioural effect. These effects are the user's
assumptions: the points themselves move no one.

Redemption: an alive member holding at least `redeem_threshold` points redeems all
whole blocks with probability `redemption_rate` per posting. Expiry: a balance expires
at the first posting more than `expiry_days` after the last purchase. Breakage is
what is never redeemed: expired points, and balances held by customers who are
latently gone (`points_held_by_lost`; they expire too once idle long enough).

Accounting: the reward is a CRM cost, not a price cut (revenue stays what was paid). The
liability is booked when points are earned, net of the breakage the business expects:
points x point_value x (1 - expected_breakage); redemptions draw it down at no further
cost. If the realised breakage (points_expired / points_earned, once balances settle)
differs from `expected_breakage`, the booked cost is off by the difference x value:
calibrate one with the other. `cost_per_year` is the fixed cost of running the programme.
"""

from itertools import pairwise

import numba
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.bounds import MAX_BUDGET, MAX_MONEY, MAX_MULTIPLIER
from models import loyalty_kernel as lk
from models.effects import Effect
from models.mechanics import Mechanic, MechanicParams, register
from sim.streams import day_keys, decision

STATES = {"loyalty_tier": (np.int8, lk.NOT_ASKED), "loyalty_spend": (np.float32, 0.0),
          "loyalty_balance": (np.float64, 0.0)}
FLOWS = {"loyalty_enrolments": lk.O_ENROLLED, "points_earned": lk.O_EARNED,
         "points_redeemed": lk.O_REDEEMED, "points_expired": lk.O_EXPIRED}


class LoyaltyTier(BaseModel):
    """A status level, reached by cumulative programme spend and kept for good."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="tier name (lower case; "
                      "reported as the stock loyalty_members_<name>)")
    min_spend: float = Field(ge=0, le=MAX_BUDGET,
                             description="cumulative programme spend that qualifies "
                             "(currency paid since enrolment)")
    earn_multiplier: float = Field(1.0, ge=0, le=MAX_MULTIPLIER,
                                   description="multiplier of earn_rate in "
                                   "this tier")
    frequency_lift: float = Field(0.0, ge=0, le=MAX_MULTIPLIER,
                                  description="relative lift of the purchase "
                                  "rate in this tier (0.1 = +10%)")
    churn_multiplier: float = Field(1.0, gt=0, le=MAX_MULTIPLIER,
                                    description="multiplier of the "
                                    "premature-churn hazard and dropout in this tier")


def _default_tiers():
    return [LoyaltyTier(name="silver", min_spend=500.0, earn_multiplier=1.25,
                        frequency_lift=0.05, churn_multiplier=0.9),
            LoyaltyTier(name="gold", min_spend=2000.0, earn_multiplier=1.5,
                        frequency_lift=0.1, churn_multiplier=0.8)]


class LoyaltyPointsParams(MechanicParams):
    enrolment_share: float = Field(0.6, ge=0, le=1, description="share of buyers who join "
                                   "(0-1; a stable draw per customer)")
    earn_rate: float = Field(1.0, ge=0, le=MAX_MULTIPLIER,
                             description="points per currency of revenue paid "
                             "(points per currency)")
    point_value: float = Field(0.01, ge=0, le=MAX_MONEY,
                               description="what a redeemed point is worth "
                               "(currency per point)")
    redeem_threshold: float = Field(500.0, gt=0, description="points per redemption "
                                    "block (points)")
    redemption_rate: float = Field(0.5, ge=0, le=1, description="chance per posting that "
                                   "an alive member holding a block redeems (0-1)")
    expiry_days: int = Field(365, ge=1, description="days without a purchase after which "
                             "the balance expires (days; above the horizon: never)")
    expected_breakage: float = Field(0.2, ge=0, lt=1, description="share of earned points "
                                     "the business expects never to be redeemed (0-1)")
    posting_every_days: int = Field(7, ge=1, description="days between postings of "
                                    "points, tiers, expiry and redemption (days)")
    cost_per_year: float = Field(0.0, ge=0, le=MAX_BUDGET,
                                 description="fixed cost of running the "
                                 "programme (currency per year, per base.customers; "
                                 "scaled with --customers)",
                                 json_schema_extra={"scales_with_customers": True})
    tiers: list[LoyaltyTier] = Field(default_factory=_default_tiers, max_length=16,
                                     description="tiers by ascending min_spend; members "
                                     "below the first are in no tier")

    @model_validator(mode="after")
    def _ascending(self):
        spends = [t.min_spend for t in self.tiers]
        for a, b in pairwise(spends):
            if b <= a:
                raise ValueError(f"tiers must be ascending by min_spend (got {a:g} then {b:g})")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique (got {names})")
        return self


@register
class LoyaltyPoints(Mechanic):
    """Bonus-points programme: earning on spend, tiers, redemption, expiry, liability."""

    name = "loyalty_points"
    Params = LoyaltyPointsParams

    def effects(self) -> list[Effect]:
        out = []
        for t in self.params.tiers:
            when = f"members in tier {t.name} (spend from {t.min_spend:g})"
            out += [Effect("rel_buy", 1.0 + t.frequency_lift, when=when, moves=True),
                    Effect("rel_churn", t.churn_multiplier, when=when, moves=True)]
        return out

    def init(self, sim) -> None:
        super().init(sim)
        for name, (dtype, fill) in STATES.items():
            sim.customers.declare(name, dtype, fill)
        p = self.params
        self.funnel = sim.module("funnel")
        self._decisions = np.array([decision("loyalty_points.enrol"),
                                    decision("loyalty_points.redeem")], dtype=np.uint64)
        self._par = np.zeros(lk.N_PAR)
        self._par[[lk.P_SHARE, lk.P_EARN, lk.P_BLOCK, lk.P_REDEEM, lk.P_EXPIRY]] = (
            p.enrolment_share, p.earn_rate, p.redeem_threshold, p.redemption_rate,
            p.expiry_days)
        declared = self.effects()
        buy = [e.value for e in declared if e.lever == "rel_buy"]
        churn = [e.value for e in declared if e.lever == "rel_churn"]
        self._levels = np.array([[0.0, 1.0, 1.0, 1.0]] + [
            [t.min_spend, t.earn_multiplier, b, h] for t, b, h in zip(p.tiers, buy, churn)])
        self._moved = np.zeros(0, dtype=np.int64)     # customers whose tier moves a factor
        self._was = np.zeros(0, dtype=np.int8)        # and their level before
        self._out = np.zeros(lk.N_OUT)
        self._members = np.zeros(len(self._levels), dtype=np.int64)
        r = sim.results
        self._flows = {name: r.flow(name) for name in FLOWS}
        self._stocks = {name: r.stock(name) for name in
                        ("loyalty_members", "points_outstanding", "points_liability",
                         "points_held_by_lost")}
        self._tier_stocks = [r.stock("loyalty_members_" + t.name) for t in p.tiers]

    def step(self, sim, day: int) -> None:
        p = self.params
        cost = p.cost_per_year / 365.0
        if day % p.posting_every_days == 0:
            self._post(sim, day)
            cost += self._out[lk.O_EARNED] * p.point_value * (1.0 - p.expected_breakage)
        self.book_cost(day, cost)
        out, stocks = self._out, self._stocks
        stocks["loyalty_members"][day] = self._members.sum()
        stocks["points_outstanding"][day] = out[lk.O_OUTSTANDING]
        stocks["points_liability"][day] = (out[lk.O_OUTSTANDING] * p.point_value
                                           * (1.0 - p.expected_breakage))
        stocks["points_held_by_lost"][day] = out[lk.O_HELD_LOST]
        for k, series in enumerate(self._tier_stocks):
            series[day] = self._members[k + 1]

    def _post(self, sim, day: int) -> None:
        c = sim.customers
        keys = day_keys(sim.seed_key, self._decisions, day)
        keys[lk.K_ENROL] = day_keys(sim.seed_key, self._decisions[:1], 0)[0]   # stable
        if self._moved.size < c.n:
            self._moved = np.zeros(c.capacity, dtype=np.int64)
            self._was = np.zeros(c.capacity, dtype=np.int8)
        m = lk.post(day, c.n, keys, self._par, self._levels, c.view(lk.STATE_ORDER),
                    self._out, self._members, self._moved, self._was,
                    numba.get_num_threads() > 1)
        if m:
            idx = self._moved[:m]
            old, new = self._levels[self._was[:m]], self._levels[c.loyalty_tier[idx]]
            self.funnel.move_each(sim, self.name, idx, {
                "rel_buy": (old[:, lk.L_BUY], new[:, lk.L_BUY]),
                "rel_churn": (old[:, lk.L_CHURN], new[:, lk.L_CHURN])})
        for name, row in FLOWS.items():
            self._flows[name][day] = self._out[row]
