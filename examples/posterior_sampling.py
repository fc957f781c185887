"""Neural sampling: the latents' trajectories sample the exact posterior.

The linear-Gaussian HEE model of docs/model.md section 2 (16 Gaussian
pixels, 8 Gaussian latents, sigma_0 = 0.5; ``hee_brian.models.linear_gaussian``)
has a Gaussian posterior known in closed form
(``hee_brian.reference.gaussian_posterior``).  With one image clamped on the
pixels, the network runs for 1000 tau_x; the mean and variance of each
latent's trajectory are compared with the exact posterior mean and variance
(error bars: standard errors from the chains' autocorrelation times).

Writes ``output/examples/posterior_sampling.png``; about 10 s on 2 cores,
compiling the network (cpp_standalone) included.
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, second

from hee_brian.analysis import plotting
from hee_brian.analysis import posterior as P
from hee_brian.models import linear_gaussian as lg
from hee_brian.reference import gaussian_posterior

# parameters
copies = 4                 # independent chains: copies of the model side by side in one network
duration = 10 * second     # 1000 tau_x (tau_x = 10 ms)
burn_in = 0.2              # s discarded at the start
record_every = 1 * ms

# model: 16 pixels, 8 latents per copy; an image the model could have generated
model = lg.build(copies=copies, seed=1)
x0 = lg.sample_image(lg.build(), seed=0)
stim = lg.tile_stimulus(x0, copies)
mean, cov = gaussian_posterior(model, stim)
mean, var = mean[:8], np.diag(cov)[:8]  # every copy has the same posterior

# run
rec = model.infer(stim, duration, record_every=record_every, layers=[1], spikes=False)
X = lg.split_copies(rec.x[1], copies)[rec.t >= burn_in]  # (time, chain, latent)

# sampled statistics, with standard errors from the integrated autocorrelation times
n = X.shape[0] * X.shape[1]
iat = np.array([P.integrated_autocorrelation_time(X[:, :, j]) for j in range(8)])  # samples
s_mean, s_var = X.mean(axis=(0, 1)), X.var(axis=(0, 1))
se_mean, se_var = np.sqrt(s_var * iat / n), s_var * np.sqrt(2 * iat / n)
print(f"KL(sampled || exact) = {P.kl_to_gaussian(X, mean, cov[:8, :8]):.4f} nats, "
      f"IAT {iat.min() * record_every / ms:.0f}-{iat.max() * record_every / ms:.0f} ms")

# plot
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
plotting.plot_posterior_comparison(mean, s_mean, se_mean, axes=axes[0])
plotting.plot_posterior_comparison(var, s_var, se_var, axes=axes[1],
                                   quantity="posterior variance", unit="a.u.^2")
show = rec.t < 1.0
plotting.plot_traces(rec.t[show], rec.x[1][show, 0], axes=axes[2], labels=["latent 0, chain 0"])
axes[2].axhspan(mean[0] - np.sqrt(var[0]), mean[0] + np.sqrt(var[0]), color="C1", alpha=0.2,
                label="exact mean +- sd")
axes[2].legend(fontsize=8)
fig.suptitle("Sampled vs exact posterior of a 16-pixel, 8-latent linear-Gaussian model")
out = Path("output/examples")
out.mkdir(parents=True, exist_ok=True)
plotting.save_figure(fig, out / "posterior_sampling.png")
print(f"wrote {out / 'posterior_sampling.png'}")
