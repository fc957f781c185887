"""Generation: joint or marginal (ancestral) sampling of observations."""
from __future__ import annotations

import math

import numpy as np

from . import runs
from .errors import HEEParameterError
from .network import RunSpec
from .validation import as_steps

__all__ = ["generate"]


def generate(model, n, mode, burn_in, spacing, settle, temperature, observation, seed,
             layers=None):
    """Implementation of :meth:`HEEModel.generate`: (samples, Recording).

    ``layers``: latent layers recorded besides layer 0, at the sample times.
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
    tau = model.tau_x
    L = len(model.layers) - 1
    extra = () if layers is None else tuple(layers)
    if not all(isinstance(l, (int, np.integer)) and 1 <= l <= L for l in extra):
        raise HEEParameterError(
            f"layers must list latent layers 1..{L} to record besides layer 0, got {layers!r}.")
    record = (0,) + tuple(sorted(set(int(l) for l in extra)))
    seed = model._next_seed(seed)
    if mode == "joint":
        burn = as_steps(20 * tau if burn_in is None else burn_in, model.dt_s, "burn_in")
        space = as_steps(5 * tau if spacing is None else spacing, model.dt_s, "spacing")
        n_burn = -(-burn // space)
        # sample k of the monitor is the state after k * spacing
        spec = RunSpec(mode="joint", n_steps=(n_burn + n) * space + 1,
                       record_steps=space, record_layers=record,
                       record_vars=("x", "epsbar", "eta"))
        keep = slice(n_burn + 1, n_burn + n + 1)
    else:
        stage = as_steps(5 * tau if settle is None else settle, model.dt_s, "settle")
        cycle = (L + 1) * stage
        burn = as_steps(20 * tau if burn_in is None else burn_in, model.dt_s, "burn_in")
        every = 1 if spacing is None else -(-as_steps(spacing, model.dt_s, "spacing") // cycle)
        n_burn = -(-burn // (every * cycle))  # in units of kept samples
        spec = RunSpec(mode="marginal", n_steps=(n_burn + n) * every * cycle + 1,
                       record_steps=every * cycle, record_layers=record,
                       record_vars=("x", "eta"), stage_steps=stage)
        keep = slice(n_burn + 1, n_burn + n + 1)
    built = runs.run(model, spec, seed, temperature=temperature)
    rec = runs.recording(model, built, spec, seed)
    if observation == "sample":
        samples = rec.x[0][keep]
    else:
        # the conditional mean A'(eta_0) of the observation layer
        eta0 = np.asarray(built.state_monitors[0].eta).T[keep]
        fam = model.layers[0].family
        samples = fam.mean(eta0) if fam.mean_is_vectorised() else np.vectorize(fam.mean)(eta0)
    samples = np.array(samples, dtype=float)
    return samples, rec
