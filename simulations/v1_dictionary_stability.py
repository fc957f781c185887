"""Does the local plasticity keep a Gabor-like dictionary?  It depends on sigma_0.

What it shows
-------------
The V1 model (``models/v1.py``) is started from a dictionary of localised,
oriented fields, learned by sparse coding (MAP inference, scikit-learn's
``MiniBatchDictionaryLearning``) on the same whitened patches, or from
random patches / random directions (``--start``).  The HEE plasticity then
runs on those patches, and the fraction of fields with a Gabor fit of
R^2 >= 0.7 is tracked.  At large observation noise sigma_0 the learning
drifts away from localised fields (maximum likelihood gives most of the
pixel variance to noise); at sigma_0 = 0.35, the V1 default, it keeps them.
This is the measurement behind the choice of sigma_0 in ``models/v1.py``
(made with ``--prior laplace``, the smooth-Laplace prior; ``--prior``
defaults to the model's, now the Cauchy prior).

The dynamics are integrated by the NumPy reference of the HEE equations
(``hee_brian.reference``) with ``--streams`` patch streams sharing
W, exactly as ``HEEModel.learn(streams=B)`` runs them in Brian2; NumPy's
matrix products make many streams cheap there.  Each sigma_0 gets the dt and
pixel-interneuron time constant that keep the interneuron loop's lag below
tau_x / (4 lambda_max) (see models/v1.py).

What it writes (to ``--out``, default ``output/v1_dictionary_stability``)
-----------------------------------------------------------------------
- ``summary.json``: Gabor fraction (and median R^2, column norms, top
  eigenvalue of sigma_0^2 W^T W) after every chunk, per sigma_0;
- ``stability.png``: Gabor fraction against patches presented.

How long it takes
-----------------
About 10 minutes on one core for the example below (two sigma_0 values of
40,000 patches; sigma_0 = 0.35 runs at half the dt, so it costs twice as
much as 0.5 or 0.7); the defaults (three sigma_0 values) about a third
longer.  No compilation: the NumPy reference needs none.

Example::

    python simulations/v1_dictionary_stability.py --sigma0 0.35 0.7 --patches 40000 --prior laplace
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import ms  # noqa: E402

from hee_brian import models  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis import receptive_fields as rfa  # noqa: E402
from hee_brian.datasets import natural_images as ni  # noqa: E402
from hee_brian.reference import simulate  # noqa: E402
from hee_brian.report import log  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: dt, pixel- and top-interneuron time constants per sigma_0 (ms): dt within
#: the interneurons' Euler limits, and the pixel interneurons' lag
#: sigma_0^2 tau_eps below tau_x / (4 lambda_max) for the lambda_max each
#: sigma_0 learns.
TIMESTEPS = {0.35: (0.05, 0.45, 5.0), 0.5: (0.1, 0.45, 10.0), 0.7: (0.1, 1.0, 10.0)}
R2_THRESHOLD = 0.7


def starting_dictionary(kind, patches, n_latents, seed):
    """Columns (n_pixels, n_latents) of unit norm."""
    rng = np.random.default_rng(seed)
    if kind == "sparse-coding":
        from sklearn.decomposition import MiniBatchDictionaryLearning

        dl = MiniBatchDictionaryLearning(n_components=n_latents, alpha=1.0, batch_size=256,
                                         max_iter=10, random_state=seed)
        D = dl.fit(patches).components_.T
    elif kind == "patches":
        D = patches[rng.choice(len(patches), n_latents, replace=False)].T
    else:
        D = rng.standard_normal((patches.shape[1], n_latents))
    return D / np.linalg.norm(D, axis=0)


def gabor_stats(W, sigma0, side):
    fits = rfa.gabor_table(rfa.fit_gabors(rfa.generative_fields(W, (side, side), sigma0)))
    D = sigma0**2 * W
    return {"fraction": float(np.mean(fits["r2"] >= R2_THRESHOLD)),
            "median_r2": float(np.median(fits["r2"])),
            "median_norm": float(np.median(np.linalg.norm(D, axis=0))),
            "lambda_max": rfa.likelihood_lambda_max(W, sigma0)}


def run(sigma0, D0, patches, args, side):
    dt, tau_eps0, tau_eps1 = TIMESTEPS[sigma0]
    # the V1 model with this sigma_0 and its time steps
    model = models.get("v1").build(args.variant, seed=args.seed, sigma0=sigma0, dt=dt * ms,
                                   tau_eps=[tau_eps0 * ms, tau_eps1 * ms], prior=args.prior)
    model.set_weights(W=[args.norm * D0 / sigma0**2])
    B = args.streams
    pres = int(round(args.presentation / dt))
    chunk = args.chunk // B * B
    history = [{"patches": 0, **gabor_stats(model.weights[0], sigma0, side)}]
    log(f"sigma_0 = {sigma0}: start {history[0]}")
    for c in range(args.patches // chunk):
        stim = patches[c * chunk:(c + 1) * chunk].reshape(chunk // B, B, -1)
        out = simulate(model, None, (chunk // B) * pres, record_every=(chunk // B) * pres,
                       streams=B, seed=args.seed + c, stimuli=stim, presentation_steps=pres,
                       learn=True, eta_w=args.eta_w, eta_b=0.0)
        if not np.all(np.isfinite(out["W"][0])):
            log(f"sigma_0 = {sigma0}: diverged in chunk {c}")
            history.append({"patches": (c + 1) * chunk, "diverged": True})
            break
        model.set_weights(W=out["W"])
        history.append({"patches": (c + 1) * chunk, **gabor_stats(model.weights[0], sigma0, side)})
        log(f"sigma_0 = {sigma0}: {history[-1]}")
    return {"dt_ms": dt, "tau_eps0_ms": tau_eps0, "history": history}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sigma0", type=float, nargs="+", default=[0.35, 0.5, 0.7],
                    choices=sorted(TIMESTEPS), help="observation noise levels to compare")
    ap.add_argument("--start", default="sparse-coding",
                    choices=["sparse-coding", "patches", "random"], help="starting dictionary")
    ap.add_argument("--patches", type=int, default=40000, help="patches presented per sigma_0")
    ap.add_argument("--chunk", type=int, default=10240, help="patches between measurements")
    ap.add_argument("--streams", type=int, default=64, help="parallel streams sharing W")
    ap.add_argument("--eta-w", type=float, default=4 / 64, help="rate per stream (Hz)")
    ap.add_argument("--presentation", type=float, default=30.0, help="ms per patch")
    ap.add_argument("--norm", type=float, default=0.5, help="starting column norm (mean space)")
    ap.add_argument("--variant", default="single", choices=["single", "single_quick"],
                    help="one-layer V1 model variant (models/v1.py)")
    ap.add_argument("--prior", default=None, choices=sorted(models.get("v1").PRIORS),
                    help="latent prior (default: the variant's)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "output" / "v1_dictionary_stability"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    v1 = models.get("v1")
    side = v1.VARIANTS[args.variant]["patch_size"]
    train = v1.training(args.variant)
    images = ni.load_images(None, downsample=train["downsample"], f0=train["f0"])
    cut = dict(normalize=train["normalize"], remove_mean=train["remove_mean"])
    patches = ni.sample_patches(images, args.patches, side, seed=train["data_seed"], **cut)
    pool = ni.sample_patches(images, 50000, side, seed=train["data_seed"] + 3, **cut)
    D0 = starting_dictionary(args.start, pool, v1.VARIANTS[args.variant]["n_latents"], args.seed)
    results = {str(s): run(s, D0, patches, args, side) for s in args.sigma0}
    summary = {"command": " ".join([Path(sys.argv[0]).name] + list(argv or sys.argv[1:])),
               "start": args.start, "prior": args.prior or v1.VARIANTS[args.variant]["prior"],
               "eta_w_hz_per_stream": args.eta_w, "streams": args.streams,
               "presentation_ms": args.presentation, "results": results}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))

    histories = [[e for e in r["history"] if "fraction" in e] for r in results.values()]
    ax = plotting.plot_learning_curves(
        [[e["patches"] for e in h] for h in histories],
        [[100 * e["fraction"] for e in h] for h in histories],
        [f"sigma_0 = {s}" for s in results], ylabel=f"fields with Gabor R^2 >= {R2_THRESHOLD} (%)",
        ylim=(0, 100), title=f"HEE plasticity from a {args.start} dictionary")
    plotting.save_figure(ax, out / "stability.png", dpi=110, close=False)
    log(f"wrote {out / 'summary.json'} and {out / 'stability.png'}")
    return summary


if __name__ == "__main__":
    main()
