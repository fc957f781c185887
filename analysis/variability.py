"""Variability signatures of sampling in the spiking readout.

Pure functions of spike counts and rate traces:

* :func:`fano_factor` -- across-trial variance over mean of spike counts,
  per neuron;
* :func:`population_fano` -- the slope of variance against mean across
  (neuron, stimulus) pairs, unweighted or with the weights of Churchland et
  al. (2010)'s Variance Toolbox;
* :func:`sliding_counts` -- spike counts in windows sliding across onset,
  from finely binned counts;
* :func:`mean_matched_fano` -- the mean-matched Fano factor over time of
  Churchland et al. (2010), and :func:`fano_change_at_onset` -- its change
  at stimulus onset with a jackknife (or bootstrap) interval;
* :func:`onset_fano` -- population Fano factor in one window before and one
  after onset (no mean matching), with a bootstrap interval;
* :func:`variability_vs_contrast` -- across-trial variability of counts and
  of the latent state at each contrast, with bootstrap errors (Orban et al.
  2016 predict it falls as contrast rises, because the posterior narrows).

A *unit* below is one (neuron, stimulus condition) pair, as in the Variance
Toolbox: its mean and variance are taken across repeated trials of the same
condition.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "fano_factor",
    "population_fano",
    "sliding_counts",
    "mean_matched_fano",
    "fano_change_at_onset",
    "onset_fano",
    "variability_vs_contrast",
]


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
    """Per (stimulus group, neuron) mean, unbiased variance and trial count.

    Groups with fewer than two trials are left out.  Returns flat arrays of
    length n_groups_kept * n_neurons.
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim == 1:
        c = c[:, None]
    if groups is None:
        groups = np.zeros(c.shape[0], dtype=int)
    _, code, size = np.unique(np.asarray(groups), return_inverse=True, return_counts=True)
    ok = size >= 2
    if not ok.any():
        raise ValueError("every stimulus group needs at least two trials")
    # group sums as one matrix product; two passes (mean, then squared
    # deviations) so that a small variance on a large mean keeps its digits
    onehot = np.zeros((size.size, c.shape[0]))
    onehot[code, np.arange(c.shape[0])] = 1.0
    n = size[:, None].astype(float)
    mean = onehot @ c / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = onehot @ (c - mean[code]) ** 2 / (n - 1)
    n_b = np.broadcast_to(n, mean.shape)
    return mean[ok].ravel(), var[ok].ravel(), n_b[ok].ravel()


def _slope_through_origin(m, v, w):
    """Weighted least-squares slope of ``v`` on ``m`` through the origin, and its SE.

    Along the last axis; a weight of 0 leaves a point out.  The standard error
    is MATLAB's ``lscov``'s, which the Variance Toolbox reports (its 95 %
    interval is slope +- 2 SE): ``sqrt(mse / sum(w m^2))`` with
    ``mse = sum(w (v - slope m)^2) / (k - 1)`` over the ``k`` points used.
    """
    swmm = np.sum(w * m * m, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.sum(w * m * v, axis=-1) / swmm
        k = np.sum(w > 0, axis=-1)
        resid = v - np.expand_dims(b, -1) * m
        mse = np.sum(w * resid ** 2, axis=-1) / (k - 1)
        se = np.sqrt(mse / swmm)
    return b, se


def _toolbox_weights(m, n_trials, window_s):
    """Churchland et al. (2010)'s regression weights ``n_trials / (mean + epsilon)^2``.

    The sampling variance of a variance estimate grows as the square of the
    mean and falls with the number of trials; the Variance Toolbox's
    ``weightingEpsilon = boxWidth / 1000`` is the count window in seconds,
    i.e. 1 spike/s times the window, added to the mean count so that weights
    stop growing below about 1 spike/s (VarVsMean.m).
    """
    return n_trials / (m + window_s) ** 2


def population_fano(counts, groups=None, min_mean=0.0, window_s=None):
    """Population Fano factor: the slope of variance against mean.

    The regression of the across-trial variance on the mean through the
    origin, over (neuron, stimulus) pairs (Churchland et al. 2010).  Without
    ``window_s`` it is unweighted, ``sum(var * mean) / sum(mean^2)``, which
    weights high-count pairs most; with ``window_s`` it uses the Variance
    Toolbox's weights ``n_trials / (mean + window_s)^2``, which weight the
    pairs about equally (the slope is then close to the mean of the pairs'
    Fano factors).  No mean matching: see :func:`mean_matched_fano`.

    Parameters
    ----------
    counts : ndarray, shape (n_trials, n_neurons)
    groups : array_like, shape (n_trials,), optional
        Stimulus label of each trial: variances are taken across repeats of
        the same stimulus only (default: all trials are repeats).
    min_mean : float
        Pairs with a mean count at or below this are left out.
    window_s : float, optional
        Count window (s), for the Variance Toolbox's weights.

    Returns
    -------
    float
        NaN if no pair is left.
    """
    m, v, n = _group_moments(counts, groups)
    ok = m > min_mean
    if not ok.any():
        return float("nan")
    w = np.ones(m.shape) if window_s is None else _toolbox_weights(m, n, float(window_s))
    return float(_slope_through_origin(m[ok], v[ok], w[ok])[0])


def sliding_counts(binned, bin_width, window=0.08, step=0.01, t0=0.0):
    """Spike counts in windows sliding over finely binned counts.

    Churchland et al. (2010) count spikes in 80 ms windows centred on times
    that slide across stimulus onset.

    Parameters
    ----------
    binned : array_like, shape (n_trials, n_bins, n_units)
        Spike counts in consecutive bins of ``bin_width`` (units: neurons, or
        (neuron, condition) pairs).
    bin_width : float
        Bin width (s).
    window, step : float
        Window length and the step between window starts (s), each a whole
        number of bins.
    t0 : float
        Time of the left edge of the first bin (s), e.g. ``-0.3`` for bins
        starting 300 ms before onset.

    Returns
    -------
    counts : ndarray, shape (n_windows, n_trials, n_units)
        The layout :func:`mean_matched_fano` takes.
    times : ndarray, shape (n_windows,)
        Window centres (s).
    """
    b = np.asarray(binned, dtype=float)
    if b.ndim != 3:
        raise ValueError("binned must have shape (n_trials, n_bins, n_units)")
    w = int(round(window / bin_width))
    st = int(round(step / bin_width))
    for name, k, x in (("window", w, window), ("step", st, step)):
        if k < 1 or abs(k * bin_width - x) > 1e-6 * bin_width:
            raise ValueError(f"{name} ({x} s) must be a whole number of bins of {bin_width} s")
    if w > b.shape[1]:
        raise ValueError("the window is longer than the data")
    csum = np.concatenate([np.zeros((b.shape[0], 1, b.shape[2])), np.cumsum(b, axis=1)], axis=1)
    starts = np.arange(0, b.shape[1] - w + 1, st)
    counts = csum[:, starts + w, :] - csum[:, starts, :]
    return np.transpose(counts, (1, 0, 2)), t0 + (starts + w / 2) * bin_width


def _check_counts(counts, times):
    c = np.asarray(counts, dtype=float)
    if c.ndim != 3 or c.shape[1] < 2:
        raise ValueError("counts must have shape (n_times, n_trials >= 2, n_units)")
    t = np.asarray(times, dtype=float)
    if t.shape != (c.shape[0],):
        raise ValueError("times must have one entry per time window of counts")
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ValueError("counts must be finite and non-negative")
    return c, t


def _mean_matched(c, window_s, n_resample, bin_width, rng, weighted=True):
    """The Variance Toolbox's computation on counts (n_times, n_trials, n_units).

    Besides the slopes, returns the regression's ingredients (``m``, ``v``,
    ``w``) and the matched selection of each draw (``keeps``, boolean
    (n_resample, n_times, n_units)), so that an interval can be computed
    with the selection held fixed.
    """
    n_t, n_trials, n_u = c.shape
    m = c.mean(axis=1)
    v = c.var(axis=1, ddof=1)
    w = _toolbox_weights(m, n_trials, window_s) if weighted else np.ones_like(m)
    raw, raw_se = _slope_through_origin(m, v, w)
    # distribution of mean counts at each time on bins of bin_width spikes,
    # and the greatest distribution common to all times (pointwise minimum)
    idx = np.floor(m / bin_width).astype(int)
    n_bins = int(idx.max()) + 1
    hist = np.array([np.bincount(row, minlength=n_bins) for row in idx])
    target = hist.min(axis=0)
    starts = np.cumsum(hist, axis=1) - hist  # first place of each bin when sorted
    fano = np.zeros(n_t)
    ci = np.zeros((n_t, 2))
    mean_kept = np.zeros(n_t)
    n_kept = int(target.sum())
    if n_kept < 5:  # as VarVsMean.m: too little data survives the matching
        nan = np.full(n_t, np.nan)
        return dict(fano=nan, ci=np.full((n_t, 2), np.nan), raw=raw, raw_se=raw_se,
                    n_kept=n_kept, mean_all=m.mean(axis=1), mean_kept=nan, m=m, v=v, w=w,
                    keeps=np.zeros((0, n_t, n_u), dtype=bool))
    rank = np.arange(n_u)[None, :]
    keeps = np.zeros((n_resample, n_t, n_u), dtype=bool)
    for d in range(n_resample):
        # keep target[b] units of bin b at each time, chosen at random: sort
        # by bin with random order within bins, keep the first target[b]
        order = np.argsort(idx + rng.random(idx.shape), axis=1)
        sorted_bin = np.take_along_axis(idx, order, axis=1)
        keep_sorted = (rank - np.take_along_axis(starts, sorted_bin, axis=1)) < target[sorted_bin]
        keep = np.zeros(idx.shape, dtype=bool)
        np.put_along_axis(keep, order, keep_sorted, axis=1)
        keeps[d] = keep
        b, se = _slope_through_origin(m, v, np.where(keep, w, 0.0))
        fano += b / n_resample
        # the toolbox averages the intervals (slope +- 2 SE) over the draws
        ci += np.stack([b - 2 * se, b + 2 * se], axis=1) / n_resample
        mean_kept += np.sum(np.where(keep, m, 0.0), axis=1) / n_kept / n_resample
    return dict(fano=fano, ci=ci, raw=raw, raw_se=raw_se, n_kept=n_kept,
                mean_all=m.mean(axis=1), mean_kept=mean_kept, m=m, v=v, w=w, keeps=keeps)


def mean_matched_fano(counts, times, n_resample=10, bin_width=0.25, seed=0, n_boot=0,
                      window_s=0.08, weighted=True):
    """Mean-matched Fano factor over time (Churchland et al. 2010).

    The procedure of their Variance Toolbox (``VarVsMean.m``):

    1. per time and unit, the mean and the (n - 1) variance of the count
       across trials;
    2. the distribution of the means at each time on bins of ``bin_width``
       spikes, and the greatest distribution common to all times: the
       pointwise minimum of the histograms;
    3. at each time, units are drawn at random so that their means follow
       that common distribution (the same number per bin at every time);
    4. the Fano factor is the slope of the regression of variance on mean
       through the origin, weighted by ``n_trials / (mean + window_s)^2``
       (the variance of a variance estimate grows as the mean squared and
       falls with the number of trials);
    5. steps 3-4 are repeated ``n_resample`` times and averaged.

    Without the matching, a change of rate masquerades as a change of
    variability whenever the Fano factor differs between low- and high-rate
    units; after it, every time point sees the same distribution of means.

    Parameters
    ----------
    counts : array_like, shape (n_times, n_trials, n_units)
        Spike counts in the window centred on each time (see
        :func:`sliding_counts`); a unit is a (neuron, condition) pair, and
        its trials are repeats of that condition.
    times : array_like, shape (n_times,)
        Window centres (s).
    n_resample : int
        Random draws of the matched units (the toolbox's ``matchReps``, 10).
    bin_width : float
        Bin width of the mean-count distributions (spikes; ``binSpacing``,
        0.25).
    seed : int
    n_boot : int
        If > 0, ``fano_ci95`` is a percentile interval over this many
        bootstrap resamples of trials (the whole computation, matching
        included, is redone on each); otherwise it is the toolbox's interval,
        slope +- 2 standard errors of the weighted regression, averaged over
        the draws.
    window_s : float
        Count window (s): the toolbox's ``weightingEpsilon``, 1 spike/s times
        the window, added to the mean count in the weights.
    weighted : bool
        Use the weights (the toolbox's default); False: ordinary least
        squares through the origin.

    Returns
    -------
    dict
        ``times``; ``fano`` (mean-matched, per time) and ``fano_ci95`` (n_times,
        2), ``ci_method``; ``fano_raw`` and ``fano_raw_ci95`` (all units, no
        matching, +- 2 SE); ``n_units`` and ``n_units_kept`` (per time, the
        same at every time); ``mean_count`` (all units) and
        ``mean_count_matched`` (the units kept, averaged over the draws).  All
        NaN for ``fano`` when fewer than 5 units survive the matching.
    """
    c, t = _check_counts(counts, times)
    rng = np.random.default_rng(seed)
    r = _mean_matched(c, float(window_s), int(n_resample), float(bin_width), rng, weighted)
    out = {
        "times": t,
        "fano": r["fano"],
        "fano_ci95": r["ci"],
        "ci_method": "weighted regression, slope +- 2 SE (Variance Toolbox)",
        "fano_raw": r["raw"],
        "fano_raw_ci95": np.stack([r["raw"] - 2 * r["raw_se"], r["raw"] + 2 * r["raw_se"]], 1),
        "n_units": int(c.shape[2]),
        "n_units_kept": r["n_kept"],
        "mean_count": r["mean_all"],
        "mean_count_matched": r["mean_kept"],
    }
    if n_boot > 0:
        boots = np.array([_mean_matched(c[:, rng.integers(0, c.shape[1], c.shape[1]), :],
                                        float(window_s), int(n_resample), float(bin_width),
                                        rng, weighted)["fano"] for _ in range(int(n_boot))])
        out["fano_ci95"] = np.nanpercentile(boots, [2.5, 97.5], axis=0).T
        out["ci_method"] = f"percentile bootstrap over trials ({int(n_boot)} resamples)"
    return out


def fano_change_at_onset(counts, times, onset=0.0, before=None, after=None,
                         method="jackknife", n_boot=200, seed=0, n_resample=10, bin_width=0.25,
                         window_s=0.08, clusters=None):
    """Change of the mean-matched Fano factor at stimulus onset, with a 95 % interval.

    The change is the mean of :func:`mean_matched_fano` over the windows
    after onset minus its mean over the windows before (Churchland et al.
    2010 report the fall of variability at onset, V1 included).  Its
    interval comes from one of three resamplings; the first two hold the
    matched selection fixed (the units each draw of the matching kept at
    each time, on the full data), so the interval is conditional on the
    matching, as the Variance Toolbox's regression interval is.

    * ``"jackknife"`` (default): the trial noise of this experiment, its
      units (neurons, conditions) taken as fixed.  Trial k of every unit is
      left out in turn (trials of one index may be one trial of many
      neurons, so they leave together), the means, variances and weights
      are recomputed from the other n - 1 trials, and the interval is
      ``change +- t(n - 1) * SE`` with the delete-one-group jackknife SE.
      The variance of a count is a U-statistic, for which the jackknife's
      variance estimate is unbiased to first order; a bootstrap of 10
      trials duplicates them and shrinks every variance instead.
    * ``"clusters"``: clusters of units (``clusters``) drawn with
      replacement, each unit keeping all its trials, and the regression
      redone with each unit weighted by how often its cluster was drawn:
      a percentile interval that also counts how the change varies from
      cluster to cluster, as if the conditions were a random sample of
      conditions.
    * ``"trials"``: trials drawn with replacement and the whole computation,
      matching included, redone on each; with few trials per unit it
      shrinks the variances and pulls the interval towards zero.  Redoing
      the matching on resamples also biases it: the greatest common
      distribution is a minimum over times of histograms that resampling
      makes noisier (in the V1 session a cluster bootstrap with the
      matching redone missed its own estimate, -0.574 against
      [-0.566, -0.454]).

    Parameters
    ----------
    counts : array_like, shape (n_times, n_trials, n_units)
        As :func:`mean_matched_fano`.
    times : array_like, shape (n_times,)
        Window centres (s).
    onset : float
        Stimulus onset (s).
    before, after : (float, float), optional
        Ranges of window centres (s, inclusive) to average.  Default: the
        windows entirely before onset (centre <= onset - window_s / 2) and
        entirely after it (centre >= onset + window_s / 2).
    method : {"jackknife", "clusters", "trials"}
    n_boot : int
        Resamples of ``"clusters"`` and ``"trials"``.
    seed : int
    n_resample, bin_width, window_s
        As :func:`mean_matched_fano`.
    clusters : array_like of int, shape (n_units,), optional
        Cluster of each unit, for ``"clusters"`` (e.g. its condition, so
        that neurons recorded in the same trials stay together).

    Returns
    -------
    dict
        ``before``, ``after`` (mean-matched Fano factors averaged over the
        windows), ``change`` (after - before), ``change_ci95``,
        ``change_se``; the same without matching, ``raw_before``,
        ``raw_after``, ``raw_change``, ``raw_change_ci95``; ``n_trials``,
        ``n_units_kept``, ``method``, ``times_before``, ``times_after``.
    """
    c, t = _check_counts(counts, times)
    half = float(window_s) / 2
    lo_b, hi_b = before if before is not None else (-np.inf, onset - half)
    lo_a, hi_a = after if after is not None else (onset + half, np.inf)
    sel_b = (t >= lo_b - 1e-12) & (t <= hi_b + 1e-12)
    sel_a = (t >= lo_a - 1e-12) & (t <= hi_a + 1e-12)
    if not sel_b.any() or not sel_a.any():
        raise ValueError("no count window before or after onset")
    if method not in ("jackknife", "clusters", "trials"):
        raise ValueError(f"method must be 'jackknife', 'clusters' or 'trials', got {method!r}")
    if method == "clusters":
        if clusters is None:
            raise ValueError("method='clusters' needs clusters: one cluster id per unit")
        clusters = np.asarray(clusters)
        if clusters.shape != (c.shape[2],):
            raise ValueError(f"clusters must give one id per unit ({c.shape[2]}), "
                             f"got shape {clusters.shape}")
    if method == "jackknife" and c.shape[1] < 3:
        raise ValueError("the jackknife needs at least 3 trials per unit")
    rng = np.random.default_rng(seed)

    def _change(fano, raw):
        """(after - before) of the matched and raw Fano factors, along axis 0 (time)."""
        return (fano[sel_a].mean(axis=0) - fano[sel_b].mean(axis=0),
                raw[sel_a].mean(axis=0) - raw[sel_b].mean(axis=0))

    r = _mean_matched(c, float(window_s), int(n_resample), float(bin_width), rng)
    fb, fa = r["fano"][sel_b].mean(), r["fano"][sel_a].mean()
    rb, ra = r["raw"][sel_b].mean(), r["raw"][sel_a].mean()
    keeps = r["keeps"]
    nan2 = [float("nan")] * 2

    def _percentile(x):
        return [float(q) for q in np.nanpercentile(x, [2.5, 97.5])] if np.size(x) else nan2

    if method == "jackknife":
        n = c.shape[1]
        reps = []
        for k in range(n):
            ck = np.delete(c, k, axis=1)
            m, v = ck.mean(axis=1), ck.var(axis=1, ddof=1)
            w = _toolbox_weights(m, n - 1, float(window_s))
            with np.errstate(invalid="ignore", divide="ignore"):
                fano = np.mean([_slope_through_origin(m, v, np.where(kp, w, 0.0))[0]
                                for kp in keeps], axis=0) if len(keeps) else np.full(len(t), np.nan)
            reps.append(_change(fano, _slope_through_origin(m, v, w)[0]))
        d, d_raw = (np.array(x) for x in zip(*reps))
        q = float(stats.t.ppf(0.975, n - 1))

        def _jack(theta, reps_):
            se = float(np.sqrt((n - 1) / n * np.sum((reps_ - reps_.mean()) ** 2)))
            return se, [float(theta - q * se), float(theta + q * se)]

        se, ci = _jack(fa - fb, d)
        _, ci_raw = _jack(ra - rb, d_raw)
    else:
        if method == "trials":
            boots = []
            for _ in range(int(n_boot)):
                rr = _mean_matched(c[:, rng.integers(0, c.shape[1], c.shape[1]), :],
                                   float(window_s), int(n_resample), float(bin_width), rng)
                boots.append(_change(rr["fano"], rr["raw"]))
            d, d_raw = (np.array(x) for x in zip(*boots)) if boots else (np.zeros(0),) * 2
        else:
            # per draw, time and cluster: the sums of the weighted regression through
            # the origin, sum(w m v) and sum(w m^2); a resample weights each cluster's
            # sums by its multiplicity
            ids, inv = np.unique(clusters, return_inverse=True)
            order = np.argsort(inv, kind="stable")
            starts = np.searchsorted(inv[order], np.arange(ids.size))
            m, v, w = r["m"][:, order], r["v"][:, order], r["w"][:, order]
            kp = keeps[:, :, order]
            num = np.add.reduceat(np.where(kp, w * m * v, 0.0), starts, axis=-1)
            den = np.add.reduceat(np.where(kp, w * m * m, 0.0), starts, axis=-1)
            num_raw = np.add.reduceat(w * m * v, starts, axis=-1)
            den_raw = np.add.reduceat(w * m * m, starts, axis=-1)
            mult = np.stack([np.bincount(rng.integers(0, ids.size, ids.size),
                                         minlength=ids.size) for _ in range(int(n_boot))],
                            axis=1).astype(float)  # (G, n_boot)
            with np.errstate(invalid="ignore", divide="ignore"):
                fano = (num @ mult / (den @ mult)).mean(axis=0) if kp.size else np.full(
                    (len(t), int(n_boot)), np.nan)  # (n_times, n_boot)
                raw = num_raw @ mult / (den_raw @ mult)
            d, d_raw = _change(fano, raw)
        se = float(np.nanstd(d, ddof=1)) if np.size(d) > 1 else float("nan")
        ci, ci_raw = _percentile(d), _percentile(d_raw)

    return {
        "before": float(fb),
        "after": float(fa),
        "change": float(fa - fb),
        "change_ci95": ci,
        "change_se": se,
        "raw_before": float(rb),
        "raw_after": float(ra),
        "raw_change": float(ra - rb),
        "raw_change_ci95": ci_raw,
        "n_trials": int(c.shape[1]),
        "n_units_kept": int(r["n_kept"]),
        "method": {"jackknife": "delete-one-trial jackknife, matching fixed",
                   "clusters": "bootstrap over clusters of units, matching fixed",
                   "trials": "bootstrap over trials, matching redone"}[method],
        "times_before": t[sel_b].tolist(),
        "times_after": t[sel_a].tolist(),
    }


def _resample_within(groups, rng):
    """Trial indices drawn with replacement within each group (bootstrap)."""
    groups = np.asarray(groups)
    order = np.argsort(groups, kind="stable")
    _, start, size = np.unique(groups[order], return_index=True, return_counts=True)
    which = np.repeat(np.arange(size.size), size)
    return order[start[which] + np.floor(rng.random(which.size) * size[which]).astype(int)]


def onset_fano(before, after, groups=None, n_boot=200, seed=0, window_s=None):
    """Fano factor before and after stimulus onset, without mean matching.

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
    window_s : float, optional
        Count window (s): with it, the Variance Toolbox's regression weights
        (:func:`population_fano`).

    Returns
    -------
    dict
        ``before``, ``after`` (population Fano factors), ``change``
        (after - before) with ``change_ci95``, and the mean counts.  A change
        of rate can contribute to the change: :func:`fano_change_at_onset`
        mean-matches.
    """
    before = np.asarray(before, dtype=float)
    after = np.asarray(after, dtype=float)
    if before.shape != after.shape:
        raise ValueError("before and after must have the same shape")
    groups = np.zeros(before.shape[0], dtype=int) if groups is None else np.asarray(groups)
    fb = population_fano(before, groups, window_s=window_s)
    fa = population_fano(after, groups, window_s=window_s)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        idx = _resample_within(groups, rng)
        diffs.append(population_fano(after[idx], groups[idx], window_s=window_s)
                     - population_fano(before[idx], groups[idx], window_s=window_s))
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


def variability_vs_contrast(contrasts, counts, x_mean=None, groups=None, n_boot=200, seed=0,
                            window_s=None):
    """Across-trial variability at each contrast, with bootstrap errors.

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
    n_boot : int
        Bootstrap resamples of trials within each (contrast, image) cell for
        the standard errors and 95 % intervals (0: none, NaN errors).
    seed : int
    window_s : float, optional
        Count window (s): with it, the Variance Toolbox's regression weights
        (:func:`population_fano`).

    Returns
    -------
    dict
        ``contrast`` (sorted unique), ``fano`` (population Fano factor) with
        ``fano_se`` and ``fano_ci95`` ([lo, hi] per contrast), ``mean_count``,
        ``n_trials``, and with ``x_mean`` the median over (neuron, image) of
        the across-trial std of the latent state, ``x_std``, with ``x_std_se``
        and ``x_std_ci95``.  The errors are the sd and the 2.5-97.5
        percentiles of the bootstrap.
    """
    contrasts = np.asarray(contrasts, dtype=float)
    counts = np.asarray(counts, dtype=float)
    groups = np.zeros(len(contrasts), dtype=int) if groups is None else np.asarray(groups)
    xm = None if x_mean is None else np.asarray(x_mean, dtype=float)
    levels = np.unique(contrasts)
    rng = np.random.default_rng(seed)
    out = {"contrast": levels.tolist(), "fano": [], "fano_se": [], "fano_ci95": [],
           "mean_count": [], "n_trials": [], "n_boot": int(n_boot)}
    if xm is not None:
        out.update(x_std=[], x_std_se=[], x_std_ci95=[])

    def _x_std(x, g):
        return float(np.median(np.sqrt(_group_moments(x, g)[1])))

    def _errors(values):
        v = np.asarray(values, dtype=float)
        if v.size < 2 or not np.isfinite(v).any():
            return float("nan"), [float("nan")] * 2
        return (float(np.nanstd(v, ddof=1)),
                [float(q) for q in np.nanpercentile(v, [2.5, 97.5])])

    for c in levels:
        sel = contrasts == c
        cc, gg = counts[sel], groups[sel]
        out["fano"].append(population_fano(cc, gg, window_s=window_s))
        out["mean_count"].append(float(cc.mean()))
        out["n_trials"].append(int(sel.sum()))
        idx = [_resample_within(gg, rng) for _ in range(int(n_boot))]
        se, ci = _errors([population_fano(cc[i], gg[i], window_s=window_s) for i in idx])
        out["fano_se"].append(se)
        out["fano_ci95"].append(ci)
        if xm is not None:
            xs = xm[sel]
            out["x_std"].append(_x_std(xs, gg))
            se, ci = _errors([_x_std(xs[i], gg[i]) for i in idx])
            out["x_std_se"].append(se)
            out["x_std_ci95"].append(ci)
    return out
