"""Demo: an 8x8-pixel HEE model with a hand-made Gabor dictionary.

Layer 0 holds 64 pixels (Gaussian, sigma_0 = 0.5); layer 1 holds 16 sparse
latents (smooth-Laplace prior), one per Gabor of 8 orientations x 2
phases, all centred on the patch.  Nothing is learned: the weights are set
so that a grating drives the latents whose Gabors match it, which makes
the model a quick way to see what the simulator records (rates, interneuron
estimates, Poisson spike trains) without training first.  Used by
``simulations/demo_traces.py``.
"""
from __future__ import annotations

import numpy as np
from brian2 import ms

import hee_brian as hb
from hee_brian.analysis.receptive_fields import gabor

__all__ = ["PATCH", "ORIENTATIONS", "PHASES", "build", "gabor_dictionary"]

PATCH = (8, 8)
ORIENTATIONS = np.arange(8) * np.pi / 8
PHASES = (0.0, np.pi / 2)
SIGMA0 = 0.5


def gabor_dictionary(freq=0.2, sigma=1.8):
    """Mean-space dictionary (64, 16): unit-norm Gabors, phase fastest."""
    cols = [gabor(PATCH, 3.5, 3.5, theta, freq, phase, sigma, sigma).ravel()
            for theta in ORIENTATIONS for phase in PHASES]
    D = np.array(cols).T
    return D / np.linalg.norm(D, axis=0)


def build(gain=2.0, **overrides):
    """The demo model with its Gabor weights set.

    Parameters
    ----------
    gain : float
        Length of each dictionary column in pixel units (W = gain D / sigma_0^2).
    **overrides
        Keywords of :class:`hee_brian.HEEModel` (``device``, ``seed``, ...).
    """
    kwds = dict(tau_x=10 * ms, seed=1)
    kwds.update(overrides)
    model = hb.HEEModel([hb.Layer(64, "gaussian", sigma=SIGMA0),
                         hb.Layer(16, "sparse", lam=1.0, delta=0.2, s=3.0)], **kwds)
    model.set_weights(W=[gain * gabor_dictionary() / SIGMA0**2])
    return model
