"""The HEE model: layers, interneurons, adaptation, and what you do with them.

:class:`HEEModel` holds the parameters and the weights (plain NumPy), checks
everything before a single Brian2 object is built, and runs inference,
learning and generation on the chosen device (:mod:`hee_brian.devices`).
The dynamics themselves are the equation strings of
:mod:`hee_brian.equations`; printing a model shows them.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Hz, Quantity, ms, second
from brian2.units.fundamentalunits import DimensionMismatchError, fail_for_dimension_mismatch

from .devices import get_backend
from .equations import (
    DIVERGENCE_BOUND,
    averaging_equations,
    interneuron_equations,
    latent_neuron_equations,
    observation_equations,
    projection_equations,
)
from .dense import DENSE_DEVICES, PROJECTIONS
from .errors import HEEParameterError, SimulationDiverged
from .families import ExponentialFamily, make_family
from .network import RunSpec, stimulus_rows
from .nonlinearities import get_phi, get_readout
from .recording import Recording, SpikeTrains

__all__ = ["Layer", "Adaptation", "HEEModel", "STABILITY_LIMIT"]

#: Largest allowed dt * (relaxation rate) of any population.  Euler-Maruyama
#: on a linear population is unstable at 2; half of that leaves room for
#: state-dependent stiffness and for the coupling between layers.
STABILITY_LIMIT = 1.0



def _as_time(value, name, allow_zero=False):
    """Check ``value`` is a Brian2 time quantity > 0 and return it in seconds."""
    if not isinstance(value, Quantity):
        raise HEEParameterError(
            f"{name} must be a Brian2 time quantity such as 10*ms, got {value!r}."
        )
    try:
        fail_for_dimension_mismatch(value, second)
    except DimensionMismatchError:
        raise HEEParameterError(
            f"{name} must have units of time (e.g. 10*ms), got {value!r}."
        ) from None
    v = float(value / second)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise HEEParameterError(
            f"{name} must be a positive finite time, got {value!r}; "
            "time constants and steps must be > 0."
        )
    return v


def _as_rate(value, name):
    if not isinstance(value, Quantity):
        raise HEEParameterError(f"{name} must be a rate such as 1*Hz, got {value!r}.")
    try:
        fail_for_dimension_mismatch(value, Hz)
    except DimensionMismatchError:
        raise HEEParameterError(f"{name} must have units of 1/time (Hz), got {value!r}.") from None
    v = float(value / Hz)
    if not math.isfinite(v) or v < 0:
        raise HEEParameterError(f"{name} must be a finite rate >= 0, got {value!r}.")
    return v


class Layer:
    """One layer of the HEE model: ``n`` neurons of one exponential family.

    Parameters
    ----------
    n : int
        Number of neurons.
    family : str or ExponentialFamily
        ``"gaussian"`` (parameter ``sigma``), ``"sparse"`` (``lam``,
        ``delta``, ``s``), ``"student_t"`` (``nu``, ``scale``, ``s``), or a
        family instance.
    **family_params
        Parameters of the family.

    Examples
    --------
    >>> Layer(16, "gaussian", sigma=0.5)
    Layer(16, gaussian(sigma=0.5))
    """

    def __init__(self, n, family="gaussian", **family_params):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise HEEParameterError(f"Layer n must be a positive integer, got {n!r}.")
        self.n = int(n)
        self.family: ExponentialFamily = make_family(family, **family_params)

    def __repr__(self):
        return f"Layer({self.n}, {self.family.describe()})"

    def to_dict(self):
        return {"n": self.n, "family": self.family.name, "params": self.family.params()}


class Adaptation:
    """Neural adaptation as momentum (DESIGN.md section 4).

    Parameters
    ----------
    m : float
        Adaptation strength (m = 0 is plain Langevin).
    tau_a : Quantity
        Adaptation time constant.
    variant : {"momentum", "activity"}
        ``momentum``: tau_a da/dt = -a - m I + sqrt(2 m tau_x) xi_a, exact for
        every m >= 0, tau_a > 0.  ``activity``: tau_a da/dt = -a + m g'(x),
        the classic activity-driven current without noise (biased; the bias
        is measured, not assumed away).
    """

    VARIANTS = ("momentum", "activity")

    def __init__(self, m, tau_a, variant="momentum"):
        if variant not in self.VARIANTS:
            raise HEEParameterError(
                f"Adaptation variant {variant!r} is unknown; choose one of {self.VARIANTS}."
            )
        if not isinstance(m, (int, float, np.floating, np.integer)) or not (
            math.isfinite(m) and m >= 0
        ):
            raise HEEParameterError(f"Adaptation m must be a finite number >= 0, got {m!r}.")
        self.m = float(m)
        self.tau_a_s = _as_time(tau_a, "Adaptation tau_a")
        self.tau_a = self.tau_a_s * second
        self.variant = variant

    def __repr__(self):
        return f"Adaptation(m={self.m:g}, tau_a={self.tau_a}, variant={self.variant!r})"

    def to_dict(self):
        return {"m": self.m, "tau_a": self.tau_a_s, "variant": self.variant}


@dataclass
class _Checkpoint:
    path: Path

    def load(self):
        with np.load(self.path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}


class HEEModel:
    """A hierarchical exponential-family energy-based model as Brian2 networks.

    Parameters
    ----------
    layers : list of Layer
        Bottom (observation, layer 0) first; at least one latent layer.
    phi : {"linear", "tanh", "softplus"}
        Output nonlinearity of latent neurons.
    tau_x : Quantity
        Time constant of the sampling neurons.
    tau_eps : Quantity or list of Quantity
        Time constant of the interneurons (much shorter than ``tau_x``).
    n_interneurons : int
        Interneurons per neuron, averaged (K).  Their fluctuation enters the
        neurons' input as extra noise that inflates the posterior variance
        by about (tau_eps/tau_x) x (likelihood precision) / K.
    adaptation : Adaptation, optional
        Adaptation current (None: plain Langevin).
    dt : Quantity
        Euler-Maruyama step; checked against every population's stiffness.
    device : str
        ``"cpp_standalone"`` (default), ``"cuda_standalone"``, ``"runtime"``,
        ``"numpy"`` or ``"cython"``.
    seed : int, optional
        Seed of every random number the model draws (None: a random seed,
        drawn once and kept in ``model.seed``).
    readout : str
        Rate nonlinearity of the Poisson spiking readout.
    rate_scale : Quantity
        Scale of the readout rate (Hz).
    threads : int
        OpenMP threads for cpp_standalone (0: none).
    noise_budget : bool
        Shrink each neuron's own noise by what the interneurons' lag and
        fluctuation add (see :meth:`noise_budget`).
    projection : {"auto", "dense", "synapses"}
        How a layer pair computes its sums and plasticity: ``"synapses"`` is
        the readable Brian2 ``Synapses`` reference; ``"dense"`` the fused
        pass of :mod:`hee_brian.dense` (cpp_standalone only, same results,
        faster); ``"auto"`` picks dense where it exists.
    float32 : bool
        Store the weights in single precision (dense projection only).

    Notes
    -----
    The defaults (tau_eps/tau_x = 0.025, K = 4, noise budget on, dt =
    tau_x/400) keep the sampled posterior of a 16-pixel, 8-latent
    linear-Gaussian model within KL 0.05 nats of the exact one; see
    ``simulations/posterior_accuracy.py`` for the trade-off with speed.
    """

    def __init__(
        self,
        layers,
        phi="linear",
        tau_x=10 * ms,
        tau_eps=0.25 * ms,
        n_interneurons=4,
        adaptation=None,
        dt=0.025 * ms,
        device="cpp_standalone",
        seed=None,
        readout="softplus",
        rate_scale=10 * Hz,
        threads=0,
        noise_budget=True,
        projection="auto",
        float32=False,
    ):
        if not isinstance(layers, (list, tuple)) or len(layers) < 2:
            raise HEEParameterError(
                "layers must be a list of at least two Layer objects (the "
                "observation layer first, then one or more latent layers)."
            )
        for k, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise HEEParameterError(
                    f"layers[{k}] is {layer!r}; build each with hee_brian.Layer(n, family, ...)."
                )
        self.layers = list(layers)
        self.phi = phi
        self.phi_fn = get_phi(phi)
        self.tau_x_s = _as_time(tau_x, "tau_x")
        # one time constant for every layer's interneurons, or one per layer
        if isinstance(tau_eps, (list, tuple)):
            if len(tau_eps) != len(self.layers):
                raise HEEParameterError(
                    f"tau_eps has {len(tau_eps)} entries but the model has "
                    f"{len(self.layers)} layers; give one time or one per layer."
                )
            self.tau_eps_layers_s = [_as_time(v, f"tau_eps[{l}]") for l, v in enumerate(tau_eps)]
        else:
            self.tau_eps_layers_s = [_as_time(tau_eps, "tau_eps")] * len(self.layers)
        self.dt_s = _as_time(dt, "dt")
        for l, te in enumerate(self.tau_eps_layers_s):
            if te > self.tau_x_s:
                raise HEEParameterError(
                    f"tau_eps = {te * 1e3:g} ms (layer {l}) is longer than tau_x = {tau_x}: "
                    "the interneurons must be faster than the neurons they serve; use "
                    "tau_eps <= tau_x (typically tau_x/20)."
                )
        if (
            not isinstance(n_interneurons, (int, np.integer))
            or isinstance(n_interneurons, bool)
            or n_interneurons < 1
        ):
            raise HEEParameterError(
                f"n_interneurons must be an integer >= 1, got {n_interneurons!r}."
            )
        self.n_interneurons = int(n_interneurons)
        if adaptation is not None and not isinstance(adaptation, Adaptation):
            raise HEEParameterError(
                f"adaptation must be None or hee_brian.Adaptation(m, tau_a), got {adaptation!r}."
            )
        self.adaptation = adaptation
        get_backend(device, threads)  # validates the device name
        self.device = device
        self.threads = int(threads)
        get_readout(readout)
        self.readout = readout
        self.rate_scale = _as_rate(rate_scale, "rate_scale") * Hz
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**31))
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise HEEParameterError(f"seed must be a non-negative integer or None, got {seed!r}.")
        self.seed = int(seed)
        self.use_noise_budget = bool(noise_budget)
        self._set_projection(projection, float32)
        self._runs = 0
        self._check_stiffness()
        self._W = [np.zeros((a.n, b.n)) for a, b in zip(self.layers[:-1], self.layers[1:])]
        self._b = [np.zeros(layer.n) for layer in self.layers]
        self.last_times = {}

    def _set_projection(self, projection, float32):
        """Choose the projection implementation (hee_brian.dense)."""
        if projection not in PROJECTIONS:
            raise HEEParameterError(
                f"projection must be one of {PROJECTIONS}, not {projection!r}."
            )
        if projection == "dense" and self.device not in DENSE_DEVICES:
            raise HEEParameterError(
                f"projection='dense' exists for devices {DENSE_DEVICES}, not "
                f"{self.device!r}; use projection='auto' or 'synapses'."
            )
        self.projection = projection  # as asked (config round-trips "auto")
        if projection == "auto":
            projection = "dense" if self.device in DENSE_DEVICES else "synapses"
        if float32 and projection != "dense":
            raise HEEParameterError(
                "float32=True needs the dense projection (projection='dense' on "
                f"{DENSE_DEVICES}); the Synapses path is float64 only."
            )
        self.projection_impl = projection
        self.float32 = bool(float32)

    # ------------------------------------------------------------------
    # quantities with units at the boundary
    tau_x = property(lambda self: self.tau_x_s * second)
    tau_eps_s = property(lambda self: self.tau_eps_layers_s[0],
                         doc="Interneuron time constant of layer 0 (s).")
    tau_eps = property(lambda self: self.tau_eps_s * second)

    def interneuron_tau(self, layer):
        """Time constant of ``layer``'s interneurons (Quantity)."""
        return self.tau_eps_layers_s[layer] * second
    dt = property(lambda self: self.dt_s * second)

    @property
    def sizes(self):
        """Number of neurons per layer, bottom first."""
        return [layer.n for layer in self.layers]

    # ------------------------------------------------------------------
    def _check_stiffness(self, W=None):
        """Refuse a dt that is too large for the stiffest population."""
        checks = []
        for l, layer in enumerate(self.layers):
            k = layer.family.stiffness()
            checks.append(
                (k / self.tau_eps_layers_s[l], f"the interneurons of layer {l} "
                 f"({layer.family.describe(mark_defaults=True)}, tau_eps = {self.tau_eps_layers_s[l] * 1e3:g} ms)")
            )
            checks.append(
                (k / self.tau_x_s, f"the neurons of layer {l} "
                 f"({layer.family.describe(mark_defaults=True)}, tau_x = {self.tau_x_s * 1e3:g} ms)")
            )
        if self.adaptation is not None:
            checks.append((1 / self.adaptation.tau_a_s, "the adaptation current (tau_a)"))
            checks.append(
                (self.adaptation.m / self.adaptation.tau_a_s,
                 f"the momentum coupling (m / tau_a = {self.adaptation.m:g} / "
                 f"{self.adaptation.tau_a_s * 1e3:g} ms)")
            )
        if W is not None:
            # A Gaussian layer below adds the likelihood curvature
            # sigma^2 W^T W to the neurons above it.
            for l in range(1, len(self.layers)):
                fam = self.layers[l - 1].family
                if hasattr(fam, "variance"):
                    curv = fam.variance() * np.linalg.norm(W[l - 1], 2) ** 2
                    checks.append(
                        ((curv + self.layers[l].family.stiffness()) / self.tau_x_s,
                         f"the neurons of layer {l} with their likelihood "
                         f"(sigma^2 ||W||^2 = {curv:.3g}, tau_x = {self.tau_x_s * 1e3:g} ms)")
                    )
        rate, who = max(checks, key=lambda c: c[0])
        if rate * self.dt_s > STABILITY_LIMIT:
            limit = STABILITY_LIMIT / rate
            raise HEEParameterError(
                f"dt = {self.dt_s * 1e3:g} ms is too large for {who}: its relaxation "
                f"rate is {rate / 1e3:.4g} /ms, so Euler-Maruyama needs "
                f"dt <= {limit * 1e3:.4g} ms. Choose dt <= {limit * 1e3:.3g}*ms, or "
                "make that population slower."
            )

    def set_weights(self, W=None, b=None):
        """Set the weights and/or biases (natural-parameter convention).

        Parameters
        ----------
        W : list of ndarray, optional
            ``W[l-1]`` of shape (n_{l-1}, n_l) for l = 1..L.  For a Gaussian
            layer below, a mean-space dictionary D corresponds to D / sigma^2.
        b : list of ndarray, optional
            ``b[l]`` of shape (n_l,) for l = 0..L.
        """
        if W is not None:
            if len(W) != len(self.layers) - 1:
                raise HEEParameterError(
                    f"W has {len(W)} matrices but the model has {len(self.layers) - 1} "
                    "layer pairs; give one (n_{l-1}, n_l) matrix per pair."
                )
            new_W = []
            for l, w in enumerate(W, start=1):
                w = np.array(w, dtype=float)
                want = (self.layers[l - 1].n, self.layers[l].n)
                if w.shape != want:
                    raise HEEParameterError(
                        f"W[{l - 1}] has shape {w.shape} but layers {l - 1} and {l} have "
                        f"{want[0]} and {want[1]} neurons: it must be {want} (rows: the "
                        "lower layer)."
                    )
                if not np.all(np.isfinite(w)):
                    raise HEEParameterError(f"W[{l - 1}] contains NaN or inf values.")
                new_W.append(w)
            self._check_stiffness(new_W)
            self._W = new_W
        if b is not None:
            if len(b) != len(self.layers):
                raise HEEParameterError(
                    f"b has {len(b)} vectors but the model has {len(self.layers)} layers."
                )
            new_b = []
            for l, v in enumerate(b):
                v = np.array(v, dtype=float).reshape(-1) if np.ndim(v) else np.full(
                    self.layers[l].n, float(v))
                if v.shape != (self.layers[l].n,):
                    raise HEEParameterError(
                        f"b[{l}] has {v.size} entries but layer {l} has "
                        f"{self.layers[l].n} neurons."
                    )
                if not np.all(np.isfinite(v)):
                    raise HEEParameterError(f"b[{l}] contains NaN or inf values.")
                new_b.append(v)
            self._b = new_b

    @property
    def weights(self):
        """Copies of the weight matrices, ``W[l-1]`` of shape (n_{l-1}, n_l)."""
        return [w.copy() for w in self._W]

    @property
    def biases(self):
        """Copies of the bias vectors, ``b[l]`` of shape (n_l,)."""
        return [v.copy() for v in self._b]

    def noise_budget(self, temperature=1.0):
        """Fraction of the neurons' own noise that keeps the posterior exact.

        The interneurons relax with a lag of about Var(x_{l-1}) tau_eps, which
        lowers the neurons' effective friction by tau_eps Var^2 W^T W, and
        their fluctuation adds noise of intensity 2 tau_eps Var^2 W^T W / K
        (low-frequency limit).  Fluctuation-dissipation then asks the
        neuron's own noise variance to shrink to

            budget_j = 1 - (tau_eps/tau_x) (1 + 1/(K T)) sum_i Var_i^2 W_ij^2,

        the diagonal of the exact matrix correction (the off-diagonal part
        would need correlated noise; it is left and is second order in
        tau_eps/tau_x).  Var_i is the conditional variance of the layer
        below (sigma^2 for a Gaussian layer; layers whose family has no fixed
        variance get no correction).

        Returns
        -------
        list
            ``[None, budget_1, ..., budget_L]`` (arrays of shape (n_l,)).
        """
        out = [None]
        if not self.use_noise_budget:
            return out + [np.ones(layer.n) for layer in self.layers[1:]]
        for l in range(1, len(self.layers)):
            ratio = self.tau_eps_layers_s[l - 1] / self.tau_x_s  # interneurons below
            fam = self.layers[l - 1].family
            if hasattr(fam, "variance"):
                s = fam.variance() ** 2 * np.sum(self._W[l - 1] ** 2, axis=0)
                out.append(1.0 - ratio * (1.0 + 1.0 / (self.n_interneurons * temperature)) * s)
            else:
                out.append(np.ones(self.layers[l].n))
        return out

    def effective_noise_budget(self, temperature=1.0):
        """:meth:`noise_budget`, floored at 0.05 with a warning.

        A budget near zero means the interneurons' lag and noise already
        exceed the neurons' own noise: the posterior will be too broad.
        """
        out = self.noise_budget(temperature)
        low = min(float(np.min(v)) for v in out[1:])
        if low < 0.05:
            warnings.warn(
                f"noise budget {low:.3g} < 0.05: tau_eps/tau_x = "
                f"{max(self.tau_eps_layers_s) / self.tau_x_s:.3g} is too large for these weights, so the "
                "sampled posterior is too broad; reduce tau_eps or increase n_interneurons.",
                stacklevel=3,
            )
        return [None] + [np.maximum(v, 0.05) for v in out[1:]]

    # ------------------------------------------------------------------
    def structure(self):
        """What shapes the generated code (parameter values are run-time)."""
        return {
            "sizes": self.sizes,
            "families": [layer.family.name for layer in self.layers],
            "phi": self.phi,
            "K": self.n_interneurons,
            "adaptation": None if self.adaptation is None else self.adaptation.variant,
            "readout": self.readout,
            "dt": self.dt_s,
            "projection": self.projection_impl,
            "float32": self.float32,
        }

    def config(self):
        """All parameters as a JSON-serialisable dict (weights excluded)."""
        return {
            "layers": [layer.to_dict() for layer in self.layers],
            "phi": self.phi,
            "tau_x": self.tau_x_s,
            "tau_eps": self.tau_eps_s if len(set(self.tau_eps_layers_s)) == 1
            else list(self.tau_eps_layers_s),
            "n_interneurons": self.n_interneurons,
            "adaptation": None if self.adaptation is None else self.adaptation.to_dict(),
            "dt": self.dt_s,
            "device": self.device,
            "seed": self.seed,
            "readout": self.readout,
            "rate_scale": float(self.rate_scale / Hz),
            "threads": self.threads,
            "noise_budget": self.use_noise_budget,
            "projection": self.projection,
            "float32": self.float32,
        }

    def equations(self):
        """The model's Brian2 equations, population by population, as text."""
        L = len(self.layers) - 1
        ad = None if self.adaptation is None else self.adaptation.variant
        parts = [
            f"# layer 0 neurons (n={self.layers[0].n}, "
            f"{self.layers[0].family.describe(mark_defaults=True)}), "
            "clamped during inference and learning",
            observation_equations(self.layers[0].family, clamped=True),
        ]
        for l in range(1, L + 1):
            parts += [
                f"# layer {l} neurons (n={self.layers[l].n}, "
                f"{self.layers[l].family.describe(mark_defaults=True)})",
                latent_neuron_equations(self.layers[l].family, self.phi_fn, top=l == L,
                                        adaptation=ad, readout=self.readout),
            ]
        for l in range(L + 1):
            parts += [
                f"# layer {l} interneurons (n={self.layers[l].n} x K={self.n_interneurons})",
                interneuron_equations(self.layers[l].family, top=l == L),
                f"# interneurons -> layer {l} neurons",
                averaging_equations(),
            ]
        for l in range(1, L + 1):
            parts += [
                f"# projection W[{l - 1}] between layer {l - 1} (pre) and layer {l} (post), "
                "with plasticity when learning",
                projection_equations(plastic=True),
            ]
        return "\n".join(parts)

    def _tau_eps_repr(self):
        if len(set(self.tau_eps_layers_s)) == 1:
            return str(self.tau_eps)
        return "[" + ", ".join(f"{v * 1e3:g}*ms" for v in self.tau_eps_layers_s) + "]"

    def __repr__(self):
        ad = repr(self.adaptation) if self.adaptation else "None"
        head = (
            f"HEEModel(layers={self.layers!r}, phi={self.phi!r}, tau_x={self.tau_x}, "
            f"tau_eps={self._tau_eps_repr()}, n_interneurons={self.n_interneurons}, "
            f"adaptation={ad}, dt={self.dt}, device={self.device!r}, seed={self.seed})"
        )
        return head

    def __str__(self):
        return repr(self) + "\n\n" + self.equations()

    # ------------------------------------------------------------------
    def _next_seed(self, seed):
        """A fresh, reproducible seed for each run unless one is given."""
        if seed is not None:
            return int(seed)
        s = np.random.SeedSequence([self.seed, self._runs]).generate_state(1)[0]
        self._runs += 1
        return int(s % (2**31))

    def _steps(self, value, name):
        t = _as_time(value, name)
        n = int(round(t / self.dt_s))
        if n < 1 or abs(n * self.dt_s - t) > 1e-6 * t + 1e-12:
            raise HEEParameterError(
                f"{name} = {value} must be a positive multiple of dt = {self.dt}."
            )
        return n

    def _check_stimuli(self, stimuli, name):
        arr = np.asarray(stimuli, dtype=float)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.layers[0].n:
            raise HEEParameterError(
                f"{name} must have shape (n_0,) or (n_patches, n_0) with "
                f"n_0 = {self.layers[0].n}, got {np.shape(stimuli)}."
            )
        if not np.all(np.isfinite(arr)):
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise HEEParameterError(
                f"{name} contains NaN or inf (first at index {tuple(int(k) for k in bad)}); clean "
                "the stimulus before presenting it."
            )
        return arr

    def _check_streams(self, streams):
        if not isinstance(streams, (int, np.integer)) or isinstance(streams, bool) or streams < 1:
            raise HEEParameterError(f"streams must be an integer >= 1, got {streams!r}.")
        return int(streams)

    def _run(self, spec, seed, **kwds):
        backend = get_backend(self.device, self.threads)
        built = backend.run(self, spec, seed, **kwds)
        self.last_times = dict(backend.times)
        return built

    def _final_state(self, built, spec):
        state = {}
        for l, group in enumerate(built.neurons):
            if l >= 1 or spec.mode != "clamped":
                state[("x", l)] = np.array(group.x[:], dtype=float)
            if l >= 1 and "a" in group.variables and self.adaptation is not None \
                    and spec.mode != "marginal":
                state[("a", l)] = np.array(group.a[:], dtype=float)
            if built.interneurons[l] is not None:
                state[("eps", l)] = np.array(built.interneurons[l].eps[:], dtype=float)
        return state

    def _check_finite(self, built, spec, state, extra=None):
        """Stop with the variable and time if anything left the finite range."""
        arrays = {f"{k[0]} of layer {k[1]}": v for k, v in state.items()}
        arrays.update(extra or {})
        bad = [name for name, v in arrays.items()
               if not np.all(np.isfinite(v)) or np.any(np.abs(v) > DIVERGENCE_BOUND)]
        if not bad:
            return
        t_bad = spec.n_steps * self.dt_s
        var = bad[0]
        # the neurons' own watch (hee_brian.equations.DIVERGENCE_WATCH): the
        # first step at which x left the finite range
        for l, group in enumerate(built.neurons):
            if "t_diverged" not in group.variables:
                continue
            t_div = np.asarray(group.t_diverged[:], dtype=float)
            t_div = t_div[t_div >= 0]
            if t_div.size and float(t_div.min()) < t_bad:
                t_bad, var = float(t_div.min()), f"x of layer {l}"
        for l, mon in built.state_monitors.items():
            for v in mon.record_variables:
                tr = np.asarray(getattr(mon, v))
                hit = ~np.isfinite(tr) | (np.abs(np.nan_to_num(tr, nan=np.inf)) > DIVERGENCE_BOUND)
                if hit.any():
                    k = int(np.argmax(hit.any(axis=0)))
                    t_k = float(mon.t[k] / second)
                    if t_k < t_bad:
                        t_bad, var = t_k, f"{v} of layer {l}"
        raise SimulationDiverged(var, t_bad, self.dt_s)

    # ------------------------------------------------------------------
    def infer(self, x0, duration, record_every=None, presentation=None, layers=None,
              spikes=True, record_adaptation=True, initial_state=None, seed=None, streams=1):
        """Sample the latents with layer 0 clamped to ``x0``.

        Parameters
        ----------
        x0 : ndarray, shape (n_0,) or (n_patches, n_0)
            The clamped image, or patches presented in sequence.
        duration : Quantity
            Simulated time.
        record_every : Quantity, optional
            Interval of the rate traces (default tau_x / 10).
        presentation : Quantity, optional
            Time each patch is shown (needed with several patches).
        layers : list of int, optional
            Layers to record (default all).
        spikes : bool
            Record the Poisson spiking readout of the latent layers.
        initial_state : dict, optional
            ``Recording.final_state`` of an earlier run, to continue a chain.
        seed : int, optional
            Seed of this run (default: derived from the model seed).
        streams : int
            Run B independent copies of the network side by side, patch
            ``p`` going to stream ``p % B``: with B
            patches, B posteriors are sampled at once.  Recorded neuron
            ``s*n_l + j`` is neuron j of stream s (likewise for spikes and
            ``final_state``).

        Returns
        -------
        Recording
        """
        stim = self._check_stimuli(x0, "x0")
        n_steps = self._steps(duration, "duration")
        B = self._check_streams(streams)
        if stim.shape[0] % B:
            raise HEEParameterError(
                f"x0 holds {stim.shape[0]} patches, which do not divide among streams = {B}; "
                "give a multiple of streams patches."
            )
        # row r of the stimulus holds patches r*B .. r*B + B - 1, stream-major
        stim = stim.reshape(stim.shape[0] // B, B * stim.shape[1])
        if stim.shape[0] > 1:
            if presentation is None:
                raise HEEParameterError(
                    "x0 holds several patches: give presentation=... (time per patch)."
                )
            pres = self._steps(presentation, "presentation")
        else:
            pres = 1  # one patch held for the whole run (TimedArray clamps past its end)
        if record_every is None:
            rec = max(1, int(round(self.tau_x_s / 10 / self.dt_s)))
        else:
            rec = self._steps(record_every, "record_every")
        layers = list(range(len(self.layers))) if layers is None else list(layers)
        for l in layers:
            if not 0 <= l < len(self.layers):
                raise HEEParameterError(f"layers: no layer {l} in a {len(self.layers)}-layer model.")
        record_vars = ("x", "epsbar", "a") if (record_adaptation and self.adaptation) else ("x", "epsbar")
        spec = RunSpec(mode="clamped", n_steps=n_steps, n_stimuli=stimulus_rows(stim.shape[0]),
                       presentation_steps=pres, record_steps=rec,
                       record_layers=tuple(layers), record_vars=record_vars, spikes=bool(spikes),
                       streams=B)
        state = self._initial_state(initial_state, B)
        seed = self._next_seed(seed)
        built = self._run(spec, seed, stimuli=stim, state=state)
        return self._recording(built, spec, seed)

    def _initial_state(self, initial_state, streams=1):
        if initial_state is None:
            return None
        state = {}
        for (name, l), v in initial_state.items():
            v = np.asarray(v, dtype=float)
            want = streams * self.layers[l].n * (self.n_interneurons if name == "eps" else 1)
            if v.shape != (want,):
                raise HEEParameterError(
                    f"initial_state[({name!r}, {l})] has shape {v.shape}, expected ({want},)."
                )
            state[(name, l)] = v
        return state

    def _recording(self, built, spec, seed, extra=None):
        state = self._final_state(built, spec)
        self._check_finite(built, spec, state, extra)
        L = len(self.layers) - 1
        x, eps, a, spk = [None] * (L + 1), [None] * (L + 1), [None] * (L + 1), [None] * (L + 1)
        t = np.zeros(0)
        for l, mon in built.state_monitors.items():
            t = np.asarray(mon.t / second)
            if "x" in mon.record_variables:
                x[l] = np.asarray(mon.x).T.copy()
            if "epsbar" in mon.record_variables:
                eps[l] = np.asarray(mon.epsbar).T.copy()
            if "a" in mon.record_variables:
                a[l] = np.asarray(mon.a).T.copy()
        for l, mon in built.spike_monitors.items():
            spk[l] = SpikeTrains(t=np.asarray(mon.t / second), i=np.array(mon.i[:]),
                                 n=spec.streams * self.layers[l].n)
        info = {"dt": self.dt_s, "seed": seed, "device": self.device, **self.last_times}
        return Recording(t=t, x=x, eps=eps, a=a, spikes=spk, final_state=state, info=info)

    # ------------------------------------------------------------------
    def learn(self, data, presentation=20 * ms, eta_w=0.5 * Hz, eta_b=0.1 * Hz,
              n_presentations=None, chunk=500, plasticity_dt=None, checkpoint=None,
              progress=True, seed=None, streams=1):
        """Learn with local plasticity while patches are presented in sequence.

        Inference and plasticity run concurrently (DESIGN.md section 3).  The
        patches are shown in chunks of ``chunk`` per simulation run; after
        each chunk the weights come back to the model, are checked, and (with
        ``checkpoint``) saved, so an interrupted run resumes where it stopped.

        Parameters
        ----------
        data : ndarray, shape (n_patches, n_0)
            Patches, shown in this order (cycled if ``n_presentations`` is
            larger).
        presentation : Quantity
            Time each patch is shown.
        eta_w, eta_b : Quantity
            Learning rates of the weights and biases (Hz).
        n_presentations : int, optional
            Total patches to show (default ``len(data)``), rounded up to a
            whole number of chunks.
        chunk : int
            Patches per simulation run (one compiled project serves all);
            with ``streams`` > 1, a multiple of ``streams``.
        plasticity_dt : Quantity, optional
            Step of the plasticity clock (default dt).
        checkpoint : str or Path, optional
            ``.npz`` file written atomically after every chunk; if it exists
            and was written for the same data, learning resumes from it.
        progress : bool
            Print patches done, rate and time left.
        seed : int, optional
        streams : int
            Number B of independent patch streams presented at once, each to
            its own copy of every layer, all sharing the weights: the
            plasticity adds the B local updates, so a patch moves W as much
            as in a single stream while B patches are shown per presentation
            time.  The dense projection shares W in its fused pass; the
            ``Synapses`` path (every other device, cuda_standalone included)
            keeps W once in a weight store that each stream's synapses read
            as a linked variable.  Patch ``p`` goes to stream
            ``p % B``.  A learned bias has one copy per stream within a
            chunk; the copies' changes are added after it.

        Returns
        -------
        dict
            History: patches done and the weight change per chunk.
        """
        data = self._check_stimuli(data, "data")
        pres = self._steps(presentation, "presentation")
        eta_w_v = _as_rate(eta_w, "eta_w")
        eta_b_v = _as_rate(eta_b, "eta_b")
        plast = 1 if plasticity_dt is None else self._steps(plasticity_dt, "plasticity_dt")
        if not isinstance(chunk, (int, np.integer)) or chunk < 1:
            raise HEEParameterError(f"chunk must be a positive integer, got {chunk!r}.")
        B = self._check_streams(streams)
        chunk = int(min(chunk, n_presentations or len(data)))
        if chunk % B:
            raise HEEParameterError(
                f"chunk = {chunk} patches does not divide among streams = {B}; "
                f"use a chunk that is a multiple of {B} (e.g. {B * max(1, chunk // B)})."
            )
        total = int(n_presentations or len(data))
        n_chunks = -(-total // chunk)
        fingerprint = hashlib.sha1(np.ascontiguousarray(data).tobytes()).hexdigest()
        base_seed = self._next_seed(seed)
        start, state, history = 0, None, {"patches": [], "dW": [], "wall_s": []}
        if checkpoint is not None:
            checkpoint = Path(checkpoint)
            if checkpoint.exists():
                start, state, history = self._resume(checkpoint, fingerprint, total, chunk, B)
                if progress:
                    print(f"resuming from {checkpoint}: {start * chunk}/{n_chunks * chunk} "
                          "patches done", file=sys.stderr, flush=True)
        rows = chunk // B  # presentations per chunk; each shows B patches side by side
        spec = RunSpec(mode="clamped", n_steps=rows * pres, learn=True,
                       n_stimuli=stimulus_rows(rows),
                       presentation_steps=pres, plasticity_steps=plast, streams=B,
                       learn_bias=eta_b_v > 0)
        t_start = time.perf_counter()
        for c in range(start, n_chunks):
            idx = np.arange(c * chunk, (c + 1) * chunk) % len(data)
            W_before = self._W
            # row r of the TimedArray holds patches r*B .. r*B + B - 1, stream-major
            stim = data[idx].reshape(rows, B * data.shape[1])
            built = self._run(spec, base_seed + c, stimuli=stim, state=state,
                              eta_w=eta_w_v * Hz, eta_b=eta_b_v * Hz)
            state = self._final_state(built, spec)
            W_new = [np.array(syn.w[:w.size], dtype=float).reshape(w.shape)
                     for syn, w in zip(built.projections, self._W)]
            # each stream's copy of a learned bias moved on its own: add the moves
            b_new = [b + (np.array(g.b[:], dtype=float).reshape(B, -1) - b).sum(axis=0)
                     for g, b in zip(built.neurons, self._b)]
            extra = {f"W[{l}]": w for l, w in enumerate(W_new)}
            extra.update({f"b[{l}]": v for l, v in enumerate(b_new)})
            try:
                self._check_finite(built, spec, state, extra)
            except SimulationDiverged as exc:
                exc.time += c * rows * pres * self.dt_s
                raise SimulationDiverged(exc.variable, exc.time, self.dt_s,
                                         "Weights were left as they were before the failing chunk.") from None
            self._W, self._b = W_new, b_new
            done = (c + 1) * chunk
            history["patches"].append(done)
            history["dW"].append(float(sum(np.linalg.norm(a - b) for a, b in zip(W_new, W_before))))
            history["wall_s"].append(time.perf_counter() - t_start)
            if checkpoint is not None:
                self._write_checkpoint(checkpoint, fingerprint, c + 1, state, history, total,
                                       chunk, B)
            if progress:
                elapsed = time.perf_counter() - t_start
                rate = (done - start * chunk) / elapsed
                left = (n_chunks * chunk - done) / rate if rate > 0 else float("nan")
                print(f"learn: {done}/{n_chunks * chunk} patches "
                      f"({100 * done / (n_chunks * chunk):.0f}%), {rate:.0f} patches/s, "
                      f"~{left:.0f} s left", file=sys.stderr, flush=True)
        return history

    def _write_checkpoint(self, path, fingerprint, next_chunk, state, history, total, chunk,
                          streams=1):
        arrays = {f"W_{l}": w for l, w in enumerate(self._W)}
        arrays.update({f"b_{l}": v for l, v in enumerate(self._b)})
        arrays.update({f"state_{k[0]}_{k[1]}": v for k, v in state.items()})
        meta = {"config": self.config(), "fingerprint": fingerprint, "next_chunk": next_chunk,
                "total": total, "chunk": chunk, "streams": streams, "history": history}
        arrays["meta"] = np.array(json.dumps(meta))
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)  # atomic: an interrupt leaves the old or the new file

    def _resume(self, path, fingerprint, total, chunk, streams=1):
        f = _Checkpoint(path).load()
        meta = json.loads(str(f["meta"]))
        if meta["fingerprint"] != fingerprint or meta["total"] != total or meta["chunk"] != chunk \
                or meta.get("streams", 1) != streams:
            raise HEEParameterError(
                f"checkpoint {path} was written for other data or another schedule "
                "(patches, n_presentations, chunk or streams differ); delete it or choose "
                "another checkpoint path."
            )
        self.set_weights(W=[f[f"W_{l}"] for l in range(len(self._W))],
                         b=[f[f"b_{l}"] for l in range(len(self._b))])
        state = {}
        for k in f:
            if k.startswith("state_"):
                _, name, l = k.split("_")
                state[(name, int(l))] = f[k]
        return meta["next_chunk"], state, meta["history"]

    # ------------------------------------------------------------------
    def generate(self, n, mode="marginal", burn_in=None, spacing=None, settle=None,
                 temperature=1.0, observation="sample", seed=None, return_recording=False):
        """Generate ``n`` observations (DESIGN.md section 5).

        Parameters
        ----------
        n : int
            Number of samples.
        mode : {"marginal", "joint"}
            ``joint``: layer 0 is released and all layers sample jointly, one
            sample every ``spacing`` after ``burn_in``.  ``marginal``
            (ancestral): each layer samples its conditional given the layer
            above, held fixed for ``settle``, from the top prior down to
            layer 0; one sample per cycle.
        burn_in, spacing, settle : Quantity, optional
            Defaults: 20 tau_x, 5 tau_x, 5 tau_x.  ``burn_in`` is discarded
            in both modes (marginal: rounded up to whole cycles, since the
            chains start at zero and the top layer keeps its state from
            cycle to cycle).  ``spacing``: time between kept samples (joint);
            in marginal mode one sample is kept every ceil(spacing / cycle)
            cycles, where a cycle is (L + 1) * ``settle``.
        temperature : float
            Noise temperature of the neurons (1: the model itself).
        observation : {"sample", "mean"}
            Return the sampled x_0 or its conditional mean A'(eta_0)
            (estimated by the interneurons when the family has no closed form).
        seed : int, optional
        return_recording : bool
            Also return the :class:`Recording` of the run.

        Returns
        -------
        ndarray, shape (n, n_0)
        """
        if mode not in ("marginal", "joint"):
            raise HEEParameterError(f"mode must be 'marginal' or 'joint', not {mode!r}.")
        if observation not in ("sample", "mean"):
            raise HEEParameterError(f"observation must be 'sample' or 'mean', not {observation!r}.")
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise HEEParameterError(f"n must be a positive integer, got {n!r}.")
        if not (isinstance(temperature, (int, float)) and math.isfinite(temperature)
                and temperature > 0):
            raise HEEParameterError(f"temperature must be a positive number, got {temperature!r}.")
        tau = self.tau_x
        L = len(self.layers) - 1
        seed = self._next_seed(seed)
        if mode == "joint":
            burn = self._steps(20 * tau if burn_in is None else burn_in, "burn_in")
            space = self._steps(5 * tau if spacing is None else spacing, "spacing")
            n_burn = -(-burn // space)
            # sample k of the monitor is the state after k * spacing
            spec = RunSpec(mode="joint", n_steps=(n_burn + n) * space + 1,
                           record_steps=space, record_layers=(0,),
                           record_vars=("x", "epsbar", "eta"))
            keep = slice(n_burn + 1, n_burn + n + 1)
        else:
            stage = self._steps(5 * tau if settle is None else settle, "settle")
            cycle = (L + 1) * stage
            burn = self._steps(20 * tau if burn_in is None else burn_in, "burn_in")
            every = 1 if spacing is None else -(-self._steps(spacing, "spacing") // cycle)
            n_burn = -(-burn // (every * cycle))  # in units of kept samples
            spec = RunSpec(mode="marginal", n_steps=(n_burn + n) * every * cycle + 1,
                           record_steps=every * cycle, record_layers=(0,),
                           record_vars=("x", "eta"), stage_steps=stage)
            keep = slice(n_burn + 1, n_burn + n + 1)
        built = self._run(spec, seed, temperature=temperature)
        rec = self._recording(built, spec, seed)
        if observation == "sample":
            samples = rec.x[0][keep]
        else:
            # the conditional mean A'(eta_0) of the observation layer
            eta0 = np.asarray(built.state_monitors[0].eta).T[keep]
            fam = self.layers[0].family
            samples = np.vectorize(fam.mean)(eta0) if not hasattr(fam, "variance") \
                else fam.mean(eta0)
        samples = np.array(samples, dtype=float)
        return (samples, rec) if return_recording else samples

    # ------------------------------------------------------------------
    def save(self, path):
        """Save parameters, weights and biases to ``path`` (``.npz``), atomically."""
        path = Path(path)
        arrays = {f"W_{l}": w for l, w in enumerate(self._W)}
        arrays.update({f"b_{l}": v for l, v in enumerate(self._b)})
        arrays["config"] = np.array(json.dumps(self.config()))
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path, **overrides):
        """Load a model written by :meth:`save` (``overrides`` replace config entries,
        e.g. ``device="runtime"``)."""
        with np.load(path, allow_pickle=False) as f:
            cfg = json.loads(str(f["config"]))
            W = [f[f"W_{l}"] for l in range(len(cfg["layers"]) - 1)]
            b = [f[f"b_{l}"] for l in range(len(cfg["layers"]))]
        model = cls.from_config(cfg, **overrides)
        model.set_weights(W=W, b=b)
        return model

    @classmethod
    def from_config(cls, cfg, **overrides):
        """Build a model from :meth:`config` output."""
        cfg = {**cfg, **overrides}
        layers = [Layer(d["n"], d["family"], **d["params"]) for d in cfg["layers"]]
        ad = cfg.get("adaptation")
        adaptation = None if ad is None else Adaptation(ad["m"], ad["tau_a"] * second,
                                                         ad["variant"])
        return cls(layers, phi=cfg["phi"], tau_x=cfg["tau_x"] * second,
                   tau_eps=[v * second for v in cfg["tau_eps"]]
                   if isinstance(cfg["tau_eps"], list) else cfg["tau_eps"] * second,
                   n_interneurons=cfg["n_interneurons"],
                   adaptation=adaptation, dt=cfg["dt"] * second, device=cfg["device"],
                   seed=cfg["seed"], readout=cfg["readout"],
                   rate_scale=cfg["rate_scale"] * Hz, threads=cfg.get("threads", 0),
                   noise_budget=cfg.get("noise_budget", True),
                   projection=cfg.get("projection", "auto"),
                   float32=cfg.get("float32", False))
