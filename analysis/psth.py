"""Peri-stimulus time histograms of trial spike counts.

:func:`psth` turns counts binned by trial (``Recording.trial_counts(layer,
edges)``) into the mean rate across trials in each bin, in Hz, with its
standard error, the way a physiologist plots a PSTH.
"""
from __future__ import annotations

import numpy as np

__all__ = ["psth"]


def psth(counts, bin_width):
    """Mean rate across trials per bin, with its standard error.

    Parameters
    ----------
    counts : ndarray, shape (n_trials, n_bins, ...)
        Spike counts of each trial in each bin (further axes: neurons).
    bin_width : float
        Bin width in seconds.

    Returns
    -------
    rate, sem : ndarray, shape (n_bins, ...)
        ``counts.mean(0) / bin_width`` (Hz) and the standard error of that
        mean across trials (unbiased variance; NaN with one trial).
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim < 2:
        raise ValueError("counts must have shape (n_trials, n_bins, ...)")
    if not bin_width > 0:
        raise ValueError(f"bin_width must be positive seconds, got {bin_width!r}")
    n = c.shape[0]
    rate = c.mean(axis=0) / bin_width
    sem = c.std(axis=0, ddof=1) / np.sqrt(n) / bin_width if n > 1 else np.full(rate.shape, np.nan)
    return rate, sem
