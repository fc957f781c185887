"""The HEE model: layers, interneurons, adaptation, and what you do with them.

:class:`HEEModel` holds the parameters and the weights (plain NumPy) and is
a thin facade over modules with one job each: input checks
(:mod:`~hee_brian.validation`), the dt check and the noise budget
(:mod:`~hee_brian.stability`), saving and checkpoints
(:mod:`~hee_brian.storage`), run plumbing (:mod:`~hee_brian.runs`), and the
devices (:mod:`~hee_brian.devices`).  The dynamics themselves are the
equation strings of :mod:`hee_brian.equations`; printing a model shows them.
"""
from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

import numpy as np
from brian2 import Hz, ms, second

from . import runs, stability, storage
from .dense import PROJECTIONS
from .devices import DEVICES, backend_class
from .equations import (
    averaging_equations,
    interneuron_equations,
    latent_neuron_equations,
    observation_equations,
    projection_equations,
)
from .errors import HEEParameterError, SimulationDiverged
from .layers import Adaptation, Layer
from .network import RunSpec, stimulus_rows
from .nonlinearities import get_phi, get_readout
from .stability import STABILITY_LIMIT
from .validation import as_positive_int, as_rate, as_steps, as_time, check_stimuli

__all__ = ["Layer", "Adaptation", "HEEModel", "LearningHistory", "STABILITY_LIMIT"]


class LearningHistory(dict):
    """What :meth:`HEEModel.learn` did, chunk by chunk.

    A dict with the lists ``patches`` (patches shown after each chunk),
    ``dW`` (Frobenius norm of the weight change in that chunk) and
    ``wall_s`` (wall-clock seconds since learning started), also readable
    as attributes.
    """

    patches = property(lambda self: self["patches"])
    dW = property(lambda self: self["dW"])
    wall_s = property(lambda self: self["wall_s"])


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
    linear-Gaussian model within KL 0.02 nats of the exact one (measured:
    0.0035 nats, at an estimation floor of 0.010; docs/sampling.md); see
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
        self.tau_x_s = as_time(tau_x, "tau_x")
        # one time constant for every layer's interneurons, or one per layer
        if isinstance(tau_eps, (list, tuple)):
            if len(tau_eps) != len(self.layers):
                raise HEEParameterError(
                    f"tau_eps has {len(tau_eps)} entries but the model has "
                    f"{len(self.layers)} layers; give one time or one per layer."
                )
            self.tau_eps_layers_s = [as_time(v, f"tau_eps[{l}]") for l, v in enumerate(tau_eps)]
        else:
            self.tau_eps_layers_s = [as_time(tau_eps, "tau_eps")] * len(self.layers)
        self.dt_s = as_time(dt, "dt")
        for l, te in enumerate(self.tau_eps_layers_s):
            if te > self.tau_x_s:
                raise HEEParameterError(
                    f"tau_eps = {te * 1e3:g} ms (layer {l}) is longer than tau_x = {tau_x}: "
                    "the interneurons must be faster than the neurons they serve; use "
                    "tau_eps <= tau_x (typically tau_x/20)."
                )
        self.n_interneurons = as_positive_int(n_interneurons, "n_interneurons")
        if adaptation is not None and not isinstance(adaptation, Adaptation):
            raise HEEParameterError(
                f"adaptation must be None or hee_brian.Adaptation(m, tau_a), got {adaptation!r}."
            )
        self.adaptation = adaptation
        backend_class(device)  # refuses an unknown device name
        self.device = device
        self.threads = int(threads)
        get_readout(readout)
        self.readout = readout
        self.rate_scale = as_rate(rate_scale, "rate_scale") * Hz
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
        dense_devices = tuple(d for d in DEVICES if backend_class(d).dense_projection)
        has_dense = self.device in dense_devices
        if projection == "dense" and not has_dense:
            raise HEEParameterError(
                f"projection='dense' exists for devices {dense_devices}, not "
                f"{self.device!r}; use projection='auto' or 'synapses'."
            )
        self.projection = projection  # as asked
        if projection == "auto":
            projection = "dense" if has_dense else "synapses"
        if float32 and projection != "dense":
            raise HEEParameterError(
                "float32=True needs the dense projection (projection='dense' on "
                f"{dense_devices}); the Synapses path is float64 only."
            )
        self.projection_impl = projection
        self.float32 = bool(float32)

    # ------------------------------------------------------------------
    # quantities with units at the boundary
    tau_x = property(lambda self: self.tau_x_s * second)

    @property
    def tau_eps(self):
        """The interneurons' time constant (Quantity), where all layers share one.

        Raises
        ------
        HEEParameterError
            When it was set per layer: use :meth:`interneuron_tau`.
        """
        if len(set(self.tau_eps_layers_s)) != 1:
            raise HEEParameterError(
                "tau_eps was set per layer; read it with model.interneuron_tau(layer)."
            )
        return self.tau_eps_layers_s[0] * second

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
        stability.check_stiffness(self, W)

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
        """Share of each neuron's own noise that keeps the posterior exact.

        See :func:`hee_brian.stability.noise_budget`.
        """
        return stability.noise_budget(self, temperature)

    def effective_noise_budget(self, temperature=1.0):
        """:meth:`noise_budget` floored at 0.05 (with a warning below that)."""
        return stability.effective_noise_budget(self, temperature)

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
        """The model's parameters as a JSON-serialisable dict (weights and execution
        settings excluded; see :func:`hee_brian.storage.config`)."""
        return storage.config(self)

    def execution(self):
        """The execution settings: device, threads, projection, float32."""
        return storage.execution(self)

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
            return str(self.tau_eps_layers_s[0] * second)
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

    def _stimuli(self, stimuli, name):
        return check_stimuli(stimuli, self.layers[0].n, name)

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
        stim = self._stimuli(x0, "x0")
        n_steps = as_steps(duration, self.dt_s, "duration")
        B = as_positive_int(streams, "streams")
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
            pres = as_steps(presentation, self.dt_s, "presentation")
        else:
            pres = 1  # one patch held for the whole run (TimedArray clamps past its end)
        if record_every is None:
            rec = max(1, int(round(self.tau_x_s / 10 / self.dt_s)))
        else:
            rec = as_steps(record_every, self.dt_s, "record_every")
        layers = list(range(len(self.layers))) if layers is None else list(layers)
        for l in layers:
            if not 0 <= l < len(self.layers):
                raise HEEParameterError(f"layers: no layer {l} in a {len(self.layers)}-layer model.")
        record_vars = ("x", "epsbar", "a") if (record_adaptation and self.adaptation) else ("x", "epsbar")
        spec = RunSpec(mode="clamped", n_steps=n_steps, n_stimuli=stimulus_rows(stim.shape[0]),
                       presentation_steps=pres, record_steps=rec,
                       record_layers=tuple(layers), record_vars=record_vars, spikes=bool(spikes),
                       streams=B)
        state = runs.initial_state(self, initial_state, B)
        seed = self._next_seed(seed)
        built = runs.run(self, spec, seed, stimuli=stim, state=state)
        return runs.recording(self, built, spec, seed)

    # ------------------------------------------------------------------
    def learn(self, data, presentation=20 * ms, eta_w=0.5 * Hz, eta_b=0.1 * Hz,
              n_presentations=None, chunk=500, plasticity_dt=None, checkpoint=None,
              progress=True, seed=None, streams=1):
        """Learn with local plasticity while patches are presented in sequence.

        Inference and plasticity run concurrently (docs/model.md section 3).  The
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
        progress : bool or callable
            True (default): print patches done, rate and time left after each
            chunk on stderr; False: only log them (logger ``"hee_brian"``);
            a callable receives them as a dict (see
            :func:`hee_brian.runs.progress_reporter`).
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
        LearningHistory
            Patches done, the weight change and the wall time, per chunk.
        """
        data = self._stimuli(data, "data")
        pres = as_steps(presentation, self.dt_s, "presentation")
        eta_w_v = as_rate(eta_w, "eta_w")
        eta_b_v = as_rate(eta_b, "eta_b")
        plast = 1 if plasticity_dt is None else as_steps(plasticity_dt, self.dt_s, "plasticity_dt")
        chunk = as_positive_int(chunk, "chunk")
        B = as_positive_int(streams, "streams")
        report = runs.progress_reporter(progress)
        chunk = int(min(chunk, n_presentations or len(data)))
        if chunk % B:
            raise HEEParameterError(
                f"chunk = {chunk} patches does not divide among streams = {B}; "
                f"use a chunk that is a multiple of {B} (e.g. {B * max(1, chunk // B)})."
            )
        total = int(n_presentations or len(data))
        n_chunks = -(-total // chunk)
        schedule = {"fingerprint": hashlib.sha1(np.ascontiguousarray(data).tobytes()).hexdigest(),
                    "total": total, "chunk": chunk, "streams": B}
        base_seed = self._next_seed(seed)
        start, state = 0, None
        history = LearningHistory(patches=[], dW=[], wall_s=[])
        if checkpoint is not None and Path(checkpoint).exists():
            start, state, history = self._resume(Path(checkpoint), schedule)
            runs.logger.info("resuming from %s: %d/%d patches done", checkpoint,
                             start * chunk, n_chunks * chunk)
        rows = chunk // B  # presentations per chunk; each shows B patches side by side
        spec = RunSpec(mode="clamped", n_steps=rows * pres, learn=True,
                       n_stimuli=stimulus_rows(rows), presentation_steps=pres,
                       plasticity_steps=plast, streams=B, learn_bias=eta_b_v > 0)
        t_start = time.perf_counter()
        for c in range(start, n_chunks):
            idx = np.arange(c * chunk, (c + 1) * chunk) % len(data)
            # row r of the stimulus table holds patches r*B .. r*B + B - 1, stream-major
            stim = data[idx].reshape(rows, B * data.shape[1])
            W_before = self._W
            state = self._learn_chunk(spec, base_seed + c, stim, state, eta_w_v, eta_b_v,
                                      t_offset=c * rows * pres * self.dt_s)
            done = (c + 1) * chunk
            history["patches"].append(done)
            history["dW"].append(float(sum(np.linalg.norm(a - b)
                                           for a, b in zip(self._W, W_before))))
            history["wall_s"].append(time.perf_counter() - t_start)
            if checkpoint is not None:
                storage.write_checkpoint(self, Path(checkpoint), {
                    **schedule, "next_chunk": c + 1, "history": dict(history)}, state)
            elapsed = time.perf_counter() - t_start
            rate = (done - start * chunk) / elapsed if elapsed > 0 else float("nan")
            report({"done": done, "total": n_chunks * chunk,
                    "percent": 100 * done / (n_chunks * chunk), "rate": rate,
                    "left_s": (n_chunks * chunk - done) / rate if rate > 0 else float("nan")})
        return history

    def _learn_chunk(self, spec, seed, stim, state, eta_w, eta_b, t_offset):
        """One simulation run of learning; the weights move only if it stayed finite."""
        built = runs.run(self, spec, seed, stimuli=stim, state=state, eta_w=eta_w * Hz,
                         eta_b=eta_b * Hz)
        state = runs.final_state(self, built, spec)
        W_new = [np.array(syn.w[:w.size], dtype=float).reshape(w.shape)
                 for syn, w in zip(built.projections, self._W)]
        # each stream's copy of a learned bias moved on its own: add the moves
        b_new = [b + (np.array(g.b[:], dtype=float).reshape(spec.streams, -1) - b).sum(axis=0)
                 for g, b in zip(built.neurons, self._b)]
        extra = {f"W[{l}]": w for l, w in enumerate(W_new)}
        extra.update({f"b[{l}]": v for l, v in enumerate(b_new)})
        try:
            runs.check_finite(self, built, spec, state, extra)
        except SimulationDiverged as exc:
            raise SimulationDiverged(exc.variable, exc.time + t_offset, self.dt_s,
                                     "Weights were left as they were before the failing "
                                     "chunk.") from None
        self._W, self._b = W_new, b_new
        return state

    def _resume(self, path, schedule):
        meta, W, b, state = storage.read_checkpoint(path, len(self.layers))
        if any(meta.get(k, 1 if k == "streams" else None) != v for k, v in schedule.items()):
            raise HEEParameterError(
                f"checkpoint {path} was written for other data or another schedule "
                "(patches, n_presentations, chunk or streams differ); delete it or choose "
                "another checkpoint path."
            )
        self.set_weights(W=W, b=b)
        return meta["next_chunk"], state, LearningHistory(meta["history"])

    # ------------------------------------------------------------------
    def generate(self, n, mode="marginal", burn_in=None, spacing=None, settle=None,
                 temperature=1.0, observation="sample", seed=None, return_recording=False):
        """Generate ``n`` observations (docs/model.md section 5).

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
            burn = as_steps(20 * tau if burn_in is None else burn_in, self.dt_s, "burn_in")
            space = as_steps(5 * tau if spacing is None else spacing, self.dt_s, "spacing")
            n_burn = -(-burn // space)
            # sample k of the monitor is the state after k * spacing
            spec = RunSpec(mode="joint", n_steps=(n_burn + n) * space + 1,
                           record_steps=space, record_layers=(0,),
                           record_vars=("x", "epsbar", "eta"))
            keep = slice(n_burn + 1, n_burn + n + 1)
        else:
            stage = as_steps(5 * tau if settle is None else settle, self.dt_s, "settle")
            cycle = (L + 1) * stage
            burn = as_steps(20 * tau if burn_in is None else burn_in, self.dt_s, "burn_in")
            every = 1 if spacing is None else -(-as_steps(spacing, self.dt_s, "spacing") // cycle)
            n_burn = -(-burn // (every * cycle))  # in units of kept samples
            spec = RunSpec(mode="marginal", n_steps=(n_burn + n) * every * cycle + 1,
                           record_steps=every * cycle, record_layers=(0,),
                           record_vars=("x", "eta"), stage_steps=stage)
            keep = slice(n_burn + 1, n_burn + n + 1)
        built = runs.run(self, spec, seed, temperature=temperature)
        rec = runs.recording(self, built, spec, seed)
        if observation == "sample":
            samples = rec.x[0][keep]
        else:
            # the conditional mean A'(eta_0) of the observation layer
            eta0 = np.asarray(built.state_monitors[0].eta).T[keep]
            fam = self.layers[0].family
            samples = fam.mean(eta0) if fam.mean_is_vectorised() else np.vectorize(fam.mean)(eta0)
        samples = np.array(samples, dtype=float)
        return (samples, rec) if return_recording else samples

    # ------------------------------------------------------------------
    def save(self, path):
        """Save parameters, weights and biases to ``path`` (``.npz``), atomically.

        Execution settings (device, threads, projection, float32) are not
        saved: they belong to the machine, and :meth:`load` takes them.
        """
        storage.save(self, path)

    @classmethod
    def load(cls, path, **overrides):
        """Load a model written by :meth:`save`.

        ``overrides`` give execution settings (``device="runtime"``,
        ``threads=2``, ...) or replace saved parameters (in SI units).
        """
        return storage.load(cls, path, **overrides)

    @classmethod
    def from_config(cls, cfg, **overrides):
        """Build a model from :meth:`config` output (see :meth:`load`)."""
        return storage.from_config(cls, cfg, **overrides)
