"""`snowball bench` times runs after a warm-up that loads every kernel they use.

Loading a kernel from numba's cache takes milliseconds; a timed run that paid for it
would understate the engine beside a peer that warmed up on a toy problem. Checked in
a fresh process (in this one earlier tests have loaded every kernel already): after
`warm_up`, a longer run at the same size adds no compiled kernel.
"""

import os
import subprocess
import sys

CHECK = """
import sys
from numba.core.registry import CPUDispatcher
from apps.bench.run import engine_run, warm_up

def loaded():
    found = {id(d): d for m in list(sys.modules.values())
             for d in list(getattr(m, "__dict__", {}).values()) if isinstance(d, CPUDispatcher)}
    return sum(len(d.overloads) for d in found.values())

warm_up([40000], 60)
before = loaded()
engine_run(40000, 60, repeats=1, memory=False)
print(before, loaded())
"""


def test_after_the_warm_up_a_timed_run_loads_no_kernel():
    env = {**os.environ, "NUMBA_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                          text=True, check=True)
    before, after = map(int, done.stdout.split()[-2:])
    assert before > 0 and after == before
