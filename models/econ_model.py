"""The instant economic model of any scenario: the simulator's expectation, computed
in numpy and numba kernels.

Yearly revenue, gross margin and active customers of a scenario without simulating
customers: the day-0 base and a unit cohort of arrivals are each followed as masses
over a grid of states (`models.econ_chain`: trait class x won back x purchase count x
silence, a step of about a sixth of the lapse threshold), and the arrivals of every
step are that cohort shifted in time (a convolution), so a customer's first purchase,
repeats and churn count from the step they arrive in. Levers (`levers.*`) and every
behaviour, funnel and economics field are translated exactly; mechanics as
`models.econ_mechanics` says.

What is approximated, and how much it costs. Measured against the simulator's mean at
200,000 customers and 4 replications over 3 years (benchmarks/economics_agreement.json),
every preset's baseline and lever strategies agree within 4.5% per year on revenue and
gross margin (most within 2%; the coffee shop, many purchases a customer, is the worst)
and within 2.5% on active customers. The approximations:
- traits are classes (8 purchase-rate x 3 dropout classes, conditional means, the
  base's posterior pooled with the prior): with fewer rate classes the coffee shop's
  first year drifts 1-2% lower, the others move under 0.5%;
- within a step the stage is that of its start, a customer's purchases after the first
  come at the next stage's rate, several purchases move the count by their mean, a
  renewal comes mid-step; a step of about a sixth of the lapse threshold keeps this to
  about 1%;
- recurrent needs are a renewal process counted from the last purchase (exact while
  the stage's share of wallet holds; a homogeneous recurrent cohort comes out ~2% low);
- the arrivals' cohort sees the year's mean season and campaign; the campaign's
  fatigue is at its steady state, its unsubscribes counted from day 0 (from arrival
  for arrivals);
- base histories are 128 quasi-random draws per history stage.
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import gammainc

from models import econ_inputs as I
from models.econ_chain import FLOWS, Chain, Steps, Tables, priced
from models.econ_kernel import FIRST
from models.econ_mechanics import campaign
from models.econ_years import yearly_figures
from models.stages import (
    BUY, CHURNED, COMPLEMENTARY, CONTRACTUAL, HAZARD, IMPULSE, LAPSED, LOYAL, NEW,
    POTENTIAL, PRICE, RECURRENT, REPEAT, SITUATIONAL, SPEND, WON_BACK)

YEAR = I.DAYS_PER_YEAR
J_MAX = 60          # needs summed in the recurrent renewal series
SEASON_GRAIN = 0.05  # a step's seasonal intensity is rounded to this (steps then share
                     # their transition: a few distinct seasons instead of every step)


@dataclass(frozen=True)
class Variant:
    """A step of the levers on top of the scenario's own."""

    churn: float = 1.0        # multiplies every premature churn route
    rate_add: float = 0.0     # purchases per day added to every rate
    spend: float = 1.0        # multiplies the check
    margin_add: float = 0.0   # added to the gross margin (share of list price)


@dataclass
class StepInputs:
    lead_q: np.ndarray
    q_a: np.ndarray
    q_l: np.ndarray
    q_c: np.ndarray
    renew_a: np.ndarray
    renew_l: np.ndarray
    renew_c: np.ndarray
    orders: np.ndarray
    jumps_r: np.ndarray
    nat: float


@dataclass
class Projection:
    """Per variant (rows) and year (columns); year 1 is days 0-364."""

    revenue: np.ndarray
    gross_margin: np.ndarray
    active: np.ndarray           # CRM-active customers (new, repeat, loyal, won back)
    alive: np.ndarray            # latently alive customers, leads included
    purchases: np.ndarray
    first_purchases: np.ndarray
    retention: np.ndarray        # measured as the simulator does, over the last year
    premature_share: np.ndarray  # of the buyers' deaths in that year
    horizon: dict                # over `days` (the scenario's horizon, if within the
                                 # years): revenue, gross_margin, active_end per variant


class Model:
    """Everything of a scenario that does not depend on the lever variants."""

    def __init__(self, sc, years: int, dt: int | None = None):
        self.sc, self.years = sc, int(years)
        f, d = sc.funnel, sc.behaviour.demand
        self.dt = dt or I.step_days(sc)
        self.steps = -(-YEAR * self.years // self.dt)
        span = max(f.lapsed_after_days, f.churned_after_days or 0,
                   d.complementary.window_days if d.complementary else 0,
                   d.contractual.period_days if d.contractual else 0)
        self.K = -(-span // self.dt) + 2
        self.C = f.loyal_after_purchases
        self.cls, base = I.build(sc)
        self.base = I.base_state(sc, self.cls, base, self.dt, self.K, self.C)
        self.tab = I.stage_params(sc)
        self.campaign = campaign(sc)
        self.spec = {k: spec for k, _, spec in self.cls.kinds}
        idle = np.arange(self.K)[:, None] * self.dt + np.arange(self.dt)[None, :]
        idle[-1] = np.maximum(idle[-1], span + self.dt)         # the last bucket: beyond
        self.idle = idle                                          # (K, dt) idle days
        self.mid = idle.mean(axis=1)
        ahead = idle[:, :, None] + np.arange(self.dt)   # idle at the start of each next day
        self.ahead = ahead
        stage_a = np.empty((2, self.C), dtype=np.int64)
        counts = np.arange(1, self.C + 1)
        stage_a[0] = np.where(counts >= self.C, LOYAL, np.where(counts >= 2, REPEAT, NEW))
        stage_a[1] = WON_BACK if f.won_back_stage else stage_a[0]
        self.stage_a = stage_a
        self.needs = {}                  # recurrent needs' series by rates
        self.days_ahead = np.unique(np.concatenate([self.mid + d for d in (
            0.0, 0.5 * self.dt, self.dt)]))      # the days their series are read at
        self.season = I.season_by_step(sc, self.dt, self.steps)
        self.mean_season = float(I.season_by_step(sc, 1, YEAR).mean())
        self._static()
        ends = np.arange(self.steps + 1) * self.dt
        self.nat_base = I.need_survival(sc, ends.astype(float), base=True)
        self.nat_cohort = I.need_survival(sc, np.concatenate([[0.0], ends + 0.5 * self.dt]),
                                          base=False)

    # ---- tables ----------------------------------------------------------------

    def _frac(self, threshold, when) -> np.ndarray:
        """Share of each bucket's (idle, day) pairs at or past a threshold."""
        if threshold is None:
            return np.zeros(self.K)
        return (when >= threshold).reshape(self.K, -1).mean(axis=1)

    def _needs(self, lam, r):
        """F_j(r): probability that j needs came within r days of a purchase (Gamma(j k,
        k lam)), (V, J, j, R), for as many j as matter within the longest r. A rate
        row's series is taken once for every day read and reused (by the leverage
        table's variants that keep the rates, and across projections)."""
        k = self.spec[RECURRENT].regularity
        top = float(lam.max()) * float(r.max()) if lam.size else 0.0
        n = int(min(J_MAX, top + 6.0 * np.sqrt(top) + 6.0))
        if not np.isin(r, self.days_ahead).all():      # days no projection reads
            self.days_ahead, self.needs = np.union1d(self.days_ahead, r), {}
        cols = np.searchsorted(self.days_ahead, r)
        out = []
        for rate in lam:
            f = self.needs.get(rate.tobytes())
            if f is None or f.shape[1] < n:
                j = np.arange(1, n + 1)
                f = gammainc(j[None, :, None] * k,
                             k * rate[:, None, None] * self.days_ahead[None, None, :])
                self.needs[rate.tobytes()] = f
            out.append(f[:, :n, cols])
        return np.array(out)

    @staticmethod
    def _renewal(f, pi):
        """G(r) from F_j(r): each need bought with probability pi (V, J) -> (V, J, R)."""
        j = np.arange(f.shape[2])
        w = pi[..., None] * (1.0 - pi[..., None]) ** j
        return np.einsum("vjn,vjnr->vjr", w, f)

    def tables(self, variants) -> tuple:
        sc, V = self.sc, len(variants)
        lev, f = sc.levers, sc.funnel
        churn = lev.premature_churn_multiplier * np.array([v.churn for v in variants])
        rate_add = (lev.extra_purchases_per_year / YEAR
                    + np.array([v.rate_add for v in variants]))
        spend = lev.spend_multiplier * np.array([v.spend for v in variants])
        gm = np.minimum(1.0, sc.economics.gross_margin
                        + np.array([v.margin_add for v in variants]))
        tab, check = self.tab, I.mean_check(sc.behaviour.spend)
        hazard = np.minimum(1.0, tab[None, :, HAZARD] * churn[:, None])
        value = check * tab[None, :, SPEND] * spend[:, None]
        paid = value * tab[None, :, PRICE]
        margin = value * (tab[None, :, PRICE] - (1.0 - gm[:, None]))
        cls = self.cls
        lam = cls.rate[None, :] + rate_add[:, None]
        kind = cls.kind
        # dropout belongs to the customer's own purchases: those the frequency lever
        # adds bring no chance to leave (own / today's intensity, as the simulator);
        # a contract's cancellation at renewal is not a purchase's dropout
        own = np.where(kind[None, :] == CONTRACTUAL, 1.0,
                       cls.rate[None, :] / np.maximum(lam, 1e-300))
        pdrop = np.minimum(1.0, cls.drop[None, :] * churn[:, None])
        pdrop = np.where(kind[None, :] == CONTRACTUAL, pdrop, pdrop * np.minimum(1.0, own))
        lapse = self._frac(f.lapsed_after_days, self.ahead)
        churn_w = self._frac(f.churned_after_days, self.ahead)
        active = (self.idle < f.lapsed_after_days).mean(axis=1)
        over_next, over_end = np.ones((len(kind), self.K)), np.ones((len(kind), self.K))
        if RECURRENT in self.spec:
            rec = kind == RECURRENT
            pi = min(1.0, self.spec[RECURRENT].share_of_wallet * tab[REPEAT, BUY])
            grid = np.concatenate([self.mid + 0.5 * self.dt, self.mid])
            f_needs = self._needs(lam[:1, rec], grid)
            g = self._renewal(f_needs, np.full((1, rec.sum()), pi))[0]
            g1 = f_needs[0, :, 0]
            over = 1.0 - (1.0 - g1) / np.maximum(1.0 - g, 1e-12)
            over_next[rec], over_end[rec] = over[:, :self.K], over[:, self.K:]
        contract = kind == CONTRACTUAL
        w_l = lapse[None, :] * over_next
        w_c = churn_w[None, :] * over_next
        w_l[contract], w_c[contract] = 0.0, 0.0
        act_alive = 1.0 - (1.0 - active[None, :]) * over_end
        act_alive[contract] = 1.0
        act_dead = np.repeat(active[None, :], len(kind), axis=0)
        if CONTRACTUAL in self.spec:
            keep = max(f.lapsed_after_days, self.spec[CONTRACTUAL].period_days)
            act_dead[contract] = (self.idle < keep).mean(axis=1)
        t = Tables(self.dt, (kind == RECURRENT) | contract, contract, pdrop, hazard, paid,
                   margin, self.stage_a, w_l, w_c, act_alive, act_dead, f.won_back_stage)
        return t, lam, V

    # ---- step inputs -------------------------------------------------------------

    def inputs(self, lam, response, season, nat, renewals) -> StepInputs:
        """The step's buy probabilities (response (V, 7): the campaign's daily response
        probability by stage) beside the renewal tables of `renewals`."""
        sc, tab, kind = self.sc, self.tab, self.cls.kind
        V, J = lam.shape
        u = self.campaign.uplift if self.campaign is not None else 0.0
        e = np.broadcast_to(response, (V, 7))
        mult = self.mult.copy()
        mult[kind == SITUATIONAL] *= season

        def q_of(buy, e_s):        # (V, J, W, C, K): every factor spans its axes
            rate = lam.reshape(V, J, 1, 1, 1) * buy * mult.reshape(1, J, 1, 1, self.K)
            q = -np.expm1(-rate)
            own = q * self.organic.reshape(1, J, 1, 1, 1)
            return own + e_s * (np.minimum(1.0, q * (1.0 + u)) - own)

        sa = self.stage_a
        q_a = q_of(tab[sa, BUY].reshape(1, 1, 2, self.C, 1),
                   e[:, sa].reshape(V, 1, 2, self.C, 1))
        q_l = q_of(tab[LAPSED, BUY], e[:, LAPSED].reshape(V, 1, 1, 1, 1))
        q_c = q_of(tab[CHURNED, BUY], e[:, CHURNED].reshape(V, 1, 1, 1, 1))
        lq = -np.expm1(-lam * tab[POTENTIAL, BUY])
        own = lq * self.organic
        lead_q = own + e[:, POTENTIAL, None] * (np.minimum(1.0, lq * (1.0 + u)) - own)
        orders = (np.where(lam > 0, lam / np.maximum(-np.expm1(-lam), 1e-300), 1.0)
                  if sc.behaviour.orders_per_day == "poisson" else np.ones((V, J)))
        renew_a, renew_l, renew_c, jumps = renewals
        return StepInputs(lead_q, q_a, q_l, q_c, renew_a, renew_l, renew_c, orders, jumps,
                          nat)

    def _static(self):
        """Rate multipliers by class and silence (complementary window) and the impulse
        buyers' organic exposure."""
        kind, spec = self.cls.kind, self.spec
        self.mult = np.ones((len(kind), self.K))
        if COMPLEMENTARY in spec:
            c = spec[COMPLEMENTARY]
            window = (self.ahead < c.window_days).reshape(self.K, -1).mean(axis=1)
            self.mult[kind == COMPLEMENTARY] = 1.0 + (c.boost - 1.0) * window
        self.organic = np.ones(len(kind))
        if IMPULSE in spec:
            self.organic[kind == IMPULSE] = spec[IMPULSE].organic_exposure

    def renewals(self, lam, e, days) -> tuple:
        """(renew_a, renew_l, renew_c, jumps) of the renewing classes over `days` with
        the campaign's daily response e (V, 7) (its mean over the horizon)."""
        V, J = lam.shape
        kind, spec = self.cls.kind, self.spec
        renew_a = np.zeros((V, J, 2, self.C, self.K))
        renew_l = np.zeros((V, J, 1, 1, self.K))
        renew_c = np.zeros((V, J, 1, 1, self.K))
        jumps = np.ones((V, J, 1, 1, 1))
        if CONTRACTUAL in spec:
            con = kind == CONTRACTUAL
            due = (self.idle >= spec[CONTRACTUAL].period_days - days).mean(axis=1)
            renew_a[:, con] = due
            renew_l[:, con] = due
            renew_c[:, con] = due
        if RECURRENT in spec:
            self._recurrent(lam, e, days, renew_a, renew_l, renew_c, jumps)
        return renew_a, renew_l, renew_c, jumps

    def _recurrent(self, lam, e, days, renew_a, renew_l, renew_c, jumps):
        """Renewal probabilities of recurrent classes, from the last purchase: needs at
        Gamma intervals, each bought with the stage's share of wallet (the lapsed and
        churned shares with theirs: silence past the threshold changes the stage, not
        the clock of the needs)."""
        rec = self.cls.kind == RECURRENT
        sow = self.spec[RECURRENT].share_of_wallet
        u = self.campaign.uplift if self.campaign is not None else 0.0
        lr = lam[:, rec]

        def pi_of(stage):
            p = min(1.0, sow * self.tab[stage, BUY])
            return p + e[:, stage, None] * (min(1.0, p * (1.0 + u)) - p)      # (V, 1)

        r = np.concatenate([self.mid, self.mid + days])
        f_needs = self._needs(lr, r)
        for stage in np.unique(self.stage_a):
            g = self._renewal(f_needs, np.broadcast_to(pi_of(stage), lr.shape))
            g0, g1 = g[..., :self.K], g[..., self.K:]
            hit = (g1 - g0) / np.maximum(1.0 - g0, 1e-12)
            for w, c in zip(*np.nonzero(self.stage_a == stage)):
                renew_a[:, rec, w, c] = hit
        for stage, out in ((LAPSED, renew_l), (CHURNED, renew_c)):
            g = self._renewal(f_needs, np.broadcast_to(pi_of(stage), lr.shape))
            g0, g1 = g[..., :self.K], g[..., self.K:]
            out[:, rec, 0, 0] = (g1 - g0) / np.maximum(1.0 - g0, 1e-12)
        k = self.spec[RECURRENT].regularity
        f1 = gammainc(k, k * lr * 0.5 * days)
        jumps[:, rec] = (1.0 / (1.0 - np.minimum(0.95, pi_of(REPEAT) * f1)))[
            ..., None, None, None]

    # ---- projection --------------------------------------------------------------

    def _year_response(self, year, age_based):
        """The campaign's response by stage in a year (messages counted from day 0 for
        the base, from arrival for arrivals: at the year's middle)."""
        c = self.campaign
        if c is None:
            return np.zeros(7)
        mid = YEAR * (year + 0.5)
        if age_based:
            return c.response(mid / c.every)
        on = np.clip((YEAR * (year + 1) - c.start) / YEAR, 0.0, 1.0)
        return c.response(max(0.0, mid - c.start) / c.every) * on

    def _run_base(self, t, lam, renewals):
        leads, buyers = self.base
        V, dt = lam.shape[0], self.dt
        chain = Chain(t, np.broadcast_to(leads, lam.shape),
                      np.broadcast_to(buyers, (V,) + buyers.shape),
                      np.zeros((V, len(leads), self.K)))
        start = _stocks(chain)
        steps = Steps(lambda e, season, ren: self.inputs(lam, e, season, 1.0, ren))
        for s in range(self.steps):
            season = round(self.season[s] / SEASON_GRAIN) * SEASON_GRAIN
            steps.add(self._year_response(s * dt // YEAR, False), season, renewals,
                      float(dt), self.nat_base[s + 1] / max(self.nat_base[s], 1e-300))
        return start, chain.run(steps)

    def _run_cohort(self, t, lam, full, half):
        """Flows and stocks of one arrival (step 0: the half step of its arrival)."""
        sc, V, J = self.sc, lam.shape[0], lam.shape[1]
        dt = self.dt
        leads = np.zeros((V, J))
        buyers = np.zeros((V, J, 2, self.C, self.K))
        buying = sc.acquisition.arrive_as == "new"
        if buying:
            buyers[:, :, 0, 0, 0] = self.cls.prior
        else:
            leads[:] = self.cls.prior
        chain = Chain(t, leads, buyers, np.zeros((V, J, self.K)))
        nat = self.nat_cohort
        steps = Steps(lambda e, season, ren: self.inputs(lam, e, season, 1.0, ren))
        steps.add(self._year_response(0, True), self.mean_season, half, 0.5 * dt,
                  nat[1] / nat[0], age=False)
        for j in range(1, self.steps):
            e = self._year_response(int((j - 0.5) * dt) // YEAR, True)
            steps.add(e, self.mean_season, full, float(dt), nat[j + 1] / max(nat[j], 1e-300))
        out = chain.run(steps)
        if buying:                            # the first purchase, on arrival
            out[0, :, [POTENTIAL, FIRST]] += 1.0
        return out

    def project(self, variants=(Variant(),)) -> Projection:
        """Yearly figures of each variant (levers on top of the scenario's own).
        Variants that differ only in price (check, margin) share one run."""
        t, lam, V = self.tables(variants)
        motion = [np.concatenate([t.hazard[v], t.pdrop[v], lam[v]]).tobytes()
                  for v in range(V)]
        runs = sorted({motion.index(m) for m in motion})
        of = [runs.index(motion.index(m)) for m in motion]
        t_run = replace(t, hazard=t.hazard[runs], pdrop=t.pdrop[runs], paid=t.paid[runs],
                        margin=t.margin[runs])
        lam_run = lam[runs]
        e = np.broadcast_to(self._year_response(self.years / 2.0 - 0.5, False),
                            (len(runs), 7))
        full = self.renewals(lam_run, e, self.dt)
        half = self.renewals(lam_run, e, 0.5 * self.dt)
        start, base = self._run_base(t_run, lam_run, full)
        cohort = np.cumsum(self._run_cohort(t_run, lam_run, full, half), axis=0)
        per_step = self.sc.acquisition.inflow_per_day * self.dt
        flows = priced((base + per_step * cohort)[:, of], t.paid, t.margin)
        series = {name: flows[:, i] for i, name in enumerate(FLOWS)}
        return Projection(*yearly_figures(series, tuple(s[of] for s in start), self.dt,
                                          self.years, self.sc.horizon_days))


def _stocks(chain: Chain):
    """(active, alive) of a chain's current state, per variant."""
    t = chain.t
    active = ((chain.x * t.active_alive[None, :, None, None, :]).sum(axis=(1, 2, 3, 4))
              + (chain.dead * t.active_dead[None]).sum(axis=(1, 2)))
    return active, chain.x.sum(axis=(1, 2, 3, 4)) + chain.leads.sum(axis=1)
