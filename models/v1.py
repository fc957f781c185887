"""V1: a sparse HEE model of whitened natural image patches.

Layer 0 holds the pixels of an 8x8 whitened patch (Gaussian, sigma_0); layer
1 holds 96 sparse latents (1.5x overcomplete, smooth-Laplace prior), linear
phi.  Trained with the local plasticity on patches from the built-in photos
(:mod:`hee_brian.datasets.natural_images`), the columns of W become
localised, oriented, band-pass receptive fields (DESIGN.md section 8).

The time constants are chosen for speed on a CPU and checked against the
stiffness limits (measured settings, see the report of issue 3):

* dt = tau_x / 50; the pixel interneurons relax at 1/(sigma_0^2 tau_eps),
  so dt/(sigma_0^2 tau_eps) = 0.8 (< 1, the stiffness check); the top
  interneurons at (lam/delta) dt / tau_eps = 0.81;
* K = 1 interneuron per neuron: its noise inflates the posterior variance
  (partly offset by the noise budget) but leaves the mean of the learning
  signal x - eps unbiased, which is what the plasticity needs;
* lam = 1, delta = 0.25, s = 6: smooth-Laplace prior.

``build(variant="quick")`` is a 4x4-patch, 12-latent version for tests.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, ms

import hee_brian as hb
from hee_brian.errors import HEEParameterError

__all__ = ["VARIANTS", "TRAINING", "build", "training"]

#: Model parameters of each variant.
VARIANTS = {
    "default": dict(patch_size=8, n_latents=96, sigma0=0.5, lam=1.0, delta=0.25, s=6.0,
                    tau_x=10 * ms, tau_eps=1.0 * ms, dt=0.2 * ms, n_interneurons=1,
                    init_norm=0.3),
    "quick": dict(patch_size=4, n_latents=12, sigma0=0.5, lam=1.0, delta=0.25, s=6.0,
                  tau_x=10 * ms, tau_eps=1.0 * ms, dt=0.2 * ms, n_interneurons=1,
                  init_norm=0.3),
}

#: Training defaults per variant: ``HEEModel.learn`` keywords, and the data
#: (built-in photos downsampled 2x, whitened with roll-off f0 in
#: cycles/pixel, patches contrast-normalized with semi-saturation constant
#: ``normalize``).
TRAINING = {
    "default": dict(n_patches=60000, presentation=10 * ms, eta_w=0.5 * Hz, eta_b=0.0 * Hz,
                    chunk=4000, data_seed=0, downsample=2, f0=0.4, normalize=0.1),
    "quick": dict(n_patches=400, presentation=10 * ms, eta_w=0.5 * Hz, eta_b=0.0 * Hz,
                  chunk=200, data_seed=0, downsample=2, f0=0.4, normalize=0.1),
}


def _variant(variant):
    if variant not in VARIANTS:
        raise HEEParameterError(
            f"unknown v1 variant {variant!r}; choose one of {sorted(VARIANTS)}."
        )
    return VARIANTS[variant]


def training(variant="default"):
    """The training defaults of a variant (a fresh dict)."""
    _variant(variant)
    return dict(TRAINING[variant])


def build(variant="default", seed=1, **overrides):
    """The untrained V1 model, with a random initial dictionary.

    Parameters
    ----------
    variant : {"default", "quick"}
    seed : int
        Seed of the model (and of its initial weights).
    **overrides
        Keywords of :class:`hee_brian.HEEModel` (``device``, ``dt``,
        ``tau_eps``, ...) replacing the variant's values.

    Returns
    -------
    hee_brian.HEEModel
        Initial weights: random unit directions scaled to ``init_norm`` in
        mean space (W = D / sigma_0^2), biases zero.
    """
    p = _variant(variant)
    n0 = p["patch_size"] ** 2
    kw = dict(tau_x=p["tau_x"], tau_eps=p["tau_eps"], dt=p["dt"],
              n_interneurons=p["n_interneurons"], seed=seed, phi="linear")
    kw.update(overrides)
    model = hb.HEEModel(
        [hb.Layer(n0, "gaussian", sigma=p["sigma0"]),
         hb.Layer(p["n_latents"], "sparse", lam=p["lam"], delta=p["delta"], s=p["s"])],
        **kw,
    )
    rng = np.random.default_rng(model.seed)
    D = rng.standard_normal((n0, p["n_latents"]))
    D *= p["init_norm"] / np.linalg.norm(D, axis=0)
    model.set_weights(W=[D / p["sigma0"] ** 2])
    return model
