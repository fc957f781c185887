"""Time the same HEE network on every device, side by side with NumPy.

What it shows: microseconds per time step, patches per second, peak memory
and the ratio to the hand-written NumPy reference
(``benchmarks/numpy_reference.py``, one stream, one BLAS thread), for a
two-layer model (n gaussian pixels -> n sparse latents, K = 4 interneurons
per neuron) with n from 64 to 4096 per layer, on:

* ``numpy_ref``            the NumPy reference (in-place rank-1 BLAS update)
* ``cpp`` / ``cpp_f32``    cpp_standalone, the default: fused dense projection
                           (``hee_brian.dense``), float64 / float32 weights
* ``cpp_synapses``         cpp_standalone with plain Brian2 ``Synapses``
* ``cpp_2threads``         cpp_standalone, dense, OpenMP 2 threads
* ``cython`` / ``numpy``   Brian2 runtime devices (small sizes only: slow)
* ``cuda``                 cuda_standalone (only where a GPU is visible)

and for three plasticity settings: ``every`` (weights learn every step),
``slow`` (on a plasticity clock of ``--slow-steps`` steps) and ``static``
(inference only).  Compilation is timed separately from running: ``build_s``
is the first call (code generation + compilation + first run, in a fresh
cache), ``rerun_s`` the wall time of a second call of the already compiled
network with new patches and seed, ``overhead_s`` the part of it not spent
simulating steps (``rerun_s`` minus the binary's own ``network.run`` time:
process start, run_args, reading results back) and ``rerun_pct`` =
overhead_s / build_s, the cost of an extra run relative to the first build.
``us/step`` uses the binary's whole wall time (start-up and I/O included).

Peak memory: the standalone binary's peak resident set (VmHWM, sampled from
/proc while it runs); for in-process runs (NumPy reference, runtime devices)
the peak of Python-traced allocations (tracemalloc).

Writes ``<out>/bench_devices.json`` (one record per measurement, with the
machine load) and ``<out>/bench_devices.png`` (time per step against synapse
count, log-log).  It closes with the main job's regime (V1 learning, 64
streams) from ``benchmarks/bench_v1_learning.py``, hee-brian's default against
the batched NumPy version (``--no-v1-regime`` skips it).  Run
``python benchmarks/bench_devices.py --help``.

Examples
--------
Default (256 and 1024, a few minutes on 2 cores)::

    python benchmarks/bench_devices.py --out results/bench

B = 16 patch streams sharing the weights (every target: the fused dense pass
on cpp, a linked weight store on the Synapses path, cuda included)::

    python benchmarks/bench_devices.py --sizes 64 1024 --streams 16 --targets numpy_ref cpp

On a GPU machine, the large configuration with B streams; the closing lines
give each target's speed per patch relative to ``cpp``, the default CPU
device::

    python benchmarks/bench_devices.py --sizes 1024 4096 --streams 16 \
        --targets numpy_ref cpp cuda --modes every
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

TARGETS = {
    # name: (device, HEEModel keywords)
    "cpp": ("cpp_standalone", {}),
    "cpp_f32": ("cpp_standalone", {"float32": True}),
    "cpp_synapses": ("cpp_standalone", {"projection": "synapses"}),
    "cpp_2threads": ("cpp_standalone", {"threads": 2}),
    "cython": ("cython", {}),
    "numpy": ("numpy", {}),
    "cuda": ("cuda_standalone", {}),
}
DEFAULT_TARGETS = ["numpy_ref", "cpp", "cpp_f32", "cpp_synapses", "cpp_2threads",
                   "cython", "numpy", "cuda"]
MODES = ("every", "slow", "static")


def gpu_visible():
    """Whether an NVIDIA GPU answers ``nvidia-smi -L``."""
    from hee_brian.devices.cuda import gpu_compute_capability

    return gpu_compute_capability() is not None


class PeakMemory:
    """Peak memory of what runs inside the ``with`` block, in MiB.

    Samples VmHWM of this process's child processes (standalone binaries)
    every 10 ms, and (``trace``) traces Python allocations, NumPy included;
    tracing slows NumPy code many times over, so timed runs do not trace.
    """

    def __init__(self, trace=True):
        self.trace = trace
        self.child_mib = 0.0
        self.traced_mib = 0.0
        self._stop = threading.Event()

    def _children(self):
        me = str(os.getpid())
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
                # only the standalone binary ("main"): a child that is still a
                # forked copy of Python reports Python's peak until it execs
                if stat.split("(", 1)[1].rsplit(")", 1)[0] != "main" or \
                        stat.rsplit(")", 1)[1].split()[1] != me:
                    continue
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            yield float(line.split()[1]) / 1024
            except (OSError, IndexError):
                continue

    def _poll(self):
        while not self._stop.wait(0.01):
            for mib in self._children():
                self.child_mib = max(self.child_mib, mib)

    def __enter__(self):
        if self.trace:
            tracemalloc.start()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        if self.trace:
            self.traced_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()

    @property
    def mib(self):
        return self.child_mib if self.child_mib > 0 else self.traced_mib


def make_model(n, device, seed=1, **kwds):
    """The benchmarked network: n gaussian pixels -> n sparse latents."""
    from brian2 import ms

    import hee_brian as hb

    model = hb.HEEModel(
        [hb.Layer(n, "gaussian", sigma=0.5), hb.Layer(n, "sparse", lam=1.0, delta=0.2, s=3.0)],
        tau_x=10 * ms, device=device, seed=seed, **kwds,
    )
    rng = np.random.default_rng(seed)
    # small weights: the stiffness check passes and nothing diverges
    model.set_weights(W=[rng.normal(0, 0.2 / np.sqrt(n), (n, n))])
    return model


def patches(n, count, seed):
    return np.random.default_rng(seed).normal(0, 1, (count, n))


def run_brian(model, mode, n_steps, pres_steps, slow_steps, seed, streams=1):
    """One call on the model; returns (wall s, binary/run s, patches shown)."""
    from brian2 import Hz

    dt = model.dt
    n_rows = max(1, n_steps // pres_steps)
    n_patch = n_rows * streams
    data = patches(model.sizes[0], n_patch, seed)
    t0 = time.perf_counter()
    if mode == "static":
        model.infer(data, n_rows * pres_steps * dt, presentation=pres_steps * dt,
                    record_every=n_rows * pres_steps * dt, spikes=False,
                    record_adaptation=False, seed=seed, streams=streams)
    else:
        model.learn(data, presentation=pres_steps * dt, eta_w=0.01 * Hz, eta_b=0.01 * Hz,
                    chunk=n_patch, progress=False, seed=seed, streams=streams,
                    plasticity_dt=(slow_steps if mode == "slow" else 1) * dt)
    wall = time.perf_counter() - t0
    sim = None
    if model.device.endswith("_standalone"):
        from brian2.devices.device import all_devices

        # time the binary spent inside network.run (excludes start-up and I/O)
        sim = getattr(all_devices[model.device], "_last_run_time", None)
    return wall, model.last_times.get("run", wall), n_patch, sim


def run_reference(model, mode, n_steps, pres_steps, seed, streams=1):
    """The NumPy reference, one BLAS thread; returns (wall s, patches)."""
    from hee_brian.reference import simulate

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        threadpool_limits = None
    n_rows = max(1, n_steps // pres_steps)
    data = patches(model.sizes[0], n_rows * streams, seed)
    if streams > 1:  # each chain its own patch stream, shared summed plasticity
        data = data.reshape(n_rows, streams, -1)
    ctx = threadpool_limits(limits=1) if threadpool_limits else _null()
    with ctx:
        t0 = time.perf_counter()
        simulate(model, data[0], n_rows * pres_steps, record_every=n_rows * pres_steps,
                 stimuli=data, presentation_steps=pres_steps, learn=mode != "static",
                 eta_w=0.01, eta_b=0.01, seed=seed, streams=streams)
        wall = time.perf_counter() - t0
    return wall, n_rows * streams


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def steps_for(n, target, budget_steps, streams=1):
    """Steps per timed run: fewer for big networks, many streams and slow devices."""
    scale = max(1.0, (n / 256) ** 2) * streams
    steps = budget_steps / scale
    if target in ("numpy", "cython"):
        steps /= 20
    return int(max(200, min(budget_steps, steps)))


def load():
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover
        return (float("nan"),) * 3


def bench(sizes, targets, modes, budget_steps, pres_steps, slow_steps, runtime_max_n,
          all_modes=False, repeats=3, log=print, streams=1):
    """Run every (size, target, mode) and return the list of records.

    Without ``all_modes`` only the reference and the default device (``cpp``)
    are timed in every mode; the other targets learn every step (each mode
    of each target is a separate compilation).  Each timed run is repeated
    ``repeats`` times and the fastest kept (``us_all`` keeps every repeat):
    on a shared machine the minimum is the least disturbed measurement.
    """
    records = []
    for n in sizes:
        ref = {}
        for target in targets:
            if target == "cuda" and not gpu_visible():
                log(f"n={n}: cuda skipped (no GPU visible)")
                continue
            if target in ("numpy", "cython") and n > runtime_max_n:
                continue
            for mode in modes:
                if target == "numpy_ref" and mode == "slow":
                    continue  # the reference learns every step only
                if not all_modes and mode != "every" and target not in ("numpy_ref", "cpp"):
                    continue
                steps = steps_for(n, target, budget_steps, streams)
                steps -= steps % pres_steps
                rec = {"n": n, "synapses": n * n, "target": target, "mode": mode,
                       "streams": streams, "steps": steps, "load_before": load()[0]}
                if target == "numpy_ref":
                    model = make_model(n, "cpp_standalone")
                    walls = [run_reference(model, mode, steps, pres_steps, seed=5,
                                           streams=streams)
                             for _ in range(repeats)]
                    wall, n_patch = min(walls)
                    rec["us_all"] = [1e6 * w / steps for w, _ in walls]
                    with PeakMemory() as mem:  # separate, short: tracing is slow
                        run_reference(model, mode, 2 * pres_steps, pres_steps, seed=6,
                                      streams=streams)
                    rec.update(run_s=wall, build_s=0.0, rerun_s=wall)
                else:
                    device, kwds = TARGETS[target]
                    model = make_model(n, device, **kwds)
                    t0 = time.perf_counter()
                    run_brian(model, mode, steps, pres_steps, slow_steps, seed=3,
                              streams=streams)
                    rec["build_s"] = time.perf_counter() - t0
                    rec["build_times"] = dict(model.last_times)
                    standalone = device.endswith("_standalone")
                    with PeakMemory(trace=False) as mem:
                        runs = [run_brian(model, mode, steps, pres_steps, slow_steps, seed=4 + k,
                                          streams=streams)
                                for k in range(repeats)]
                    rec["us_all"] = [1e6 * r[1] / steps for r in runs]
                    wall, run_s, n_patch, sim = min(runs, key=lambda r: r[1])
                    if not standalone:
                        with PeakMemory() as mem:  # separate, short: tracing is slow
                            run_brian(model, mode, 2 * pres_steps, pres_steps, slow_steps,
                                      seed=6, streams=streams)
                    # cost of an extra run = everything but simulating the steps
                    overhead = wall - (sim if sim is not None else run_s)
                    rec.update(run_s=run_s, rerun_s=wall, sim_s=sim, overhead_s=overhead,
                               rerun_pct=100.0 * overhead / rec["build_s"])
                rec["us_per_step"] = 1e6 * rec["run_s"] / steps
                rec["patches_per_s"] = n_patch / rec["run_s"]
                rec["peak_mib"] = mem.mib
                rec["load_after"] = load()[0]
                if target == "numpy_ref":
                    ref[mode] = rec["us_per_step"]
                ref_us = ref.get(mode if mode != "slow" else "every")
                rec["ratio_to_ref"] = rec["us_per_step"] / ref_us if ref_us else None
                records.append(rec)
                log(format_row(rec))
    return records


HEADER = (f"{'n':>5} {'target':<13} {'plast':<6} {'steps':>6} {'us/step':>9} "
          f"{'patch/s':>9} {'x ref':>6} {'peakMiB':>8} {'build s':>8} {'rerun s':>8} "
          f"{'ovh%':>7} {'load':>5}")


def format_row(r):
    ratio = f"{r['ratio_to_ref']:.2f}" if r.get("ratio_to_ref") else "-"
    pct = f"{r['rerun_pct']:.1f}" if "rerun_pct" in r else "-"
    return (f"{r['n']:>5} {r['target']:<13} {r['mode']:<6} {r['steps']:>6} "
            f"{r['us_per_step']:>9.1f} {r['patches_per_s']:>9.1f} {ratio:>6} "
            f"{r['peak_mib']:>8.1f} {r['build_s']:>8.2f} {r['rerun_s']:>8.3f} {pct:>7} "
            f"{r['load_after']:>5.1f}")


def speedups_vs_cpp(records):
    """Lines 'n, mode: target is X times faster per patch than cpp' (X > 1: faster)."""
    lines = []
    cpp = {(r["n"], r["mode"]): r["patches_per_s"] for r in records if r["target"] == "cpp"}
    for r in records:
        base = cpp.get((r["n"], r["mode"]))
        if r["target"] != "cpp" and base:
            x = r["patches_per_s"] / base
            r["speedup_vs_cpp"] = x
            lines.append(f"n={r['n']} {r['mode']}: {r['target']} {x:.2f}x the patches/s of "
                         "cpp (the default CPU device)")
    return lines


def plot(records, path):
    """Time per step against synapse count, one line per target and mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    keys = sorted({(r["target"], r["mode"]) for r in records})
    for target, mode in keys:
        rs = sorted((r for r in records if r["target"] == target and r["mode"] == mode),
                    key=lambda r: r["synapses"])
        if not rs:
            continue
        style = {"every": "-", "slow": ":", "static": "--"}[mode]
        ax.loglog([r["synapses"] for r in rs], [r["us_per_step"] for r in rs],
                  style, marker="o", label=f"{target} ({mode})")
    ax.set_xlabel("synapses per layer pair (n x n)")
    ax.set_ylabel("wall time per time step (us)")
    ax.set_title("HEE network, 2 layers, K = 4: time per step")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 1024],
                   help="neurons per layer (e.g. 64 256 1024 4096); default 256 1024")
    p.add_argument("--targets", nargs="+", default=DEFAULT_TARGETS,
                   choices=["numpy_ref", *TARGETS], help="what to time")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES,
                   help="plasticity every step, on a slow clock, or none")
    p.add_argument("--steps", type=int, default=20000,
                   help="time steps per timed run at n=256 (scaled down as 1/n^2 above)")
    p.add_argument("--presentation-steps", type=int, default=200,
                   help="steps each patch is shown (200 steps = 5 ms)")
    p.add_argument("--repeats", type=int, default=3,
                   help="timed runs per measurement; the fastest is reported")
    p.add_argument("--all-modes", action="store_true",
                   help="time every mode on every target (default: all modes on numpy_ref "
                        "and cpp, plasticity every step on the others)")
    p.add_argument("--slow-steps", type=int, default=10,
                   help="plasticity clock of the 'slow' mode, in steps")
    p.add_argument("--runtime-max-n", type=int, default=256,
                   help="largest n for the (slow) runtime numpy/cython devices")
    p.add_argument("--cache", default=None,
                   help="standalone build cache (default: a fresh temporary folder, so "
                        "build_s is a true first build)")
    p.add_argument("--streams", type=int, default=1,
                   help="B parallel patch streams sharing the weights (dense targets and "
                        "the reference only); patches/s counts all streams")
    p.add_argument("--out", default="results/bench_devices", help="output folder")
    p.add_argument("--no-v1-regime", action="store_true",
                   help="skip the closing V1-learning rows (bench_v1_learning.py: the main "
                        "job's regime, 64 streams, hee-brian's default against batched NumPy)")
    args = p.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = None
    if args.cache:
        os.environ["HEE_BRIAN_CACHE"] = args.cache
    else:
        tmp = tempfile.TemporaryDirectory(prefix="hee_bench_")
        os.environ["HEE_BRIAN_CACHE"] = tmp.name
    print(f"load average before: {load()}  (2-core machines shared with others are noisy;"
          " compare ratios within one run)", flush=True)
    print(HEADER, flush=True)
    records = bench(args.sizes, args.targets, args.modes, args.steps,
                    args.presentation_steps, args.slow_steps, args.runtime_max_n,
                    all_modes=args.all_modes, repeats=args.repeats,
                    log=lambda s: print(s, flush=True), streams=args.streams)
    speedup_lines = speedups_vs_cpp(records)  # also stores speedup_vs_cpp in each record
    meta = {"argv": sys.argv[1:], "python": sys.version.split()[0],
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "load_after": load(), "node": platform.node()}
    (out / "bench_devices.json").write_text(json.dumps({"meta": meta, "records": records},
                                                       indent=1))
    plot(records, out / "bench_devices.png")
    for line in speedup_lines:
        print(line)
    print(f"wrote {out / 'bench_devices.json'} and {out / 'bench_devices.png'}")
    if not args.no_v1_regime:
        # the main job's regime next to the single-stream sizes (a short run;
        # bench_v1_learning.py alone for the full comparison)
        print("\nthe main job's regime (benchmarks/bench_v1_learning.py, short):", flush=True)
        subprocess.run([sys.executable, str(HERE / "bench_v1_learning.py"), "--targets", "hee",
                        "numpy", "--patches", "1280", "--rounds", "2", "--out", str(out)],
                       check=True)
    if tmp is not None:
        tmp.cleanup()
    return records


if __name__ == "__main__":
    main()
