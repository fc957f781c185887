"""Learn V1 receptive fields from natural images, then probe them as in V1.

What it shows
-------------
The HEE model (``models/v1.py``: 8x8 whitened patches, 96 sparse latents
with a Cauchy prior) trained from scratch with concurrent inference and local plasticity on
patches of the photos shipped with scikit-image / scikit-learn develops
localised, oriented, band-pass receptive fields.  The trained network is
then probed the way V1 is: white-noise reverse correlation, gratings over
orientation x spatial frequency x phase, a contrast series, and stimulus
onsets; its properties are compared with macaque V1 (Ringach 2002, Ringach
et al. 2002, De Valois et al. 1982, Churchland et al. 2010).

What it writes (to ``--out``, default ``output/v1_receptive_fields``)
--------------------------------------------------------------------
- ``model.npz``: the trained model (``hee_brian.HEEModel.load``-able);
- ``checkpoint.npz``: learning state after each chunk; an interrupted run
  started again with the same arguments resumes from it;
- ``summary.json``: Gabor fraction, nx/ny medians, tuning distributions with
  KS similarity to V1, Fano factors, the top eigenvalue of sigma_0^2 W^T W
  (the stiffness the sampler must follow), timings and the command line;
- ``rf_grid.png``, ``traces.png``, ``nx_ny.png``, ``tuning_examples.png``,
  ``v1_distributions.png``, ``variability.png``.

About 4-5 minutes on 2 cores with the defaults: 204,800 patches learned at
1,000-1,400 patches/s (150-200 s), then about 90 s of Gabor fits, reverse
correlation (on 64 streams) and probing; the summary's ``timings_s`` gives
each stage (docs/performance.md section 3).  90 % of the fields pass the
Gabor test (R^2 >= 0.7) with model seed 1.  Run ``python simulations/v1_receptive_fields.py
--help`` for the options; ``--variant quick`` is a small smoke run and
``--prior laplace`` the smooth-Laplace prior the default replaced.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import second  # noqa: E402

from hee_brian import models  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis import receptive_fields as rfa  # noqa: E402
from hee_brian.analysis import tuning, variability  # noqa: E402
from hee_brian.analysis.recordings import readout_rate  # noqa: E402
from hee_brian.datasets import natural_images as ni  # noqa: E402
from hee_brian.report import log  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Gabor fits with R^2 at or above this count as Gabor-like (the criterion of docs/v1_reference.md).
R2_THRESHOLD = 0.7


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "output" / "v1_receptive_fields"),
                    help="output folder (default: output/v1_receptive_fields)")
    ap.add_argument("--variant", default="default", choices=sorted(models.get("v1").VARIANTS),
                    help="model variant from models/v1.py")
    ap.add_argument("--n-patches", type=int, default=None,
                    help="patches presented during learning (default: the variant's)")
    ap.add_argument("--eta-w", type=float, default=None, help="weight learning rate in Hz")
    ap.add_argument("--seed", type=int, default=1, help="model seed")
    ap.add_argument("--init", default="patches", choices=["patches", "random"],
                    help="initial dictionary: random whitened patches (default) or random "
                         "directions")
    ap.add_argument("--prior", default=None, choices=sorted(models.get("v1").PRIORS),
                    help="latent prior (default: the variant's, student_t)")
    ap.add_argument("--device", default="cpp_standalone", help="Brian2 device")
    ap.add_argument("--images", default=None,
                    help="folder of images or IMAGES.mat file (default: built-in photos)")
    ap.add_argument("--rc-frames", type=int, default=None,
                    help="white-noise frames for reverse correlation, rounded to whole runs of "
                         "1344 (default 12,096 frames on 64 streams, about 15 s)")
    ap.add_argument("--grating-repeats", type=int, default=2)
    ap.add_argument("--fano-blocks", type=int, default=3,
                    help="blocks of blank/stimulus trials for the variability analysis")
    ap.add_argument("--fresh", action="store_true",
                    help="delete an existing checkpoint and train from scratch")
    return ap.parse_args(argv)


# ----------------------------------------------------------------------
# experiments on the trained network.  They all present blocks of
# BLOCK stimuli for PRESENTATION each and record layer 1, so they share one
# compiled standalone project.

N_THETA, N_PHASE = 12, 4
FREQS = 0.05 * 2 ** (np.arange(7) / 2)  # 0.05 .. 0.4 cycles/pixel, half-octave steps
BLOCK = N_THETA * len(FREQS) * N_PHASE  # 336
#: White-noise frames per reverse-correlation run: 4 blocks, 21 frames for each
#: of 64 streams.
RC_CHUNK = 4 * BLOCK
CONTRASTS = (0.0, 0.25, 0.5, 1.0, 2.0)


def grating_experiment(model, side, presentation, repeats, seed):
    thetas = np.arange(N_THETA) * np.pi / N_THETA
    phases = np.arange(N_PHASE) * 2 * np.pi / N_PHASE
    # amplitude 1.5: pixel variance 1.1, like the unit-variance training patches
    stim = tuning.grating_set((side, side), thetas, FREQS, phases, contrast=1.5)
    rates, counts, _ = tuning.present(model, stim, presentation, repeats=repeats, seed=seed)
    shape = (N_THETA, len(FREQS), N_PHASE, -1)
    return thetas, phases, rates.mean(axis=0).reshape(shape), counts.sum(axis=0).reshape(shape)


def onset_experiment(model, patches, presentation, n_blocks, seed):
    """Trials of blank then patch at one of CONTRASTS; counts before/after onset."""
    n_img = 4
    images = patches[:n_img]
    conds = [(i, c) for i in range(n_img) for c in CONTRASTS]
    n_trials = BLOCK // 2
    rng = np.random.default_rng(seed)
    img_id, contrast, before, after, x_after, x_before = [], [], [], [], [], []
    for b in range(n_blocks):
        order = [conds[k % len(conds)] for k in range(n_trials)]
        rng.shuffle(order)
        stim = np.zeros((BLOCK, patches.shape[1]))
        for t, (i, c) in enumerate(order):
            stim[2 * t + 1] = c * images[i]
        rates, counts, xm = tuning.present(model, stim, presentation, seed=seed + 31 * b)
        before.append(counts[0, 0::2])
        after.append(counts[0, 1::2])
        x_before.append(xm[0, 0::2])
        x_after.append(xm[0, 1::2])
        img_id += [i for i, _ in order]
        contrast += [c for _, c in order]
    return (np.array(img_id), np.array(contrast), np.concatenate(before),
            np.concatenate(after), np.concatenate(x_before), np.concatenate(x_after))


def trace_experiment(model, patches, presentation, seed):
    """A few blank -> patch presentations, full traces and spikes."""
    stim = np.zeros((BLOCK, patches.shape[1]))
    stim[1::2] = patches[: BLOCK // 2]
    rec = model.infer(stim, duration=presentation * BLOCK, presentation=presentation,
                      layers=[1], spikes=True, seed=seed)
    return stim, rec


# ----------------------------------------------------------------------

def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def gabor_controls(patches, side, n_ctrl):
    """How often fields with no learned structure pass the Gabor test.

    White random weights (as at initialisation) and Gaussian fields with the
    training patches' covariance (second-order statistics only).
    """
    rng = np.random.default_rng(12345)
    white = rng.standard_normal((n_ctrl, side, side))
    chol = np.linalg.cholesky(np.cov(patches[:20000].T) + 1e-9 * np.eye(side * side))
    samecov = (rng.standard_normal((n_ctrl, side * side)) @ chol.T).reshape(-1, side, side)
    return {
        "white_random_weights": float(np.mean(
            rfa.gabor_table(rfa.fit_gabors(white))["r2"] >= R2_THRESHOLD)),
        "gaussian_fields_with_data_covariance": float(np.mean(
            rfa.gabor_table(rfa.fit_gabors(samecov))["r2"] >= R2_THRESHOLD)),
        "n_per_control": int(n_ctrl),
    }


def write_figures(out, args, gen, sta, fits_gen, fits_sta, good, rec, pres_s, thetas, g_rates,
                  g_counts, props, comparison, onset, vs_c):
    """The six figures of the main job, each one call of hee_brian.analysis.plotting."""
    plotting.save_figure(plotting.plot_receptive_field_grids([gen, sta], [
        "generative fields sigma_0^2 W (each scaled to +-max)\n"
        f"Gabor R^2 >= {R2_THRESHOLD}: {np.mean(fits_gen['r2'] >= R2_THRESHOLD):.0%}",
        "reverse correlation (spike-triggered average of white noise)\n"
        f"Gabor R^2 >= {R2_THRESHOLD}: {np.mean(fits_sta['r2'] >= R2_THRESHOLD):.0%}"]),
        out / "rf_grid.png", dpi=110)
    strongest = np.argsort(-np.abs(rec.x[1]).mean(axis=0))[:6]
    plotting.save_figure(plotting.plot_onset_traces(
        rec.t, rec.x[1], rec.spikes[1].t, rec.spikes[1].i, list(strongest), pres_s),
        out / "traces.png", dpi=110)
    plotting.save_figure(plotting.plot_nx_ny(
        fits_gen["nx"][good], fits_gen["ny"][good],
        label=f"model, R^2 >= {R2_THRESHOLD} (n={good.sum()})"), out / "nx_ny.png", dpi=110)
    # spike counts were summed over repeats in the response window (the last
    # two thirds of each presentation)
    plotting.save_figure(plotting.plot_tuning_examples(
        thetas, FREQS, g_rates, g_counts, props["circular_variance"],
        window=pres_s * 2 / 3 * args.grating_repeats,
        title="Grating tuning (F0 over phase) of example neurons, low to high circular "
              "variance"), out / "tuning_examples.png", dpi=110)
    plotting.save_figure(plotting.plot_tuning_distributions(props, comparison),
                         out / "v1_distributions.png", dpi=110)
    plotting.save_figure(plotting.plot_variability(onset, vs_c), out / "variability.png",
                         dpi=110)


def _median(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else None


def make_summary(argv, model, train, history, args, good, r2_init, control, fits_gen, fits_sta,
                 n_rc, sta_corr, lambda_init, sigma0, comparison, props_spk, onset, vs_c,
                 timings):
    """The main job's ``summary.json`` contents."""
    med = _median
    summary = {
        "command": " ".join([Path(sys.argv[0]).name]
                            + (argv if argv is not None else sys.argv[1:])),
        "model": model.config(),
        "training": {k: str(v) for k, v in train.items()},
        "patches_presented": history["patches"][-1] if history["patches"] else 0,
        "gabor": {
            "threshold_r2": R2_THRESHOLD,
            "fraction_generative": float(good.mean()),
            "fraction_initial_dictionary": float(np.mean(r2_init >= R2_THRESHOLD)),
            "initial_dictionary": args.init,
            "control_fractions": control,
            "median_r2_generative": med(fits_gen["r2"]),
            "fraction_reverse_correlation": float(np.mean(fits_sta["r2"] >= R2_THRESHOLD)),
            "median_r2_reverse_correlation": med(fits_sta["r2"]),
            "reverse_correlation_frames": int(n_rc),
            "median_corr_sta_vs_generative": med(sta_corr),
            "nx_median": med(fits_gen["nx"][good]),
            "ny_median": med(fits_gen["ny"][good]),
            "freq_median_cycles_per_pixel": med(fits_gen["freq"][good]),
        },
        # the loop neurons -> pixel interneurons -> neurons stays stable while
        # this stays well below ~120 at the default dt (models/v1.py)
        "likelihood_lambda_max": {"initial": lambda_init,
                                  "final": rfa.likelihood_lambda_max(model.weights[0], sigma0)},
        "tuning_rates_vs_v1": comparison,
        "tuning_spike_counts": {
            "circular_variance_median": med(props_spk["circular_variance"]),
            "orientation_bandwidth_deg_median": med(props_spk["orientation_bandwidth_deg"]),
            "sf_bandwidth_oct_median": med(props_spk["sf_bandwidth_oct"]),
        },
        "fano_onset": onset,
        "variability_vs_contrast": vs_c,
        "timings_s": timings,
        "load_average": list(os.getloadavg()),
    }
    return summary


def learn_dictionary(args, out, timings):
    """Data and learning (resumed from the checkpoint): the trained model and its start."""
    v1 = models.get("v1")
    params = v1.VARIANTS[args.variant]
    train = v1.training(args.variant)
    if args.n_patches is not None:
        # whole presentations: every stream gets the same number of patches
        train["n_patches"] = -(-args.n_patches // train["streams"]) * train["streams"]
        train["chunk"] = min(train["chunk"], train["n_patches"])
    if args.eta_w is not None:
        from brian2 import Hz

        train["eta_w"] = args.eta_w * Hz
    side = params["patch_size"]

    # -- data
    t0 = time.perf_counter()
    images = ni.load_images(args.images, downsample=train["downsample"], f0=train["f0"])
    cut = dict(normalize=train["normalize"], remove_mean=train["remove_mean"])
    patches = ni.sample_patches(images, train["n_patches"], side, seed=train["data_seed"], **cut)
    test_patches = ni.sample_patches(images, BLOCK, side, seed=train["data_seed"] + 1, **cut)
    timings["data_s"] = time.perf_counter() - t0
    log(f"{len(images)} images, {len(patches)} training patches of {side}x{side}")

    # -- learning (resumes from the checkpoint)
    n_latents = params["n_latents"]
    init = None
    if args.init == "patches":  # patches of their own draw, not training patches
        init = ni.sample_patches(images, n_latents, side, seed=train["data_seed"] + 2, **cut)
    model = v1.build(args.variant, seed=args.seed, device=args.device, init_patches=init,
                     prior=args.prior)
    sigma0 = model.layers[0].family.sigma
    lambda_init = rfa.likelihood_lambda_max(model.weights[0], sigma0)
    r2_init = rfa.gabor_table(rfa.fit_gabors(
        rfa.generative_fields(model.weights[0], (side, side), sigma0)))["r2"]
    log(f"initial dictionary ({args.init}): {np.mean(r2_init >= R2_THRESHOLD):.0%} of fields "
        f"with Gabor R^2 >= {R2_THRESHOLD}")
    ckpt = out / "checkpoint.npz"
    if args.fresh and ckpt.exists():
        ckpt.unlink()
    t0 = time.perf_counter()
    history = model.learn(patches, presentation=train["presentation"], eta_w=train["eta_w"],
                          eta_b=train["eta_b"], chunk=train["chunk"], checkpoint=ckpt,
                          progress=True, streams=train["streams"])
    timings["learn_s"] = time.perf_counter() - t0
    model.save(out / "model.npz")
    log(f"learned in {timings['learn_s']:.0f} s; model written to {out / 'model.npz'}")
    return (model, history, train, side, sigma0, patches, test_patches, r2_init,
            lambda_init)


def main(argv=None):
    args = parse_args(argv)
    t_start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HEE_BRIAN_CACHE", str(out / "brian_cache"))
    timings = {}
    (model, history, train, side, sigma0, patches, test_patches, r2_init,
     lambda_init) = learn_dictionary(args, out, timings)

    # -- receptive fields: generative weights and reverse correlation
    t0 = time.perf_counter()
    gen = rfa.generative_fields(model.weights[0], (side, side), sigma0)
    fits_gen = rfa.gabor_table(rfa.fit_gabors(gen))
    good = fits_gen["r2"] >= R2_THRESHOLD
    log(f"Gabor fits: {good.mean():.0%} of units with R^2 >= {R2_THRESHOLD}")
    control = gabor_controls(patches, side, min(48, model.layers[1].n))
    timings["gabor_fit_s"] = time.perf_counter() - t0
    log(f"controls: {control}")
    presentation = 3 * model.tau_x
    pres_s = float(presentation / second)
    t0 = time.perf_counter()
    # frames in whole runs of RC_CHUNK, shown to the training's streams side by side
    streams = train["streams"] if RC_CHUNK % train["streams"] == 0 else 1
    n_rc = args.rc_frames or 36 * BLOCK
    n_rc = max(RC_CHUNK, n_rc // RC_CHUNK * RC_CHUNK)
    sta = rfa.reverse_correlation(model, n_frames=n_rc, frame=presentation, contrast=1.0,
                                  lags=(0,), seed=args.seed, patch_shape=(side, side),
                                  chunk=RC_CHUNK, streams=streams)
    fits_sta = rfa.gabor_table(rfa.fit_gabors(sta))
    sta_corr = np.array([np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(gen, sta)])
    timings["reverse_correlation_s"] = time.perf_counter() - t0
    log(f"reverse correlation: median corr with generative fields {np.nanmedian(sta_corr):.2f}")

    # -- gratings
    t0 = time.perf_counter()
    thetas, phases, g_rates, g_counts = grating_experiment(
        model, side, presentation, args.grating_repeats, seed=args.seed + 11)
    # -- onsets and contrast
    img_id, contrast, c_before, c_after, x_before, x_after = onset_experiment(
        model, test_patches, presentation, args.fano_blocks, seed=args.seed + 23)
    spont = readout_rate(model, x_before).mean(axis=0)
    props = tuning.tuning_properties(g_rates, thetas, FREQS, phases, baseline=spont)
    props_spk = tuning.tuning_properties(g_counts, thetas, FREQS, phases)
    comparison = tuning.compare_with_v1(props, fits_gen["nx"][good], fits_gen["ny"][good])
    full = contrast == 1.0
    onset = variability.onset_fano(c_before[full], c_after[full], groups=img_id[full])
    vs_c = variability.variability_vs_contrast(contrast, c_after, x_after, groups=img_id)
    stim, rec = trace_experiment(model, test_patches, presentation, seed=args.seed + 5)
    timings["probing_s"] = time.perf_counter() - t0

    # -- figures
    t0 = time.perf_counter()
    write_figures(out, args, gen, sta, fits_gen, fits_sta, good, rec, pres_s, thetas, g_rates,
                  g_counts, props, comparison, onset, vs_c)
    timings["figures_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - t_start

    summary = make_summary(argv, model, train, history, args, good, r2_init, control, fits_gen,
                           fits_sta, n_rc, sta_corr, lambda_init, sigma0, comparison, props_spk,
                           onset, vs_c, timings)
    with open(out / "summary.json", "w") as f:
        json.dump(summary, f, indent=2, default=_json_default)
    g = summary["gabor"]
    log(f"done in {timings['total_s']:.0f} s: Gabor {g['fraction_generative']:.0%} "
        f"(R^2 >= {R2_THRESHOLD}), nx {g['nx_median']}, ny {g['ny_median']}; "
        f"Fano {onset['before']:.3f} -> {onset['after']:.3f}; see {out / 'summary.json'}")
    return summary


if __name__ == "__main__":
    main()
