"""Per-call overhead of compiled standalone runs (cpp_standalone).

What it shows: the wall time of a warm ``infer`` call (structure compiled and
loaded in this process) against the simulated work it does, and the time of
the first call in a fresh process whose structure another process already
compiled (code generation only, no ``make``).  Run it twice with the same
``HEE_BRIAN_CACHE`` to see the second number without a compile.

What it writes: nothing; it prints one table.  About 30 s with a warm cache,
plus one compile (~20 s) with a cold one.

    python benchmarks/bench_overhead.py
"""
import subprocess
import sys
import time

import numpy as np
from brian2 import ms

import hee_brian as hb
from hee_brian.devices import compilations

CHILD = """
import time, numpy as np
t0 = time.perf_counter()
from brian2 import ms
import hee_brian as hb
from hee_brian.devices import compilations
t1 = time.perf_counter()
m = hb.HEEModel([hb.Layer(16, "gaussian", sigma=0.5), hb.Layer(8, "sparse", lam=1.0, delta=0.2,
                 s=3.0)], tau_x=10*ms, seed=1, adaptation=hb.Adaptation(m=5, tau_a=50*ms))
m.set_weights(W=[np.random.default_rng(0).normal(size=(16, 8))])
m.infer(np.zeros(16), 1*ms)
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {compilations()}")
"""


def main():
    m = hb.HEEModel([hb.Layer(16, "gaussian", sigma=0.5),
                     hb.Layer(8, "sparse", lam=1.0, delta=0.2, s=3.0)], tau_x=10 * ms, seed=1,
                    adaptation=hb.Adaptation(m=5, tau_a=50 * ms))
    m.set_weights(W=[np.random.default_rng(0).normal(size=(16, 8))])
    x0 = np.random.default_rng(1).normal(size=16)
    m.infer(x0, 1 * ms)  # compile or load
    rows = []
    for duration in (1 * ms, 100 * ms):
        walls = []
        for k in range(5):
            t0 = time.perf_counter()
            m.infer(x0, duration, seed=k)
            walls.append(time.perf_counter() - t0)
        rows.append((f"warm infer, {duration}", np.median(walls), m.last_times["run"]))
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True)
    imp, first, n = out.stdout.split()
    rows.append(("fresh process: import hee_brian", float(imp), float("nan")))
    rows.append((f"fresh process: first infer ({n} compiled)", float(first), float("nan")))
    print(f"{'what':45s} {'wall s':>8s} {'binary s':>9s}")
    for what, wall, binary in rows:
        print(f"{what:45s} {wall:8.3f} {binary:9.3f}")
    print(f"compiled in this process: {compilations()}")


if __name__ == "__main__":
    main()
