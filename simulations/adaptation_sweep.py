"""Adaptation as momentum, swept over (m, tau_a) and seeds on dask.distributed.

What it shows: on an ill-conditioned 2-D Gaussian posterior (precisions 1
and ``--slow-precision`` along two orthogonal directions), how much the
adaptation current (strength m, time constant tau_a) shortens the
integrated autocorrelation time (IAT) of the slow direction, next to the
exact IAT of the momentum sampler (``hee_brian.models.linear_gaussian.
momentum_iat``), and whether the sampled variance stays right.  Each
(m, tau_a, seed) is one row of :func:`hee_brian.sweep`, run on a dask
cluster: a LocalCluster on this machine (``--workers N``), or any running
scheduler (``--scheduler tcp://host:8786``), e.g. one started on an HPC
queue with dask-jobqueue (README, "Sweeps").

What it writes, to ``--out`` (default ``output/adaptation_sweep``):
``sweep.csv`` (one row per point and seed: m, tau_a, seed, IAT, exact IAT,
variance ratio, status, wall time, worker), ``rows/`` and ``arrays/`` (what
makes the sweep resumable: rerun the same command after an interruption and
only missing rows run), ``iat_map.png`` (mean IAT over seeds, in tau_x, as a
heat map, with the exact values annotated) and ``summary.json``.

How long: with the defaults (5 x 4 points x 4 seeds = 80 rows, each 16
chains x 1000 tau_x) about 3 minutes on 2 workers of a 2-core machine,
compile included.

    python simulations/adaptation_sweep.py --workers 2
    python simulations/adaptation_sweep.py --scheduler tcp://10.0.0.5:8786 --seeds 16
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from brian2 import ms

import hee_brian as hb
from hee_brian.analysis import plotting
from hee_brian.analysis.posterior import integrated_autocorrelation_time
from hee_brian.models import linear_gaussian as lg
from hee_brian.report import log


def iat_point(m, tau_a, seed, slow_precision=0.05, duration_tau=1000.0, chains=16):
    """One row: the slow direction's IAT (tau_x) and variance ratio at (m, tau_a).

    ``chains`` copies of the 2-D posterior run side by side in one network.
    """
    tau_x = 10 * ms
    adaptation = hb.Adaptation(m=m, tau_a=tau_a * tau_x) if m > 0 else None
    model, x0 = lg.build_ill_conditioned(precisions=(1.0, slow_precision), copies=chains,
                                         tau_x=tau_x, dt=tau_x / 100, adaptation=adaptation,
                                         seed=seed)
    rec = model.infer(x0, duration_tau * tau_x,
                      record_every=tau_x / 10, spikes=False, seed=seed)
    x = lg.split_copies(rec.x[1], chains)            # (time, chains, 2)
    slow = (x[..., 0] - x[..., 1]) / np.sqrt(2)       # the direction of low precision
    slow = slow[slow.shape[0] // 4:]                  # a quarter as burn-in
    iat = integrated_autocorrelation_time(slow) / 10  # samples -> tau_x
    exact_iat, _ = lg.momentum_iat(slow_precision, m=m, tau_a=tau_a)
    return {"iat": float(iat), "exact_iat": float(exact_iat),
            "var_ratio": float(slow.var() * slow_precision)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="output/adaptation_sweep", help="output folder")
    p.add_argument("--m", type=float, nargs="+", default=[0.0, 1.0, 3.0, 10.0, 30.0],
                   help="adaptation strengths")
    p.add_argument("--tau-a", type=float, nargs="+", default=[1.0, 3.0, 10.0, 30.0],
                   help="adaptation time constants, in tau_x")
    p.add_argument("--seeds", type=int, default=4, help="seeds per point")
    p.add_argument("--slow-precision", type=float, default=0.05)
    p.add_argument("--duration", type=float, default=1000.0,
                   help="simulated time per row (tau_x); at least ~25 slow IATs")
    p.add_argument("--workers", type=int, default=None,
                   help="local worker processes (default: one per core)")
    p.add_argument("--scheduler", default=None,
                   help="address of a running dask scheduler (instead of a local cluster)")
    args = p.parse_args(argv)
    out = Path(args.out)
    t0 = time.perf_counter()
    client = args.scheduler
    if client is None and args.workers is not None:
        from distributed import Client

        from hee_brian.sweep import local_cluster

        client = Client(local_cluster(args.workers))
    grid = {"m": args.m, "tau_a": args.tau_a, "slow_precision": [args.slow_precision],
            "duration_tau": [args.duration]}
    log(f"sweep: {len(args.m)} x {len(args.tau_a)} points x {args.seeds} seeds")
    frame = hb.sweep(iat_point, grid, seeds=args.seeds, client=client, out=out)
    if args.workers is not None and args.scheduler is None:
        client.close()
        client.cluster.close()
    ok = frame[frame["status"] == "ok"]
    if ok.empty:
        raise SystemExit(f"every row failed; first status: {frame['status'].iloc[0]}")
    mean = ok.groupby(["tau_a", "m"])["iat"].mean().unstack("m").reindex(
        index=args.tau_a, columns=args.m)
    ax = plotting.plot_sweep_map(mean.to_numpy(), args.m, args.tau_a, xlabel="m",
                                 ylabel="tau_a (tau_x)",
                                 title=f"slow-direction IAT (tau_x), mean of {args.seeds} "
                                       f"seeds; plain Langevin: {2 / args.slow_precision:g}")
    plotting.save_figure(ax.figure, out / "iat_map.png")
    summary = {"rows": len(frame), "failed": int((frame["status"] != "ok").sum()),
               "compiled": int(frame["compiled"].sum()), "wall_s": time.perf_counter() - t0,
               "best": ok.loc[ok["iat"].idxmin(), ["m", "tau_a", "iat", "exact_iat"]].to_dict()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    log(f"wrote {out}/sweep.csv, iat_map.png and summary.json in {summary['wall_s']:.0f} s")
    return summary


if __name__ == "__main__":
    main()
