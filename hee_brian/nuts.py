"""The exact posterior of a model for a clamped observation, sampled with NUTS.

A reference to hold the network's samples against (docs/sampling.md): the
log posterior of the latents given layer 0 is written from the model's own
families, nonlinearity, weights and biases,

    log p(x_1..L | x_0) = sum_{l<L} [eta_l . x_l - sum g_l(x_l) - sum A_l(eta_l)]
                          + b_L . x_L - sum g_L(x_L) + const,
    eta_l = W_l phi(x_{l+1}) + b_l,

and sampled by numpyro's No-U-Turn sampler with a dense mass matrix, in
double precision, chains run one after another (same seed, same draws).
``A_l`` is needed for every layer that has a parent and is not the top:
Gaussian layers have it in closed form; for the others (a non-Gaussian
middle layer, whose A'(eta) the network's interneurons sample) it is
tabulated by quadrature and interpolated
(:meth:`~hee_brian.families.ExponentialFamily.tabulated_log_partition`,
error below 1e-7 nats per latent).

numpyro (and JAX) are an optional dependency: ``pip install hee-brian[nuts]``.
"""
from __future__ import annotations

import time

import numpy as np

from .errors import HEEParameterError, import_optional

__all__ = ["log_posterior", "nuts_posterior"]


def _jax():
    jax, jnp, _ = import_optional(
        ("jax", "jax.numpy", "numpyro"),
        "the NUTS reference needs numpyro and JAX: pip install 'hee-brian[nuts]' "
        "(or pip install numpyro)")
    # the reference is compared with float64 networks
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def log_posterior(model, x0, xp=np):
    """The log posterior of the latents given x0 (up to a constant), of the stacked latents.

    Parameters
    ----------
    model : hee_brian.HEEModel
        Supplies layers (families), phi, weights and biases.
    x0 : array_like (n_0,)
        The clamped observation.
    xp : module
        The array module the function computes with (``jax.numpy`` to
        differentiate it; JAX is then switched to float64).

    Returns
    -------
    callable
        ``f(z)`` for ``z`` of shape (sum of latent sizes,), layer 1 first.
    """
    if xp is not np:
        _jax()  # JAX in float64, like the networks it is compared with
    layers = model.layers
    L = len(layers) - 1
    log_partition = [
        layer.family.log_partition if layer.family.log_partition(0.0) is not None
        else layer.family.tabulated_log_partition()
        for layer in layers[:L]
    ]
    x0 = np.asarray(x0, dtype=float)
    if x0.shape != (layers[0].n,):
        raise HEEParameterError(f"x0 must have shape ({layers[0].n},), got {x0.shape}.")
    W = [xp.asarray(w) for w in model.weights]
    b = [xp.asarray(v) for v in model.biases]
    fams = [layer.family for layer in layers]
    phi = model.phi_fn.f
    sizes = [layer.n for layer in layers[1:]]
    edges = np.cumsum([0] + sizes)
    x0 = xp.asarray(x0)

    def f(z):
        xs = [x0] + [z[edges[k]:edges[k + 1]] for k in range(L)]
        total = xp.dot(b[L], xs[L]) - xp.sum(fams[L].g(xs[L], xp=xp))
        for l in range(L):
            eta = W[l] @ phi(xs[l + 1], xp=xp) + b[l]
            total = total + xp.dot(eta, xs[l]) - xp.sum(log_partition[l](eta, xp=xp))
            if l > 0:
                total = total - xp.sum(fams[l].g(xs[l], xp=xp))
        return total

    return f


def nuts_posterior(model, x0, draws=6000, warmup=2000, chains=4, seed=0, dense_mass=True,
                   init=None):
    """Samples of the exact posterior of a model's latents given x0, by NUTS.

    Parameters
    ----------
    model : hee_brian.HEEModel
    x0 : array_like (n_0,)
    draws, warmup, chains : int
        Kept draws and adaptation steps per chain.
    seed : int
    dense_mass : bool
        Adapt a dense mass matrix (the posterior of an overcomplete code is
        strongly correlated; a diagonal one mixes far more slowly).
    init : array_like (chains, d) or (d,), optional
        Starting points (default: 0 plus a little noise).

    Returns
    -------
    dict
        ``x``: list, per latent layer l (index l), of arrays (draws, chains,
        n_l); ``rhat`` and ``ess`` per latent (numpyro's split R-hat and
        effective sample size, all layers stacked); ``divergences``;
        ``wall_s``.
    """
    jax, jnp = _jax()
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
    from numpyro.infer import MCMC, NUTS

    for name, value in (("draws", draws), ("warmup", warmup), ("chains", chains)):
        if int(value) != value or value < 1:
            raise HEEParameterError(f"{name} must be a positive integer, got {value!r}.")
    logp = log_posterior(model, x0, xp=jnp)
    sizes = [layer.n for layer in model.layers[1:]]
    d = sum(sizes)
    if init is None:
        init = 0.01 * np.random.default_rng(seed).standard_normal((chains, d))
    init = np.broadcast_to(np.asarray(init, dtype=float), (chains, d)).copy()
    kernel = NUTS(potential_fn=lambda z: -logp(z), dense_mass=dense_mass)
    mcmc = MCMC(kernel, num_warmup=int(warmup), num_samples=int(draws), num_chains=int(chains),
                chain_method="sequential", progress_bar=False)
    t0 = time.perf_counter()
    mcmc.run(jax.random.PRNGKey(int(seed)), init_params=jnp.asarray(init),
             extra_fields=("diverging",))
    z = np.asarray(mcmc.get_samples(group_by_chain=True))  # (chains, draws, d)
    wall = time.perf_counter() - t0
    diverging = np.asarray(mcmc.get_extra_fields()["diverging"])
    samples = np.transpose(z, (1, 0, 2))  # (draws, chains, d), the convention of analysis
    edges = np.cumsum([0] + sizes)
    return {
        "x": [None] + [samples[:, :, edges[k]:edges[k + 1]] for k in range(len(sizes))],
        "rhat": np.asarray(split_gelman_rubin(z)),
        "ess": np.asarray(effective_sample_size(z)),
        "divergences": int(diverging.sum()),
        "wall_s": wall,
    }
