"""What a simulation run gives back: states, readout rates, spikes, trials.

A :class:`Recording` holds a run's traces in plain NumPy (times in seconds),
its metadata (dt, seed, device, the model's parameters, the readout, the
units of every array) and, for a protocol run, its :class:`TrialLayout`, so
that spikes, states and rates can be read by (trial, neuron).  It saves to
``.npz`` and loads back whole, and exports to Neo (:meth:`Recording.to_neo`)
and NWB (:meth:`Recording.to_nwb`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .errors import HEEParameterError
from .trials import TrialLayout

__all__ = ["Recording", "SpikeTrains", "UNITS"]

#: Units of the recorded arrays (what ``info["units"]`` records).
UNITS = {"t": "s", "x": "1", "eps": "1", "a": "1", "rate": "Hz", "spike_times": "s",
         "dt": "s", "record_dt": "s", "rate_scale": "Hz"}


@dataclass
class SpikeTrains:
    """Spikes of one layer's Poisson readout: times (s) and neuron indices."""

    t: np.ndarray
    i: np.ndarray
    n: int

    def counts(self, edges):
        """Spike counts per neuron in time bins with ``edges`` (s): (bins, n)."""
        out = np.zeros((len(edges) - 1, self.n))
        idx = np.searchsorted(edges, self.t, side="right") - 1
        ok = (idx >= 0) & (idx < len(edges) - 1)
        np.add.at(out, (idx[ok], self.i[ok]), 1)
        return out

    def rates(self, duration):
        """Mean firing rate per neuron (Hz) over ``duration`` seconds."""
        return np.bincount(self.i, minlength=self.n) / float(duration)


@dataclass
class Recording:
    """Recorded traces of one run, in plain NumPy (time along axis 0).

    Attributes
    ----------
    t : ndarray
        Sample times in seconds.
    x : list of ndarray
        ``x[l]`` has shape (time, n_l): the neurons' states (layer 0: the
        clamped stimulus, or the generated observation).
    eps : list of ndarray
        ``eps[l]``: the mean of layer l's interneurons, an estimate of A'(eta).
    a : list
        ``a[l]``: adaptation currents of latent layers (None where absent).
    spikes : list
        ``spikes[l]``: :class:`SpikeTrains` of latent layer l (None for l = 0
        or when spikes were not recorded).
    final_state : dict
        States at the end of the run, to continue a chain.
    info : dict
        dt, record_dt, seed, device, streams, the readout and its rate
        scale, the model's parameters (``info["model"]``), the simulator's
        versions, the units of every array (``info["units"]``) and timings.
    trials : TrialLayout or None
        For a protocol run (:meth:`HEEModel.run_protocol`): which samples
        and spikes belong to which trial.
    """

    t: np.ndarray
    x: list
    eps: list
    a: list
    spikes: list
    final_state: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    trials: TrialLayout | None = None

    # ------------------------------------------------------------------
    def rates(self, layer):
        """Readout rate (Hz) of ``layer``'s recorded states, shape of ``x[layer]``.

        ``info["rate_scale"] * readout(x - info["rate_threshold"])`` with
        the run's readout (``info["readout"]``): the rate of the Poisson
        spikes.
        """
        from .nonlinearities import readout_rate

        x = self.trace(layer, "x")
        if "readout" not in self.info:
            raise HEEParameterError(
                "this recording does not say its readout (written by an older version); "
                "use hee_brian.analysis.recordings.readout_rate(model, rec.x[layer])."
            )
        return readout_rate(self.info["readout"], x, self.info["rate_scale"],
                            self.info.get("rate_threshold", 0.0))

    def _arrays(self, var):
        """The per-layer list holding ``var`` (the rate is computed from x)."""
        arrays = {"x": self.x, "eps": self.eps, "a": self.a, "rate": self.x}
        if var not in arrays:
            raise HEEParameterError(f"var must be one of x, eps, a, rate; got {var!r}.")
        return arrays[var]

    def recorded(self, layer, var="x"):
        """Whether ``var`` ("x", "eps", "a", "rate" or "spikes") of ``layer`` was recorded."""
        arrays = self.spikes if var == "spikes" else self._arrays(var)
        return 0 <= layer < len(arrays) and arrays[layer] is not None

    def latent_layers(self, var="x"):
        """The latent layers (1, 2, ...) whose ``var`` was recorded."""
        n = len(self.spikes if var == "spikes" else self._arrays(var))
        return [l for l in range(1, n) if self.recorded(l, var)]

    def trace(self, layer, var="x"):
        """``var`` of ``layer`` over the run: (time, streams x n); "rate" in Hz."""
        if not self.recorded(layer, var):
            raise HEEParameterError(f"{var} of layer {layer} was not recorded in this run.")
        return self.rates(layer) if var == "rate" else self._arrays(var)[layer]

    def _layout(self):
        if self.trials is None:
            raise HEEParameterError(
                "this recording has no trials: run a protocol with model.run_protocol(...)."
            )
        return self.trials

    def _n(self, layer, var="x"):
        """Neurons per stream of ``layer`` (every recorded variable has one per neuron)."""
        return self.trace(layer, var if var != "rate" else "x").shape[1] // \
            self._layout().streams

    # ------------------------------------------------------------------
    def trial_traces(self, layer, var="x"):
        """``var`` ("x", "eps", "a" or "rate") of ``layer`` by trial.

        Returns
        -------
        ndarray, shape (n_trials, samples per trial, n)
            Sample s of trial k is at ``trials.time[s]`` after its onset.
        """
        return self._layout().traces(self.trace(layer, var), self._n(layer, var))

    def trial_spikes(self, layer):
        """Every spike of ``layer`` as (trial, neuron, time after trial onset in s)."""
        if not self.recorded(layer, "spikes"):
            raise HEEParameterError(f"spikes of layer {layer} were not recorded in this run.")
        sp = self.spikes[layer]
        return self._layout().spikes(sp.t, sp.i, self._n(layer))

    def trial_spike_times(self, layer):
        """Spike times after trial onset (s), as ``[trial][neuron] -> ndarray``."""
        trial, neuron, t = self.trial_spikes(layer)
        n, K = self._n(layer), self._layout().n_trials
        key = trial * n + neuron
        order = np.argsort(key, kind="stable")
        bounds = np.searchsorted(key[order], np.arange(K * n + 1))
        ts = t[order]
        return [[ts[bounds[k * n + j]:bounds[k * n + j + 1]] for j in range(n)]
                for k in range(K)]

    def trial_counts(self, layer, edges=None, epoch=None):
        """Spike counts by trial.

        Parameters
        ----------
        layer : int
        edges : array_like, optional
            Bin edges (s after trial onset): counts of shape
            (n_trials, bins, n).
        epoch : str, optional
            Count within the epoch of that label in each trial: counts of
            shape (n_trials, n).  With neither, the whole trial.
        """
        layout = self._layout()
        trial, neuron, t = self.trial_spikes(layer)
        n = self._n(layer)
        if edges is not None and epoch is not None:
            raise HEEParameterError("give edges or epoch, not both.")
        if edges is None:
            lo, hi = np.zeros(layout.n_trials), np.full(layout.n_trials, layout.duration)
            if epoch is not None:
                lo, hi = self._epoch_window(epoch)
            keep = (t >= lo[trial] - 1e-12) & (t < hi[trial] - 1e-12)
            out = np.zeros((layout.n_trials, n))
            np.add.at(out, (trial[keep], neuron[keep]), 1)
            return out
        edges = np.asarray(edges, dtype=float)
        b = np.searchsorted(edges, t + 1e-12, side="right") - 1
        keep = (b >= 0) & (b < len(edges) - 1)
        out = np.zeros((layout.n_trials, len(edges) - 1, n))
        np.add.at(out, (trial[keep], b[keep], neuron[keep]), 1)
        return out

    def _epoch_window(self, label):
        layout = self._layout()
        lo, hi = np.full(layout.n_trials, np.nan), np.full(layout.n_trials, np.nan)
        table = layout.epoch_table()
        for row in table:
            k = row["trial"]
            if row["label"] == label and np.isnan(lo[k]):
                lo[k] = row["start_time"] - k * layout.duration
                hi[k] = row["stop_time"] - k * layout.duration
        if np.isnan(lo).any():
            labels = sorted({r["label"] for r in table})
            raise HEEParameterError(
                f"epoch {label!r} is not in every trial; the protocol's epochs are {labels}."
            )
        return lo, hi

    def session_spikes(self, layer):
        """``layer``'s spikes on the session clock (trial k from k T), neuron indices."""
        layout = self._layout()
        trial, neuron, t = self.trial_spikes(layer)
        return SpikeTrains(t=trial * layout.duration + t, i=neuron, n=self._n(layer))

    def session_traces(self, layer, var="x"):
        """``var`` of ``layer`` on the session clock: (n_trials x samples, n)."""
        tr = self.trial_traces(layer, var)
        return tr.reshape(-1, tr.shape[2])

    def save(self, path):
        """Write the recording to a ``.npz`` file that :meth:`load` reads back.

        Times are in seconds; ``info`` (dt, seed, device, model parameters,
        units, timings), the final state and the trials (protocol, stimuli
        and layout) are kept.
        """
        n_layers = max(len(self.x), len(self.eps), len(self.a), len(self.spikes))
        arrays = {"t": self.t, "n_layers": np.array(n_layers)}
        for name in ("x", "eps", "a"):
            for l, arr in enumerate(getattr(self, name)):
                if arr is not None:
                    arrays[f"{name}_{l}"] = arr
        for l, sp in enumerate(self.spikes):
            if sp is not None:
                arrays[f"spike_t_{l}"] = sp.t
                arrays[f"spike_i_{l}"] = sp.i
                arrays[f"spike_n_{l}"] = np.array(sp.n)
        for (name, l), v in self.final_state.items():
            arrays[f"final_{name}_{l}"] = v
        arrays["info"] = np.array(json.dumps(self.info, default=float))
        if self.trials is not None:
            arrays["trials"] = np.array(json.dumps(self.trials.to_dict()))
            arrays["protocol_stimuli"] = self.trials.protocol.stimuli()
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path):
        """Read a recording written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as f:
            n_layers = int(f["n_layers"]) if "n_layers" in f.files else 1 + max(
                int(k.rsplit("_", 1)[1]) for k in f.files if k.startswith(("x_", "eps_")))
            lists = {name: [f[f"{name}_{l}"] if f"{name}_{l}" in f.files else None
                            for l in range(n_layers)] for name in ("x", "eps", "a")}
            spikes = [SpikeTrains(t=f[f"spike_t_{l}"], i=f[f"spike_i_{l}"],
                                  n=int(f[f"spike_n_{l}"]) if f"spike_n_{l}" in f.files
                                  else int(f[f"spike_i_{l}"].max(initial=-1)) + 1)
                      if f"spike_t_{l}" in f.files else None for l in range(n_layers)]
            final = {}
            for k in f.files:
                if k.startswith("final_"):
                    _, name, l = k.rsplit("_", 2)  # final_<variable>_<layer>
                    final[(name, int(l))] = f[k]
            info = json.loads(str(f["info"])) if "info" in f.files else {}
            trials = TrialLayout.from_dict(json.loads(str(f["trials"])), f["protocol_stimuli"]) \
                if "trials" in f.files else None
            return cls(t=f["t"], spikes=spikes, final_state=final, info=info, trials=trials,
                       **lists)

    # ------------------------------------------------------------------
    def to_neo(self, layers=None, states=("x", "rate")):
        """The recording as a ``neo.Block``; see :func:`hee_brian.export.neo.to_neo`."""
        from .export.neo import to_neo

        return to_neo(self, layers=layers, states=states)

    def to_nwb(self, path, **kwds):
        """Write the recording to an NWB file; see :func:`hee_brian.export.nwb.to_nwb`."""
        from .export.nwb import to_nwb

        return to_nwb(self, path, **kwds)
