"""Settings a valid scenario accepts but that cannot do what they say.

Each field passes its own check, yet together with the rest of the scenario a switched-on
mechanic can never act (an error: the user surely meant something else) or part of it
can never act in this run (a warning: legal, e.g. a horizon shortened by --days, but
pointless). Only enabled mechanics are looked at; an empty `stages` list is refused by
the mechanics' own schemas. Errors: a mechanic whose only target never exists (win-back
days that reach no stage it targets, replenishment without recurrent demand, the
abandoned-cart trigger without impulse demand, a tripwire without leads). Warnings: a
first campaign or promo after the horizon, win-back days that never fire beside days
that do, a channel nobody is opted in to.

A mechanic sees the CRM stage of the evening before, so a message on day `d` of silence
reaches a customer who was lapsed with `d - 1` days of silence: lapsed from
`lapsed_after_days + 1` to `churned_after_days` days, churned from
`churned_after_days + 1`.
"""

from dataclasses import dataclass, field

from models.mechanics import configured
from scenarios.schema import Scenario

SCHEDULED = ("email_campaign", "blanket_promo", "differentiated_offer")   # have start_day
NEEDS_DEMAND = {"replenishment": "recurrent", "abandoned_cart": "impulse"}


@dataclass
class Findings:
    """(field path, message) pairs: errors refuse the scenario, warnings are shown."""

    errors: list[tuple[tuple, str]] = field(default_factory=list)
    warnings: list[tuple[tuple, str]] = field(default_factory=list)


def inert_settings(sc: Scenario) -> Findings:
    """Every enabled mechanic (and every instance of one) checked against the rest."""
    found = Findings()
    m = sc.mechanics
    shares = {k: v.share for k, v in sc.behaviour.demand if v is not None}
    for name, cls, params in configured(m):
        if not params.enabled:
            continue
        if cls.name == "win_back":
            _win_back(sc, name, params, found)
        if cls.name in SCHEDULED and params.start_day >= sc.horizon_days:
            found.warnings.append((
                ("mechanics", name, "start_day"),
                f"{params.start_day} is not before the end of the run (day "
                f"{sc.horizon_days - 1}): {name} never acts in it"))
        demand = NEEDS_DEMAND.get(cls.name)
        if demand is not None and shares.get(demand, 0) == 0:
            found.errors.append((
                ("mechanics", name, "enabled"),
                f"true, but no customer has {demand} demand (behaviour.demand.{demand}), "
                f"the only demand {name} acts on: it can never act"))
        channel = getattr(params, "channel", None)
        if channel in sc.channels and sc.channels[channel].optin_share == 0:
            found.warnings.append((
                ("mechanics", name, "channel"),
                f"{channel}, whose optin_share is 0: nobody can be reached, so {name} "
                "never sends anything"))
    if _on(m.tripwire) and not _has_leads(sc):
        found.errors.append((
            ("mechanics", "tripwire", "enabled"),
            "true, but there are never any leads (potential customers), the only customers "
            "tripwire acts on: base.history has no potential share, no arrival comes as a "
            "lead (acquisition.arrive_as potential with an inflow) and no referral brings "
            "one: it can never act"))
    return found


def _has_leads(sc: Scenario) -> bool:
    arriving = sc.acquisition.inflow_per_day > 0 and sc.acquisition.arrive_as == "potential"
    return sc.base.history.get("potential", 0) > 0 or arriving or _on(sc.mechanics.referral)


def _on(params) -> bool:
    return params is not None and params.enabled


def _win_back(sc: Scenario, name: str, p, found: Findings) -> None:
    """Which of the days of silence reach a stage the offer is for."""
    f = sc.funnel
    churned = f.churned_after_days
    reach = []
    if "lapsed" in p.stages:
        reach.append((f.lapsed_after_days + 1, churned if churned is not None else None))
    if "churned" in p.stages and churned is not None:
        reach.append((churned + 1, None))
    days = p.days_since_last_purchase
    useless = [d for d in days
               if not any(lo <= d and (hi is None or d <= hi) for lo, hi in reach)]
    if not useless:
        return
    where = ("mechanics", name, "days_since_last_purchase")
    allowed = " or ".join(f"{lo}-{hi}" if hi is not None else f"{lo} or more"
                          for lo, hi in reach) or "never (funnel.churned_after_days is null)"
    why = (f"the stages it targets ({', '.join(p.stages)}) are reached on days {allowed} of "
           f"silence (funnel.lapsed_after_days is {f.lapsed_after_days}"
           + (f", churned_after_days {churned}" if churned is not None else "") + ")")
    if len(useless) == len(days):
        found.errors.append((where, f"{days}: no day can fire: {why}, so {name} never "
                                    "acts"))
    else:
        found.warnings.append((where, f"{useless} of {days} never fire: {why}"))
