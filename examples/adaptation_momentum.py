"""Adaptation as momentum: faster sampling of an ill-conditioned posterior.

A 2-latent linear-Gaussian model whose posterior has precisions 1 and 0.05
along (1, 1)/sqrt(2) and (1, -1)/sqrt(2) (``build_ill_conditioned`` of
``hee_brian.models.linear_gaussian``; docs/model.md section 4).  Plain
Langevin dynamics crawl along the slow direction (autocorrelation time
2 / 0.05 = 40 tau_x); an adaptation current (``hb.Adaptation``, m = 10,
tau_a = 3 tau_x) acts as momentum and cuts it about (1 + m)-fold, while the
stationary distribution stays the posterior.  Left: the autocorrelation of
the slow direction, with the exact continuous-time curve of plain Langevin;
right: 200 tau_x of one chain of each sampler in the latent plane.

Writes ``output/examples/adaptation_momentum.png``; about 12 s on 2 cores
(two networks compile; 32 chains of 500 tau_x each).
"""
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms

import hee_brian as hb
from hee_brian.analysis import plotting
from hee_brian.analysis import posterior as P
from hee_brian.models import linear_gaussian as lg

# parameters
tau_x = 10 * ms
k_slow = 0.05               # posterior precision of the slow direction
copies = 32                 # independent chains in one network
duration = 500 * tau_x
record_every = 0.2 * tau_x
samplers = {"plain Langevin": None,
            "adaptation m=10, tau_a=3 tau_x": hb.Adaptation(m=10, tau_a=3 * tau_x)}
v = np.array([1.0, -1.0]) / np.sqrt(2)   # the slow direction

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
acfs = []
for name, adaptation in samplers.items():
    # model and run: layer 0 clamped; chains start at 0, 3 sd from the posterior mean
    model, x0 = lg.build_ill_conditioned(precisions=(1.0, k_slow), copies=copies, seed=1,
                                         tau_x=tau_x, dt=tau_x / 100, tau_eps=0.025 * tau_x,
                                         n_interneurons=8, adaptation=adaptation)
    rec = model.infer(x0, duration, record_every=record_every, layers=[1], spikes=False,
                      record_adaptation=False)
    X = lg.split_copies(rec.x[1], copies)     # (time, chain, 2)
    y = X[int(100 * tau_x / record_every):] @ v  # slow direction, after 100 tau_x of burn-in
    acfs.append(P.autocorrelation(y, max_lag=int(150 * tau_x / record_every)))
    iat = P.integrated_autocorrelation_time(y) * float(record_every / tau_x)
    m, tau_a = (adaptation.m, float(adaptation.tau_a / tau_x)) if adaptation else (0, 1)
    print(f"{name}: IAT {iat:.1f} tau_x (exact {lg.momentum_iat(k_slow, m, tau_a)[0]:.1f}), "
          f"slow variance {y.var():.1f} (exact {1 / k_slow:g})")
    show = rec.t < float(200 * tau_x)
    axes[1].plot(X[show, 0, 0], X[show, 0, 1], lw=0.6, label=name)

# plot
lags = np.arange(len(acfs[0])) * float(record_every)  # s
plotting.plot_autocorrelation(lags, acfs, list(samplers), axes=axes[0], tau=float(tau_x))
axes[0].plot(lags / float(tau_x), np.exp(-k_slow * lags / float(tau_x)), "k--", lw=0.8,
             label="exact, plain Langevin")
axes[0].legend(fontsize=8)
axes[0].set_title("slow direction")
axes[1].set_xlabel("latent x_1 (a.u.)")
axes[1].set_ylabel("latent x_2 (a.u.)")
axes[1].set_aspect("equal")
axes[1].legend(fontsize=8)
axes[1].set_title("one chain, first 200 tau_x")
out = Path("output/examples")
out.mkdir(parents=True, exist_ok=True)
plotting.save_figure(fig, out / "adaptation_momentum.png")
print(f"wrote {out / 'adaptation_momentum.png'}")
