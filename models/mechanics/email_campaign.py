"""Regular e-mail campaign with fatigue: every contact tires, tiredness decays.

On each campaign day (a simpy process: every `every_days` from `start_day`) every
customer in the target stages gets a message. A customer responds with probability
`response_rate * (1 - fatigue)`; a response multiplies today's purchase probability
by `1 + uplift` (capped at 1) and counts as exposure to an offer (impulse demand).
Each contact adds `fatigue_step` to fatigue (at most 1), and fatigue decays by the
factor `fatigue_decay` a day. Decay is applied lazily
(fatigue and the day it was last updated are stored), so quiet days cost nothing.
"""

from typing import Literal

import numpy as np
from numba import njit, prange
from pydantic import Field

from models.mechanics import Mechanic, MechanicParams, register
from models.stages import ALIVE, EXPOSED, STAGES
from sim.streams import day_keys, decision, mix, uniform32

DECAY_TABLE = 4096


class EmailCampaignParams(MechanicParams):
    every_days: int = Field(7, ge=1, description="days between campaigns")
    start_day: int = Field(0, ge=0, description="day of the first campaign")
    response_rate: float = Field(0.10, ge=0, le=1, description="response probability of "
                                 "an untired customer (0-1)")
    uplift: float = Field(2.0, ge=0, description="a response multiplies today's purchase "
                          "probability by 1 + uplift")
    fatigue_step: float = Field(0.05, ge=0, le=1, description="fatigue added per contact")
    fatigue_decay: float = Field(0.98, gt=0, le=1, description="fatigue multiplier per day")
    cost_per_contact: float = Field(0.0, ge=0, description="currency per message sent")
    stages: list[Literal[STAGES]] = Field(
        default_factory=lambda: [s for s in STAGES if s != "churned"],
        description="CRM stages that receive the campaign")


@register
class EmailCampaign(Mechanic):
    """Regular e-mail campaign with fatigue."""

    name = "email_campaign"
    Params = EmailCampaignParams

    def init(self, sim) -> None:
        p = self.params
        c = sim.customers
        c.declare("fatigue", np.float32, 0.0)
        c.declare("fatigue_day", np.int32, 0)
        self._send_today = False
        sim.calendar.every(p.every_days, self._schedule, start=p.start_day)
        self._decision = np.array([decision("email_campaign.response")], dtype=np.uint64)
        self._decay = p.fatigue_decay ** np.arange(DECAY_TABLE, dtype=np.float64)
        self._targets = np.zeros(len(STAGES), dtype=np.bool_)
        self._targets[[STAGES.index(s) for s in p.stages]] = True
        self._contacts = sim.results.flow("contacts")
        self._responses = sim.results.flow("responses")
        self._cost = sim.results.flow("crm_cost")

    def _schedule(self, day: int) -> None:
        self._send_today = True

    def step(self, sim, day: int) -> None:
        if not self._send_today:
            return
        self._send_today = False
        c, p = sim.customers, self.params
        key = day_keys(sim.seed_key, self._decision, day)[0]
        contacts, responses = send(c.n, day, key, c.kh, c.stage, c.flags, c.fatigue,
                                   c.fatigue_day, c.boost, c.p_hi, self._targets,
                                   self._decay, p.response_rate, 1.0 + p.uplift,
                                   p.fatigue_step)
        self._contacts[day] += contacts
        self._responses[day] += responses
        self._cost[day] += contacts * p.cost_per_contact


@njit(cache=True, parallel=True)
def send(n_live, day, key, kh, stage, flags, fatigue, fatigue_day, boost, p_hi, targets,
         decay, response_rate, lift, step):
    """Contact every target; responders get today's boost and join the exact pass."""
    contacts = 0
    responses = 0
    for i in prange(n_live):
        if not targets[stage[i]]:
            continue
        dt = day - fatigue_day[i]
        f = fatigue[i] * (decay[dt] if dt < decay.size else decay[-1] ** (dt / (decay.size - 1)))
        respond = uniform32(mix(kh[i] ^ key)) < response_rate * (1.0 - f)
        fatigue[i] = min(1.0, f + step)
        fatigue_day[i] = day
        contacts += 1
        if respond and (flags[i] & ALIVE) != 0:
            boost[i] *= lift
            flags[i] |= EXPOSED
            p_hi[i] = 2.0
            responses += 1
    return contacts, responses
