"""Run plumbing shared by inference, learning and generation.

Runs a :class:`~hee_brian.network.RunSpec` on the model's device, reads the
end state back, checks that nothing diverged (and if something did, finds
when: :class:`~hee_brian.errors.SimulationDiverged`), assembles the
:class:`~hee_brian.recording.Recording`, and reports progress.
"""
from __future__ import annotations

import logging
import sys

import numpy as np
from brian2 import Hz, second

from .devices import auto_threads, get_backend
from .equations import DIVERGENCE_BOUND
from .errors import HEEParameterError, SimulationDiverged
from .recording import UNITS, Recording, SpikeTrains

__all__ = ["run", "final_state", "check_finite", "initial_state", "recording",
           "progress_reporter", "simulator_versions", "logger"]

#: hee-brian's logger: progress of long runs is logged here at INFO level.
logger = logging.getLogger("hee_brian")


def run(model, spec, seed, **values):
    """Run ``spec`` on the model's device; the Brian2 objects of the run come back.

    The device's build and run times go to ``model.last_times``.
    """
    backend = get_backend(model.device, auto_threads(model, spec))
    built = backend.run(model, spec, seed, **values)
    model.last_times = dict(backend.times)
    return built


def final_state(model, built, spec):
    """The end state of a run: {("x", l), ("a", l), ("eps", l): array}."""
    state = {}
    for l, group in enumerate(built.neurons):
        if l >= 1 or spec.mode != "clamped":
            state[("x", l)] = np.array(group.x[:], dtype=float)
        if l >= 1 and "a" in group.variables and model.adaptation is not None \
                and spec.mode != "marginal":
            state[("a", l)] = np.array(group.a[:], dtype=float)
        if built.interneurons[l] is not None:
            state[("eps", l)] = np.array(built.interneurons[l].eps[:], dtype=float)
    return state


def check_finite(model, built, spec, state, extra=None):
    """Stop with the variable and time if anything left the finite range."""
    arrays = {f"{k[0]} of layer {k[1]}": v for k, v in state.items()}
    arrays.update(extra or {})
    bad = [name for name, v in arrays.items()
           if not np.all(np.isfinite(v)) or np.any(np.abs(v) > DIVERGENCE_BOUND)]
    if not bad:
        return
    t_bad = spec.n_steps * model.dt_s
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
    raise SimulationDiverged(var, t_bad, model.dt_s)


def initial_state(model, initial_state, streams=1):
    """Check a ``Recording.final_state`` given to continue a chain."""
    if initial_state is None:
        return None
    state = {}
    for (name, l), v in initial_state.items():
        v = np.asarray(v, dtype=float)
        want = streams * model.layers[l].n * (model.n_interneurons if name == "eps" else 1)
        if v.shape != (want,):
            raise HEEParameterError(
                f"initial_state[({name!r}, {l})] has shape {v.shape}, expected ({want},)."
            )
        state[(name, l)] = v
    return state


def recording(model, built, spec, seed, extra=None):
    """The run's :class:`Recording`, after checking that every state stayed finite."""
    state = final_state(model, built, spec)
    check_finite(model, built, spec, state, extra)
    L = len(model.layers) - 1
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
                             n=spec.streams * model.layers[l].n)
    info = {"dt": model.dt_s, "record_dt": (spec.record_steps or 0) * model.dt_s, "seed": seed,
            "device": model.device, "streams": spec.streams, "mode": spec.mode,
            "readout": model.readout, "rate_scale": float(model.rate_scale / Hz),
            "rate_threshold": model.rate_threshold,
            "model": model.config(), "simulator": simulator_versions(),
            "units": dict(UNITS), **model.last_times}
    return Recording(t=t, x=x, eps=eps, a=a, spikes=spk, final_state=state, info=info)


def simulator_versions():
    """The versions of hee-brian, Brian2 and NumPy, as a run's metadata records them."""
    import brian2

    from . import __version__

    return {"hee_brian": __version__, "brian2": brian2.__version__, "numpy": np.__version__}


def _print_progress(info):
    """Default progress report of :meth:`HEEModel.learn`, one line on stderr."""
    print(f"learn: {info['done']}/{info['total']} patches ({info['percent']:.0f}%), "
          f"{info['rate']:.0f} patches/s, ~{info['left_s']:.0f} s left",
          file=sys.stderr, flush=True)


def progress_reporter(progress):
    """The callable a long run reports to: ``progress`` is a bool or a callable.

    True prints one line per chunk on stderr (and logs it to the
    ``"hee_brian"`` logger); False only logs; a callable receives a dict
    with ``done``, ``total``, ``percent``, ``rate`` (patches/s) and
    ``left_s``.
    """
    if callable(progress):
        return progress
    if progress not in (True, False, None):
        raise HEEParameterError(
            f"progress must be True, False or a callable taking a dict, got {progress!r}."
        )

    def report(info):
        logger.info("learn: %(done)d/%(total)d patches, %(rate).0f patches/s", info)
        if progress:
            _print_progress(info)
    return report
