"""A 16-row sweep on 2 dask workers against the plain Python loop over the same rows.

What it shows: the wall time of ``hee_brian.sweep`` on a 2-worker
``hee_brian.sweep.local_cluster`` (cluster start and compilation included)
next to a loop in this process calling the same function on the same rows
(compilation included), each on a fresh compile cache, and their ratio.  The
rows are the same numbers either way (checked).

What it writes: nothing; it prints one table.  With the default rows (720 s
of simulated time, about 32 s of wall time each) it takes about 14 minutes
on 2 cores.  The fixed costs (cluster start, each worker's imports and code
generation, one compile per structure, about 15 s in all) and the few per
cent the dask processes take from the rows weigh more as rows get shorter:
docs/performance.md section 6 has the ratio against the row length.

    python benchmarks/bench_sweep.py                  # rows of ~32 s (the issue's criterion)
    python benchmarks/bench_sweep.py --duration 40    # rows of ~1.7 s
"""
import os
import tempfile
import time

import numpy as np
from brian2 import ms

import hee_brian as hb
from hee_brian.sweep import expand_grid, local_cluster

GRID = {"m": [0.0, 1.0, 3.0, 10.0], "tau_a_ms": [20.0, 50.0]}  # 8 points x 2 seeds


def row(m, tau_a_ms, seed, duration_s=40.0):
    """A 16-pixel, 8-latent model sampled for ``duration_s`` (40 s: 1.6 million steps)."""
    model = hb.HEEModel([hb.Layer(16, "gaussian", sigma=0.5), hb.Layer(8, "gaussian", sigma=1.0)],
                        tau_x=10 * ms, seed=seed,
                        adaptation=hb.Adaptation(m=m, tau_a=tau_a_ms * ms) if m > 0 else None)
    model.set_weights(W=[np.random.default_rng(0).normal(size=(16, 8))])
    rec = model.infer(np.ones(16), duration_s * 1000 * ms, spikes=False, seed=seed)
    return {"mean": float(rec.x[1].mean()), "var": float(rec.x[1].var())}


def main():
    import argparse

    from distributed import Client

    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=720.0,
                   help="simulated seconds per row (720: about 32 s of wall time per row)")
    args = p.parse_args()
    grid = {**GRID, "duration_s": [args.duration]}
    rows = expand_grid(grid, seeds=2)
    os.environ["HEE_BRIAN_CACHE"] = tempfile.mkdtemp(prefix="bench_loop_")
    t0 = time.perf_counter()
    loop = [row(**params, seed=seed) for params, seed in rows]
    t_loop = time.perf_counter() - t0

    os.environ["HEE_BRIAN_CACHE"] = tempfile.mkdtemp(prefix="bench_sweep_")
    t0 = time.perf_counter()
    with local_cluster(2) as cluster, Client(cluster) as client:
        frame = hb.sweep(row, grid, seeds=2, client=client, progress=False)
    t_sweep = time.perf_counter() - t0
    same = all(frame["mean"][k] == loop[k]["mean"] and frame["var"][k] == loop[k]["var"]
               for k in range(len(rows)))
    print(f"{'what':40s} {'wall s':>8s}")
    print(f"{'plain loop, 1 process (16 rows)':40s} {t_loop:8.1f}")
    print(f"{'hee_brian.sweep, 2 workers (16 rows)':40s} {t_sweep:8.1f}")
    print(f"ratio sweep / loop: {t_sweep / t_loop:.2f}; same rows: {same}; "
          f"compiled in the sweep: {int(frame['compiled'].sum())}")


if __name__ == "__main__":
    main()
