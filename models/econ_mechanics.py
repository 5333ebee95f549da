"""Which mechanics the economic model translates, and the regular campaign's average.

Experience and loyalty discount act through the stage table and are exact (see
`models.econ_inputs.stage_params`). The regular campaign (`email_campaign`) is
translated by its closed-form average effect: on a campaign day a reachable customer
in a target stage responds with probability optin x surviving the unsubscribes so far
x deliverability x open rate x relevance x response rate x (1 - fatigue) (fatigue at
its steady state for the campaign's rhythm; the frequency cap thins the sends), and a
response multiplies that day's purchase probability by 1 + uplift (capped at 1;
impulse demand buys on exposure; recurrent demand only if the need is due that day;
contracts not at all). Spread over the days between campaigns this is a daily
response probability. Every other mechanic is simulator only.
"""

from dataclasses import dataclass

import numpy as np

from models.stages import STAGES

EXACT = ("experience", "loyalty_discount")
AVERAGED = ("email_campaign",)


def enabled(sc) -> list[str]:
    return [name for name, p in sc.mechanics if p is not None and p.enabled]


def simulator_only(sc) -> list[str]:
    """Enabled mechanics the economic model leaves out."""
    return [m for m in enabled(sc) if m not in EXACT + AVERAGED]


def translated(sc) -> dict[str, str]:
    """Enabled mechanics the model includes, and how ('exact' or 'average effect')."""
    return {m: "exact" if m in EXACT else "average effect" for m in enabled(sc)
            if m in EXACT + AVERAGED}


@dataclass(frozen=True)
class Campaign:
    """The regular campaign's daily response probability by stage and age."""

    per_day: np.ndarray       # (7,) response probability per day, before unsubscribes
    keep: float               # share still opted in after one more message
    every: int
    start: int
    uplift: float
    cost_per_contact: float

    def response(self, messages) -> np.ndarray:
        """(..., 7) daily response probability after `messages` messages received."""
        m = np.maximum(np.asarray(messages, dtype=np.float64), 0.0)
        return self.per_day * (self.keep ** m)[..., None]


def campaign(sc) -> Campaign | None:
    p = getattr(sc.mechanics, "email_campaign", None)
    if p is None or not p.enabled:
        return None
    ch = sc.channels[p.channel]
    decay = sc.contact_policy.fatigue_decay_per_day ** p.every_days
    step = ch.deliverability * (p.relevance * ch.fatigue_step
                                + (1.0 - p.relevance) * ch.irrelevant_fatigue_step)
    fatigue = min(1.0, step * decay / (1.0 - decay)) if decay < 1.0 else 1.0
    cap = sc.contact_policy.max_contacts_per_week
    sent = 1.0 if cap is None else min(1.0, cap * p.every_days / 7.0)
    respond = (ch.optin_share * sent * (1.0 - p.holdout_share) * ch.deliverability
               * ch.open_rate * p.relevance * p.response_rate * (1.0 - fatigue))
    quit_p = ch.deliverability * ch.unsubscribe_rate * (1.0 + 4.0 * fatigue) * (
        p.relevance + 3.0 * (1.0 - p.relevance))
    eligible = np.array([s in p.stages for s in STAGES], dtype=np.float64)
    return Campaign(eligible * respond / p.every_days, 1.0 - sent * quit_p, p.every_days,
                    p.start_day, p.uplift, ch.cost_per_contact)
