"""Published macaque V1 reference figures, with their sources, in one place.

Only summary numbers are stored (the raw data have no clear redistribution
licence); see ``docs/v1_reference.md``.  Where a Kolmogorov-Smirnov
comparison needs a whole distribution and the paper gives only quantiles,
the reference CDF is the piecewise-linear interpolation through those
published quantiles (:data:`REFERENCE_CDFS`, each entry saying which
numbers it is built from).  That is an approximation of the recorded
distribution, and the scores computed against it say so.

Two similarity scores: :func:`ks_similarity` (unbinned, against those
CDFs) and :func:`binned_ks_similarity`, the binned, bootstrapped KS
similarity after Marques et al. (2021).  Neither is Brain-Score's V1
property score: that needs the recorded per-cell data, which are not
available here.
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
    "MARQUES_2021_BINS",
    "reference_histogram",
    "de_valois_log_sf_histogram",
    "binned_ks_similarity",
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
    knots, probs, _, _ = de_valois_log_sf_histogram(population)
    cum = np.concatenate([[0.0], np.cumsum(probs)])
    return lambda x: np.interp(x, knots, cum, left=0.0, right=1.0)


def ks_similarity(samples, cdf):
    """Unbinned one-sample KS similarity ``1 - sup |F_model - F_ref|``.

    1 for identical distributions, 0 for disjoint ones.  Against the
    continuous reference CDFs of this module (built from published
    quantiles); it shares only the KS distance with Marques et al. (2021)'s
    binned procedure (:func:`binned_ks_similarity`).

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


#: Bins of Marques et al. (2021)'s V1 property benchmarks, by property (the
#: ``*_bins`` attributes of their data assemblies, as stated in
#: docs/v1_reference.md); values are clipped to the bin range before binning.
MARQUES_2021_BINS = {
    "circular_variance": np.linspace(0.0, 1.0, 14),
    "orientation_bandwidth_deg": np.linspace(0.0, 90.0, 18),
}


def reference_histogram(name):
    """A reference distribution on Marques et al. (2021)'s bins, from published quantiles.

    The piecewise-linear CDF of :data:`REFERENCE_CDFS` evaluated at the bin
    edges of :data:`MARQUES_2021_BINS`: an approximation of the recorded
    histogram (the per-cell data are not available here), with the number of
    cells of the study.

    Returns
    -------
    bins : ndarray
    probs : ndarray
        Probability of each bin (sums to 1).
    n_cells : int
    description : str
    """
    if name not in MARQUES_2021_BINS:
        raise KeyError(f"no binned reference {name!r}; choose from {sorted(MARQUES_2021_BINS)}")
    bins = MARQUES_2021_BINS[name]
    probs = np.diff(reference_cdf(name)(bins))
    return (bins, probs / probs.sum(), RINGACH_2002_ORIENTATION["n_cells"],
            REFERENCE_CDFS[name][2] + ", binned on Marques et al. 2021's bins")


def de_valois_log_sf_histogram(population="simple_foveal"):
    """De Valois et al. (1982)'s peak-SF histogram on a log2 axis centred on its median.

    Returns ``(bins, probs, n_cells, description)`` like
    :func:`reference_histogram`: the recorded counts themselves, their bin
    edges as log2(f / median f) (see :func:`de_valois_log_sf_cdf`).
    """
    edges = np.log2(np.array(DE_VALOIS_1982_SF["bin_edges_cpd"]))
    counts = np.array(DE_VALOIS_1982_SF["counts"][population], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    median = np.interp(0.5, cum, edges)
    return (edges - median, counts / counts.sum(), int(counts.sum()),
            f"De Valois et al. 1982 {population.replace('_', ' ')} counts, log2(SF/median)")


def _normalised_ks(p, q):
    """KS distance of two histograms on the same bins over the largest any could have.

    The largest distance from q is reached by all the mass in the first bin
    (1 - q_0) or in the last (1 - q_last).
    """
    raw = np.max(np.abs(np.cumsum(p) - np.cumsum(q)))
    return raw / max(1.0 - q[0], 1.0 - q[-1])


def binned_ks_similarity(values, bins, probs, n_cells, n_boot=1000, seed=0):
    """Binned KS similarity after Marques et al. (2021), bootstrapped.

    The procedure of Marques et al. (2021)'s V1 property benchmarks
    (``BootstrapDistributionSimilarity`` and ``ks_similarity`` in
    brain-score/vision, ``brainscore/metrics/distribution_similarity.py``),
    applied here to a reference histogram:

    1. model values, NaNs dropped, are clipped to the bin range and binned
       on the reference's bins (Marques et al. give unselective cells a NaN
       orientation bandwidth, which drops them; :mod:`analysis.tuning` caps
       it at 90 deg instead, and :func:`analysis.tuning.compare_with_v1`
       leaves those cells out before calling this);
    2. ``n_boot`` times (1000), ``n_cells`` of them -- as many as the study
       recorded -- are drawn with replacement and binned;
    3. each draw scores ``1 - KS / KS_max`` against the reference histogram,
       ``KS`` the largest difference of the cumulative histograms and
       ``KS_max`` the largest any histogram could have
       (:func:`_normalised_ks`);
    4. the mean and sd over the draws are reported; the ceiling is the same
       statistic for ``n_cells`` draws from the reference itself (their
       ceiling scores the data against itself the same way), and
       ``ceiled`` is the mean over the ceiling.

    It is not Brain-Score's score: the references of this module are
    histograms reconstructed from published quantiles (or the published
    histogram itself), not the per-cell recordings, so name it "binned KS
    similarity after Marques et al. 2021".

    Parameters
    ----------
    values : array_like
        The model's values of the property (NaNs dropped).
    bins, probs, n_cells
        The reference, as :func:`reference_histogram` returns it.
    n_boot : int
    seed : int

    Returns
    -------
    dict
        ``mean`` and ``sd`` over the draws, ``ceiling`` and ``ceiling_sd``,
        ``ceiled``, ``n_model``, ``n_cells``, ``n_boot`` and ``method`` (the
        name to report it under); the means are NaN without finite values.
    """
    v = np.asarray(values, dtype=float)
    v = np.clip(v[np.isfinite(v)], bins[0], bins[-1])
    q = np.asarray(probs, dtype=float)
    rng = np.random.default_rng(seed)
    out = {"method": "binned KS similarity after Marques et al. 2021 (not Brain-Score's score)",
           "n_model": int(v.size), "n_cells": int(n_cells), "n_boot": int(n_boot)}
    ceiling = np.array([1.0 - _normalised_ks(rng.multinomial(n_cells, q) / n_cells, q)
                        for _ in range(n_boot)])
    out.update(ceiling=float(ceiling.mean()), ceiling_sd=float(ceiling.std()))
    if v.size == 0:
        return {**out, "mean": float("nan"), "sd": float("nan"), "ceiled": float("nan")}
    sims = np.empty(n_boot)
    for b in range(n_boot):
        h = np.histogram(rng.choice(v, n_cells), bins=bins)[0]
        sims[b] = 1.0 - _normalised_ks(h / h.sum(), q)
    return {**out, "mean": float(sims.mean()), "sd": float(sims.std()),
            "ceiled": float(sims.mean() / out["ceiling"])}
