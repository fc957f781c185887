"""Fixtures shared by the hee_brian tests."""
import numpy as np
import pytest
from brian2 import Hz, ms

import hee_brian as hb
from hee_brian.analysis.receptive_fields import best_match_cosine


def _learn_dictionary(streams=1, device="cpp_standalone"):
    """The dictionary-recovery problem, learned with ``streams`` parallel streams.

    16 pixels, 8 sparse latents; data from the HEE generative model itself
    (smooth-Laplace latents, orthonormal dictionary, pixel noise sigma_0 =
    0.5).  Learning starts from random unit-norm columns and anneals the rate
    2 -> 2 -> 1 -> 0.5 Hz over 4 x 8000 presentations of 30 ms.

    Returns
    -------
    before, after : float
        Best-match cosine with the true dictionary at the start and the end.
    norms : ndarray
        Learned mean-space column norms (true: 1).
    """
    rng = np.random.default_rng(0)
    n0, n1, s0 = 16, 8, 0.5
    model = hb.HEEModel([hb.Layer(n0, "gaussian", sigma=s0),
                         hb.Layer(n1, "sparse", lam=1.0, delta=0.2, s=3.0)],
                        n_interneurons=1, seed=2, device=device)
    D = np.linalg.qr(rng.normal(size=(n0, n0)))[0][:, :n1]
    start = rng.normal(size=(n0, n1))
    start /= np.linalg.norm(start, axis=0)
    model.set_weights(W=[start / s0**2])
    before = best_match_cosine(D, start)
    for eta_w in (2, 2, 1, 0.5):
        z = model.layers[1].family.sample(0.0, (8000, n1), rng)
        data = z @ D.T + s0 * rng.normal(size=(8000, n0))
        model.learn(data, presentation=30 * ms, eta_w=eta_w * Hz, eta_b=0 * Hz,
                    chunk=4000, progress=False, streams=streams)
    after = best_match_cosine(D, model.weights[0])
    norms = np.linalg.norm(model.weights[0], axis=0) * s0**2
    return before, after, norms


@pytest.fixture
def learn_dictionary():
    """:func:`_learn_dictionary`, for the learning and streams tests."""
    return _learn_dictionary
