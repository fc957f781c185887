"""Shared by the plotting modules: axes creation, tau_x axes, saving figures."""
from __future__ import annotations

import numpy as np

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
