"""Random customer populations and the paired kernel/reference send of the contact tests.

Shared by the contact kernel's test files, so every one of them draws the same kind of
population and calls the kernel and its reference the same way.
"""

import contact_reference as CR
import kernel_reference as R
import numpy as np

from models import contact_kernel as ck
from models import contact_select as cs
from models.channels import DECAY_TABLE
from models.send_ledger import ledger

SEED_KEY = R.mix(4242)
MBIT = 4      # the mark the mechanic sets in its own state
DAY = 5000
ALL_RULE = CR.rule_tables()
FORCE_ALL = (np.uint64(0), np.inf, np.zeros((0, 1), dtype=np.int16))   # no funnel lists
# where the sends of tests that check no flows book them (days up to 65,535)
SCRATCH_LEDGER = ledger(tuple(np.zeros(65_536) for _ in range(8)), 0.5, 3.0)


def population(rng, size, day=DAY, max_gap=3000, cap=0.0):
    """Random customers covering every branch of the rule and of the send."""
    P = {
        "kh": np.frombuffer(rng.bytes(8 * size), dtype=np.uint64).copy(),
        "stage": rng.integers(0, 7, size).astype(np.int8),
        "flags": (np.where(rng.random(size) < 0.8, R.ALIVE, 0)
                  | np.where(rng.random(size) < 0.3, R.EXPOSED, 0)).astype(np.uint8),
        "dtype": rng.integers(0, 6, size).astype(np.int8),
        "last": np.where(rng.random(size) < 0.15, R.NEVER,
                         day - np.where(rng.random(size) < 0.05, 0,
                                        rng.integers(1, 1500, size))).astype(np.int32),
        "due": np.where(rng.random(size) < 0.3, R.FOREVER,
                        day + rng.integers(-40, 1300, size)).astype(np.int32),
        "boost": np.where(rng.random(size) < 0.8, 1.0,
                          rng.uniform(1, 3, size)).astype(np.float32),
        "p_hi": (rng.random(size) * 32768).astype(np.uint16),    # bounds in 2**-15
        "optin": rng.integers(0, 32, size).astype(np.uint8),
        "fatigue": np.where(rng.random(size) < 0.2, 0.0,
                            np.where(rng.random(size) < 0.1, 1.0,
                                     rng.random(size))).astype(np.float32),
        "touch_day": (day - np.where(rng.random(size) < 0.1, 0,
                                     rng.integers(0, max_gap, size))).astype(np.int32),
        "tokens": np.where(rng.random(size) < 0.3, 1e30,
                           rng.uniform(0, 7 * cap if cap > 0 else 2, size)
                           ).astype(np.float32),
    }
    P[CR.MARKS] = (P["kh"] >> np.uint64(56)).astype(np.uint8)   # no draw: keeps the rng
    P["offer_end"] = (day + (P["kh"] >> np.uint64(60)).astype(np.int32) - 8)   # idem
    return P


def random_rule(rng):
    stage = rng.random(7) < 0.75
    stage[rng.integers(0, 7)] = True
    kind = rng.random(6) < 0.75
    kind[rng.integers(0, 6)] = True
    return (stage, kind, rng.random(CR.RULE_DAYS) < 0.8, rng.random(CR.RULE_DAYS) < 0.8,
            np.uint8(0))


def kernel_args(A):
    """(S, C) of the contact kernel."""
    return (tuple(A[k] for k in CR.KERNEL_ORDER),
            tuple(A[k] for k in CR.CONTACT_ORDER) + (A[CR.MARKS],))


def kernel_pack(A, bit, mbit, table, chan, mech, rule, books=SCRATCH_LEDGER):
    """The contact kernel's `pack` of A's arrays, with no funnel lists: every responder
    is forced (the event key to pass beside it: `FORCE_ALL[0]`); the sends book in
    `books`."""
    return ck.pack(np.uint64(hold_key()), np.uint8(bit), np.uint8(mbit), *kernel_args(A),
                   FORCE_ALL[1], FORCE_ALL[2], table, chan, mech, rule, books)


def pow_table(decay):
    return np.array([decay**k for k in range(DECAY_TABLE)], dtype=np.float64)


def send_key(day, mechanic="email_campaign"):
    return R.day_key(SEED_KEY, R.decision("send." + mechanic), day)


def hold_key(mechanic="email_campaign"):
    """The mechanic's control-group key, as `Channels.holdout_key` derives it (no day in it)."""
    return R.day_key(SEED_KEY, R.decision("holdout." + mechanic), 0)


def run_both(P, lo, hi, day, bit, decay, chan, mech, rule, mbit=MBIT):
    """deliver_range and the reference on copies of P; (K, Q, kernel out, reference out);
    `mbit`: the mechanic's mark (0: no control group, nothing marked)."""
    key = send_key(day)
    table = pow_table(decay)
    chan = np.array(chan, dtype=np.float64)
    mech = np.array(list(mech) + [0.0] * (CR.N_MECH - len(mech)), dtype=np.float64)
    K = {k: v.copy() for k, v in P.items()}
    Q = {k: v.copy() for k, v in P.items()}
    out = np.zeros(ck.N_OUT, dtype=np.int64)
    ck.deliver_range(lo, hi, day, np.uint64(key), FORCE_ALL[0],
                     kernel_pack(K, bit, mbit, table, chan, mech, rule), out)
    ref = CR.contact_range(lo, hi, day, key, hold_key(), bit, mbit, Q, table, chan, mech, rule,
                          [0] * CR.N_OUT)
    return K, Q, [int(x) for x in out], ref


def picked(P, lo, hi, day, rule):
    return np.array([CR.rule_picks(P["stage"][i], P["dtype"][i], P["last"][i], P["due"][i],
                                  day, rule, P["flags"][i]) for i in range(lo, hi)],
                    dtype=np.bool_)


def kernel_select(P, lo, hi, day, rule):
    """The customers of [lo, hi) the kernel's sweep picks, as a mask of [lo, hi)."""
    idx = np.empty(hi - lo, dtype=np.int32)
    mode, dates, above = cs.sweep_plan(rule, day)
    m = cs.select(lo, hi, day, P["stage"], P["flags"], P["dtype"], P["last"], P["due"], rule,
                  mode, dates, above, idx)
    got = np.zeros(hi - lo, dtype=np.bool_)
    got[idx[:m] - lo] = True
    assert np.all(np.diff(idx[:m]) > 0)     # in customer order
    return got, mode
