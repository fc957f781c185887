"""Inference: sampling the latents with the observation layer clamped."""
from __future__ import annotations

from . import runs
from .errors import HEEParameterError
from .network import RunSpec, stimulus_rows
from .validation import as_positive_int, as_steps

__all__ = ["infer", "record_steps"]


def record_steps(model, record_every):
    """Steps between recorded samples: ``record_every``, or tau_x / 10 by default."""
    if record_every is None:
        return max(1, int(round(model.tau_x_s / 10 / model.dt_s)))
    return as_steps(record_every, model.dt_s, "record_every")


def infer(model, x0, duration, record_every=None, presentation=None, layers=None,
          spikes=True, record_adaptation=True, initial_state=None, seed=None, streams=1):
    """Implementation of :meth:`HEEModel.infer`."""
    stim = model._stimuli(x0, "x0")
    n_steps = as_steps(duration, model.dt_s, "duration")
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
        pres = as_steps(presentation, model.dt_s, "presentation")
    else:
        pres = 1  # one patch held for the whole run (TimedArray clamps past its end)
    rec = record_steps(model, record_every)
    layers = list(range(len(model.layers))) if layers is None else list(layers)
    for l in layers:
        if not 0 <= l < len(model.layers):
            raise HEEParameterError(f"layers: no layer {l} in a {len(model.layers)}-layer model.")
    record_vars = ("x", "epsbar", "a") if (record_adaptation and model.adaptation) \
        else ("x", "epsbar")
    spec = RunSpec(mode="clamped", n_steps=n_steps, n_stimuli=stimulus_rows(stim.shape[0]),
                   presentation_steps=pres, record_steps=rec,
                   record_layers=tuple(layers), record_vars=record_vars, spikes=bool(spikes),
                   streams=B)
    state = runs.initial_state(model, initial_state, B)
    seed = model._next_seed(seed)
    built = runs.run(model, spec, seed, stimuli=stim, state=state)
    return runs.recording(model, built, spec, seed)
