"""Sweeps: designs over a scenario's parameters, run by an executor into a resumable
Parquet store, and their analysis (Sobol', Morris, PRIM)."""
