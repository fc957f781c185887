"""V1 probes: (nx, ny), tuning, distributions against V1, variability.

See :mod:`hee_brian.analysis.plotting` for the conventions.
"""
from __future__ import annotations

import numpy as np

from ._base import _new_axes, _plt

__all__ = [
    "plot_nx_ny",
    "plot_tuning_examples",
    "plot_cdf_comparison",
    "plot_tuning_distributions",
    "plot_fano_onset",
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


def plot_tuning_distributions(props, comparison, axes=None):
    """Tuning-property distributions of the model against macaque V1.

    Circular variance, orientation bandwidth, SF bandwidth (reference CDFs
    of :mod:`analysis.v1_data`) and the spread of peak SF (De Valois 1982).

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
    for ax, (key, label, grid) in zip(axes, items):
        plot_cdf_comparison(props[key], v1_data.reference_cdf(key), grid, axes=ax, xlabel=label,
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


def plot_variability_vs_contrast(contrast, fano, x_std=None, axes=None):
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

    Returns
    -------
    Axes
        The Fano-factor axes (the second y axis is ``axes.figure.axes[-1]``).
    """
    ax = _new_axes(axes, figsize=(5, 4))
    ax.plot(contrast, fano, "o-", label="Fano factor (counts)")
    ax.set_xlabel("contrast (x natural patch)")
    ax.set_ylabel("population Fano factor")
    if x_std is not None:
        ax2 = ax.twinx()
        ax2.plot(contrast, x_std, "s--", color="tab:red", label="across-trial std of x")
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
        :func:`analysis.variability.variability_vs_contrast` output.
    axes : array of 2 Axes, optional

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 1, 2, figsize=(10, 4))
    plot_fano_onset(onset["before"], onset["after"], onset.get("change_ci95"), axes=axes[0])
    plot_variability_vs_contrast(vs_contrast["contrast"], vs_contrast["fano"],
                                 vs_contrast.get("x_std"), axes=axes[1])
    return axes
