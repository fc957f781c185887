"""Where each trial of a protocol run lives in the recorded arrays.

A protocol's R repeats run either as R streams side by side (``"streams"``:
stream r holds repeat r, its C trials one after the other) or in one
stream, one trial after the other (``"sequential"``).  :class:`TrialLayout`
turns the run's arrays, indexed by (time, stream x neuron), into arrays
indexed by (trial, time within the trial, neuron), and places the trials on
one *session* clock, trial k from ``k * T`` to ``(k + 1) * T`` (T: the trial
duration).  With ``"sequential"`` the session clock is the simulated time;
with ``"streams"`` trials of different repeats ran at the same simulated
time, and the session clock lays them end to end, as a physiologist's
recording of the same trials would.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protocol import Protocol

__all__ = ["TrialLayout", "LAYOUTS"]

#: How the repeats of a protocol are run.
LAYOUTS = ("streams", "sequential")


@dataclass
class TrialLayout:
    """The trials of a protocol run and where their samples are.

    Attributes
    ----------
    protocol : Protocol
    layout : {"streams", "sequential"}
    dt : float
        Simulation step (s).
    record_dt : float
        Interval of the recorded traces (s).
    split : int
        Streams sharing each repeat's conditions (``"streams"`` layout).
    """

    protocol: Protocol
    layout: str
    dt: float
    record_dt: float
    split: int = 1

    @property
    def n_trials(self):
        """Number of trials (repeats x conditions)."""
        return self.protocol.n_trials

    @property
    def streams(self):
        """Number of streams the run used."""
        return self.protocol.repeats * self.split if self.layout == "streams" else 1

    @property
    def duration(self):
        """Trial duration T (s)."""
        return self.protocol.trial_duration_s

    @property
    def trial_steps(self):
        """Simulation steps per trial."""
        return int(round(self.duration / self.dt))

    @property
    def samples(self):
        """Recorded samples per trial."""
        return int(round(self.duration / self.record_dt))

    @property
    def time(self):
        """Sample times within a trial (s), shape (samples,)."""
        return np.arange(self.samples) * self.record_dt

    @property
    def _per_stream(self):
        return self.protocol.n_conditions // self.split

    def source(self, k):
        """(stream, window) that trial ``k`` ran in: window w spans [w T, (w + 1) T)."""
        if self.layout != "streams":
            return 0, int(k)
        repeat, c = divmod(int(k), self.protocol.n_conditions)
        part, window = divmod(c, self._per_stream)
        return repeat * self.split + part, window

    def stream_trials(self, s):
        """The trials stream ``s`` runs, in order (``"streams"`` layout)."""
        repeat, part = divmod(int(s), self.split)
        start = repeat * self.protocol.n_conditions + part * self._per_stream
        return range(start, start + self._per_stream)

    # ------------------------------------------------------------------
    def traces(self, arr, n):
        """(time, streams x n) samples as (trial, time within trial, n)."""
        arr = np.asarray(arr)
        S = self.samples
        out = np.empty((self.n_trials, S, n), dtype=arr.dtype)
        for k in range(self.n_trials):
            s, w = self.source(k)
            out[k] = arr[w * S:(w + 1) * S, s * n:(s + 1) * n]
        return out

    def spikes(self, t, i, n):
        """Decode spikes: trial, neuron, and time within the trial (s) of each.

        ``t`` are the run's spike times and ``i`` the recorded indices
        ``stream * n + neuron``.  Returned sorted by trial, then time.
        """
        step = np.rint(np.asarray(t) / self.dt).astype(np.int64)
        stream, neuron = np.divmod(np.asarray(i, dtype=np.int64), n)
        window, step_in = np.divmod(step, self.trial_steps)
        if self.layout == "streams":
            repeat, part = np.divmod(stream, self.split)
            trial = repeat * self.protocol.n_conditions + part * self._per_stream + window
        else:
            trial = window
        order = np.lexsort((step_in, trial))
        return trial[order], neuron[order], step_in[order] * self.dt

    # ------------------------------------------------------------------
    def trial_table(self):
        """One dict per trial: times on the session clock, repeat, condition, stream."""
        rows = []
        names = self.protocol.params()
        for k in range(self.n_trials):
            r, c = self.protocol.trial(k)
            s, w = self.source(k)
            p = self.protocol.trial_params(c)
            rows.append({"trial": k, "start_time": k * self.duration,
                         "stop_time": (k + 1) * self.duration, "repeat": r, "condition": c,
                         "condition_name": self.protocol.names[c], "stream": s,
                         "simulated_start_time": w * self.duration,
                         **{name: p.get(name, np.nan) for name in names}})
        return rows

    def epoch_table(self):
        """One dict per epoch of every trial: label, times on the session clock, stimulus."""
        rows = []
        for k in range(self.n_trials):
            for e, on, off in self.protocol.epoch_times(self.protocol.trial(k)[1]):
                rows.append({"trial": k, "label": e.label, "start_time": k * self.duration + on,
                             "stop_time": k * self.duration + off, "stimulus": e.stimulus})
        return rows

    # ------------------------------------------------------------------
    def to_dict(self):
        """JSON-ready description (the protocol's stimuli are stored apart)."""
        return {"protocol": self.protocol.to_dict(), "layout": self.layout, "dt": self.dt,
                "record_dt": self.record_dt, "split": self.split}

    @classmethod
    def from_dict(cls, d, stimuli):
        """Rebuild from :meth:`to_dict` and the protocol's stimuli."""
        return cls(Protocol.from_dict(d["protocol"], stimuli), d["layout"], d["dt"],
                   d["record_dt"], d.get("split", 1))
