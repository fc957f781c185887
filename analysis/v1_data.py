"""Published macaque V1 reference figures, with their sources, in one place.

Only summary numbers are stored (the raw data have no clear redistribution
licence); see ``docs/v1_reference.md``.  Where a Kolmogorov-Smirnov
comparison needs a whole distribution and the paper gives only quantiles,
the reference CDF is the piecewise-linear interpolation through those
published quantiles (:data:`REFERENCE_CDFS`, each entry saying which
numbers it is built from).  That is an approximation of the recorded
distribution, and the scores computed against it say so.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "RINGACH_2002_ORIENTATION",
    "RINGACH_2002_RF_SHAPE",
    "DE_VALOIS_1982_SF",
    "CHURCHLAND_2010",
    "REFERENCE_CDFS",
    "reference_cdf",
    "de_valois_log_sf_cdf",
    "ks_similarity",
]

#: Ringach, Shapley & Hawken (2002), J Neurosci 22:5639, "Orientation
#: selectivity in macaque V1: diversity and laminar dependence", Fig. 2-4 and
#: text: 308 cells.
RINGACH_2002_ORIENTATION = {
    "source": "Ringach, Shapley & Hawken (2002) J Neurosci 22:5639",
    "n_cells": 308,
    "circular_variance_median": 0.60,
    "circular_variance_iqr": (0.34, 0.79),
    "bandwidth_deg_median": 23.0,  # half-width at 1/sqrt(2) of peak
    "bandwidth_deg_typical_range": (15.0, 45.0),
    "orth_pref_ratio_median": 0.19,
    "simple_fraction": 0.40,  # F1/F0 > 1
}

#: Ringach (2002), J Neurophysiol 88:455, "Spatial structure and symmetry of
#: simple-cell receptive fields in macaque primary visual cortex", Fig. 4:
#: Gabor shape in units of the spatial period, nx = sigma_x f (across the
#: bars), ny = sigma_y f (along the bars).  Only a description is published
#: in numbers: most cells have nx < ~0.5 and 0.2 < ny < ~1, near a
#: one-parameter curve; sparse coding / ICA put cells at larger nx.
RINGACH_2002_RF_SHAPE = {
    "source": "Ringach (2002) J Neurophysiol 88:455, Fig. 4",
    "nx_upper_typical": 0.5,
    "ny_typical_range": (0.2, 1.0),
}

#: De Valois, Albrecht & Thorell (1982), Vision Res 22:545, "Spatial
#: frequency selectivity of cells in macaque visual cortex", Fig. 5-6:
#: peak spatial frequency histograms (cycles/deg) and bandwidth.
DE_VALOIS_1982_SF = {
    "source": "De Valois, Albrecht & Thorell (1982) Vision Res 22:545",
    "bin_edges_cpd": (0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.2, 16.0, 22.4),
    "counts": {
        "simple_foveal": (0, 4, 4, 8, 25, 33, 26, 28, 12, 5, 2, 1),
        "complex_foveal": (0, 0, 0, 9, 9, 7, 10, 23, 12, 8, 3, 3),
        "simple_parafoveal": (2, 4, 10, 12, 18, 7, 18, 3, 4, 0, 0, 0),
        "complex_parafoveal": (1, 2, 1, 2, 5, 15, 13, 9, 3, 2, 0, 0),
    },
    "bandwidth_oct_median": 1.4,
    "bandwidth_oct_range": (0.5, 3.0),
}

#: Churchland et al. (2010) Nat Neurosci 13:369: the (mean-matched) Fano
#: factor falls at stimulus onset, V1 included; Orban, Berkes, Fiser &
#: Lengyel (2016) Neuron 92:530: in a sampling model of V1 variability falls
#: with contrast.
CHURCHLAND_2010 = {
    "source": "Churchland et al. (2010) Nat Neurosci 13:369; Orban et al. (2016) Neuron 92:530",
    "fano_falls_at_onset": True,
}

#: Piecewise-linear reference CDFs through published quantiles:
#: name -> (knots, cumulative probabilities, what they are built from).
REFERENCE_CDFS = {
    # median and interquartile range, support [0, 1] (Ringach et al. 2002)
    "circular_variance": (
        (0.0, 0.34, 0.60, 0.79, 1.0),
        (0.0, 0.25, 0.50, 0.75, 1.0),
        "Ringach et al. 2002: median 0.60, IQR 0.34-0.79, range 0-1",
    ),
    # median 23 deg; 'most cells 15-45 deg' read as the 10th and 90th
    # percentiles; untuned cells reach the 90 deg cap (Ringach et al. 2002)
    "orientation_bandwidth_deg": (
        (0.0, 15.0, 23.0, 45.0, 90.0),
        (0.0, 0.10, 0.50, 0.90, 1.0),
        "Ringach et al. 2002: median 23 deg, most 15-45 deg (read as 10-90 %), max 90",
    ),
    # median 1.4 octaves, range 0.5 to ~3 (read as 0-97.5 %) (De Valois 1982)
    "sf_bandwidth_oct": (
        (0.5, 1.4, 3.0, 4.0),
        (0.0, 0.50, 0.975, 1.0),
        "De Valois et al. 1982: median 1.4 oct, range 0.5 to >3 oct",
    ),
}


def reference_cdf(name):
    """The reference CDF of a property as a callable ``F(x)``.

    Parameters
    ----------
    name : str
        A key of :data:`REFERENCE_CDFS`.
    """
    if name not in REFERENCE_CDFS:
        raise KeyError(f"no reference CDF {name!r}; choose from {sorted(REFERENCE_CDFS)}")
    knots, probs, _ = REFERENCE_CDFS[name]
    return lambda x: np.interp(x, knots, probs, left=0.0, right=1.0)


def de_valois_log_sf_cdf(population="simple_foveal"):
    """CDF of log2(peak SF / median peak SF) from De Valois et al. (1982).

    The model's spatial frequencies are in cycles/pixel and the recorded ones
    in cycles/deg; no pixel-to-degree scale is implied by the model, so the
    comparison is of the spread and shape of the distribution on a log axis,
    each centred on its own median.  Counts are spread uniformly in log SF
    within each histogram bin.
    """
    edges = np.log2(np.array(DE_VALOIS_1982_SF["bin_edges_cpd"]))
    counts = np.array(DE_VALOIS_1982_SF["counts"][population], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    median = np.interp(0.5, cum, edges)
    knots = edges - median
    return lambda x: np.interp(x, knots, cum, left=0.0, right=1.0)


def ks_similarity(samples, cdf):
    """Kolmogorov-Smirnov similarity ``1 - sup |F_model - F_ref|``.

    The score of Brain-Score's V1 property benchmarks (Marques et al. 2020):
    1 for identical distributions, 0 for disjoint ones.

    Parameters
    ----------
    samples : array_like
        Model values (NaNs are dropped).
    cdf : callable
        Reference CDF.

    Returns
    -------
    float
        NaN if no finite sample is left.
    """
    x = np.sort(np.asarray(samples, dtype=float))
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return float("nan")
    F = cdf(x)
    # the empirical CDF jumps at each sample: compare both sides of each jump
    d_plus = np.max(np.arange(1, n + 1) / n - F)
    d_minus = np.max(F - np.arange(0, n) / n)
    return float(1.0 - max(d_plus, d_minus, 0.0))
