"""Thread runtime settings for the numba kernels.

Numba's OpenMP threads spin for a long time between parallel regions by default. The
day loop runs a few short parallel kernels a day with Python in between, so spinning
threads compete with the Python thread for the cores; on a busy or small machine that
makes a day 10-100 times slower. Sleeping at once costs a wake-up per kernel instead.
A short spin, then sleep, is fastest on a quiet machine and safe on a busy one
(measured on bench_funnel, 2 cores). A user's own setting wins.
"""

import os


SPIN = "20000"


def prefer_short_spin() -> None:
    """Ask OpenMP threads to spin briefly, then sleep (before the first parallel kernel)."""
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = SPIN
