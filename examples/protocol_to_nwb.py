"""Protocol to NWB: repeated trials exported, then analysed with Elephant.

The demo model (64 pixels, 16 sparse latents with Gabor fields) runs a
physiologist's protocol: 200 ms blank, then 300 ms of a grating at 45 or
135 deg, 20 repeats of each (the repeats run side by side as streams).
The recording is written to an NWB file, read back with Neo, cut into
trials by the file's trials table, and Elephant computes the PSTH and the
Fano factor of the neuron the 45 deg grating drives most.  Top: its spike
raster, one row per trial; bottom: its PSTH (mean +- s.e.m., 20 ms bins)
for both gratings, with the Fano factors in the legend.

Writes ``output/examples/protocol_to_nwb.nwb`` and
``output/examples/protocol_to_nwb.png``; about 15 s on 2 cores, compiling
(cpp_standalone) included.  Needs the io extra: ``pip install -e ".[io]"``.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import neo
import numpy as np
import pynwb
import quantities as pq
from brian2 import Hz, ms
from elephant.statistics import fanofactor, time_histogram

import hee_brian as hb
from hee_brian import models
from hee_brian.analysis import plotting
from hee_brian.analysis.tuning import grating

# protocol: blank, then a grating, for each of two orientations, 20 repeats
blank, stim, repeats, bin_width = 200 * ms, 300 * ms, 20, 20 * pq.ms
conditions = [[hb.Epoch("blank", blank),
               hb.Epoch("grating", stim, grating((8, 8), np.radians(theta), 0.2, 0.0, 1.5),
                        theta=theta)] for theta in (45.0, 135.0)]
protocol = hb.Protocol(conditions, repeats=repeats)

# run and export
model = models.build("demo", seed=1, rate_scale=40 * Hz)
rec = model.run_protocol(protocol, seed=2)
out = Path("output/examples")
out.mkdir(parents=True, exist_ok=True)
path = rec.to_nwb(out / "protocol_to_nwb.nwb", overwrite=True)
print(f"wrote {path}: {rec.trials.n_trials} trials, {len(rec.spikes[1].t)} spikes")

# read back: spike trains from Neo, trial times from the NWB trials table
units = neo.NWBIO(str(path), "r").read_block().segments[0].spiketrains
with pynwb.NWBHDF5IO(str(path), "r") as io:
    trials = io.read().trials.to_dataframe()
T = float(protocol.trial_duration_s) * pq.s
stim_on = float(blank / ms) * pq.ms


def trial_trains(unit, theta):
    """The unit's spike trains of every trial at ``theta``, timed from trial onset."""
    starts = trials.loc[trials["theta"] == theta, "start_time"]
    return [unit.time_slice(t0 * pq.s, t0 * pq.s + T).time_shift(-t0 * pq.s) for t0 in starts]


driven = int(np.argmax([sum(len(st.time_slice(stim_on, T)) for st in trial_trains(u, 45.0))
                        for u in units]))
fig, axes = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
for row, st in enumerate(trial_trains(units[driven], 45.0) + trial_trains(units[driven], 135.0)):
    axes[0].vlines(st.rescale(pq.ms).magnitude, row + 0.1, row + 0.9, color="k", lw=0.8)
axes[0].axhline(repeats, color="0.5", lw=0.8)
axes[0].set_ylabel("trial (45 deg below the line, 135 deg above)")
axes[0].set_title(f"latent {driven}: 200 ms blank, then a grating from {stim_on}")
for c, theta in enumerate((45.0, 135.0)):
    trains = trial_trains(units[driven], theta)
    hist = time_histogram(trains, bin_size=bin_width, t_start=0 * pq.s, t_stop=T, output="counts")
    counts = np.array([time_histogram([st], bin_size=bin_width, t_start=0 * pq.s,
                                      t_stop=T).magnitude.ravel() for st in trains])
    width = float(bin_width.rescale(pq.s))
    sem = counts.std(0, ddof=1) / np.sqrt(len(trains)) / width
    ff = fanofactor([st.time_slice(stim_on, T) for st in trains])
    edges = np.arange(counts.shape[1] + 1) * width
    plotting.plot_psth(edges, hist.magnitude.ravel() / len(trains) / width, sem, axes=axes[1],
                       label=f"{theta:g} deg: Fano factor {ff:.2f} (Elephant)", color=f"C{c}")
for ax in axes:
    ax.axvline(float(stim_on), color="0.6", ls="--", lw=0.8)
axes[1].legend(fontsize=8, loc="upper left")
plotting.save_figure(fig, out / "protocol_to_nwb.png")
print(f"wrote {out / 'protocol_to_nwb.png'}")
