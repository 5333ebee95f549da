"""The economic model's compiled run (models/econ_kernel.py) against its numpy reference.

`econ_reference` is the model's step as whole-grid numpy expressions. The kernel must
give the same flows at every step and the same end state within 1e-9 (relative to
each flow's scale: sums are taken in another order), on the real inputs of presets of
every demand type, baseline and lever variants together; and it must lose no
customer: without natural death or leads, buyers plus the dead are conserved, which
fails as soon as any move (group, count jump) of a buyer is dropped. Variants that
differ only in price share a run and keep the figures they have alone.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from apps.economics import economics_document
from econ_reference import coefs_reference, run_reference
from models.econ_chain import FLOWS, Chain, Steps, priced
from models.econ_kernel import MAX_JUMP
from models.econ_model import Model, Variant
from scenarios.loader import ScenarioFile
from sim import kernel_cache

ROOT = Path(__file__).resolve().parents[2]
RTOL = 1e-9
PRESETS = ("coffee_shop", "ecommerce_fashion", "telecom_subscription", "pet_food_recurrent",
           "bench_funnel", "auto_dealer")


def assert_same_flows(got, expected):
    """(steps, FLOWS, V) flows equal within RTOL of each flow's largest magnitude."""
    assert got.shape == expected.shape
    for i, name in enumerate(FLOWS):
        scale = np.abs(expected[:, i]).max()
        assert np.abs(got[:, i] - expected[:, i]).max() <= RTOL * scale, name


def assert_same_state(chain, ref):
    scale = chain.x.sum() + chain.dead.sum() + chain.leads.sum()
    for a, b in ((chain.x, ref.x), (chain.dead, ref.dead), (chain.leads, ref.leads)):
        assert np.abs(a - b).max() <= RTOL * scale


@pytest.mark.parametrize("name", PRESETS)
def test_the_kernel_runs_a_presets_document_as_the_numpy_reference(name, monkeypatch):
    runs = []
    kernel_run = Chain.run

    def both(chain, steps):
        ref = copy.deepcopy(chain)
        expected = run_reference(ref, steps)
        got = kernel_run(chain, steps)
        runs.append((priced(got, chain.t.paid, chain.t.margin), expected, chain, ref))
        return got

    monkeypatch.setattr(Chain, "run", both)
    economics_document(ScenarioFile(name))
    assert len(runs) == 4       # the base and the arrivals, of the baseline and the levers
    for got, expected, chain, ref in runs:
        assert_same_flows(got, expected)
        assert_same_state(chain, ref)


def _chain_and_steps(days: float, steps: int):
    """The coffee shop's buyers (no leads), baseline, a retention variant and one of
    0.3 more purchases a day (so that won-back buyers too buy up to MAX_JUMP times), through
    `steps` steps of `days` days without natural death; step 0 keeps silence still."""
    m = Model(ScenarioFile("coffee_shop").resolve("baseline"), 1)
    t, lam, V = m.tables([Variant(), Variant(churn=0.5), Variant(rate_add=0.3)])
    e = np.zeros(7)                                  # no campaign
    renewals = m.renewals(lam, np.zeros((V, 7)), days)
    plan = Steps(lambda e, season, ren: m.inputs(lam, e, season, 1.0, ren))
    for s in range(steps):
        plan.add(e, 1.0, renewals, days, 1.0, age=s > 0)
    leads, buyers = m.base
    chain = Chain(t, np.zeros((V, len(leads))), np.broadcast_to(buyers, (V,) + buyers.shape),
                  np.zeros((V, len(leads), m.K)))
    return chain, plan


def test_no_buyer_is_lost_and_every_move_is_taken():
    """Four-week steps of coffee buyers: several purchases a step, so every move of both
    groups (active, won back) and every count jump carries buyers; buyers plus the dead
    stay what they were at every step, and the kernel matches the reference."""
    chain, plan = _chain_and_steps(28.0, 12)
    go = coefs_reference(chain.t, plan.inputs[0], plan.days[0]).go       # (2, jumps, ...)
    moving = (go * chain.x).sum(axis=tuple(range(2, go.ndim)))
    assert moving.shape == (2, MAX_JUMP) and (moving > 0).all()
    ref = copy.deepcopy(chain)
    mass = chain.x.sum(axis=(1, 2, 3, 4)) + chain.dead.sum(axis=(1, 2))
    expected = run_reference(ref, plan)
    got = priced(chain.run(plan), chain.t.paid, chain.t.margin)
    assert_same_flows(got, expected)
    assert_same_state(chain, ref)
    after = chain.x.sum(axis=(1, 2, 3, 4)) + chain.dead.sum(axis=(1, 2))
    np.testing.assert_allclose(after, mass, rtol=1e-12)
    assert (chain.dead.sum(axis=(1, 2)) > 0.05 * mass).all()     # many did churn


def test_economics_from_an_empty_kernel_cache(tmp_path, monkeypatch):
    """A fresh process on an empty cache compiles the kernel and prints the document the
    warm process computes; the cache is still cold for the simulator's kernels."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    snowball = str(Path(sys.executable).parent / "snowball")
    out = subprocess.run([snowball, "economics", "bench_funnel", "--json"], cwd=ROOT, env=env,
                         text=True, capture_output=True, timeout=600)
    assert out.returncode == 0, out.stderr
    cold = json.loads(out.stdout)
    warm = economics_document(ScenarioFile("bench_funnel"))
    for a, b in zip(cold["years"], warm["years"], strict=True):
        assert a == pytest.approx(b, rel=1e-12)
    assert list(tmp_path.rglob("econ_kernel.*.nbi"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not kernel_cache.is_warm()


def test_price_only_variants_share_one_run_and_keep_their_own_figures(monkeypatch):
    """Baseline, +1% check and +1 point of margin move customers alike: one run of each
    chain serves the three, each priced at its own prices as if projected alone."""
    m = Model(ScenarioFile("coffee_shop").resolve("baseline"), 3)
    variants = [Variant(), Variant(spend=1.01), Variant(margin_add=0.01)]
    alone = [m.project([v]) for v in variants]
    widths = []
    kernel_run = Chain.run
    monkeypatch.setattr(Chain, "run", lambda chain, steps: (
        widths.append(chain.x.shape[0]), kernel_run(chain, steps))[1])
    together = m.project(variants)
    assert widths == [1, 1]                 # the base and the arrivals, one variant each
    for i, single in enumerate(alone):
        for field in ("revenue", "gross_margin", "active", "purchases", "retention"):
            np.testing.assert_allclose(getattr(together, field)[i], getattr(single, field)[0],
                                       rtol=1e-12)
    assert together.revenue[1].sum() == pytest.approx(1.01 * together.revenue[0].sum(),
                                                      rel=1e-12)
    assert together.gross_margin[2].sum() > together.gross_margin[0].sum()
