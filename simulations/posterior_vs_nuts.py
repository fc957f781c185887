"""Does the network sample the trained V1 model's exact posterior?  Held against NUTS.

For each trained V1 model (the main job's ``model.npz``; several with
``--model a.npz b.npz``) and ``--patches`` whitened natural patches (a draw
of their own, not training patches), the latents' posterior is sampled
twice:

* by the network: ``infer`` on 64 streams (64 independent chains) for
  ``--duration`` tau_x, the first ``--burn-in`` tau_x dropped;
* by NUTS on the exact log posterior built from the model's own families,
  weights and biases (:mod:`hee_brian.nuts`: numpyro, dense mass matrix,
  4 chains x 15000 draws after 2000 warm-up steps, float64).

and the two sample sets are compared per latent (mean error in posterior
sd, variance ratio with the share an exact sampler would reach at these
chain lengths, two-sample KS distance) and along the eigen-directions of
the NUTS covariance (the 5 stiffest and 5 flattest), with the Gaussian KL
between the sets and its estimation floor, ESS and R-hat on both sides
(:func:`hee_brian.analysis.posterior.compare_to_reference`).  Each
``--settings`` name (:data:`SETTINGS`) is a set of sampler settings applied
to the loaded model, and each reports its cost in simulated steps and tau_x
per wall-clock second, side by side in one run.  ``--candidates`` adds the
same samplers written in NumPy (:data:`CANDIDATES`), the measurement that
chose the V1 model's sampler.

``--top N`` checks a two-latent-layer model instead: N Gaussian latents
above the trained Cauchy latents (:func:`with_top_layer`), so that the
Cauchy layer has a parent and its interneurons sample A'(eta_1) of a family
without a closed form; NUTS then uses the tabulated exact A'
(:class:`hee_brian.families.TabulatedLogPartition`), and the settings are
:data:`HIERARCHY_SETTINGS`.  ``--top N --exact-prior`` sets W_0 = 0 instead,
so that the top layer's exact marginal is its prior N(0, 1): a check of the
noise budget alone, without NUTS (:func:`exact_prior_check`).

Writes to ``--out`` (default ``output/posterior_vs_nuts``): ``summary.json``
(every statistic, per model, patch and setting), ``table.md`` and
``nuts_check.png`` (variance ratios per latent and per direction).

How long it takes, on 2 cores, per model and patch: NUTS about 30 s, the
network about 40 s per setting at dt = tau_x/200 (2000 tau_x on 64
streams), twice that at tau_x/400: about 22 minutes for two models with
the default settings, about 15 for ``--top 16`` on one model.

Example::

    python simulations/v1_receptive_fields.py --seed 1 --out output/v1_seed1
    python simulations/v1_receptive_fields.py --seed 2 --out output/v1_seed2
    python simulations/posterior_vs_nuts.py --settings model dt125 sampling_euler
        --model output/v1_seed1/model.npz output/v1_seed2/model.npz   # one line
    python simulations/posterior_vs_nuts.py --top 16 --model output/v1_seed1/model.npz
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import second  # noqa: E402
from scipy.special import erf  # noqa: E402

import hee_brian as hb  # noqa: E402
from hee_brian.analysis import posterior as P  # noqa: E402
from hee_brian.analysis.plotting import plot_reference_check, save_figure  # noqa: E402
from hee_brian.datasets import natural_images as ni  # noqa: E402
from hee_brian.models import v1  # noqa: E402
from hee_brian.nuts import nuts_posterior  # noqa: E402
from hee_brian.reference import simulate  # noqa: E402
from hee_brian.report import fmt, log, markdown_table, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Sampler settings compared on the trained V1 model, as overrides of the
#: loaded model; times in units of tau_x (a scalar tau_eps scales every
#: layer's, keeping their ratio).
SETTINGS = {
    # as the V1 model ships: the pixels' A' in closed form, Leimkuhler-Matthews steps
    "model": {},
    # the coarsest step the top layer's own interneurons allow (tau_eps = 5 ms)
    "dt125": {"dt": 1 / 125},
    # the V1 model's sampler until it was checked here: sampling pixel
    # interneurons (K = 1, tau_eps = 0.045 tau_x) and Euler-Maruyama steps
    "sampling_euler": {"interneurons": "sampling", "integrator": "euler"},
    # the library's accurate setting for sampling interneurons
    "accurate": {"interneurons": "sampling", "integrator": "euler", "n_interneurons": 4,
                 "tau_eps": 1 / 40, "dt": 1 / 400},
}

#: Settings of the two-latent-layer model (``--top``), whose middle layer
#: (the trained Cauchy latents) has a parent: its interneurons sample
#: A'(eta_1), K of them per latent with time constant tau_eps[1]
#: (per-layer lists in tau_x; the pixels' A' stays in closed form).
HIERARCHY_SETTINGS = {
    # as the V1 model ships, the Cauchy layer's K = 1 interneurons at tau_eps = tau_x/2
    "model": {},
    # the same without the top layer's noise budget, which offsets the Cauchy
    # interneurons' lag and noise (hee_brian.stability.noise_budget)
    "no_budget": {"noise_budget": False},
    "K4": {"n_interneurons": 4},
    # K = 4 without the budget: with no_budget, splits the widening into the
    # interneurons' lag (the same for any K) and their noise (1/K)
    "no_budget_K4": {"noise_budget": False, "n_interneurons": 4},
    # four times faster Cauchy interneurons (tau_x/8), at the dt they need
    "K4_tau_eps1/4": {"n_interneurons": 4, "tau_eps": [0.045, 0.125, 0.5], "dt": 1 / 500},
}

#: Candidate samplers, in the NumPy reference of the same equations: A'(eta_0)
#: = sigma_0^2 eta_0 in closed form (what exact, instantaneous interneurons
#: would give), integrated with Euler-Maruyama ("em") or Leimkuhler-Matthews
#: ("lm": the noise of a step is the mean of two consecutive draws, which makes
#: the stationary law of a Gaussian target exact), at dt = tau_x / divisor.
CANDIDATES = {
    "exact A', EM, dt=tau_x/200": ("em", 200),
    "exact A', EM, dt=tau_x/400": ("em", 400),
    "exact A', LM, dt=tau_x/200": ("lm", 200),
    "exact A', LM, dt=tau_x/125": ("lm", 125),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", nargs="+",
                   default=[str(ROOT / "output" / "v1_receptive_fields" / "model.npz")],
                   help="trained V1 model(s) (simulations/v1_receptive_fields.py writes one; "
                        "several: one row group per dictionary)")
    p.add_argument("--out", default=str(ROOT / "output" / "posterior_vs_nuts"))
    p.add_argument("--patches", type=int, default=3, help="natural patches to test")
    p.add_argument("--settings", nargs="+", default=None,
                   help=f"network settings to check (default: all of {list(SETTINGS)}, or "
                        f"with --top all of {list(HIERARCHY_SETTINGS)})")
    p.add_argument("--top", type=int, default=0,
                   help="check a two-latent-layer model instead: this many Gaussian latents "
                        "above the trained latents (with_top_layer)")
    p.add_argument("--top-eta-sd", type=float, default=0.1,
                   help="sd of the top-down drive W_1 x_2 under the top prior (default 0.1: "
                        "the Cauchy layer's conditional variance then ranges over 0.94-1.9 "
                        "within 2 sd)")
    p.add_argument("--exact-prior", action="store_true",
                   help="with --top: pixels that say nothing (W_0 = 0), so that the top "
                        "layer's exact marginal is its prior N(0, 1); no NUTS")
    p.add_argument("--candidates", action="store_true",
                   help="also run the NumPy candidate samplers (CANDIDATES) on layer 1")
    p.add_argument("--streams", type=int, default=64, help="network chains per patch")
    p.add_argument("--duration", type=float, default=2000.0,
                   help="network chain length, tau_x (default 2000: with 64 streams, an ESS "
                        "of about 5000 per latent)")
    p.add_argument("--burn-in", type=float, default=20.0, help="dropped start, tau_x")
    p.add_argument("--draws", type=int, default=15000, help="NUTS draws per chain")
    p.add_argument("--warmup", type=int, default=2000, help="NUTS warm-up steps per chain")
    p.add_argument("--chains", type=int, default=4, help="NUTS chains")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--update-docs", action="store_true",
                   help="also rewrite this script's section of docs/sampling.md (maintainers; "
                        "by default only --out is written)")
    p.add_argument("--section", default=None,
                   help="the docs/sampling.md section --update-docs rewrites (default "
                        "posterior_vs_nuts, with --top posterior_vs_nuts_hierarchy)")
    args = p.parse_args(argv)
    known = HIERARCHY_SETTINGS if args.top else SETTINGS
    args.settings = args.settings or list(known)
    bad = sorted(set(args.settings) - set(known))
    if bad:
        p.error(f"unknown settings {bad}; choose from {list(known)}")
    if args.exact_prior and not args.top:
        p.error("--exact-prior checks a top layer: give --top N")
    if args.top and args.candidates:
        p.error("the NumPy candidates cover one latent layer: drop --candidates with --top")
    return args


def exact_prior_check(networks, args):
    """The top layer's variance where it is known exactly: its prior N(0, 1).

    With W_0 = 0 the pixels say nothing, so whatever the Cauchy layer and
    its interneurons do, the exact marginal of the top layer is its prior.
    A check of the noise budget alone, free of a reference sampler's error:
    per top latent, the network's variance and its standard error (from the
    spread over streams), next to the budget's predicted widening, 1 - budget.
    """
    runs = []
    for setting, net in networks.items():
        net.set_weights(W=[np.zeros_like(net.weights[0])] + list(net.weights[1:]),
                        b=net.biases)
        X, cost = network_samples(net, np.zeros(net.layers[0].n), args)
        top = X[..., -args.top:]
        var = top.var(axis=(0, 1))
        se = top.var(axis=0).std(axis=0) / np.sqrt(top.shape[1])
        offset = 1 - np.asarray(net.noise_budget()[-1])
        runs.append({"setting": setting, "var": var.tolist(), "se": se.tolist(),
                     "budget_offset": offset.tolist(), "cost": cost})
        log(f"  {setting}: top-layer variance median {np.median(var):.4f} "
            f"[{var.min():.3f}, {var.max():.3f}], budget offset {offset.mean():.4f}")
    return runs


def exact_prior_table(results, args):
    """The doc section of ``--exact-prior``: one row per setting."""
    head = ["setting", "variance median [min, max]", "median SE", "widening (1 - budget) mean",
            "steps/s"]
    rows = [[r["setting"],
             f"{fmt(np.median(r['var']), 4)} [{fmt(min(r['var']))}, {fmt(max(r['var']))}]",
             fmt(np.median(r["se"]), 2), fmt(np.mean(r["budget_offset"]), 3),
             f"{r['cost']['steps_per_s']:.3g}"] for r in results["runs"]]
    names = ", ".join(f"`{m}`" for m in results["models"])
    what = (f"## The noise budget where the answer is exact ({args.duration:g} tau_x chains)\n\n"
            f"The two-latent-layer model of the next section ({names}, {args.top} Gaussian "
            f"latents above the 96 Cauchy latents, eta_1 sd {args.top_eta_sd:g}) with W_0 = 0: "
            "the pixels say nothing, so the top layer's exact marginal is its prior N(0, 1) "
            "whatever the Cauchy layer and its interneurons do. Variance per top latent over "
            f"{args.streams} streams x {args.duration:g} tau_x (the first {args.burn_in:g} "
            "dropped); SE from the spread over streams; widening: what the budget takes off "
            "the neurons' own noise. Settings as in the next section; `no_budget_K4` is K = 4 "
            "without the budget. Regenerate with `python simulations/posterior_vs_nuts.py "
            + " ".join(results["argv"]) + "`.")
    return what + "\n\n" + markdown_table(head, rows)


def with_setting(base, over):
    """The model ``base`` with one setting's overrides (times in tau_x)."""
    tau_x = base.tau_x_s
    over = dict(over)
    if "dt" in over:
        over["dt"] = over["dt"] * tau_x
    if "tau_eps" in over:
        te = over["tau_eps"]
        if np.ndim(te):
            over["tau_eps"] = [t * tau_x for t in te]
        else:  # keep the layers' ratio
            ratio = te * tau_x / base.tau_eps_layers_s[0]
            over["tau_eps"] = [t * ratio for t in base.tau_eps_layers_s]
    if not over:
        return base
    model = hb.HEEModel.from_config(base.config(), **over)
    model.set_weights(W=base.weights, b=base.biases)
    return model


def with_top_layer(model, n_top, eta_sd, seed):
    """The trained model with a Gaussian layer of ``n_top`` latents above its latents.

    The trained latents become a middle layer with a parent, so their
    interneurons sample A'(eta_1) of their (non-Gaussian) family.  W_1 is
    drawn N(0, eta_sd^2 / n_top), so that eta_1 = W_1 x_2 has sd ``eta_sd``
    under the top layer's prior N(0, 1); b_1 = 0 keeps the trained prior at
    x_2 = 0, and the middle layer's tau_eps is the top layer's.
    """
    cfg = model.config()
    top = {"n": int(n_top), "family": "gaussian", "params": {"sigma": 1.0}}
    hier = hb.HEEModel.from_config(cfg, layers=cfg["layers"] + [top],
                                   tau_eps=list(model.tau_eps_layers_s)
                                   + [model.tau_eps_layers_s[-1]])
    W1 = np.random.default_rng(seed).normal(scale=eta_sd / np.sqrt(n_top),
                                            size=(model.layers[-1].n, n_top))
    hier.set_weights(W=list(model.weights) + [W1],
                     b=list(model.biases) + [np.zeros(n_top)])
    return hier


def test_patches(model, n, seed):
    """``n`` whitened, contrast-normalised natural patches the model was not trained on."""
    train = v1.training("default")
    side = int(round(np.sqrt(model.layers[0].n)))
    images = ni.load_images(None, downsample=train["downsample"], f0=train["f0"])
    return ni.sample_patches(images, n, side, seed=seed, normalize=train["normalize"],
                             remove_mean=train["remove_mean"])


def network_samples(model, x0, args):
    """The network's samples of all latents (layer 1 first), (T, streams, d), and its cost."""
    tau_x = model.tau_x_s
    record = max(1, int(round(0.25 * tau_x / model.dt_s)))  # every tau_x/4
    latent = list(range(1, len(model.layers)))
    rec = model.infer(np.tile(x0, (args.streams, 1)), args.duration * tau_x * second,
                      record_every=record * model.dt, layers=latent, spikes=False,
                      seed=args.seed, streams=args.streams)
    X = np.concatenate([rec.x[l].reshape(rec.x[l].shape[0], args.streams, -1)
                        for l in latent], axis=-1)
    X = X[int(args.burn_in / (record * model.dt_s / tau_x)):]
    run_s = model.last_times.get("run", float("nan"))
    steps = args.duration * tau_x / model.dt_s
    return X, {"run_s": run_s, "steps_per_s": steps / run_s,
               "tau_x_per_s": args.duration / run_s}


def candidate_samples(model, x0, scheme, divisor, args):
    """Samples of a candidate sampler (:data:`CANDIDATES`), (T, streams, n_1), and its cost.

    The NumPy reference of the network's equations
    (:func:`hee_brian.reference.simulate`) on the model with
    ``interneurons="closed_form"``, the candidate's integrator and dt.
    """
    integrator = {"em": "euler", "lm": "leimkuhler_matthews"}[scheme]
    cand = hb.HEEModel.from_config(model.config(), interneurons="closed_form",
                                   integrator=integrator, dt=model.tau_x_s / divisor)
    cand.set_weights(W=model.weights, b=model.biases)
    if not cand.closed_form[0]:
        raise SystemExit("the candidate samplers need a Gaussian layer 0 (A' in closed form)")
    record = divisor // 4  # every tau_x/4, like the network
    t0 = time.perf_counter()
    res = simulate(cand, x0, int(args.duration * divisor), record_every=record,
                   streams=args.streams, seed=args.seed)
    wall = time.perf_counter() - t0
    X = res["x"][1][int(args.burn_in * divisor) // record:]
    return X, {"run_s": wall, "steps_per_s": args.duration * divisor / wall,
               "tau_x_per_s": args.duration / wall, "numpy": True}


def exact_share(se):
    """Share of latents an exact sampler puts within 5 %, given each ratio's standard error."""
    return float(np.mean(erf(0.05 / (np.sqrt(2) * se))))


def summarise(c):
    """The headline numbers of one comparison (compare_to_reference output)."""
    v = c["var_ratio"]
    return {
        "mean_error_sd_median": float(np.median(c["mean_error_sd"])),
        "mean_error_sd_max": float(np.max(c["mean_error_sd"])),
        "var_ratio_median": float(np.median(v)),
        "var_ratio_min": float(v.min()),
        "var_ratio_max": float(v.max()),
        "var_within_5pct": float(np.mean(np.abs(v - 1) <= 0.05)),
        "var_within_10pct": float(np.mean(np.abs(v - 1) <= 0.10)),
        # what an exact sampler would score with these chains: the estimation
        # error of each ratio from both sides' ESS and kurtosis
        "var_within_5pct_exact": exact_share(c["var_ratio_se"]),
        "stiff_ratio": [float(r) for r in c["stiff_ratio"]],
        "flat_ratio": [float(r) for r in c["flat_ratio"]],
        "ks_median": float(np.median(c["ks"])),
        "ks_max": float(np.max(c["ks"])),
        "kl": float(c["kl"]),
        "kl_floor": float(c["kl_floor"]),
        "ess_min": float(c["ess"].min()),
        "ess_ref_min": float(c["ess_ref"].min()),
        "rhat_max": float(c["rhat"].max()),
        "rhat_ref_max": float(c["rhat_ref"].max()),
    }


def by_layer(c, sizes):
    """Per latent layer (layer 1 first): its variance ratios' median and share within 5 %."""
    out, start = [], 0
    for n in sizes:
        v, se = c["var_ratio"][start:start + n], c["var_ratio_se"][start:start + n]
        out.append({"n": n, "var_ratio_median": float(np.median(v)),
                    "var_within_5pct": float(np.mean(np.abs(v - 1) <= 0.05)),
                    "var_within_5pct_exact": exact_share(se),
                    "mean_error_sd_max": float(np.max(c["mean_error_sd"][start:start + n]))})
        start += n
    return out


def table(results, args):
    """The doc section: what was compared, then one row per (model, setting, patch)."""
    head = ["model", "setting", "patch", "mean err (sd) med / max", "var ratio med [min, max]",
            "in +-5 % (exact sampler)", "5 stiffest", "KL (floor)", "steps/s"]
    rows = []
    for r in results["runs"]:
        s = r["summary"]
        rows.append([r["model"], r["setting"], r["patch"],
                     f"{fmt(s['mean_error_sd_median'], 2)} / {fmt(s['mean_error_sd_max'], 2)}",
                     f"{fmt(s['var_ratio_median'])} [{fmt(s['var_ratio_min'])}, "
                     f"{fmt(s['var_ratio_max'])}]",
                     f"{100 * s['var_within_5pct']:.0f} % "
                     f"({100 * s['var_within_5pct_exact']:.0f} %)",
                     " ".join(f"{x:.2f}" for x in s["stiff_ratio"]),
                     f"{fmt(s['kl'])} ({fmt(s['kl_floor'])})",
                     f"{r['cost']['steps_per_s']:.3g}"
                     + (" (NumPy)" if r["cost"].get("numpy") else "")])
    nuts = results["nuts"]
    names = ", ".join(f"`{m}`" for m in results["models"])
    # a section of its own (--section) says its chain length in its title
    length = f", {args.duration:g} tau_x chains" if args.section else ""
    if args.top:
        what = (f"## A two-latent-layer model against NUTS{length}\n\n"
                f"Trained V1 model(s) {names} (64 pixels, sigma_0 = 0.35, 96 Cauchy latents) "
                f"with {args.top} Gaussian latents (sigma 1) above the Cauchy layer, W_2 drawn "
                f"so that eta_1 = W_2 x_2 has sd {args.top_eta_sd:g} (`with_top_layer` in the "
                "script): the Cauchy layer now has a parent, and its interneurons sample "
                "A'(eta_1) of the Cauchy family, which has no closed form. NUTS uses the exact "
                "A' (tabulated by quadrature, `hee_brian.families.TabulatedLogPartition`). "
                "Statistics over all "
                f"{96 + args.top} latents. Settings: `model` as the V1 model ships (pixel A' in "
                "closed form, Leimkuhler-Matthews steps, dt = tau_x/200; Cauchy layer K = 1, "
                "tau_eps = tau_x/2, the top layer's noise budget from the Cauchy "
                "interneurons' relaxation modes, averaged over the top-down drive); "
                "`no_budget` the same without the noise budget; `K4` "
                "K = 4 Cauchy interneurons; `no_budget_K4` K = 4 without the budget; "
                "`K4_tau_eps1/4` K = 4 at tau_eps = tau_x/8, dt = tau_x/500. ")
    else:
        what = (f"## The trained V1 model against NUTS{length}\n\n"
                f"Trained V1 model(s) {names} (64 pixels, sigma_0 = 0.35, 96 Cauchy latents; "
                "the main job's output with model seeds 1 and 2). Settings: `model` as the V1 "
                "model ships (`interneurons=\"closed_form\"`: pixel A' = sigma_0^2 eta, no "
                "pixel interneurons; Leimkuhler-Matthews steps; dt = tau_x/200); `dt125` the "
                "same at dt = tau_x/125, the coarsest step the top layer's interneurons "
                "allow; `sampling_euler` the V1 model's sampler before this check (sampling "
                "pixel interneurons, K = 1, tau_eps = 0.045 tau_x, Euler steps); `accurate` "
                "the library's accurate setting for sampling interneurons (K = 4, tau_eps = "
                "tau_x/40, dt = tau_x/400, Euler). Rows marked NumPy are candidate samplers "
                "in NumPy (`CANDIDATES` in the script), whose steps/s are not comparable. ")
    intro = (
        what
        + f"{len(nuts)} (model, patch) pairs of whitened natural test patches. Network: "
        f"{args.streams} streams x {args.duration:g} tau_x, the first {args.burn_in:g} dropped, "
        f"recorded every tau_x/4. NUTS (`hee_brian.nuts`): {args.chains} chains x "
        f"{args.draws} draws after {args.warmup} warm-up steps, dense mass matrix; max R-hat "
        f"{max(n['rhat_max'] for n in nuts):.4f}, min ESS "
        f"{min(n['ess_min'] for n in nuts):.0f}, "
        f"{sum(n['divergences'] for n in nuts)} divergences. Mean error: |network mean - "
        "NUTS mean| in NUTS sd; var ratio: network / NUTS variance per latent; in +-5 %: the "
        "share of latents whose ratio is within 5 %, and in brackets the share an exact "
        "sampler would reach with chains of these lengths (from each ratio's standard "
        "error, both sides' ESS and kurtosis); 5 stiffest: the ratio along the 5 "
        "smallest-variance eigen-directions of the NUTS covariance; KL between the fitted "
        "Gaussians, floor from splitting each sample set in two. Steps/s: the network's "
        "simulated steps per wall-clock second on 2 cores, settings of one model measured "
        "side by side. Regenerate with `python simulations/posterior_vs_nuts.py "
        + " ".join(results["argv"]) + "`.\n\n"
    )
    return intro + markdown_table(head, rows)


def main(argv=None):
    args = parse_args(argv)
    missing = [m for m in args.model if not Path(m).exists()]
    if missing:
        raise SystemExit(f"no trained model at {missing[0]}: run "
                         "simulations/v1_receptive_fields.py first, or give --model")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    known = HIERARCHY_SETTINGS if args.top else SETTINGS
    results = {"models": [], "settings": {k: known[k] for k in args.settings},
               "candidates": CANDIDATES if args.candidates else {}, "runs": [], "nuts": [],
               # the command line, for the doc's "regenerate with"
               "argv": list(sys.argv[1:] if argv is None else argv)}
    comparisons = {}
    for m, path in enumerate(args.model):
        name = f"{Path(path).parent.name}/{Path(path).name}"
        results["models"].append(name)
        base = hb.HEEModel.load(path)
        if args.top:
            base = with_top_layer(base, args.top, args.top_eta_sd, seed=args.seed)
        networks = {setting: with_setting(base, known[setting]) for setting in args.settings}
        if args.exact_prior:
            results["runs"] += exact_prior_check(networks, args)
            continue
        patches = test_patches(base, args.patches, seed=1000 + args.seed)
        for p, x0 in enumerate(patches):
            log(f"{name}, patch {p}: NUTS, {args.chains} chains x {args.draws} draws")
            ref = nuts_posterior(base, x0, draws=args.draws, warmup=args.warmup,
                                 chains=args.chains, seed=args.seed + p)
            ref_x = np.concatenate(ref["x"][1:], axis=-1)
            results["nuts"].append({"model": name, "patch": p, "wall_s": ref["wall_s"],
                                    "divergences": ref["divergences"],
                                    "rhat_max": float(ref["rhat"].max()),
                                    "ess_min": float(ref["ess"].min())})
            runs = [(setting, None) for setting in args.settings]
            if args.candidates:
                runs += [(cand, CANDIDATES[cand]) for cand in CANDIDATES]
            for setting, candidate in runs:
                if candidate is None:
                    X, cost = network_samples(networks[setting], x0, args)
                else:
                    X, cost = candidate_samples(base, x0, *candidate, args)
                c = P.compare_to_reference(X, ref_x)
                comparisons[(m, setting, p)] = c
                s = summarise(c)
                s["by_layer"] = by_layer(c, [layer.n for layer in base.layers[1:]])
                results["runs"].append({"model": name, "setting": setting, "patch": p,
                                        "summary": s, "cost": cost})
                log(f"  {setting}: var ratio median {s['var_ratio_median']:.3f}, "
                    f"{100 * s['var_within_5pct']:.0f} % within 5 % "
                    f"({100 * s['var_within_5pct_exact']:.0f} % for an exact sampler), "
                    f"stiffest {s['stiff_ratio'][0]:.2f}, KL {s['kl']:.3f} "
                    f"(floor {s['kl_floor']:.3f}), {cost['steps_per_s']:.3g} steps/s")
    results["wall_s"] = time.perf_counter() - t0
    if args.exact_prior:
        publish(out, args.section or "posterior_vs_nuts_exact_prior", results,
                exact_prior_table(results, args), docs=args.update_docs)
        return results
    keys = list(comparisons)
    axs = plot_reference_check([comparisons[k]["var_ratio"] for k in keys],
                               [comparisons[k]["stiff_ratio"] for k in keys],
                               [comparisons[k]["flat_ratio"] for k in keys],
                               [f"model {m + 1}, {s}, patch {p}" for m, s, p in keys])
    save_figure(axs[0].figure, out / "nuts_check.png")
    key = args.section or ("posterior_vs_nuts_hierarchy" if args.top else "posterior_vs_nuts")
    publish(out, key, results, table(results, args), docs=args.update_docs)
    return results


if __name__ == "__main__":
    main()
