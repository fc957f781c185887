"""NumPy reference of the HEE equations (docs/model.md sections 2-4).

A hand-written Euler-Maruyama integration of exactly the dynamics that
``hee_brian.equations`` gives Brian2, in the same order within a time step
(summed inputs from the current state, then every population updated).
The tests compare the Brian2 networks against it statistically and the
benchmarks time it side by side with the Brian2 devices.  It can run ``B``
independent chains at once (vectorised), which makes exact-posterior checks
cheap.

It reads everything from an ``hee_brian.HEEModel`` so both sides integrate
the same model, but it uses only NumPy for the dynamics.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dger

__all__ = ["simulate", "gaussian_posterior"]


def gaussian_posterior(model, x0):
    """Exact posterior of a two-layer linear-Gaussian model given x0.

    For x1 ~ N(s1^2 b1, s1^2 I) and x0 | x1 ~ N(s0^2 (W x1 + b0), s0^2 I):
    precision P = I/s1^2 + s0^2 W^T W and mean P^-1 (b1 + W^T (x0 - s0^2 b0)).
    """
    s0 = model.layers[0].family.sigma
    s1 = model.layers[1].family.sigma
    W = model.weights[0]
    b0, b1 = model.biases
    P = np.eye(W.shape[1]) / s1**2 + s0**2 * W.T @ W
    cov = np.linalg.inv(P)
    mean = cov @ (b1 + W.T @ (np.asarray(x0) - s0**2 * b0))
    return mean, cov


def simulate(model, x0, n_steps, record_every=1, streams=1, seed=0, x_init=None,
             learn=False, eta_w=0.0, eta_b=0.0, stimuli=None, presentation_steps=None,
             blas_inplace=True, noise_budget=True):
    """Integrate the clamped HEE dynamics with NumPy.

    Parameters
    ----------
    model : hee_brian.HEEModel
        Supplies sizes, families, phi, time constants, K, adaptation, weights.
    x0 : ndarray (n_0,)
        Clamped observation (ignored if ``stimuli`` is given).
    n_steps : int
    record_every : int
        Steps between recorded samples.
    streams : int
        Independent streams (chains) simulated side by side (B).
    seed : int
    x_init : list of ndarray, optional
        Initial latent states per layer (default zeros).
    learn : bool
        Apply the local plasticity every step (rates eta_w, eta_b in Hz).
    stimuli : ndarray (n_patches, n_0) or (n_patches, streams, n_0), optional
        Patches shown in sequence, ``presentation_steps`` each.  A 3-D array
        gives every stream its own patch sequence and makes the streams share
        the weights, their plasticity summed, as in
        ``HEEModel.learn(streams=B)``; 2-D stimuli are shown to every
        stream and the streams' plasticity is averaged.
    blas_inplace : bool
        Update W with an in-place rank-1 BLAS call (scipy dger) instead of an
        outer product allocation — what a careful NumPy author would write.

    Returns
    -------
    dict
        ``x``: list of arrays (T, streams, n_l) for latent layers (index l),
        ``eps``: same for the interneuron means, ``t`` (s), and the final
        weights ``W`` and biases ``b`` when learning.
    """
    rng = np.random.default_rng(seed)
    state = _State(model, streams, x_init, noise_budget)
    if stimuli is None:
        stimuli = np.asarray(x0, dtype=float)[None, :]
        presentation_steps = n_steps
    stimuli = np.asarray(stimuli, dtype=float)
    per_stream = stimuli.ndim == 3
    if per_stream and stimuli.shape[1] != streams:
        raise ValueError(f"3-D stimuli need shape (n_patches, streams={streams}, n_0)")
    L, B = state.L, streams
    n_rec = n_steps // record_every
    out_x = [None] + [np.empty((n_rec, B, layer.n)) for layer in model.layers[1:]]
    out_e = [np.empty((n_rec, B, layer.n)) for layer in model.layers]
    r = 0
    for step in range(n_steps):
        row = stimuli[(step // presentation_steps) % len(stimuli)]
        state.x[0] = row if per_stream else np.broadcast_to(row, (B, model.layers[0].n))
        epsbar, phix, eta, err = state.drives()
        if step % record_every == 0 and r < n_rec:
            for l in range(1, L + 1):
                out_x[l][r] = state.x[l]
            for l in range(L + 1):
                out_e[l][r] = epsbar[l]
            r += 1
        state.langevin_step(rng, eta, err)
        if learn:
            state.plasticity_step(err, phix, eta_w, eta_b, per_stream, blas_inplace)
    res = {"x": out_x, "eps": out_e, "t": np.arange(n_rec) * record_every * state.dt}
    if learn:
        res["W"], res["b"] = state.W, state.b
    return res


class _State:
    """The state of B streams of the network and one explicit Euler step of it."""

    def __init__(self, model, B, x_init, noise_budget):
        layers = model.layers
        self.L = L = len(layers) - 1
        self.B = B
        self.fams = [layer.family for layer in layers]
        self.dt = dt = model.dt_s
        self.tx, self.te = model.tau_x_s, model.tau_eps_layers_s
        self.phi = model.phi_fn
        self.W = [w.copy() for w in model.weights]
        self.b = [v.copy() for v in model.biases]
        self.ad = ad = model.adaptation
        self.m = ad.m if ad is not None else 0.0
        self.ta = ad.tau_a_s if ad is not None else 1.0
        self.x = [None] + [
            np.zeros((B, layer.n)) if x_init is None
            else np.broadcast_to(x_init[l], (B, layer.n)).copy()
            for l, layer in enumerate(layers) if l >= 1
        ]
        self.a = [None] + [np.zeros((B, layer.n)) for layer in layers[1:]]
        self.eps = [np.zeros((B, model.n_interneurons, layer.n)) for layer in layers]
        budget = [None] + [np.asarray(v) for v in model.noise_budget()[1:]] if noise_budget \
            else [None] + [np.ones(layer.n) for layer in layers[1:]]
        self.sx = [None] + [np.sqrt(2 * dt * budget[l] / self.tx) for l in range(1, L + 1)]
        self.se = [np.sqrt(2 * dt / t) for t in self.te]
        self.sa = np.sqrt(2 * self.m * self.tx * dt) / self.ta \
            if ad is not None and ad.variant == "momentum" else 0.0
        self.closed = model.closed_form
        self.lm = model.integrator == "leimkuhler_matthews"
        self._last = {}

    def normal(self, rng, key, shape):
        """The noise of population ``key`` for this step.

        A standard normal draw, or, with Leimkuhler-Matthews, the mean of it
        and the population's last draw.
        """
        z = rng.standard_normal(shape)
        if not self.lm:
            return z
        last = self._last.get(key, np.zeros(shape))
        self._last[key] = z
        return 0.5 * (z + last)

    def drives(self):
        """epsbar, phi(x), eta and the prediction errors x - epsbar, per layer."""
        L, B, x = self.L, self.B, self.x
        phix = [None] + [self.phi.f(x[l]) for l in range(1, L + 1)]
        eta = [(phix[l + 1] @ self.W[l].T if l < L else np.zeros((B, 1))) + self.b[l]
               for l in range(L + 1)]
        # closed-form layers: A'(eta) of this step's eta (no interneurons)
        epsbar = [self.fams[l].mean(eta[l]) if self.closed[l]
                  else self.eps[l].mean(axis=1) for l in range(L + 1)]
        # hee_brian.equations.PRE_ERROR and POST_OUTPUT, in NumPy
        err = [x[l] - epsbar[l] for l in range(L + 1)]
        return epsbar, phix, eta, err

    def langevin_step(self, rng, eta, err):
        """Interneurons, then adaptation and neurons, layer by layer (one Euler step)."""
        L, dt, fams, x, a = self.L, self.dt, self.fams, self.x, self.a
        for l in range(L + 1):
            if self.closed[l]:
                continue
            self.eps[l] += dt / self.te[l] * (eta[l][:, None, :] - fams[l].gprime(self.eps[l])) \
                + self.se[l] * self.normal(rng, ("eps", l), self.eps[l].shape)
            # a bounded family's states are reflected at its walls (hee_brian.stateupdater)
            self.eps[l] = fams[l].reflect(self.eps[l])
        for l in range(1, L + 1):
            I = self.phi.df(x[l]) * (err[l - 1] @ self.W[l - 1]) + eta[l] - fams[l].gprime(x[l])
            if self.ad is not None:
                if self.ad.variant == "momentum":
                    da = dt / self.ta * (-a[l] - self.m * I) \
                        + self.sa * self.normal(rng, ("a", l), a[l].shape)
                else:
                    da = dt / self.ta * (-a[l] + self.m * fams[l].gprime(x[l]))
            x[l] = fams[l].reflect(x[l] + dt / self.tx * (I - a[l])
                                   + self.sx[l] * self.normal(rng, ("x", l), x[l].shape))
            if self.ad is not None:
                a[l] = a[l] + da

    def plasticity_step(self, err, phix, eta_w, eta_b, per_stream, blas_inplace):
        """The local plasticity of W and b.

        Summed over streams with their own patches, averaged over streams
        that share one.
        """
        dt, W = self.dt, self.W
        for l in range(1, self.L + 1):
            if per_stream:
                W[l - 1] += dt * eta_w * err[l - 1].T @ phix[l]
            elif blas_inplace and self.B == 1:
                # W is C-ordered: update its Fortran-ordered transpose, or
                # f2py silently updates (and returns) a copy instead
                dger(dt * eta_w, phix[l][0], err[l - 1][0], a=W[l - 1].T, overwrite_a=1)
            else:
                W[l - 1] += dt * eta_w * err[l - 1].T @ phix[l] / self.B
        for l in range(self.L + 1):
            self.b[l] += dt * eta_b * (err[l].sum(axis=0) if per_stream else err[l].mean(axis=0))
