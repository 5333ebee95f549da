"""The numeric behaviour model handed to the kernels: tables and encoded traits.

Scenarios (pydantic, with units and sources) are turned into this plain bundle of
numpy arrays once per strategy, so the kernels never touch Python objects and every
lever a strategy moves lands in exactly one number here.
"""

from dataclasses import dataclass, field

import numpy as np

from models import layouts as lay
from models.stages import DEMAND_TYPES, FOREVER, N_STAGE_COLS, STAGES


@dataclass
class Behaviour:
    """Everything the funnel and acquisition kernels need to know about customers."""

    purchase_rate: np.ndarray          # trait, per day
    dropout: np.ndarray                # trait, probability after each repeat purchase
    spend_rate: np.ndarray             # trait: Gamma-Gamma nu (unused for a fixed check)
    need_lifetime: np.ndarray | None   # trait, days; None: the need never ends
    stage_tab: np.ndarray              # (stage, BUY/HAZARD/SPEND/PRICE/XSELL/UPSELL)
    dem_tab: np.ndarray                # (demand type, parameter)
    demand_share: np.ndarray           # share of arriving customers by demand type
    season: np.ndarray                 # purchase intensity of situational demand, per day
    loyal_after: int = 4
    lapsed_after: int = 90
    churned_after: int | None = None
    won_back_stage: bool = True        # False: a returning customer is staged by count
    poisson_orders: bool = True
    gross_margin: float = 0.3
    rate_add: float = 0.0              # extra purchases per day (frequency lever)
    spend_p: float = 0.0               # Gamma-Gamma p; 0 means a fixed check
    spend_fixed: float = 0.0
    churn_mult: float = 1.0            # premature churn lever
    spend_mult: float = 1.0            # check lever
    items_per_order: float = 1.0       # mean items in the core basket (a KPI)
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.stage_tab.shape != (len(STAGES), N_STAGE_COLS):
            raise ValueError(f"stage table must be {len(STAGES)}x{N_STAGE_COLS}")
        if self.dem_tab.shape[0] != len(DEMAND_TYPES):
            raise ValueError(f"demand table needs {len(DEMAND_TYPES)} rows")

    def par(self) -> np.ndarray:
        """The scalar parameter vector of the funnel kernel."""
        p = np.zeros(lay.N_PAR, dtype=np.float64)
        p[lay.P_LOYAL_AFTER] = self.loyal_after
        p[lay.P_LAPSED_AFTER] = self.lapsed_after
        p[lay.P_CHURNED_AFTER] = FOREVER if self.churned_after is None else self.churned_after
        p[lay.P_POISSON_ORDERS] = 1.0 if self.poisson_orders else 0.0
        p[lay.P_GROSS_MARGIN] = self.gross_margin
        p[lay.P_RATE_ADD] = self.rate_add
        p[lay.P_SPEND_KIND] = 1.0 if self.spend_p > 0 else 0.0
        p[lay.P_SPEND_P] = self.spend_p
        p[lay.P_SPEND_CONST] = self.spend_fixed
        p[lay.P_SEASON_MAX] = float(self.season.max()) if self.season.size else 1.0
        p[lay.P_CHURN_MULT] = self.churn_mult
        p[lay.P_SPEND_MULT] = self.spend_mult
        p[lay.P_WON_BACK] = 1.0 if self.won_back_stage else 0.0
        p[lay.P_ITEMS_EXTRA] = self.items_per_order - 1.0
        # levers that mechanics move: neutral until one does
        for row in (lay.P_LEAD_BUY, lay.P_LEAD_BUY_MAX, lay.P_PROMO_PRICE, lay.P_OFFER_PRICE,
                    lay.P_CART_INTENT):
            p[row] = 1.0
        return p
