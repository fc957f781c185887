"""What a simulation run gives back: rate traces, interneuron traces, spikes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Recording", "SpikeTrains"]


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
        dt, seed, device and timings of the run.
    """

    t: np.ndarray
    x: list
    eps: list
    a: list
    spikes: list
    final_state: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def save(self, path):
        """Write the recording to a ``.npz`` file that :meth:`load` reads back.

        Times are in seconds; ``info`` (dt, seed, device, timings) and the
        final state are kept.
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
            return cls(t=f["t"], spikes=spikes, final_state=final, info=info, **lists)
