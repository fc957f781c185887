"""Generation: joint and marginal sampling of images from a small model.

The linear-Gaussian HEE model (``hee_brian.models.linear_gaussian``: 16
pixels seen as 4x4 images, 8 latents, sigma_0 = 0.5) generates images in
both of its modes (docs/model.md section 5): ``joint`` releases the pixel
layer and lets all layers sample together; ``marginal`` samples ancestrally,
each layer settling given the one above.  Its marginal over images is
known exactly, N(0, sigma_0^2 I + sigma_0^4 sigma_1^2 W W^T), so the pixel
covariance of the generated images can be checked.  Left: 40 images of
each mode; right: generated against exact pixel covariances.

Writes ``output/examples/generation.png``; about 12 s on 2 cores (two
networks compile, 400 images per mode).
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms

from hee_brian.analysis import plotting
from hee_brian.models import linear_gaussian as lg

# parameters
n_samples = 400
tau_x = 10 * ms
settings = dict(burn_in=20 * tau_x, spacing=5 * tau_x, settle=5 * tau_x)

# model, and its exact marginal over images
model = lg.build(seed=1, tau_x=tau_x)
s0, s1 = model.layers[0].family.sigma, model.layers[1].family.sigma
W = model.weights[0]
exact_cov = s0**2 * np.eye(16) + s0**4 * s1**2 * W @ W.T

# generate
samples = {mode: model.generate(n_samples, mode=mode, seed=2, **settings)
           for mode in ("joint", "marginal")}

# plot
fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), width_ratios=[1, 1, 1.2])
iu = np.triu_indices(16)
for k, (mode, x) in enumerate(samples.items()):
    cov = np.cov(x, rowvar=False)
    err = np.abs(cov - exact_cov).max()
    print(f"{mode}: pixel mean {np.abs(x.mean(0)).max():.2f} (exact 0), largest covariance "
          f"error {err:.2f} (largest exact entry {exact_cov.max():.2f})")
    plotting.plot_image_grid(x[:40], (4, 4), axes=axes[k], cmap="gray", vmin=-2, vmax=2,
                             ncols=8, title=f"{mode} generation (pixels in [-2, 2])")
    # standard error of a sample covariance entry: sqrt((S_ii S_jj + S_ij^2) / n)
    se = np.sqrt((np.outer(np.diag(exact_cov), np.diag(exact_cov)) + exact_cov**2) / n_samples)
    axes[2].errorbar(exact_cov[iu], cov[iu], yerr=se[iu], fmt="o", ms=3, capsize=1.5,
                     alpha=0.7, label=f"{mode} ({n_samples} images, +-1 s.e.)")
lim = [exact_cov.min() - 0.1, exact_cov.max() + 0.1]
axes[2].plot(lim, lim, color="0.5", ls="--", lw=0.8, label="identity")
axes[2].set_xlabel("exact pixel covariance (a.u.^2)")
axes[2].set_ylabel("generated pixel covariance (a.u.^2)")
axes[2].legend(fontsize=8)
out = Path("output/examples")
out.mkdir(parents=True, exist_ok=True)
plotting.save_figure(fig, out / "generation.png")
print(f"wrote {out / 'generation.png'}")
