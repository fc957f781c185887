"""Posterior sampling: comparisons, autocorrelation, KL, sweeps, accuracy.

See :mod:`hee_brian.analysis.plotting` for the conventions.
"""
from __future__ import annotations

import numpy as np

from ._base import _new_axes, _plt, _tau_axis

__all__ = [
    "plot_posterior_comparison",
    "plot_autocorrelation",
    "plot_chain_classes",
    "plot_score_bars",
    "plot_kl_vs_time",
    "plot_iat_histograms",
    "plot_sweep_map",
    "plot_adaptation_sweep",
    "plot_v1_speedup",
    "plot_posterior_accuracy",
    "plot_reference_check",
]


# posterior sampling

def plot_posterior_comparison(exact, sampled, sampled_err=None, axes=None,
                              quantity="posterior mean", unit="a.u."):
    """Sampled against exact posterior statistics, one point per latent.

    Parameters
    ----------
    exact, sampled : array_like, shape (n,)
    sampled_err : array_like, shape (n,), optional
        Standard errors of the sampled values (vertical error bars).
    axes : Axes, optional
    quantity : str
        What is compared (axis labels).
    unit : str

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(4.5, 4.5))
    exact = np.asarray(exact, dtype=float)
    sampled = np.asarray(sampled, dtype=float)
    ax.errorbar(exact, sampled, yerr=sampled_err, fmt="o", ms=4, capsize=2, label="latents")
    lo = min(exact.min(), sampled.min())
    hi = max(exact.max(), sampled.max())
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="0.5", lw=0.8, ls="--",
            label="identity")
    ax.set_xlabel(f"exact {quantity} ({unit})")
    ax.set_ylabel(f"sampled {quantity} ({unit})")
    ax.legend(fontsize=8)
    return ax


def plot_autocorrelation(lags, acfs, labels=None, axes=None, tau=None, errors=None):
    """Autocorrelation functions against lag.

    Parameters
    ----------
    lags : array_like, shape (n_lags,), or a sequence of them
        Lags in seconds (shown in ms, or in units of ``tau``); one array for
        every curve, or one per curve (chains sampled at different spacings).
    acfs : sequence of array_like, each (n_lags,)
    labels : sequence of str, optional
    axes : Axes, optional
    tau : float, optional
        Show lags in units of this (s), labelled tau_x.
    errors : sequence of array_like, optional
        Standard errors of each curve, drawn as +-1.96 SE bands (95 %).

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(6, 4))
    factor, unit = _tau_axis(tau)
    # a list of arrays (one per curve) rather than one array of lags
    per_curve = isinstance(lags, (list, tuple)) and len(lags) > 0 and np.ndim(lags[0]) == 1
    for k, acf in enumerate(acfs):
        acf = np.asarray(acf, dtype=float)
        lag = np.asarray(lags[k] if per_curve else lags, dtype=float)[:len(acf)] * factor
        line, = ax.plot(lag, acf, marker="o" if len(acf) < 30 else None, ms=3,
                        label=None if labels is None else labels[k])
        if errors is not None and errors[k] is not None:
            e = 1.96 * np.asarray(errors[k], dtype=float)[:len(acf)]
            ax.fill_between(lag, acf - e, acf + e, color=line.get_color(), alpha=0.2, lw=0)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel(f"lag ({unit})")
    ax.set_ylabel("autocorrelation")
    if labels is not None:
        ax.legend(fontsize=8)
    return ax


def plot_chain_classes(classes, spacing, axes=None, unit="tau_x", title=None, n_classes=10):
    """The class of every sample of each chain against time (a mixing picture).

    Parameters
    ----------
    classes : array_like of int, shape (n_chains, n_draws)
        Predicted class of each sample, in time order.
    spacing : float
        Time between samples, in ``unit``.
    axes : Axes, optional
    unit : str
        Name of the time unit (axis label).
    title : str, optional
    n_classes : int
        Classes 0 .. n_classes - 1, one colour each.

    Returns
    -------
    Axes
        Its image (for a colour bar) is ``axes.images[-1]``.
    """
    ax = _new_axes(axes, figsize=(7, 2.5))
    classes = np.atleast_2d(np.asarray(classes))
    n_chains, n_draws = classes.shape
    cmap = _plt().get_cmap("tab10", n_classes)
    ax.imshow(classes, aspect="auto", interpolation="nearest", cmap=cmap, vmin=-0.5,
              vmax=n_classes - 0.5, extent=(0, n_draws * spacing, n_chains - 0.5, -0.5))
    ax.set_yticks(np.arange(n_chains), [f"chain {c + 1}" for c in range(n_chains)])
    ax.set_xlabel(f"time ({unit})")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_score_bars(labels, values, errors=None, references=None, axes=None, xlabel="score"):
    """Horizontal bars of one score per entry, with error bars and reference lines.

    Parameters
    ----------
    labels : list of str
        One per bar, drawn top to bottom.
    values : array_like
    errors : array_like, optional
        Half-length of each error bar (e.g. one standard error).
    references : dict, optional
        ``{name: value}`` drawn as labelled vertical lines (baselines).
    axes : Axes, optional
    xlabel : str
        The score and its error bars (axis label).

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(6, 0.5 * len(labels) + 1.5))
    y = np.arange(len(labels))
    ax.barh(y, values, xerr=errors, color="0.6", capsize=3)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    for k, (name, v) in enumerate((references or {}).items()):
        ax.axvline(v, color=f"C{k}", ls="--", lw=1, label=f"{name}: {v:.2f}")
    if references:
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel(xlabel, fontsize=9)
    return ax


def plot_kl_vs_time(times, kls, labels, axes=None, threshold=None, floor=None, tau=None,
                    ylabel="KL(ensemble || exact posterior) (nats)", title=None):
    """KL divergence of an ensemble of chains to the target, against time.

    Parameters
    ----------
    times : sequence of array_like
        Times of each curve (s), shown in ms or in units of ``tau``.
    kls : sequence of array_like
        KL (nats) of each curve, drawn on a log scale.
    labels : sequence of str
    axes : Axes, optional
    threshold : float, optional
        Dashed line "KL = threshold".
    floor : float, optional
        Dotted line: the finite-ensemble estimation floor.
    tau : float, optional
        Show time in units of this (s), labelled tau_x.
    ylabel, title : str

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(6, 4))
    factor, unit = _tau_axis(tau)
    for t, kl, label in zip(times, kls, labels):
        ax.semilogy(np.asarray(t, dtype=float) * factor, kl, label=label)
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=0.8, label=f"KL = {threshold:g}")
    if floor is not None:
        ax.axhline(floor, color="gray", ls=":", lw=0.8, label="finite-ensemble floor")
    ax.set_xlabel(f"time since start ({unit})")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_iat_histograms(iats, labels, axes=None, tau=None, bins=30):
    """Histograms of integrated autocorrelation times, one per sampler.

    Parameters
    ----------
    iats : sequence of array_like
        IATs (s), shown in ms or in units of ``tau``.
    labels : sequence of str
    axes : Axes, optional
    tau : float, optional
    bins : int

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(5, 4))
    factor, unit = _tau_axis(tau)
    for v, label in zip(iats, labels):
        ax.hist(np.asarray(v, dtype=float) * factor, bins=bins, alpha=0.6, label=label)
    ax.set_xlabel(f"IAT per latent ({unit})")
    ax.set_ylabel("number of latents")
    ax.legend(fontsize=7)
    return ax


def plot_sweep_map(values, x_values, y_values, axes=None, xlabel="", ylabel="", title="",
                   cmap="viridis", text_color="w", missing="broken", colorbar=True):
    """A parameter sweep as an annotated heat map.

    Parameters
    ----------
    values : array_like, shape (n_y, n_x)
        NaN where the setting failed (annotated ``missing``).
    x_values, y_values : sequence of float
        The swept values (tick labels).
    axes : Axes, optional
    xlabel, ylabel, title : str
    cmap : str
    text_color : str
    missing : str
    colorbar : bool

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(5, 4))
    values = np.asarray(values, dtype=float)
    im = ax.imshow(values, origin="lower", cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(x_values)), [f"{v:g}" for v in x_values])
    ax.set_yticks(range(len(y_values)), [f"{v:g}" for v in y_values])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            txt = missing if np.isnan(values[i, j]) else f"{values[i, j]:.3g}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=7, color=text_color)
    if colorbar:
        ax.figure.colorbar(im, ax=ax)
    return ax


def plot_adaptation_sweep(m, tau_a, speedup, variance_error, axes=None, tau=None):
    """The (m, tau_a) sweep of adaptation: IAT speed-up and variance error maps.

    Parameters
    ----------
    m : sequence of float
        Adaptation strengths (columns).
    tau_a : sequence of float
        Adaptation time constants (rows), in seconds (shown in units of
        ``tau``, or ms).
    speedup : array_like, shape (len(tau_a), len(m))
        IAT of plain Langevin over that of each setting (NaN: broken).
    variance_error : array_like, shape (len(tau_a), len(m))
        Worst stationary variance error (%) of each setting.
    axes : array of 2 Axes, optional
    tau : float, optional
        tau_x (s).

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 1, 2, figsize=(10, 4))
    factor, unit = _tau_axis(tau)
    rows = [float(v) * factor for v in tau_a]
    for ax, data, title, cmap, color in [
        (axes[0], speedup, "IAT speed-up over plain Langevin (x)", "viridis", "w"),
        (axes[1], variance_error, "worst stationary variance error (%)", "magma_r", "k"),
    ]:
        plot_sweep_map(data, m, rows, axes=ax, xlabel="adaptation strength m",
                       ylabel=f"tau_a ({unit})", title=title, cmap=cmap, text_color=color)
    return axes


def plot_v1_speedup(times, kls, iats, labels, axes=None, threshold=None, floor=None, tau=None):
    """Sampling speed on the V1 model: marginal KL against time, and per-latent IATs.

    Parameters
    ----------
    times, kls : sequence of array_like
        One KL curve (s, nats) per sampler (:func:`plot_kl_vs_time`).
    iats : sequence of array_like
        Per-latent IATs (s) of each sampler.
    labels : sequence of str
    axes : array of 2 Axes, optional
    threshold, floor : float, optional
    tau : float, optional
        tau_x (s): time axes in units of tau_x.

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 1, 2, figsize=(10, 4))
    plot_kl_vs_time(times, kls, labels, axes=axes[0], threshold=threshold, floor=floor,
                    tau=tau, ylabel="mean marginal KL to reference (nats)")
    plot_iat_histograms(iats, labels, axes=axes[1], tau=tau)
    axes[0].figure.suptitle("Trained V1 model, posterior for one whitened natural patch")
    return axes


def plot_posterior_accuracy(curves, dt, dt_kl, dt_cost, axes=None, floor=None, tau=None,
                            dt_title=""):
    """Sampling error against tau_eps/tau_x, interneuron count and dt.

    Parameters
    ----------
    curves : sequence of (str, str, array_like, array_like, array_like)
        One sweep each: label, line style, tau_eps/tau_x values, KL (nats),
        sampled/exact variance ratio.
    dt : array_like
        Steps of the dt sweep (s), shown in ms.
    dt_kl : array_like
        KL (nats) at each dt.
    dt_cost : array_like
        Simulated tau_x per wall-clock second at each dt.
    axes : array of 3 Axes, optional
    floor : float, optional
        Finite-sample KL floor (dotted line).
    tau : float, optional
        tau_x (s), named in the dt axis label.
    dt_title : str

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 1, 3, figsize=(14, 4))
    for label, ls, ratio, kl, var in curves:
        axes[0].loglog(ratio, kl, ls, marker="o", label=label)
        axes[1].semilogx(ratio, var, ls, marker="o", label=label)
    if floor is not None:
        axes[0].axhline(floor, color="gray", ls=":", label="finite-sample floor (upper estimate)")
    axes[0].set_xlabel("tau_eps / tau_x")
    axes[0].set_ylabel("KL(sampled || exact posterior) (nats)")
    axes[0].legend(fontsize=7)
    axes[1].axhline(1.0, color="k", lw=0.8)
    axes[1].set_xlabel("tau_eps / tau_x")
    axes[1].set_ylabel("sampled / exact variance (mean over directions)")
    axes[1].legend(fontsize=7)
    if len(dt):
        ax = axes[2]
        x = np.asarray(dt, dtype=float) * 1e3
        ax.loglog(x, dt_kl, "o-", label="KL (nats)")
        ax.set_xlabel("dt (ms)" + (f", tau_x = {tau * 1e3:g} ms" if tau else ""))
        ax.set_ylabel("KL (nats)")
        ax2 = ax.twinx()
        ax2.loglog(x, dt_cost, "s--", color="C3", label="simulated tau_x per wall second")
        ax2.set_ylabel("simulated tau_x per wall second", color="C3")
        ax.set_title(dt_title, fontsize=9)
        ax.legend(loc="upper left", fontsize=7)
        ax2.legend(loc="lower right", fontsize=7)
    return axes


def plot_reference_check(var_ratios, stiff_ratios, flat_ratios, labels, axes=None, band=0.05):
    """A sampler against reference samples: variance ratios per latent and per direction.

    Parameters
    ----------
    var_ratios : list of array_like, shape (d,)
        Sampled / reference variance of each latent, one array per sample set.
    stiff_ratios, flat_ratios : list of array_like
        Variance ratios along the stiffest and the flattest eigen-directions
        of the reference covariance (stiffest first, flattest last), as
        :func:`hee_brian.analysis.posterior.compare_to_reference` returns them.
    labels : list of str
    axes : array of 2 Axes, optional
    band : float
        Half-width of the shaded band around 1 (the accuracy asked for).

    Returns
    -------
    array of Axes
    """
    axs = _new_axes(axes, ncols=2, figsize=(13, 4.5))
    for v, s, f, label in zip(var_ratios, stiff_ratios, flat_ratios, labels):
        v = np.sort(np.asarray(v, dtype=float))
        line, = axs[0].plot(np.arange(1, v.size + 1), v, lw=1.2, label=label)
        s, f = np.asarray(s, float), np.asarray(f, float)
        axs[1].plot(np.arange(1, s.size + 1), s, "o-", color=line.get_color(), ms=4, label=label)
        axs[1].plot(np.arange(s.size + 2, s.size + f.size + 2), f, "s--",
                    color=line.get_color(), ms=4)
    for ax in axs:
        ax.axhspan(1 - band, 1 + band, color="0.9", zorder=0)
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.set_ylabel("sampled / reference variance")
    axs[0].set_xlabel("latent (sorted by ratio)")
    axs[0].set_title("per latent")
    axs[1].set_xlabel("eigen-direction: stiffest (o) ... flattest (s)")
    axs[1].set_title("along the reference covariance's eigenvectors")
    axs[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return axs
