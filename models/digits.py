"""Hierarchical HEE model of 8x8 handwritten digits.

Three layers: 64 Gaussian pixels (centred and scaled by
:meth:`hee_brian.datasets.digits.Digits.encode`, so each pixel has about
unit variance) -> 64 sparse latents (the strokes) -> 32 sparse latents
(which strokes go together).  ``TRAINING`` holds the defaults
``simulations/generate_digits.py`` trains it with: a few minutes of
cpp_standalone on 2 cores.

>>> from hee_brian import models
>>> model = models.build("digits", device="runtime")
>>> model.sizes
[64, 64, 32]
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, ms

import hee_brian as hb

#: Defaults of the training run (HEEModel.learn keywords and data options).
TRAINING = {
    "source": "sklearn",
    "presentation": 20 * ms,
    "eta_w": 1.0 * Hz,
    "eta_b": 0.1 * Hz,
    "n_presentations": 8000,
    "chunk": 500,
    "init_scale": 0.05,
}

SIZES = (64, 64, 32)


def build(sizes=SIZES, sigma0=0.5, lam=1.0, delta=0.3, s=1.0, init_scale=None,
          **overrides):
    """The untrained digits model.

    Parameters
    ----------
    sizes : tuple of int
        Pixels, then latent layer sizes (two or three latent layers).
    sigma0 : float
        Standard deviation of the Gaussian pixel layer (encoded units).
    lam, delta, s : float
        Parameters of the sparse latent layers.  The confinement ``s = 1``
        matters: with a weak one (s = 3) the top layer drives the middle
        layer to large values and the local rule shrinks the pixel
        dictionary instead of growing it (column norms fell from 0.4 to
        0.25 over 2000 presentations; with s = 1 they grew to 0.8 in 3000).
    init_scale : float, optional
        Standard deviation of the random initial weights in mean space
        (default ``TRAINING["init_scale"]``); seeded by the model seed.
    **overrides
        Keywords of :class:`hee_brian.HEEModel` (device, seed, dt, phi...).
    """
    kw = {"phi": "linear", "tau_x": 10 * ms, "tau_eps": 0.25 * ms, "n_interneurons": 4,
          "dt": 0.05 * ms, "device": "cpp_standalone", "seed": 1}
    kw.update(overrides)
    layers = [hb.Layer(sizes[0], "gaussian", sigma=sigma0)]
    layers += [hb.Layer(n, "sparse", lam=lam, delta=delta, s=s) for n in sizes[1:]]
    model = hb.HEEModel(layers, **kw)
    scale = TRAINING["init_scale"] if init_scale is None else init_scale
    rng = np.random.default_rng(model.seed)
    # natural-parameter weights: W = D / sigma^2 for the Gaussian pixel layer
    W = [rng.normal(0, scale, (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    W[0] /= sigma0**2
    model.set_weights(W=W)
    return model
