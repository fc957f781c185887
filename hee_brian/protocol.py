"""Stimulus protocols: epochs, trial conditions and repeats, as a physiologist plans them.

A trial is a sequence of :class:`Epoch` s (e.g. 200 ms blank, then 300 ms of
a grating at theta = 45 deg).  A :class:`Protocol` holds one or more trial
conditions and how often each is repeated.  Trial ``k`` is trial ``k % C``
of repeat ``k // C`` (C conditions); every repeat runs each condition once,
in the given order or shuffled (``Protocol.trial(k)`` says which).

>>> import numpy as np
>>> from brian2 import ms
>>> protocol = Protocol([Epoch("blank", 200*ms),
...                      Epoch("grating", 300*ms, stimulus=np.ones(64), theta=45.0)],
...                     repeats=10)
>>> protocol.n_trials, float(protocol.trial_duration_s)
(10, 0.5)
"""
from __future__ import annotations

import math
import numpy as np
from brian2 import second

from .errors import HEEParameterError
from .validation import as_positive_int, as_time

__all__ = ["Epoch", "Protocol"]

#: Simple values an epoch may carry as labels (exported to Neo and NWB).
_PARAM_TYPES = (int, float, str, bool, np.integer, np.floating, np.bool_)


class Epoch:
    """One stretch of a trial with one stimulus.

    Parameters
    ----------
    label : str
        What a physiologist would write in the log, e.g. ``"blank"``.
    duration : Quantity
        How long it lasts.
    stimulus : ndarray, shape (n_0,), optional
        The image clamped on layer 0 (None: a blank, all zeros, the mean
        luminance of whitened patches).
    **params
        Scalars that describe the stimulus (``theta=45.0``, ``contrast=0.5``):
        they become columns of the trials table.
    """

    __slots__ = ("label", "duration", "stimulus", "params")

    def __init__(self, label, duration, stimulus=None, **params):
        if not isinstance(label, str) or not label:
            raise HEEParameterError(f"Epoch label must be a non-empty string, got {label!r}.")
        self.label = label
        self.duration = as_time(duration, f"duration of epoch {label!r}") * second
        if stimulus is not None:
            stimulus = np.array(stimulus, dtype=float)
            if stimulus.ndim != 1 or not np.all(np.isfinite(stimulus)):
                raise HEEParameterError(
                    f"stimulus of epoch {label!r} must be one finite image, shape (n_0,); "
                    f"got shape {stimulus.shape}."
                )
            stimulus.setflags(write=False)
        self.stimulus = stimulus
        for k, v in params.items():
            if not isinstance(v, _PARAM_TYPES):
                raise HEEParameterError(
                    f"epoch {label!r}: parameter {k}={v!r} must be a number, string or bool "
                    "(it becomes a column of the trials table)."
                )
        self.params = dict(params)

    @property
    def duration_s(self):
        """Duration in seconds (float)."""
        return float(self.duration / second)

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        stim = "" if self.stimulus is None else f", stimulus=<{self.stimulus.size} pixels>"
        return f"Epoch({self.label!r}, {self.duration}{stim}{extra})"


class Protocol:
    """Trial conditions, each a sequence of epochs, run ``repeats`` times.

    Parameters
    ----------
    conditions : list of Epoch, or list of list of Epoch
        One trial condition (a list of epochs) or several.  Every condition
        must last as long as the others, so that trials line up.
    repeats : int
        How many times each condition is run.
    names : list of str, optional
        A name per condition (default: the labels and parameters of its
        stimulus epochs, e.g. ``"grating theta=45.0"``).
    """

    def __init__(self, conditions, repeats=1, names=None, order="blocked", order_seed=0):
        conditions = list(conditions)
        if conditions and isinstance(conditions[0], Epoch):
            conditions = [conditions]
        if not conditions or not all(isinstance(c, (list, tuple)) and c and
                                     all(isinstance(e, Epoch) for e in c)
                                     for c in conditions):
            raise HEEParameterError(
                "conditions must be a list of Epoch objects (one trial condition) or a list "
                "of such lists, e.g. [Epoch('blank', 200*ms), Epoch('grating', 300*ms, g)]."
            )
        self.conditions = [list(c) for c in conditions]
        self.repeats = as_positive_int(repeats, "repeats")
        lengths = [sum(e.duration_s for e in c) for c in self.conditions]
        if max(lengths) - min(lengths) > 1e-12:
            raise HEEParameterError(
                f"every trial condition must last the same time; got {lengths} s. "
                "Pad the shorter ones with a blank epoch."
            )
        self.trial_duration_s = lengths[0]
        if names is None:  # e.g. "grating theta=45.0"
            names = [" + ".join(" ".join([e.label] + [f"{k}={v}" for k, v in e.params.items()])
                                for e in c if e.stimulus is not None) or "blank"
                     for c in self.conditions]
        if len(names) != len(self.conditions):
            raise HEEParameterError(
                f"names: {len(names)} names for {len(self.conditions)} conditions."
            )
        self.names = [str(n) for n in names]
        if order not in ("blocked", "shuffled"):
            raise HEEParameterError(f"order must be 'blocked' or 'shuffled', got {order!r}.")
        self.order, self.order_seed = order, int(order_seed)
        C = len(self.conditions)
        if order == "blocked":
            self.sequence = np.tile(np.arange(C), (self.repeats, 1))
        else:
            rng = np.random.default_rng(self.order_seed)
            self.sequence = np.array([rng.permutation(C) for _ in range(self.repeats)])

    # ------------------------------------------------------------------
    @property
    def n_conditions(self):
        """Number of trial conditions C."""
        return len(self.conditions)

    @property
    def n_trials(self):
        """Number of trials, repeats x conditions."""
        return self.repeats * self.n_conditions

    @property
    def trial_duration(self):
        """Duration of one trial (Quantity)."""
        return self.trial_duration_s * second

    def trial(self, k):
        """(repeat, condition) of trial ``k``."""
        r, position = divmod(int(k), self.n_conditions)
        return r, int(self.sequence[r, position])

    def params(self):
        """Names of the epoch parameters, in first-seen order."""
        seen = {}
        for c in self.conditions:
            for e in c:
                seen.update(dict.fromkeys(e.params))
        return list(seen)

    def trial_params(self, condition):
        """The parameters of a condition's epochs merged (later epochs win)."""
        out = {}
        for e in self.conditions[condition]:
            out.update(e.params)
        return out

    def epoch_times(self, condition):
        """(epoch, onset, offset) of every epoch of a condition, in s from trial onset."""
        rows, t = [], 0.0
        for e in self.conditions[condition]:
            rows.append((e, t, t + e.duration_s))
            t += e.duration_s
        return rows

    # ------------------------------------------------------------------
    def check(self, n_0, dt_s, record_dt_s):
        """Refuse a protocol the model cannot run; return the schedule step (steps).

        Every epoch must last a whole number of steps ``dt_s``, stimuli must
        have ``n_0`` pixels, and the recording interval must divide a trial.
        The schedule step is the largest step count dividing every epoch
        (stimuli are presented in chunks of that length).
        """
        steps = []
        for c in self.conditions:
            for e in c:
                k = e.duration_s / dt_s
                if abs(k - round(k)) > 1e-6 or round(k) < 1:
                    raise HEEParameterError(
                        f"epoch {e.label!r} lasts {e.duration}, not a whole number of "
                        f"dt = {dt_s * second}; round it to a multiple of dt."
                    )
                steps.append(int(round(k)))
                if e.stimulus is not None and e.stimulus.size != n_0:
                    raise HEEParameterError(
                        f"epoch {e.label!r}: stimulus has {e.stimulus.size} pixels, the model's "
                        f"layer 0 has {n_0}."
                    )
        trial = sum(steps) // self.n_conditions
        rec = record_dt_s / dt_s
        if abs(rec - round(rec)) > 1e-6 or trial % int(round(rec)):
            raise HEEParameterError(
                f"record_every = {record_dt_s * second} does not divide the trial duration "
                f"{self.trial_duration}; choose a divisor of it (e.g. 1*ms)."
            )
        return math.gcd(*steps)

    def stimulus_sequence(self, n_0, chunk_steps, dt_s, trials):
        """The clamped images of ``trials`` in order, one row per chunk of steps."""
        rows = []
        blank = np.zeros(n_0)
        for k in trials:
            for e in self.conditions[self.trial(k)[1]]:
                n = int(round(e.duration_s / dt_s)) // chunk_steps
                rows.extend([blank if e.stimulus is None else e.stimulus] * n)
        return np.array(rows)

    # ------------------------------------------------------------------
    def to_dict(self):
        """JSON-ready description; stimuli become indices into :meth:`stimuli`."""
        stims, index = self._stimuli()
        conds = [[{"label": e.label, "duration": e.duration_s,
                   "stimulus": index.get(id(e.stimulus)), "params": e.params}
                  for e in c] for c in self.conditions]
        return {"conditions": conds, "repeats": self.repeats, "names": self.names,
                "order": self.order, "order_seed": self.order_seed,
                "n_stimuli": len(stims)}

    def stimuli(self):
        """The distinct stimulus images, shape (n_stimuli, n_0), in first-seen order."""
        return self._stimuli()[0]

    def _stimuli(self):
        stims, index = [], {}
        for c in self.conditions:
            for e in c:
                if e.stimulus is not None and id(e.stimulus) not in index:
                    index[id(e.stimulus)] = len(stims)
                    stims.append(e.stimulus)
        return (np.array(stims) if stims else np.zeros((0, 0))), index

    @classmethod
    def from_dict(cls, d, stimuli):
        """Rebuild a protocol from :meth:`to_dict` and :meth:`stimuli`."""
        conds = [[Epoch(e["label"], e["duration"] * second,
                        None if e["stimulus"] is None else stimuli[e["stimulus"]],
                        **e["params"]) for e in c] for c in d["conditions"]]
        return cls(conds, repeats=d["repeats"], names=d["names"],
                   order=d.get("order", "blocked"), order_seed=d.get("order_seed", 0))

    def __repr__(self):
        return (f"Protocol({self.n_conditions} condition(s) x {self.repeats} repeat(s), "
                f"trial {self.trial_duration})")
