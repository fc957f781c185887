"""Assemble an HEE model into Brian2 objects (docs/model.md section 6).

:func:`build_network` turns a model and a :class:`RunSpec` (what kind of run:
clamped inference or learning, joint or marginal generation, for how long,
what to record) into named Brian2 objects collected in a :class:`BuiltNetwork`.
Object names are fixed, so building the same spec twice generates identical
code: a standalone project compiled once is found again and not recompiled.

:func:`run_values` gives the values every run sets (weights, biases, states,
parameters, stimulus), which the device layer either assigns directly
(runtime) or passes as ``run_args`` to an already compiled binary
(standalone).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import (
    Clock,
    second,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    linked_var,
)

from .dense import build_dense_projection
from .stateupdater import euler
from .equations import (
    DIVERGENCE_WATCH,
    DIVERGENCE_WATCH_VARIABLE,
    GATE_UPDATE,
    averaging_equations,
    hebbian_equations,
    interneuron_equations,
    latent_neuron_equations,
    observation_equations,
    projection_equations,
    shared_weight_equations,
    stream_projection_equations,
)

__all__ = ["RunSpec", "BuiltNetwork", "build_network", "run_values", "stimulus_rows",
           "stimulus_table"]

MODES = ("clamped", "joint", "marginal")


@dataclass(frozen=True)
class RunSpec:
    """Structure of one simulation run: everything that shapes the code.

    Two runs with equal specs (and equal model structure) share one compiled
    standalone project; only values differ between them.
    """

    mode: str  # "clamped" (inference/learning), "joint" or "marginal"
    n_steps: int
    learn: bool = False
    n_stimuli: int = 1  # rows of the stimulus table (clamped mode; see stimulus_rows)
    presentation_steps: int = 1  # steps each stimulus row is shown
    record_steps: int | None = None  # StateMonitor interval in steps (None: none)
    record_layers: tuple = ()  # which layers the StateMonitors cover
    record_vars: tuple = ("x", "epsbar")
    spikes: bool = False
    plasticity_steps: int = 1  # plasticity clock = plasticity_steps * dt
    stage_steps: int = 1  # marginal generation: steps per layer stage
    streams: int = 1  # B parallel copies of every layer sharing the weights
    learn_bias: bool = True  # with learn: biases plastic too (False: eta_b = 0)

    @property
    def bias_plastic(self):
        return self.learn and self.learn_bias

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")


@dataclass
class BuiltNetwork:
    """Handles to the Brian2 objects of one built HEE network."""

    net: Network
    clock: Clock
    neurons: list
    interneurons: list  # one per layer, or None where the mode needs none
    averagers: list
    projections: list  # projections[l-1] between layer l-1 and l
    state_monitors: dict = field(default_factory=dict)  # layer -> StateMonitor
    spike_monitors: dict = field(default_factory=dict)  # layer -> SpikeMonitor
    stimulus: TimedArray | None = None
    seed_holder: NeuronGroup | None = None
    record_clock: Clock | None = None
    namespace: dict = field(default_factory=dict)


def _name(prefix, layer):
    return f"{prefix}_{layer}"


def stimulus_rows(n):
    """Rows of the stimulus table for ``n`` patches: the next power of two.

    Padding (with the last patch, which a clamped layer keeps showing after
    the end anyway) lets runs with similar numbers of patches share one
    compiled project.
    """
    return 1 << max(int(n) - 1, 0).bit_length()


def stimulus_table(stimuli, rows):
    """The patches as a table of ``rows`` rows, the last one repeated."""
    stimuli = np.asarray(stimuli, dtype=float)
    if stimuli.shape[0] < rows:
        pad = np.repeat(stimuli[-1:], rows - stimuli.shape[0], axis=0)
        stimuli = np.concatenate([stimuli, pad])
    return stimuli


def _watched(spec, l):
    """Whether layer ``l`` has a state of its own to watch for divergence."""
    return l >= 1 or spec.mode != "clamped"


def _shared_weight_projection(lower, upper, l, n_pre, n_post, B, spec, *, clock,
                              plasticity_clock):
    """Weight store plus per-stream and Hebbian Synapses for B streams sharing W.

    Returns the store (a NeuronGroup named like a projection, whose ``w``
    element i*n_post + j is W_ij and which takes ``eta_w``) and the Synapses.
    Ordering keeps the explicit Euler step of the reference: the summed
    inputs and interneuron averages (order -1 in the 'groups' slot), then the
    Hebbian sum (-0.75) read the state at the start of the step, the store
    moves W next (-0.5), then the neurons (0).
    """
    n_w = n_pre * n_post
    store = NeuronGroup(n_w, shared_weight_equations(plastic=spec.learn), method=euler,
                        clock=plasticity_clock if spec.learn else clock,
                        name=_name("projection", l), order=-0.5)
    streams = np.repeat(np.arange(B), n_w)
    i = np.tile(np.repeat(np.arange(n_pre), n_post), B)
    j = np.tile(np.arange(n_post), B * n_pre)
    # synapse s*n_w + i*n_post + j joins neuron i of stream s below to neuron j
    # of stream s above, and reads W_ij
    syn = Synapses(lower, upper, stream_projection_equations(likelihood=spec.mode != "marginal"),
                   clock=clock, name=_name("streams", l))
    syn.connect(i=streams * n_pre + i, j=streams * n_post + j)
    syn.w_index = np.tile(np.arange(n_w), B)
    syn.w = linked_var(store, "w", index="w_index")
    extra = [syn]
    if spec.learn:
        hebb = Synapses(lower, store, hebbian_equations(), clock=plasticity_clock,
                        name=_name("hebbian", l))
        hebb.connect(i=streams * n_pre + i, j=i * n_post + j)
        hebb.up_index = streams * n_post + j
        hebb.phix_up = linked_var(upper, "phix", index="up_index")
        # after the interneuron averages (order -1: epsbar of this step), before
        # the store moves W (-0.5), like the plasticity of the single-stream path
        hebb.summed_updaters["hebb_post"].order = -0.75
        extra.append(hebb)
    return store, extra


def build_network(model, spec: RunSpec, stimuli=None) -> BuiltNetwork:
    """Create the Brian2 objects for ``model`` and ``spec`` on the active device.

    Parameters
    ----------
    model : hee_brian.HEEModel
    spec : RunSpec
    stimuli : ndarray, optional
        Initial stimulus values (runtime); standalone runs pass them later
        as ``run_args`` and build with zeros.

    Returns
    -------
    BuiltNetwork
    """
    layers = model.layers
    L = len(layers) - 1
    B = spec.streams  # stream s owns neurons s*n .. s*n + n - 1 of every group
    dt = model.dt
    clock = Clock(dt=dt, name="hee_clock")
    plasticity_clock = Clock(dt=dt * spec.plasticity_steps, name="hee_plasticity_clock")
    phi = model.phi_fn
    namespace = {}
    objects = []

    stimulus = None
    if spec.mode == "clamped":
        # Row k of the table is the patch shown from k * presentation on;
        # the table is indexed by the patch number (as a time in seconds,
        # hee_brian.equations.observation_equations), so the presentation
        # time is a run value, not part of the compiled structure.
        stimulus = TimedArray(
            np.zeros((spec.n_stimuli, B * layers[0].n)) if stimuli is None
            else stimulus_table(stimuli, spec.n_stimuli),
            dt=1 * second,
            name="stimulus",
        )
        namespace["stimulus"] = stimulus
    # Marginal generation: stage k (k = 0..L) lets layer L - k sample its
    # conditional while the layers above hold still; cycles of L + 1 stages
    # of stage_dt produce one sample (the gate of hee_brian.equations).
    gated = spec.mode == "marginal"
    neurons, interneurons, averagers = [], [], []
    for l, layer in enumerate(layers):
        top = l == L
        if l == 0:
            eqs = observation_equations(
                layer.family,
                clamped=spec.mode == "clamped",
                top=False,
                learn_bias=spec.bias_plastic,
                gated=gated,
            )
            threshold = None
        else:
            eqs = latent_neuron_equations(
                layer.family,
                phi,
                top=top,
                likelihood=spec.mode != "marginal",
                adaptation=None if gated or model.adaptation is None
                else model.adaptation.variant,
                learn_bias=spec.bias_plastic,
                readout=model.readout,
                gated=gated,
            )
            threshold = "rand() < rate*dt" if spec.spikes else None
        group = NeuronGroup(
            B * layer.n,
            eqs + "\n" + DIVERGENCE_WATCH_VARIABLE if _watched(spec, l) else eqs,
            threshold=threshold,
            method=euler,
            clock=clock,
            name=_name("neurons", l),
            namespace=namespace,
        )
        if gated:
            group.run_regularly(GATE_UPDATE, when="before_groups", name=_name("gate", l))
        if _watched(spec, l):
            group.run_regularly(DIVERGENCE_WATCH, when="end", name=_name("divergence_watch", l))
        neurons.append(group)
        objects.append(group)

        # Marginal generation samples each conditional directly: no
        # likelihood, so no interneurons are needed.  While learning with
        # fixed biases, the top layer's interneurons would feed nothing (its
        # epsbar enters only its own bias plasticity): leave them out, they
        # would cost a third of the random numbers of a two-layer network.
        if gated or (top and spec.learn and not spec.learn_bias):
            interneurons.append(None)
            averagers.append(None)
            continue
        K = model.n_interneurons
        n_group = B * layer.n
        inter = NeuronGroup(
            n_group * K,
            interneuron_equations(layer.family, top=top),
            method=euler,
            clock=clock,
            name=_name("interneurons", l),
        )
        # interneuron k*n + j is the k-th of the K paired with neuron j
        pair = np.tile(np.arange(n_group), K)
        inter.b = linked_var(group, "b", index=pair)
        if not top:
            inter.td = linked_var(group, "td", index=pair)
        avg = Synapses(
            inter, group, averaging_equations(), clock=clock, name=_name("average", l)
        )
        avg.connect(i=np.arange(n_group * K), j=pair)
        interneurons.append(inter)
        averagers.append(avg)
        objects += [inter, avg]

    projections = []
    projection = getattr(model, "projection_impl", "synapses")
    for l in range(1, L + 1):
        n_pre, n_post = layers[l - 1].n, layers[l].n
        if projection == "dense":
            # hee_brian.dense: the same three equation lines in one fused pass
            syn = build_dense_projection(
                neurons[l - 1], neurons[l], name=_name("projection", l), dt=float(dt),
                clock=clock, likelihood=spec.mode != "marginal", plastic=spec.learn,
                plasticity_steps=spec.plasticity_steps,
                float32=getattr(model, "float32", False), streams=B,
            )
            projections.append(syn)
            objects.append(syn)
            continue
        if B > 1:
            # B streams on any device: W once in a weight store, read by each
            # stream's synapses through a linked variable; the plasticity sums
            # the streams' local updates into it (hee_brian.equations).
            store, extra = _shared_weight_projection(
                neurons[l - 1], neurons[l], l, n_pre, n_post, B, spec,
                clock=clock, plasticity_clock=plasticity_clock)
            projections.append(store)
            objects += [store, *extra]
            continue
        syn = Synapses(
            neurons[l - 1],
            neurons[l],
            projection_equations(likelihood=spec.mode != "marginal", plastic=spec.learn),
            method=euler,
            clock=plasticity_clock if spec.learn else clock,
            name=_name("projection", l),
        )
        # synapse k joins i = k // n_post to j = k % n_post, so the weight
        # vector reshapes to W[l-1] of shape (n_{l-1}, n_l)
        syn.connect(
            i=np.repeat(np.arange(n_pre), n_post), j=np.tile(np.arange(n_post), n_pre)
        )
        if spec.learn:
            # Explicit Euler like the NumPy reference: the weight change uses
            # the state at the start of the step, so it runs after the summed
            # inputs (order -1) and before the neurons move (order 0).
            syn.state_updater.order = -0.5
        projections.append(syn)
        objects.append(syn)

    state_monitors, spike_monitors = {}, {}
    # One named clock for all state monitors: its dt is a run value on
    # cpp_standalone (hee_brian.devices), so the recording interval does not
    # select a compiled project.
    record_clock = Clock(dt=dt * spec.record_steps, name="hee_record_clock") \
        if spec.record_steps else None
    if spec.record_steps:
        for l in spec.record_layers:
            variables = [v for v in spec.record_vars if v in neurons[l].variables]
            if l == 0:
                variables = [v for v in variables if v != "a"]
            if not variables:
                continue
            mon = StateMonitor(
                neurons[l],
                variables,
                record=True,
                clock=record_clock,
                name=_name("state_monitor", l),
            )
            state_monitors[l] = mon
            objects.append(mon)
    if spec.spikes:
        for l in range(1, L + 1):
            mon = SpikeMonitor(neurons[l], name=_name("spike_monitor", l))
            spike_monitors[l] = mon
            objects.append(mon)

    # holds the seed of the random generators, the run's duration and the
    # recording interval, so that they can be run_args of a compiled
    # standalone project
    seed_holder = NeuronGroup(
        1, "seed : integer (shared, constant)\nduration : second (shared, constant)\n"
           "record_dt : second (shared, constant)",
        name="hee_seed",
    )
    objects.append(seed_holder)

    net = Network(*objects, name="hee_network")
    return BuiltNetwork(
        net=net,
        clock=clock,
        neurons=neurons,
        interneurons=interneurons,
        averagers=averagers,
        projections=projections,
        state_monitors=state_monitors,
        spike_monitors=spike_monitors,
        stimulus=stimulus,
        seed_holder=seed_holder,
        record_clock=record_clock,
        namespace=namespace,
    )


def run_values(model, spec: RunSpec, built: BuiltNetwork, *, stimuli=None, state=None,
               eta_w=None, eta_b=None, temperature=1.0):
    """Values one run sets, as a list of (owner, variable name, value).

    Parameters
    ----------
    model : hee_brian.HEEModel
    spec : RunSpec
    built : BuiltNetwork
    stimuli : ndarray, shape (n_stimuli, n_0), optional
        Patches shown in sequence (clamped mode).
    state : dict, optional
        Initial states {("x", l): array, ("a", l): ..., ("eps", l): ...};
        missing entries start at zero.
    eta_w, eta_b : Quantity, optional
        Learning rates (learning runs).
    temperature : float
        Noise temperature of the neurons (generation).
    """
    state = state or {}
    values = []
    B = spec.streams

    def per_neuron(v, n):
        """A per-neuron array of one stream, repeated for the B streams."""
        v = np.asarray(v, dtype=float)
        return v if v.shape == (B * n,) else np.tile(v, B)

    if spec.mode == "marginal":
        budget = [np.ones(layer.n) for layer in model.layers]
    else:
        budget = model.effective_noise_budget(temperature)
    L = len(model.layers) - 1
    for l, layer in enumerate(model.layers):
        group = built.neurons[l]
        fam = layer.family.params()
        for p, v in fam.items():
            values.append((group, p, v))
        values.append((group, "tau_x", model.tau_x))
        values.append((group, "b", per_neuron(model.biases[l], layer.n)))
        if "temperature" in group.variables:
            values.append((group, "temperature", float(temperature)))
        if l >= 1:
            values.append((group, "rate_scale", model.rate_scale))
            values.append((group, "noise_budget", per_neuron(budget[l], layer.n)))
            if model.adaptation is not None and "m" in group.variables:
                values.append((group, "m", float(model.adaptation.m)))
                values.append((group, "tau_a", model.adaptation.tau_a))
            if "a" in group.variables and model.adaptation is not None and (
                model.adaptation.variant in ("momentum", "activity")
            ) and spec.mode != "marginal":
                values.append((group, "a", per_neuron(state.get(("a", l), np.zeros(layer.n)),
                                                      layer.n)))
        if "gate" in group.variables:
            values.append((group, "stage", float(L - l)))
            values.append((group, "stage_dt", spec.stage_steps * model.dt))
            values.append((group, "n_stages", L + 1))
        if _watched(spec, l):
            values.append((group, "t_diverged", -1 * second))
        if l >= 1 or spec.mode != "clamped":
            values.append((group, "x", per_neuron(state.get(("x", l), np.zeros(layer.n)),
                                                  layer.n)))
        if spec.bias_plastic:
            values.append((group, "eta_b", eta_b))
        inter = built.interneurons[l]
        if inter is not None:
            for p, v in fam.items():
                values.append((inter, p, v))
            values.append((inter, "tau_eps", model.interneuron_tau(l)))
            values.append(
                (inter, "eps", state.get(("eps", l), np.zeros(B * layer.n * model.n_interneurons)))
            )
            values.append((built.averagers[l], "n_interneurons", float(model.n_interneurons)))
    for l, syn in enumerate(built.projections, start=1):
        w = model.weights[l - 1].ravel()
        if B > 1 and isinstance(syn, Synapses):  # dense: the index synapses follow W
            n_pre, n_post = model.layers[l - 1].n, model.layers[l].n
            w = np.concatenate([w, np.zeros((B - 1) * (n_pre + n_post))])
        values.append((syn, "w", w))
        if spec.learn:
            values.append((syn, "eta_w", eta_w))
    if built.stimulus is not None:
        values.append((built.stimulus, "values", stimulus_table(stimuli, spec.n_stimuli)))
        values.append((built.neurons[0], "presentation", spec.presentation_steps * model.dt))
    return values
