"""Thread runtime settings for the numba kernels.

Numba's OpenMP threads spin between parallel regions by default. The day loop runs a
few short parallel kernels a day with Python in between, so spinning threads compete
with the Python thread for the cores; on a busy or small machine that makes a day 10-100
times slower. Passive waiting lets idle threads sleep. A user's own setting wins.
"""

import os


def prefer_passive_wait() -> None:
    """Ask OpenMP threads to sleep when idle (before the first parallel kernel runs)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
