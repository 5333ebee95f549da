"""The sweep tests' fixtures (shared with the app's Sweeps tab tests)."""

from sweep_fixtures import SOBOL, run_serial, sobol_sweep, write_spec  # noqa: F401
