"""What a benchmark ran on: timings mean something only beside the processor, the
instruction set the kernels were compiled for and the load of the machine.

The kernels are compiled for the host (numba's target CPU and features), and some take
a different path by the features: customer lists use AVX-512's vector compress where
the target has it and write the marked lanes bit by bit elsewhere (`sim.compress`).
"""

import os
import platform

import numba
import numpy as np
from llvmlite import binding as llvm
from numba import config

from sim.compress import native_compress, target_features


def _processor_model() -> str:
    """The processor's model name (Linux), else what `platform` says."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """The machine, the numba target and the software versions, for a benchmark's JSON."""
    features = target_features()
    return {"cpu": platform.machine(), "processor": _processor_model(),
            "numba_target_cpu": config.CPU_NAME or llvm.get_host_cpu_name(),
            "vector_extensions": sorted(f[1:] for f in features
                                        if f in ("+avx2", "+avx512f", "+neon", "+sve")),
            "lists_by_vector_compress": native_compress(),
            "cores": os.cpu_count(), "numba_threads": numba.get_num_threads(),
            "python": platform.python_version(), "numba": numba.__version__,
            "numpy": np.__version__}
