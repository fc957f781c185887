"""Variability signatures of sampling in the spiking readout.

Pure functions of spike counts and rate traces:

* :func:`fano_factor` — across-trial variance over mean of spike counts,
  per neuron;
* :func:`onset_fano` — Fano factor in a window before and after stimulus
  onset, with a bootstrap interval (does it fall at onset, as Churchland
  et al. 2010 found in V1?);
* :func:`variability_vs_contrast` — across-trial variability of counts and
  of the latent state at each contrast (Orban et al. 2016 predict it falls
  as contrast rises, because the posterior narrows).
"""
from __future__ import annotations

import numpy as np

__all__ = ["fano_factor", "population_fano", "onset_fano", "variability_vs_contrast"]


def fano_factor(counts, min_mean=0.0):
    """Fano factor of spike counts across trials, per neuron.

    Parameters
    ----------
    counts : ndarray, shape (n_trials, n_neurons)
    min_mean : float
        Neurons whose mean count is at or below this get NaN.

    Returns
    -------
    ndarray, shape (n_neurons,)
        ``var / mean`` with the unbiased (n - 1) variance.
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] < 2:
        raise ValueError("counts must have shape (n_trials >= 2, n_neurons)")
    m = c.mean(axis=0)
    v = c.var(axis=0, ddof=1)
    out = np.full(m.shape, np.nan)
    ok = m > min_mean
    out[ok] = v[ok] / m[ok]
    return out


def _group_moments(counts, groups):
    """Per (stimulus group, neuron) mean and unbiased variance across trials."""
    c = np.asarray(counts, dtype=float)
    if groups is None:
        groups = np.zeros(c.shape[0], dtype=int)
    groups = np.asarray(groups)
    means, vars_ = [], []
    for g in np.unique(groups):
        sel = groups == g
        if sel.sum() < 2:
            continue
        means.append(c[sel].mean(axis=0))
        vars_.append(c[sel].var(axis=0, ddof=1))
    if not means:
        raise ValueError("every stimulus group needs at least two trials")
    return np.concatenate(means), np.concatenate(vars_)


def population_fano(counts, groups=None, min_mean=0.0):
    """Population Fano factor: the slope of variance against mean.

    The regression through the origin that Churchland et al. (2010) use,
    ``sum(var * mean) / sum(mean^2)`` over (neuron, stimulus) pairs, which
    weights well-measured (high count) pairs more than a mean of ratios.

    Parameters
    ----------
    counts : ndarray, shape (n_trials, n_neurons)
    groups : array_like, shape (n_trials,), optional
        Stimulus label of each trial: variances are taken across repeats of
        the same stimulus only (default: all trials are repeats).
    min_mean : float
        Pairs with a mean count at or below this are left out.
    """
    m, v = _group_moments(counts, groups)
    ok = m > min_mean
    if not ok.any():
        return float("nan")
    return float(np.sum(v[ok] * m[ok]) / np.sum(m[ok] ** 2))


def onset_fano(before, after, groups=None, n_boot=200, seed=0):
    """Fano factor before and after stimulus onset.

    Parameters
    ----------
    before, after : ndarray, shape (n_trials, n_neurons)
        Spike counts in equal windows before and after onset, same trials.
    groups : array_like, optional
        Stimulus label of each trial (see :func:`population_fano`).
    n_boot : int
        Bootstrap resamples of trials (within groups) for the 95 % interval
        of the change.
    seed : int

    Returns
    -------
    dict
        ``before``, ``after`` (population Fano factors), ``change``
        (after - before) with ``change_ci95``, and the mean counts.
    """
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    if before.shape != after.shape:
        raise ValueError("before and after must have the same shape")
    groups = np.zeros(before.shape[0], dtype=int) if groups is None else np.asarray(groups)
    fb = population_fano(before, groups)
    fa = population_fano(after, groups)
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    diffs = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(m, m.size) for m in members])
        diffs.append(population_fano(after[idx], groups[idx])
                     - population_fano(before[idx], groups[idx]))
    lo, hi = np.nanpercentile(diffs, [2.5, 97.5]) if diffs else (np.nan, np.nan)
    return {
        "before": fb,
        "after": fa,
        "change": fa - fb,
        "change_ci95": [float(lo), float(hi)],
        "mean_count_before": float(before.mean()),
        "mean_count_after": float(after.mean()),
        "n_trials": int(before.shape[0]),
    }


def variability_vs_contrast(contrasts, counts, x_mean=None, groups=None):
    """Across-trial variability at each contrast.

    Parameters
    ----------
    contrasts : ndarray, shape (n_trials,)
        Contrast of each trial.
    counts : ndarray, shape (n_trials, n_neurons)
        Spike counts in the response window.
    x_mean : ndarray, shape (n_trials, n_neurons), optional
        Mean latent state in the window: its across-trial standard
        deviation is the sampling variability without the Poisson layer.
    groups : array_like, shape (n_trials,), optional
        Stimulus label of each trial (image identity); variability is taken
        across repeats of the same image at the same contrast.

    Returns
    -------
    dict
        ``contrast`` (sorted unique), ``fano`` (population Fano factor),
        ``mean_count``, and with ``x_mean`` the median over (neuron, image)
        of the across-trial std of the latent state, ``x_std``.
    """
    contrasts = np.asarray(contrasts, dtype=float)
    counts = np.asarray(counts, dtype=float)
    groups = np.zeros(len(contrasts), dtype=int) if groups is None else np.asarray(groups)
    levels = np.unique(contrasts)
    out = {"contrast": levels.tolist(), "fano": [], "mean_count": [], "n_trials": []}
    if x_mean is not None:
        out["x_std"] = []
    for c in levels:
        sel = contrasts == c
        out["fano"].append(population_fano(counts[sel], groups[sel]))
        out["mean_count"].append(float(counts[sel].mean()))
        out["n_trials"].append(int(sel.sum()))
        if x_mean is not None:
            _, v = _group_moments(np.asarray(x_mean)[sel], groups[sel])
            out["x_std"].append(float(np.median(np.sqrt(v))))
    return out
