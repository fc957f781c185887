"""Learning curves.

See :mod:`hee_brian.analysis.plotting` for the conventions.
"""
from __future__ import annotations

from ._base import _new_axes

__all__ = [
    "plot_learning_curves",
]


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
