"""A recording as a ``neo.Block``: one Segment per trial, times from trial onset.

The layout follows what Elephant expects of trials
(``elephant.trials.TrialsFromBlock``): segment k is trial k; its spike
trains (one per latent neuron, ``t_start`` = 0 s, ``t_stop`` = the trial
duration) and analog signals (states and readout rates, sampled every
``record_dt``) are timed from the trial's onset, and the segment's
annotations say where the trial sits on the session clock
(``session_start``), its repeat, condition, stream and stimulus
parameters.  ``block.groups`` holds one ``Group`` per neuron with its spike
trains across trials.  A recording without trials becomes one Segment
with the whole run, spike trains per recorded neuron of every stream.
"""
from __future__ import annotations

import json

import numpy as np

from . import require

__all__ = ["to_neo"]

_STATE_UNITS = {"x": "dimensionless", "eps": "dimensionless", "a": "dimensionless",
                "rate": "Hz"}


def _latent_layers(rec, layers):
    have = sorted(set(rec.latent_layers("x")) | set(rec.latent_layers("spikes")))
    return have if layers is None else [int(l) for l in layers]


def _block(rec):
    neo = require("neo")
    info = rec.info
    return neo.Block(
        name="hee-brian recording",
        description="Simulated with hee-brian (Brian2): the HEE model's latents sampling "
                    "their posterior, with a Poisson spiking readout.",
        seed=info.get("seed"), dt_s=info.get("dt"), device=info.get("device"),
        readout=info.get("readout"), rate_scale_hz=info.get("rate_scale"),
        rate_threshold=info.get("rate_threshold", 0.0),
        simulator=json.dumps(info.get("simulator", {})),
        model=json.dumps(info.get("model", {})),
    )


def to_neo(rec, layers=None, states=("x", "rate")):
    """Build a ``neo.Block`` from a :class:`~hee_brian.recording.Recording`.

    Parameters
    ----------
    rec : Recording
    layers : list of int, optional
        Latent layers to export (default: every recorded one).
    states : tuple of str
        Recorded variables to export as AnalogSignals: any of "x", "eps",
        "a" (states, dimensionless) and "rate" (readout rate, Hz).

    Returns
    -------
    neo.Block
    """
    neo = require("neo")
    pq = require("quantities")
    block = _block(rec)
    layers = _latent_layers(rec, layers)
    if rec.trials is None:
        _whole_run(rec, block, layers, states, neo, pq)
        return block
    layout = rec.trials
    T = layout.duration * pq.s
    rate = (1.0 / layout.record_dt) * pq.Hz
    groups = {}
    traces = {(l, v): rec.trial_traces(l, v) for l in layers for v in states
              if rec.recorded(l, v)}
    spike_times = {l: rec.trial_spike_times(l) for l in layers if rec.recorded(l, "spikes")}
    epochs = layout.epoch_table()
    for row in layout.trial_table():
        k = row["trial"]
        seg = neo.Segment(name=f"trial {k}", index=k, session_start=row["start_time"],
                          **{key: _plain(v) for key, v in row.items()
                             if key not in ("start_time", "stop_time")})
        for l, per_trial in spike_times.items():
            for j, ts in enumerate(per_trial[k]):
                st = neo.SpikeTrain(ts * pq.s, t_start=0 * pq.s, t_stop=T,
                                    name=f"layer {l} neuron {j}", layer=l, neuron=j,
                                    stream=row["stream"], trial=k)
                seg.spiketrains.append(st)
                groups.setdefault((l, j), []).append(st)
        for (l, v), tr in traces.items():
            sig = neo.AnalogSignal(tr[k], units=_STATE_UNITS[v], sampling_rate=rate,
                                   t_start=0 * pq.s, name=f"{v} layer {l}", layer=l,
                                   variable=v,
                                   array_annotations={"neuron": np.arange(tr.shape[2])})
            seg.analogsignals.append(sig)
        ep = [e for e in epochs if e["trial"] == k]
        seg.epochs.append(neo.Epoch(
            times=np.array([e["start_time"] - row["start_time"] for e in ep]) * pq.s,
            durations=np.array([e["stop_time"] - e["start_time"] for e in ep]) * pq.s,
            labels=np.array([e["label"] for e in ep]), name="protocol epochs"))
        block.segments.append(seg)
    for (l, j), trains in groups.items():
        block.groups.append(neo.Group(trains, name=f"layer {l} neuron {j}", layer=l, neuron=j))
    block.check_relationships()
    return block


def _plain(v):
    """A value neo accepts as an annotation (NumPy scalars to Python)."""
    return v.item() if isinstance(v, np.generic) else v


def _whole_run(rec, block, layers, states, neo, pq):
    """One Segment holding the whole run of a recording without trials."""
    dt = rec.info.get("dt", 0.0)
    trains = {l: rec.spikes[l] for l in layers if rec.recorded(l, "spikes")}
    t_stop = max([rec.t[-1] + rec.info.get("record_dt", dt) if len(rec.t) else dt]
                 + [float(sp.t.max(initial=0.0)) + dt for sp in trains.values()])
    seg = neo.Segment(name="run", index=0)
    streams = int(rec.info.get("streams", 1))
    for l in layers:
        sp = trains.get(l)
        if sp is not None:
            n = sp.n // streams
            for idx in range(sp.n):
                seg.spiketrains.append(neo.SpikeTrain(
                    np.sort(sp.t[sp.i == idx]) * pq.s, t_start=0 * pq.s, t_stop=t_stop * pq.s,
                    name=f"layer {l} neuron {idx % n} stream {idx // n}", layer=l,
                    neuron=idx % n, stream=idx // n))
        for v in states:
            if rec.recorded(l, v) and len(rec.t) > 1:
                seg.analogsignals.append(neo.AnalogSignal(
                    rec.trace(l, v), units=_STATE_UNITS[v],
                    sampling_rate=(1.0 / (rec.t[1] - rec.t[0])) * pq.Hz,
                    t_start=rec.t[0] * pq.s, name=f"{v} layer {l}", layer=l, variable=v))
    block.segments.append(seg)
    block.check_relationships()
