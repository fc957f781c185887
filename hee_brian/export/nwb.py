"""A protocol run as an NWB file (pynwb), as a physiology lab would file it.

What the file holds:

* ``units``: one row per latent neuron, its spike times on the session
  clock (trial k from k T, as :mod:`hee_brian.trials` lays them out), one
  observation interval covering the session (Neo's ``NWBIO`` reads it as
  ``t_start``/``t_stop``), and ``layer`` and ``neuron`` columns;
* ``trials``: one row per trial, with its repeat, condition, the stream it
  ran in, when it ran in simulated time, and the stimulus parameters;
* ``epochs``: every protocol epoch of every trial, tagged with its label;
* ``processing["hee_brian"]``: the latent states and readout rates (Hz) as
  ``TimeSeries`` sampled every ``record_dt``;
* ``stimulus["stimuli"]``: an ``ImageSeries`` with the image clamped on
  layer 0 in each epoch (zeros for blanks), timed at the epoch onsets;
* the simulator and its versions (``source_script``,
  ``data_collection``), and the seed, dt, device, readout, model
  parameters and protocol as JSON in ``notes``.
"""
from __future__ import annotations

import json
import math
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import HEEParameterError
from . import require

__all__ = ["to_nwb", "metadata"]

_UNITS = {"x": "dimensionless", "eps": "dimensionless", "a": "dimensionless", "rate": "Hz"}
_DESCRIPTIONS = {
    "x": "state x of each latent neuron (its sample of the posterior)",
    "eps": "mean of each neuron's interneurons, an estimate of A'(eta)",
    "a": "adaptation current of each latent neuron",
    "rate": "readout rate of each latent neuron's Poisson spikes",
}


def metadata(rec):
    """The run's metadata as the NWB file's ``notes`` hold it (a dict)."""
    info = rec.info
    keep = ("seed", "dt", "record_dt", "device", "streams", "readout", "rate_scale",
            "rate_threshold", "model", "simulator", "units")
    meta = {k: info[k] for k in keep if k in info}
    meta["trials"] = rec.trials.to_dict()
    return meta


def _image_shape(n0, stimulus_shape):
    if stimulus_shape is not None:
        shape = tuple(int(s) for s in stimulus_shape)
        if len(shape) != 2 or shape[0] * shape[1] != n0:
            raise HEEParameterError(
                f"stimulus_shape {stimulus_shape} does not hold the {n0} pixels of layer 0."
            )
        return shape
    side = math.isqrt(n0)
    if side * side != n0:
        raise HEEParameterError(
            f"layer 0 has {n0} pixels, not a square image: give stimulus_shape=(h, w)."
        )
    return side, side


def to_nwb(rec, path, session_description=None, identifier=None, session_start_time=None,
           stimulus_shape=None, layers=None, states=("x", "rate"), overwrite=False,
           **nwbfile_kwds):
    """Write a protocol run's :class:`~hee_brian.recording.Recording` to an NWB file.

    Parameters
    ----------
    rec : Recording
        From :meth:`HEEModel.run_protocol` (it must have trials).
    path : str or Path
        The ``.nwb`` file to write.
    session_description : str, optional
        Default: the protocol in words.
    identifier : str, optional
        The file's unique identifier (default: a random UUID).
    session_start_time : datetime, optional
        Time zone aware (default: now, UTC).
    stimulus_shape : (int, int), optional
        Height and width of a stimulus image (default: square).
    layers : list of int, optional
        Latent layers to export (default: every recorded one).
    states : tuple of str
        Traces to write: any of "x", "eps", "a", "rate".
    overwrite : bool
        Replace an existing file.
    **nwbfile_kwds
        Further ``pynwb.NWBFile`` fields: ``experimenter``, ``lab``,
        ``institution``, ``related_publications``, ...

    Returns
    -------
    Path
    """
    pynwb = require("pynwb")
    from pynwb.image import ImageSeries

    if rec.trials is None:
        raise HEEParameterError(
            "to_nwb writes protocol runs (model.run_protocol(...)), whose trials give the "
            "NWB trials table; a plain run exports with rec.to_neo()."
        )
    path = Path(path)
    if path.exists() and not overwrite:
        raise HEEParameterError(f"{path} exists; pass overwrite=True to replace it.")
    layout, protocol = rec.trials, rec.trials.protocol
    sim = rec.info.get("simulator", {})
    simulator = ", ".join(f"{k} {v}" for k, v in sim.items()) or "hee-brian"
    nwb = pynwb.NWBFile(
        session_description=session_description or (
            f"Simulated HEE model: {protocol.n_conditions} condition(s) x {protocol.repeats} "
            f"repeat(s) of a {layout.duration * 1e3:g} ms trial."),
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=session_start_time or datetime.now(timezone.utc),
        experiment_description="Posterior sampling by the stochastic latent neurons of a "
                               "hierarchical exponential-family energy-based model (Dong & "
                               "Wu, NeurIPS 2023), simulated with hee-brian.",
        data_collection=f"Simulated on {rec.info.get('device')} with dt = "
                        f"{rec.info.get('dt', 0) * 1e3:g} ms, {layout.layout} layout, seed "
                        f"{rec.info.get('seed')}; spikes are the Poisson readout "
                        f"{rec.info.get('readout')}(x - {rec.info.get('rate_threshold', 0.0)}) "
                        f"x {rec.info.get('rate_scale')} Hz.",
        source_script=simulator,
        source_script_file_name="hee_brian",
        notes=json.dumps(metadata(rec), default=float),
        # no keywords: neo 0.14's NWBIO turns the file's keywords (an HDF5
        # string dataset) into a Block annotation and refuses the type
        **nwbfile_kwds,
    )
    # nwbinspector counts a missing subject, sex or age as critical.  The
    # subject is the model: sex "U" (unknown, NWB's term), born when the
    # session starts (a model has no age), no species (none is invented)
    nwb.subject = pynwb.file.Subject(
        subject_id=f"hee-model-seed-{rec.info.get('model', {}).get('seed')}", sex="U",
        date_of_birth=nwb.session_start_time,
        description="a simulated HEE model, not an animal; its parameters are in the notes")
    nwb.units = pynwb.misc.Units(
        name="units", description="Poisson readout spikes of the latent neurons",
        resolution=float(rec.info.get("dt", 0.0)))  # spikes fall on the simulation steps
    session_end = layout.n_trials * layout.duration
    _add_trials(nwb, layout)
    _add_units(nwb, rec, layers, session_end)
    _add_traces(nwb, rec, layers, states, layout)
    h, w = _image_shape(_n0(rec), stimulus_shape)
    epochs = layout.epoch_table()
    frames = np.array([np.zeros((h, w)) if e["stimulus"] is None else e["stimulus"].reshape(h, w)
                       for e in epochs])
    nwb.add_stimulus(ImageSeries(
        name="stimuli", data=frames, unit="dimensionless", format="raw",
        timestamps=np.array([e["start_time"] for e in epochs]),
        description="the image clamped on layer 0 during each epoch (zeros: blank), in the "
                    "model's input units (whitened luminance)"))
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def _n0(rec):
    """Pixels of layer 0, from the model's parameters or the recorded stimulus."""
    layers = rec.info.get("model", {}).get("layers")
    if layers:
        return int(layers[0]["n"])
    return rec.x[0].shape[1] // rec.trials.streams


def _add_trials(nwb, layout):
    rows = layout.trial_table()
    fixed = {"repeat": "repeat of the trial's condition",
             "condition": "index of the trial condition",
             "condition_name": "name of the trial condition",
             "stream": "network stream the trial ran in",
             "simulated_start_time": "when the trial started in simulated time (s); with the "
                                     "streams layout, repeats ran side by side"}
    params = layout.protocol.params()
    text = {p for p in params if any(isinstance(r[p], str) for r in rows)}
    for name, desc in fixed.items():
        nwb.add_trial_column(name, desc)
    for p in params:
        nwb.add_trial_column(p, f"stimulus parameter {p} of the trial's epochs")
    for r in rows:
        vals = {p: (r[p] if not (p in text and not isinstance(r[p], str)) else "")
                for p in params}
        nwb.add_trial(start_time=r["start_time"], stop_time=r["stop_time"],
                      **{k: r[k] for k in fixed}, **vals)
    nwb.add_epoch_column("trial", "the trial the epoch belongs to")
    for e in layout.epoch_table():
        nwb.add_epoch(start_time=e["start_time"], stop_time=e["stop_time"], tags=[e["label"]],
                      trial=e["trial"])


def _latent(rec, layers, var):
    have = rec.latent_layers(var)
    return have if layers is None else [l for l in layers if l in have]


def _add_units(nwb, rec, layers, session_end):
    nwb.add_unit_column("layer", "model layer of the neuron (1: first latent layer)")
    nwb.add_unit_column("neuron", "index of the neuron within its layer")
    for l in _latent(rec, layers, "spikes"):
        sp = rec.session_spikes(l)
        for j in range(sp.n):
            nwb.add_unit(spike_times=sp.t[sp.i == j], obs_intervals=[[0.0, session_end]],
                         layer=l, neuron=j)


def _add_traces(nwb, rec, layers, states, layout):
    pynwb = require("pynwb")
    module = nwb.create_processing_module(
        "hee_brian", "latent states and readout rates of the simulated model on the session "
                     "clock (trial k from k times the trial duration)")
    unknown = set(states) - set(_UNITS)
    if unknown:
        raise HEEParameterError(f"states: unknown variable(s) {sorted(unknown)}; use x, eps, a, "
                                "rate.")
    for l in _latent(rec, layers, "x"):
        for v in states:
            if not rec.recorded(l, v):
                continue
            module.add(pynwb.TimeSeries(
                name=f"{v}_layer{l}", data=rec.session_traces(l, v), unit=_UNITS[v],
                rate=1.0 / layout.record_dt, starting_time=0.0,
                description=f"{_DESCRIPTIONS[v]}, layer {l}; column j is neuron j"))
