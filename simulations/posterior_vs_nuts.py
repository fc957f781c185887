"""Does the network sample the trained V1 model's exact posterior?  Held against NUTS.

For the trained V1 model (the main job's ``model.npz``) and ``--patches``
whitened natural patches (a draw of their own, not training patches), the
latents' posterior is sampled twice:

* by the network: ``infer`` on 64 streams (64 independent chains) for
  ``--duration`` tau_x, the first ``--burn-in`` tau_x dropped;
* by NUTS on the exact log posterior built from the model's own families,
  weights and biases (:mod:`hee_brian.nuts`: numpyro, dense mass matrix,
  4 chains x 6000 draws after 2000 warm-up steps, float64).

and the two sample sets are compared per latent (mean error in posterior
sd, variance ratio, two-sample KS distance) and along the eigen-directions
of the NUTS covariance (the 5 stiffest and 5 flattest), with the Gaussian
KL between the sets and its estimation floor, ESS and R-hat on both sides
(:func:`hee_brian.analysis.posterior.compare_to_reference`).  Each
``--settings`` name is a set of sampler settings applied to the loaded
model: ``model`` (what the V1 model ships with), ``accurate`` (the
library's accurate setting: K = 4, tau_eps = tau_x/40, dt = tau_x/400),
``closed_form_lm`` (``interneurons="closed_form"``: the pixel layer's
A'(eta) = sigma_0^2 eta in closed form, and Leimkuhler-Matthews steps, at
the model's dt = tau_x/200) and ``closed_form_lm_dt125`` (the same at
dt = tau_x/125, the coarsest step the top layer's interneurons allow);
each reports its cost in simulated steps and tau_x per wall-clock second.
The :data:`CANDIDATES` are the same samplers written in NumPy on the same
chains and lengths (with Euler-Maruyama steps too), the measurement that
chose them (docs/sampling.md).

Writes to ``--out`` (default ``output/posterior_vs_nuts``): ``summary.json``
(every statistic, per patch and setting), ``table.md`` and
``nuts_check.png`` (variance ratios per latent and per direction).

How long it takes, on 2 cores: per patch, NUTS about 25 s (4 x 8000
steps), the network about 10 s for ``model``, 30 s for ``accurate`` and
5-10 s for each closed-form setting (plus one compilation per setting), the
four NumPy candidates about 65 s: about 9 minutes for the defaults
(``--no-candidates``: about 5).

Example::

    python simulations/v1_receptive_fields.py   # writes output/v1_receptive_fields/model.npz
    python simulations/posterior_vs_nuts.py                # 3 patches, both settings
    python simulations/posterior_vs_nuts.py --model path/to/model.npz --patches 5 --settings model
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import second  # noqa: E402

import hee_brian as hb  # noqa: E402
from hee_brian.analysis import posterior as P  # noqa: E402
from hee_brian.analysis.plotting import plot_reference_check, save_figure  # noqa: E402
from hee_brian.datasets import natural_images as ni  # noqa: E402
from hee_brian.models import v1  # noqa: E402
from hee_brian.nuts import nuts_posterior  # noqa: E402
from hee_brian.reference import simulate  # noqa: E402
from hee_brian.report import fmt, log, markdown_table, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Sampler settings compared, as overrides of the loaded model (tau_x multiples).
SETTINGS = {
    "model": {},
    "accurate": {"n_interneurons": 4, "tau_eps": 1 / 40, "dt": 1 / 400},
    "closed_form_lm": {"interneurons": "closed_form", "integrator": "leimkuhler_matthews"},
    # the coarsest step the top layer's own interneurons allow (tau_eps = 5 ms)
    "closed_form_lm_dt125": {"interneurons": "closed_form", "integrator": "leimkuhler_matthews",
                             "dt": 1 / 125},
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
    p.add_argument("--model", default=str(ROOT / "output" / "v1_receptive_fields" / "model.npz"),
                   help="trained V1 model (simulations/v1_receptive_fields.py writes it)")
    p.add_argument("--out", default=str(ROOT / "output" / "posterior_vs_nuts"))
    p.add_argument("--patches", type=int, default=3, help="natural patches to test")
    p.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=sorted(SETTINGS),
                   help="network settings to check")
    p.add_argument("--no-candidates", action="store_true",
                   help="skip the NumPy candidate samplers (CANDIDATES)")
    p.add_argument("--streams", type=int, default=64, help="network chains per patch")
    p.add_argument("--duration", type=float, default=380.0, help="network chain length, tau_x")
    p.add_argument("--burn-in", type=float, default=20.0, help="dropped start, tau_x")
    p.add_argument("--draws", type=int, default=6000, help="NUTS draws per chain")
    p.add_argument("--warmup", type=int, default=2000, help="NUTS warm-up steps per chain")
    p.add_argument("--chains", type=int, default=4, help="NUTS chains")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--update-docs", action="store_true",
                   help="also rewrite this script's section of docs/sampling.md (maintainers; "
                        "by default only --out is written)")
    return p.parse_args(argv)


def load(path, base, setting):
    """The trained model ``base`` (read from ``path``) with one setting's overrides.

    Times in :data:`SETTINGS` are in units of tau_x.
    """
    tau_x = base.tau_x_s
    over = {}
    for key, value in SETTINGS[setting].items():
        over[key] = value * tau_x if key in ("tau_eps", "dt") else value
    if "tau_eps" in over:  # the V1 model has one per layer: keep their ratio
        ratio = over["tau_eps"] / base.tau_eps_layers_s[0]
        over["tau_eps"] = [t * ratio for t in base.tau_eps_layers_s]
    return hb.HEEModel.load(path, **over) if over else base


def test_patches(model, n, seed):
    """``n`` whitened, contrast-normalised natural patches the model was not trained on."""
    train = v1.training("default")
    side = int(round(np.sqrt(model.layers[0].n)))
    images = ni.load_images(None, downsample=train["downsample"], f0=train["f0"])
    return ni.sample_patches(images, n, side, seed=seed, normalize=train["normalize"],
                             remove_mean=train["remove_mean"])


def network_samples(model, x0, args):
    """The network's samples of the latents, (T, streams, n_1), and its cost."""
    tau_x = model.tau_x_s
    record = max(1, int(round(0.25 * tau_x / model.dt_s)))  # every tau_x/4
    rec = model.infer(np.tile(x0, (args.streams, 1)), args.duration * tau_x * second,
                      record_every=record * model.dt, layers=[1], spikes=False,
                      seed=args.seed, streams=args.streams)
    n = model.layers[1].n
    X = rec.x[1].reshape(rec.x[1].shape[0], args.streams, n)
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


def table(results, args):
    """The doc section: what was compared, then one row per (setting, patch)."""
    head = ["setting", "patch", "mean err (sd) med / max", "var ratio med [min, max]",
            "in +-5 %", "5 stiffest", "KL (floor)", "steps/s"]
    rows = []
    for r in results["runs"]:
        s = r["summary"]
        rows.append([r["setting"], r["patch"],
                     f"{fmt(s['mean_error_sd_median'], 2)} / {fmt(s['mean_error_sd_max'], 2)}",
                     f"{fmt(s['var_ratio_median'])} [{fmt(s['var_ratio_min'])}, "
                     f"{fmt(s['var_ratio_max'])}]",
                     f"{100 * s['var_within_5pct']:.0f} %",
                     " ".join(f"{x:.2f}" for x in s["stiff_ratio"]),
                     f"{fmt(s['kl'])} ({fmt(s['kl_floor'])})",
                     f"{r['cost']['steps_per_s']:.3g}"
                     + (" (NumPy)" if r["cost"].get("numpy") else "")])
    nuts = results["nuts"]
    intro = (
        "## The trained V1 model against NUTS\n\n"
        f"Model `{Path(results['model']).name}` (64 pixels, sigma_0 = 0.35, 96 Cauchy "
        f"latents); {len(nuts)} whitened natural test patches. Network: {args.streams} "
        f"streams x {args.duration:g} tau_x, the first {args.burn_in:g} dropped, recorded "
        f"every tau_x/4. NUTS (`hee_brian.nuts`): {args.chains} chains x {args.draws} draws "
        f"after {args.warmup} warm-up steps, dense mass matrix; max R-hat "
        f"{max(n['rhat_max'] for n in nuts):.4f}, min ESS "
        f"{min(n['ess_min'] for n in nuts):.0f}, "
        f"{sum(n['divergences'] for n in nuts)} divergences. Mean error: |network mean - "
        "NUTS mean| in NUTS sd; var ratio: network / NUTS variance per latent; 5 stiffest: "
        "the ratio along the 5 smallest-variance eigen-directions of the NUTS covariance; KL "
        "between the fitted Gaussians, floor from splitting each sample set in two. "
        "Settings: `model` as the V1 model ships (K = 1, tau_eps = 0.045 tau_x, dt = "
        "tau_x/200, Euler); `accurate` K = 4, tau_eps = tau_x/40, dt = tau_x/400; "
        "`closed_form_lm` `interneurons=\"closed_form\"` (pixel A' = sigma_0^2 eta, no pixel "
        "interneurons) with Leimkuhler-Matthews steps at dt = tau_x/200, `_dt125` at "
        "tau_x/125. Rows marked NumPy are the same samplers in NumPy (`CANDIDATES` in the "
        "script), whose steps/s are NumPy's and not comparable. "
        "Regenerate with `python simulations/posterior_vs_nuts.py --update-docs`.\n\n"
    )
    return intro + markdown_table(head, rows)


def main(argv=None):
    args = parse_args(argv)
    if not Path(args.model).exists():
        raise SystemExit(f"no trained model at {args.model}: run "
                         "simulations/v1_receptive_fields.py first, or give --model")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    base = hb.HEEModel.load(args.model)
    networks = {setting: load(args.model, base, setting) for setting in args.settings}
    patches = test_patches(base, args.patches, seed=1000 + args.seed)
    results = {"model": str(args.model), "settings": {k: SETTINGS[k] for k in args.settings},
               "candidates": {} if args.no_candidates else CANDIDATES, "runs": [], "nuts": []}
    comparisons = {}
    for p, x0 in enumerate(patches):
        log(f"patch {p}: NUTS, {args.chains} chains x {args.draws} draws")
        ref = nuts_posterior(base, x0, draws=args.draws, warmup=args.warmup,
                             chains=args.chains, seed=args.seed + p)
        results["nuts"].append({"patch": p, "wall_s": ref["wall_s"],
                                "divergences": ref["divergences"],
                                "rhat_max": float(ref["rhat"].max()),
                                "ess_min": float(ref["ess"].min())})
        runs = [(setting, None) for setting in args.settings]
        if not args.no_candidates:
            runs += [(name, CANDIDATES[name]) for name in CANDIDATES]
        for setting, candidate in runs:
            if candidate is None:
                X, cost = network_samples(networks[setting], x0, args)
            else:
                X, cost = candidate_samples(base, x0, *candidate, args)
            c = P.compare_to_reference(X, ref["x"][1])
            comparisons[(setting, p)] = c
            s = summarise(c)
            results["runs"].append({"setting": setting, "patch": p, "summary": s, "cost": cost})
            log(f"  {setting}: var ratio median {s['var_ratio_median']:.3f}, "
                f"{100 * s['var_within_5pct']:.0f} % within 5 %, stiffest "
                f"{s['stiff_ratio'][0]:.2f}, KL {s['kl']:.3f} (floor {s['kl_floor']:.3f}), "
                f"{cost['steps_per_s']:.3g} steps/s")
    results["wall_s"] = time.perf_counter() - t0
    keys = list(comparisons)
    axs = plot_reference_check([comparisons[k]["var_ratio"] for k in keys],
                               [comparisons[k]["stiff_ratio"] for k in keys],
                               [comparisons[k]["flat_ratio"] for k in keys],
                               [f"{s}, patch {p}" for s, p in keys])
    save_figure(axs[0].figure, out / "nuts_check.png")
    publish(out, "posterior_vs_nuts", results, table(results, args), docs=args.update_docs)
    return results


if __name__ == "__main__":
    main()
