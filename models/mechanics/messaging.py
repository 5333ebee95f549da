"""What every message-sending mechanic shares: a channel, an offer, a control group and
a priority.

A messaging mechanic decides *who* gets a message *when* (its `rule` and schedule);
the channel layer does the rest (reachability, delivery, fatigue, caps, costs). An
offer with an incentive books `offer_cost` for every response (the coupon's value
times the share of responders who redeem it); `holdout_share` keeps a stable random
share of the targets as a control group.

`priority` orders the sends of a day: lower sends first, so under the weekly contact
cap a customer's contact goes to the mechanic that matters most. Each mechanic declares
its default as a CRM team would rank it: triggers tied to the customer's own moment
(abandoned cart 10, replenishment 20, welcome 30) before win-back (40), review requests
(50), targeted offers (60) and the mass campaign (70). Equal priorities send in the
order of the mechanics' names (alphabetical), so the order never depends on how a
scenario file lists them.
"""

from typing import Literal

from pydantic import Field

from models.bounds import MAX_MONEY, MAX_MULTIPLIER
from models.channels import CHANNELS, Rule
from models.effects import Effect
from models.mechanics import Mechanic, MechanicParams


def priority_field(default: int):
    """The `priority` field of a messaging mechanic, with its own default."""
    return Field(default, ge=1, le=1000, description="send order within a day (1-1000): "
                 "lower sends first, so under the contact cap it gets the customer; equal "
                 "priorities send in the order of the mechanics' names")


class MessageParams(MechanicParams):
    priority: int = priority_field(100)
    channel: Literal[CHANNELS] = Field("email", description="channel the messages use")
    response_rate: float = Field(0.05, ge=0, le=1, description="response probability of "
                                 "an untired reader (0-1)")
    uplift: float = Field(1.0, ge=0, le=MAX_MULTIPLIER,
                          description="a response multiplies today's purchase "
                          "probability by 1 + uplift")
    relevance: float = Field(1.0, ge=0, le=1, description="share of messages relevant to "
                             "the recipient (0-1); irrelevant ones tire more, never convert")
    offer_cost: float = Field(0.0, ge=0, le=MAX_MONEY,
                              description="incentive cost per response "
                              "(currency): the coupon's value times the share of "
                              "responders who redeem it")
    holdout_share: float = Field(0.0, ge=0, lt=1, description="share of targets held out "
                                 "as a control group (0-1)")


class MessageMechanic(Mechanic):
    """Base of mechanics that send through a channel; subclasses give `rule()`."""

    offer_days = 0     # days a responder holds a personal offer (0: the message has none)

    @property
    def priority(self) -> int:
        return self.params.priority

    def effects(self) -> list[Effect]:
        """A response lifts today's purchase probability (applied by the channel)."""
        return [Effect("buy_today", 1.0 + self.params.uplift, when="on a response",
                       moves=True)]

    def rule(self) -> Rule:
        raise TypeError(f"{type(self).__name__} must define rule()")

    def init(self, sim) -> None:
        super().init(sim)
        self.channels = sim.module("channels")
        if self.params.holdout_share > 0:
            self.channels.keep_marks(sim, self.name)
        rule = self.rule().tables()
        lift = next(e.value for e in self.effects() if e.lever == "buy_today")
        r = sim.results
        contacts = r.flow("contacts_" + self.name)
        self._responses = r.flow("responses_" + self.name)
        p = self.params
        # its sends book their contacts, responses and costs (contacts and incentives),
        # ours and the run's, in the kernel that counts them (`models.send_ledger`)
        self._sender = self.channels.sender(
            sim, self.name, p.channel, rule, response_rate=p.response_rate, lift=lift,
            relevance=p.relevance, holdout=p.holdout_share, offer_days=self.offer_days,
            own=(contacts, self._responses, self._own_cost), offer_cost=p.offer_cost)

    def sends_today(self, day: int) -> bool:
        return True

    def step(self, sim, day: int) -> None:
        if self.sends_today(day):
            self._sender.send(sim, day)
