"""How exactly does the network sample? Error against the exact posterior.

On the linear-Gaussian model of docs/model.md section 2 (16 pixels, 8 latents,
sigma_0 = 0.5; ``models/linear_gaussian.py``), whose posterior is known in
closed form, measures the sampling error (KL of the sampled Gaussian to the
exact posterior, variance ratio, mean error) as a function of

* tau_eps / tau_x and the number K of interneurons per neuron, with the
  noise-budget correction on (and, at one K, off);
* the integration step dt;

and the cost of each setting: simulated steps per wall-clock second and
simulated tau_x per second.  Several copies of the model run side by side in
one network (block-diagonal weights), so one run gives several independent
chains.

Writes to ``--out`` (default ``output/posterior_accuracy``): ``summary.json``,
``accuracy.png`` and ``table.md``; with ``--update-docs`` also the section
``posterior_accuracy`` of ``docs/sampling.md``.

How long it takes: a few minutes with the defaults (12 settings, each a
1000 tau_x chain; every new structure -- K, dt, noise budget -- compiles
once, about 10 s, and is reused from the cache later).

Example::

    python simulations/posterior_accuracy.py                     # defaults, a few minutes
    python simulations/posterior_accuracy.py --ratios 0.1 0.02 --interneurons 1 8 --duration 400
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import ms  # noqa: E402

import hee_brian as hb  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis import posterior as P  # noqa: E402
from hee_brian.models import linear_gaussian as lg  # noqa: E402
from hee_brian.reference import gaussian_posterior  # noqa: E402
from hee_brian.report import log, markdown_table, publish  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="output/posterior_accuracy", help="output folder")
    p.add_argument("--device", default="cpp_standalone")
    p.add_argument("--ratios", type=float, nargs="+", default=[0.1, 0.05, 0.025],
                   help="tau_eps / tau_x values of the sweep")
    p.add_argument("--interneurons", type=int, nargs="+", default=[1, 4, 16],
                   help="interneurons per neuron (K) of the sweep")
    p.add_argument("--no-budget-k", type=int, default=4,
                   help="K at which the sweep is repeated without the noise budget (0: none)")
    p.add_argument("--dt", type=float, default=400, help="dt = tau_x / DT for the ratio sweep")
    p.add_argument("--dt-sweep", type=float, nargs="+", default=[100, 200, 400],
                   help="values DT of the dt sweep (dt = tau_x / DT)")
    p.add_argument("--dt-ratio", type=float, default=0.05, help="tau_eps / tau_x of the dt sweep")
    p.add_argument("--dt-k", type=int, default=4, help="K of the dt sweep")
    p.add_argument("--copies", type=int, default=4, help="independent chains per network")
    p.add_argument("--duration", type=float, default=1000, help="chain length, in tau_x")
    p.add_argument("--burn-in", type=float, default=20, help="discarded start, in tau_x")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--update-docs", action="store_true",
                   help="also rewrite this script's section of docs/sampling.md (maintainers; "
                        "by default only --out is written)")
    return p.parse_args(argv)


def measure(args, ratio, K, dt_div, budget):
    """Sample the posterior with one setting; return the error statistics and cost."""
    tau_x = 10 * ms
    res = {"ratio": ratio, "K": K, "dt_div": dt_div, "budget": budget}
    try:
        model = lg.build(copies=args.copies, device=args.device, seed=args.seed, tau_x=tau_x,
                         tau_eps=ratio * tau_x, n_interneurons=K, dt=tau_x / dt_div,
                         noise_budget=budget)
    except hb.HEEParameterError as exc:
        return {**res, "status": "refused", "why": str(exc)}
    rng = np.random.default_rng(args.seed)
    n_obs = model.layers[0].n // args.copies
    # a patch the model could have generated: x0 = sigma0^2 W z + noise
    W1 = model.weights[0][:n_obs, :8]
    x0 = 0.25 * W1 @ rng.standard_normal(8) + 0.5 * rng.standard_normal(n_obs)
    stim = lg.tile_stimulus(x0, args.copies)
    mean, cov = gaussian_posterior(model, stim)
    mean, cov = mean[:8], cov[:8, :8]
    rec_steps = max(1, int(round(0.1 * dt_div)))  # record every ~tau_x/10
    try:
        rec = model.infer(stim, args.duration * tau_x, record_every=rec_steps * model.dt,
                          layers=[1], spikes=False, seed=args.seed)
    except hb.SimulationDiverged as exc:
        return {**res, "status": "diverged", "why": str(exc)}
    dt_rec = rec_steps / dt_div  # tau_x
    X = lg.split_copies(rec.x[1], args.copies)[int(args.burn_in / dt_rec):]
    # effective samples: the slowest posterior direction limits the fit
    lam, V = np.linalg.eigh(cov)
    iat = max(P.integrated_autocorrelation_time(X @ V[:, k]) for k in range(len(lam)))
    n_eff = X.shape[0] * X.shape[1] / iat
    ratios = P.variance_ratio(X, cov)
    diff = P.sample_mean(X) - mean
    run_s = model.last_times.get("run", float("nan"))
    n_steps = args.duration * dt_div
    res.update(
        status="ok",
        kl=P.kl_to_gaussian(X, mean, cov),
        kl_floor=P.kl_estimation_floor(len(mean), n_eff),
        var_ratio_mean=float(ratios.mean()),
        var_ratio_max=float(ratios.max()),
        mean_error=float(np.sqrt(diff @ np.linalg.solve(cov, diff))),  # in sd (Mahalanobis)
        iat_max_tau_x=iat * dt_rec,
        n_eff=n_eff,
        noise_budget_min=float(np.min(model.noise_budget()[1])) if budget else 1.0,
        run_s=run_s,
        steps_per_s=n_steps / run_s,
        tau_x_per_s=args.duration / run_s,
        chains=args.copies,
    )
    return res


def describe(r):
    if r["status"] != "ok":
        return f"{r['status']}: {r['why']}"
    return (f"KL {r['kl']:.3f} (floor {r['kl_floor']:.3f}), var ratio {r['var_ratio_mean']:.3f}"
            f" (max {r['var_ratio_max']:.3f}), {r['steps_per_s']:.3g} steps/s")


def figure(results, args, out):
    grid = [r for r in results["grid"] if r["status"] == "ok"]
    curves = []
    for K in args.interneurons:
        for budget, ls in [(True, "-"), (False, "--")]:
            rs = sorted([r for r in grid if r["K"] == K and r["budget"] == budget],
                        key=lambda r: r["ratio"])
            if rs:
                curves.append((f"K = {K}" + ("" if budget else ", no noise budget"), ls,
                               [r["ratio"] for r in rs], [r["kl"] for r in rs],
                               [r["var_ratio_mean"] for r in rs]))
    dts = sorted([r for r in results["dt"] if r["status"] == "ok"], key=lambda r: r["dt_div"])
    tau_x = 10e-3  # s, as in measure()
    axes = plotting.plot_posterior_accuracy(
        curves, [tau_x / r["dt_div"] for r in dts], [r["kl"] for r in dts],
        [r["tau_x_per_s"] for r in dts],
        floor=np.median([r["kl_floor"] for r in grid]) if grid else np.nan, tau=tau_x,
        dt_title=f"dt sweep (tau_eps/tau_x = {args.dt_ratio:g}, K = {args.dt_k})")
    axes[0].figure.suptitle(
        "Linear-Gaussian model (16 pixels, 8 latents): sampled vs exact posterior")
    plotting.save_figure(axes, out / "accuracy.png", dpi=120)


def doc_text(results, args):
    head = ["tau_eps/tau_x", "K", "noise budget", "dt (tau_x)", "KL (nats)", "floor",
            "var ratio (mean)", "var ratio (max)", "mean error (sd)", "steps/s", "tau_x/s"]

    def row(r):
        if r["status"] != "ok":
            return [r["ratio"], r["K"], "on" if r["budget"] else "off", f"1/{r['dt_div']:g}",
                    r["status"]] + ["-"] * 6
        return [r["ratio"], r["K"], "on" if r["budget"] else "off", f"1/{r['dt_div']:g}",
                r["kl"], r["kl_floor"], r["var_ratio_mean"], r["var_ratio_max"],
                r["mean_error"], r["steps_per_s"], r["tau_x_per_s"]]

    text = [
        "## Posterior accuracy: interneurons, noise budget, dt",
        "",
        f"Linear-Gaussian model, 16 pixels, 8 latents, sigma_0 = 0.5, exact posterior known; "
        f"{args.copies} chains of {args.duration:g} tau_x per setting (one network). KL: from "
        "the Gaussian fitted to the samples to the exact posterior; floor: what an exact "
        "sampler with the same effective sample size would read, d(d+3)/(4 n_eff), with n_eff from "
        "the slowest direction's IAT (an upper estimate: a measured KL below it is sampling "
        "noise, not error); var ratio: "
        "sampled/exact variance along the posterior's eigen-directions; cost: simulated steps "
        "and tau_x per wall-clock second (cpp_standalone, one thread; measured on a 2-core "
        "machine shared with other jobs, so identical settings can differ 2-3x in cost "
        "between rows: compare costs within one quiet run, e.g. `--ratios 0.05 "
        "--interneurons 1 4 16`). "
        "Regenerate with `python simulations/posterior_accuracy.py`.",
        "",
        "### Against tau_eps/tau_x and the number of interneurons",
        "",
        markdown_table(head, [row(r) for r in results["grid"]]),
        "",
        "### Against dt",
        "",
        markdown_table(head, [row(r) for r in results["dt"]]),
    ]
    return "\n".join(text)


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = {"args": vars(args), "grid": [], "dt": []}
    settings = [(ratio, K, True) for K in args.interneurons for ratio in args.ratios]
    if args.no_budget_k:
        settings += [(ratio, args.no_budget_k, False) for ratio in args.ratios]
    for ratio, K, budget in settings:
        log(f"tau_eps/tau_x = {ratio:g}, K = {K}, noise budget {'on' if budget else 'off'} ...")
        r = measure(args, ratio, K, args.dt, budget)
        log(f"  {describe(r)}")
        results["grid"].append(r)
    for dt_div in args.dt_sweep:
        same = [r for r in results["grid"] if r["ratio"] == args.dt_ratio and r["K"] == args.dt_k
                and r["budget"] and r["dt_div"] == dt_div]
        if same:
            results["dt"].append(same[0])
            continue
        log(f"dt = tau_x/{dt_div:g} (tau_eps/tau_x = {args.dt_ratio:g}, K = {args.dt_k}) ...")
        r = measure(args, args.dt_ratio, args.dt_k, dt_div, True)
        log(f"  {describe(r)}")
        results["dt"].append(r)
    results["dt"].sort(key=lambda r: r["dt_div"])
    results["wall_s"] = time.perf_counter() - t0
    figure(results, args, out)
    publish(out, "posterior_accuracy", results, doc_text(results, args), docs=args.update_docs)


if __name__ == "__main__":
    main()
