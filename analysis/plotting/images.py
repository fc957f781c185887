"""Images: tiling, receptive-field and sample grids.

See :mod:`hee_brian.analysis.plotting` for the conventions.
"""
from __future__ import annotations

import numpy as np

from ._base import _new_axes

__all__ = [
    "tile_images",
    "plot_image_grid",
    "plot_receptive_fields",
    "plot_receptive_field_grids",
    "plot_sample_grids",
]


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
    from ..generation import plot_sample_grid

    axes = np.atleast_1d(_new_axes(axes, 1, len(samples), figsize=(3.2 * len(samples), 3.6)))
    for ax, x, title in zip(axes, samples, titles):
        plot_sample_grid(x, side, ax, title, ncols=ncols, nrows=nrows)
    axes[0].figure.colorbar(axes[0].images[-1], ax=axes, fraction=0.01, label=colorbar_label)
    return axes
