"""The contact kernel (models/contact_kernel.py) and the Channels module around it.

`kernel_reference.contact_range` is the documented rule of one send written in plain
Python: selection by the rule tables, holdout, opt-in, frequency-cap bucket, lazy
fatigue decay, delivery, relevance, reading, response, unsubscribing and fatigue steps.
The kernel must agree with it exactly on random populations: every state array and
every counter. The decay table passed to both is built with Python's pow, so the
products agree bit for bit; past the table (gaps of 4096+ days) the kernel extrapolates
as table[-1] ** (dt / 4095), equal to decay**dt up to rounding.

Then: `deliver` is `deliver_range` chunk by chunk whatever the thread count; the
opt-in draw has the configured shares, independently per channel; and through small
simulations, the bookkeeping of a `Sender` (reach, caps, holdout, costs).
"""

import contact_reference as CR
import kernel_reference as R
import numba
import numpy as np
import pytest
from contact_population import (
    ALL_RULE, DAY, FORCE_ALL, MBIT, hold_key, kernel_args, kernel_pack, kernel_select,
    picked, population, pow_table, random_rule, run_both, send_key)

from models import sender
from models import contact_kernel as ck
from models.channels import CHANNELS, DECAY_TABLE, Rule
from models.send_ledger import (
    L_CHANNEL_COST, L_CONTACTS, L_CRM_COST, L_OWN_CONTACTS, L_OWN_COST, L_OWN_RESPONSES,
    L_RESPONSES, L_UNSUBSCRIBES, ledger,
)


def test_layout_matches_reference():
    assert (ck.CH_DELIVERABILITY, ck.CH_OPEN, ck.CH_UNSUBSCRIBE, ck.CH_STEP,
            ck.CH_IRRELEVANT_STEP, ck.N_CH) == tuple(range(6))
    assert (ck.M_RESPONSE, ck.M_LIFT, ck.M_RELEVANCE, ck.M_HOLDOUT, ck.M_CAP_PER_DAY,
            ck.M_QUOTA, ck.M_WANTED, ck.M_OFFER_DAYS, ck.N_MECH) == tuple(range(9)) == (
            CR.M_RESPONSE, CR.M_LIFT, CR.M_RELEVANCE, CR.M_HOLDOUT, CR.M_CAP_PER_DAY, CR.M_QUOTA,
            CR.M_WANTED, CR.M_OFFER_DAYS, CR.N_MECH)
    assert (ck.O_SENT, ck.O_DELIVERED, ck.O_RESPONSES, ck.O_UNSUBSCRIBES, ck.O_UNREACHABLE,
            ck.O_CAPPED, ck.O_HOLDOUT, ck.O_DROPPED, ck.N_OUT) == tuple(range(9))
    assert (ck.RULE_DAYS, ck.CHUNK) == (CR.RULE_DAYS, CR.CONTACT_CHUNK)
    assert CHANNELS == CR.CHANNEL_ORDER
    assert sender.KERNEL_STATES == CR.KERNEL_ORDER and sender.CONTACT_STATES == CR.CONTACT_ORDER


# name: (bit, decay, chan (deliverability, open, unsubscribe, step, irrelevant step),
#        mech (response, lift, relevance, holdout, cap per day), random rule?)
SETS = {
    "plain": (1, 0.98, (1.0, 1.0, 0.0, 0.05, 0.15), (0.10, 3.0, 1.0, 0.0, 0.0), False),
    "lossy": (2, 0.98, (0.8, 0.6, 0.02, 0.05, 0.15), (0.3, 2.0, 0.7, 0.1, 0.0), True),
    "capped": (4, 0.95, (0.9, 0.7, 0.05, 0.1, 0.3), (0.5, 1.5, 0.8, 0.2, 2 / 7), True),
    "tight_cap": (16, 0.9, (1.0, 1.0, 0.3, 0.4, 0.9), (1.0, 1.0, 0.5, 0.0, 1 / 7), False),
    "odd_cap": (8, 1.0, (0.5, 0.9, 0.1, 0.0, 1.0), (0.7, 1.25, 0.9, 0.05, 3 / 7), True),
    "irrelevant": (1, 0.99, (0.95, 1.0, 0.05, 0.2, 0.2), (1.0, 2.0, 0.0, 0.5, 0.0), True),
    # a personal offer (mech's offer days, after quota and wanted): readers hold it 10 days
    "offer": (2, 0.98, (0.9, 0.8, 0.0, 0.05, 0.15), (0.6, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 10),
              False),
    # nothing left to chance but the response (the branch-free pass), with an offer
    "sure_offer": (1, 0.97, (1.0, 1.0, 0.0, 0.1, 0.15), (0.4, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 7),
                   False),
}


@pytest.mark.parametrize("name", list(SETS))
def test_deliver_range_matches_reference_exactly(name):
    bit, decay, chan, mech, random_r = SETS[name]
    seed = list(SETS).index(name)
    rng = np.random.default_rng(100 + seed)
    size, lo, hi = 9000, 101, 8943
    cap = mech[CR.M_CAP_PER_DAY]
    P = population(rng, size, cap=cap)
    rule = random_rule(rng) if random_r else ALL_RULE
    K, Q, got, ref = run_both(P, lo, hi, DAY, bit, decay, chan, mech, rule)
    assert got == ref
    for k in P:
        assert np.array_equal(K[k], Q[k]), k
    # customers outside [lo, hi) and the keys are untouched
    for k in P:
        assert np.array_equal(K[k][:lo], P[k][:lo]), k
        assert np.array_equal(K[k][hi:], P[k][hi:]), k
    assert np.array_equal(K["kh"], P["kh"])
    # the counters add up: every picked customer is held out, unreachable, capped or sent
    sel = picked(P, lo, hi, DAY, rule)
    assert (got[CR.O_HOLDOUT] + got[CR.O_UNREACHABLE] + got[CR.O_CAPPED] + got[CR.O_SENT]
            == sel.sum())
    assert sel.sum() < hi - lo or not random_r
    # non-picked customers are untouched
    idx = np.arange(lo, hi)[~sel]
    for k in P:
        assert np.array_equal(K[k][idx], P[k][idx]), k
    # every stage and demand type was picked and contacted somewhere
    touched = np.flatnonzero(K["touch_day"] != P["touch_day"])
    assert touched.size > 0
    if not random_r:
        assert set(K["stage"][touched]) == set(range(7))
        assert set(K["dtype"][touched]) == set(range(6))
    # the branches the parameters allow were taken
    assert got[CR.O_UNREACHABLE] > 0 and got[CR.O_SENT] > 500
    assert (got[CR.O_HOLDOUT] > 0) == (mech[CR.M_HOLDOUT] > 0)
    assert (got[CR.O_CAPPED] > 0) == (cap > 0)
    assert (got[CR.O_DELIVERED] < got[CR.O_SENT]) == (chan[CR.CH_DELIVERABILITY] < 1)
    assert (got[CR.O_UNSUBSCRIBES] > 0) == (chan[CR.CH_UNSUBSCRIBE] > 0)
    assert (got[CR.O_RESPONSES] > 0) == (mech[CR.M_RELEVANCE] > 0)
    # unsubscribing clears exactly this channel's bit
    lost = P["optin"] & ~K["optin"]
    assert set(np.unique(lost)) <= {0, bit}
    assert np.count_nonzero(lost) == got[CR.O_UNSUBSCRIBES]
    # a response is an exposure: only alive customers are forced, and flags gain EXPOSED
    gained = (K["flags"] & R.EXPOSED) & ~P["flags"]
    assert np.array_equal(K["flags"] & ~np.uint8(R.EXPOSED), P["flags"] & ~np.uint8(R.EXPOSED))
    assert np.all(K["p_hi"][gained != 0] == R.ALWAYS)
    forced = (K["p_hi"] == R.ALWAYS) & (P["p_hi"] != R.ALWAYS)
    assert np.all(K["flags"][forced] & R.ALIVE)
    assert forced.sum() == got[CR.O_RESPONSES]
    # a personal offer is held by exactly the responders, until day + offer days
    offered = K["offer_end"] != P["offer_end"]
    if len(mech) > CR.M_OFFER_DAYS:
        assert np.all(K["offer_end"][offered] == DAY + mech[CR.M_OFFER_DAYS])
        assert np.all(forced[offered]) and offered.sum() > 0
    else:
        assert not offered.any()


@pytest.mark.parametrize("name", ["plain", "sure_offer"])
def test_sure_sends_match_reference_exactly(name):
    """A send where only the response is left to chance, without a control group, to
    customers picked by stage and flags, takes the kernel's branch-free pass: it matches
    the reference exactly, customers last touched beyond the decay table included."""
    bit, decay, chan, mech, _ = SETS[name]
    rng = np.random.default_rng(31)
    P = population(rng, 9000, max_gap=2 * DECAY_TABLE)
    stages = np.ones(7, dtype=np.bool_)
    stages[[2, 5]] = False
    rule = (stages,) + ALL_RULE[1:4] + (np.uint8(R.ALIVE),)
    for rule in (ALL_RULE, rule):
        assert ck.sweep_plan(rule, DAY)[0] == ck.BY_STAGE
        K, Q, got, ref = run_both(P, 37, 8990, DAY, bit, decay, chan, mech, rule, mbit=0)
        assert got == ref
        for k in P:
            assert np.array_equal(K[k], Q[k]), k
        far = (DAY - P["touch_day"] >= DECAY_TABLE) & (K["touch_day"] == DAY)
        assert far.any() and got[CR.O_RESPONSES] > 0 and got[CR.O_UNREACHABLE] > 0


def test_capped_days_keep_decaying_fatigue():
    bit, decay, chan, mech, _ = SETS["capped"]
    rng = np.random.default_rng(7)
    P = population(rng, 4000, cap=mech[CR.M_CAP_PER_DAY])
    K, Q, got, ref = run_both(P, 0, 4000, DAY, bit, decay, chan, mech, ALL_RULE)
    assert got[CR.O_CAPPED] > 0
    assert np.array_equal(K["fatigue"], Q["fatigue"])


def test_a_flag_mask_picks_exactly_the_customers_with_those_bits():
    """Rule(flags=CART) targets exactly the customers whose flags carry CART (and the
    rule's stages); a mask of two bits needs both; 0 is no requirement."""
    rng = np.random.default_rng(12)
    size = 12_000
    P = population(rng, size)
    cart = rng.random(size) < 0.25
    P["flags"] |= np.where(cart, R.CART, 0).astype(np.uint8)
    P["optin"][:] = 1
    stages = ("new", "repeat", "loyal", "won_back")
    in_stage = np.isin(P["stage"], [CR.RULE_STAGES.index(s) for s in stages])
    alive = (P["flags"] & R.ALIVE) != 0
    for flags, expect in ((R.CART, cart & in_stage), (R.CART | R.ALIVE, cart & alive & in_stage),
                          (0, in_stage)):
        rule = Rule(stages=stages, flags=flags).tables()
        ref = CR.rule_tables(stages=stages, flags=flags)
        for g, r in zip(rule, ref):
            assert np.array_equal(g, r)
        got, _ = kernel_select(P, 0, size, DAY, rule)
        assert np.array_equal(got, expect)
        K, Q, out, ref_out = run_both(P, 0, size, DAY, 1, 0.98, (1.0, 1.0, 0.0, 0.05, 0.15),
                                      (0.3, 2.0, 1.0, 0.0, 0.0), rule)
        assert out == ref_out and out[CR.O_SENT] == expect.sum()
        for k in P:
            assert np.array_equal(K[k], Q[k]), k
        touched = K["touch_day"] != P["touch_day"]
        assert np.array_equal(touched, expect & (P["touch_day"] != DAY))
        counts = np.zeros(1, dtype=np.int64)
        ck.count_reachable(size, DAY, np.uint64(hold_key()), np.uint8(1), *kernel_args(P),
                           np.array([0.3, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0]), rule, counts)
        assert counts[0] == expect.sum()
    with pytest.raises(ValueError, match="flag"):
        Rule(stages=stages, flags=256)


def test_deliver_past_the_decay_table():
    """Gaps of 4096 to 40,000 days: the extrapolated decay equals decay**dt to rounding,
    so fatigue agrees to float32 precision and everything else exactly."""
    rng = np.random.default_rng(3)
    size, day = 4000, 50_000
    P = population(rng, size, day)
    P["touch_day"][:] = day - rng.integers(DECAY_TABLE, 40_000, size)
    for decay in (0.9999, 0.999):
        K, Q, got, ref = run_both(P, 0, size, day, 1, decay, (0.9, 0.8, 0.05, 0.05, 0.15),
                                  (0.5, 3.0, 0.8, 0.0, 0.0), ALL_RULE)
        assert got == ref and got[CR.O_RESPONSES] > 100
        np.testing.assert_allclose(K["fatigue"], Q["fatigue"], rtol=1e-6, atol=0)
        for k in P:
            if k != "fatigue":
                assert np.array_equal(K[k], Q[k]), k


@pytest.mark.parametrize("deliverability,open_rate,relevance", [(1.0, 1.0, 1.0),
                                                                (0.9, 0.5, 0.8)])
def test_response_rate_without_fatigue(deliverability, open_rate, relevance):
    """Untired, alive, reachable targets respond with probability deliverability x
    relevance x open_rate x response_rate: within 4 standard errors (fixed keys)."""
    rng = np.random.default_rng(8)
    size, rate = 100_000, 0.1
    P = population(rng, size)
    P["fatigue"][:] = 0.0
    P["flags"][:] = R.ALIVE
    P["optin"][:] = 1
    K, Q, got, ref = run_both(P, 0, size, DAY, 1, 0.98,
                              (deliverability, open_rate, 0.0, 0.05, 0.15),
                              (rate, 3.0, relevance, 0.0, 0.0), ALL_RULE)
    assert got == ref and got[CR.O_SENT] == size
    p = deliverability * open_rate * relevance * rate
    se = np.sqrt(p * (1 - p) / size)
    assert abs(got[CR.O_RESPONSES] / size - p) < 4 * se
    if deliverability == 1.0 and relevance == 1.0:
        assert np.all(K["fatigue"] == np.float32(0.05))


# ---------------------------------------------------------------- deliver (parallel)


def test_deliver_is_deliver_range_per_chunk_whatever_the_threads():
    rng = np.random.default_rng(21)
    size = 3 * ck.CHUNK + 2500
    n_live = size - 300
    P = population(rng, size, cap=2 / 7)
    key = np.uint64(send_key(DAY))
    table = pow_table(0.98)
    chan = np.array([0.9, 0.7, 0.05, 0.1, 0.3])
    mech = np.array([0.5, 2.0, 0.8, 0.1, 2 / 7, 0.0, 0.0, 0.0])
    rule = random_rule(rng)
    chunks = (n_live + ck.CHUNK - 1) // ck.CHUNK
    E = {k: v.copy() for k, v in P.items()}
    expect = np.zeros((chunks, ck.N_OUT), dtype=np.int64)
    for c in range(chunks):
        ck.deliver_range(c * ck.CHUNK, min((c + 1) * ck.CHUNK, n_live), DAY, key,
                         FORCE_ALL[0], kernel_pack(E, 4, MBIT, table, chan, mech, rule),
                         expect[c])
    assert np.all(expect[:, ck.O_SENT] > 50)
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            K = {k: v.copy() for k, v in P.items()}
            # stale counters from an earlier send: the kernel writes them, it does not add
            out = np.full((chunks, ck.N_OUT), 7, dtype=np.int64)
            totals = np.full(ck.N_OUT, -1, dtype=np.int64)
            ck.deliver(n_live, DAY, key, FORCE_ALL[0],
                       kernel_pack(K, 4, MBIT, table, chan, mech, rule), out, totals)
            assert np.array_equal(out, expect), threads
            assert np.array_equal(totals, expect.sum(axis=0)), threads
            for k in P:
                assert np.array_equal(K[k], E[k]), (threads, k)
                assert np.array_equal(K[k][n_live:], P[k][n_live:]), (threads, k)
    finally:
        numba.set_num_threads(before)


# ---------------------------------------------------------------- opt-in draw


def eligible_count(P, lo, hi, day, bit, holdout, rule, cap=0.0):
    """Would-be calls: picked by the rule, outside the control group, opted in, and with
    a token of the frequency cap."""
    def has_token(i):
        dt = day - int(P["touch_day"][i])
        return cap <= 0 or min(max(1.0, 7.0 * cap), float(P["tokens"][i]) + dt * cap) >= 1.0
    return sum(1 for i in range(lo, hi)
               if CR.rule_picks(P["stage"][i], P["dtype"][i], P["last"][i], P["due"][i], day,
                               rule, P["flags"][i])
               and not CR.held_out(P["kh"][i], hold_key(), holdout)
               and int(P["optin"][i]) & bit and has_token(i))


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_capacity_makes_exactly_the_quota_of_calls(share):
    """Selection sampling: of `wanted` would-be calls exactly `quota` are made (no caps),
    the rest are dropped, and the kernel agrees with the reference bit for bit."""
    rng = np.random.default_rng(int(share * 10) + 3)
    P = population(rng, 6000, cap=0.0)
    bit, holdout = 2, 0.2
    wanted = eligible_count(P, 0, 6000, DAY, bit, holdout, ALL_RULE)
    quota = float(int(share * wanted))
    mech = [0.3, 2.0, 1.0, holdout, 0.0, quota, float(wanted)]
    K, Q, got, ref = run_both(P, 0, 6000, DAY, bit, 0.98, (1.0, 1.0, 0.0, 0.05, 0.15), mech,
                              ALL_RULE)
    assert got == ref
    for name in P:
        assert np.array_equal(K[name], Q[name]), name
    assert got[CR.O_SENT] == quota
    assert got[CR.O_DROPPED] == wanted - quota


@pytest.mark.parametrize("cap", [0.0, 1 / 7])
def test_count_reachable_counts_the_would_be_calls(cap):
    rng = np.random.default_rng(17)
    P = population(rng, 2 * ck.CHUNK + 500, cap=cap)
    n, bit, holdout = 2 * ck.CHUNK + 400, 1, 0.15
    mech = np.array([0.3, 2.0, 1.0, holdout, cap, 0.0, 0.0, 0.0])
    counts = np.zeros(3, dtype=np.int64)
    ck.count_reachable(n, DAY, np.uint64(hold_key()), np.uint8(bit), *kernel_args(P), mech,
                       ALL_RULE, counts)
    expected = [eligible_count(P, lo, min(lo + ck.CHUNK, n), DAY, bit, holdout, ALL_RULE, cap)
                for lo in range(0, n, ck.CHUNK)]
    assert counts.tolist() == expected


# ---------------------------------------------------------------- the send's ledger


def test_a_send_books_its_counters_in_the_ledger_on_its_day():
    """The channel's and the mechanic's flows get the send's contacts, responses,
    unsubscribes and costs (contacts at 0.75 each, incentives at 2.5 a response) on its
    day and on no other, the same whether one serial pass or the parallel chunks sent;
    a send that reached nobody books nothing."""
    rng = np.random.default_rng(8)
    size = 2 * ck.CHUNK + 900
    P = population(rng, size)
    key = np.uint64(send_key(DAY))
    chan = np.array([0.9, 0.7, 0.05, 0.1, 0.3])
    mech = np.array([0.5, 2.0, 0.8, 0.0, 0.0, 0.0, 0.0, 0.0])
    rule, table = random_rule(rng), pow_table(0.98)
    start = rng.random((8, DAY + 2))

    def send(kernel, rule):
        books = ledger(tuple(row.copy() for row in start), 0.75, 2.5)
        K = {k: v.copy() for k, v in P.items()}
        out = np.zeros((3, ck.N_OUT), dtype=np.int64)
        totals = np.zeros(ck.N_OUT, dtype=np.int64)
        pack = kernel_pack(K, 4, 0, table, chan, mech, rule, books)
        if kernel is ck.deliver:
            ck.deliver(size, DAY, key, FORCE_ALL[0], pack, out, totals)
        else:
            ck.deliver_range(0, size, DAY, key, FORCE_ALL[0], pack, totals)
        return np.array(books[0]), totals

    flows, totals = send(ck.deliver_range, rule)
    sent, responses = totals[ck.O_SENT], totals[ck.O_RESPONSES]
    assert sent > 1000 and responses > 0 and totals[ck.O_UNSUBSCRIBES] > 0
    cost, offers = sent * 0.75, responses * 2.5
    added = {L_CRM_COST: cost + offers, L_CONTACTS: sent, L_RESPONSES: responses,
             L_UNSUBSCRIBES: totals[ck.O_UNSUBSCRIBES], L_CHANNEL_COST: cost,
             L_OWN_CONTACTS: sent, L_OWN_RESPONSES: responses, L_OWN_COST: cost + offers}
    for row, amount in added.items():
        assert flows[row, DAY] - start[row, DAY] == pytest.approx(amount, rel=1e-12), row
    assert np.array_equal(np.delete(flows, DAY, axis=1), np.delete(start, DAY, axis=1))
    in_parallel, _ = send(ck.deliver, rule)
    assert np.array_equal(in_parallel, flows)
    nobody = (np.zeros(7, dtype=bool), *rule[1:])      # a rule no stage passes
    untouched, totals = send(ck.deliver_range, nobody)
    assert totals[ck.O_SENT] == 0 and np.array_equal(untouched, start)
