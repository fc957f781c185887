"""Learning: local plasticity while patches are presented, chunk by chunk.

Inference and plasticity run concurrently (docs/model.md section 3).  Each
chunk of patches is one simulation run; after it the weights come back to
the model, are checked, and (with a checkpoint) saved, so an interrupted
run resumes where it stopped.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
from brian2 import Hz

from . import runs, storage
from .errors import HEEParameterError, SimulationDiverged
from .network import RunSpec, stimulus_rows
from .validation import as_positive_int, as_rate, as_steps

__all__ = ["LearningHistory", "annealed", "learn"]


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


def annealed(start=4.0, end=1.0):
    """A learning-rate schedule falling geometrically from ``start`` to ``end``.

    ``factor(f) = start * (end / start) ** f`` at the fraction ``f`` of
    presentations done.  Large early rates let a dictionary that starts from
    random directions turn towards the data's features quickly; the small
    late rate keeps the plasticity noise of the final dictionary as low as a
    constant rate of ``end`` would (docs/model.md section 8.5).
    """
    start, end = float(start), float(end)
    if not (start > 0 and end > 0):
        raise HEEParameterError(
            f"annealed(start={start}, end={end}): both factors must be > 0."
        )

    def factor(f):
        return start * (end / start) ** float(f)

    factor.description = f"annealed(start={start:g}, end={end:g})"
    return factor


def learn(model, data, presentation, eta_w, eta_b, n_presentations, chunk, plasticity_dt,
          checkpoint, progress, seed, streams, rate_schedule=None, column_norms=None):
    """Implementation of :meth:`HEEModel.learn`."""
    data = model._stimuli(data, "data")
    pres = as_steps(presentation, model.dt_s, "presentation")
    # one rate for every projection (layer), or one each
    eta_w_v = _per_layer_rates(eta_w, len(model.layers) - 1, "eta_w", "projection")
    eta_b_v = _per_layer_rates(eta_b, len(model.layers), "eta_b", "layer")
    norms = _column_norms(column_norms, len(model.layers) - 1)
    plast = 1 if plasticity_dt is None else as_steps(plasticity_dt, model.dt_s, "plasticity_dt")
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
    base_seed = model._next_seed(seed)
    start, state = 0, None
    history = LearningHistory(patches=[], dW=[], wall_s=[])
    if checkpoint is not None and Path(checkpoint).exists():
        start, state, history = _resume(model, Path(checkpoint), schedule)
        runs.logger.info("resuming from %s: %d/%d patches done", checkpoint,
                         start * chunk, n_chunks * chunk)
    rows = chunk // B  # presentations per chunk; each shows B patches side by side
    spec = RunSpec(mode="clamped", n_steps=rows * pres, learn=True,
                   n_stimuli=stimulus_rows(rows), presentation_steps=pres,
                   plasticity_steps=plast, streams=B, learn_bias=max(eta_b_v) > 0)
    t_start = time.perf_counter()
    for c in range(start, n_chunks):
        k = _schedule_factor(rate_schedule, c / n_chunks)
        idx = np.arange(c * chunk, (c + 1) * chunk) % len(data)
        # row r of the stimulus table holds patches r*B .. r*B + B - 1, stream-major
        stim = data[idx].reshape(rows, B * data.shape[1])
        W_before = model._W
        state = _learn_chunk(model, spec, base_seed + c, stim, state,
                             [k * v for v in eta_w_v], [k * v for v in eta_b_v],
                             t_offset=c * rows * pres * model.dt_s)
        if any(v is not None for v in norms):
            model._W = [w if v is None else w * (v / np.linalg.norm(w, axis=0))
                        for w, v in zip(model._W, norms)]
        done = (c + 1) * chunk
        history["patches"].append(done)
        history["dW"].append(float(sum(np.linalg.norm(a - b)
                                       for a, b in zip(model._W, W_before))))
        history["wall_s"].append(time.perf_counter() - t_start)
        if checkpoint is not None:
            storage.write_checkpoint(model, Path(checkpoint), {
                **schedule, "next_chunk": c + 1, "history": dict(history)}, state)
        elapsed = time.perf_counter() - t_start
        rate = (done - start * chunk) / elapsed if elapsed > 0 else float("nan")
        report({"done": done, "total": n_chunks * chunk,
                "percent": 100 * done / (n_chunks * chunk), "rate": rate,
                "left_s": (n_chunks * chunk - done) / rate if rate > 0 else float("nan")})
    return history



def _schedule_factor(schedule, fraction):
    """The schedule's factor at ``fraction`` of the presentations, checked."""
    if schedule is None:
        return 1.0
    if not callable(schedule):
        raise HEEParameterError(
            f"rate_schedule must be a function of the fraction done, got {schedule!r}; "
            "e.g. hee_brian.learning.annealed(4, 1)."
        )
    k = float(schedule(fraction))
    if not (np.isfinite(k) and k >= 0):
        raise HEEParameterError(
            f"rate_schedule gave factor {k} at fraction {fraction:.3f}; it must be finite "
            "and >= 0."
        )
    return k


def _column_norms(value, n):
    """``column_norms`` as a list of ``n`` entries, each None or a positive float."""
    if value is None:
        return [None] * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise HEEParameterError(
            f"column_norms must be a list with one entry per projection ({n}), each None "
            f"or a positive norm; got {value!r}."
        )
    out = []
    for i, v in enumerate(value):
        if v is not None and not (np.isfinite(float(v)) and float(v) > 0):
            raise HEEParameterError(f"column_norms[{i}] = {v!r} must be None or a norm > 0.")
        out.append(None if v is None else float(v))
    return out


def _per_layer_rates(value, n, name, what):
    """A learning rate given once or per layer, as a list of ``n`` floats in Hz."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise HEEParameterError(
                f"{name} has {len(value)} rates but the model has {n} {what}s; give one "
                f"rate, or one per {what} (bottom first)."
            )
        return [as_rate(v, f"{name}[{i}]") for i, v in enumerate(value)]
    return [as_rate(value, name)] * n


def _learn_chunk(model, spec, seed, stim, state, eta_w, eta_b, t_offset):
    """One simulation run of learning; the weights move only if it stayed finite."""
    built = runs.run(model, spec, seed, stimuli=stim, state=state,
                     eta_w=[v * Hz for v in eta_w], eta_b=[v * Hz for v in eta_b])
    state = runs.final_state(model, built, spec)
    W_new = [np.array(syn.w[:w.size], dtype=float).reshape(w.shape)
             for syn, w in zip(built.projections, model._W)]
    # each stream's copy of a learned bias moved on its own: add the moves
    b_new = [b + (np.array(g.b[:], dtype=float).reshape(spec.streams, -1) - b).sum(axis=0)
             for g, b in zip(built.neurons, model._b)]
    extra = {f"W[{l}]": w for l, w in enumerate(W_new)}
    extra.update({f"b[{l}]": v for l, v in enumerate(b_new)})
    try:
        runs.check_finite(model, built, spec, state, extra)
    except SimulationDiverged as exc:
        raise SimulationDiverged(exc.variable, exc.time + t_offset, model.dt_s,
                                 "Weights were left as they were before the failing "
                                 "chunk.") from None
    model._W, model._b = W_new, b_new
    return state



def _resume(model, path, schedule):
    meta, W, b, state = storage.read_checkpoint(path, len(model.layers))
    if any(meta.get(k, 1 if k == "streams" else None) != v for k, v in schedule.items()):
        raise HEEParameterError(
            f"checkpoint {path} was written for other data or another schedule "
            "(patches, n_presentations, chunk or streams differ); delete it or choose "
            "another checkpoint path."
        )
    model.set_weights(W=W, b=b)
    return meta["next_chunk"], state, LearningHistory(meta["history"])
