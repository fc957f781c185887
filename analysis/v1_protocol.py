"""A V1 recording session on any trained model, run as a physiology lab runs one.

The protocol of the main job (``simulations/v1_receptive_fields.py``), in
the order an experimenter works:

1. **Readout calibration** (:func:`calibrate_readout`).  The model's
   latent states ``x`` have no units; a threshold-linear readout
   ``rate = rate_scale * max(x - rate_threshold, 0)`` maps them to spikes/s.
   Its two numbers are fitted, on a short pilot run, so that the median
   spontaneous rate and the median peak response of the units match the
   V1 figures Marques et al. (2021) calibrate models to: 0.82 and 33.8
   spikes/s (docs/v1_reference.md).
2. **Drifting gratings** (:func:`grating_protocol`): trials of a blank
   epoch (hundreds of ms, the spontaneous rate and the pre-onset baseline
   of the Fano factor) followed by a sinusoidal grating drifting at
   ``temporal_freq`` over an orientation x spatial-frequency grid, with
   repeats run side by side as streams.  From the spike counts:
   orientation tuning at each unit's preferred spatial frequency, spatial-
   frequency tuning at its preferred orientation, F0 and F1 of the
   response at the preferred grating (simple / complex by F1/F0 > 1), and
   the spike counts around onset for the mean-matched Fano factor.
3. **Contrast series** at each unit's preferred grating
   (:func:`contrast_protocol`), for the contrast response function and the
   variability of ``x`` and of spike counts against contrast.
4. **White-noise reverse correlation**
   (:func:`hee_brian.analysis.receptive_fields.reverse_correlation`).

Running a protocol returns a :class:`GratingSession` of plain arrays (spike
counts in bins, mean states per epoch, the condition of each trial); the
rest of the module is pure functions of those arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import Hz, second
from scipy.optimize import brentq

import hee_brian as hb

from hee_brian.nonlinearities import readout_rate

from .tuning import grating

__all__ = [
    "V1_MEDIAN_PEAK_HZ",
    "V1_MEDIAN_SPONTANEOUS_HZ",
    "drifting_grating",
    "grating_protocol",
    "contrast_protocol",
    "GratingSession",
    "run_session",
    "calibrate_readout",
    "apply_calibration",
    "condition_rates",
    "preferred_conditions",
]

#: Median peak response and median spontaneous rate of macaque V1 cells that
#: Marques et al. (2021) calibrate model activity to (docs/v1_reference.md).
V1_MEDIAN_PEAK_HZ = 33.8
V1_MEDIAN_SPONTANEOUS_HZ = 0.82


def drifting_grating(shape, theta, freq, temporal_freq, duration_s, frame_s, contrast=1.0,
                     phase0=0.0):
    """Frames of a sinusoidal grating drifting along its wave vector.

    Parameters
    ----------
    shape : tuple of int
        Patch (h, w) in pixels.
    theta : float
        Direction of the wave vector (radians), as in
        :func:`hee_brian.analysis.tuning.grating`.
    freq : float
        Spatial frequency (cycles/pixel).
    temporal_freq : float
        Drift rate (cycles/s): the phase advances by ``2 pi temporal_freq
        frame_s`` per frame.
    duration_s, frame_s : float
        Epoch duration and frame duration (s); ``duration_s`` a whole number
        of frames.
    contrast : float
        Amplitude of the grating (training patches have unit pixel variance,
        so amplitude 1.5 gives a pixel variance of about 1.1).
    phase0 : float
        Phase of the first frame.

    Returns
    -------
    ndarray, shape (n_frames, h * w)
    """
    n = int(round(duration_s / frame_s))
    if n < 1 or abs(n * frame_s - duration_s) > 1e-9:
        raise ValueError(f"duration {duration_s} s is not a whole number of {frame_s} s frames.")
    phases = phase0 + 2 * np.pi * temporal_freq * frame_s * np.arange(n)
    # the grating moves towards +u: cos(2 pi f u - 2 pi tf t)
    return np.array([grating(shape, theta, freq, -p, contrast) for p in phases])


def _trial(shape, blank_s, stimulus_s, frame_s, temporal_freq, theta, freq, contrast):
    frames = drifting_grating(shape, theta, freq, temporal_freq, stimulus_s, frame_s, contrast)
    params = dict(theta_deg=float(np.degrees(theta)), sf=float(freq), contrast=float(contrast))
    return ([hb.Epoch("blank", blank_s * second)]
            + [hb.Epoch("grating", frame_s * second, f, **params) for f in frames])


def grating_protocol(shape, thetas, freqs, contrast=1.5, blank_s=0.25, stimulus_s=0.5,
                     temporal_freq=4.0, frame_s=0.0125, repeats=10):
    """Blank, then a drifting grating, over an orientation x frequency grid.

    Parameters
    ----------
    shape : tuple of int
        Patch shape.
    thetas : array_like
        Orientations (radians, in [0, pi)).
    freqs : array_like
        Spatial frequencies (cycles/pixel).
    contrast : float
        Grating amplitude.
    blank_s, stimulus_s : float
        Epoch durations (s).
    temporal_freq : float
        Drift rate (Hz); ``stimulus_s`` should hold a whole number of cycles.
    frame_s : float
        Frame duration (s).
    repeats : int
        Repeats of each condition (run side by side as streams).

    Returns
    -------
    hee_brian.Protocol
        Condition ``i * len(freqs) + j`` is orientation i, frequency j.
    """
    conds, names = [], []
    for th in np.asarray(thetas, dtype=float):
        for f in np.asarray(freqs, dtype=float):
            conds.append(_trial(shape, blank_s, stimulus_s, frame_s, temporal_freq, th, f,
                                contrast))
            names.append(f"grating theta={np.degrees(th):.1f} deg sf={f:.4f} c/px")
    return hb.Protocol(conds, repeats=repeats, names=names)


def contrast_protocol(shape, gratings, contrasts, blank_s=0.25, stimulus_s=0.5,
                      temporal_freq=4.0, frame_s=0.0125, repeats=10):
    """Blank, then drifting gratings of each (orientation, frequency) at each contrast.

    Parameters
    ----------
    shape : tuple of int
    gratings : sequence of (theta, freq)
        The gratings (radians, cycles/pixel), e.g. the units' preferred ones.
    contrasts : array_like
        Grating amplitudes (0: a blank trial).
    blank_s, stimulus_s, temporal_freq, frame_s, repeats
        As in :func:`grating_protocol`.

    Returns
    -------
    hee_brian.Protocol
        Condition ``g * len(contrasts) + k`` is grating g at contrast k.
    """
    conds, names = [], []
    for th, f in gratings:
        for c in np.asarray(contrasts, dtype=float):
            conds.append(_trial(shape, blank_s, stimulus_s, frame_s, temporal_freq, th, f, c))
            names.append(f"grating theta={np.degrees(th):.1f} deg sf={f:.4f} c/px "
                         f"contrast={c:g}")
    return hb.Protocol(conds, repeats=repeats, names=names)


@dataclass
class GratingSession:
    """Spike counts and mean states of a grating protocol, by trial.

    Attributes
    ----------
    counts : ndarray, shape (n_trials, n_bins, n)
        Spike counts of layer 1 in bins of ``bin_s`` from trial onset.
    bin_s : float
        Bin width (s).
    onset_s : float
        Stimulus onset within a trial (s): the end of the blank epoch.
    stimulus_s : float
        Stimulus duration (s).
    condition : ndarray of int, shape (n_trials,)
        Condition index of each trial.
    x_blank, x_stimulus : ndarray, shape (n_trials, n)
        Mean latent state over the last half of the blank epoch and over
        the stimulus epoch after ``settle_s``.
    x_samples : dict
        Optional recorded samples of x (``"blank"``, ``"stimulus"``:
        (n_trials, samples, n)), kept for the readout calibration.
    top_traces : ndarray, shape (n_conditions, samples, n_2), optional
        The layer above's state, averaged over the repeats of each
        condition, minus its mean over the blank epoch (recorded when
        ``run_session(top=True)``).
    top_time : ndarray, shape (samples,), optional
        Sample times of ``top_traces`` from trial onset (s).
    info : dict
        The readout and run settings.
    """

    counts: np.ndarray
    bin_s: float
    onset_s: float
    stimulus_s: float
    condition: np.ndarray
    x_blank: np.ndarray
    x_stimulus: np.ndarray
    x_samples: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    top_traces: np.ndarray | None = None
    top_time: np.ndarray | None = None

    @property
    def n_conditions(self):
        """Number of conditions."""
        return int(self.condition.max()) + 1

    def window_counts(self, start_s, stop_s):
        """Counts in [start_s, stop_s) after trial onset: (n_trials, n)."""
        a = int(round(start_s / self.bin_s))
        b = int(round(stop_s / self.bin_s))
        return self.counts[:, a:b].sum(axis=1)


def run_session(model, protocol, bin_s=0.005, record_every=None, settle_s=0.05,
                keep_samples=False, top=False, split=None, seed=0):
    """Run a grating protocol on ``model`` and bin its layer-1 spikes.

    Parameters
    ----------
    model : hee_brian.HEEModel
    protocol : hee_brian.Protocol
        From :func:`grating_protocol` or :func:`contrast_protocol`.
    bin_s : float
        Width of the spike-count bins (s).
    record_every : Quantity, optional
        Interval of the recorded states (default 2.5 ms).
    settle_s : float
        Time after onset left out of the stimulus-epoch mean of x.
    keep_samples : bool
        Keep the recorded samples of x in the session (for
        :func:`calibrate_readout`).
    top : bool
        Also record layer 2 and keep its condition-averaged traces.
    split : int, optional
        Streams sharing each repeat's conditions
        (:meth:`hee_brian.HEEModel.run_protocol`); default: the largest
        divisor of the number of conditions that keeps the streams at or
        below 64, so that a long protocol runs in few time steps.
    seed : int

    Returns
    -------
    GratingSession
    """
    from brian2 import ms

    record_every = 2.5 * ms if record_every is None else record_every
    layers = [1, 2] if top else [1]
    if split is None:
        C = protocol.n_conditions
        split = max(d for d in range(1, C + 1)
                    if C % d == 0 and d * protocol.repeats <= max(64, protocol.repeats))
    rec = model.run_protocol(protocol, record_every=record_every, layers=layers, spikes=True,
                             seed=seed, split=split)
    T = protocol.trial_duration_s
    n_bins = int(round(T / bin_s))
    counts = rec.trial_counts(1, edges=np.arange(n_bins + 1) * bin_s)
    table = rec.trials.trial_table()
    condition = np.array([row["condition"] for row in table])
    first = protocol.conditions[0]
    onset = first[0].duration_s
    stim_s = T - onset
    x = rec.trial_traces(1, "x")  # (trial, time, n)
    t = rec.trials.time
    blank_sel = (t >= onset / 2) & (t < onset)
    stim_sel = t >= onset + settle_s
    session = GratingSession(
        counts=counts, bin_s=float(bin_s), onset_s=float(onset), stimulus_s=float(stim_s),
        condition=condition, x_blank=x[:, blank_sel].mean(axis=1),
        x_stimulus=x[:, stim_sel].mean(axis=1),
        info={"readout": model.readout, "rate_scale_hz": float(model.rate_scale / Hz),
              "rate_threshold": model.rate_threshold, "record_dt_s": float(t[1] - t[0]),
              "settle_s": float(settle_s), "repeats": protocol.repeats, "split": split,
              "n_conditions": protocol.n_conditions},
    )
    if keep_samples:
        session.x_samples = {"blank": x[:, blank_sel], "stimulus": x[:, stim_sel]}
    if top:
        x2 = rec.trial_traces(2, "x")
        x2 = x2 - x2[:, blank_sel].mean(axis=1, keepdims=True)
        session.top_traces = np.array([x2[condition == c].mean(axis=0)
                                       for c in range(protocol.n_conditions)])
        session.top_time = t
    return session


# ----------------------------------------------------------------------
# pure functions of the session's arrays

def _relu_rate(x, threshold):
    # the model's own threshold-linear readout, at rate_scale 1
    return readout_rate("relu", x, 1.0, threshold)


def calibrate_readout(x_blank, x_stimulus, condition, peak_hz=V1_MEDIAN_PEAK_HZ,
                      spontaneous_hz=V1_MEDIAN_SPONTANEOUS_HZ):
    """Fit the threshold-linear readout to V1's median spontaneous and peak rates.

    ``rate = s * max(x - theta, 0)``.  For a threshold ``theta`` the
    per-unit spontaneous rate is the mean over blank samples and trials, the
    per-unit peak the largest mean over the stimulus samples of a
    condition's trials; the ratio of their medians over units depends on
    ``theta`` only, so ``theta`` is found by root finding and then ``s``
    from the spontaneous median (the affine calibration of Marques et al.
    2021, with the rectification a rate needs).

    Parameters
    ----------
    x_blank, x_stimulus : ndarray, shape (n_trials, samples, n)
        Samples of the latent state in blank and stimulus epochs.
    condition : ndarray of int, shape (n_trials,)
    peak_hz, spontaneous_hz : float
        Target medians (spikes/s).

    Returns
    -------
    dict
        ``rate_scale_hz``, ``rate_threshold``, and the medians reached
        (``median_peak_hz``, ``median_spontaneous_hz``).
    """
    xb = np.asarray(x_blank, dtype=float)
    xs = np.asarray(x_stimulus, dtype=float)
    condition = np.asarray(condition)
    conds = np.unique(condition)
    xb_flat = xb.reshape(-1, xb.shape[-1])  # every blank sample of every trial

    def medians(theta):
        spont = _relu_rate(xb_flat, theta).mean(axis=0)
        per_cond = np.array([_relu_rate(xs[condition == c], theta).mean(axis=(0, 1))
                             for c in conds])
        return float(np.median(per_cond.max(axis=0))), float(np.median(spont))

    target = np.log(peak_hz / spontaneous_hz)

    def gap(theta):
        peak, spont = medians(theta)
        if spont <= 0:
            return np.inf
        return np.log(peak / spont) - target

    lo = float(np.percentile(xb_flat, 1))
    hi = float(np.percentile(xb_flat, 99.9))
    if gap(lo) > 0:
        raise ValueError(
            "the units' responses are too far above their spontaneous states for a "
            "threshold-linear readout to reach the target ratio even without a threshold; "
            "check the pilot run."
        )
    while gap(hi) < 0:  # an infinite gap (no spontaneous rate left) is > 0
        hi += (hi - lo)
        if hi > 1e3:
            raise ValueError("no threshold reaches the target peak/spontaneous ratio.")
    # the largest threshold with a finite gap bounds the root from above
    grid = np.linspace(lo, hi, 200)
    gaps = np.array([gap(g) for g in grid])
    k = int(np.argmax(gaps > 0))
    theta = brentq(gap, grid[k - 1], grid[k], xtol=1e-9) if np.isfinite(gaps[k]) \
        else grid[k - 1]
    peak, spont = medians(theta)
    scale = spontaneous_hz / spont
    return {"rate_scale_hz": float(scale), "rate_threshold": float(theta),
            "median_peak_hz": float(peak * scale), "median_spontaneous_hz": float(spont * scale),
            "target_peak_hz": peak_hz, "target_spontaneous_hz": spontaneous_hz}


def apply_calibration(model, calibration):
    """Give ``model`` the calibrated threshold-linear readout (in place); returns it."""
    model.readout = "relu"
    model.rate_scale = calibration["rate_scale_hz"] * Hz
    model.rate_threshold = float(calibration["rate_threshold"])
    return model


def condition_rates(counts, condition, n_conditions=None):
    """Trial-averaged rate per condition and its standard error.

    Parameters
    ----------
    counts : ndarray, shape (n_trials, n)
        Spike counts in a window, converted by the caller to spikes/s (or
        left as counts).
    condition : ndarray of int, shape (n_trials,)
    n_conditions : int, optional

    Returns
    -------
    mean, sem : ndarray, shape (n_conditions, n)
    """
    counts = np.asarray(counts, dtype=float)
    condition = np.asarray(condition)
    C = int(condition.max()) + 1 if n_conditions is None else int(n_conditions)
    mean = np.full((C, counts.shape[1]), np.nan)
    sem = np.full((C, counts.shape[1]), np.nan)
    for c in range(C):
        v = counts[condition == c]
        if len(v):
            mean[c] = v.mean(axis=0)
            sem[c] = v.std(axis=0, ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
    return mean, sem


def preferred_conditions(mean, n_theta, n_freq):
    """Each unit's preferred orientation and frequency index on a grid.

    Parameters
    ----------
    mean : ndarray, shape (n_theta * n_freq, n)
        Mean responses, condition ``i * n_freq + j``.

    Returns
    -------
    theta_index, freq_index : ndarray of int, shape (n,)
    """
    R = np.asarray(mean).reshape(n_theta, n_freq, -1)
    flat = np.nanargmax(R.reshape(n_theta * n_freq, -1), axis=0)
    return flat // n_freq, flat % n_freq
