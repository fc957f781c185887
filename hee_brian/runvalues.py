"""The values one run sets on a built network.

:func:`run_values` lists them as (owner, variable, value): weights, biases,
initial states, time constants, family parameters, rates, the stimulus and
the schedule.  The runtime device assigns them; a standalone device passes
them to an already compiled binary as ``run_args``, which is why none of
them may be part of the compiled structure.
"""
from __future__ import annotations

import numpy as np
from brian2 import Synapses, second

from .network import BuiltNetwork, RunSpec, stimulus_table, watched

__all__ = ["run_values"]


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
    eta_w, eta_b : Quantity or list of Quantity, optional
        Learning rates (learning runs): one for all, or one per projection
        (``eta_w``) and per layer (``eta_b``), bottom first.
    temperature : float
        Noise temperature of the neurons (generation).
    """
    state = state or {}
    if spec.mode == "marginal":
        budget = [np.ones(layer.n) for layer in model.layers]
    else:
        budget = model.effective_noise_budget(temperature)
    values = []
    for l in range(len(model.layers)):
        values += _layer_values(model, spec, built, l, state, budget[l], eta_b, temperature)
    values += _projection_values(model, spec, built, eta_w)
    if built.stimulus is not None:
        values.append((built.stimulus, "values", stimulus_table(stimuli, spec.n_stimuli)))
        values.append((built.neurons[0], "presentation", spec.presentation_steps * model.dt))
    return values


def _pick(v, i):
    """Entry ``i`` of a per-layer list, or ``v`` itself when one value serves all."""
    return v[i] if isinstance(v, (list, tuple)) else v


def _per_neuron(v, n, B):
    """A per-neuron array of one stream, repeated for the B streams."""
    v = np.asarray(v, dtype=float)
    return v if v.shape == (B * n,) else np.tile(v, B)


def _layer_values(model, spec, built, l, state, budget, eta_b, temperature):
    """Layer ``l``'s neurons and interneurons."""
    layer, group, B = model.layers[l], built.neurons[l], spec.streams
    L = len(model.layers) - 1
    fam = layer.family.equation_params()
    values = [(group, p, v) for p, v in fam.items()]
    values.append((group, "tau_x", model.tau_x))
    values.append((group, "b", _per_neuron(model.biases[l], layer.n, B)))
    if "temperature" in group.variables:
        values.append((group, "temperature", float(temperature)))
    if l >= 1:
        values.append((group, "rate_scale", model.rate_scale))
        values.append((group, "rate_threshold", model.rate_threshold))
        values.append((group, "noise_budget", _per_neuron(budget, layer.n, B)))
        if model.adaptation is not None and "m" in group.variables:
            values.append((group, "m", float(model.adaptation.m)))
            values.append((group, "tau_a", model.adaptation.tau_a))
        if "a" in group.variables and model.adaptation is not None and (
            model.adaptation.variant in ("momentum", "activity")
        ) and spec.mode != "marginal":
            a0 = state.get(("a", l), np.zeros(layer.n))
            values.append((group, "a", _per_neuron(a0, layer.n, B)))
    if "gate" in group.variables:
        values.append((group, "stage", float(L - l)))
        values.append((group, "stage_dt", spec.stage_steps * model.dt))
        values.append((group, "n_stages", L + 1))
    if watched(spec, l):
        values.append((group, "t_diverged", -1 * second))
    if l >= 1 or spec.mode != "clamped":
        x0 = state.get(("x", l), np.zeros(layer.n))
        values.append((group, "x", _per_neuron(x0, layer.n, B)))
    if spec.bias_plastic:
        values.append((group, "eta_b", _pick(eta_b, l)))
    inter = built.interneurons[l]
    if inter is not None:
        values += [(inter, p, v) for p, v in fam.items()]
        values.append((inter, "tau_eps", model.interneuron_tau(l)))
        eps0 = state.get(("eps", l), np.zeros(B * layer.n * model.n_interneurons))
        values.append((inter, "eps", eps0))
        values.append((built.averagers[l], "n_interneurons", float(model.n_interneurons)))
    return values


def _projection_values(model, spec, built, eta_w):
    """The weights (and learning rate) of every projection."""
    values, B = [], spec.streams
    for l, syn in enumerate(built.projections, start=1):
        w = model.weights[l - 1].ravel()
        if B > 1 and isinstance(syn, Synapses):  # dense: the index synapses follow W
            n_pre, n_post = model.layers[l - 1].n, model.layers[l].n
            w = np.concatenate([w, np.zeros((B - 1) * (n_pre + n_post))])
        values.append((syn, "w", w))
        if spec.learn:
            values.append((syn, "eta_w", _pick(eta_w, l - 1)))
    return values
