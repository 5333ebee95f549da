"""The sweep tests' fixtures (shared with the app's Sweeps tab tests)."""

from sweep_fixtures import sobol_sweep  # noqa: F401
