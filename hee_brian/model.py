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


import numpy as np
from brian2 import Hz, ms, second

from . import experiment, generation, inference, learning, stability, storage
from .devices import backend_class, choose_projection
from .equations import model_equations
from .errors import HEEParameterError
from .layers import Adaptation, Layer
from .learning import LearningHistory
from .nonlinearities import get_phi, get_readout
from .stability import STABILITY_LIMIT
from .validation import (as_choice, as_finite, as_interneuron_times, as_positive_int, as_rate,
                         as_seed, as_threads,
                         as_time, check_biases, check_instance, check_layers, check_stimuli,
                         check_weights)

__all__ = ["Layer", "Adaptation", "HEEModel", "LearningHistory", "STABILITY_LIMIT",
           "INTERNEURONS", "INTEGRATORS"]

#: How a layer's A'(eta) is obtained: sampled by its interneurons, or in
#: closed form wherever the layer's family has one (Gaussian layers).
INTERNEURONS = ("sampling", "closed_form")

#: Integrators of the noisy populations: Euler-Maruyama, or Leimkuhler-
#: Matthews (the noise of a step is the mean of this step's and the last
#: step's draws), exact in its stationary law for Gaussian targets.
INTEGRATORS = ("euler", "leimkuhler_matthews")


class HEEModel:
    """A hierarchical exponential-family energy-based model as Brian2 networks.

    Parameters
    ----------
    layers : list of Layer
        Bottom (observation, layer 0) first; at least one latent layer.
    phi : {"linear", "tanh", "softplus", "shifted_softplus"}
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
    rate_threshold : float
        The readout sees ``x - rate_threshold`` (0: the readout of ``x``
        itself).  With ``readout="relu"`` this is a threshold-linear rate,
        the form :func:`hee_brian.analysis.v1_protocol.calibrate_readout`
        fits to V1's spontaneous and peak rates.
    threads : int or "auto"
        OpenMP threads for cpp_standalone (0: none), also shared by the
        dense projection's matrix products.  ``"auto"`` (the default)
        decides per run: one thread per ``AUTO_NEURONS_PER_THREAD`` (4096)
        neurons, all streams counted, at most the cores this process may use
        (or its dask worker's thread count); none below two threads' worth
        (:func:`hee_brian.devices.auto_threads`).  Any number of OpenMP
        threads gives the same numbers for a seed; a build without OpenMP
        differs from them in the last bits.
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
    interneurons : {"sampling", "closed_form"}
        ``"sampling"``: every layer's A'(eta) is tracked by its K
        interneurons (the HEE model).  ``"closed_form"``: layers whose
        family has A'(eta) in closed form (Gaussian: sigma^2 eta) use it,
        ``epsbar = sigma**2*eta``: their interneurons are instantaneous and
        exact, so they add neither lag nor noise (the noise budget of the
        layer above is then 1); other layers keep sampling interneurons.
    integrator : {"euler", "leimkuhler_matthews"}
        ``"euler"``: Euler-Maruyama.  ``"leimkuhler_matthews"``: the noise of
        each step is the mean of two consecutive standard normals,
        ``x += dt f(x) + sqrt(2 dt/tau) (xi_n + xi_{n+1})/2``, which removes
        Euler's O(dt) error from the stationary law (exact for a Gaussian
        target at any stable dt; Leimkuhler & Matthews 2013).  It keeps one
        more state variable per noise term; a chain continued from
        ``final_state`` starts a new noise pair.

    Notes
    -----
    The defaults (tau_eps/tau_x = 0.025, K = 4, noise budget on, dt =
    tau_x/400) keep the sampled posterior of a 16-pixel, 8-latent
    linear-Gaussian model within KL 0.02 nats of the exact one (measured:
    0.0035 nats, at an estimation floor of 0.010; docs/sampling.md); see
    ``simulations/posterior_accuracy.py`` for the trade-off with speed.
    In a stiff, overcomplete regime they are not exact: on the trained V1
    model (64 pixels, 96 Cauchy latents, largest likelihood curvature 57 /
    tau_x) they leave the stiffest posterior directions 1.3x too wide,
    against NUTS (``simulations/posterior_vs_nuts.py``).  There,
    ``interneurons="closed_form"`` with ``integrator="leimkuhler_matthews"``
    samples within the check's resolution at dt = tau_x/200 (the V1 model's
    default; docs/sampling.md).
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
        rate_threshold=0.0,
        threads="auto",
        noise_budget=True,
        projection="auto",
        float32=False,
        interneurons="sampling",
        integrator="euler",
    ):
        self.layers = check_layers(layers, Layer)
        self.phi = phi
        self.phi_fn = get_phi(phi)
        self.tau_x_s = as_time(tau_x, "tau_x")
        # one time constant for every layer's interneurons, or one per layer
        self.tau_eps_layers_s = as_interneuron_times(tau_eps, len(self.layers), self.tau_x_s)
        self.dt_s = as_time(dt, "dt")
        self.n_interneurons = as_positive_int(n_interneurons, "n_interneurons")
        self.adaptation = check_instance(adaptation, Adaptation, "adaptation",
                                         "None or hee_brian.Adaptation(m, tau_a)")
        backend_class(device)  # refuses an unknown device name
        self.device = device
        self.threads = as_threads(threads)
        get_readout(readout)
        self.readout = readout
        self.rate_scale = as_rate(rate_scale, "rate_scale") * Hz
        self.rate_threshold = as_finite(rate_threshold, "rate_threshold")
        self.seed = as_seed(seed)
        self.use_noise_budget = bool(noise_budget)
        self.interneurons = as_choice(interneurons, "interneurons", INTERNEURONS)
        self.integrator = as_choice(integrator, "integrator", INTEGRATORS)
        #: per layer: whether its epsbar is A'(eta) in closed form
        self.closed_form = tuple(
            self.interneurons == "closed_form" and layer.family.mean_expr("eta") is not None
            for layer in self.layers)
        self._set_projection(projection, float32)
        self._runs = 0
        self._check_bounded_layers()
        self._check_stiffness()
        self._W = [np.zeros((a.n, b.n)) for a, b in zip(self.layers[:-1], self.layers[1:])]
        self._b = [np.zeros(layer.n) for layer in self.layers]
        self.last_times = {}

    def _set_projection(self, projection, float32):
        """Choose the projection implementation (hee_brian.dense)."""
        self.projection = projection  # as asked
        self.projection_impl = choose_projection(self.device, projection, float32)
        self.float32 = bool(float32)
        # noise drawn in bulk by hee_brian.noise where the device supports it
        self.noise_impl = "bulk" if backend_class(self.device).bulk_noise else "randn"

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

    def _check_bounded_layers(self):
        """Refuse adaptation on a latent layer whose family lives on an interval.

        Its neurons are reflected at the walls (hee_brian.stateupdater), and
        the adaptation current a, a momentum (docs/model.md section 4), would
        have to be reversed with them for the pair (x, a) to keep the
        posterior; it is not, so the combination is refused.
        """
        if self.adaptation is None:
            return
        for l, layer in enumerate(self.layers[1:], start=1):
            if layer.family.is_bounded():
                raise HEEParameterError(
                    f"layer {l} ({layer.family.describe()}) lives on "
                    f"[{layer.family.bounds[0]:g}, {layer.family.bounds[1]:g}] and its "
                    "neurons are reflected at the walls, which the adaptation current does "
                    "not follow; give adaptation=None, or an unbounded family to that layer."
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
            new_W = check_weights(W, self.sizes)
            self._check_stiffness(new_W)
            self._W = new_W
        if b is not None:
            self._b = check_biases(b, self.sizes)

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
            "noise": self.noise_impl,
            "closed_form": list(self.closed_form),
            "integrator": self.integrator,
        }

    def config(self):
        """The model's parameters as a JSON-serialisable dict.

        Weights and execution settings are excluded; see
        :func:`hee_brian.storage.config`.
        """
        return storage.config(self)

    def execution(self):
        """The execution settings: device, threads, projection, float32."""
        return storage.execution(self)

    def equations(self):
        """The model's Brian2 equations, population by population, as text."""
        return model_equations(self)

    def _tau_eps_repr(self):
        if len(set(self.tau_eps_layers_s)) == 1:
            return str(self.tau_eps_layers_s[0] * second)
        return "[" + ", ".join(f"{v * 1e3:g}*ms" for v in self.tau_eps_layers_s) + "]"

    def __repr__(self):
        ad = repr(self.adaptation) if self.adaptation else "None"
        head = (
            f"HEEModel(layers={self.layers!r}, phi={self.phi!r}, tau_x={self.tau_x}, "
            f"tau_eps={self._tau_eps_repr()}, n_interneurons={self.n_interneurons}, "
            f"adaptation={ad}, dt={self.dt}, device={self.device!r}, seed={self.seed}"
            + (f", interneurons={self.interneurons!r}" if self.interneurons != "sampling" else "")
            + (f", integrator={self.integrator!r}" if self.integrator != "euler" else "")
            + (f", readout={self.readout!r}, rate_scale={self.rate_scale}"
               if (self.readout, float(self.rate_scale / Hz)) != ("softplus", 10.0) else "")
            + (f", rate_threshold={self.rate_threshold:g}" if self.rate_threshold else "")
            + ")"
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
        return check_stimuli(stimuli, self.layers[0].n, name, self.layers[0].family)

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
        return inference.infer(self, x0, duration, record_every, presentation, layers, spikes,
                               record_adaptation, initial_state, seed, streams)

    def run_protocol(self, protocol, layout="streams", record_every=None, layers=None,
                     spikes=True, record_adaptation=True, seed=None, split=1):
        """Run a stimulus protocol's trials; the recording knows its trials.

        Parameters
        ----------
        protocol : Protocol
            Trial conditions (epochs with durations, labels and stimuli) and
            the number of repeats.
        layout : {"streams", "sequential"}
            ``"streams"``: the repeats run side by side as independent
            streams, each from the initial state (fastest);
            ``"sequential"``: one chain runs every trial in turn.  See
            :mod:`hee_brian.experiment` for how they differ.
        split : int
            With ``"streams"``: each repeat's conditions are shared among
            ``split`` streams (``repeats x split`` streams, each running
            ``n_conditions / split`` trials in turn), so a protocol of many
            conditions runs in fewer time steps.  It must divide
            ``n_conditions``.
        record_every : Quantity, optional
            Interval of the traces (default tau_x / 10); must divide a trial.
        layers, spikes, record_adaptation, seed
            As in :meth:`infer`.

        Returns
        -------
        Recording
            With ``rec.trials``: read it by (trial, neuron) with
            ``rec.trial_counts``, ``rec.trial_traces``, ``rec.trial_spike_times``;
            export it with ``rec.to_neo()`` and ``rec.to_nwb(path)``.
        """
        return experiment.run_protocol(self, protocol, layout, record_every, layers, spikes,
                                       record_adaptation, seed, split)

    # ------------------------------------------------------------------
    def learn(self, data, presentation=20 * ms, eta_w=0.5 * Hz, eta_b=0.1 * Hz,
              n_presentations=None, chunk=500, plasticity_dt=None, checkpoint=None,
              progress=True, seed=None, streams=1, rate_schedule=None, column_norms=None):
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
        eta_w, eta_b : Quantity or list of Quantity
            Learning rates of the weights and biases (Hz): one for all, or
            one per projection (``eta_w``, ``W_1`` first) and one per layer
            (``eta_b``, layer 0 first).
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
        rate_schedule : callable, optional
            ``factor(fraction)``: every learning rate of a chunk is multiplied
            by the factor at the fraction of presentations done when the
            chunk starts (e.g. :func:`hee_brian.learning.annealed`).  None:
            constant rates.  A factor is a run value (nothing recompiles),
            and a resumed run gets the same factors.
        column_norms : list of float or None, optional
            Synaptic scaling, one entry per projection (``W_1`` first): after
            each chunk, the columns of a projection with a number are
            rescaled to that norm (each neuron scales its own outgoing
            weights, a slow homeostatic step between chunks); None leaves a
            projection free.  A top layer whose weights may grow without
            bound can otherwise take over the layer below's variance (the
            dictionary below then shrinks; docs/model.md section 8.6).

        Returns
        -------
        LearningHistory
            Patches done, the weight change and the wall time, per chunk.
        """
        return learning.learn(self, data, presentation, eta_w, eta_b, n_presentations, chunk,
                              plasticity_dt, checkpoint, progress, seed, streams,
                              rate_schedule, column_norms)

    # ------------------------------------------------------------------
    def generate(self, n, mode="marginal", burn_in=None, spacing=None, settle=None,
                 temperature=1.0, observation="sample", seed=None):
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
            (closed form, or quadrature of the family's density given eta_0).
        seed : int, optional

        Returns
        -------
        ndarray, shape (n, n_0)
        """
        return generation.generate(self, n, mode, burn_in, spacing, settle, temperature,
                                   observation, seed)[0]

    def generate_with_recording(self, n, mode="marginal", burn_in=None, spacing=None,
                                settle=None, temperature=1.0, observation="sample", seed=None,
                                layers=None):
        """:meth:`generate` (same parameters), also returning the run's :class:`Recording`.

        Parameters
        ----------
        layers : list of int, optional
            Latent layers to record as well (layer 0 always is).  In
            marginal mode a layer below the top is held while the layers
            under it settle, so ``[1]`` records the latents each observation
            was drawn from: ``observation="mean"`` is then
            ``A'_0(W_1 phi(x_1) + b_0)`` of them.  A layer still moving at
            the sample time (the top one of a two-layer model in marginal
            mode, any in joint mode) is recorded at that time step but does
            not reproduce the sample's ``eta_0`` exactly.

        Returns
        -------
        samples : ndarray, shape (n, n_0)
        recording : Recording
            Layer 0 (and ``layers``) recorded at the sample times, burn-in
            included: sample k is ``recording.x[0][-n + k]``.
        """
        return generation.generate(self, n, mode, burn_in, spacing, settle, temperature,
                                   observation, seed, layers)

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
