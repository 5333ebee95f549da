"""The daily purchase intensity of situational demand (months and occasions)."""

import numpy as np


def season_curve(situational, days: int) -> np.ndarray:
    """Daily purchase intensity of situational demand: month factor times occasions."""
    day = np.arange(days)
    doy = day % 365
    month = np.minimum((doy * 12) // 365, 11)
    curve = np.asarray(situational.monthly_intensity, dtype=np.float64)[month]
    for occ in situational.occasions:
        inside = (doy - occ.day_of_year) % 365 < occ.days
        curve = np.where(inside, curve * occ.lift, curve)
    return curve
