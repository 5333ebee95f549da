"""What a send books into the day's flows, inside the contact kernel's call.

A trigger sends every day, and each send books ten sums: the channel's contacts,
responses, unsubscribes and cost (in the total and the channel's own), the mechanic's
contacts, responses and cost (contacts and incentives), and the incentives in the
total. As numpy element updates from Python that is ~3 us a send, a quarter of a
small run's send; here they are added in the kernel that counted them, in the order
the channel and then the mechanic book them.
"""

import numpy as np
from numba import njit

from models.layouts import O_RESPONSES, O_SENT, O_UNSUBSCRIBES

# The flows of a ledger, in order: the run's CRM cost, contacts, responses and
# unsubscribes, the channel's cost, the mechanic's contacts, responses and cost.
(L_CRM_COST, L_CONTACTS, L_RESPONSES, L_UNSUBSCRIBES, L_CHANNEL_COST, L_OWN_CONTACTS,
 L_OWN_RESPONSES, L_OWN_COST) = range(8)
R_COST_PER_CONTACT, R_OFFER_COST = range(2)      # the ledger's rates


def ledger(flows: tuple, cost_per_contact: float, offer_cost: float) -> tuple:
    """(the eight flows, in `L_*` order; the rates): a (mechanic, channel)'s ledger."""
    return tuple(flows), np.array([cost_per_contact, offer_cost], dtype=np.float64)


@njit(cache=True)
def book(day, totals, ledger):
    """Book a send's counters (`O_*`) on `day`: nothing if it sent nothing."""
    flows, rates = ledger
    sent = totals[O_SENT]
    if sent == 0:
        return
    responses = totals[O_RESPONSES]
    cost = sent * rates[R_COST_PER_CONTACT]
    flows[L_CRM_COST][day] += cost
    flows[L_CONTACTS][day] += sent
    flows[L_RESPONSES][day] += responses
    flows[L_UNSUBSCRIBES][day] += totals[O_UNSUBSCRIBES]
    flows[L_CHANNEL_COST][day] += cost
    flows[L_OWN_CONTACTS][day] += sent
    flows[L_OWN_RESPONSES][day] += responses
    offers = responses * rates[R_OFFER_COST]
    flows[L_OWN_COST][day] += cost
    flows[L_OWN_COST][day] += offers
    flows[L_CRM_COST][day] += offers
