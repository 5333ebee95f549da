"""The behaviour and marketing models (their kernels are cached like the engine's)."""

from sim import kernel_cache  # noqa: F401
