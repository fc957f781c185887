"""Spikes and rates: the demo model's latents seeing a grating.

The demo model (``hee_brian.models.demo``: 64 pixels, 16 sparse latents with
Gabor fields at 8 orientations x 2 phases) sees a blank patch for 300 ms,
then a vertical grating (``hee_brian.analysis.tuning.grating``) for 300 ms,
then a horizontal one.  Each latent samples its posterior; its Poisson
readout fires at rate_scale * softplus(x).  Top: spike raster of all
latents; bottom: the readout rate (Hz) of the two latents each grating
drives most, against the rate counted from their spikes in 50 ms bins.

Writes ``output/examples/spikes_and_rates.png``; about 8 s on 2 cores,
compiling (cpp_standalone) included.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, ms

from hee_brian import models
from hee_brian.analysis import plotting
from hee_brian.analysis.recordings import readout_rate
from hee_brian.analysis.tuning import grating

# parameters
presentation = 300 * ms
contrast = 1.5
bin_width = 0.05  # s, for the spike-count rate

# model and stimuli: blank, grating at 0 rad (vertical bars), grating at pi/2
model = models.build("demo", seed=1, rate_scale=20 * Hz)
stimuli = np.array([np.zeros(64), grating((8, 8), 0.0, 0.2, 0.0, contrast),
                    grating((8, 8), np.pi / 2, 0.2, 0.0, contrast)])

# run
rec = model.infer(stimuli, len(stimuli) * presentation, presentation=presentation,
                  record_every=1 * ms, layers=[1])
rates = readout_rate(model, rec.x[1])  # Hz
spikes = rec.spikes[1]
pres_s = float(presentation / ms) * 1e-3
driven = [int(np.argmax(rates[(rec.t >= k * pres_s) & (rec.t < (k + 1) * pres_s)].mean(0)))
          for k in (1, 2)]  # the latent each grating drives most
edges = np.arange(0, len(stimuli) * pres_s + bin_width / 2, bin_width)
counted = spikes.counts(edges) / bin_width  # (bins, neurons), Hz
print(f"{len(spikes.t)} spikes; mean rate {spikes.rates(len(stimuli) * pres_s).mean():.1f} Hz")

# plot
fig, axes = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
plotting.plot_raster(spikes.t, spikes.i, axes=axes[0], n=spikes.n)
plotting.shade_intervals(axes, [pres_s], [2 * pres_s], color="0.92")
plotting.shade_intervals(axes, [2 * pres_s], [3 * pres_s], color="0.85")
axes[0].set_xlabel("")
axes[0].set_ylabel("latent index")
axes[0].set_title("blank | vertical grating | horizontal grating")
for c, j in enumerate(driven):
    plotting.plot_rates(rec.t, rates[:, j], axes=axes[1], labels=[f"latent {j}: readout rate"],
                        color=f"C{c}")
    axes[1].stairs(counted[:, j], edges * 1e3, color=f"C{c}", alpha=0.5, lw=1,
                   label=f"latent {j}: spike count / {bin_width * 1e3:g} ms")
axes[1].set_ylabel("rate (Hz)")
axes[1].legend(fontsize=8, loc="upper left")
out = Path("output/examples")
out.mkdir(parents=True, exist_ok=True)
plotting.save_figure(fig, out / "spikes_and_rates.png")
print(f"wrote {out / 'spikes_and_rates.png'}")
