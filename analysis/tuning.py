"""Tuning of model neurons to sinusoidal gratings, measured as in V1.

Stimuli: full-field sinusoidal gratings over orientation x spatial
frequency x phase (:func:`grating_set`), and a contrast series.
:func:`present` shows them to the running network (``model.infer``) and
returns, per stimulus and neuron, the mean readout rate and the Poisson
spike count.  The rest are pure functions of tuning curves:

* :func:`circular_variance` — ``1 - |sum r e^{2i theta}| / sum r``
  (Ringach, Shapley & Hawken 2002);
* :func:`orientation_bandwidth` — half-width at ``1/sqrt(2)`` of the peak
  (Ringach et al. 2002), capped at 90 deg for untuned curves;
* :func:`orth_pref_ratio` — response at the orthogonal over the preferred
  orientation;
* :func:`sf_bandwidth` — full width at half height of the spatial-frequency
  curve, in octaves (De Valois, Albrecht & Thorell 1982);
* :func:`tuning_properties` — all of them for every neuron of a grating
  experiment, and :func:`compare_with_v1` — their distributions against
  :mod:`analysis.v1_data` with Kolmogorov-Smirnov similarity scores (unbinned, and
  binned and bootstrapped as in Marques et al. 2021).
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
    "orth_pref_ratio",
    "sf_bandwidth",
    "f1_f0",
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

    ``CV = 1 - |sum_k r_k exp(2 i theta_k)| / sum_k r_k`` (Ringach et al.
    2002), for orientations ``thetas`` (radians) equally spaced over [0, pi)
    and non-negative responses ``r``.  0: responds to one orientation only;
    1: untuned.  The last axis of ``r`` runs over orientation.
    """
    r = np.asarray(r, dtype=float)
    z = np.sum(r * np.exp(2j * np.asarray(thetas)), axis=-1)
    s = np.sum(r, axis=-1)
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


def orientation_bandwidth(thetas, r, level=1 / np.sqrt(2)):
    """Half-width (degrees) of an orientation tuning curve at ``level`` x peak.

    The curve is linearly interpolated on the circle (period 180 deg); the
    half-width is the mean of the distances from the peak to where the
    curve first drops below ``level * peak`` on each side.  A curve that
    never drops that low within 90 deg gets 90 (untuned).
    """
    fine, v = _circular_upsample(thetas, r)
    n = len(fine)
    k = int(np.argmax(v))
    peak = v[k]
    if not peak > 0:
        return float("nan")
    step = np.degrees(fine[1] - fine[0])
    half = []
    for direction in (1, -1):
        width = 90.0
        for j in range(1, n // 2 + 1):
            a, b = v[(k + direction * (j - 1)) % n], v[(k + direction * j) % n]
            if b < level * peak:
                # linear interpolation between the last two samples
                frac = (a - level * peak) / (a - b)
                width = (j - 1 + frac) * step
                break
        half.append(min(width, 90.0))
    return float(np.mean(half))


def orth_pref_ratio(thetas, r):
    """Response at the orthogonal orientation over the preferred response."""
    fine, v = _circular_upsample(thetas, r)
    k = int(np.argmax(v))
    peak = v[k]
    if not peak > 0:
        return float("nan")
    return float(v[(k + len(fine) // 2) % len(fine)] / peak)


def sf_bandwidth(freqs, r, level=0.5):
    """Full width (octaves) of a spatial-frequency tuning curve at half height.

    The curve is interpolated linearly in log2 frequency.  Returns
    ``(bandwidth, peak frequency)``; the bandwidth is NaN when the curve does
    not fall to ``level`` x peak on both sides within the sampled range
    (low- or high-pass cells: their bandwidth is unmeasured, as in the
    physiology).
    """
    f = np.asarray(freqs, dtype=float)
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
    return bw, float(2 ** lf[k])


def f1_f0(phases, r):
    """Modulation ratio F1/F0 of the response to a grating over its phases.

    ``phases`` equally spaced over [0, 2 pi); > 1 marks a simple cell.
    """
    r = np.asarray(r, dtype=float)
    f0 = r.mean(axis=-1)
    f1 = 2 * np.abs(np.mean(r * np.exp(-1j * np.asarray(phases)), axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return f1 / f0


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
        ``circular_variance``, ``orientation_bandwidth_deg``,
        ``orth_pref_ratio``, ``sf_bandwidth_oct``, ``peak_sf``,
        ``pref_theta``, ``f1_f0``.  Orientation measures use the curve at
        the preferred frequency, SF measures the curve at the preferred
        orientation, both averaged over phase (F0).
    """
    R = np.asarray(responses, dtype=float)
    f0 = R.mean(axis=2)  # (n_theta, n_freq, n)
    if baseline is not None:
        f0 = np.maximum(f0 - np.asarray(baseline)[None, None, :], 0.0)
    n = R.shape[-1]
    out = {k: np.full(n, np.nan) for k in (
        "circular_variance", "orientation_bandwidth_deg", "orth_pref_ratio",
        "sf_bandwidth_oct", "peak_sf", "pref_theta", "f1_f0")}
    for j in range(n):
        ti, fi = np.unravel_index(np.argmax(f0[:, :, j]), f0.shape[:2])
        ori = f0[:, fi, j]
        sf = f0[ti, :, j]
        out["circular_variance"][j] = circular_variance(thetas, ori)
        out["orientation_bandwidth_deg"][j] = orientation_bandwidth(thetas, ori)
        out["orth_pref_ratio"][j] = orth_pref_ratio(thetas, ori)
        out["sf_bandwidth_oct"][j], out["peak_sf"][j] = sf_bandwidth(freqs, sf)
        out["pref_theta"][j] = thetas[ti]
        out["f1_f0"][j] = f1_f0(phases, R[ti, fi, :, j])
    return out


def compare_with_v1(props, nx=None, ny=None):
    """Model property distributions against macaque V1, with KS similarity.

    Parameters
    ----------
    props : dict
        Output of :func:`tuning_properties`.
    nx, ny : array_like, optional
        Gabor shape numbers of the receptive fields.

    Returns
    -------
    dict
        Per property: model median (and IQR), the V1 value, the unbinned KS
        similarity against :data:`analysis.v1_data.REFERENCE_CDFS` where a
        reference distribution exists, and n; for circular variance,
        orientation bandwidth and the peak-SF spread also ``binned_ks``,
        Marques et al. (2021)'s binned, bootstrapped KS similarity with its
        ceiling (:func:`analysis.v1_data.binned_ks_similarity`) and what its
        reference is built from (``binned_ks_reference``).
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

    for name, v1_median in (("circular_variance", ref["circular_variance_median"]),
                            ("orientation_bandwidth_deg", ref["bandwidth_deg_median"]),
                            ("sf_bandwidth_oct",
                             v1_data.DE_VALOIS_1982_SF["bandwidth_oct_median"])):
        s = _summary(props[name])
        s["v1_median"] = v1_median
        s["ks_similarity"] = v1_data.ks_similarity(props[name], v1_data.reference_cdf(name))
        s["reference"] = v1_data.REFERENCE_CDFS[name][2]
        if name in v1_data.MARQUES_2021_BINS:
            bins, probs, n_cells, what = v1_data.reference_histogram(name)
            s["binned_ks"] = v1_data.binned_ks_similarity(props[name], bins, probs, n_cells)
            s["binned_ks_reference"] = what
        out[name] = s
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
