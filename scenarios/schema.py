"""The scenario schema: every number a user can set, with its unit and its limits.

A scenario describes one business (its customers, demand, funnel and economics) and
the strategies to compare on it. Field descriptions carry units; `snowball schema`
exports them as JSON Schema. Unknown keys are errors, so a typo never passes silently.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from models.bounds import MAX_MONEY, MAX_MULTIPLIER, MAX_PER_YEAR
from models.channels import CHANNELS, FATIGUE_DECAY_PER_DAY, ChannelSpec
from models.mechanics import configured, mechanics_schema
from models.stages import NEW, POTENTIAL, STAGES
from scenarios.traits import Days, Probability, Rate, Spend


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _shares_sum_to_one(shares: dict, what: str) -> None:
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} shares must add up to 1 (got {total:g})")


HISTORY_STAGES = tuple(s for s in STAGES if s != "won_back")   # a base has no won-back yet


class Base(Strict):
    """The customers that exist on day 0, and what their history looks like."""

    customers: PositiveInt = Field(description="customers on day 0 (scaled by --customers)")
    history: dict[Literal[HISTORY_STAGES], float] = Field(
        default_factory=lambda: {"potential": 1.0},
        description="share of the base by CRM stage (adds up to 1)")
    fresh_cohort: bool = Field(False, description="the whole base makes its first purchase "
                               "on day 0 (a trial cohort, as in buy-till-you-die studies)")
    history_days: PositiveInt = Field(730, description="how far back the base's history "
                                      "reaches (days)")
    lapsed_alive_share: float = Field(0.5, ge=0, le=1, description="share of lapsed base "
                                      "customers who are in fact still alive (0-1)")
    churned_alive_share: float = Field(0.2, ge=0, le=1, description="share of churned base "
                                       "customers who are in fact still alive (0-1)")
    profiles: list[tuple[Annotated[int, Field(ge=1, le=1_000_000)],
                         Annotated[int, Field(ge=0, le=36_500)],
                         Annotated[int, Field(ge=0, le=36_500)],
                         Annotated[int, Field(ge=1, le=1_000_000_000)]]] | None = Field(
        None, description="observed histories instead of `history`: rows [purchases, days "
        "since the last purchase, days since the first purchase, customers] as of the "
        "day before day 0 (same-day orders are one purchase); the rows' customers are "
        "shares of base.customers; each customer is alive with its posterior probability "
        "given the history and draws its purchase rate and dropout from the posterior "
        "(`snowball calibrate` writes them)")

    @model_validator(mode="after")
    def _check(self):
        if self.profiles is not None:
            self._check_profiles()
        for stage, share in self.history.items():
            if not 0 <= share <= 1:
                raise ValueError(f"history share of {stage} must be within 0-1 (got {share})")
        _shares_sum_to_one(self.history, "history")
        if self.fresh_cohort and set(self.history) - {"new"} and any(
                v > 0 for k, v in self.history.items() if k != "new"):
            raise ValueError("a fresh cohort is all 'new': set history to {new: 1.0}")
        return self

    def _check_profiles(self) -> None:
        if self.history != {"potential": 1.0} or self.fresh_cohort:
            raise ValueError("give base.history (or fresh_cohort) or base.profiles, not both")
        if not self.profiles:
            raise ValueError("base.profiles needs at least one row")
        for i, (n, idle, tenure, customers) in enumerate(self.profiles):
            one = n == 1 and idle == tenure
            repeat = n >= 2 and 0 <= idle < tenure
            if not (one or repeat) or customers < 1:
                raise ValueError(
                    f"row {i}: [{n}, {idle}, {tenure}, {customers}] is not a "
                    "history: purchases >= 1; one purchase: days since the last = days "
                    "since the first; more: 0 <= days since the last < days since the "
                    "first; customers >= 1")


class Provenance(Strict):
    """Where a calibrated scenario's numbers come from (written by `snowball calibrate`)."""

    log: str = Field(description="file name of the transaction log")
    log_sha256: str = Field(description="SHA-256 of the log file's bytes")
    first_date: str = Field(description="first transaction date in the log (ISO)")
    calibration_end: str = Field(description="last day of the calibration period (ISO)")
    holdout_end: str | None = Field(None, description="last day of the holdout (ISO)")
    time_unit_days: float = Field(gt=0, description="days per time unit of the fit")
    model: str = Field(description="purchase/dropout model the scenario simulates")
    parameters: dict[str, float] = Field(description="fitted parameters; rates in the "
                                         "fit's time unit")
    standard_errors: dict[str, float | None] = Field(description="their standard errors "
                                                     "(None where the Hessian is singular)")
    log_likelihood: dict[str, float] = Field(description="maximised log-likelihood by model")
    treatments: list[str] = Field(default_factory=list, description="how the log was "
                                  "cleaned (duplicates, same-day orders, returns)")


class Acquisition(Strict):
    """The daily inflow of new customers after day 0."""

    inflow_per_day: float = Field(0.0, ge=0, description="arrivals per day (per "
                                  "base.customers; scaled by --customers)",
                                  json_schema_extra={"scales_with_customers": True})
    paid_share: float = Field(1.0, ge=0, le=1, description="share of arrivals that were "
                              "paid for (0-1); the rest are organic")
    cac: float = Field(0.0, ge=0, le=MAX_MONEY,
                       description="acquisition cost per paid arrival (currency)")
    arrive_as: Literal[STAGES[POTENTIAL], STAGES[NEW]] = Field(
        "potential", description="leads (potential) or first-time buyers (new)")


class StageParams(Strict):
    buy: float = Field(1.0, ge=0, le=MAX_MULTIPLIER,
                       description="purchase-rate multiplier in this stage")
    churn_hazard: float = Field(0.0, ge=0, le=1, description="daily probability of "
                                "premature dropout in this stage (per day, 0-1)")
    spend: float = Field(1.0, gt=0, le=MAX_MULTIPLIER,
                         description="multiplier of the order value")
    price: float = Field(1.0, gt=0, le=1, description="share of the list price paid "
                         "(1 - discount)")


class Poisson(Strict):
    share: float = Field(1.0, ge=0, le=1, description="share of customers (0-1)")


class Recurrent(Strict):
    share: float = Field(1.0, ge=0, le=1, description="share of customers (0-1)")
    regularity: float = Field(4.0, gt=0, description="Gamma shape of the interval "
                              "between needs (higher: more regular)")
    share_of_wallet: float = Field(0.8, ge=0, le=1, description="chance a need is bought "
                                   "here rather than elsewhere (0-1)")


class Complementary(Strict):
    share: float = Field(1.0, ge=0, le=1, description="share of customers (0-1)")
    boost: float = Field(2.0, ge=1, le=MAX_MULTIPLIER,
                         description="purchase-rate multiplier after a purchase")
    window_days: PositiveInt = Field(30, description="days the boost lasts")


class Occasion(Strict):
    day_of_year: int = Field(ge=0, le=364, description="first day of the occasion (0-364)")
    days: PositiveInt = Field(description="length of the occasion (days)")
    lift: float = Field(gt=0, le=MAX_MULTIPLIER,
                        description="purchase-rate multiplier during it")


class Situational(Strict):
    share: float = Field(1.0, ge=0, le=1, description="share of customers (0-1)")
    monthly_intensity: list[Annotated[float, Field(ge=0, le=MAX_MULTIPLIER)]] = Field(
        default_factory=lambda: [1.0] * 12,
                                           min_length=12, max_length=12,
                                           description="purchase-rate multiplier by "
                                           "calendar month, January first")
    occasions: list[Occasion] = Field(default_factory=list)


class Impulse(Strict):
    share: float = Field(1.0, ge=0, le=1, description="share of customers (0-1)")
    organic_exposure: float = Field(0.1, ge=0, le=1, description="daily chance of seeing "
                                    "an offer without any marketing (0-1)")


class Contractual(Strict):
    share: float = Field(1.0, ge=0, le=1, description="share of customers (0-1)")
    period_days: PositiveInt = Field(30, description="renewal period (days)")


class Demand(Strict):
    """How needs turn into purchases; shares of the listed types add up to 1."""

    poisson: Poisson | None = None
    recurrent: Recurrent | None = None
    complementary: Complementary | None = None
    situational: Situational | None = None
    impulse: Impulse | None = None
    contractual: Contractual | None = None

    @model_validator(mode="after")
    def _check(self):
        shares = {k: v.share for k, v in self if v is not None}
        if shares:
            _shares_sum_to_one(shares, "demand")
        return self


class Behaviour(Strict):
    purchase_rate: Rate
    dropout: Probability = Field(0.0)
    spend: Spend
    orders_per_day: Literal["poisson", "single"] = Field(
        "poisson", description="poisson: a day may hold several orders (exact BG/NBD); "
        "single: at most one")
    items_per_order: float = Field(1.0, ge=1, le=100, description="mean items in an order's "
                                   "core basket; the check is per order, so this only "
                                   "feeds the items-per-check KPI (cross-sold items come "
                                   "on top)")
    need_lifetime_days: Days | None = Field(None, description="natural churn: how long "
                                            "the need lasts (days); null: it never ends")
    demand: Demand = Field(default_factory=lambda: Demand(poisson=Poisson()))
    stages: dict[Literal[STAGES], StageParams] = Field(default_factory=dict)


class Funnel(Strict):
    loyal_after_purchases: int = Field(4, ge=2, description="purchases to count as loyal")
    lapsed_after_days: PositiveInt = Field(90, description="days without a purchase "
                                           "before a customer counts as lapsed")
    churned_after_days: PositiveInt | None = Field(None, description="days without a "
                                                   "purchase before a customer counts as "
                                                   "churned; null: never")
    won_back_stage: bool = Field(True, description="a lapsed or churned customer who buys "
                                 "again is 'won back' until the next purchase; false: "
                                 "staged by purchase count at once")

    @model_validator(mode="after")
    def _check(self):
        if self.churned_after_days is not None and (
                self.churned_after_days <= self.lapsed_after_days):
            raise ValueError(f"churned_after_days ({self.churned_after_days}) must exceed "
                             f"lapsed_after_days ({self.lapsed_after_days})")
        return self


class Economics(Strict):
    gross_margin: float = Field(ge=0, le=1, description="gross margin on list price (0-1)")
    discount_rate_per_year: float = Field(0.1, ge=0, le=1, description="for customer "
                                          "equity and LTV (per year, 0-1)")
    currency: str = Field("RUB", description="label only")


SCALES = {"scales_with_customers": True}
_CHANNEL = ChannelSpec()     # the defaults, written once beside the channel model


class Channel(Strict):
    """A direct channel: who can be reached, what arrives, what a contact costs."""

    optin_share: float = Field(_CHANNEL.optin_share, ge=0, le=1, description="share of "
                               "customers reachable (opted in) when they arrive (0-1)")
    deliverability: float = Field(_CHANNEL.deliverability, ge=0, le=1, description="share "
                                  "of sent messages that arrive (0-1)")
    open_rate: float = Field(_CHANNEL.open_rate, ge=0, le=1, description="share of "
                             "delivered messages that are read (0-1)")
    cost_per_contact: float = Field(_CHANNEL.cost_per_contact, ge=0, le=MAX_MONEY,
                                    description="currency per message sent")
    unsubscribe_rate: float = Field(_CHANNEL.unsubscribe_rate, ge=0, le=1, description=""
                                    "chance that a delivered message makes an untired "
                                    "customer opt out (0-1); x(1 + 4 fatigue), x3 when "
                                    "irrelevant")
    fatigue_step: float = Field(_CHANNEL.fatigue_step, ge=0, le=1, description="fatigue "
                                "added by a relevant delivered message (fatigue is 0-1)")
    irrelevant_fatigue_step: float = Field(_CHANNEL.irrelevant_fatigue_step, ge=0, le=1,
                                           description="fatigue added by an irrelevant "
                                           "delivered message")
    seats: int | None = Field(_CHANNEL.seats, ge=0, description="limited capacity (the call "
                              "centre): operators; null: unlimited", json_schema_extra=SCALES)
    calls_per_seat_per_day: float = Field(_CHANNEL.calls_per_seat_per_day, ge=0,
                                          description="calls one seat makes a day; calls "
                                          "beyond seats x this are dropped")


class ContactPolicy(Strict):
    """Rules across all mechanics and channels."""

    fatigue_decay_per_day: float = Field(FATIGUE_DECAY_PER_DAY, gt=0, le=1,
                                         description="fatigue multiplier per day without "
                                         "contact")
    max_contacts_per_week: float | None = Field(None, gt=0, description="frequency cap "
                                                "across mechanics (contacts per customer "
                                                "per week); null: none")


class Levers(Strict):
    """The what-if levers of the economic model, applied on top of everything else."""

    premature_churn_multiplier: float = Field(1.0, ge=0, le=MAX_MULTIPLIER,
                                              description="scales every "
                                              "premature churn route (1 = as is)")
    spend_multiplier: float = Field(1.0, gt=0, le=MAX_MULTIPLIER,
                                    description="scales the order value")
    extra_purchases_per_year: float = Field(0.0, ge=0, le=MAX_PER_YEAR,
                                            description="added to every "
                                            "customer's purchase rate (per year)")


class Strategy(Strict):
    description: str = ""
    overrides: dict[str, object] = Field(default_factory=dict, description="dotted path "
                                         "-> value, applied on the baseline scenario")
    headline: bool = Field(False, description="run by default, without --strategies "
                           "(a first look); `--strategies all` runs every strategy. No "
                           "strategy marked: every one runs by default")


Mechanics = mechanics_schema(Strict)


class Scenario(Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$")
    description: str = ""
    horizon_days: int = Field(1095, ge=1, le=36500, description="days simulated")
    base: Base
    acquisition: Acquisition = Field(default_factory=Acquisition)
    behaviour: Behaviour
    funnel: Funnel = Field(default_factory=Funnel)
    economics: Economics
    levers: Levers = Field(default_factory=Levers)
    channels: dict[Literal[CHANNELS], Channel] = \
        Field(default_factory=lambda: {"email": Channel()}, description="direct channels "
              "the mechanics can use")
    contact_policy: ContactPolicy = Field(default_factory=ContactPolicy)
    mechanics: Mechanics = Field(default_factory=Mechanics)
    strategies: dict[str, Strategy] = Field(default_factory=lambda: {"baseline": Strategy()})
    provenance: Provenance | None = Field(None, description="for a calibrated scenario: "
                                          "the log, dates, fit and standard errors it came "
                                          "from; not used by the simulation")

    @model_validator(mode="after")
    def _check(self):
        if "baseline" not in self.strategies:
            raise ValueError("strategies must include 'baseline' (today's practice)")
        self._history_is_reachable()
        for name, _, params in configured(self.mechanics):
            channel = getattr(params, "channel", None)
            if params.enabled and channel is not None and channel not in self.channels:
                raise ValueError(f"mechanics.{name}.channel is {channel!r}, which is not "
                                 f"among the scenario's channels "
                                 f"({', '.join(self.channels)}): add it under channels")
        return self

    def _history_is_reachable(self) -> None:
        """Every stage of the base's history must be one the funnel can produce."""
        shares, f, days = self.base.history, self.funnel, self.base.history_days
        if shares.get("churned", 0) > 0:
            if f.churned_after_days is None:
                raise ValueError("base.history has churned customers but "
                                 "funnel.churned_after_days is null (nobody counts as "
                                 "churned): set it or drop the churned share")
            if days <= f.churned_after_days:
                raise ValueError(f"base.history_days ({days}) must exceed "
                                 f"funnel.churned_after_days ({f.churned_after_days}) "
                                 "for the base to hold churned customers")
        if shares.get("lapsed", 0) > 0 and days <= f.lapsed_after_days:
            raise ValueError(f"base.history_days ({days}) must exceed "
                             f"funnel.lapsed_after_days ({f.lapsed_after_days}) for the "
                             "base to hold lapsed customers")
        if shares.get("repeat", 0) > 0 and f.loyal_after_purchases <= 2:
            raise ValueError("base.history has repeat customers but "
                             "funnel.loyal_after_purchases is 2 (a second purchase already "
                             "makes a customer loyal): raise it or drop the repeat share")
