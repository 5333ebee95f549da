"""Plain-Python references of the contact kernel (models/contact_kernel.py) and of the
channels' opt-in draws, written from their docstrings like the rest of the references."""

from __future__ import annotations

import numpy as np

from kernel_reference import (
    ALIVE, ALWAYS, EXPOSED, F32, IMPULSE, NEVER, mix, nth, uniform32, uniform64,
)
# Rows of chan / mech / out and the order of the state tuples: the contact kernel's
# interface, written once in `models.layouts` (plain Python, no kernel).
from models.layouts import (  # noqa: F401  (re-exported: tests read them through CR)
    CH_DELIVERABILITY, CH_IRRELEVANT_STEP, CH_OPEN, CH_STEP, CH_UNSUBSCRIBE, M_CAP_PER_DAY,
    M_HOLDOUT, M_LIFT, M_OFFER_DAYS, M_QUOTA, M_RELEVANCE, M_RESPONSE, M_WANTED, N_CH,
    N_MECH, N_OUT, O_CAPPED, O_DELIVERED, O_DROPPED, O_HOLDOUT, O_RESPONSES, O_SENT,
    O_UNREACHABLE, O_UNSUBSCRIBES,
)
from models.layouts import CONTACT_KERNEL_STATES as KERNEL_ORDER
from models.layouts import CONTACT_STATES as CONTACT_ORDER

# ---------------------------------------------------------------- contacts (contact_kernel)

CHANNEL_ORDER = ("email", "sms", "push", "messenger", "call_centre")   # opt-in bit order
RULE_DAYS = 1024
CONTACT_CHUNK = 16384
MARKS = "picked"       # the mechanic's own marks of the customers it picked (last in C)
CONTACT_DTYPES = {"optin": np.uint8, "fatigue": np.float32, "touch_day": np.int32,
                  "tokens": np.float32, MARKS: np.uint8}

RULE_STAGES = ("potential", "new", "repeat", "loyal", "lapsed", "churned", "won_back")
RULE_KINDS = ("poisson", "recurrent", "complementary", "situational", "impulse", "contractual")


def rule_picks(stage, kind, last, due, day, rule, flags=0) -> bool:
    """The targeting rule: stage and demand type in their masks, every bit of the flag
    mask set in the customer's `flags`, days since the last purchase (NEVER and anything
    past the table count as RULE_DAYS - 1) and days until the due day (in the past or
    past the table: RULE_DAYS - 1) allowed by their tables."""
    stage_mask, kind_mask, since_ok, until_ok, need_flags = rule
    if not stage_mask[int(stage)] or not kind_mask[int(kind)]:
        return False
    if int(flags) & int(need_flags) != int(need_flags):
        return False
    since = RULE_DAYS - 1 if int(last) == NEVER else min(day - int(last), RULE_DAYS - 1)
    if not since_ok[since]:
        return False
    until = int(due) - day
    if not 0 <= until < RULE_DAYS:
        until = RULE_DAYS - 1
    return bool(until_ok[until])


def rule_tables(stages=None, kinds=None, since=None, until=None, flags=0):
    """Rule tables from name lists / day lists (None: any) and a flag mask (0: none)."""

    def days(values):
        if values is None:
            return np.ones(RULE_DAYS, dtype=np.bool_)
        t = np.zeros(RULE_DAYS, dtype=np.bool_)
        for v in values:
            if 0 <= v < RULE_DAYS - 1:
                t[v] = True
        return t

    return (np.array([stages is None or s in stages for s in RULE_STAGES]),
            np.array([kinds is None or k in kinds for k in RULE_KINDS]),
            days(since), days(until), np.uint8(flags))


def held_out(kh, hold_key, share) -> bool:
    """The holdout draw of a customer for one mechanic (the same on every send)."""
    return float(uniform32(mix(int(kh) ^ int(hold_key)))) < share


def decay_factor(table, dt) -> float:
    """decay**dt from the table (table[k] = decay**k); past it table[-1]**(dt / (len-1))."""
    n = len(table)
    return float(table[dt]) if dt < n else float(table[-1]) ** (dt / (n - 1))


def contact_range(lo, hi, day, key, hold_key, bit, mbit, S, decay, chan, mech, rule, out,
                  visits=None):
    """One send of one mechanic through one channel to customers [lo, hi), in place on
    the dict of arrays S (KERNEL_ORDER + CONTACT_ORDER + MARKS); counters are added to
    `out`.

    A customer picked by the rule is held out with probability `holdout` (a draw from
    the customer's key and the mechanic's holdout key, the same on every send), else needs the channel's opt-in bit, else
    (with a cap c > 0 contacts per day) a token: the bucket refills c per day since the
    last touch up to max(1, 7c) and a contact takes one; without a token the customer is capped.
    Fatigue decays lazily: f = fatigue * decay**(day - touch_day), and the touch day
    becomes today for capped and contacted customers (so a capped customer's fatigue is
    stored decayed, as the bucket's refill is). A sent message (it costs) arrives with
    probability deliverability (undelivered: fatigue f, nothing else). A delivered one
    is relevant with probability `relevance`; a relevant one is read with probability
    open_rate, and a reader responds with probability response_rate * (1 - f). It
    unsubscribes with probability unsubscribe_rate * (1 + 4f) (x3 if irrelevant),
    clearing the opt-in bit; fatigue becomes min(1, f + step), the step of relevant or
    irrelevant messages. An alive responder gets boost *= lift, the EXPOSED flag and
    p_hi = 2 (forced into the exact pass), and with offer days k > 0 holds the offer:
    offer_end = max(offer_end, day + k); dead responders are not counted. With the
    funnel's `visits` (event key, exposure lift, lists), p_hi is `responder_p_hi`'s.

    Draws: h = mix(kh ^ key); delivery nth(h, 0), relevance nth(h, 1), open nth(h, 2),
    response h itself, unsubscribe nth(h, 3).
    """
    key, bit = int(key), int(bit)
    cap = float(mech[M_CAP_PER_DAY])
    mech = list(mech) + [0.0] * (N_MECH - len(mech))     # no capacity limit by default
    quota, wanted, seen = float(mech[M_QUOTA]), float(mech[M_WANTED]), 0.0
    for i in range(lo, hi):
        if not rule_picks(S["stage"][i], S["dtype"][i], S["last"][i], S["due"][i], day,
                          rule, S["flags"][i]):
            continue
        kh = int(S["kh"][i])
        gate = _reachable(S, i, kh, day, hold_key, bit, mbit, decay, cap, mech, out)
        if gate is None:
            continue
        f, tok = gate
        if wanted > 0:     # selection sampling: exactly `quota` of `wanted` calls are made
            chosen = uniform64(nth(mix(kh ^ key), 4)) * (wanted - seen) < quota
            seen += 1.0
            if not chosen:
                out[O_DROPPED] += 1
                continue
            quota -= 1.0
        S["touch_day"][i] = day
        if cap > 0:
            S["tokens"][i] = F32(tok - 1.0)
        out[O_SENT] += 1
        h = mix(kh ^ key)
        if float(uniform32(nth(h, 0))) >= chan[CH_DELIVERABILITY]:
            S["fatigue"][i] = F32(f)
            continue
        _delivered(S, i, h, f, day, bit, chan, mech, out, visits)
    return out


def _reachable(S, i, kh, day, hold_key, bit, mbit, decay, cap, mech, out):
    """(decayed fatigue, tokens) of a picked customer the send may contact, or None when
    held out, not opted in or capped (counted in `out`; a capped one is touched)."""
    if mbit:   # picked: eligible (a mechanic without a control group marks nothing)
        S[MARKS][i] = np.uint8(int(S[MARKS][i]) | int(mbit))
    if held_out(kh, hold_key, float(mech[M_HOLDOUT])):
        out[O_HOLDOUT] += 1
        return None
    if int(S["optin"][i]) & bit == 0:
        out[O_UNREACHABLE] += 1
        return None
    dt = day - int(S["touch_day"][i])
    f = float(S["fatigue"][i]) * decay_factor(decay, dt)
    tok = min(max(1.0, 7.0 * cap), float(S["tokens"][i]) + dt * cap) if cap > 0 else 1.0
    if tok < 1.0:
        S["tokens"][i] = F32(tok)
        S["fatigue"][i] = F32(f)
        S["touch_day"][i] = day
        out[O_CAPPED] += 1
        return None
    return f, tok


def _delivered(S, i, h, f, day, bit, chan, mech, out, visits):
    """A message that arrived: relevance, reading, response, unsubscribing and the
    fatigue step; an alive responder is boosted, exposed and forced into the exact pass
    (or listed, `responder_p_hi`)."""
    out[O_DELIVERED] += 1
    relevant = float(uniform32(nth(h, 1))) < mech[M_RELEVANCE]
    respond = (relevant and float(uniform32(nth(h, 2))) < chan[CH_OPEN]
               and float(uniform32(h)) < float(mech[M_RESPONSE]) * (1.0 - f))
    quit_p = float(chan[CH_UNSUBSCRIBE]) * (1.0 + 4.0 * f) * (1.0 if relevant else 3.0)
    step = chan[CH_STEP] if relevant else chan[CH_IRRELEVANT_STEP]
    S["fatigue"][i] = F32(min(1.0, f + float(step)))
    if float(uniform32(nth(h, 3))) < quit_p:
        S["optin"][i] = np.uint8(int(S["optin"][i]) & ~bit & 0xFF)
        out[O_UNSUBSCRIBES] += 1
    if respond and int(S["flags"][i]) & ALIVE:
        S["boost"][i] = F32(float(S["boost"][i]) * float(mech[M_LIFT]))
        S["flags"][i] = np.uint8(int(S["flags"][i]) | EXPOSED)
        offer_days = int(mech[M_OFFER_DAYS])
        if offer_days > 0:
            S["offer_end"][i] = np.int32(max(int(S["offer_end"][i]), day + offer_days))
        if visits is None:
            S["p_hi"][i] = np.uint16(ALWAYS)
        else:
            ek, lift, lists = visits
            u = float(uniform32(mix(int(S["kh"][i]) ^ int(ek))))
            S["p_hi"][i] = responder_p_hi(i, u, day, offer_days, S["p_hi"][i], S["boost"][i],
                                          S["dtype"][i], S["offer_end"][i], lift, lists)
        out[O_RESPONSES] += 1


def exposure_lift(dem_tab) -> float:
    """How much an exposure can lift an impulse buyer's purchase probability: 1 / the
    unexposed share, at least 1 (infinite for a share of 0)."""
    share = float(dem_tab[IMPULSE, 0])
    return np.inf if share <= 0.0 else max(1.0, 1.0 / share)


def responder_p_hi(i, u, day, offer_days, p_hi, boost, kind, offer_end, lift, lists):
    """The p_hi of alive responder i after the response (boost, offer end: after it):
    forced (ALWAYS) with a personal offer, when the funnel's uniform u may fall under the
    bound p_hi stands for (p_hi / 2**15) x
    max(1, boost) x the exposure's lift (impulse demand) x (1 + 1e-6) (NaN: may), or
    when its chunk has no list or a full one; else listed in its chunk's row (count
    first, then offsets in the chunk), p_hi kept."""
    e = lift if kind == IMPULSE else 1.0
    reach = int(p_hi) / 32768.0 * max(1.0, float(boost)) * e * (1.0 + 1e-6)
    if offer_days > 0 or not u >= reach:
        return np.uint16(ALWAYS)
    row = i // CONTACT_CHUNK
    if row >= lists.shape[0] or lists[row, 0] >= lists.shape[1] - 1:
        return np.uint16(ALWAYS)
    lists[row, 0] += 1
    lists[row, lists[row, 0]] = i - row * CONTACT_CHUNK
    return p_hi


def contact_chunks(n_live, day, key, hold_key, bit, mbit, S, decay, chan, mech, rule,
                   visits=None):
    """`contact_range` over the kernel's chunks; one counter row per chunk."""
    rows = []
    for lo in range(0, n_live, CONTACT_CHUNK):
        out = [0] * N_OUT
        contact_range(lo, min(lo + CONTACT_CHUNK, n_live), day, key, hold_key, bit, mbit, S,
                      decay, chan, mech, rule, out, visits)
        rows.append(out)
    return np.array(rows, dtype=np.int64).reshape(-1, N_OUT)


def optin_bits(kh, key, shares) -> int:
    """Opt-in bits of one arriving customer: channel c with probability shares[c], from
    the draw uniform32(mix(mix(kh ^ key) + c + 1))."""
    h = mix(int(kh) ^ int(key))
    bits = 0
    for c, share in enumerate(shares):
        if float(uniform32(mix(h + c + 1))) < share:
            bits |= 1 << c
    return bits
