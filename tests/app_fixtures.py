"""Sizes and strategies shared by the app's tests, importable by a unique name (two
test folders have a conftest, so `from conftest import` would be ambiguous)."""

SMALL = dict(customers=600, years=0.5, reps=2, seed=11)
STRATEGIES = ["baseline", "retention_plus", "crm_programme"]
