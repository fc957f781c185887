"""Assemble an HEE model into Brian2 objects (docs/model.md section 6).

:func:`build_network` turns a model and a :class:`RunSpec` (what kind of run:
clamped inference or learning, joint or marginal generation, for how long,
what to record) into named Brian2 objects collected in a :class:`BuiltNetwork`.
Object names are fixed, so building the same spec twice generates identical
code: a standalone project compiled once is found again and not recompiled.

:func:`hee_brian.runvalues.run_values` gives the values every run sets
(weights, biases, states, parameters, stimulus), which the device layer
either assigns directly (runtime) or passes as ``run_args`` to an already
compiled binary (standalone).
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
from .noise import SPIKE_UNIFORM, NoiseFiller, noise_declarations, noise_variables
from .stateupdater import (Reflecting, bulk_euler, euler, lm_bulk_euler, lm_euler,
                           previous_noise_declarations)
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

__all__ = ["RunSpec", "BuiltNetwork", "build_network", "stimulus_rows", "stimulus_table",
           "watched"]

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
        """Whether the biases learn in this run."""
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


def watched(spec, l):
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
    dt = model.dt
    clock = Clock(dt=dt, name="hee_clock")
    plasticity_clock = Clock(dt=dt * spec.plasticity_steps, name="hee_plasticity_clock")
    namespace = {}
    stimulus = _stimulus(model, spec, stimuli)
    if stimulus is not None:
        namespace["stimulus"] = stimulus
    # holds the seed of the random generators, the run's duration and the
    # recording interval, so that they can be run_args of a compiled
    # standalone project
    seed_holder = NeuronGroup(
        1, "seed : integer (shared, constant)\nduration : second (shared, constant)\n"
           "record_dt : second (shared, constant)",
        name="hee_seed",
    )
    objects, neurons, interneurons, averagers = [seed_holder], [], [], []
    for l in range(len(model.layers)):
        group = _neuron_group(model, spec, l, clock, namespace, seed_holder)
        inter, avg = _interneurons(model, spec, l, group, clock, seed_holder)
        neurons.append(group)
        interneurons.append(inter)
        averagers.append(avg)
        objects += [group] + ([inter, avg] if inter is not None else [])
    projections = []
    for l in range(1, len(model.layers)):
        projection, extra = _projection(model, spec, l, neurons, clock, plasticity_clock)
        projections.append(projection)
        objects += [projection, *extra]
    record_clock, state_monitors, spike_monitors = _monitors(model, spec, neurons)
    objects += [*state_monitors.values(), *spike_monitors.values()]
    return BuiltNetwork(
        net=Network(*objects, name="hee_network"), clock=clock, neurons=neurons,
        interneurons=interneurons, averagers=averagers, projections=projections,
        state_monitors=state_monitors, spike_monitors=spike_monitors, stimulus=stimulus,
        seed_holder=seed_holder, record_clock=record_clock, namespace=namespace,
    )


def _stimulus(model, spec, stimuli):
    """The stimulus table of a clamped run (None otherwise).

    Row k is the patch shown from k * presentation on; the table is indexed
    by the patch number (as a time in seconds,
    :func:`hee_brian.equations.observation_equations`), so the presentation
    time is a run value, not part of the compiled structure.
    """
    if spec.mode != "clamped":
        return None
    n = spec.streams * model.layers[0].n  # stream s owns columns s*n_0 .. s*n_0 + n_0 - 1
    values = np.zeros((spec.n_stimuli, n)) if stimuli is None \
        else stimulus_table(stimuli, spec.n_stimuli)
    return TimedArray(values, dt=1 * second, name="stimulus")


def _noisy_group(model, n, eqs, *, seed_holder, clock, threshold=None, bounded=None, **kwds):
    """A NeuronGroup of ``eqs`` with the model's noise implementation.

    With bulk noise (:mod:`hee_brian.noise`) each noise term, and the
    spiking readout's uniform, become variables that a
    :class:`~hee_brian.noise.NoiseFiller` fills at the start of each step;
    otherwise Brian2's ``randn()`` and ``rand()`` draw them.  ``bounded``,
    a (variable, family) pair, names the state that samples the family: if
    the family lives on an interval, the step reflects that state at its
    walls (:class:`~hee_brian.stateupdater.Reflecting`).
    """
    lm = getattr(model, "integrator", "euler") == "leimkuhler_matthews"
    memory = previous_noise_declarations(eqs) if lm else ""
    if memory:
        eqs += "\n" + memory
    bulk = getattr(model, "noise_impl", "randn") == "bulk"
    method = (lm_bulk_euler if lm else bulk_euler) if bulk else (lm_euler if lm else euler)
    if bounded is not None and bounded[1].reflect_expr(bounded[0]) is not None:
        method = Reflecting(method, bounded[0], bounded[1].reflect_expr(bounded[0]))
    if not bulk:
        return NeuronGroup(n, eqs, threshold=threshold, method=method, clock=clock, **kwds)
    variables = noise_variables(eqs, spikes=threshold is not None)
    if variables:
        eqs += "\n" + noise_declarations(variables)
    if threshold is not None:
        threshold = threshold.replace("rand()", SPIKE_UNIFORM)
    group = NeuronGroup(n, eqs, threshold=threshold, method=method, clock=clock, **kwds)
    if variables:
        group.contained_objects.append(
            NoiseFiller(group, variables, (seed_holder, "seed"), clock))
    return group


def _neuron_group(model, spec, l, clock, namespace, seed_holder):
    """Layer ``l``'s neurons, B streams of them (stream s owns neurons s*n .. s*n + n - 1)."""
    layer, top = model.layers[l], l == len(model.layers) - 1
    # Marginal generation: stage k (k = 0..L) lets layer L - k sample its
    # conditional while the layers above hold still; cycles of L + 1 stages
    # of stage_dt produce one sample (the gate of hee_brian.equations).
    gated = spec.mode == "marginal"
    if l == 0:
        eqs = observation_equations(layer.family, clamped=spec.mode == "clamped", top=False,
                                    learn_bias=spec.bias_plastic, gated=gated,
                                    closed_form=model.closed_form[0])
        threshold = None
    else:
        adaptation = None if gated or model.adaptation is None else model.adaptation.variant
        eqs = latent_neuron_equations(layer.family, model.phi_fn, top=top,
                                      likelihood=spec.mode != "marginal", adaptation=adaptation,
                                      learn_bias=spec.bias_plastic, readout=model.readout,
                                      gated=gated, closed_form=model.closed_form[l])
        threshold = "rand() < rate*dt" if spec.spikes else None
    if watched(spec, l):
        eqs += "\n" + DIVERGENCE_WATCH_VARIABLE
    # a clamped observation layer has no x of its own to keep inside its bounds
    group = _noisy_group(model, spec.streams * layer.n, eqs, threshold=threshold,
                         seed_holder=seed_holder, clock=clock, name=_name("neurons", l),
                         namespace=namespace,
                         bounded=("x", layer.family) if watched(spec, l) else None)
    if gated:
        group.run_regularly(GATE_UPDATE, when="before_groups", name=_name("gate", l))
    if watched(spec, l):
        group.run_regularly(DIVERGENCE_WATCH, when="end", name=_name("divergence_watch", l))
    return group


def _interneurons(model, spec, l, group, clock, seed_holder):
    """Layer ``l``'s K interneurons per neuron and their average, or (None, None).

    Marginal generation samples each conditional directly: no likelihood, so
    no interneurons are needed; nor where A'(eta) is used in closed form
    (``model.closed_form[l]``).  While learning with fixed biases, the top
    layer's interneurons would feed nothing (its epsbar enters only its own
    bias plasticity): they are left out, as they would cost a third of the
    random numbers of a two-layer network.
    """
    layer, top = model.layers[l], l == len(model.layers) - 1
    if spec.mode == "marginal" or (top and spec.learn and not spec.learn_bias) \
            or model.closed_form[l]:  # epsbar = A'(eta) in closed form
        return None, None
    K = model.n_interneurons
    n_group = spec.streams * layer.n
    inter = _noisy_group(model, n_group * K, interneuron_equations(layer.family, top=top),
                         seed_holder=seed_holder, clock=clock, name=_name("interneurons", l),
                         bounded=("eps", layer.family))
    # interneuron k*n + j is the k-th of the K paired with neuron j
    pair = np.tile(np.arange(n_group), K)
    inter.b = linked_var(group, "b", index=pair)
    if not top:
        inter.td = linked_var(group, "td", index=pair)
    avg = Synapses(inter, group, averaging_equations(), clock=clock, name=_name("average", l))
    avg.connect(i=np.arange(n_group * K), j=pair)
    return inter, avg


def _td_before_error(syn):
    """Sum ``td_pre`` before anything reads ``x_pre - epsbar_pre`` in this step.

    Where the layer below uses A'(eta) in closed form, its epsbar is
    ``sigma**2*(td + b)``: the error sent up must see this step's ``td``, as
    exact interneurons would.  Brian2 puts both summed updaters at order -1
    (their target's order - 1); ``td`` moves ahead of them.
    """
    syn.summed_updaters["td_pre"].order = -1.5


def _projection(model, spec, l, neurons, clock, plasticity_clock):
    """W[l-1] between layers l-1 and l: (the object holding ``w``, other objects)."""
    n_pre, n_post = model.layers[l - 1].n, model.layers[l].n
    B = spec.streams
    closed_below = model.closed_form[l - 1]
    if getattr(model, "projection_impl", "synapses") == "dense":
        # hee_brian.dense: the same three equation lines in one fused pass
        syn = build_dense_projection(
            neurons[l - 1], neurons[l], name=_name("projection", l), dt=float(model.dt),
            clock=clock, likelihood=spec.mode != "marginal", plastic=spec.learn,
            plasticity_steps=spec.plasticity_steps,
            float32=getattr(model, "float32", False), streams=B, td_first=closed_below,
        )
        return syn, []
    if B > 1:
        # B streams on any device: W once in a weight store, read by each
        # stream's synapses through a linked variable; the plasticity sums
        # the streams' local updates into it (hee_brian.equations).
        store, extra = _shared_weight_projection(neurons[l - 1], neurons[l], l, n_pre, n_post,
                                                 B, spec, clock=clock,
                                                 plasticity_clock=plasticity_clock)
        if closed_below:
            _td_before_error(extra[0])
        return store, extra
    syn = Synapses(
        neurons[l - 1], neurons[l],
        projection_equations(likelihood=spec.mode != "marginal", plastic=spec.learn),
        method=euler, clock=plasticity_clock if spec.learn else clock,
        name=_name("projection", l),
    )
    # synapse k joins i = k // n_post to j = k % n_post, so the weight
    # vector reshapes to W[l-1] of shape (n_{l-1}, n_l)
    syn.connect(i=np.repeat(np.arange(n_pre), n_post), j=np.tile(np.arange(n_post), n_pre))
    if closed_below:
        _td_before_error(syn)
    if spec.learn:
        # Explicit Euler like the NumPy reference: the weight change uses
        # the state at the start of the step, so it runs after the summed
        # inputs (order -1) and before the neurons move (order 0).
        syn.state_updater.order = -0.5
    return syn, []


def _monitors(model, spec, neurons):
    """(record clock, state monitors by layer, spike monitors by layer)."""
    state_monitors, spike_monitors = {}, {}
    # One named clock for all state monitors: its dt is a run value on
    # cpp_standalone (hee_brian.devices), so the recording interval does not
    # select a compiled project.
    record_clock = Clock(dt=model.dt * spec.record_steps, name="hee_record_clock") \
        if spec.record_steps else None
    if spec.record_steps:
        for l in spec.record_layers:
            variables = [v for v in spec.record_vars if v in neurons[l].variables]
            if l == 0:
                variables = [v for v in variables if v != "a"]
            if variables:
                state_monitors[l] = StateMonitor(neurons[l], variables, record=True,
                                                 clock=record_clock,
                                                 name=_name("state_monitor", l))
    if spec.spikes:
        for l in range(1, len(model.layers)):
            spike_monitors[l] = SpikeMonitor(neurons[l], name=_name("spike_monitor", l))
    return record_clock, state_monitors, spike_monitors
