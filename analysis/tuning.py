"""Tuning of model neurons to sinusoidal gratings, measured as in V1.

Stimuli: full-field sinusoidal gratings over orientation x spatial
frequency x phase (:func:`grating_set`), and a contrast series.
:func:`present` shows them to the running network (``model.infer``) and
returns, per stimulus and neuron, the mean readout rate and the Poisson
spike count.  The rest are pure functions of arrays (floats in, floats or
NumPy arrays out), each following a published definition cited next to it:

* :func:`circular_variance` -- ``1 - |sum r e^{2i theta}| / sum |r|``
  (Ringach, Shapley & Hawken 2002);
* :func:`orientation_bandwidth`, :func:`orientation_selective` -- half-width
  at ``1/sqrt(2)`` of the peak after Hanning smoothing and spline
  interpolation (Ringach et al. 2002, as implemented in Marques et al. 2021),
  and whether the curve falls that low at all;
* :func:`orth_pref_ratio` -- response at the orthogonal over the preferred
  orientation (Ringach et al. 2002);
* :func:`sf_bandwidth` -- full width at half height of the spatial-frequency
  curve, in octaves (De Valois, Albrecht & Thorell 1982);
* :func:`responsive` -- peak above spontaneous + 5 spikes/s (Ringach et al.
  2002; Marques et al. 2021);
* :func:`naka_rushton`, :func:`fit_naka_rushton` -- the contrast-response
  function (Naka & Rushton 1966; Albrecht & Hamilton 1982);
* :func:`f1_f0`, :func:`f1_f0_timeseries` -- the modulation ratio of the
  response to a grating (Skottun et al. 1991), over phases or over time;
* :func:`tuning_properties` -- all of them for every neuron of a grating
  experiment, and :func:`compare_with_v1` -- their distributions against
  :mod:`analysis.v1_data` with Kolmogorov-Smirnov similarity scores (unbinned,
  and the binned, bootstrapped KS similarity after Marques et al. 2021).
"""
from __future__ import annotations

import numpy as np
from brian2 import second

from . import v1_data

__all__ = [
    "grating",
    "grating_set",
    "present",
    "circular_variance",
    "orientation_bandwidth",
    "orientation_selective",
    "orth_pref_ratio",
    "sf_bandwidth",
    "responsive",
    "naka_rushton",
    "fit_naka_rushton",
    "f1_f0",
    "f1_f0_timeseries",
    "tuning_properties",
    "compare_with_v1",
]


def grating(shape, theta, freq, phase=0.0, contrast=1.0):
    """A sinusoidal grating ``contrast * cos(2 pi freq u + phase)``.

    ``u = x cos(theta) + y sin(theta)`` in pixels from the patch centre, so
    ``theta`` is the direction of the wave vector (as in
    :func:`analysis.receptive_fields.gabor`).  Returned flattened row-major.
    """
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    u = (xx - (w - 1) / 2) * np.cos(theta) + (yy - (h - 1) / 2) * np.sin(theta)
    return (contrast * np.cos(2 * np.pi * freq * u + phase)).ravel()


def grating_set(shape, thetas, freqs, phases, contrast=1.0):
    """All gratings of an orientation x frequency x phase grid.

    Returns
    -------
    ndarray, shape (n_theta * n_freq * n_phase, h * w)
        Ordered with phase fastest, then frequency, then orientation, so it
        reshapes to (n_theta, n_freq, n_phase, h * w).
    """
    return np.array([grating(shape, t, f, p, contrast)
                     for t in thetas for f in freqs for p in phases])


def present(model, stimuli, presentation, settle=None, repeats=1, seed=0, chunk=None):
    """Show stimuli to the network; mean rates and spike counts per stimulus.

    Each stimulus is shown for ``presentation`` in sequence (the network
    state carries over, as in an experiment); responses are taken after
    ``settle`` (default a third of the presentation).

    Parameters
    ----------
    model : hee_brian.HEEModel
    stimuli : ndarray, shape (n_stim, n_0)
    presentation, settle : Quantity
    repeats : int
        The whole sequence is shown this many times (different noise).
    seed : int
    chunk : int, optional
        Stimuli per simulation run (default all of one repeat).

    Returns
    -------
    rates : ndarray, shape (repeats, n_stim, n_1)
        Mean readout rate (Hz) of layer 1 in the response window.
    counts : ndarray, shape (repeats, n_stim, n_1)
        Poisson spike counts of layer 1 in the response window.
    x_mean : ndarray, shape (repeats, n_stim, n_1)
        Mean latent state in the response window.
    """
    from .recordings import chained_infer, readout_rate

    stimuli = np.asarray(stimuli, dtype=float)
    pres_s = float(presentation / second)
    settle_s = pres_s / 3 if settle is None else float(settle / second)
    n = stimuli.shape[0]
    chunk = n if chunk is None else int(chunk)
    starts = range(0, n, chunk)
    # one chain through every repeat: the state carries over, as in an experiment
    runs = chained_infer(model, (stimuli[s:s + chunk] for _ in range(repeats) for s in starts),
                         (seed + 7919 * r + s for r in range(repeats) for s in starts),
                         presentation=presentation, layers=[1], spikes=True)
    rates, counts, xm = [], [], []
    for r in range(repeats):
        rr, cc, xx = [], [], []
        for start, rec in zip(starts, runs):
            n_block = len(stimuli[start:start + chunk])
            t = rec.t
            k = np.floor(t / pres_s + 1e-9).astype(int)
            in_window = (t - k * pres_s) >= settle_s - 1e-12
            x = rec.x[1]
            xs = np.array([x[(k == j) & in_window].mean(axis=0) for j in range(n_block)])
            rs = np.array([readout_rate(model, x[(k == j) & in_window]).mean(axis=0)
                           for j in range(n_block)])
            edges = np.sort(np.concatenate([np.arange(n_block) * pres_s + settle_s,
                                            np.arange(1, n_block + 1) * pres_s]))
            c = rec.spikes[1].counts(edges)[::2]
            rr.append(rs)
            cc.append(c)
            xx.append(xs)
        rates.append(np.concatenate(rr))
        counts.append(np.concatenate(cc))
        xm.append(np.concatenate(xx))
    return np.array(rates), np.array(counts), np.array(xm)


# ----------------------------------------------------------------------
# tuning measures (pure functions)

def circular_variance(thetas, r):
    """Circular variance of an orientation tuning curve.

    ``CV = 1 - |sum_k r_k exp(2 i theta_k)| / sum_k |r_k|`` (Ringach, Shapley &
    Hawken 2002, J Neurosci 22:5639; ``calc_circular_variance`` of Marques et
    al. 2021's benchmarks divides by ``sum |r|`` too).

    Parameters
    ----------
    thetas : array_like, shape (n_theta,)
        Orientations (radians), equally spaced over [0, pi).
    r : array_like, shape (..., n_theta)
        Responses, normally non-negative (spontaneous rate subtracted and
        floored at 0); the last axis runs over orientation.

    Returns
    -------
    float or ndarray
        0: responds to one orientation only; 1: untuned.  NaN for an all-zero
        curve.
    """
    r = np.asarray(r, dtype=float)
    z = np.sum(r * np.exp(2j * np.asarray(thetas, dtype=float)), axis=-1)
    s = np.sum(np.abs(r), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1.0 - np.abs(z) / s


def _circular_upsample(thetas, r, factor=40):
    """Periodic (period pi) linear interpolation of a tuning curve."""
    thetas = np.asarray(thetas, dtype=float)
    order = np.argsort(thetas % np.pi)
    t = thetas[order] % np.pi
    v = np.asarray(r, dtype=float)[order]
    fine = np.linspace(0, np.pi, len(t) * factor, endpoint=False)
    return fine, np.interp(fine, np.concatenate([t - np.pi, t, t + np.pi]),
                           np.tile(v, 3))


#: The 5-tap Hanning kernel of Ringach et al. (2002) as Marques et al. (2021)
#: apply it (``calc_bandwidth(..., filt_type='hanning')``), normalised to sum 1:
#: (0, 2/9, 5/9, 2/9, 0) on neighbouring samples of the curve.
_HANNING_5 = np.array([0.0, 2 / 5, 1.0, 2 / 5, 0.0]) / (1 + 4 / 5)


def _smoothed_spline_1deg(thetas, r):
    """The orientation curve smoothed and spline-interpolated on a 1 deg grid.

    Returns the grid values at 0, 1, ..., 179 deg.  The circular convolution
    equals Marques et al.'s ``np.convolve(..., mode='same')`` of the curve
    tiled three times, on the middle copy.  They interpolate the tiled curve
    with ``UnivariateSpline(s=0)``; a periodic cubic spline is the same
    interpolant without the edges of the tiling.
    """
    from scipy.interpolate import CubicSpline

    t = np.asarray(thetas, dtype=float) % np.pi
    order = np.argsort(t)
    t = t[order]
    v = np.asarray(r, dtype=float)
    if v.ndim != 1 or v.shape != t.shape:
        raise ValueError("r must be one tuning curve, as long as thetas")
    v = v[order]
    n = t.size
    # the kernel acts on neighbouring samples: it assumes them equally spaced
    if n < 3 or not np.allclose(t - t[0], np.arange(n) * np.pi / n, atol=1e-6):
        raise ValueError("thetas must be at least 3 orientations equally spaced over 180 deg")
    smooth = sum(w * np.roll(v, 2 - k) for k, w in enumerate(_HANNING_5))
    deg = np.degrees(t)
    spline = CubicSpline(np.r_[deg, deg[0] + 180.0], np.r_[smooth, smooth[0]],
                         bc_type="periodic")  # extrapolates periodically
    return spline(np.arange(180.0))


def _orientation_halfwidth(thetas, r, level):
    """(half-width in deg, selective) of one curve; NaN and False without a response."""
    y = _smoothed_spline_1deg(thetas, r)
    k = int(np.argmax(y))
    peak = y[k]
    if not peak > 0:
        return float("nan"), False
    below = np.flatnonzero(y <= level * peak)
    if below.size == 0:
        # never falls to the level: full width over 180 deg, unselective
        return 90.0, False
    # distance from the peak to the first grid point at or below the level on
    # each side, as Marques et al. (their p1, p2 on the 1 deg grid); their sum
    # is the full width, <= 180 deg on a 180-deg-periodic curve
    right = int(np.min((below - k) % 180))
    left = int(np.min((k - below) % 180))
    return (right + left) / 2.0, True


def orientation_bandwidth(thetas, r, level=1 / np.sqrt(2)):
    """Half-width (degrees) of an orientation tuning curve at ``level`` x peak.

    As in Ringach, Shapley & Hawken (2002), as implemented in Marques et al.
    (2021)'s V1 benchmarks (``calc_bandwidth`` in brain-score/vision,
    ``brainscore/benchmarks/_properties_common.py``, called with
    ``thrsh=0.707, mode='half'``):

    1. the curve is extended circularly (period 180 deg);
    2. smoothed with the 5-tap Hanning kernel (0, 2/5, 1, 2/5, 0), normalised
       to sum 1, on neighbouring samples;
    3. interpolated with a periodic cubic spline on a 1 deg grid;
    4. from the grid maximum, the first grid point at or below ``level`` x
       peak is found on each side; the half-width is the mean of the two
       distances (half the full width).

    The result is a multiple of 0.5 deg and, being measured to the first grid
    point past the crossing, lies between the spline's exact half-width and
    1 deg above it.  The smoothing widens narrow curves: a response at a
    single orientation gets about 0.6 sampling steps, not 0.

    Parameters
    ----------
    thetas : array_like, shape (n_theta,)
        Orientations (radians), at least 3, equally spaced over [0, pi) (the
        kernel acts on neighbouring samples, so its width is one sampling
        step).
    r : array_like, shape (n_theta,)
        One tuning curve (non-negative responses).
    level : float
        Fraction of the peak; ``1/sqrt(2)`` as Ringach et al.

    Returns
    -------
    float
        Half-width in degrees, <= 90.  A curve that never falls to ``level``
        x peak (full width over 180 deg) is unselective (see
        :func:`orientation_selective`) and gets the cap 90.0, where Marques
        et al. return NaN.  NaN when the peak is not positive.
    """
    return _orientation_halfwidth(thetas, r, level)[0]


def orientation_selective(thetas, r, level=1 / np.sqrt(2)):
    """Whether an orientation tuning curve falls to ``level`` x peak at all.

    The selectivity criterion of Marques et al. (2021), where a full width
    over 180 deg (a half-width over 90 deg) is unselective
    (``orientation_selective = 0`` where their bandwidth is NaN), after the
    smoothing and interpolation of :func:`orientation_bandwidth`.

    Parameters
    ----------
    thetas, r, level
        As :func:`orientation_bandwidth`.

    Returns
    -------
    bool
        False also when the peak is not positive (no response).
    """
    return _orientation_halfwidth(thetas, r, level)[1]


def orth_pref_ratio(thetas, r):
    """Response at the orthogonal orientation over the preferred response.

    ``r(theta_pref + 90 deg) / r(theta_pref)`` (Ringach et al. 2002), on the
    raw curve: with an even number of equally spaced orientations these are
    two samples, as in Marques et al. (2021)'s
    ``calc_orthogonal_preferred_ratio``; otherwise the orthogonal response is
    interpolated linearly on the circle.

    Parameters
    ----------
    thetas : array_like, shape (n_theta,)
        Orientations (radians) over [0, pi).
    r : array_like, shape (n_theta,)
        One tuning curve.

    Returns
    -------
    float
        NaN when the peak is not positive.
    """
    fine, v = _circular_upsample(thetas, r)
    k = int(np.argmax(v))
    peak = v[k]
    if not peak > 0:
        return float("nan")
    return float(v[(k + len(fine) // 2) % len(fine)] / peak)


def sf_bandwidth(freqs, r, level=0.5):
    """Full width (octaves) of a spatial-frequency tuning curve at ``level`` x peak.

    De Valois, Albrecht & Thorell (1982) measure the full width at half
    height in octaves.  The curve is interpolated linearly in log2 frequency
    between the sampled frequencies, which may be any positive grid (a log
    grid up to the Nyquist frequency of 0.5 cycles/pixel included).

    Parameters
    ----------
    freqs : array_like, shape (n_freq,)
        Spatial frequencies (> 0; cycles/pixel or cycles/deg).
    r : array_like, shape (n_freq,)
        One tuning curve.
    level : float
        Fraction of the peak (0.5: half height; Schiller et al. 1976 use
        1/sqrt(2)).

    Returns
    -------
    bandwidth : float
        Octaves; NaN when the curve does not fall to ``level`` x peak on both
        sides within the sampled range (low- or high-pass cells: their
        bandwidth is unmeasured, as in the physiology), or has no positive
        peak.
    peak_freq : float
        The sampled frequency of the largest response (NaN without a positive
        peak).
    """
    f = np.asarray(freqs, dtype=float)
    if np.any(~(f > 0)):
        raise ValueError("spatial frequencies must be positive (log axis)")
    order = np.argsort(f)
    lf = np.log2(f[order])
    v = np.asarray(r, dtype=float)[order]
    k = int(np.argmax(v))
    peak = v[k]
    if not peak > 0:
        return float("nan"), float("nan")
    thr = level * peak
    lo = hi = None
    for j in range(k, 0, -1):
        if v[j - 1] < thr:
            lo = lf[j - 1] + (thr - v[j - 1]) / (v[j] - v[j - 1]) * (lf[j] - lf[j - 1])
            break
    for j in range(k, len(v) - 1):
        if v[j + 1] < thr:
            hi = lf[j] + (v[j] - thr) / (v[j] - v[j + 1]) * (lf[j + 1] - lf[j])
            break
    bw = float(hi - lo) if lo is not None and hi is not None else float("nan")
    return bw, float(f[order][k])


def responsive(peak_rate_hz, spontaneous_hz, margin_hz=5.0):
    """Which cells respond: peak response above spontaneous + ``margin_hz``.

    The inclusion criterion of Ringach et al. (2002) as Marques et al. (2021)
    apply it (``max_dc > baseline + 5`` spikes/s, ``RESPONSE_THRESHOLD`` in
    their ``marques2020_ringach2002.py``): 304 of Ringach's 308 cells pass.

    Parameters
    ----------
    peak_rate_hz : array_like
        Peak mean (F0) response of each cell to the gratings (spikes/s).
    spontaneous_hz : array_like
        Spontaneous (blank-screen) rate of each cell (spikes/s).
    margin_hz : float
        5 spikes/s in the physiology; only meaningful on a calibrated rate
        scale.

    Returns
    -------
    ndarray of bool
        False where either rate is NaN.
    """
    peak = np.asarray(peak_rate_hz, dtype=float)
    spont = np.asarray(spontaneous_hz, dtype=float)
    return peak > spont + margin_hz


def naka_rushton(c, r_max, c50, n, r0):
    """The Naka-Rushton contrast-response function.

    ``R(c) = r0 + r_max c^n / (c^n + c50^n)`` (Naka & Rushton 1966, J Physiol
    185:536; used for V1 by Albrecht & Hamilton 1982, J Neurophysiol 48:217).

    Parameters
    ----------
    c : array_like
        Contrast (>= 0).
    r_max : float
        Response gain above ``r0`` at saturation.
    c50 : float
        Semi-saturation contrast (> 0): ``R(c50) = r0 + r_max / 2``.
    n : float
        Exponent (> 0).
    r0 : float
        Response at zero contrast.

    Returns
    -------
    ndarray
    """
    cn = np.asarray(c, dtype=float) ** n
    return r0 + r_max * cn / (cn + c50 ** n)


def fit_naka_rushton(contrasts, responses, sem=None, min_rise=None):
    """Least-squares fit of :func:`naka_rushton` to a contrast-response curve.

    ``scipy.optimize.curve_fit`` (trust-region reflective) with bounds
    ``r_max >= 0``, ``0 < c50 <= 2 max(c)`` (a semi-saturation beyond twice
    the largest contrast shown is not measured), ``0.5 <= n <= 6`` (the range
    of V1 exponents, Albrecht & Hamilton 1982) and ``r0`` free.  Started from
    ``r0`` = the response at the lowest contrast, ``r_max`` = the rise above
    it, ``c50`` = where the curve first reaches half the rise, and three
    exponents (1, 2, 4); the best fit is kept.

    Parameters
    ----------
    contrasts : array_like, shape (n_c,)
        Contrasts (>= 0), at least 4 (four parameters).
    responses : array_like, shape (n_c,)
        Mean response at each contrast.
    sem : array_like, shape (n_c,), optional
        Standard errors of the means (> 0): the fit is weighted by
        ``1 / sem^2`` and the parameter errors are absolute.
    min_rise : float, optional
        The cell responds when its largest response exceeds the response at
        the lowest contrast by more than this.  Default 0, or with ``sem``
        twice the standard error of that difference.

    Returns
    -------
    dict of float
        ``r_max``, ``c50``, ``n``, ``r0``; their standard errors ``r_max_se``,
        ``c50_se``, ``n_se``, ``r0_se`` (from the fit's covariance); ``r2``
        (unweighted coefficient of determination on the given points); and
        ``responds`` (bool).  Every number is NaN, not an exception, when the
        cell does not respond, there are fewer than 4 contrasts, or the fit
        fails.
    """
    from scipy.optimize import curve_fit

    c = np.asarray(contrasts, dtype=float)
    y = np.asarray(responses, dtype=float)
    names = ("r_max", "c50", "n", "r0")
    out = {k: float("nan") for k in (*names, *(f"{k}_se" for k in names), "r2")}
    out["responds"] = False
    ok = np.isfinite(c) & np.isfinite(y)
    s = None
    if sem is not None:
        s = np.asarray(sem, dtype=float)
        ok &= np.isfinite(s)
        if np.any(s[ok] <= 0):
            raise ValueError("sem must be positive")
    c, y = c[ok], y[ok]
    if s is not None:
        s = s[ok]
    if np.any(c < 0):
        raise ValueError("contrasts must be >= 0")
    if c.size < 4:
        return out
    order = np.argsort(c)
    c, y = c[order], y[order]
    if s is not None:
        s = s[order]
    base = float(y[0])
    top = int(np.argmax(y))
    rise = float(y[top]) - base
    if min_rise is None:
        min_rise = 0.0 if s is None else 2.0 * float(np.hypot(s[0], s[top]))
    if not rise > min_rise:
        return out
    out["responds"] = True
    c_max = float(c[-1])
    c50_0 = float(c[np.argmax(y >= base + rise / 2)])
    lower = [0.0, 1e-6 * c_max, 0.5, -np.inf]
    upper = [np.inf, 2.0 * c_max, 6.0, np.inf]
    best = None
    for n0 in (1.0, 2.0, 4.0):
        p0 = [rise, float(np.clip(c50_0, 0.05 * c_max, 2.0 * c_max)), n0, base]
        try:
            p, cov = curve_fit(naka_rushton, c, y, p0=p0, sigma=s, absolute_sigma=s is not None,
                               bounds=(lower, upper), max_nfev=20000)
        except (RuntimeError, ValueError):
            continue
        w = 1.0 if s is None else 1.0 / s ** 2
        sse = float(np.sum(w * (y - naka_rushton(c, *p)) ** 2))
        if best is None or sse < best[0]:
            best = (sse, p, cov)
    if best is None:
        return out
    _, p, cov = best
    resid = y - naka_rushton(c, *p)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(4, np.nan)
    for k, v, e in zip(names, p, se):
        out[k], out[f"{k}_se"] = float(v), float(e)
    out["r2"] = 1.0 - float(np.sum(resid ** 2)) / ss_tot if ss_tot > 0 else float("nan")
    return out


def f1_f0(phases, r):
    """Modulation ratio F1/F0 of the response to a grating over its phases.

    F0 is the mean response and F1 the amplitude of its first harmonic,
    ``2 |mean(r e^{-i phase})|``; F1/F0 > 1 marks a simple cell (Skottun et
    al. 1991, Vision Res 31:1079; Marques et al. 2021 take the same ratio
    over the phases of a static grating, ``modulation_ratio``).

    Parameters
    ----------
    phases : array_like, shape (n_phase,)
        Grating phases (radians), equally spaced over [0, 2 pi).
    r : array_like, shape (..., n_phase)
        Responses; the last axis runs over phase.

    Returns
    -------
    float or ndarray
    """
    r = np.asarray(r, dtype=float)
    f0 = r.mean(axis=-1)
    f1 = 2 * np.abs(np.mean(r * np.exp(-1j * np.asarray(phases)), axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return f1 / f0


def f1_f0_timeseries(rate_or_counts, dt, temporal_freq):
    """F0, F1 and F1/F0 of the response time course to a drifting grating.

    ``F0 = mean(r)``, ``F1 = 2 |mean(r e^{-2 pi i f t})|`` at the grating's
    temporal frequency ``f`` (Skottun et al. 1991, Vision Res 31:1079): the
    mean and the first-harmonic amplitude of the response, over a whole
    number of cycles so that the harmonics are orthogonal.  A half-wave
    rectified sinusoid has F1/F0 = pi/2 (continuous time).

    Parameters
    ----------
    rate_or_counts : array_like, shape (..., n_t)
        Rate samples (Hz) or spike counts per bin of width ``dt`` (then F0
        and F1 are counts per bin; the ratio is the same); the last axis is
        time.  Counts summed over bins lose ``sinc(f dt)`` of F1, under
        0.3 % for ``f dt < 0.04``.
    dt : float
        Sampling interval or bin width (s).
    temporal_freq : float
        Temporal frequency of the grating (Hz).

    Returns
    -------
    f0, f1, ratio : float or ndarray
        ``ratio`` is NaN where F0 is 0.
    """
    r = np.asarray(rate_or_counts, dtype=float)
    n = r.shape[-1]
    cycles = n * float(dt) * float(temporal_freq)
    if round(cycles) < 1 or abs(cycles - round(cycles)) > 1e-6 * max(1.0, cycles):
        raise ValueError(f"the time course spans {cycles:g} cycles: it must be a whole number")
    t = np.arange(n) * float(dt)
    f0 = r.mean(axis=-1)
    f1 = 2 * np.abs(np.mean(r * np.exp(-2j * np.pi * float(temporal_freq) * t), axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = f1 / f0
    if r.ndim == 1:
        return float(f0), float(f1), float(ratio)
    return f0, f1, ratio


def tuning_properties(responses, thetas, freqs, phases, baseline=None):
    """Orientation and spatial-frequency tuning of every neuron.

    Parameters
    ----------
    responses : ndarray, shape (n_theta, n_freq, n_phase, n_neurons)
        Mean responses (rates or spike counts).
    thetas, freqs, phases : array_like
        The grid (radians, cycles/pixel, radians).
    baseline : ndarray, shape (n_neurons,), optional
        Spontaneous response, subtracted (and the result floored at 0) before
        the measures, as physiologists subtract spontaneous rates.

    Returns
    -------
    dict of ndarray, each (n_neurons,)
        ``circular_variance``, ``orientation_bandwidth_deg`` (90 for
        unselective curves), ``orientation_selective`` (bool, see
        :func:`orientation_selective`), ``orth_pref_ratio``,
        ``sf_bandwidth_oct``, ``peak_sf``, ``sf_peak_at_edge`` (bool: the
        peak is at the lowest or highest sampled frequency, a low- or
        high-pass cell within the range), ``pref_theta``, ``f1_f0``, and
        ``peak_response`` (the largest phase-averaged response before the
        baseline is subtracted, Marques et al.'s ``max_dc``, for
        :func:`responsive`).  Orientation measures use the curve at the
        preferred frequency, SF measures the curve at the preferred
        orientation, both averaged over phase (F0).
    """
    R = np.asarray(responses, dtype=float)
    f0_raw = R.mean(axis=2)  # (n_theta, n_freq, n)
    f0 = f0_raw
    if baseline is not None:
        f0 = np.maximum(f0_raw - np.asarray(baseline)[None, None, :], 0.0)
    n = R.shape[-1]
    out = {k: np.full(n, np.nan) for k in (
        "circular_variance", "orientation_bandwidth_deg", "orth_pref_ratio",
        "sf_bandwidth_oct", "peak_sf", "pref_theta", "f1_f0")}
    out["orientation_selective"] = np.zeros(n, dtype=bool)
    out["sf_peak_at_edge"] = np.zeros(n, dtype=bool)
    out["peak_response"] = f0_raw.reshape(-1, n).max(axis=0)
    freqs = np.asarray(freqs, dtype=float)
    sf_order = np.argsort(freqs)
    for j in range(n):
        ti, fi = np.unravel_index(np.argmax(f0[:, :, j]), f0.shape[:2])
        ori = f0[:, fi, j]
        sf = f0[ti, :, j]
        out["circular_variance"][j] = circular_variance(thetas, ori)
        (out["orientation_bandwidth_deg"][j],
         out["orientation_selective"][j]) = _orientation_halfwidth(thetas, ori, 1 / np.sqrt(2))
        out["orth_pref_ratio"][j] = orth_pref_ratio(thetas, ori)
        out["sf_bandwidth_oct"][j], out["peak_sf"][j] = sf_bandwidth(freqs, sf)
        k = int(np.argmax(sf[sf_order]))
        out["sf_peak_at_edge"][j] = sf.max() > 0 and k in (0, len(freqs) - 1)
        out["pref_theta"][j] = thetas[ti]
        out["f1_f0"][j] = f1_f0(phases, R[ti, fi, :, j])
    return out


def compare_with_v1(props, nx=None, ny=None):
    """Model property distributions against macaque V1, with KS similarity.

    Orientation bandwidth is compared over orientation-selective cells only,
    as the field does: Marques et al. (2021) give unselective cells (full
    width over 180 deg) a NaN bandwidth, which their bootstrap drops, and
    clip the rest to the bin range (0-90 deg), so a half-width of exactly
    90 deg lands in the last bin.  The fraction of selective cells is
    reported beside it.

    Parameters
    ----------
    props : dict
        Output of :func:`tuning_properties` (``orientation_selective`` is
        optional: without it every finite bandwidth is used).
    nx, ny : array_like, optional
        Gabor shape numbers of the receptive fields.

    Returns
    -------
    dict
        Per property: model median (and IQR), the V1 value, the unbinned KS
        similarity against :data:`analysis.v1_data.REFERENCE_CDFS` where a
        reference distribution exists, and n; for circular variance,
        orientation bandwidth and the peak-SF spread also ``binned_ks``, the
        binned KS similarity after Marques et al. (2021), bootstrapped, with
        its ceiling (:func:`analysis.v1_data.binned_ks_similarity`), and what
        its reference is built from (``binned_ks_reference``).  The
        orientation-bandwidth entry adds ``n_unselective``,
        ``fraction_selective`` and ``selection``.
    """
    ref = v1_data.RINGACH_2002_ORIENTATION
    out = {}

    def _summary(values):
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return {"n": 0, "median": None, "iqr": None}
        return {"n": int(v.size), "median": float(np.median(v)),
                "iqr": [float(np.percentile(v, 25)), float(np.percentile(v, 75))]}

    bw = np.asarray(props["orientation_bandwidth_deg"], dtype=float)
    selective = props.get("orientation_selective")
    selective = (np.isfinite(bw) if selective is None
                 else np.asarray(selective, dtype=bool) & np.isfinite(bw))
    values = {"circular_variance": props["circular_variance"],
              "orientation_bandwidth_deg": bw[selective],
              "sf_bandwidth_oct": props["sf_bandwidth_oct"]}
    for name, v1_median in (("circular_variance", ref["circular_variance_median"]),
                            ("orientation_bandwidth_deg", ref["bandwidth_deg_median"]),
                            ("sf_bandwidth_oct",
                             v1_data.DE_VALOIS_1982_SF["bandwidth_oct_median"])):
        s = _summary(values[name])
        s["v1_median"] = v1_median
        s["ks_similarity"] = v1_data.ks_similarity(values[name], v1_data.reference_cdf(name))
        s["reference"] = v1_data.REFERENCE_CDFS[name][2]
        if name in v1_data.MARQUES_2021_BINS:
            bins, probs, n_cells, what = v1_data.reference_histogram(name)
            s["binned_ks"] = v1_data.binned_ks_similarity(values[name], bins, probs, n_cells)
            s["binned_ks_reference"] = what
        out[name] = s
    n_resp = int(np.isfinite(bw).sum())
    out["orientation_bandwidth_deg"].update(
        n_unselective=n_resp - int(selective.sum()),
        fraction_selective=float(selective.sum() / n_resp) if n_resp else None,
        selection="orientation-selective cells only (curve falls to 1/sqrt(2) of its peak; "
                  "Marques et al. 2021 drop the rest), clipped to 0-90 deg")
    s = _summary(props["orth_pref_ratio"])
    s["v1_median"] = ref["orth_pref_ratio_median"]
    out["orth_pref_ratio"] = s
    psf = np.asarray(props["peak_sf"], dtype=float)
    psf = psf[np.isfinite(psf) & (psf > 0)]
    if psf.size:
        logsf = np.log2(psf / np.median(psf))
        out["peak_sf_spread"] = {
            "n": int(psf.size),
            "median_cycles_per_pixel": float(np.median(psf)),
            "ks_similarity": v1_data.ks_similarity(logsf, v1_data.de_valois_log_sf_cdf()),
            "reference": "De Valois et al. 1982 simple foveal, log2(SF/median)",
        }
        if "sf_peak_at_edge" in props:
            out["peak_sf_spread"]["fraction_peak_at_edge"] = float(
                np.mean(np.asarray(props["sf_peak_at_edge"], dtype=bool)))
        bins, probs, n_cells, what = v1_data.de_valois_log_sf_histogram()
        out["peak_sf_spread"]["binned_ks"] = v1_data.binned_ks_similarity(logsf, bins, probs,
                                                                          n_cells)
        out["peak_sf_spread"]["binned_ks_reference"] = what
    f1 = np.asarray(props.get("f1_f0", []), dtype=float)
    f1 = f1[np.isfinite(f1)]
    if f1.size:
        out["simple_fraction"] = {"model": float(np.mean(f1 > 1)), "n": int(f1.size),
                                  "v1": ref["simple_fraction"]}
    if nx is not None and ny is not None:
        nx, ny = np.asarray(nx, dtype=float), np.asarray(ny, dtype=float)
        ok = np.isfinite(nx) & np.isfinite(ny)
        shape = v1_data.RINGACH_2002_RF_SHAPE
        out["rf_shape"] = {
            "n": int(ok.sum()),
            "nx_median": float(np.median(nx[ok])) if ok.any() else None,
            "ny_median": float(np.median(ny[ok])) if ok.any() else None,
            "fraction_nx_below_0.5": float(np.mean(nx[ok] < shape["nx_upper_typical"]))
            if ok.any() else None,
            "reference": shape["source"] + ": most cells nx < 0.5, 0.2 < ny < 1",
        }
    return out
