"""Learning a dictionary of oriented fields from natural image patches.

The one-layer quick variant of the V1 model (``hee_brian.models.v1``: 4x4 whitened
patches, 12 sparse latents with a Cauchy prior) learns with the local
plasticity rule while it infers: each of 16 parallel streams sees its own
whitened, contrast-normalised patch (``hee_brian.datasets.natural_images``)
for 30 ms, and all streams update the one shared W.  Starting from random
directions, the generative fields sigma_0^2 W become localised and
oriented.  Left: the fields before, middle: after learning; right: the
weight change per chunk and the fraction of fields a Gabor fits with
R^2 >= 0.7.

Writes ``output/examples/learning_dictionary.png``; about 25 s on 2 cores
(one network compiles, 4096 patches are learned).
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from hee_brian import models
from hee_brian.analysis import plotting
from hee_brian.analysis import receptive_fields as rfa
from hee_brian.datasets import natural_images as ni

# parameters
v1 = models.get("v1")
train = v1.training("single_quick")       # presentation, learning rates, streams, data settings
n_patches, chunk = 4096, 512       # patches learned; patches per simulation run
side = v1.VARIANTS["single_quick"]["patch_size"]

# data: the built-in photos, whitened, cut into contrast-normalised patches
images = ni.load_images(downsample=train["downsample"], f0=train["f0"])
patches = ni.sample_patches(images, n_patches, side, seed=0, normalize=train["normalize"],
                            remove_mean=train["remove_mean"])

# model: random initial dictionary
model = v1.build("single_quick", seed=1)
sigma0 = model.layers[0].family.sigma
before = rfa.generative_fields(model.weights[0], (side, side), sigma0)


def gabor_fraction(W):
    fits = rfa.gabor_table(rfa.fit_gabors(rfa.generative_fields(W, (side, side), sigma0)))
    return np.mean(fits["r2"] >= 0.7)


fractions = [gabor_fraction(model.weights[0])]
history = model.learn(patches, presentation=train["presentation"], eta_w=train["eta_w"],
                      eta_b=train["eta_b"], chunk=chunk, streams=train["streams"],
                      progress=lambda p: fractions.append(gabor_fraction(model.weights[0])))
after = rfa.generative_fields(model.weights[0], (side, side), sigma0)
print(f"learned {history['patches'][-1]} patches in {history['wall_s'][-1]:.0f} s; "
      f"Gabor-like fields {fractions[0]:.0%} -> {fractions[-1]:.0%}")

# plot
fig, axes = plt.subplots(1, 3, figsize=(13, 4))
plotting.plot_receptive_fields(before, axes=axes[0], title="generative fields, initial")
plotting.plot_receptive_fields(after, axes=axes[1],
                               title=f"after {history['patches'][-1]} patches")
plotting.plot_learning_curves([history["patches"]], [history["dW"]], ["|dW| per chunk"],
                              axes=axes[2], ylabel="weight change |dW| (Frobenius, a.u.)")
ax2 = axes[2].twinx()
ax2.plot([0] + history["patches"], 100 * np.array(fractions), "s--", color="C3")
ax2.set_ylabel("fields with Gabor R^2 >= 0.7 (%)", color="C3")
ax2.set_ylim(0, 100)
out = Path("output/examples")
out.mkdir(parents=True, exist_ok=True)
plotting.save_figure(fig, out / "learning_dictionary.png")
print(f"wrote {out / 'learning_dictionary.png'}")
