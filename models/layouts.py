"""The kernels' interfaces, written once: the customer arrays each kernel takes (in
the order of its state tuple) and the rows and columns of its parameter, counter and
accumulator tables.

The kernels and their plain-Python references in `tests/kernels/` import these names,
so a slot added here is added for both; nothing else numbers them. Plain Python: no
kernel is compiled by importing this module.
"""

# ---------------------------------------------------------------- funnel (funnel_kernel)

# Customer arrays, in the order of the tuple `S` the kernels take.
STATE_ORDER = ("kh", "arrival", "stage", "flags", "dtype", "purchases", "last", "lam", "nu",
               "pdrop", "need_end", "due", "t_next", "p_hi", "rel_buy", "rel_churn",
               "boost", "revenue", "offer_end")

# Scalar parameters (rows of the float64 vector `par`).
(P_LOYAL_AFTER, P_LAPSED_AFTER, P_CHURNED_AFTER, P_POISSON_ORDERS, P_GROSS_MARGIN,
 P_RATE_ADD, P_SPEND_KIND, P_SPEND_P, P_SPEND_CONST, P_SEASON_MAX, P_CHURN_MULT,
 P_SPEND_MULT, P_WON_BACK, P_LEAD_BUY, P_LEAD_BUY_MAX, P_PROMO_PRICE, P_PROMO_RESPONSE,
 P_OFFER_PRICE, P_OFFER_RESPONSE, P_CART_INTENT, P_ITEMS_EXTRA, P_XSELL_PRICE, P_XSELL_MARGIN,
 P_UPSELL_MARGIN, P_INFLOW_LIFT, N_PAR) = range(26)

# Demand table columns (one row per demand type).
D_A, D_B = 0, 1

# Per-chunk accumulators.
(A_REVENUE, A_MARGIN, A_DISCOUNT, A_ORDERS, A_BUYERS, A_FIRST, A_REVENUE_FIRST,
 A_REPEAT_ORDERS, A_REVENUE_REPEAT, A_DIED_PREMATURE, A_DIED_NATURAL, A_LEADS_LOST,
 A_WON_BACK, A_RETURNING, A_ITEMS, A_ADDON_REVENUE, A_CARTS, A_OFFER_BUYERS,
 A_OFFER_BUYERS_ANYWAY, A_OFFER_DISCOUNT, A_OFFER_DISCOUNT_ANYWAY, N_ACC) = range(22)

# Cohort bins: revenue, margin, distinct buyers in the month.
C_REVENUE, C_MARGIN, C_BUYERS, N_COH = range(4)

# Per-day stream keys (rows of `dks`).
K_EVENT, K_ORDERS, K_SPEND, K_DROP, K_DUE, K_CANCEL, K_ITEMS, N_KEYS = range(8)


# ---------------------------------------------------------------- contact (contact_kernel)

# Customer arrays the contact kernel reads and writes (the tuple `S`), then the contact
# state of the channel layer (the tuple `C`, which ends with the mechanic's own marks).
CONTACT_KERNEL_STATES = ("kh", "stage", "flags", "dtype", "last", "due", "boost", "p_hi",
                 "offer_end")
CONTACT_STATES = ("optin", "fatigue", "touch_day", "tokens")

# Channel parameters (rows of `chan`).
(CH_DELIVERABILITY, CH_OPEN, CH_UNSUBSCRIBE, CH_STEP, CH_IRRELEVANT_STEP, N_CH) = range(6)
# Mechanic parameters (rows of `mech`).
(M_RESPONSE, M_LIFT, M_RELEVANCE, M_HOLDOUT, M_CAP_PER_DAY, M_QUOTA, M_WANTED,
 M_OFFER_DAYS, N_MECH) = range(9)
# Counters returned by `deliver` (rows of `out`).
(O_SENT, O_DELIVERED, O_RESPONSES, O_UNSUBSCRIBES, O_UNREACHABLE, O_CAPPED, O_HOLDOUT,
 O_DROPPED, N_OUT) = range(9)
