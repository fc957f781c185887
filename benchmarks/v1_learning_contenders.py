"""Hand-written batched versions of the V1 learning step, to time hee-brian against.

What a user would write instead of hee-brian for the main job's regime: B
streams of the V1 model (Gaussian pixels clamped to a patch, Student-t
latents with linear phi, K = 1 pixel interneurons, no top-layer
interneurons because the biases are fixed) learning W with the local rule,
as (B, n) arrays.  Each step is the explicit Euler step of
``hee_brian.equations``, in the same order: the sums and the weight change
from the state at the start of the step, then interneurons and latents move.

.. code-block:: text

    td   = x1 W^T                    lik = (x0 - eps0) W
    W   += eta_w dt (x0 - eps0)^T x1
    eps0 += dt/tau_eps (td + b0 - eps0/sigma0^2) + sqrt(2 dt/tau_eps) N(0, 1)
    x1  += dt/tau_x (lik + b1 - g'(x1)) + sqrt(2 dt budget/tau_x) N(0, 1)
    g'(x) = (nu + 1) x / (nu scale^2 + x^2) + x / s^2

Backends: ``numpy`` (float64 or float32; in-place operations and
preallocated buffers, OpenBLAS for the products), ``torch`` (eager) and
``torch-compile`` (the step compiled by ``torch.compile``, its noise drawn
outside it).  This file imports nothing from hee-brian, so it runs under
any Python that has NumPy (and PyTorch for the torch backends):
``benchmarks/bench_v1_learning.py`` writes the inputs, runs each contender
in a process of its own and reads back its result::

    python benchmarks/v1_learning_contenders.py INPUTS.npz OUT.npz --backend numpy
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np


def _coefficients(p):
    dt = p["dt"]
    return dict(ce=dt / p["tau_eps"], cx=dt / p["tau_x"], se=np.sqrt(2 * dt / p["tau_eps"]),
                sx=np.sqrt(2 * dt * np.asarray(p["budget"]) / p["tau_x"]),
                rate=p["eta_w"] * dt, inv_s02=1 / p["sigma0"] ** 2,
                nu1=p["nu"] + 1, nusc2=p["nu"] * p["scale"] ** 2, inv_s2=1 / p["s"] ** 2)


def run_numpy(p, W, patches, dtype, seed):
    """Learn from ``patches`` (n, n0), B streams, ``presentation`` steps each; the final W."""
    dtype = np.dtype(dtype)
    c = {k: np.asarray(v, dtype) for k, v in _coefficients(p).items()}
    B, P = int(p["streams"]), int(p["presentation"])
    n0, n1 = W.shape
    W = W.astype(dtype, copy=True)
    b0, b1 = np.asarray(p["b0"], dtype), np.asarray(p["b1"], dtype)
    rng = np.random.default_rng(seed)
    x, eps = np.zeros((B, n1), dtype), np.zeros((B, n0), dtype)
    td, err, dW = np.empty((B, n0), dtype), np.empty((B, n0), dtype), np.empty((n0, n1), dtype)
    lik, gp, tmp = (np.empty((B, n1), dtype) for _ in range(3))
    ne, nx = np.empty((B, n0), dtype), np.empty((B, n1), dtype)
    for k in range(len(patches) // B):
        x0 = patches[k * B:(k + 1) * B].astype(dtype)
        for _ in range(P):
            np.matmul(x, W.T, out=td)
            np.subtract(x0, eps, out=err)
            np.matmul(err, W, out=lik)
            np.matmul(err.T, x, out=dW)
            dW *= c["rate"]
            W += dW
            # interneurons
            rng.standard_normal(out=ne, dtype=dtype)
            td += b0
            td -= eps * c["inv_s02"]
            td *= c["ce"]
            ne *= c["se"]
            eps += td
            eps += ne
            # latents: g'(x) of the confined Student-t
            np.multiply(x, x, out=gp)
            gp += c["nusc2"]
            np.divide(x, gp, out=gp)
            gp *= c["nu1"]
            np.multiply(x, c["inv_s2"], out=tmp)
            gp += tmp
            lik += b1
            lik -= gp
            lik *= c["cx"]
            rng.standard_normal(out=nx, dtype=dtype)
            nx *= c["sx"]
            x += lik
            x += nx
    return W.astype(float)


def run_torch(p, W, patches, dtype, seed, compiled=False):
    """:func:`run_numpy` in PyTorch (eager, or the step through ``torch.compile``)."""
    import torch

    torch.set_num_threads(int(p.get("threads", 1)))
    dt = {"float32": torch.float32, "float64": torch.float64}[np.dtype(dtype).name]
    c = _coefficients(p)
    sx = torch.as_tensor(c.pop("sx"), dtype=dt)
    B, P = int(p["streams"]), int(p["presentation"])
    n0, n1 = W.shape
    W = torch.as_tensor(W, dtype=dt).clone()
    b0, b1 = torch.as_tensor(p["b0"], dtype=dt), torch.as_tensor(p["b1"], dtype=dt)
    gen = torch.Generator().manual_seed(int(seed))
    x, eps = torch.zeros((B, n1), dtype=dt), torch.zeros((B, n0), dtype=dt)
    ne, nx = torch.empty((B, n0), dtype=dt), torch.empty((B, n1), dtype=dt)

    def step(x, eps, W, x0, ne, nx):
        td = x @ W.T
        err = x0 - eps
        lik = err @ W
        W = W + c["rate"] * (err.T @ x)
        eps = eps + c["ce"] * (td + b0 - eps * c["inv_s02"]) + c["se"] * ne
        gp = c["nu1"] * x / (x * x + c["nusc2"]) + x * c["inv_s2"]
        x = x + c["cx"] * (lik + b1 - gp) + sx * nx
        return x, eps, W

    if compiled:
        step = torch.compile(step)
    with torch.no_grad():
        for k in range(len(patches) // B):
            x0 = torch.as_tensor(patches[k * B:(k + 1) * B], dtype=dt)
            for _ in range(P):
                torch.randn((B, n0), generator=gen, dtype=dt, out=ne)
                torch.randn((B, n1), generator=gen, dtype=dt, out=nx)
                x, eps, W = step(x, eps, W, x0, ne, nx)
    return W.double().numpy()


BACKENDS = {"numpy": run_numpy, "torch": run_torch,
            "torch-compile": lambda *a: run_torch(*a, compiled=True)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", help=".npz written by bench_v1_learning.py")
    ap.add_argument("out", help=".npz to write: the final W and the timings")
    ap.add_argument("--backend", choices=sorted(BACKENDS), default="numpy")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    data = np.load(args.inputs)
    p = json.loads(str(data["params"]))
    p["threads"] = args.threads
    run = BACKENDS[args.backend]
    # warm-up on one presentation per stream (torch.compile compiles here)
    warm = time.perf_counter()
    run(p, data["W"], data["patches"][: p["streams"]], args.dtype, 1)
    warm = time.perf_counter() - warm
    t0 = time.perf_counter()
    W = run(p, data["W"], data["patches"], args.dtype, 0)
    wall = time.perf_counter() - t0
    np.savez(args.out, W=W, wall_s=wall, warmup_s=warm)


if __name__ == "__main__":
    main()
