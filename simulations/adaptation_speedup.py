"""Adaptation as momentum: how much faster the network samples.

Shows, with and without the adaptation current (docs/model.md section 4):

1. on an ill-conditioned 2-D Gaussian posterior (precisions 1 and 0.01,
   ``models/linear_gaussian.py``), for every (m, tau_a) of a sweep: the
   integrated autocorrelation time (IAT) of the slow direction, the
   stationary variance along both directions against the exact posterior,
   and the KL-versus-time curve of chains started at 0 (3 posterior standard
   deviations away), with the time to reach KL < 0.1; next to the exact
   continuous-time IAT of the momentum sampler.  The sweep shows where the
   speed-up peaks and where sampling breaks down (dt refused, divergence,
   or variance off by more than 5 %).  The activity-driven variant (no
   noise, no likelihood term) is measured at the same settings, bias and all.
2. on the trained V1 model (``--v1-model``, default
   ``output/v1_receptive_fields/model.npz``) for one whitened natural patch:
   per-neuron IATs and the marginal KL-versus-time of chains started at 0,
   plain Langevin against the best momentum setting from part 1.

Writes to ``--out`` (default ``output/adaptation_speedup``): ``summary.json``,
``table.md``, ``kl_vs_time.png``, ``sweep.png`` and ``v1.png`` (if the V1
part ran); with ``--update-docs`` also the section ``adaptation_speedup`` of
``docs/sampling.md``.

How long it takes: one run of 1000 tau_x with 32 copies takes about 4 s
(plus about 10 s to compile each new structure, once); the defaults chain
about 150 such runs (plain Langevin needs 13 per seed, the sweep fewer),
and the V1 part 64 chains of 200 tau_x, so roughly 15 minutes on 2 cores.

Example::

    python simulations/adaptation_speedup.py                    # defaults, ~15 minutes
    python simulations/adaptation_speedup.py --m 10 30 --tau-a 3 10 --seeds 2
"""
from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import ms  # noqa: E402

import hee_brian as hb  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis import posterior as P  # noqa: E402
from hee_brian.analysis.recordings import chained_infer  # noqa: E402
from hee_brian.models import linear_gaussian as lg  # noqa: E402
from hee_brian.reference import gaussian_posterior  # noqa: E402
from hee_brian.report import log, markdown_table, publish, read_json  # noqa: E402

KL_THRESHOLD = 0.1
VAR_TOLERANCE = 0.05


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="output/adaptation_speedup", help="output folder")
    p.add_argument("--device", default="cpp_standalone")
    p.add_argument("--m", type=float, nargs="+", default=[3, 10, 30, 100],
                   help="adaptation strengths m of the sweep")
    p.add_argument("--tau-a", type=float, nargs="+", default=[3, 10, 30],
                   help="adaptation time constants of the sweep, in units of tau_x")
    p.add_argument("--copies", type=int, default=32,
                   help="independent chains per network (block-diagonal copies)")
    p.add_argument("--seeds", type=int, default=4,
                   help="runs (seeds) per setting; chains = copies x seeds")
    p.add_argument("--chunk", type=float, default=1000, help="length of one run, in tau_x")
    p.add_argument("--max-chunks", type=int, default=13,
                   help="most runs chained per seed (long IATs need chains >= 50 IAT)")
    p.add_argument("--record", type=float, default=0.2,
                   help="recording interval, in tau_x (rounded to a multiple of dt)")
    p.add_argument("--dt", type=float, default=100, help="dt = tau_x / DT")
    p.add_argument("--tau-eps", type=float, default=0.025, help="tau_eps / tau_x")
    p.add_argument("--interneurons", type=int, default=8,
                   help="interneurons per neuron, K: their noise also reaches the adaptation "
                        "current, amplified by m, and inflates the fast direction's variance "
                        "by about m (tau_eps/tau_x) / (2K)")
    p.add_argument("--kl-window", type=float, default=2.0,
                   help="samples pooled per KL-vs-time point, in tau_x "
                        "(less finite-ensemble noise)")
    p.add_argument("--slow-precision", type=float, default=0.01,
                   help="posterior precision of the slow direction (the fast one is 1)")
    p.add_argument("--skip-activity", action="store_true",
                   help="do not measure the activity-driven variant")
    p.add_argument("--activity-m", type=float, nargs="*", default=None,
                   help="m values of the activity-driven variant, at the best tau_a "
                        "(default: the best m only)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--v1-model", default="output/v1_receptive_fields/model.npz",
                   help="trained V1 model (.npz from HEEModel.save); skipped if missing")
    p.add_argument("--v1-chains", type=int, default=32, help="chains per sampler on the V1 model")
    p.add_argument("--v1-duration", type=float, default=200, help="V1 chain length, in tau_x")
    p.add_argument("--v1-kl-window", type=float, default=0.25,
                   help="samples pooled per V1 KL-vs-time point, in tau_x")
    p.add_argument("--v1-m", type=float, default=None, help="m on V1 (default: best of part 1)")
    p.add_argument("--v1-tau-a", type=float, default=None, help="tau_a/tau_x on V1 (default: best)")
    p.add_argument("--skip-v1", action="store_true")
    p.add_argument("--skip-gaussian", action="store_true",
                   help="reuse part 1 from OUT/summary.json (rerun only the V1 part)")
    p.add_argument("--update-docs", action="store_true",
                   help="also rewrite this script's section of docs/sampling.md (maintainers; "
                        "by default only --out is written)")
    return p.parse_args(argv)


# ----------------------------------------------------------------------
# part 1: the ill-conditioned Gaussian
def gaussian_setting(args, m, tau_a, variant):
    """Sample the ill-conditioned Gaussian with one adaptation setting.

    Returns a dict of measured statistics (and the KL curve) or a status
    saying why sampling failed.
    """
    tau_x = 10 * ms
    ad = None if m == 0 else hb.Adaptation(m, tau_a * tau_x, variant)
    res = {"m": m, "tau_a": tau_a if m else None, "variant": variant if m else "plain"}
    p_slow = args.slow_precision
    try:
        model, x0 = lg.build_ill_conditioned(
            precisions=(1.0, p_slow), copies=args.copies, device=args.device, seed=args.seed,
            phi="linear",
            tau_x=tau_x, dt=tau_x / args.dt, tau_eps=args.tau_eps * tau_x, adaptation=ad,
            n_interneurons=args.interneurons)
    except hb.HEEParameterError as exc:
        return {**res, "status": "refused", "why": str(exc)}
    mean, cov = gaussian_posterior(model, x0)
    mean, cov = mean[:2], cov[:2, :2]  # every copy has the same posterior
    u, v = np.array([1.0, 1.0]) / np.sqrt(2), np.array([1.0, -1.0]) / np.sqrt(2)
    iat_momentum, _ = lg.momentum_iat(p_slow, m, tau_a)
    res["iat_theory"] = iat_momentum if variant == "momentum" or m == 0 else float("nan")
    # chains must be >= 50 IATs long after a burn-in of about 10 IATs for the
    # IAT estimate to be trusted (the activity-driven variant is sized like
    # the momentum form with its m)
    need = 60 * iat_momentum + 0.5 * args.chunk
    n_chunks = int(min(args.max_chunks, max(1, math.ceil(need / args.chunk))))
    traces = []
    t0 = time.perf_counter()
    try:
        for s in range(args.seeds):
            runs = chained_infer(model, [x0] * n_chunks,
                                 [args.seed * 7919 + 1000 * s + c for c in range(n_chunks)],
                                 duration=args.chunk * tau_x, record_every=args.record * tau_x,
                                 layers=[1], spikes=False, record_adaptation=False)
            traces.append(np.concatenate([lg.split_copies(rec.x[1], args.copies)
                                          for rec in runs]))
    except hb.SimulationDiverged as exc:
        return {**res, "status": "diverged", "why": str(exc)}
    res["wall_s"] = time.perf_counter() - t0
    X = np.concatenate(traces, axis=1)  # (T, chains, 2)
    t = np.arange(X.shape[0]) * args.record  # tau_x
    n_first = int(round(args.chunk / args.record))
    window = max(1, int(round(args.kl_window / args.record)))
    kl = P.kl_vs_time(X[:n_first], mean, cov, window=window)
    t_kl_axis = t[:n_first:window][:len(kl)] + 0.5 * window * args.record  # window centres
    t_kl = P.time_to_threshold(t_kl_axis, kl, KL_THRESHOLD)
    # stationary part: after the ensemble has converged (or the second half)
    if math.isfinite(t_kl):
        burn_t = max(2 * t_kl, 5 * (tau_a if m else 0))
    else:  # no converged ensemble: five exact IATs of the momentum form
        burn_t = 5 * iat_momentum
    burn = min(int(burn_t / args.record), X.shape[0] // 2)
    Xs = X[burn:]
    y_slow, y_fast = Xs @ v, Xs @ u
    iat_s, err_s = P.integrated_autocorrelation_time(y_slow, return_error=True)
    iat_f = P.integrated_autocorrelation_time(y_fast)
    n = y_slow.size
    ratio = P.variance_ratio(Xs, cov)  # ascending eigenvalues: [fast, slow]
    res.update(
        status="ok",
        chains=int(X.shape[1]),
        chain_length_tau_x=float(X.shape[0] * args.record),
        burn_in_tau_x=float(burn * args.record),
        iat_slow=iat_s * args.record,
        iat_slow_err=err_s * args.record,
        iat_fast=iat_f * args.record,
        var_ratio_slow=float(ratio[1]),
        var_ratio_fast=float(ratio[0]),
        var_ratio_slow_se=math.sqrt(2 * max(iat_s, 1) / n),
        mean_error_sd=float((y_slow.mean() - mean @ v) / math.sqrt(cov @ v @ v)),
        rhat_slow=P.split_rhat(y_slow),
        t_kl=t_kl,
        kl_floor=P.kl_estimation_floor(2, X.shape[1]),
        kl_t=t_kl_axis.tolist(),
        kl=kl.tolist(),
    )
    res["accurate"] = bool(abs(res["var_ratio_slow"] - 1) < VAR_TOLERANCE
                           and abs(res["var_ratio_fast"] - 1) < VAR_TOLERANCE
                           and abs(res["mean_error_sd"]) < 0.1 and res["rhat_slow"] < 1.05)
    return res


def describe(r):
    if r["status"] != "ok":
        return f"{r['status']}: {r['why']}"
    return (f"IAT {r['iat_slow']:.1f} tau_x (theory {r['iat_theory']:.3g}), var ratio slow "
            f"{r['var_ratio_slow']:.3f} fast {r['var_ratio_fast']:.3f}, t(KL<0.1) "
            f"{r['t_kl']:.0f} tau_x, {r['wall_s']:.0f} s")


def gaussian_study(args):
    results = {}
    log("plain Langevin ...")
    plain = gaussian_setting(args, 0, None, "momentum")
    log(f"  {describe(plain)}")
    results["plain"] = plain
    sweep = []
    for tau_a in args.tau_a:
        for m in args.m:
            log(f"momentum m = {m:g}, tau_a = {tau_a:g} tau_x ...")
            r = gaussian_setting(args, m, tau_a, "momentum")
            log(f"  {describe(r)}")
            sweep.append(r)
    ok = [r for r in sweep if r["status"] == "ok" and r["accurate"]]
    best = max(ok, key=lambda r: plain["iat_slow"] / r["iat_slow"]) if ok else None
    results["sweep"] = sweep
    results["best"] = best
    activity = []
    if best is not None and not args.skip_activity:
        # the activity-driven variant at the best tau_a (and best m by default)
        for m in (args.activity_m if args.activity_m else [best["m"]]):
            log(f"activity-driven m = {m:g}, tau_a = {best['tau_a']:g} tau_x ...")
            r = gaussian_setting(args, m, best["tau_a"], "activity")
            log(f"  {describe(r)}")
            activity.append(r)
    results["activity"] = activity
    return results


# ----------------------------------------------------------------------
# part 2: the trained V1 model
def v1_study(args, m, tau_a):
    path = Path(args.v1_model)
    if not path.exists():
        log(f"V1 part skipped: no trained model at {path} (train it with the issue-3 "
            "script, or pass --v1-model PATH)")
        return {"status": "skipped", "why": f"no model file at {path}"}
    from hee_brian.datasets.natural_images import natural_patches

    base = hb.HEEModel.load(path, device=args.device)
    tau_x = base.tau_x
    n0 = base.layers[0].n
    side = int(round(math.sqrt(n0)))
    # a patch of typical contrast: the median of 21 random ones
    cands = natural_patches(21, size=side, seed=args.seed)
    patch = cands[np.argsort(cands.std(axis=1))[10]]
    import hashlib

    out = {"status": "ok", "model": str(path), "m": m, "tau_a": tau_a, "sizes": base.sizes,
           "model_sha1": hashlib.sha1(path.read_bytes()).hexdigest()[:12],
           "tau_x_ms": float(base.tau_x_s * 1e3), "dt_ms": float(base.dt_s * 1e3)}
    rec_every = max(1, int(round(0.25 * base.tau_x_s / base.dt_s))) * base.dt
    runs = {}
    for name, ad in [("plain", None), ("momentum", {"m": m, "tau_a": tau_a * base.tau_x_s,
                                                    "variant": "momentum"})]:
        try:
            model = hb.HEEModel.load(path, device=args.device, adaptation=ad)
        except hb.HEEParameterError as exc:
            out[name] = {"status": "refused", "why": str(exc)}
            continue
        t0 = time.perf_counter()
        chains = []
        for s in range(args.v1_chains):
            rec = model.infer(patch, args.v1_duration * tau_x, record_every=rec_every,
                              layers=[1], spikes=False, record_adaptation=False,
                              seed=args.seed * 104729 + s)
            chains.append(rec.x[1])
            log(f"  V1 {name}: chain {s + 1}/{args.v1_chains}")
        runs[name] = np.stack(chains, axis=1)  # (T, chains, n1)
        out[name] = {"status": "ok", "wall_s": time.perf_counter() - t0}
    if "plain" not in runs or "momentum" not in runs:
        return out
    dt_rec = float(rec_every / tau_x)
    half = runs["plain"].shape[0] // 2
    # reference marginals: the second halves of the plain Langevin chains
    # (the established sampler); the momentum form's variance against it is
    # its bias, and shows in its KL floor
    pooled = runs["plain"][half:]
    ref_mean = pooled.reshape(-1, pooled.shape[-1]).mean(axis=0)
    ref_var = pooled.reshape(-1, pooled.shape[-1]).var(axis=0)
    active = ref_var > 1e-6 * ref_var.max()
    window = max(1, int(round(args.v1_kl_window / dt_rec)))  # samples pooled per point
    for name, X in runs.items():
        X = X[:, :, active]
        kl = P.marginal_kl_vs_time(X, ref_mean[active], ref_var[active], window=window)
        t = (np.arange(len(kl)) + 0.5) * window * dt_rec
        iats = np.array([P.integrated_autocorrelation_time(X[half:, :, j])
                         for j in range(X.shape[2])]) * dt_rec
        out[name].update(
            t_kl=P.time_to_threshold(t, kl, KL_THRESHOLD),
            kl_t=t.tolist(), kl=kl.tolist(),
            iat_median=float(np.median(iats)), iat_p90=float(np.percentile(iats, 90)),
            iats=iats.tolist(),
            var_ratio_median=float(np.median(X[half:].reshape(-1, X.shape[2]).var(axis=0)
                                             / ref_var[active])),
        )
    # a window holds about window*dt_rec/IAT independent samples per chain
    n_ind = args.v1_chains * max(1.0, window * dt_rec / out["plain"]["iat_median"])
    out["kl_floor"] = P.kl_estimation_floor(1, n_ind)
    out["iat_ratio"] = out["plain"]["iat_median"] / out["momentum"]["iat_median"]
    out["t_kl_ratio"] = out["plain"]["t_kl"] / out["momentum"]["t_kl"]
    out["n_active"] = int(active.sum())
    return out


# ----------------------------------------------------------------------
def figures(results, out):
    tau_x = 10e-3  # s: the Gaussian study's tau_x; times below are in units of tau_x
    g = results["gaussian"]
    curves = [("plain Langevin", g["plain"])]
    if g["best"]:
        b = g["best"]
        curves.append((f"momentum m={b['m']:g}, tau_a={b['tau_a']:g} tau_x", b))
        act = [r for r in g["activity"] if r["m"] == b["m"] and r["status"] == "ok"]
        if act:
            curves.append((f"activity-driven m={b['m']:g}, tau_a={b['tau_a']:g} tau_x", act[0]))
    curves = [(label, r) for label, r in curves if r.get("status") == "ok"]
    ax = plotting.plot_kl_vs_time(
        [np.asarray(r["kl_t"]) * tau_x for _, r in curves], [r["kl"] for _, r in curves],
        [label for label, _ in curves], threshold=KL_THRESHOLD,
        floor=g["plain"].get("kl_floor", np.nan), tau=tau_x,
        title=f"Ill-conditioned Gaussian (precisions 1, "
              f"{results['gaussian_args']['slow_precision']:g}), chains started at 0")
    plotting.save_figure(ax, out / "kl_vs_time.png", dpi=120)

    sweep = g["sweep"]
    ms_ = sorted({r["m"] for r in sweep})
    tas = sorted({r["tau_a"] for r in sweep})
    speed = np.full((len(tas), len(ms_)), np.nan)
    verr = np.full_like(speed, np.nan)
    for r in sweep:
        i, j = tas.index(r["tau_a"]), ms_.index(r["m"])
        if r["status"] == "ok":
            speed[i, j] = g["plain"]["iat_slow"] / r["iat_slow"]
            verr[i, j] = 100 * max(abs(r["var_ratio_slow"] - 1), abs(r["var_ratio_fast"] - 1))
    axes = plotting.plot_adaptation_sweep(ms_, [v * tau_x for v in tas], speed, verr, tau=tau_x)
    plotting.save_figure(axes, out / "sweep.png", dpi=120)

    v1 = results.get("v1", {})
    if v1.get("status") == "ok" and "kl" in v1.get("momentum", {}):
        tau_v1 = v1["tau_x_ms"] * 1e-3
        names = ("plain", "momentum")
        labels = ["plain Langevin", f"momentum m={v1['m']:g}, tau_a={v1['tau_a']:g} tau_x"]
        axes = plotting.plot_v1_speedup(
            [np.asarray(v1[n]["kl_t"]) * tau_v1 for n in names], [v1[n]["kl"] for n in names],
            [np.asarray(v1[n]["iats"]) * tau_v1 for n in names], labels,
            threshold=KL_THRESHOLD, floor=v1["kl_floor"], tau=tau_v1)
        plotting.save_figure(axes, out / "v1.png", dpi=120)


def doc_text(results, args):
    v1_args = args
    args = argparse.Namespace(**results["gaussian_args"])  # the settings of part 1
    g = results["gaussian"]
    plain = g["plain"]
    lines = [
        "## Adaptation as momentum: speed-up",
        "",
        f"Ill-conditioned 2-D Gaussian posterior (precisions 1 and {args.slow_precision:g}, "
        "rotated 45 deg), "
        f"{args.copies * args.seeds} chains, dt = tau_x/{args.dt:g}, tau_eps = "
        f"{args.tau_eps:g} tau_x, K = {args.interneurons} interneurons per neuron. "
        "IAT: integrated autocorrelation time of the slow direction "
        "(Sokal window), in tau_x; theory: the exact continuous-time IAT of the momentum "
        "sampler, 2/(k(1+m)); t(KL<0.1): time for the ensemble started at 0 (3 sd away) to "
        "come within KL 0.1 nats of the exact posterior; variance: sampled/exact along the "
        f"slow and fast directions; mean err: error of the sampled mean along the slow "
        f"direction in posterior sd (accurate: both variances within {100 * VAR_TOLERANCE:g} %, "
        "|mean err| < 0.1, split R-hat < 1.05). "
        "Regenerate with `python simulations/adaptation_speedup.py`.",
        "",
    ]
    rows = []
    for r in [plain] + g["sweep"] + g["activity"]:
        label = r["variant"]
        if r["status"] != "ok":
            rows.append([label, r["m"], r["tau_a"], r["status"]] + ["-"] * 7)
            continue
        rows.append([label, r["m"], r["tau_a"],
                     f"{r['iat_slow']:.3g} ± {r['iat_slow_err']:.2g}", r["iat_theory"],
                     plain["iat_slow"] / r["iat_slow"], r["t_kl"],
                     r["var_ratio_slow"], r["var_ratio_fast"], r["mean_error_sd"],
                     "yes" if r["accurate"] else "no"])
    lines.append(markdown_table(
        ["sampler", "m", "tau_a (tau_x)", "IAT (tau_x)", "theory", "IAT speed-up",
         "t(KL<0.1) (tau_x)", "var slow", "var fast", "mean err (sd)", "accurate"], rows))
    b = g["best"]
    if b:
        lines += ["", f"**Best accurate setting: m = {b['m']:g}, tau_a = {b['tau_a']:g} tau_x: "
                  f"IAT {plain['iat_slow']:.3g} -> {b['iat_slow']:.3g} tau_x "
                  f"({plain['iat_slow'] / b['iat_slow']:.3g}-fold), time to KL < 0.1 "
                  f"{plain['t_kl']:.3g} -> {b['t_kl']:.3g} tau_x "
                  f"({plain['t_kl'] / b['t_kl']:.3g}-fold), stationary variance ratio "
                  f"{b['var_ratio_slow']:.3f} (slow) and {b['var_ratio_fast']:.3f} (fast).**"]
    v1 = results.get("v1", {})
    lines += ["", "### Trained V1 model", ""]
    if v1.get("status") != "ok" or "iat_ratio" not in v1:
        lines.append(f"Not measured in this run ({v1.get('why', 'see summary.json')}).")
    else:
        lines += [
            f"Model `{v1['model']}` (sizes {v1['sizes']}, sha1 {v1['model_sha1']}, dt = "
            f"{v1['dt_ms']:g} ms, tau_x = {v1['tau_x_ms']:g} ms), one whitened natural patch, "
            f"{v1_args.v1_chains} chains of {v1_args.v1_duration:g} tau_x per sampler started "
            "at 0; "
            "reference marginals from the second halves of the plain Langevin chains; KL: mean "
            "over the "
            f"{v1['n_active']} latents of the 1-D Gaussian KL of the marginals (floor "
            f"{v1['kl_floor']:.2g}).",
            "",
            markdown_table(
                ["sampler", "median IAT (tau_x)", "90th pct IAT", "t(KL<0.1) (tau_x)",
                 "median var / plain"],
                [[name, v1[name]["iat_median"], v1[name]["iat_p90"], v1[name]["t_kl"],
                  v1[name]["var_ratio_median"]] for name in ("plain", "momentum")]),
            "",
            f"**V1 speed-up at m = {v1['m']:g}, tau_a = {v1['tau_a']:g} tau_x: median IAT "
            f"{v1['iat_ratio']:.3g}-fold, time to KL < 0.1 {v1['t_kl_ratio']:.3g}-fold.**",
        ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    args.record = max(1, round(args.record * args.dt)) / args.dt
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if args.skip_gaussian:
        prev = read_json(out / "summary.json")
        results = {"args": vars(args), "gaussian": prev["gaussian"],
                   "gaussian_args": prev.get("gaussian_args", prev["args"])}
    else:
        results = {"args": vars(args), "gaussian": gaussian_study(args),
                   "gaussian_args": vars(args)}
    best = results["gaussian"]["best"]
    if args.skip_v1:
        results["v1"] = {"status": "skipped", "why": "--skip-v1"}
    else:
        m = args.v1_m if args.v1_m is not None else (best["m"] if best else 20.0)
        tau_a = args.v1_tau_a if args.v1_tau_a is not None else (best["tau_a"] if best else 10.0)
        results["v1"] = v1_study(args, m, tau_a)
    results["wall_s"] = time.perf_counter() - t0
    figures(results, out)
    publish(out, "adaptation_speedup", results, doc_text(results, args), docs=args.update_docs)


if __name__ == "__main__":
    main()
