"""A V1 recording session on a hierarchical HEE model learned from scratch.

What it shows
-------------
The default V1 model (``models/v1.py``: 8x8 whitened natural-image patches
-> 96 Cauchy-prior latents, the simple-cell-like layer -> 32 Gaussian
latents) learns from random initial weights with local plasticity while it
infers (:func:`hee_brian.models.v1.train`: the first layer alone, then
every W and bias together).  The first layer's interneurons sample
A'(eta_1) of its Cauchy family, because the layer has a parent.  The
trained network is then recorded as a physiologist records V1
(:mod:`hee_brian.analysis.v1_protocol`):

1. a threshold-linear spike readout calibrated on a pilot run to V1's median
   spontaneous (0.82 spikes/s) and peak (33.8 spikes/s) rates;
2. drifting gratings (24 orientations x 7 spatial frequencies on a log grid
   up to Nyquist, 4 Hz, 500 ms blank then 500 ms grating, 10 repeats):
   orientation tuning at each unit's preferred spatial frequency, SF tuning,
   F1/F0 and the responsiveness cut;
3. a contrast series at the units' preferred gratings (the 16 most common):
   Naka-Rushton fits, and
   the variability of x and of spike counts against contrast;
   the mean-matched Fano factor around onset (Churchland et al. 2010) over
   every stimulus condition of both sessions;
4. white-noise reverse correlation: spike-triggered averages with their
   split-half noise ceiling, and the kernel of the states x (the
   membrane-potential analogue);
5. what the second layer learned: how alike (orientation, position, phase)
   the first-layer units are that each second-layer unit pools, against
   shuffled sets, and the second layer's own orientation tuning and F1/F0.

Property distributions are compared with macaque V1 (Ringach et al. 2002,
Ringach 2002, De Valois et al. 1982, Schiller et al. 1976) by the binned KS
similarity after Marques et al. (2021), with bootstrap intervals.

What it writes (to ``--out``, default ``output/v1_receptive_fields``)
--------------------------------------------------------------------
``model.npz`` (the trained, calibrated model), ``checkpoint_stage1.npz``
and ``checkpoint.npz`` (an interrupted run resumes from them),
``summary.json`` (every number below, the timings and, per figure, the
command that makes it; a non-finite number is the string "nan", "inf" or
"-inf", which :func:`hee_brian.report.read_json` reads back as a float),
and the figures ``rf_grid.png`` (generative,
STA and membrane-kernel fields), ``tuning_examples.png`` (orientation, SF and contrast tuning of
example units with SEM error bars and fits), ``v1_distributions.png``
(property distributions against V1 with scores), ``nx_ny.png``,
``traces.png`` (states and spikes at the calibrated rates),
``fano.png`` (mean-matched Fano factor around onset), ``variability.png``
(variability against contrast) and ``second_layer.png`` (pooling).

About 12 minutes on 2 cores without a GPU with the defaults (707 s
measured; about 14-16 estimated for the machine's slow days,
docs/performance.md section 3; the summary's ``timings_s`` gives each
stage).  ``--variant quick`` is a small
smoke run (4x4 patches).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: the script writes files, it opens no window
import numpy as np  # noqa: E402
from brian2 import ms, second  # noqa: E402

from hee_brian import models  # noqa: E402
from hee_brian.analysis import plotting  # noqa: E402
from hee_brian.analysis import receptive_fields as rfa  # noqa: E402
from hee_brian.analysis import tuning, variability  # noqa: E402
from hee_brian.analysis import v1_protocol as vp  # noqa: E402
from hee_brian.datasets import natural_images as ni  # noqa: E402
from hee_brian.errors import HEEParameterError  # noqa: E402
from hee_brian.report import log, write_json  # noqa: E402
from hee_brian.validation import as_steps  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: Gabor fits with R^2 at or above this count as Gabor-like (the criterion of docs/v1_reference.md).
R2_THRESHOLD = 0.7

# ----------------------------------------------------------------------
# the recording protocol
N_THETA = 24
#: spatial frequencies (cycles/pixel), half-octave steps up to Nyquist
FREQS = 0.5 * 2.0 ** (-np.arange(7)[::-1] / 2)
AMPLITUDE = 1.5  # grating amplitude: pixel variance 1.1, like the training patches
#: 500 ms of blank: the Fano factor before onset is measured on spontaneous activity
#: (about 1 spike/s), and its noise sets the interval of the change at onset (with
#: 400 ms it was +-0.053, docs/v1_reference.md)
BLANK_S, STIMULUS_S = 0.5, 0.5
TEMPORAL_FREQ, FRAME_S = 4.0, 0.0125
#: contrast series, multiples of AMPLITUDE (0: blank trials)
CONTRASTS = np.array([0.0, 0.0625, 0.125, 0.25, 0.5, 1.0])
FANO_WINDOW_S, FANO_STEP_S = 0.1, 0.01
#: gratings of the contrast series: the units' most common preferred ones
MAX_CRF_GRATINGS = 16
#: white noise: frames of tau_x / 8 at pixel sd 4, spikes counted during each frame.  The
#: first milliseconds of the response are the feedforward drive W^T I, before the
#: recurrent explaining-away mixes neighbouring fields into the kernel; the high contrast
#: buys back the spikes that short frames lose (integrated over tau_x the drive has the
#: sd of 10 ms frames at 4 sqrt(1.25 / 10) = 1.4).  docs/v1_reference.md has the
#: measurements; 12,096 frames (15 s) per stream
RC_FRAME_MS, RC_CONTRAST, RC_FRAMES = 1.25, 4.0, 12096 * 64


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "output" / "v1_receptive_fields"),
                    help="output folder (default: output/v1_receptive_fields)")
    ap.add_argument("--variant", default="default",
                    choices=sorted(models.get("v1").VARIANTS),
                    help="model variant from models/v1.py")
    ap.add_argument("--n-patches", type=int, default=None,
                    help="patches presented during learning (default: the variant's)")
    ap.add_argument("--seed", type=int, default=1, help="model seed")
    ap.add_argument("--init", default="random", choices=["random", "patches"],
                    help="initial dictionary: random directions (default) or random whitened "
                         "patches")
    ap.add_argument("--prior", default=None, choices=sorted(models.get("v1").PRIORS),
                    help="first-layer prior (default: the variant's, student_t)")
    ap.add_argument("--device", default="cpp_standalone", help="Brian2 device")
    ap.add_argument("--images", default=None,
                    help="folder of images or IMAGES.mat file (default: built-in photos)")
    ap.add_argument("--repeats", type=int, default=10,
                    help="repeats of every grating condition (streams side by side)")
    ap.add_argument("--n-theta", type=int, default=N_THETA, help="grating orientations")
    ap.add_argument("--rc-frames", type=int, default=None,
                    help=f"white-noise frames for reverse correlation (default {RC_FRAMES:,} "
                         "on 64 streams)")
    ap.add_argument("--rc-frame-ms", type=float, default=RC_FRAME_MS,
                    help=f"duration of a white-noise frame in ms, a multiple of dt "
                         f"(default {RC_FRAME_MS:g})")
    ap.add_argument("--rc-contrast", type=float, default=RC_CONTRAST,
                    help=f"pixel sd of the white noise (default {RC_CONTRAST:g}; the training "
                         "patches have 1)")
    ap.add_argument("--fresh", action="store_true",
                    help="delete existing checkpoints and train from scratch")
    return ap.parse_args(argv)


def _median(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else None


def _iqr(v):
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return [float(q) for q in np.percentile(v, [25, 75])] if v.size else None


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



# ----------------------------------------------------------------------
# learning

def learn_model(args, out, timings):
    """Data and two-stage learning (resumed from the checkpoints)."""
    v1 = models.get("v1")
    params = v1.VARIANTS[args.variant]
    train = v1.training(args.variant)
    side = params["patch_size"]
    t0 = time.perf_counter()
    images = ni.load_images(args.images, downsample=train["downsample"], f0=train["f0"])
    cut = dict(normalize=train["normalize"], remove_mean=train["remove_mean"])
    n = train["n_patches"] if args.n_patches is None else args.n_patches
    n = -(-n // train["chunk"]) * train["chunk"]  # whole chunks
    patches = ni.sample_patches(images, n, side, seed=train["data_seed"], **cut)
    timings["data_s"] = time.perf_counter() - t0
    log(f"{len(images)} images, {len(patches)} training patches of {side}x{side}")
    init = None
    if args.init == "patches":  # patches of their own draw, not training patches
        init = ni.sample_patches(images, params["n_latents"], side,
                                 seed=train["data_seed"] + 2, **cut)
    model = v1.build(args.variant, seed=args.seed, device=args.device, init_patches=init,
                     prior=args.prior)
    sigma0 = model.layers[0].family.sigma
    r2_init = rfa.gabor_table(rfa.fit_gabors(
        rfa.generative_fields(model.weights[0], (side, side), sigma0)))["r2"]
    log(f"initial dictionary ({args.init}): {np.mean(r2_init >= R2_THRESHOLD):.0%} of fields "
        f"with Gabor R^2 >= {R2_THRESHOLD}")
    if args.fresh:
        for name in ("checkpoint_stage1.npz", "checkpoint.npz"):
            (out / name).unlink(missing_ok=True)
    t0 = time.perf_counter()
    history = v1.train(model, patches, args.variant, out=out, progress=True,
                       stage1_patches=min(train["stage1_patches"], n))
    timings["learn_s"] = time.perf_counter() - t0
    log(f"learned in {timings['learn_s']:.0f} s")
    return model, history, train, side, sigma0, patches, r2_init


# ----------------------------------------------------------------------
# the session

def _stim_rates(session):
    """Rates (spikes/s) in the stimulus epoch after the first 50 ms, and spontaneous ones."""
    settle = 0.05
    stim = session.window_counts(session.onset_s + settle,
                                 session.onset_s + session.stimulus_s) / (
        session.stimulus_s - settle)
    blank = session.window_counts(0.05, session.onset_s) / (session.onset_s - 0.05)
    return stim, blank


def f1_over_f0(session, cond_of_unit):
    """F1/F0 of each unit's trial-averaged response at its preferred condition."""
    a = int(round(session.onset_s / session.bin_s))
    b = a + int(round(session.stimulus_s / session.bin_s))
    out = np.full(len(cond_of_unit), np.nan)
    for j, c in enumerate(cond_of_unit):
        psth = session.counts[session.condition == c, a:b, j].mean(axis=0) / session.bin_s
        out[j] = tuning.f1_f0_timeseries(psth, session.bin_s, TEMPORAL_FREQ)[2]
    return out


def fano_counts(sessions):
    """Counts in sliding windows around onset, units pooled over sessions.

    Units are (neuron, condition) pairs pooled over the sessions, as
    Churchland et al. (2010) pooled every stimulus condition; ``sessions``
    is a list of (session, n_conditions, conditions to use).  Returns the
    counts (windows, repeats, units), the window centres (s) and each
    unit's condition (numbered across the sessions).
    """
    blocks, clusters, n_clusters = [], [], 0
    for session, n_conditions, use in sessions:
        counts, times = variability.sliding_counts(session.counts, session.bin_s,
                                                   window=FANO_WINDOW_S, step=FANO_STEP_S)
        # from the first window inside the blank to 300 ms after onset
        keep = (times >= FANO_WINDOW_S / 2 - 1e-9) & (times <= session.onset_s + 0.3)
        counts, times = counts[keep], times[keep]  # (windows, trials, n)
        R, n = counts.shape[1] // n_conditions, counts.shape[2]
        # trial k = repeat r * C + condition c (blocked order): units are (condition, neuron)
        c = counts.reshape(len(times), R, n_conditions, n)[:, :, use]
        if blocks and blocks[0].shape[:2] != c.shape[:2]:
            raise ValueError("the sessions' trials must have the same epochs and repeats")
        blocks.append(c.reshape(len(times), R, -1))
        clusters.append(n_clusters + np.repeat(np.arange(len(use)), n))
        n_clusters += len(use)
    return np.concatenate(blocks, axis=2), times, np.concatenate(clusters)


def second_layer(model, fits, good, session, n_theta, n_freq, thetas):
    """What the second layer pools, and its own tuning (from its states)."""
    if len(model.layers) < 3:
        return None
    th = np.where(good, fits["theta"], np.nan)
    pool = rfa.pooling_similarity(model.weights[1], th, fits["x0"], fits["y0"], fits["phase"],
                                  k=6, seed=0)
    tr = session.top_traces  # (conditions, samples, n2), blank mean removed
    t = session.top_time
    stim = (t >= session.onset_s + 0.05) & (t < session.onset_s + session.stimulus_s)
    resp = np.abs(tr[:, stim].mean(axis=1))  # (C, n2): |mean change of x|
    R = resp.reshape(n_theta, n_freq, -1)
    cv, f1f0 = [], []
    span = int(round(STIMULUS_S * 0.9 * TEMPORAL_FREQ)) / TEMPORAL_FREQ  # whole cycles
    sel = (t >= session.onset_s + session.stimulus_s - span) & (
        t < session.onset_s + session.stimulus_s)
    for j in range(R.shape[-1]):
        ti, fi = np.unravel_index(np.argmax(R[:, :, j]), R.shape[:2])
        cv.append(tuning.circular_variance(thetas, R[:, fi, j]))
        trace = tr[ti * n_freq + fi, sel, j]
        f0 = abs(trace.mean())
        f1 = 2 * abs(np.mean(trace * np.exp(-2j * np.pi * TEMPORAL_FREQ * t[sel])))
        f1f0.append(f1 / f0 if f0 > 0 else np.nan)
    return {"pooling": pool, "circular_variance": np.array(cv), "f1_f0": np.array(f1f0)}


# ----------------------------------------------------------------------
# figures

def fig_tuning_examples(out, examples, thetas_deg, freqs, ori, ori_sem, sf, sf_sem, crf, crf_sem,
                        crf_fits, contrasts, props):
    import matplotlib.pyplot as plt

    n = len(examples)
    fig, axes = plt.subplots(3, n, figsize=(3.0 * n, 8.4), squeeze=False)
    for k, j in enumerate(examples):
        y = tuning._smoothed_spline_1deg(np.radians(thetas_deg), ori[k])
        plotting.plot_orientation_tuning(
            thetas_deg, ori[k], ori_sem[k], fit_curve=(np.arange(180.0), y), axes=[axes[0, k]],
            labels=[f"unit {j}"], bandwidth_deg=[props["orientation_bandwidth_deg"][j]])
        plotting.plot_sf_tuning(freqs, sf[k], sf_sem[k], axes=[axes[1, k]], labels=[f"unit {j}"],
                                bandwidth_oct=[props["sf_bandwidth_oct"][j]])
        plotting.plot_contrast_response(contrasts, crf[k], crf_sem[k], fit=crf_fits[k],
                                        axes=axes[2, k])
        axes[2, k].set_xlabel("contrast (x grating amplitude 1.5)")
    fig.suptitle("Example units: drifting-grating tuning (mean +- SEM over repeats, "
                 "spikes/s); line: smoothed spline / Naka-Rushton fit")
    plotting.save_figure(fig, out / "tuning_examples.png", dpi=100)


def fig_traces(out, model, session_grating, seed):
    """A few blank -> preferred-grating trials, states and spikes at the calibrated rates."""
    import matplotlib.pyplot as plt

    proto = vp.grating_protocol(session_grating["shape"], [session_grating["theta"]],
                                [session_grating["sf"]], contrast=AMPLITUDE, blank_s=BLANK_S,
                                stimulus_s=STIMULUS_S, temporal_freq=TEMPORAL_FREQ,
                                frame_s=FRAME_S, repeats=4)
    rec = model.run_protocol(proto, record_every=0.5 * ms, layers=[1], spikes=True, seed=seed)
    units = session_grating["units"]
    x = rec.trial_traces(1, "x")
    t = rec.trials.time
    spikes = rec.trial_spike_times(1)
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    T = proto.trial_duration_s
    for r in range(proto.repeats):
        for k, j in enumerate(units):
            axes[0].plot(t + r * T, x[r, :, j], lw=0.7, color=f"C{k}",
                         label=f"unit {j}" if r == 0 else None)
            st = spikes[r][j]
            axes[1].vlines(st + r * T, k + 0.1, k + 0.9, color=f"C{k}", lw=0.8)
        for ax in axes:
            ax.axvspan(r * T + BLANK_S, (r + 1) * T, color="0.92", zorder=0)
    axes[0].axhline(model.rate_threshold, color="k", ls=":", lw=0.8,
                    label="readout threshold")
    axes[0].set_ylabel("latent state x (a.u.)")
    axes[0].legend(fontsize=7, ncol=4)
    axes[1].set_yticks(np.arange(len(units)) + 0.5, [f"unit {j}" for j in units])
    axes[1].set_xlabel("time (s)")
    axes[1].set_ylabel("spikes")
    axes[0].set_title(f"4 trials: {BLANK_S * 1e3:.0f} ms blank, then the units' preferred grating "
                      f"drifting at {TEMPORAL_FREQ:g} Hz (shaded); calibrated readout "
                      f"{model.rate_scale} x max(x - {model.rate_threshold:.2f}, 0)")
    plotting.save_figure(fig, out / "traces.png", dpi=100)


def fig_second_layer(out, model, gen, top):
    import matplotlib.pyplot as plt

    pool = top["pooling"]
    fig = plt.figure(figsize=(14, 6.5))
    sub = fig.subfigures(1, 2, width_ratios=[1.3, 1])
    ax = sub[0].subplots(1, 1)
    units = np.array(pool["pooled_units"])[:8]
    rows = [gen[u] * np.sign(model.weights[1][u, j])[:, None, None]
            for j, u in enumerate(units)]
    plotting.plot_image_grid(np.concatenate(rows), ncols=units.shape[1], axes=ax,
                             title="first-layer fields pooled by second-layer units 0-7 "
                                   "(one row each, strongest |W_2| first, signed)")
    axes = sub[1].subplots(3, 1, gridspec_kw={"hspace": 1.0})
    for a, name, label in zip(axes, ("orientation_deg", "position_px", "phase_deg"),
                              ("orientation (deg)", "position (px)", "phase (deg)")):
        d = pool[name]
        a.axvspan(*d["shuffled_ci95"], color="0.85", label="shuffled sets, 95 %")
        a.axvline(d["shuffled"], color="0.5", lw=1)
        a.axvline(d["pooled"], color="C3", lw=2, label="pooled sets")
        a.set_xlabel(f"mean pairwise difference in {label}")
        a.set_yticks([])
        a.set_title(f"{label}: pooled {d['pooled']:.1f} vs shuffled {d['shuffled']:.1f} "
                    f"(p = {d['p']:.4f}, {2000} shuffles)", fontsize=9)
    axes[0].legend(fontsize=7)
    plotting.save_figure(fig, out / "second_layer.png", dpi=100, tight_layout=False)


# ----------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    # refuse bad reverse-correlation settings now, not after the learning
    dt_s = float(models.get("v1").VARIANTS[args.variant]["dt"] / second)
    as_steps(args.rc_frame_ms * ms, dt_s, "--rc-frame-ms")
    if not args.rc_contrast > 0:
        raise HEEParameterError(f"--rc-contrast must be > 0 (a pixel sd), got {args.rc_contrast}.")
    t_start = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HEE_BRIAN_CACHE", str(out / "brian_cache"))
    timings = {}
    model, history, train, side, sigma0, patches, r2_init = learn_model(args, out, timings)
    shape = (side, side)

    # -- receptive fields
    t0 = time.perf_counter()
    gen = rfa.generative_fields(model.weights[0], shape, sigma0)
    fits = rfa.gabor_table(rfa.fit_gabors(gen))
    good = fits["r2"] >= R2_THRESHOLD
    log(f"Gabor fits: {good.mean():.0%} of first-layer units with R^2 >= {R2_THRESHOLD}")
    control = gabor_controls(patches, side, min(48, model.layers[1].n))
    timings["gabor_fit_s"] = time.perf_counter() - t0

    # -- pilot run and readout calibration
    t0 = time.perf_counter()
    thetas = np.arange(args.n_theta) * np.pi / args.n_theta
    freqs = FREQS[FREQS >= 1.0 / side - 1e-12] if side < 8 else FREQS
    proto_kw = dict(blank_s=BLANK_S, stimulus_s=STIMULUS_S, temporal_freq=TEMPORAL_FREQ,
                    frame_s=FRAME_S)
    pilot = vp.run_session(model, vp.grating_protocol(shape, thetas[::2], freqs,
                                                      contrast=AMPLITUDE, repeats=2,
                                                      **proto_kw),
                           keep_samples=True, seed=args.seed + 101)
    calibration = vp.calibrate_readout(pilot.x_samples["blank"], pilot.x_samples["stimulus"],
                                       pilot.condition)
    vp.apply_calibration(model, calibration)
    model.save(out / "model.npz")
    timings["calibration_s"] = time.perf_counter() - t0
    log(f"readout calibrated: {calibration['rate_scale_hz']:.1f} Hz x max(x - "
        f"{calibration['rate_threshold']:.3f}, 0)")

    # -- drifting gratings
    t0 = time.perf_counter()
    nT, nF = len(thetas), len(freqs)
    session = vp.run_session(model, vp.grating_protocol(shape, thetas, freqs, contrast=AMPLITUDE,
                                                        repeats=args.repeats, **proto_kw),
                             top=len(model.layers) > 2, seed=args.seed + 11)
    timings["gratings_run_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    stim, blank = _stim_rates(session)
    mean, sem = vp.condition_rates(stim, session.condition, nT * nF)
    spont = blank.mean(axis=0)
    props = tuning.tuning_properties(mean.reshape(nT, nF, 1, -1), thetas, freqs, [0.0],
                                     baseline=spont)
    ti, fi = vp.preferred_conditions(mean, nT, nF)
    pref_cond = ti * nF + fi
    props["f1_f0"] = f1_over_f0(session, pref_cond)
    peak = props["peak_response"]
    resp = tuning.responsive(peak, spont)
    props_resp = {k: np.asarray(v)[resp] for k, v in props.items()}
    comparison = tuning.compare_with_v1(props_resp, fits["nx"][good], fits["ny"][good])
    top = second_layer(model, fits, good, session, nT, nF, thetas)
    timings["gratings_analysis_s"] = time.perf_counter() - t0
    log(f"gratings: {resp.mean():.0%} responsive; median peak {np.median(peak):.1f} spikes/s, "
        f"spontaneous {np.median(spont):.2f} spikes/s")

    # -- contrast series at each responsive unit's preferred grating
    t0 = time.perf_counter()
    # the most common preferred gratings first, at most MAX_CRF_GRATINGS of them
    pairs = [(int(a), int(b)) for a, b, r in zip(ti, fi, resp) if r] or [(int(ti[0]),
                                                                         int(fi[0]))]
    uniq, n_pref = np.unique(np.array(pairs), axis=0, return_counts=True)
    prefs = [tuple(int(v) for v in uniq[i]) for i in np.argsort(-n_pref, kind="stable")]
    prefs = sorted(prefs[:MAX_CRF_GRATINGS])
    gratings = [(thetas[a], freqs[b]) for a, b in prefs]
    cs = vp.run_session(model, vp.contrast_protocol(shape, gratings, AMPLITUDE * CONTRASTS,
                                                    repeats=args.repeats, **proto_kw),
                        seed=args.seed + 17)
    cstim, _ = _stim_rates(cs)
    nC = len(CONTRASTS)
    g_of_trial, k_of_trial = np.divmod(cs.condition, nC)
    unit_grating = np.array([prefs.index((int(a), int(b))) if (int(a), int(b)) in prefs
                             else -1 for a, b in zip(ti, fi)])
    crf = np.full((len(ti), nC), np.nan)
    crf_sem = np.full((len(ti), nC), np.nan)
    for j, g in enumerate(unit_grating):
        if g < 0:
            continue
        for k in range(nC):
            v = cstim[(g_of_trial == g) & (k_of_trial == k), j]
            crf[j, k], crf_sem[j, k] = v.mean(), v.std(ddof=1) / np.sqrt(len(v))
    # a condition without spikes has SEM 0: weight it as one spike in one repeat would
    sem_floor = 1.0 / ((STIMULUS_S - 0.05) * np.sqrt(args.repeats))
    crf_fits = [tuning.fit_naka_rushton(CONTRASTS, crf[j], np.maximum(crf_sem[j], sem_floor))
                if resp[j] and unit_grating[j] >= 0
                else {"c50": np.nan, "n": np.nan, "r_max": np.nan, "r0": np.nan, "r2": np.nan}
                for j in range(len(ti))]
    # variability against contrast, each unit over the repeats of its preferred grating:
    # row (k, r) holds unit j's response to contrast k, repeat r of its own grating
    counts_c = cs.window_counts(cs.onset_s + 0.05, cs.onset_s + cs.stimulus_s)
    units = np.flatnonzero(resp & (unit_grating >= 0))
    n_rep = args.repeats
    own = np.array([[np.flatnonzero((g_of_trial == unit_grating[j]) & (k_of_trial == k))
                     for j in units] for k in range(nC)])  # (nC, units, repeats)
    pick = own.transpose(0, 2, 1).reshape(nC * n_rep, len(units))
    vs_c = variability.variability_vs_contrast(
        np.repeat(CONTRASTS, n_rep), np.take_along_axis(counts_c[:, units], pick, axis=0),
        x_mean=np.take_along_axis(cs.x_stimulus[:, units], pick, axis=0))
    timings["contrast_s"] = time.perf_counter() - t0

    # -- the Fano factor around onset, over every stimulus condition of both sessions
    t0 = time.perf_counter()
    fc, ft, fcond = fano_counts(
        [(session, nT * nF, np.arange(nT * nF)),
         # the contrast series without its 0-contrast (blank) conditions
         (cs, len(gratings) * nC, np.flatnonzero(np.tile(CONTRASTS, len(gratings)) > 0))])
    fano_course = variability.mean_matched_fano(fc, ft, window_s=FANO_WINDOW_S)
    # the interval resamples conditions: a condition's neurons share their trials
    fano_change = variability.fano_change_at_onset(fc, ft, onset=session.onset_s,
                                                   method="clusters", clusters=fcond,
                                                   n_boot=2000, window_s=FANO_WINDOW_S)
    fano_change["n_conditions"] = int(fcond.max() + 1)
    timings["fano_s"] = time.perf_counter() - t0
    log(f"Fano factor change at onset {fano_change['change']:+.3f} "
        f"{np.round(fano_change['change_ci95'], 3)} ({fano_change['n_units_kept']} units kept, "
        f"{fano_change['n_conditions']} conditions)")

    # -- reverse correlation with the calibrated readout
    t0 = time.perf_counter()
    streams = 64 if args.variant in ("default", "single") else 16
    n_rc = args.rc_frames or RC_FRAMES
    n_rc = max(streams * 8, n_rc // (streams * 8) * (streams * 8))
    rc = rfa.reverse_correlation(model, n_frames=n_rc, frame=args.rc_frame_ms * ms,
                                 contrast=args.rc_contrast, lags=(0,), seed=args.seed,
                                 patch_shape=shape, chunk=min(n_rc, streams * 4032),
                                 streams=streams, full=True)
    sta, sta_rel, membrane = rc["sta"], rc["reliability"], rc["membrane"]

    fits_sta = rfa.gabor_table(rfa.fit_gabors(sta))
    fits_mem = rfa.gabor_table(rfa.fit_gabors(membrane))
    sta_corr, mem_corr = rfa.field_correlation(gen, sta), rfa.field_correlation(gen, membrane)
    # the correlation the STA would reach without spike noise (noise ceiling)
    sta_corr_ceiling = sta_corr / np.sqrt(np.clip(sta_rel, 1e-6, None))
    timings["reverse_correlation_s"] = time.perf_counter() - t0
    log(f"reverse correlation ({rc['spikes_per_frame'] / (args.rc_frame_ms * 1e-3):.1f} spikes/s): "
        f"STA {np.mean(fits_sta['r2'] >= R2_THRESHOLD):.0%} Gabor-like, median corr with "
        f"generative fields {np.nanmedian(sta_corr):.2f} (split-half reliability "
        f"{np.nanmedian(sta_rel):.2f}, noise-corrected {np.nanmedian(sta_corr_ceiling):.2f}); "
        f"membrane (state x) kernel {np.mean(fits_mem['r2'] >= R2_THRESHOLD):.0%}, "
        f"{np.nanmedian(mem_corr):.2f}")

    # -- figures
    t0 = time.perf_counter()
    cmd = " ".join(["python", "simulations/v1_receptive_fields.py"]
                   + (argv if argv is not None else sys.argv[1:]))
    figures = {}
    plotting.save_figure(plotting.plot_receptive_field_grids([gen, sta, membrane], [
        "generative fields sigma_0^2 W_1 (each scaled to +-max)\n"
        f"Gabor R^2 >= {R2_THRESHOLD}: {good.mean():.0%}",
        f"spike-triggered averages of {n_rc} white-noise frames of {args.rc_frame_ms:g} ms\n"
        f"Gabor R^2 >= {R2_THRESHOLD}: {np.mean(fits_sta['r2'] >= R2_THRESHOLD):.0%}, "
        f"median corr with generative {np.nanmedian(sta_corr):.2f}",
        "membrane (state x) kernel of the same frames\n"
        f"Gabor R^2 >= {R2_THRESHOLD}: {np.mean(fits_mem['r2'] >= R2_THRESHOLD):.0%}, "
        f"median corr with generative {np.nanmedian(mem_corr):.2f}"]),
        out / "rf_grid.png", dpi=110)
    figures["rf_grid.png"] = "generative, spike-triggered and membrane reverse-correlation fields"
    order = np.argsort(-np.where(resp, peak, -np.inf))
    examples = [int(j) for j in order[:6] if resp[j]] or [int(order[0])]
    R3 = mean.reshape(nT, nF, -1)
    S3 = sem.reshape(nT, nF, -1)
    fig_tuning_examples(out, examples, np.degrees(thetas), freqs,
                        np.array([R3[:, fi[j], j] for j in examples]),
                        np.array([S3[:, fi[j], j] for j in examples]),
                        np.array([R3[ti[j], :, j] for j in examples]),
                        np.array([S3[ti[j], :, j] for j in examples]),
                        crf[examples], crf_sem[examples], [crf_fits[j] for j in examples],
                        CONTRASTS, props)
    figures["tuning_examples.png"] = "orientation, SF and contrast tuning of example units"
    plotting.save_figure(plotting.plot_tuning_distributions(props_resp, comparison),
                         out / "v1_distributions.png", dpi=100)
    figures["v1_distributions.png"] = "property distributions of responsive units against V1"
    plotting.save_figure(plotting.plot_nx_ny(
        fits["nx"][good], fits["ny"][good],
        label=f"model, R^2 >= {R2_THRESHOLD} (n={good.sum()})"), out / "nx_ny.png", dpi=110)
    figures["nx_ny.png"] = "(nx, ny) of Gabor-like fields against Ringach 2002"
    j0 = examples[0]
    same = [int(j) for j in np.flatnonzero((ti == ti[j0]) & (fi == fi[j0]))][:4]
    fig_traces(out, model, {"shape": shape, "theta": thetas[ti[j0]], "sf": freqs[fi[j0]],
                            "units": same}, seed=args.seed + 5)
    figures["traces.png"] = "states and spikes at the calibrated rates"
    prediction = ("sampling theory: the posterior is narrower than the prior,\nso count "
                  "variability falls at onset (Churchland 2010; Orban et al. 2016)")
    prediction_c = ("sampling theory, this prior: a Cauchy posterior widens as |x| grows,\n"
                    "so the sd of x may rise with contrast while the Fano factor falls")
    ax = plotting.plot_fano_time_course(fano_course["times"] - session.onset_s,
                                        fano_course["fano"], fano_course["fano_ci95"],
                                        raw=fano_course["fano_raw"], onset=0.0)
    ax.set_title(f"mean-matched Fano factor, {FANO_WINDOW_S * 1e3:.0f} ms windows;\nchange at "
                 f"onset {fano_change['change']:+.3f} (95 % interval "
                 f"{fano_change['change_ci95'][0]:+.3f} to {fano_change['change_ci95'][1]:+.3f})"
                 f"\n{prediction}", fontsize=8)
    plotting.save_figure(ax.figure, out / "fano.png", dpi=110)
    figures["fano.png"] = "mean-matched Fano factor around onset with 95 % interval"
    axes = plotting.plot_variability_vs_contrast(vs_c["contrast"], vs_c["fano"],
                                                 vs_c.get("x_std"),
                                                 fano_ci=vs_c.get("fano_ci95"),
                                                 x_std_ci=vs_c.get("x_std_ci95"))
    ax0 = np.atleast_1d(axes)[0]
    # above the axes: inside them the text covered the low-contrast points
    ax0.set_title(f"{ax0.get_title()}\n{prediction_c}", fontsize=8)
    plotting.save_figure(ax0.figure, out / "variability.png", dpi=110)
    figures["variability.png"] = "Fano factor and sd of x against contrast, 95 % intervals"
    if top is not None:
        fig_second_layer(out, model, gen, top)
        figures["second_layer.png"] = "what the second layer pools, against shuffled sets"
    timings["figures_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - t_start

    med = _median
    summary = {
        "command": cmd,
        "model": model.config(),
        "training": history["settings"],
        "patches_presented": int(len(patches)),
        "gabor": {
            "threshold_r2": R2_THRESHOLD,
            "fraction_generative": float(good.mean()),
            "initial_dictionary": args.init,
            "fraction_initial_dictionary": float(np.mean(r2_init >= R2_THRESHOLD)),
            "control_fractions": control,
            "median_r2_generative": med(fits["r2"]),
            "fraction_reverse_correlation": float(np.mean(fits_sta["r2"] >= R2_THRESHOLD)),
            "reverse_correlation_frames": int(n_rc),
            "reverse_correlation_frame_ms": args.rc_frame_ms,
            "reverse_correlation_contrast": args.rc_contrast,
            "median_corr_sta_vs_generative": med(sta_corr),
            "reverse_correlation_spikes_per_s": rc["spikes_per_frame"] / (args.rc_frame_ms * 1e-3),
            "median_sta_split_half_reliability": med(sta_rel),
            "median_corr_sta_vs_generative_noise_corrected": med(sta_corr_ceiling),
            "fraction_membrane_kernel": float(np.mean(fits_mem["r2"] >= R2_THRESHOLD)),
            "median_corr_membrane_kernel_vs_generative": med(mem_corr),
            "nx_median": med(fits["nx"][good]), "ny_median": med(fits["ny"][good]),
        },
        "readout_calibration": calibration,
        "rates_hz": {"median_peak": med(peak), "iqr_peak": _iqr(peak),
                     "median_spontaneous": med(spont), "iqr_spontaneous": _iqr(spont),
                     "fraction_responsive": float(resp.mean()),
                     "responsive_cut": "peak > spontaneous + 5 spikes/s (Ringach et al. 2002)"},
        "protocol": {"orientations": nT, "spatial_frequencies": [float(f) for f in freqs],
                     "repeats": args.repeats, "blank_s": BLANK_S, "stimulus_s": STIMULUS_S,
                     "temporal_freq_hz": TEMPORAL_FREQ, "frame_s": FRAME_S,
                     "amplitude": AMPLITUDE, "contrasts": (AMPLITUDE * CONTRASTS).tolist()},
        "tuning_vs_v1": comparison,
        "f1_f0": {"median": med(props_resp["f1_f0"]),
                  "fraction_simple": float(np.mean(props_resp["f1_f0"] > 1))
                  if resp.any() else None, "v1_fraction_simple": 0.4},
        "sf_peak_at_edge_fraction": float(np.mean(props_resp["sf_peak_at_edge"]))
        if resp.any() else None,
        "contrast_response": {
            "c50_median": med([f["c50"] for f in crf_fits]),
            "exponent_median": med([f["n"] for f in crf_fits]),
            "r2_median": med([f["r2"] for f in crf_fits]),
            "n_fitted": int(np.sum([np.isfinite(f["c50"]) for f in crf_fits])),
            "c50_units": "multiples of the grating amplitude 1.5",
        },
        "fano_onset": {k: v for k, v in fano_change.items()},
        "fano_time_course": {"times_s": fano_course["times"], "fano": fano_course["fano"],
                             "fano_ci95": fano_course["fano_ci95"],
                             "fano_raw": fano_course["fano_raw"]},
        "variability_vs_contrast": vs_c,
        "second_layer": None if top is None else {
            "pooling": {k: v for k, v in top["pooling"].items() if k != "pooled_units"},
            "circular_variance_median": med(top["circular_variance"]),
            "f1_f0_median": med(top["f1_f0"]),
            "note": "second-layer tuning from its state x (no spikes): response = |change "
                    "of mean x| from blank; F1/F0 of the condition-averaged x trace",
        },
        "figures": {name: {"shows": what, "command": cmd} for name, what in figures.items()},
        "timings_s": timings,
        "load_average": list(os.getloadavg()),
    }
    write_json(out / "summary.json", summary)
    log(f"done in {timings['total_s']:.0f} s: Gabor {good.mean():.0%}, STA "
        f"{np.mean(fits_sta['r2'] >= R2_THRESHOLD):.0%}; see {out / 'summary.json'}")
    return summary


if __name__ == "__main__":
    main()
