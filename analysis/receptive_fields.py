"""Receptive fields of a trained HEE model and their 2-D Gabor fits.

Two ways to get a receptive field (RF):

* :func:`generative_fields` — the columns of the generative weights: the
  image each latent adds to the layer below (mean-space dictionary
  ``sigma_0^2 W``);
* :func:`spike_triggered_average` — reverse correlation, as a physiologist
  measures it: white-noise frames are presented to the running network and
  each neuron's spikes are averaged over the frames that preceded them.
  :func:`reverse_correlation` runs the network (``model.infer``) and calls it;
  :func:`split_half_reliability` says how much of an STA is noise, and
  :func:`response_kernel` is the same measurement on a graded signal (the
  latent state, as an intracellular recording would see it).

:func:`fit_gabor` fits the 2-D Gabor of Jones & Palmer (1987) / Ringach
(2002) to one RF and returns its R^2, position, orientation, spatial
frequency, phase and the shape numbers ``nx = sigma_x f``, ``ny = sigma_y f``
(sigma_x across the bars, sigma_y along them).

Everything except :func:`reverse_correlation` is a pure function of arrays.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from brian2 import second
from scipy.optimize import least_squares

from hee_brian.validation import as_steps

__all__ = [
    "GaborFit",
    "gabor",
    "fit_gabor",
    "fit_gabors",
    "generative_fields",
    "spike_triggered_average",
    "split_half_reliability",
    "field_correlation",
    "response_kernel",
    "reverse_correlation",
    "gabor_table",
    "best_match_cosine",
    "likelihood_lambda_max",
    "pooling_similarity",
]


@dataclass
class GaborFit:
    """Parameters of a 2-D Gabor fitted to a receptive field.

    Attributes
    ----------
    r2 : float
        Fraction of the RF's variance (about its mean) the fit explains.
    x0, y0 : float
        Centre in pixels (x: column, y: row, from the top-left pixel's centre).
    theta : float
        Orientation of the carrier's wave vector in radians, in [0, pi)
        (the bars run perpendicular to it).
    freq : float
        Spatial frequency in cycles/pixel.
    phase : float
        Carrier phase in radians, in [0, 2 pi) (0: even / ON-centre,
        pi/2: odd).
    sigma_x, sigma_y : float
        Envelope widths in pixels across (x) and along (y) the bars.
    amplitude, offset : float
    nx, ny : float
        Ringach's shape numbers sigma_x * freq and sigma_y * freq.
    """

    r2: float
    x0: float
    y0: float
    theta: float
    freq: float
    phase: float
    sigma_x: float
    sigma_y: float
    amplitude: float
    offset: float
    nx: float
    ny: float

    def as_dict(self):
        """The fit's parameters as a dict."""
        return asdict(self)


def gabor(shape, x0, y0, theta, freq, phase, sigma_x, sigma_y, amplitude=1.0, offset=0.0):
    """A 2-D Gabor on a pixel grid of ``shape`` (rows, columns).

    ``G = amplitude * exp(-u^2/(2 sigma_x^2) - v^2/(2 sigma_y^2))
    * cos(2 pi freq u + phase) + offset`` with ``u = (x-x0) cos theta +
    (y-y0) sin theta`` (across the bars) and ``v`` along them.
    """
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    return _gabor_xy(xx, yy, x0, y0, theta, freq, phase, sigma_x, sigma_y, amplitude, offset)


def _gabor_xy(xx, yy, x0, y0, theta, freq, phase, sx, sy, amp, off):
    dx, dy = xx - x0, yy - y0
    c, s = np.cos(theta), np.sin(theta)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    return amp * np.exp(-0.5 * (u / sx) ** 2 - 0.5 * (v / sy) ** 2) * np.cos(
        2 * np.pi * freq * u + phase) + off


def _gabor_jacobian(xx, yy, x0, y0, theta, freq, phase, sx, sy, amp, off):
    """Derivatives of :func:`_gabor_xy` by its 9 parameters, shape (pixels, 9).

    Analytic, so a fit costs one model evaluation per Jacobian instead of
    ten (finite differences).
    """
    dx, dy = (xx - x0).ravel(), (yy - y0).ravel()
    c, s = np.cos(theta), np.sin(theta)
    u = dx * c + dy * s
    v = -dx * s + dy * c
    E = np.exp(-0.5 * (u / sx) ** 2 - 0.5 * (v / sy) ** 2)
    arg = 2 * np.pi * freq * u + phase
    C, S = np.cos(arg), np.sin(arg)
    g_u = amp * E * (-u / sx**2 * C - 2 * np.pi * freq * S)
    g_v = amp * E * (-v / sy**2) * C
    return np.stack([
        -c * g_u + s * g_v,                # x0: du = -c, dv = s
        -s * g_u - c * g_v,                # y0: du = -s, dv = -c
        v * g_u - u * g_v,                 # theta: du = v, dv = -u
        -amp * E * S * 2 * np.pi * u,      # freq
        -amp * E * S,                      # phase
        amp * E * C * u**2 / sx**3,        # sigma_x
        amp * E * C * v**2 / sy**3,        # sigma_y
        E * C,                             # amplitude
        np.ones_like(u),                   # offset
    ], axis=1)


def _initial_guesses(rf):
    """Starting points from the RF's energy centroid and its Fourier peak."""
    h, w = rf.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    e = (rf - rf.mean()) ** 2
    tot = e.sum() or 1.0
    cx, cy = (e * xx).sum() / tot, (e * yy).sum() / tot
    spread = np.sqrt(max((e * ((xx - cx) ** 2 + (yy - cy) ** 2)).sum() / tot, 0.25))
    pad = 4 * max(h, w)
    F = np.abs(np.fft.fft2(rf - rf.mean(), s=(pad, pad)))
    fy = np.fft.fftfreq(pad)[:, None] * np.ones((1, pad))
    fx = np.fft.fftfreq(pad)[None, :] * np.ones((pad, 1))
    F[0, 0] = 0
    peaks = np.argsort(F.ravel())[::-1][:6]
    amp0 = np.abs(rf - rf.mean()).max()
    guesses = []
    seen = []
    for k in peaks:
        f = float(np.hypot(fx.ravel()[k], fy.ravel()[k]))
        th = float(np.arctan2(fy.ravel()[k], fx.ravel()[k])) % np.pi
        if any(abs(f - f2) < 0.02 and abs(np.angle(np.exp(2j * (th - t2)))) < 0.2
               for f2, t2 in seen):
            continue
        seen.append((f, th))
        # the amplitude is free in sign, so phases 0 and pi/2 cover the circle
        for ph in (0.0, np.pi / 2):
            guesses.append([cx, cy, th, max(f, 0.03), ph, spread, spread, amp0, 0.0])
        if len(seen) == 2:
            break
    return guesses


def fit_gabor(rf):
    """Least-squares fit of a 2-D Gabor to one receptive field.

    Several starts (the two strongest Fourier peaks x 2 phases, centred on
    the RF's energy centroid) are refined with bounded trust-region least squares; the best
    one is returned.

    Parameters
    ----------
    rf : ndarray, shape (h, w)

    Returns
    -------
    GaborFit
    """
    rf = np.asarray(rf, dtype=float)
    if rf.ndim != 2:
        raise ValueError(f"rf must be 2-D, got shape {rf.shape}")
    h, w = rf.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    sst = float(((rf - rf.mean()) ** 2).sum())
    if sst == 0 or not np.isfinite(sst):
        return GaborFit(0.0, (w - 1) / 2, (h - 1) / 2, 0.0, 0.0, 0.0, np.nan, np.nan,
                        0.0, float(rf.mean()), np.nan, np.nan)
    scale = np.sqrt(sst / rf.size)
    target = rf.ravel() / scale
    size = max(h, w)
    # bounds: centre may sit a little outside the patch; envelopes from
    # 0.3 px to twice the patch; frequency up to Nyquist
    lo = [-2, -2, -10, 0.0, -10, 0.3, 0.3, -np.inf, -np.inf]
    hi = [w + 1, h + 1, 10, 0.5, 10, 2 * size, 2 * size, np.inf, np.inf]

    def resid(p):
        return _gabor_xy(xx, yy, *p).ravel() - target

    def jac(p):
        return _gabor_jacobian(xx, yy, *p)

    best = None
    for g in _initial_guesses(rf):
        g = list(g)
        g[7] /= scale
        g = np.clip(g, np.array(lo) + 1e-9, np.array(hi) - 1e-9)
        try:
            r = least_squares(resid, g, jac=jac, bounds=(lo, hi), method="trf", max_nfev=400)
        except ValueError:
            continue
        if best is None or r.cost < best.cost:
            best = r
    x0, y0, th, f, ph, sx, sy, amp, off = best.x
    r2 = 1.0 - 2 * best.cost * scale**2 / sst
    # canonical form: positive amplitude, theta in [0, pi), phase in [0, 2 pi)
    if amp < 0:
        amp, ph = -amp, ph + np.pi
    k = np.floor(th / np.pi)
    th = th - k * np.pi
    if int(k) % 2:
        # rotating by pi flips u -> -u: cos(-2 pi f u + ph) = cos(2 pi f u - ph)
        ph = -ph
    ph = ph % (2 * np.pi)
    return GaborFit(r2=float(r2), x0=float(x0), y0=float(y0), theta=float(th),
                    freq=float(f), phase=float(ph), sigma_x=float(sx), sigma_y=float(sy),
                    amplitude=float(amp * scale), offset=float(off * scale),
                    nx=float(sx * f), ny=float(sy * f))


def fit_gabors(rfs):
    """:func:`fit_gabor` for each RF in an array of shape (n, h, w)."""
    return [fit_gabor(rf) for rf in np.asarray(rfs)]


def gabor_table(fits):
    """Fits as a dict of arrays (one entry per :class:`GaborFit` field)."""
    keys = list(GaborFit.__dataclass_fields__)
    return {k: np.array([getattr(f, k) for f in fits], dtype=float) for k in keys}


def generative_fields(W, patch_shape, sigma0=1.0):
    """Receptive fields from the generative weights.

    Parameters
    ----------
    W : ndarray, shape (n_pixels, n_latents)
        First-layer weights in the natural-parameter convention.
    patch_shape : tuple of int
        (h, w) with h * w = n_pixels.
    sigma0 : float
        Observation-layer sigma; the mean-space dictionary is sigma0^2 W.

    Returns
    -------
    ndarray, shape (n_latents, h, w)
    """
    W = np.asarray(W, dtype=float)
    h, w = patch_shape
    if W.shape[0] != h * w:
        raise ValueError(f"W has {W.shape[0]} rows but patch_shape {patch_shape} has "
                         f"{h * w} pixels")
    return (sigma0**2 * W).T.reshape(-1, h, w)


def spike_triggered_average(frames, counts, lags=(0,)):
    """Spike-triggered average of white-noise frames.

    Parameters
    ----------
    frames : ndarray, shape (n_frames, n_pixels)
        Stimulus frames in the order shown.
    counts : ndarray, shape (n_frames, n_neurons)
        Spikes of each neuron while each frame was shown.
    lags : sequence of int
        Frame lags summed over (0: spikes during the frame itself; 1: during
        the next frame, for responses slower than one frame).

    Returns
    -------
    ndarray, shape (n_neurons, n_pixels)
        Sum over spikes of the preceding frame, divided by the spike count,
        minus the mean frame (zero where a neuron never fired).
    """
    frames = np.asarray(frames, dtype=float)
    counts = np.asarray(counts, dtype=float)
    if frames.shape[0] != counts.shape[0]:
        raise ValueError("frames and counts must have the same number of rows")
    sta = np.zeros((counts.shape[1], frames.shape[1]))
    n = np.zeros(counts.shape[1])
    for lag in lags:
        c = counts[lag:] if lag else counts
        f = frames[: frames.shape[0] - lag]
        sta += c.T @ f
        n += c.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sta = sta / n[:, None] - frames.mean(axis=0)[None, :]
    sta[n == 0] = 0.0
    return sta


def response_kernel(frames, responses):
    """First-order kernel of graded responses to white noise: their covariance with each pixel.

    For a graded signal such as a membrane potential (or the latent state
    x) the spike-triggered average becomes the response-weighted average,
    ``mean_t (r_t - mean r) (f_t - mean f)``: the linear filter of the
    response up to a scale (Wiener's first-order kernel for white noise).

    Parameters
    ----------
    frames : ndarray, shape (n_frames, n_pixels)
    responses : ndarray, shape (n_frames, n_neurons)
        Each neuron's response while each frame was shown.

    Returns
    -------
    ndarray, shape (n_neurons, n_pixels)
    """
    frames = np.asarray(frames, dtype=float)
    responses = np.asarray(responses, dtype=float)
    if frames.shape[0] != responses.shape[0]:
        raise ValueError("frames and responses must have the same number of rows")
    return ((responses - responses.mean(axis=0)).T @ (frames - frames.mean(axis=0))
            / frames.shape[0])


def split_half_reliability(frames, counts, lags=(0,)):
    """Reliability of each neuron's STA, from the STAs of the two halves of the frames.

    The correlation r between the STAs of the first and second half of the
    frames, stepped up to the full number of frames by Spearman-Brown,
    ``2 r / (1 + r)``: the squared correlation one would expect between the
    measured STA and its noise-free limit.  Dividing a correlation of the
    STA with anything by ``sqrt(reliability)`` is the usual correction for
    measurement noise (its "noise ceiling").

    Parameters
    ----------
    frames, counts, lags
        As :func:`spike_triggered_average`.

    Returns
    -------
    ndarray, shape (n_neurons,)
        NaN where a half has no spikes.
    """
    frames = np.asarray(frames, dtype=float)
    counts = np.asarray(counts, dtype=float)
    h = frames.shape[0] // 2
    r = field_correlation(spike_triggered_average(frames[:h], counts[:h], lags),
                          spike_triggered_average(frames[h:], counts[h:], lags))
    return 2 * r / (1 + r)


def field_correlation(a, b):
    """Pearson correlation of each field in ``a`` with the same field in ``b``.

    Parameters
    ----------
    a, b : array_like, shape (n, ...)
        Fields of any shape (e.g. (n, h, w) or (n, pixels)), paired by row.

    Returns
    -------
    ndarray, shape (n,)
        NaN where a field is flat.
    """
    a = np.asarray(a, dtype=float).reshape(len(a), -1)
    b = np.asarray(b, dtype=float).reshape(len(b), -1)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))


def reverse_correlation(model, n_frames=4000, frame=None, contrast=1.0, lags=(0, 1), seed=0,
                        patch_shape=None, chunk=2000, streams=1, full=False):
    """Measure RFs by white-noise reverse correlation on the running network.

    Gaussian white-noise frames are clamped onto layer 0 one after another
    (``model.infer`` with ``presentation=frame``), the Poisson readout of
    layer 1 is recorded, and the spike-triggered average is taken.  With
    ``full=True`` the latent states are recorded too (up to 4 samples per
    frame, at the ends of its sub-intervals), and their first-order kernel,
    the analogue of an intracellular (membrane-potential) reverse
    correlation, is returned alongside.

    Parameters
    ----------
    model : hee_brian.HEEModel
    n_frames : int
        Number of white-noise frames.
    frame : Quantity, optional
        Time each frame is shown (default tau_x).
    contrast : float
        Standard deviation of the white noise (pixels of the training data
        have unit variance).
    lags : sequence of int
        Frame lags summed in the STA.
    seed : int
    patch_shape : tuple, optional
        Reshape the STAs to (n, h, w); default square.
    chunk : int
        Frames per simulation run (the network state carries over).
    streams : int
        Copies of the network run side by side (``model.infer(streams=B)``),
        frame p shown to stream p % B, each stream a chain of its own: the
        same measurement B times as fast.  ``chunk`` must be a multiple of B.
    full : bool
        Return a dict: ``sta``; ``reliability``, each STA's
        :func:`split_half_reliability`; ``membrane``, the
        :func:`response_kernel` of the layer-1 states averaged over each
        frame (n_latents, h, w); ``spikes_per_frame``, the mean count.

    Returns
    -------
    ndarray, shape (n_latents, h, w), or dict (``full=True``)
    """
    from .recordings import chained_infer

    n0 = model.layers[0].n
    if patch_shape is None:
        side = int(round(np.sqrt(n0)))
        patch_shape = (side, n0 // side)
    frame = model.tau_x if frame is None else frame
    rng = np.random.default_rng(seed)
    if chunk % streams or n_frames % streams:
        raise ValueError(
            f"chunk ({chunk}) and n_frames ({n_frames}) must be multiples of streams "
            f"({streams}); round them to multiples of {streams}."
        )
    frames = contrast * rng.standard_normal((n_frames, n0))
    starts = range(0, n_frames, chunk)
    # state samples per frame, averaged: the response while the frame is shown; at most 4,
    # at whole time steps (a 2.5 ms frame of 50 steps gives 2, 25 steps apart)
    steps = as_steps(frame, model.dt_s, "frame")
    sub = max(d for d in (4, 3, 2, 1) if steps % d == 0)
    runs = chained_infer(model, (frames[s:s + chunk] for s in starts),
                         (seed * 100003 + s for s in starts), presentation=frame,
                         spikes=True, layers=[1] if full else [], streams=streams,
                         record_every=frame / sub, record_adaptation=False)
    counts, states = [], []
    n1 = model.layers[1].n
    for start, rec in zip(starts, runs):
        slots = len(frames[start:start + chunk]) // streams
        edges = np.arange(slots + 1) * float(frame / second)
        # (slot, stream * n1 + j) -> frame slot * B + stream, neuron j
        counts.append(rec.spikes[1].counts(edges).reshape(slots * streams, n1))
        if full:
            # (sample, stream * n1 + j), one sample at the start of each sub-interval; the
            # sample at a frame's start still shows the previous frame's response, so a
            # frame's samples are those at the ends of its sub-intervals, shifted by one
            # (the run records none at its very end: its last frame repeats the one before)
            x = np.asarray(rec.x[1])[:slots * sub]
            x = np.concatenate([x[1:], x[-1:]])
            states.append(x.reshape(slots, sub, streams * n1).mean(axis=1)
                          .reshape(slots * streams, n1))
    counts = np.concatenate(counts)
    sta = spike_triggered_average(frames, counts, lags=lags).reshape(-1, *patch_shape)
    if not full:
        return sta
    return {"sta": sta, "reliability": split_half_reliability(frames, counts, lags),
            "membrane": response_kernel(frames, np.concatenate(states)).reshape(-1, *patch_shape),
            "spikes_per_frame": float(counts.mean())}


def likelihood_lambda_max(W, sigma0):
    """Top eigenvalue of sigma_0^2 W^T W: the stiffest posterior direction (in 1/tau_x).

    For Gaussian pixels of noise sigma_0 and natural-parameter weights W, the
    likelihood's precision on the latents is sigma_0^2 W^T W; its top
    eigenvalue bounds the Euler step of the latents and of their loop with the
    pixel interneurons (``models/v1.py``).
    """
    W = np.asarray(W, dtype=float)
    return float(np.linalg.eigvalsh(sigma0**2 * W.T @ W)[-1])


def best_match_cosine(reference, learned):
    """How well a learned dictionary contains a reference one.

    Parameters
    ----------
    reference, learned : ndarray, shape (n_pixels, n_ref) and (n_pixels, n_learned)
        Dictionaries as columns (e.g. ``model.weights[0]``; scale is ignored).

    Returns
    -------
    float
        Mean over reference columns of the largest |cosine| with any learned
        column: 1 when every reference column is learned (up to sign).
    """
    r = np.asarray(reference, dtype=float)
    m = np.asarray(learned, dtype=float)
    r = r / np.linalg.norm(r, axis=0)
    m = m / np.linalg.norm(m, axis=0)
    return float(np.abs(r.T @ m).max(axis=1).mean())


def _circular_distance(a, b, period):
    d = np.abs(np.asarray(a) - np.asarray(b)) % period
    return np.minimum(d, period - d)


def pooling_similarity(W, theta, x0, y0, phase, k=6, n_shuffle=2000, seed=0):
    """How alike the first-layer units are that each second-layer unit pools.

    Each second-layer unit j pools the ``k`` first-layer units with the
    largest ``|W[:, j]|``.  For each property the mean pairwise distance
    among those k (orientation on a 180 deg circle, position in pixels,
    phase on a 360 deg circle) is averaged over the second-layer units and
    compared with the same average for random sets of k first-layer units
    (shuffled control): a pooled distance well below the shuffled one means
    the second layer pools like units.

    Parameters
    ----------
    W : ndarray, shape (n_1, n_2)
        Weights of the second layer (``model.weights[1]``).
    theta, x0, y0, phase : ndarray, shape (n_1,)
        Gabor parameters of the first-layer units (radians, pixels,
        radians); NaN for units left out (e.g. not Gabor-like).
    k : int
        Units pooled per second-layer unit (among the valid ones).
    n_shuffle : int
        Random sets per second-layer unit in the control.
    seed : int

    Returns
    -------
    dict
        Per property (``orientation_deg``, ``position_px``, ``phase_deg``):
        ``pooled`` (mean distance), ``shuffled`` (mean of the control),
        ``shuffled_ci95``, ``p`` (share of shuffled averages at or below the
        pooled one), and ``pooled_units`` (n_2, k) indices.
    """
    W = np.asarray(W, dtype=float)
    th = np.degrees(np.asarray(theta, dtype=float))
    ph = np.degrees(np.asarray(phase, dtype=float))
    pos = np.stack([np.asarray(x0, dtype=float), np.asarray(y0, dtype=float)], axis=1)
    valid = np.flatnonzero(np.isfinite(th) & np.isfinite(ph) & np.all(np.isfinite(pos), 1))
    if valid.size < k + 1:
        raise ValueError(f"need more than k = {k} valid first-layer units, got {valid.size}")
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(k, 1)

    def distances(sets):  # sets: (..., k) indices -> (..., 3) mean pairwise distances
        a, b = sets[..., iu[0]], sets[..., iu[1]]
        d_th = _circular_distance(th[a], th[b], 180.0).mean(-1)
        d_pos = np.linalg.norm(pos[a] - pos[b], axis=-1).mean(-1)
        d_ph = _circular_distance(ph[a], ph[b], 360.0).mean(-1)
        return np.stack([d_th, d_pos, d_ph], axis=-1)

    order = np.argsort(-np.abs(W[valid]), axis=0)[:k].T  # (n_2, k) into valid
    pooled_sets = valid[order]
    pooled = distances(pooled_sets).mean(axis=0)
    n2 = W.shape[1]
    shuffled_sets = np.array([[rng.choice(valid, k, replace=False) for _ in range(n2)]
                              for _ in range(n_shuffle)])  # (n_shuffle, n_2, k)
    shuffled = distances(shuffled_sets).mean(axis=1)  # (n_shuffle, 3)
    out = {"k": int(k), "n_valid": int(valid.size), "pooled_units": pooled_sets.tolist()}
    for i, name in enumerate(("orientation_deg", "position_px", "phase_deg")):
        out[name] = {"pooled": float(pooled[i]), "shuffled": float(shuffled[:, i].mean()),
                     "shuffled_ci95": [float(v) for v in np.percentile(shuffled[:, i],
                                                                       [2.5, 97.5])],
                     "p": float((np.sum(shuffled[:, i] <= pooled[i]) + 1) / (n_shuffle + 1))}
    return out
