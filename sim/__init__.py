"""The simulation engine. Importing it first points numba's cache at the current sources."""

from sim import kernel_cache  # noqa: F401
