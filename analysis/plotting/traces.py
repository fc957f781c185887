"""Traces and spikes: states, rates, rasters, stimulus epochs.

See :mod:`hee_brian.analysis.plotting` for the conventions.
"""
from __future__ import annotations

import numpy as np

from ._base import _new_axes, _tau_axis

__all__ = [
    "plot_traces",
    "plot_rates",
    "plot_raster",
    "plot_psth",
    "shade_intervals",
    "plot_stimulus_sequence",
    "plot_sampling_traces",
    "plot_onset_traces",
]


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


def plot_psth(edges, rate, sem=None, axes=None, label=None, color=None):
    """A peri-stimulus time histogram: mean rate per bin (Hz) with +-1 s.e.m.

    Parameters
    ----------
    edges : array_like, shape (n_bins + 1,)
        Bin edges in seconds after trial onset (shown in ms).
    rate, sem : array_like, shape (n_bins,)
        Mean rate across trials and its standard error (Hz), e.g. from
        :func:`hee_brian.analysis.psth.psth`.
    axes : Axes, optional
    label, color : optional
        Legend label and colour of the histogram.

    Returns
    -------
    Axes
    """
    ax = _new_axes(axes)
    edges_ms = np.asarray(edges, dtype=float) * 1e3
    rate = np.asarray(rate, dtype=float)
    line = ax.stairs(rate, edges_ms, label=label, color=color, lw=1.5)
    if sem is not None:
        centres = 0.5 * (edges_ms[1:] + edges_ms[:-1])
        ax.errorbar(centres, rate, yerr=np.asarray(sem, dtype=float), fmt="none",
                    ecolor=line.get_edgecolor(), elinewidth=0.8, capsize=0)
    ax.set_xlabel("time after trial onset (ms)")
    ax.set_ylabel("rate (Hz), mean +- s.e.m.")
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
