"""Scenario -> Sim: turn one validated strategy into modules and a ready simulation."""

import numpy as np

from models.acquisition import Acquisition, AcquisitionPlan
from models.behaviour import Behaviour as BehaviourModel
from models import traits
from models.channels import Channels, ChannelSpec
from models.funnel import Funnel
from models.mechanics import build as build_mechanics
from models.season import season_curve
from models.segments import RFM
from models.stages import DEMAND_TYPES, stage_table
from scenarios.schema import Scenario
from scenarios.traits import GammaGammaSpend, encode, encode_number
from sim.loop import Sim


def behaviour_model(sc: Scenario) -> BehaviourModel:
    b = sc.behaviour
    stage_tab = stage_table(b.stages)
    dem_tab = np.zeros((len(DEMAND_TYPES), 2), dtype=np.float64)
    shares = np.zeros(len(DEMAND_TYPES), dtype=np.float64)
    season = np.ones(sc.horizon_days, dtype=np.float64)
    d = b.demand
    for t, name in enumerate(DEMAND_TYPES):
        spec = getattr(d, name)
        if spec is None:
            continue
        shares[t] = spec.share
        if name == "recurrent":
            dem_tab[t] = (spec.regularity, spec.share_of_wallet)
        elif name == "complementary":
            dem_tab[t] = (spec.boost, spec.window_days)
        elif name == "situational":
            season = season_curve(spec, sc.horizon_days)
        elif name == "impulse":
            dem_tab[t] = (spec.organic_exposure, 0.0)
        elif name == "contractual":
            dem_tab[t] = (spec.period_days, 0.0)
    if isinstance(b.spend, GammaGammaSpend):
        g = b.spend.gamma_gamma
        spend_rate = traits.encode(traits.GAMMA, g.q, g.gamma)
        spend_p, spend_fixed = g.p, 0.0
    else:
        spend_rate, spend_p, spend_fixed = encode_number(0.0), 0.0, float(b.spend)
    return BehaviourModel(
        purchase_rate=encode(b.purchase_rate),
        dropout=encode(b.dropout),
        spend_rate=spend_rate,
        need_lifetime=None if b.need_lifetime_days is None else encode(b.need_lifetime_days),
        stage_tab=stage_tab,
        dem_tab=dem_tab,
        demand_share=shares,
        season=season,
        loyal_after=sc.funnel.loyal_after_purchases,
        lapsed_after=sc.funnel.lapsed_after_days,
        churned_after=sc.funnel.churned_after_days,
        won_back_stage=sc.funnel.won_back_stage,
        poisson_orders=b.orders_per_day == "poisson",
        gross_margin=sc.economics.gross_margin,
        rate_add=sc.levers.extra_purchases_per_year / 365.0,
        spend_p=spend_p,
        spend_fixed=spend_fixed,
        churn_mult=sc.levers.premature_churn_multiplier,
        spend_mult=sc.levers.spend_multiplier,
        items_per_order=b.items_per_order,
    )


def acquisition_plan(sc: Scenario) -> AcquisitionPlan:
    return AcquisitionPlan(
        base_customers=sc.base.customers,
        base_mix=dict(sc.base.history),
        fresh_cohort=sc.base.fresh_cohort,
        history_days=sc.base.history_days,
        lapsed_alive_share=sc.base.lapsed_alive_share,
        churned_alive_share=sc.base.churned_alive_share,
        inflow_per_day=sc.acquisition.inflow_per_day,
        paid_share=sc.acquisition.paid_share,
        cac=sc.acquisition.cac,
        arrive_as_buyers=sc.acquisition.arrive_as == "new",
        profiles=None if sc.base.profiles is None else
        np.array([row[:3] for row in sc.base.profiles], dtype=np.float64),
        profile_customers=tuple(row[3] for row in sc.base.profiles or ()),
    )


def channels(sc: Scenario) -> Channels:
    specs = {name: ChannelSpec(**ch.model_dump()) for name, ch in sc.channels.items()}
    policy = sc.contact_policy
    return Channels(specs, policy.fatigue_decay_per_day, policy.max_contacts_per_week)


def make_sim(sc: Scenario, seed: int) -> Sim:
    """One ready-to-run simulation of a resolved (single-strategy) scenario."""
    plan = acquisition_plan(sc)
    mechanics = build_mechanics(sc.mechanics)
    funnel = Funnel(behaviour_model(sc), {m.name: m.effects() for m in mechanics})
    modules = [Acquisition(plan), funnel, channels(sc), *mechanics, RFM()]
    return Sim(modules, sc.horizon_days, seed, capacity=plan.total(sc.horizon_days) + 1)

