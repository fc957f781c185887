"""Figures from recorded arrays, in the style of brian2tools' plotting functions.

Every ``plot_*`` function takes plain NumPy arrays -- floats in SI units:
times in seconds, rates in Hz, dt in seconds -- draws on ``axes`` (a new
figure is made when it is None) and returns the matplotlib ``Axes`` it drew
on (or an array of them for a figure of several panels).  Nothing here
saves or shows a figure: :func:`save_figure` writes one to a file.  Axes are
labelled with their units; a quantity measured in units of the neuron time
constant tau_x is passed in seconds together with ``tau`` (tau_x in
seconds), and shown in units of tau_x.

Sections
--------
* images: :func:`tile_images` (the one image-tiling function),
  :func:`plot_image_grid`, :func:`plot_receptive_fields`,
  :func:`plot_receptive_field_grids`, :func:`plot_sample_grids`;
* traces and spikes: :func:`plot_traces`, :func:`plot_rates`,
  :func:`plot_raster`, :func:`plot_stimulus_sequence`,
  :func:`shade_intervals`, :func:`plot_sampling_traces`,
  :func:`plot_onset_traces`;
* posterior sampling: :func:`plot_posterior_comparison`,
  :func:`plot_autocorrelation`, :func:`plot_kl_vs_time`,
  :func:`plot_iat_histograms`, :func:`plot_sweep_map`,
  :func:`plot_adaptation_sweep`, :func:`plot_v1_speedup`,
  :func:`plot_posterior_accuracy`;
* V1 probes: :func:`plot_nx_ny`, :func:`plot_tuning_examples`,
  :func:`plot_cdf_comparison`, :func:`plot_tuning_distributions`,
  :func:`plot_fano_onset`, :func:`plot_variability_vs_contrast`,
  :func:`plot_variability`;
* learning: :func:`plot_learning_curves`.

The figures of the simulation scripts are each one call of these
functions; the tests draw each with small arrays
(``tests/analysis/test_plotting.py``).
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "save_figure",
    "tile_images",
    "plot_image_grid",
    "plot_receptive_fields",
    "plot_receptive_field_grids",
    "plot_sample_grids",
    "plot_traces",
    "plot_rates",
    "plot_raster",
    "plot_stimulus_sequence",
    "shade_intervals",
    "plot_sampling_traces",
    "plot_onset_traces",
    "plot_posterior_comparison",
    "plot_autocorrelation",
    "plot_kl_vs_time",
    "plot_iat_histograms",
    "plot_sweep_map",
    "plot_adaptation_sweep",
    "plot_v1_speedup",
    "plot_posterior_accuracy",
    "plot_nx_ny",
    "plot_tuning_examples",
    "plot_cdf_comparison",
    "plot_tuning_distributions",
    "plot_fano_onset",
    "plot_variability_vs_contrast",
    "plot_variability",
    "plot_learning_curves",
]


def _plt():
    import matplotlib.pyplot as plt

    return plt


def _new_axes(axes, nrows=1, ncols=1, **subplots_kwds):
    """``axes`` as given, or those of a new figure (an Axes, or an array of them)."""
    if axes is not None:
        return axes
    _, axes = _plt().subplots(nrows, ncols, **subplots_kwds)
    return axes


def _tau_axis(tau, name="tau_x"):
    """Scale and unit label of a time axis: ms, or units of ``tau`` (s)."""
    if tau is None:
        return 1e3, "ms"
    return 1.0 / float(tau), name


def save_figure(fig, path, dpi=120, tight_layout=True, close=True, **savefig_kwds):
    """Write a figure to ``path``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or Axes or array of Axes
        The figure, or axes on it (as the ``plot_*`` functions return).
    path : str or Path
    dpi : int
    tight_layout : bool
        Call ``fig.tight_layout()`` first.
    close : bool
        Close the figure afterwards (scripts draw many).
    **savefig_kwds
        Passed to ``Figure.savefig`` (e.g. ``bbox_inches="tight"``).

    Returns
    -------
    Path
    """
    from pathlib import Path

    if not hasattr(fig, "savefig"):
        fig = np.ravel(fig)[0].figure
    if tight_layout:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi, **savefig_kwds)
    if close:
        _plt().close(fig)
    return Path(path)


# ----------------------------------------------------------------------
# images

def tile_images(images, shape=None, ncols=None, nrows=None, pad=1, margin=0, scale=None,
                fill=np.nan):
    """Tile images into one 2-D array, row by row.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (n, h * w)
        The images (flat ones need ``shape``).
    shape : tuple of int, optional
        (h, w) of one image.
    ncols : int, optional
        Images per row (default ceil(sqrt(n))).
    nrows : int, optional
        Rows of the canvas (default: enough for all images).  Images beyond
        ``nrows * ncols`` are left out; empty places hold ``fill``.
    pad : int
        Pixels between neighbouring images.
    margin : int
        Pixels around the whole canvas.
    scale : {None, "max-abs"}
        ``"max-abs"`` divides each image by its largest absolute value (so
        it spans [-1, 1]; an all-zero image stays zero).
    fill : float
        Value of the gaps (NaN: drawn as the colormap's "bad" colour).

    Returns
    -------
    ndarray, shape (2 margin + nrows (h + pad) - pad, 2 margin + ncols (w + pad) - pad)
    """
    images = np.asarray(images, dtype=float)
    if shape is not None:
        images = images.reshape(len(images), *shape)
    if images.ndim != 3:
        raise ValueError(f"images must be (n, h, w), or (n, h*w) with shape=(h, w); got "
                         f"shape {images.shape}")
    if scale not in (None, "max-abs"):
        raise ValueError(f"scale must be None or 'max-abs', not {scale!r}")
    n, h, w = images.shape
    ncols = int(np.ceil(np.sqrt(n))) if ncols is None else int(ncols)
    nrows = int(np.ceil(n / ncols)) if nrows is None else int(nrows)
    canvas = np.full((2 * margin + nrows * (h + pad) - pad,
                      2 * margin + ncols * (w + pad) - pad), fill, dtype=float)
    for k in range(min(n, nrows * ncols)):
        r, c = divmod(k, ncols)
        img = images[k]
        if scale == "max-abs":
            img = img / (np.max(np.abs(img)) or 1.0)
        top, left = margin + r * (h + pad), margin + c * (w + pad)
        canvas[top:top + h, left:left + w] = img
    return canvas


def plot_image_grid(images, shape=None, axes=None, title=None, cmap="gray", vmin=None,
                    vmax=None, colorbar_label=None, **tile_kwds):
    """Draw images as one tiled grid (:func:`tile_images`), without ticks.

    Parameters
    ----------
    images : array_like, shape (n, h, w) or (n, h * w)
    shape : tuple of int, optional
        (h, w) of one image, for flat images.
    axes : Axes, optional
    title : str, optional
    cmap : str
    vmin, vmax : float, optional
        Intensity range of the colour map.
    colorbar_label : str, optional
        Add a colour bar with this label (the pixel values' meaning and unit).
    **tile_kwds
        ``ncols``, ``nrows``, ``pad``, ``margin``, ``scale`` of :func:`tile_images`.

    Returns
    -------
    Axes
        Its image is ``axes.images[-1]``.
    """
    ax = _new_axes(axes)
    canvas = tile_images(images, shape, **tile_kwds)
    im = ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    if colorbar_label:
        ax.figure.colorbar(im, ax=ax, label=colorbar_label)
    return ax


def plot_receptive_fields(fields, axes=None, title=None):
    """Receptive fields (or dictionary columns) as a grid, each scaled to +-max.

    About 1.5 times as many columns as rows; white is +max, black -max of
    each field, grey 0.

    Parameters
    ----------
    fields : array_like, shape (n, h, w)
    axes : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    fields = np.asarray(fields, dtype=float)
    ax = plot_image_grid(fields, axes=axes, title=title, cmap="gray", vmin=-1, vmax=1,
                         ncols=int(np.ceil(np.sqrt(len(fields) * 1.5))), margin=1,
                         scale="max-abs")
    ax.set_axis_off()
    return ax


def plot_receptive_field_grids(fields, titles, axes=None):
    """Several sets of receptive fields side by side (:func:`plot_receptive_fields`).

    Parameters
    ----------
    fields : sequence of array_like, each (n, h, w)
    titles : sequence of str
    axes : array of Axes, optional
        One per set.

    Returns
    -------
    ndarray of Axes
    """
    axes = np.atleast_1d(_new_axes(axes, 1, len(fields), figsize=(6.5 * len(fields), 5.5)))
    for ax, f, title in zip(axes, fields, titles):
        plot_receptive_fields(f, axes=ax, title=title)
    return axes


def plot_sample_grids(samples, side, titles, axes=None, ncols=10, nrows=10,
                      colorbar_label="pixel value"):
    """Grids of generated images, one panel per generator, on one [0, 1] scale.

    Parameters
    ----------
    samples : sequence of array_like, each (n, side * side)
        Pixels in [0, 1].
    side : int
        Image side in pixels.
    titles : sequence of str
    axes : array of Axes, optional
    ncols, nrows : int
        Images per grid (the first ``ncols * nrows`` samples are shown).
    colorbar_label : str
        Label of the shared colour bar (what a pixel value of 1 means).

    Returns
    -------
    ndarray of Axes
    """
    from .generation import plot_sample_grid

    axes = np.atleast_1d(_new_axes(axes, 1, len(samples), figsize=(3.2 * len(samples), 3.6)))
    for ax, x, title in zip(axes, samples, titles):
        plot_sample_grid(x, side, ax, title, ncols=ncols, nrows=nrows)
    axes[0].figure.colorbar(axes[0].images[-1], ax=axes, fraction=0.01, label=colorbar_label)
    return axes


# ----------------------------------------------------------------------
# traces and spikes

def plot_traces(t, values, axes=None, labels=None, ylabel="state x (a.u.)", lw=1.0, tau=None,
                **plot_kwds):
    """Traces against time.

    Parameters
    ----------
    t : array_like, shape (T,)
        Times in seconds, shown in ms (or in units of ``tau``).
    values : array_like, shape (T,) or (T, n)
        One trace per column.
    axes : Axes, optional
    labels : sequence of str, optional
        Legend labels, one per trace (the caller draws the legend).
    ylabel : str
        What the traces are, with their unit.
    lw : float
    tau : float, optional
        Show time in units of this (seconds), labelled tau_x.
    **plot_kwds
        Passed to ``Axes.plot``.

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes)
    factor, unit = _tau_axis(tau)
    t = np.asarray(t, dtype=float) * factor
    values = np.asarray(values, dtype=float)
    values = values[:, None] if values.ndim == 1 else values
    for k in range(values.shape[1]):
        label = None if labels is None else labels[k]
        ax.plot(t, values[:, k], lw=lw, label=label, **plot_kwds)
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel(ylabel)
    return ax


def plot_rates(t, rates, axes=None, labels=None, lw=1.0, **plot_kwds):
    """Firing-rate traces (Hz) against time (s, shown in ms); see :func:`plot_traces`."""
    return plot_traces(t, rates, axes=axes, labels=labels, ylabel="readout rate (Hz)", lw=lw,
                       **plot_kwds)


def plot_raster(t, i, axes=None, neurons=None, n=None, color="k", lw=1.0, height=0.8):
    """Spike raster: one row of ticks per neuron.

    Parameters
    ----------
    t : array_like
        Spike times in seconds (shown in ms).
    i : array_like of int
        Neuron index of each spike.
    axes : Axes, optional
    neurons : sequence of int, optional
        Draw only these neurons, one row each in this order, with their
        indices as tick labels.  Default: every neuron at the height of its
        index.
    n : int, optional
        Number of neurons (default: the largest index + 1), for the y range.
    color : str
    lw : float
    height : float
        Height of a tick, in rows.

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes)
    t = np.asarray(t, dtype=float)
    i = np.asarray(i, dtype=int)
    if neurons is None:
        from matplotlib.ticker import MaxNLocator

        rows = i
        n = int(i.max() + 1 if i.size else 0) if n is None else int(n)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        neurons = [int(j) for j in neurons]
        order = {j: r for r, j in enumerate(neurons)}
        keep = np.isin(i, neurons)
        t, rows = t[keep], np.array([order[j] for j in i[keep]], dtype=int)
        n = len(neurons)
        ax.set_yticks(np.arange(n), [str(j) for j in neurons])
    ax.vlines(t * 1e3, rows - height / 2, rows + height / 2, color=color, lw=lw)
    ax.set_ylim(-0.5, max(n, 1) - 0.5)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron index")
    return ax


def shade_intervals(axes, starts, stops, color="0.9", **span_kwds):
    """Shade time intervals (s, shown in ms) behind what is drawn.

    Parameters
    ----------
    axes : Axes or array of Axes
    starts, stops : array_like
        Interval edges in seconds.
    color : str
    **span_kwds
        Passed to ``Axes.axvspan``.

    Returns
    -------
    Axes or array of Axes
        ``axes``.
    """
    for ax in np.ravel(axes):
        for a, b in zip(np.ravel(starts), np.ravel(stops)):
            ax.axvspan(a * 1e3, b * 1e3, color=color, zorder=0, **span_kwds)
    return axes


def plot_stimulus_sequence(edges, labels, axes=None, alpha=0.25):
    """A band of coloured spans naming the stimulus shown at each time.

    Parameters
    ----------
    edges : array_like, shape (n + 1,)
        Start and end times (s) of the n stimuli, shown in ms.
    labels : sequence of str
        Name of each stimulus.
    axes : Axes, optional
    alpha : float

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(10, 1.5))
    edges = np.asarray(edges, dtype=float) * 1e3
    for k, label in enumerate(labels):
        ax.axvspan(edges[k], edges[k + 1], color=f"C{k}", alpha=alpha)
        ax.text((edges[k] + edges[k + 1]) / 2, 0.5, label, ha="center", va="center")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_yticks([])
    ax.set_xlabel("time (ms)")
    return ax


def plot_sampling_traces(t, x, rates, spike_t, spike_i, n_neurons, eps, stimulus_edges,
                         stimulus_labels, neurons, eps_label="interneuron mean",
                         stimulus_title="stimulus sequence", axes=None):
    """What a network seeing a stimulus sequence records, in five panels.

    Stimulus sequence; states x of some latents; their readout rates;
    the spike raster of all latents; one interneuron trace.

    Parameters
    ----------
    t : array_like, shape (T,)
        Sample times (s).
    x, rates : array_like, shape (T, n_neurons)
        Latent states (a.u.) and readout rates (Hz).
    spike_t, spike_i : array_like
        Spike times (s) and neuron indices of the latents.
    n_neurons : int
    eps : array_like, shape (T,)
        One interneuron trace (the mean of a neuron's interneurons, a.u.).
    stimulus_edges : array_like, shape (n_stim + 1,)
        Stimulus start and end times (s).
    stimulus_labels : sequence of str
    neurons : sequence of int
        Latents whose x and rate are drawn.
    eps_label : str
        Legend of the interneuron trace.
    stimulus_title : str
        Title of the stimulus panel.
    axes : array of 5 Axes, optional

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 5, 1, figsize=(10, 11), sharex=True,
                     gridspec_kw={"height_ratios": [0.6, 1, 1, 1.2, 0.8]})
    x = np.asarray(x, dtype=float)
    rates = np.asarray(rates, dtype=float)
    neurons = list(neurons)
    plot_stimulus_sequence(stimulus_edges, stimulus_labels, axes=axes[0])
    axes[0].set_title(stimulus_title)
    plot_traces(t, x[:, neurons], axes=axes[1], labels=[f"latent {j}" for j in neurons], lw=0.7)
    axes[1].legend(loc="upper right", fontsize=8, ncol=4)
    plot_rates(t, rates[:, neurons], axes=axes[2], lw=0.7)
    plot_raster(spike_t, spike_i, axes=axes[3], n=n_neurons)
    axes[3].set_ylabel("latent index")
    axes[3].set_title(f"Poisson spike trains of all {n_neurons} latents")
    plot_traces(t, eps, axes=axes[4], labels=[eps_label], ylabel="eps (a.u.)", lw=0.6)
    axes[4].legend(loc="upper right", fontsize=8)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return axes


def plot_onset_traces(t, x, spike_t, spike_i, neurons, presentation, n_show=8, axes=None):
    """States and spikes of a few latents over alternating blank / stimulus presentations.

    Parameters
    ----------
    t : array_like, shape (T,)
        Sample times (s).
    x : array_like, shape (T, n)
        Latent states (a.u.).
    spike_t, spike_i : array_like
        Spike times (s) and neuron indices.
    neurons : sequence of int
        The latents shown.
    presentation : float
        Time each stimulus is shown (s); odd presentations (stimulus on) are
        shaded.
    n_show : int
        Presentations shown.
    axes : array of 2 Axes, optional

    Returns
    -------
    ndarray of Axes
    """
    axes = _new_axes(axes, 2, 1, figsize=(10, 6), sharex=True)
    t = np.asarray(t, dtype=float)
    spike_t = np.asarray(spike_t, dtype=float)
    t_end = n_show * presentation
    sel = t < t_end
    neurons = list(neurons)
    plot_traces(t[sel], np.asarray(x)[sel][:, neurons], axes=axes[0],
                labels=[f"neuron {j}" for j in neurons])
    on = np.arange(1, n_show, 2)
    shade_intervals(axes, on * presentation, (on + 1) * presentation)
    axes[0].set_ylabel("latent state x (a.u.)")
    axes[0].set_xlabel("")
    axes[0].set_title("layer-1 neurons: blank, then a natural patch (shaded), alternating")
    axes[0].legend(fontsize=7, ncol=4)
    early = spike_t < t_end
    plot_raster(spike_t[early], np.asarray(spike_i)[early], axes=axes[1], neurons=neurons)
    axes[1].set_ylabel("neuron (Poisson spikes)")
    return axes


# ----------------------------------------------------------------------
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


def plot_autocorrelation(lags, acfs, labels=None, axes=None, tau=None):
    """Autocorrelation functions against lag.

    Parameters
    ----------
    lags : array_like, shape (n_lags,)
        Lags in seconds (shown in ms, or in units of ``tau``).
    acfs : sequence of array_like, each (n_lags,)
    labels : sequence of str, optional
    axes : Axes, optional
    tau : float, optional
        Show lags in units of this (s), labelled tau_x.

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(6, 4))
    factor, unit = _tau_axis(tau)
    lags = np.asarray(lags, dtype=float) * factor
    for k, acf in enumerate(acfs):
        ax.plot(lags[:len(acf)], acf, label=None if labels is None else labels[k])
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel(f"lag ({unit})")
    ax.set_ylabel("autocorrelation")
    if labels is not None:
        ax.legend(fontsize=8)
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


# ----------------------------------------------------------------------
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
                        reference_label="macaque V1", ks=None):
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
        KS similarity, shown as the title.

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
    if ks is not None:
        ax.set_title(f"KS similarity {ks:.2f}" if np.isfinite(ks) else "KS: n/a")
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
        values are the panel titles).
    axes : array of 4 Axes, optional

    Returns
    -------
    ndarray of Axes
    """
    from . import v1_data

    axes = _new_axes(axes, 1, 4, figsize=(16, 4))
    items = [("circular_variance", "circular variance", np.linspace(0, 1, 200)),
             ("orientation_bandwidth_deg", "orientation bandwidth (deg)", np.linspace(0, 90, 200)),
             ("sf_bandwidth_oct", "SF bandwidth (octaves)", np.linspace(0, 4, 200))]
    for ax, (key, label, grid) in zip(axes, items):
        plot_cdf_comparison(props[key], v1_data.reference_cdf(key), grid, axes=ax, xlabel=label,
                            ks=comparison[key]["ks_similarity"])
    ax = axes[3]
    psf = np.asarray(props["peak_sf"], dtype=float)
    psf = psf[np.isfinite(psf)]
    if psf.size:
        v = np.sort(np.log2(psf / np.median(psf)))
        ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", label="model")
        grid = np.linspace(-4, 4, 200)
        ax.plot(grid, v1_data.de_valois_log_sf_cdf()(grid), color="tab:orange",
                label="V1 (De Valois 1982)")
        ax.set_title(f"KS similarity {comparison['peak_sf_spread']['ks_similarity']:.2f}")
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


# ----------------------------------------------------------------------
# learning

def plot_learning_curves(x, ys, labels, axes=None, xlabel="patches presented", ylabel="",
                         ylim=None, title=None):
    """Curves of a quantity measured during learning, one per run.

    Parameters
    ----------
    x : sequence of array_like
        Abscissa of each curve (e.g. patches presented).
    ys : sequence of array_like
    labels : sequence of str
    axes : Axes, optional
    xlabel, ylabel : str
        With units.
    ylim : (float, float), optional
    title : str, optional

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes, figsize=(6, 4))
    for xx, yy, label in zip(x, ys, labels):
        ax.plot(xx, yy, "o-", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
