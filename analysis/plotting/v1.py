"""V1 probes: (nx, ny), tuning, distributions against V1, variability.

See :mod:`hee_brian.analysis.plotting` for the conventions.
"""
from __future__ import annotations

import numpy as np

from ._base import _new_axes, _plt

__all__ = [
    "plot_nx_ny",
    "plot_tuning_examples",
    "plot_orientation_tuning",
    "plot_sf_tuning",
    "plot_contrast_response",
    "plot_cdf_comparison",
    "plot_property_distribution",
    "plot_tuning_distributions",
    "plot_fano_onset",
    "plot_fano_time_course",
    "plot_variability_vs_contrast",
    "plot_variability",
]


# V1 probes

def plot_nx_ny(nx, ny, axes=None, label=None):
    """Receptive-field shape numbers against the range of macaque V1 simple cells.

    Parameters
    ----------
    nx, ny : array_like
        sigma_x * f and sigma_y * f of the Gabor fits (periods), e.g. of the
        fields that passed the fit criterion.
    axes : Axes, optional
    label : str, optional
        Legend of the points (default "model (n=...)").

    Returns
    -------
    Axes
    """
    plt = _plt()
    ax = _new_axes(axes, figsize=(5.5, 5))
    nx, ny = np.asarray(nx, dtype=float), np.asarray(ny, dtype=float)
    ax.add_patch(plt.Rectangle((0, 0.2), 0.5, 0.8, color="tab:orange", alpha=0.2,
                               label="Ringach 2002: most V1 simple cells"))
    ax.scatter(nx, ny, s=14, color="tab:blue", label=label or f"model (n={nx.size})")
    ax.plot([0, 1.5], [0, 1.5], color="0.6", lw=0.8, ls="--")
    ax.set_xlim(0, 1.5)
    ax.set_ylim(0, 1.5)
    ax.set_xlabel("nx = sigma_x * f (across bars, periods)")
    ax.set_ylabel("ny = sigma_y * f (along bars, periods)")
    ax.set_title("Receptive-field shape vs macaque V1")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_tuning_examples(thetas, freqs, rates, counts, circular_variance, window, n_show=6,
                         axes=None, title=None):
    """Orientation and spatial-frequency tuning curves of example neurons.

    Picks ``n_show`` neurons spread from low to high circular variance; top
    row: orientation tuning at the preferred SF (mean rate, and spike counts
    as rates); bottom row: SF tuning at the preferred orientation.  Both
    averaged over phase (F0).

    Parameters
    ----------
    thetas : array_like, shape (n_theta,)
        Orientations (rad), shown in degrees.
    freqs : array_like, shape (n_freq,)
        Spatial frequencies (cycles/pixel).
    rates : array_like, shape (n_theta, n_freq, n_phase, n)
        Mean readout rates (Hz).
    counts : array_like, shape (n_theta, n_freq, n_phase, n)
        Spike counts in the response windows.
    circular_variance : array_like, shape (n,)
    window : float
        Total duration (s) of the windows the counts were taken in.
    n_show : int
    axes : array of Axes, shape (2, n_show), optional
    title : str, optional
        Figure title.

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 2, n_show, figsize=(2.6 * n_show, 5.5), squeeze=False)
    f0 = np.asarray(rates, dtype=float).mean(axis=2)
    c0 = np.asarray(counts, dtype=float).mean(axis=2)
    cv = np.asarray(circular_variance, dtype=float)
    order = np.argsort(cv)
    picks = order[np.linspace(0, len(order) - 1, n_show).astype(int)]
    deg = np.degrees(thetas)
    for col, j in enumerate(picks):
        ti, fi = np.unravel_index(np.argmax(f0[:, :, j]), f0.shape[:2])
        ax = axes[0, col]
        ax.plot(deg, f0[:, fi, j], "o-", ms=3, label="mean rate")
        ax.plot(deg, c0[:, fi, j] / window, "s--", ms=3, alpha=0.7, label="spike counts")
        ax.set_title(f"n{j}: CV={cv[j]:.2f}", fontsize=9)
        ax.set_xlabel("orientation (deg)")
        if col == 0:
            ax.set_ylabel("rate (Hz)")
            ax.legend(fontsize=7)
        ax = axes[1, col]
        ax.semilogx(freqs, f0[ti, :, j], "o-", ms=3)
        ax.set_xticks([0.05, 0.1, 0.2, 0.4], ["0.05", "0.1", "0.2", "0.4"])
        ax.minorticks_off()
        ax.set_xlabel("SF (cycles/pixel)")
        if col == 0:
            ax.set_ylabel("rate (Hz)")
    if title:
        axes[0, 0].figure.suptitle(title)
    return axes


def _unit_axes(axes, n, ncols=None, size=(3.0, 2.6)):
    """``axes`` as given, or a grid of ``n`` new ones; a flat array of the first n."""
    if axes is None:
        ncols = min(n, 4) if ncols is None else ncols
        nrows = -(-n // ncols)
        axes = _new_axes(None, nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                         squeeze=False)
        for ax in np.ravel(axes)[n:]:
            ax.set_visible(False)
    flat = np.ravel(np.asarray(axes, dtype=object))
    if flat.size < n:
        raise ValueError(f"{n} units need {n} axes, got {flat.size}")
    return axes, flat[:n]


def _as_units(*arrays):
    """Arrays of one curve (n,) or of several (n_units, n), as 2-D; None kept."""
    out = []
    for a in arrays:
        out.append(None if a is None else np.atleast_2d(np.asarray(a, dtype=float)))
    return out


def plot_orientation_tuning(thetas_deg, mean_rate_hz, sem_hz=None, fit_curve=None, axes=None,
                            labels=None, bandwidth_deg=None, ncols=None):
    """Orientation tuning curves of example units, with error bars and a fitted curve.

    Parameters
    ----------
    thetas_deg : array_like, shape (n_theta,)
        Orientations (deg).
    mean_rate_hz : array_like, shape (n_theta,) or (n_units, n_theta)
        Mean response (spikes/s) at each orientation (e.g. F0 at the
        preferred SF).
    sem_hz : array_like, same shape, optional
        Standard errors of the means (error bars).
    fit_curve : (array_like, array_like), optional
        ``(thetas_fine_deg, values)``, values of shape (n_fine,) or
        (n_units, n_fine): a fitted or interpolated curve, drawn as a line
        (e.g. the smoothed spline of :func:`analysis.tuning.orientation_bandwidth`).
    axes : Axes or array of Axes, optional
        One per unit (default: a grid of new ones).
    labels : list of str, optional
        Panel titles.
    bandwidth_deg : array_like, shape (n_units,), optional
        Half-widths at 1/sqrt(2) of the peak, added to the titles.
    ncols : int, optional
        Columns of the new grid.

    Returns
    -------
    Axes or ndarray of Axes
        An Axes for one curve, the array of axes for several.
    """
    th = np.asarray(thetas_deg, dtype=float)
    single = np.ndim(mean_rate_hz) == 1
    rate, sem = _as_units(mean_rate_hz, sem_hz)
    axes, flat = _unit_axes(axes, rate.shape[0], ncols)
    fine = fit = None
    if fit_curve is not None:
        fine = np.asarray(fit_curve[0], dtype=float)
        fit = np.atleast_2d(np.asarray(fit_curve[1], dtype=float))
    bw = None if bandwidth_deg is None else np.atleast_1d(np.asarray(bandwidth_deg, dtype=float))
    for j, ax in enumerate(flat):
        ax.errorbar(th, rate[j], yerr=None if sem is None else sem[j], fmt="o", ms=3,
                    capsize=2, label="mean +- SEM" if sem is not None else "mean")
        if fit is not None:
            ax.plot(fine, fit[j if fit.shape[0] > 1 else 0], color="tab:red", lw=1.2, label="fit")
        title = labels[j] if labels is not None else f"unit {j}"
        if bw is not None and np.isfinite(bw[j]):
            title += f", half-width {bw[j]:.1f} deg"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("orientation (deg)")
        ax.set_ylabel("rate (spikes/s)")
        ax.set_xlim(th.min() - 5, th.max() + 5)
    flat[0].legend(fontsize=7)
    return flat[0] if single else axes


def plot_sf_tuning(freqs, mean_rate_hz, sem_hz=None, axes=None, labels=None, nyquist=0.5,
                   bandwidth_oct=None, ncols=None):
    """Spatial-frequency tuning curves of example units, on a log axis with error bars.

    Parameters
    ----------
    freqs : array_like, shape (n_freq,)
        Spatial frequencies (cycles/pixel).
    mean_rate_hz : array_like, shape (n_freq,) or (n_units, n_freq)
        Mean response (spikes/s), e.g. F0 at the preferred orientation.
    sem_hz : array_like, same shape, optional
    axes : Axes or array of Axes, optional
    labels : list of str, optional
    nyquist : float or None
        Marked with a dotted line (0.5 cycles/pixel).
    bandwidth_oct : array_like, shape (n_units,), optional
        Full widths at half height (octaves; NaN for low-/high-pass), in
        the titles.
    ncols : int, optional

    Returns
    -------
    Axes or ndarray of Axes
    """
    f = np.asarray(freqs, dtype=float)
    single = np.ndim(mean_rate_hz) == 1
    rate, sem = _as_units(mean_rate_hz, sem_hz)
    axes, flat = _unit_axes(axes, rate.shape[0], ncols)
    bw = None if bandwidth_oct is None else np.atleast_1d(np.asarray(bandwidth_oct, dtype=float))
    for j, ax in enumerate(flat):
        ax.errorbar(f, rate[j], yerr=None if sem is None else sem[j], fmt="o-", ms=3, capsize=2)
        ax.set_xscale("log")
        if nyquist is not None:
            ax.axvline(nyquist, color="0.5", ls=":", lw=0.8)
        title = labels[j] if labels is not None else f"unit {j}"
        if bw is not None:
            title += (f", {bw[j]:.2f} oct" if np.isfinite(bw[j]) else ", low/high-pass")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("spatial frequency (cycles/pixel)")
        ax.set_ylabel("rate (spikes/s)")
    return flat[0] if single else axes


def plot_contrast_response(contrasts, mean, sem=None, fit=None, axes=None, label=None,
                           unit="spikes/s"):
    """A contrast-response curve with error bars and its Naka-Rushton fit.

    Parameters
    ----------
    contrasts : array_like, shape (n_c,)
        Contrasts (Michelson, or multiples of a reference patch).
    mean : array_like, shape (n_c,)
        Mean response at each contrast.
    sem : array_like, shape (n_c,), optional
    fit : dict, optional
        :func:`analysis.tuning.fit_naka_rushton` output; the curve is drawn
        when its parameters are finite, and c50 and n go in the legend.
    axes : Axes, optional
    label : str, optional
        Legend of the data points.
    unit : str
        Unit of the response (y label).

    Returns
    -------
    Axes
    """
    from ..tuning import naka_rushton

    ax = _new_axes(axes, figsize=(4.5, 3.5))
    c = np.asarray(contrasts, dtype=float)
    ax.errorbar(c, mean, yerr=sem, fmt="o", ms=4, capsize=2, label=label or "mean +- SEM")
    if fit is not None and all(np.isfinite(fit[k]) for k in ("r_max", "c50", "n", "r0")):
        grid = np.linspace(0, c.max(), 200)
        ax.plot(grid, naka_rushton(grid, fit["r_max"], fit["c50"], fit["n"], fit["r0"]),
                color="tab:red",
                label=f"Naka-Rushton: c50 {fit['c50']:.2g}, n {fit['n']:.2g}, "
                      f"R^2 {fit['r2']:.2f}")
    ax.set_xlabel("contrast")
    ax.set_ylabel(f"response ({unit})")
    ax.legend(fontsize=8)
    return ax


def plot_cdf_comparison(values, reference_cdf=None, grid=None, axes=None, xlabel="",
                        reference_label="macaque V1", ks=None, binned=None):
    """Empirical CDF of model values against a reference CDF.

    Parameters
    ----------
    values : array_like
        Model values (non-finite ones are dropped).
    reference_cdf : callable, optional
        ``F(x)``, drawn on ``grid``.
    grid : array_like, optional
    axes : Axes, optional
    xlabel : str
        The property, with its unit.
    reference_label : str
    ks : float, optional
        Unbinned KS similarity, shown as the title.
    binned : dict, optional
        :func:`analysis.v1_data.binned_ks_similarity` output, shown as a
        second title line (mean +- sd over the bootstrap, and the ceiling).

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(4, 4))
    v = np.asarray(values, dtype=float)
    v = np.sort(v[np.isfinite(v)])
    if v.size:
        ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", label=f"model (n={v.size})")
    if reference_cdf is not None and grid is not None:
        ax.plot(grid, reference_cdf(grid), color="tab:orange", label=reference_label)
    title = []
    if ks is not None:
        title.append(f"KS similarity {ks:.2f}" if np.isfinite(ks) else "KS: n/a")
    if binned is not None and np.isfinite(binned["mean"]):
        title.append(f"binned KS {binned['mean']:.2f} +- {binned['sd']:.2f} "
                     f"(ceiling {binned['ceiling']:.2f})")
    if title:
        ax.set_title("\n".join(title), fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("cumulative fraction")
    ax.legend(fontsize=8)
    return ax


def plot_property_distribution(values, v1_hist_bins, v1_hist_probs, score=None, score_sd=None,
                               axes=None, xlabel="", reference_label="macaque V1",
                               score_name="binned KS similarity after Marques et al. 2021"):
    """A model property's histogram against the V1 one, on the data's bins.

    The model's values are clipped to the bin range and binned on the V1
    bins, as Marques et al. (2021) compare distributions; both are drawn as
    fractions of cells.

    Parameters
    ----------
    values : array_like
        Model values (non-finite ones are dropped).
    v1_hist_bins : array_like, shape (n_bins + 1,)
        Bin edges of the reference.
    v1_hist_probs : array_like, shape (n_bins,)
        Fraction of recorded cells in each bin.
    score, score_sd : float, optional
        Similarity score and its bootstrap sd, shown as the title.
    axes : Axes, optional
    xlabel : str
        The property, with its unit.
    reference_label : str
    score_name : str
        What the score is (the title).

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(4.5, 3.5))
    bins = np.asarray(v1_hist_bins, dtype=float)
    v = np.asarray(values, dtype=float)
    v = np.clip(v[np.isfinite(v)], bins[0], bins[-1])
    if v.size:
        h = np.histogram(v, bins=bins)[0] / v.size
        ax.bar(bins[:-1], h, width=np.diff(bins), align="edge", color="tab:blue", alpha=0.6,
               label=f"model (n={v.size})")
    ax.stairs(np.asarray(v1_hist_probs, dtype=float), bins, color="tab:orange", lw=1.5,
              label=reference_label)
    if score is not None and np.isfinite(score):
        sd = f" +- {score_sd:.2f}" if score_sd is not None and np.isfinite(score_sd) else ""
        ax.set_title(f"{score_name}\n{score:.2f}{sd}", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of cells")
    ax.legend(fontsize=8)
    return ax


def plot_tuning_distributions(props, comparison, axes=None):
    """Tuning-property distributions of the model against macaque V1.

    Circular variance, orientation bandwidth (orientation-selective cells
    only, as :func:`analysis.tuning.compare_with_v1` scores it), SF bandwidth
    (reference CDFs of :mod:`analysis.v1_data`) and the spread of peak SF
    (De Valois 1982).

    Parameters
    ----------
    props : dict of array_like
        :func:`analysis.tuning.tuning_properties` output (``circular_variance``,
        ``orientation_bandwidth_deg``, ``sf_bandwidth_oct``, ``peak_sf``).
    comparison : dict
        :func:`analysis.tuning.compare_with_v1` output (its ``ks_similarity``
        and ``binned_ks`` values are the panel titles).
    axes : array of 4 Axes, optional

    Returns
    -------
    ndarray of Axes
    """
    from .. import v1_data

    axes = _new_axes(axes, 1, 4, figsize=(16, 4))
    items = [("circular_variance", "circular variance", np.linspace(0, 1, 200)),
             ("orientation_bandwidth_deg", "orientation bandwidth (deg)", np.linspace(0, 90, 200)),
             ("sf_bandwidth_oct", "SF bandwidth (octaves)", np.linspace(0, 4, 200))]
    values = dict(props)
    if "orientation_selective" in props:
        # as compare_with_v1 scores it: orientation-selective cells only
        bw = np.asarray(props["orientation_bandwidth_deg"], dtype=float)
        values["orientation_bandwidth_deg"] = bw[np.asarray(props["orientation_selective"], bool)]
    for ax, (key, label, grid) in zip(axes, items):
        plot_cdf_comparison(values[key], v1_data.reference_cdf(key), grid, axes=ax, xlabel=label,
                            ks=comparison[key]["ks_similarity"],
                            binned=comparison[key].get("binned_ks"))
    ax = axes[3]
    psf = np.asarray(props["peak_sf"], dtype=float)
    psf = psf[np.isfinite(psf)]
    if psf.size:
        v = np.sort(np.log2(psf / np.median(psf)))
        ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", label="model")
        grid = np.linspace(-4, 4, 200)
        ax.plot(grid, v1_data.de_valois_log_sf_cdf()(grid), color="tab:orange",
                label="V1 (De Valois 1982)")
        spread = comparison["peak_sf_spread"]
        title = f"KS similarity {spread['ks_similarity']:.2f}"
        if "binned_ks" in spread:
            b = spread["binned_ks"]
            title += (f"\nbinned KS {b['mean']:.2f} +- {b['sd']:.2f} "
                      f"(ceiling {b['ceiling']:.2f})")
        ax.set_title(title, fontsize=9)
    ax.set_xlabel("log2(peak SF / median)")
    ax.set_ylabel("cumulative fraction")
    ax.legend(fontsize=8)
    axes[0].figure.suptitle(
        "Tuning properties: model vs macaque V1 (reference CDFs from published quantiles)")
    return axes


def plot_fano_onset(before, after, change_ci95=None, axes=None):
    """Population Fano factor before and after stimulus onset.

    Parameters
    ----------
    before, after : float
        Fano factors of the spike counts.
    change_ci95 : (float, float), optional
        95 % interval of the change after - before: drawn as the error bar
        of the "after" bar (before + interval) and in the title.
    axes : Axes, optional

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(5, 4))
    ax.bar([0, 1], [before, after], color=["0.6", "tab:blue"])
    if change_ci95 is not None:
        lo, hi = change_ci95
        change = after - before
        ax.errorbar([1], [after], yerr=[[max(change - lo, 0.0)], [max(hi - change, 0.0)]],
                    fmt="none", ecolor="k", capsize=4, label="95% CI of the change")
        ax.set_title(f"change {change:+.3f} (95% CI {lo:+.3f}, {hi:+.3f})")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xticks([0, 1], ["before onset\n(blank)", "after onset\n(patch)"])
    ax.set_ylabel("population Fano factor (spike counts)")
    ax.axhline(1, color="k", lw=0.6, ls=":")
    return ax


def plot_fano_time_course(times_s, fano, ci=None, raw=None, onset=0.0, axes=None,
                          prediction_text=None, raw_ci=None):
    """Mean-matched Fano factor around stimulus onset, with its 95 % interval.

    As Churchland et al. (2010, Fig. 2-3) draw it: the mean-matched Fano
    factor against the centre of the count window, with a shaded interval,
    and the Fano factor of all units (not mean-matched) for comparison.

    Parameters
    ----------
    times_s : array_like, shape (n_times,)
        Window centres (s); shown in ms relative to ``onset``.
    fano : array_like, shape (n_times,)
        Mean-matched Fano factor (:func:`analysis.variability.mean_matched_fano`).
    ci : array_like, shape (n_times, 2), optional
        Its 95 % interval (shaded).
    raw : array_like, shape (n_times,), optional
        Fano factor of all units, not mean-matched (dashed).
    onset : float
        Stimulus onset (s), marked with a vertical line.
    axes : Axes, optional
    prediction_text : str, optional
        What the model predicts (e.g. "sampling: falls at onset"), in a box.
    raw_ci : array_like, shape (n_times, 2), optional
        Interval of ``raw`` (shaded lightly).

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(5, 3.5))
    t = (np.asarray(times_s, dtype=float) - onset) * 1e3
    ax.plot(t, fano, color="tab:blue", lw=1.5, label="mean-matched")
    if ci is not None:
        ci = np.asarray(ci, dtype=float)
        ax.fill_between(t, ci[:, 0], ci[:, 1], color="tab:blue", alpha=0.25, lw=0,
                        label="95% CI")
    if raw is not None:
        ax.plot(t, raw, color="0.4", ls="--", lw=1, label="all units (not matched)")
        if raw_ci is not None:
            raw_ci = np.asarray(raw_ci, dtype=float)
            ax.fill_between(t, raw_ci[:, 0], raw_ci[:, 1], color="0.6", alpha=0.15, lw=0)
    ax.axvline(0.0, color="k", lw=0.8, ls=":")
    ax.set_xlabel("time from stimulus onset (ms, window centre)")
    ax.set_ylabel("Fano factor (spike-count var / mean)")
    if prediction_text:
        ax.text(0.02, 0.04, prediction_text, transform=ax.transAxes, fontsize=8, va="bottom",
                bbox=dict(boxstyle="round", fc="white", ec="0.7"))
    ax.legend(fontsize=8, loc="upper right")
    return ax


def _ci_yerr(values, ci):
    """Asymmetric error bars (2, n) from intervals (n, 2); None without."""
    if ci is None:
        return None
    v = np.asarray(values, dtype=float)
    ci = np.asarray(ci, dtype=float)
    return np.clip(np.stack([v - ci[:, 0], ci[:, 1] - v]), 0, None)


def plot_variability_vs_contrast(contrast, fano, x_std=None, axes=None, fano_ci=None,
                                 x_std_ci=None):
    """Population Fano factor (and the across-trial std of x) against contrast.

    Parameters
    ----------
    contrast : array_like
        Stimulus contrasts (multiples of the natural patch).
    fano : array_like
        Population Fano factor of the spike counts at each contrast.
    x_std : array_like, optional
        Across-trial std of the latent state (a.u.), on a second y axis.
    axes : Axes, optional
    fano_ci, x_std_ci : array_like, shape (n_contrasts, 2), optional
        95 % intervals (error bars), e.g. the ``fano_ci95`` and
        ``x_std_ci95`` of :func:`analysis.variability.variability_vs_contrast`.

    Returns
    -------
    Axes
        The Fano-factor axes (the second y axis is ``axes.figure.axes[-1]``).
    """
    ax = _new_axes(axes, figsize=(5, 4))
    if fano_ci is None:
        ax.plot(contrast, fano, "o-", label="Fano factor (counts)")
    else:
        ax.errorbar(contrast, fano, yerr=_ci_yerr(fano, fano_ci), fmt="o-", capsize=3,
                    label="Fano factor (counts), 95% CI")
    ax.set_xlabel("contrast (x natural patch)")
    ax.set_ylabel("population Fano factor")
    if x_std is not None:
        ax2 = ax.twinx()
        if x_std_ci is None:
            ax2.plot(contrast, x_std, "s--", color="tab:red", label="across-trial std of x")
        else:
            ax2.errorbar(contrast, x_std, yerr=_ci_yerr(x_std, x_std_ci), fmt="s--",
                         color="tab:red", capsize=3, label="across-trial std of x")
        ax2.set_ylabel("across-trial std of latent x (a.u.)", color="tab:red")
    ax.set_title("Variability vs contrast")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_variability(onset, vs_contrast, axes=None):
    """Fano factor at onset and against contrast, side by side.

    Parameters
    ----------
    onset : dict
        :func:`analysis.variability.onset_fano` output.
    vs_contrast : dict
        :func:`analysis.variability.variability_vs_contrast` output (its
        ``fano_ci95`` and ``x_std_ci95``, when present, are the error bars).
    axes : array of 2 Axes, optional

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 1, 2, figsize=(10, 4))
    plot_fano_onset(onset["before"], onset["after"], onset.get("change_ci95"), axes=axes[0])
    plot_variability_vs_contrast(vs_contrast["contrast"], vs_contrast["fano"],
                                 vs_contrast.get("x_std"), axes=axes[1],
                                 fano_ci=vs_contrast.get("fano_ci95"),
                                 x_std_ci=vs_contrast.get("x_std_ci95"))
    return axes
