"""Linear-Gaussian HEE models with exact posteriors, for measuring the sampler.

Two layers, both Gaussian, linear phi: x1 ~ N(s1^2 b1, s1^2 I) and
x0 | x1 ~ N(s0^2 (W x1 + b0), s0^2 I).  The posterior given x0 is Gaussian
with precision I/s1^2 + s0^2 W^T W (``benchmarks/numpy_reference.py``,
``gaussian_posterior``), so every sampling error can be measured exactly.

* :func:`build` — the 16-pixel, 8-latent model of docs/model.md section 2
  (sigma_0 = 0.5, a random dictionary with unit-norm columns);
* :func:`build_ill_conditioned` — a 2-latent posterior with precisions
  1 and 0.01 along (1, 1)/sqrt(2) and (1, -1)/sqrt(2) (docs/model.md section 4).

Both take ``copies``: B independent copies of the model side by side in
one network (block-diagonal weights, one clamped patch per copy), so one
run of one compiled binary gives B independent chains.  :func:`split_copies`
turns a recorded layer back into (time, chain, neuron).
"""
from __future__ import annotations

import numpy as np
from brian2 import ms

import hee_brian as hb

__all__ = ["build", "build_ill_conditioned", "sample_image", "tile_stimulus", "split_copies"]


def _block_diag(block, copies):
    n0, n1 = block.shape
    W = np.zeros((n0 * copies, n1 * copies))
    for c in range(copies):
        W[c * n0:(c + 1) * n0, c * n1:(c + 1) * n1] = block
    return W


def build(n_obs=16, n_latent=8, sigma0=0.5, sigma1=1.0, copies=1, weight_seed=0,
          column_norm=1.0, **overrides):
    """The linear-Gaussian model of docs/model.md section 2, with weights set.

    Parameters
    ----------
    n_obs, n_latent : int
        Pixels and latents of one copy.
    sigma0, sigma1 : float
        Conditional standard deviations of the pixels and the latents' prior.
    copies : int
        Independent copies in one network (block-diagonal weights).
    weight_seed : int
        Seed of the dictionary D (columns of length ``column_norm``,
        W = D / sigma0^2).
    column_norm : float
        Length of each dictionary column in pixel units (larger: a more
        precise likelihood, a stiffer posterior).
    **overrides
        Keywords of :class:`hee_brian.HEEModel` (device, seed, tau_eps, dt, ...).

    Returns
    -------
    hee_brian.HEEModel
    """
    rng = np.random.default_rng(weight_seed)
    D = rng.standard_normal((n_obs, n_latent))
    D *= column_norm / np.linalg.norm(D, axis=0)
    kw = dict(phi="linear", tau_x=10 * ms)
    kw.update(overrides)
    model = hb.HEEModel(
        [hb.Layer(n_obs * copies, "gaussian", sigma=sigma0),
         hb.Layer(n_latent * copies, "gaussian", sigma=sigma1)],
        **kw,
    )
    model.set_weights(W=[_block_diag(D / sigma0**2, copies)])
    return model


def build_ill_conditioned(precisions=(1.0, 0.01), copies=1, slow_offset=3.0,
                          fast_offset=2.0, **overrides):
    """A 2-latent linear-Gaussian posterior with very different precisions.

    One pixel (sigma0 = 1) sees the latents through u = (1, 1)/sqrt(2); the
    prior (sigma1 = 1/sqrt(p_slow)) is all there is along v = (1, -1)/sqrt(2).
    The posterior precision is p_fast along u and p_slow along v.  The biases
    put the posterior mean ``slow_offset`` standard deviations along v and
    the clamped pixel (see :func:`tile_stimulus`) ``fast_offset`` along u, so
    chains started at 0 start far from the posterior.

    Returns
    -------
    model : hee_brian.HEEModel
    x0 : ndarray
        The clamped pixels (one per copy).
    """
    p_fast, p_slow = float(precisions[0]), float(precisions[1])
    if not p_fast > p_slow > 0:
        raise hb.HEEParameterError(
            f"precisions must be (fast, slow) with fast > slow > 0, got {precisions!r}."
        )
    u = np.array([1.0, 1.0]) / np.sqrt(2)
    v = np.array([1.0, -1.0]) / np.sqrt(2)
    c = np.sqrt(p_fast - p_slow)  # sigma0 = 1: likelihood precision c^2 u u^T
    kw = dict(phi="linear", tau_x=10 * ms)
    kw.update(overrides)
    model = hb.HEEModel(
        [hb.Layer(copies, "gaussian", sigma=1.0),
         hb.Layer(2 * copies, "gaussian", sigma=1.0 / np.sqrt(p_slow))],
        **kw,
    )
    # mean = P^-1 (b1 + W^T x0): along v, b1 alone; along u, the pixel
    b1 = np.tile(p_slow * slow_offset / np.sqrt(p_slow) * v, copies)
    model.set_weights(W=[_block_diag(c * u[None, :], copies)],
                      b=[np.zeros(copies), b1])
    x0 = np.full(copies, fast_offset * np.sqrt(p_fast) / c)
    return model, x0


def sample_image(model, seed=0):
    """An image drawn from the model itself: x1 from its prior, x0 given x1.

    For a single copy of :func:`build` (two Gaussian layers).
    """
    rng = np.random.default_rng(seed)
    s0, s1 = model.layers[0].family.sigma, model.layers[1].family.sigma
    b0, b1 = model.biases
    x1 = s1**2 * b1 + s1 * rng.standard_normal(model.layers[1].n)
    return s0**2 * (model.weights[0] @ x1 + b0) + s0 * rng.standard_normal(model.layers[0].n)


def tile_stimulus(x0, copies):
    """The clamped pixels of ``copies`` copies all showing patch ``x0``."""
    return np.tile(np.asarray(x0, dtype=float), copies)


def split_copies(trace, copies):
    """(time, copies * n) recorded layer -> (time, copies, n): one chain per copy."""
    trace = np.asarray(trace)
    return trace.reshape(trace.shape[0], copies, trace.shape[1] // copies)


def momentum_iat(precision, m=0.0, tau_a=1.0):
    """Exact IAT and variance of one posterior direction under the momentum sampler.

    Continuous time, no interneuron noise: for a direction y of posterior
    precision k, tau_x dy/dt = -k y - a + sqrt(2 tau_x) xi and
    tau_a da/dt = -a + m k y + sqrt(2 m tau_x) xi_a (docs/model.md section 4).
    The pair is a linear SDE dz = -A z dt + noise; its stationary covariance
    S solves A S + S A^T = D, and the integral of the autocovariance is
    A^-1 S, so IAT = 2 (A^-1 S)_yy / S_yy.

    Parameters
    ----------
    precision : float
        k, the posterior precision of the direction.
    m : float
        Adaptation strength (0: plain Langevin, IAT = 2 / k).
    tau_a : float
        Adaptation time constant in units of tau_x.

    Returns
    -------
    iat : float
        Integrated autocorrelation time in units of tau_x.
    variance : float
        Stationary variance of y (1 / k when the sampler is exact).
    """
    from scipy.linalg import solve_continuous_lyapunov

    k = float(precision)
    if m == 0:
        return 2.0 / k, 1.0 / k
    A = np.array([[k, 1.0], [-m * k / tau_a, 1.0 / tau_a]])
    D = np.diag([2.0, 2.0 * m / tau_a**2])
    S = solve_continuous_lyapunov(A, D)
    integral = np.linalg.solve(A, S)
    return float(2.0 * integral[0, 0] / S[0, 0]), float(S[0, 0])
