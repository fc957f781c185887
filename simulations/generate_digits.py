"""Generate handwritten digits with a trained HEE model, joint versus marginal.

What it shows: sample quality of the HEE model's two generation modes
(docs/model.md section 5) next to other generators scored by the same metrics in
the same run: scikit-learn's BernoulliRBM (an energy-based model trained by
persistent contrastive divergence), a Langevin-sampled MLP energy
(:mod:`hee_brian.analysis.langevin_ebm`, in JAX; ``--ebm-iter 0`` leaves it
out), a Gaussian with the data's mean and covariance, and held-out real
digits (the floor).  The headline metric is
the Frechet distance in the hidden-layer feature space of an MLP classifier
trained on the real training digits, measured against the training digits
(:mod:`analysis.generation`).

What it does:

1. loads the digits (``hee_brian.datasets.digits``), trains the named model
   (``models/digits.py``) with the local plasticity -- with progress, and a
   checkpoint in ``--out`` so an interrupted run resumes -- or loads
   ``--out/model.npz`` when it exists (``--retrain`` to train again);
2. generates ``--n-samples`` digits in each mode, split over ``--chains``
   independent runs (each with its own burn-in), one sample every
   ``--spacing`` (by default both modes spend the same simulated time per
   sample).  The joint chains are recorded ``--mixing-steps`` times more
   finely, and every ``--mixing-steps``-th state is the sample scored;
3. trains the baselines and scores everything;
4. measures how the two modes mix, on the same chains
   (:func:`hee_brian.analysis.generation.chain_mixing`): the autocorrelation
   of the classifier's features against lag in tau_x, Stan's effective
   sample size per 100 tau_x, the integrated autocorrelation time and the
   class switches per tau_x.  A marginal chain can be looked at once per
   cycle ((L + 1) ``--settle``), a joint one at any time.
5. locates what limits the samples (``--gap-images``,
   :func:`hee_brian.analysis.generation.latent_prior_gap`): the pixel
   layer's conditional mean is scored on the first-layer latents inferred
   from training digits (the aggregate posterior q(x_1)), on q's marginals
   and second moments only, and on the latents the marginal samples were
   drawn from.  Good scores from q and poor ones from the prior put the gap
   in the layers above the pixels.

``--pixels continuous_bernoulli`` trains the digits model with
continuous-Bernoulli pixels (``models/digits.py``): the model then sees
the intensities themselves in [0, 1] (squeezed by ``models.digits.to_model``)
instead of the centred, scaled values of the Gaussian pixels; its samples
come back in [0, 1] like every other generator's.

What it writes (in ``--out``): ``model.npz`` (trained weights),
``samples/<generator>.npy`` (every generator's samples, shape (n, pixels),
pixels in [0, 1]; the summary's ``sample_files`` names them),
``grids.png`` (10x10 sample grids of every generator), ``mixing.png``
(autocorrelation of the classifier features against lag and the class of
every sample of every chain, both modes), ``gap.png`` (where the samples
lose quality, step 5), ``summary.json`` (all metrics,
the mixing, settings and timings) and ``table.md`` (the comparison table).

How long it takes: training (8000 presentations) is a few minutes of
cpp_standalone on 2 cores (``models/digits.py``); generating 2 x 1000
digits, the RBM baseline (400 epochs), the Langevin EBM (6000 steps, about
2 minutes) and the two classifiers add a few minutes more.  A later run
loads ``model.npz`` and skips the training; the toy sizes of
``tests/simulations/test_generate_digits.py`` take about a minute,
compilation included.

Example::

    HEE_BRIAN_CACHE=/tmp/hee_cache python simulations/generate_digits.py --out results/digits
    HEE_BRIAN_CACHE=/tmp/hee_cache python simulations/generate_digits.py \
        --pixels continuous_bernoulli --out results/digits_cb
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402

import hee_brian as hb  # noqa: E402
from hee_brian import models  # noqa: E402
from hee_brian.analysis import generation as gen  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.datasets.digits import load_digits  # noqa: E402
from hee_brian.errors import HEEParameterError  # noqa: E402
from hee_brian.report import log, write_json  # noqa: E402
from hee_brian.validation import as_steps  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: The latent-gap stage: its digits are inferred in this many streams at once,
#: each shown for GAP_PRESENTATION tau_x, and the states after GAP_SETTLE tau_x
#: of each are kept, one per tau_x (5 per digit, 2000 for 400 digits, of
#: which latent_prior_gap scores n_samples).
GAP_STREAMS, GAP_PRESENTATION, GAP_SETTLE = 40, 10, 5


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and every option's default."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=_HelpFormatter)
    p.add_argument("--out", default="results/generate_digits", help="output folder")
    p.add_argument("--model", default="digits", help="named model in models/")
    p.add_argument("--pixels", choices=("gaussian", "continuous_bernoulli"), default=None,
                   help="family of the pixel layer, passed to the model's build(pixels=) "
                        "(default: the model's own; the digits model's is gaussian)")
    p.add_argument("--source", default=None, help="digit set (default: the model's TRAINING)")
    p.add_argument("--n-presentations", type=int, default=None,
                   help="training presentations (default: the model's TRAINING)")
    p.add_argument("--retrain", action="store_true", help="train even if model.npz exists")
    p.add_argument("--n-samples", type=int, default=1000, help="samples per generator")
    p.add_argument("--chains", type=int, default=4, help="independent generation runs per mode")
    p.add_argument("--burn-in", type=float, default=20.0, help="burn-in, in units of tau_x")
    p.add_argument("--spacing", type=float, default=None,
                   help="joint mode: time between samples, in units of tau_x (default: "
                        "the marginal cycle, (L+1) * settle, so both modes spend the same "
                        "simulated time per sample)")
    p.add_argument("--settle", type=float, default=5.0,
                   help="marginal mode: time each layer settles, in units of tau_x")
    p.add_argument("--mixing-steps", type=int, default=15,
                   help="joint mode: states recorded per --spacing for the mixing "
                        "measurement (every one of them is a sample of the chain; the "
                        "scored samples are every --mixing-steps-th)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--observation", choices=("mean", "sample"), default="mean",
                   help="return the pixel layer's conditional mean or its sample")
    p.add_argument("--rbm-components", type=int, default=64)
    p.add_argument("--rbm-iter", type=int, default=400, help="RBM training epochs")
    p.add_argument("--rbm-lr", type=float, default=0.01, help="RBM learning rate")
    p.add_argument("--gibbs-steps", type=int, default=1000, help="RBM Gibbs steps per chain")
    p.add_argument("--ebm-iter", type=int, default=6000,
                   help="Langevin EBM training steps (0: no EBM baseline; it needs JAX)")
    p.add_argument("--gap-images", type=int, default=400,
                   help="training digits whose inferred latents locate the gap between the "
                        "samples and the data (a multiple of %d; 0: skip)" % GAP_STREAMS)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpp_standalone")
    return p.parse_args(argv)


def pixel_codec(model, digits):
    """(encode, decode): pixels in [0, 1] -> what layer 0 sees, and back to [0, 1].

    Chosen by the family of the model's pixel layer, the one place the two
    pixel models differ in the script: a Gaussian layer sees the centred,
    scaled pixels of :meth:`Digits.encode`; a continuous-Bernoulli layer,
    which lives on [0, 1], sees the intensities themselves, squeezed into
    [eps, 1 - eps] (``models.digits.to_model``).  Decoding clips to [0, 1]
    for every generator alike.
    """
    if model.layers[0].family.name == "continuous_bernoulli":
        cb = models.get("digits")  # where the squeeze of these pixels is defined
        return cb.to_model, cb.from_model
    return digits.encode, lambda x: np.clip(digits.decode(x), 0, 1)


def check_generation_args(model, args):
    """Refuse generation settings the model cannot run, before any simulation."""
    if args.spacing is None:  # same simulated time per sample in both modes
        args.spacing = len(model.layers) * args.settle
    if args.mixing_steps < 1:
        raise HEEParameterError(f"--mixing-steps must be >= 1, got {args.mixing_steps}.")
    for name, value in (("--spacing", args.spacing),
                        ("--spacing / --mixing-steps", args.spacing / args.mixing_steps)):
        as_steps(value * model.tau_x, model.dt_s, name)


def train_or_load(args, digits, out):
    """The trained model: loaded from ``out/model.npz`` or trained (resumable)."""
    spec = models.get(args.model)
    path = out / "model.npz"
    if path.exists() and not args.retrain:
        log(f"loading trained model {path}")
        model = hb.HEEModel.load(path, device=args.device)
        family = model.layers[0].family.name
        if args.pixels is not None and family != args.pixels:
            raise SystemExit(f"{path} has {family} pixels, not --pixels {args.pixels}; "
                             "give another --out, or --retrain.")
        check_generation_args(model, args)
        return model, {"loaded": str(path)}
    training = dict(spec.TRAINING)
    # what the pixel family changes in the training defaults (models/digits.py)
    training.update(getattr(spec, "PIXEL_TRAINING", {}).get(args.pixels, {}))
    n_pres = args.n_presentations or training["n_presentations"]
    build_kw = {} if args.pixels is None else {"pixels": args.pixels}
    if args.pixels == "continuous_bernoulli":  # pixel biases from this data's means
        build_kw["data_mean"] = models.get("digits").to_model(digits.train).mean(axis=0)
    model = spec.build(device=args.device, seed=args.seed, **build_kw)
    check_generation_args(model, args)  # before the training, not after it
    encode, _ = pixel_codec(model, digits)
    t0 = time.perf_counter()
    history = model.learn(encode(digits.train), presentation=training["presentation"],
                          eta_w=training["eta_w"], eta_b=training["eta_b"],
                          n_presentations=n_pres, chunk=training["chunk"],
                          column_norms=training.get("column_norms"),
                          checkpoint=out / "train_checkpoint.npz", progress=True)
    model.save(path)
    return model, {"n_presentations": n_pres, "wall_s": time.perf_counter() - t0,
                   "dW_per_chunk": history["dW"], "settings": training}


def generate(model, digits, mode, args):
    """Samples of ``args.chains`` runs in one mode, pixels in [0, 1].

    Returns
    -------
    samples : ndarray, shape (n_samples, pixels)
        One every ``args.spacing``, the chains concatenated.
    chains : ndarray, shape (chains, draws, pixels)
        Every recorded state of each chain, for the mixing: joint chains
        ``args.mixing_steps`` times per spacing (the samples are every
        ``mixing_steps``-th of them, at the same times as without the finer
        recording), marginal chains the samples themselves.
    step : float
        Time between consecutive states of ``chains``, in tau_x.
    latents : ndarray, shape (n_samples, n_1)
        The first latent layer at each sample's time (marginal mode: the
        latents the sample was drawn from).
    wall_s : float
    """
    tau = model.tau_x
    per = -(-args.n_samples // args.chains)
    fine = args.mixing_steps if mode == "joint" else 1
    if mode == "joint":
        step = args.spacing / fine
    else:  # one sample per ceil(spacing / cycle) cycles (HEEModel.generate)
        cycle = len(model.layers) * args.settle
        step = np.ceil(args.spacing / cycle - 1e-9) * cycle
    burn_in = args.burn_in
    if fine > 1:
        # HEEModel.generate discards ceil(burn_in / spacing) spacings and keeps the state
        # after the next one: this burn-in puts every fine-th state where the samples of
        # an unrefined run are (the noise is counter-based, so they are those samples)
        n_burn = int(np.ceil(args.burn_in / args.spacing - 1e-9))
        burn_in = ((n_burn + 1) * fine - 1) * step
    chains, latents, t0 = [], [], time.perf_counter()
    for c in range(args.chains):
        x, rec = model.generate_with_recording(
            per * fine, mode=mode, burn_in=burn_in * tau, spacing=args.spacing / fine * tau,
            settle=args.settle * tau, temperature=args.temperature,
            observation=args.observation, seed=args.seed * 1000 + c, layers=[1])
        chains.append(x)
        latents.append(rec.x[1][-per * fine::fine])
        log(f"generate {mode}: chain {c + 1}/{args.chains} done "
            f"({time.perf_counter() - t0:.0f} s)")
    # back to pixels in [0, 1] (clipped, as every generator is)
    _, decode = pixel_codec(model, digits)
    chains = decode(np.array(chains))
    samples = chains[:, ::fine].reshape(-1, chains.shape[-1])[:args.n_samples]
    latents = np.concatenate(latents)[:args.n_samples]
    return samples, chains, float(step), latents, time.perf_counter() - t0


def posterior_latents(model, digits, args):
    """The first latent layer sampled with ``--gap-images`` training digits clamped.

    The aggregate posterior q(x_1): each digit is shown for
    ``GAP_PRESENTATION`` tau_x in one of ``GAP_STREAMS`` streams, and the
    states after ``GAP_SETTLE`` tau_x are kept, one per tau_x.

    Returns
    -------
    ndarray, shape (gap_images * (GAP_PRESENTATION - GAP_SETTLE), n_1)
    """
    tau, n1 = model.tau_x, model.sizes[1]
    idx = np.random.default_rng(args.seed).choice(len(digits.train), args.gap_images,
                                                  replace=False)
    encode, _ = pixel_codec(model, digits)
    rec = model.infer(encode(digits.train[idx]),
                      duration=args.gap_images // GAP_STREAMS * GAP_PRESENTATION * tau,
                      presentation=GAP_PRESENTATION * tau, record_every=tau,
                      streams=GAP_STREAMS, layers=[1], spikes=False,
                      record_adaptation=False, seed=args.seed * 1000 + 999)
    x1 = rec.x[1].reshape(len(rec.t), GAP_STREAMS, n1)
    # record k is the state at k tau_x: the last GAP_SETTLE of each presentation
    since_onset = np.arange(len(rec.t)) % GAP_PRESENTATION
    return x1[since_onset >= GAP_SETTLE].reshape(-1, n1)


def latents_to_pixels(model, digits):
    """x_1 -> the pixel layer's conditional mean A'(W_1 phi(x_1) + b_0), in [0, 1].

    What marginal generation returns for ``--observation mean``, given the
    latents it drew.
    """
    _, decode = pixel_codec(model, digits)
    fam, W, b = model.layers[0].family, model.weights[0], model.biases[0]
    mean = fam.mean if fam.mean_is_vectorised() else np.vectorize(fam.mean)
    return lambda x1: decode(mean(model.phi_fn.f(np.asarray(x1, dtype=float)) @ W.T + b))


def _verdict(scores, key):
    """One sentence: marginal versus joint, and HEE marginal versus the best RBM."""
    m, j = scores["HEE marginal"], scores["HEE joint"]
    rbm_name = min((k for k in scores if k.startswith("RBM")), key=lambda k: scores[k][key])
    r = scores[rbm_name]

    def gap(a, b):
        d = a[key] - b[key]
        return f"gap {d:+.2f} +- {np.hypot(a[key + '_se'], b[key + '_se']):.2f}"

    space = "one-hidden-layer" if key == "fd" else "two-hidden-layer"
    return (f"Frechet distance ({space} features): HEE marginal {m[key]:.2f}, HEE joint "
            f"{j[key]:.2f} (marginal {'better' if m[key] < j[key] else 'NOT better'} than "
            f"joint, {gap(m, j)}); best RBM ({rbm_name}) {r[key]:.2f} (HEE marginal "
            f"{'at least as good as' if m[key] <= r[key] else 'worse than'} the RBM, "
            f"{gap(m, r)}); +- is the bootstrap s.e. of the difference.")


def _mixing_verdict(mixing):
    """One sentence: which mode mixes faster per simulated time, if either does."""
    m, j = mixing["marginal"], mixing["joint"]
    d = m["ess_per_unit_time"] - j["ess_per_unit_time"]
    se = np.hypot(m["ess_per_unit_time_se"], j["ess_per_unit_time_se"])
    if abs(d) <= 2 * se:
        who = "neither mode mixes measurably faster"
    else:
        who = f"{'marginal' if d > 0 else 'joint'} mixes faster"
    return (f"Mixing (classifier features): effective samples per 100 tau_x "
            f"{100 * m['ess_per_unit_time']:.2f} +- {100 * m['ess_per_unit_time_se']:.2f} "
            f"marginal, {100 * j['ess_per_unit_time']:.2f} +- "
            f"{100 * j['ess_per_unit_time_se']:.2f} joint (integrated autocorrelation time "
            f"{m['iat']:.1f} and {j['iat']:.1f} tau_x; a marginal chain is seen once per "
            f"{m['spacing']:g} tau_x, so its time cannot read below that); class switches "
            f"per 100 tau_x between samples {m['spacing']:g} tau_x apart "
            f"{100 * m['class_switches_per_unit_time']:.1f} marginal, "
            f"{100 * j['class_switches_per_common_spacing']:.1f} joint "
            f"({100 * j['class_switches_per_unit_time']:.1f} between its states "
            f"{j['spacing']:g} tau_x apart): {who} (+- is the s.e. over chains).")


def _gap_verdict(gap, scores):
    """One sentence: is it the pixel layer or the prior over x_1 that limits the samples."""
    q, p, g = gap["posterior"], gap["prior"], gap["posterior, Gaussian"]
    return (f"Where the gap is (one-hidden-layer features): the pixel layer's conditional "
            f"mean on latents inferred from training digits scores {q['fd']:.2f} +- "
            f"{q['fd_se']:.2f} (Gaussian baseline {scores['Gaussian']['fd']:.2f}), on the "
            f"prior's latents {p['fd']:.2f} +- {p['fd_se']:.2f}, on a Gaussian with the "
            f"inferred latents' mean and covariance {g['fd']:.2f} +- {g['fd_se']:.2f}: "
            + ("the prior over x_1, not the pixel layer, limits the samples"
               if p["fd"] - q["fd"] > 2 * np.hypot(p["fd_se"], q["fd_se"])
               else "the prior over x_1 matches the inferred latents within error")
            + f" (prior / inferred latent variance {gap['latent_variance_ratio']:.2f}, "
            f"correlation of their pairwise covariances {gap['latent_covariance_corr']:.2f}).")


def _gap_table(gap):
    """The latent-gap scores as a markdown table."""
    rows = ["| latents x_1 given to the pixel layer | FD (features) | FD (deep features) | "
            "pixel variance |", "|---|---|---|---|"]
    what = {"posterior": "inferred from training digits, q(x_1)",
            "posterior, factorial": "q's marginals, each latent shuffled alone",
            "posterior, Gaussian": "a Gaussian with q's mean and covariance",
            "prior": "the model's prior (marginal generation)"}
    for name, label in what.items():
        r = gap[name]
        rows.append(f"| {label} | {r['fd']:.2f} +- {r['fd_se']:.2f} | {r['fd_deep']:.2f} +- "
                    f"{r['fd_deep_se']:.2f} | {r['pixel_variance']:.2f} |")
    return "\n".join(rows) + "\n"


def fig_gap(out, gap, scores):
    """Frechet distances of the latent-gap sets, beside the baselines."""
    import matplotlib.pyplot as plt

    names = list(gen.GAP_SETS)
    refs = {k: scores[k] for k in ("Gaussian", "held-out digits") if k in scores}
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
    for ax, key, space in zip(axes, ("fd", "fd_deep"), ("one", "two")):
        plotting.plot_score_bars(
            [f"pixels from x_1: {n}" for n in names], [gap[n][key] for n in names],
            [gap[n][key + "_se"] for n in names],
            references={k: v[key] for k, v in refs.items()}, axes=ax,
            xlabel=f"Frechet distance ({space}-hidden-layer features; bar: +- 1 bootstrap s.e.)")
    axes[1].set_yticklabels([])
    fig.suptitle("Where HEE's samples lose quality: the pixel layer's conditional mean "
                 "given latents from the aggregate posterior q(x_1), from q's marginals or "
                 "moments only, and from the prior", fontsize=9)
    plotting.save_figure(fig, out / "gap.png", dpi=110, tight_layout=False)


def fig_mixing(out, mixing, window=300.0):
    """Autocorrelation of classifier features against lag, and each chain's classes.

    The class rasters show the first ``window`` tau_x of every chain (all of
    it would be too dense to read); the statistics use whole chains.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(13, 6.5), layout="constrained")
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3])
    ax = fig.add_subplot(grid[:, 0])
    modes = list(mixing)
    plotting.plot_autocorrelation(
        [mixing[m]["lags"] for m in modes], [mixing[m]["acf"] for m in modes],
        labels=[f"{m}: IAT {mixing[m]['iat']:.1f} tau_x, {100 * mixing[m]['ess_per_unit_time']:.1f}"
                f" +- {100 * mixing[m]['ess_per_unit_time_se']:.1f} eff. samples / 100 tau_x"
                for m in modes],
        errors=[mixing[m]["acf_se"] for m in modes], axes=ax, tau=1.0)
    ax.set_xlabel("lag (tau_x)")
    ax.set_title("autocorrelation of the classifier's hidden features\n(about their pooled "
                 "mean; band: 95 % over chains)", fontsize=9)
    for k, m in enumerate(modes):
        a = fig.add_subplot(grid[k, 1])
        step = mixing[m]["spacing"]
        n = max(1, int(round(window / step)))
        plotting.plot_chain_classes(
            mixing[m]["classes"][:, :n], step, axes=a,
            title=f"HEE {m}: predicted digit of each state ({step:g} tau_x apart; first "
                  f"{n * step:g} tau_x of each chain)")
    fig.colorbar(a.images[-1], ax=fig.axes[1:], label="predicted digit", ticks=range(10))
    plotting.save_figure(fig, out / "mixing.png", dpi=110, tight_layout=False)


def _file_name(name):
    """A generator's name as a file name: 'RBM (PCD) p(v|h)' -> 'RBM_PCD_p_v_given_h'."""
    name = name.replace("|", "_given_")
    return "_".join("".join(c if c.isalnum() else " " for c in name).split())


def check_model(spec, args):
    """Refuse a ``--model`` this script cannot train, or ``--pixels`` it does not offer."""
    training = getattr(spec, "TRAINING", None)
    keys = ("presentation", "eta_w", "eta_b", "n_presentations", "chunk")
    if not (isinstance(training, dict) and all(k in training for k in keys)
            and hasattr(spec, "build")):
        raise HEEParameterError(
            f"--model {args.model}: models/{args.model}.py has no TRAINING defaults of a "
            f"digit model ({', '.join(keys)}) and build(), which this script trains with; "
            "use --model digits.")
    offered = tuple(getattr(spec, "PIXELS", ()))
    if args.pixels is not None and args.pixels not in offered:
        raise HEEParameterError(
            f"--pixels {args.pixels}: models/{args.model}.py offers "
            f"{list(offered) or 'no choice of pixel family'}; drop --pixels or pick one of "
            "those.")


def main(argv=None):
    args = parse_args(argv)
    spec = models.get(args.model)
    check_model(spec, args)
    if args.ebm_iter < 0:
        raise HEEParameterError(f"--ebm-iter must be >= 0 (0: no EBM), got {args.ebm_iter}.")
    kept = args.gap_images * (GAP_PRESENTATION - GAP_SETTLE)
    if args.gap_images < 0 or args.gap_images % GAP_STREAMS or 0 < kept < args.n_samples:
        raise HEEParameterError(
            f"--gap-images must be 0 or a multiple of {GAP_STREAMS} giving at least "
            f"--n-samples / {GAP_PRESENTATION - GAP_SETTLE} = "
            f"{-(-args.n_samples // (GAP_PRESENTATION - GAP_SETTLE))} digits, got "
            f"{args.gap_images}.")
    if args.ebm_iter:
        try:  # now, not after the training and generation
            import jax  # noqa: F401
        except ImportError:
            raise SystemExit("the Langevin EBM baseline needs JAX (pip install numpyro); "
                             "or pass --ebm-iter 0 to leave it out.") from None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    digits = load_digits(args.source or spec.TRAINING.get("source", "sklearn"))
    model, train_info = train_or_load(args, digits, out)

    samples, timings, chains, latents = {}, {}, {}, {}
    for mode in ("marginal", "joint"):
        samples[f"HEE {mode}"], *chains[mode], latents[mode], timings[f"HEE {mode}"] = \
            generate(model, digits, mode, args)

    t0 = time.perf_counter()
    rbm = gen.train_rbm(digits.train, n_components=args.rbm_components, n_iter=args.rbm_iter,
                        learning_rate=args.rbm_lr, seed=args.seed)
    # both read-outs of the RBM's chains: p(v | h) (like the HEE's conditional
    # mean) and the binary visible sample; the verdict uses the better one
    for name, mean in (("RBM (PCD) p(v|h)", True), ("RBM (PCD) binary", False)):
        samples[name] = gen.rbm_baseline(rbm, args.n_samples, gibbs_steps=args.gibbs_steps,
                                         seed=args.seed, mean=mean)
    timings["RBM (PCD)"] = time.perf_counter() - t0
    if args.ebm_iter:
        from hee_brian.analysis import langevin_ebm

        t0 = time.perf_counter()
        ebm = langevin_ebm.train_langevin_ebm(digits.train, n_iter=args.ebm_iter,
                                              seed=args.seed)
        samples["Langevin EBM (short-run)"] = langevin_ebm.langevin_ebm_baseline(
            ebm, args.n_samples, seed=args.seed)
        timings["Langevin EBM"] = time.perf_counter() - t0
    samples["Gaussian"] = np.clip(gen.gaussian_baseline(digits.train, args.n_samples,
                                                        seed=args.seed), 0, 1)
    samples["held-out digits"] = digits.test

    # two feature spaces: the ranking of generators depends on how
    # nonlinear the features are, so both are reported
    clf = gen.train_feature_classifier(digits.train, digits.y_train, hidden=(64,),
                                       seed=args.seed)
    deep = gen.train_feature_classifier(digits.train, digits.y_train, hidden=(128, 64),
                                        seed=args.seed)
    per_chain = -(-args.n_samples // args.chains)
    scores = {name: gen.score_samples(clf, x, digits.train, digits.test, deep_clf=deep,
                                      chain_length=per_chain if name.startswith("HEE") else None)
              for name, x in samples.items()}
    table = gen.markdown_table(scores)
    mixing = {mode: gen.chain_mixing(clf, x, step, max_lag=int(np.ceil(60 / step)))
              for mode, (x, step) in chains.items()}
    # the joint chains' class switches between states as far apart as the marginal
    # ones: at its finer step a chain flickers between classes on ambiguous digits
    stride = int(round(mixing["marginal"]["spacing"] / mixing["joint"]["spacing"]))
    c = mixing["joint"]["classes"][:, ::stride]
    mixing["joint"]["class_switches_per_common_spacing"] = float(
        np.mean(c[:, 1:] != c[:, :-1]) / (stride * mixing["joint"]["spacing"]))
    gap = None
    if args.gap_images:
        t0 = time.perf_counter()
        gap = gen.latent_prior_gap(clf, latents_to_pixels(model, digits),
                                   posterior_latents(model, digits, args),
                                   latents["marginal"], digits.train, deep_clf=deep,
                                   n=args.n_samples, seed=args.seed)
        timings["latent gap"] = time.perf_counter() - t0
    verdict = "\n".join([_verdict(scores, key) for key in ("fd", "fd_deep")]
                         + [_mixing_verdict(mixing)] + ([_gap_verdict(gap, scores)] if gap else []))
    print(table + "\n" + verdict)

    (out / "samples").mkdir(exist_ok=True)
    sample_files = {}
    for name, x in samples.items():
        path = out / "samples" / f"{_file_name(name)}.npy"
        np.save(path, np.asarray(x, dtype=float))
        sample_files[name] = str(path.relative_to(out))
    summary = {
        "settings": {k: v for k, v in vars(args).items()},
        "model": model.config(),
        "training": train_info,
        "classifier_test_accuracy": {
            "one_hidden_layer": float(clf.score(digits.test, digits.y_test)),
            "two_hidden_layers": float(deep.score(digits.test, digits.y_test))},
        "scores": scores,
        "mixing": {mode: {k: v for k, v in m.items() if k != "classes"}
                   for mode, m in mixing.items()},
        "latent_gap": gap,
        "sample_files": sample_files,
        "timings_s": timings,
        "verdict": verdict,
        "n_train": int(len(digits.train)),
        "n_heldout": int(len(digits.test)),
    }
    write_json(out / "summary.json", summary)
    (out / "table.md").write_text(
        "Sample quality (pixels in [0, 1]; Frechet distances against the training digits' "
        "statistics, in the hidden-layer features of MLP classifiers with one (64) and two "
        f"(128, 64) hidden layers trained on the training digits; {args.n_samples} samples "
        "per generator; class switch rate: consecutive samples of a chain predicted as "
        "different digits, about 0.9 for independent draws).\n\n" + table + "\n"
        + (_gap_table(gap) + "\n" if gap else "") + verdict + "\n")

    axes = plotting.plot_sample_grids(
        list(samples.values()), digits.side,
        [f"{name}\nFD {scores[name]['fd']:.2f}" for name in samples],
        colorbar_label="ink (pixel value, 1 = 16/16 in load_digits)")
    plotting.save_figure(axes, out / "grids.png", dpi=120, tight_layout=False,
                         close=False, bbox_inches="tight")
    fig_mixing(out, mixing)
    if gap:
        fig_gap(out, gap, scores)
    log(f"wrote {out}/summary.json, table.md, grids.png, mixing.png"
        f"{', gap.png' if gap else ''}, samples/*.npy")


if __name__ == "__main__":
    main()
