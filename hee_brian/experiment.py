"""Running a stimulus protocol: the repeats of its trials, recorded by trial.

:func:`run_protocol` turns a :class:`~hee_brian.protocol.Protocol` into one
clamped run (:func:`hee_brian.inference.infer`) and returns its
:class:`~hee_brian.recording.Recording` with a
:class:`~hee_brian.trials.TrialLayout`.

The two layouts sample the same per-trial distribution but not the same
random numbers, and differ in one documented way: with ``"streams"`` every
repeat starts from the model's initial state (x = 0, as after a long rest),
with ``"sequential"`` repeat r starts where repeat r - 1 ended, so slow
variables (adaptation) carry over from one trial to the next, as in an
awake recording.  A blank epoch of a few tau_x (or tau_a) at the start of
each trial makes the two agree statistically; ``tests/hee_brian/
test_protocol.py`` checks that they do.
"""
from __future__ import annotations

import numpy as np
from brian2 import second

from .errors import HEEParameterError
from .inference import infer, record_steps
from .protocol import Protocol
from .validation import as_positive_int
from .trials import LAYOUTS, TrialLayout

__all__ = ["run_protocol"]

#: Most stimulus values a run may hold (rows x pixels x streams) before it is refused.
MAX_STIMULUS_VALUES = 2**27


def run_protocol(model, protocol, layout="streams", record_every=None, layers=None,
                 spikes=True, record_adaptation=True, seed=None, split=1):
    """Implementation of :meth:`HEEModel.run_protocol`."""
    if not isinstance(protocol, Protocol):
        raise HEEParameterError(
            f"protocol must be a hee_brian.Protocol, got {type(protocol).__name__}."
        )
    if layout not in LAYOUTS:
        raise HEEParameterError(f"layout must be one of {LAYOUTS}, got {layout!r}.")
    rec_steps = record_steps(model, record_every)
    n0, dt = model.layers[0].n, model.dt_s
    chunk = protocol.check(n0, dt, rec_steps * dt)
    split = as_positive_int(split, "split")
    C = protocol.n_conditions
    if layout == "sequential" and split != 1:
        raise HEEParameterError("split applies to layout='streams' only; leave it at 1.")
    if C % split:
        raise HEEParameterError(
            f"split = {split} does not divide the protocol's {C} conditions; use a divisor "
            f"of {C}."
        )
    trials = TrialLayout(protocol, layout, dt, rec_steps * dt, split)
    B = trials.streams
    # one stream runs all trials in turn, or stream r * split + p runs the
    # conditions p * C/split .. (p + 1) * C/split - 1 of repeat r
    per_stream = [range(protocol.n_trials)] if layout == "sequential" \
        else [trials.stream_trials(s) for s in range(B)]
    rows = len(per_stream[0]) * protocol.trial_duration_s / dt / chunk
    if rows * n0 * B > MAX_STIMULUS_VALUES:
        raise HEEParameterError(
            f"the protocol needs {rows:.0f} stimulus rows of {n0} pixels x {B} streams: "
            "its epochs share no long common step. Round the epoch durations (e.g. to "
            "whole ms) or run fewer repeats per call."
        )
    seqs = [protocol.stimulus_sequence(n0, chunk, dt, trials_s) for trials_s in per_stream]
    x0 = np.stack(seqs, axis=1).reshape(-1, n0)  # row q, stream s: patch q*B + s
    duration = len(per_stream[0]) * protocol.trial_duration_s * second
    rec = infer(model, x0, duration, record_every=rec_steps * model.dt,
                presentation=chunk * model.dt, layers=layers, spikes=spikes,
                record_adaptation=record_adaptation, seed=seed, streams=B)
    rec.trials = trials
    return rec
