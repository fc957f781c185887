"""V1 learning in the main job's regime: hee-brian against hand-written batched code.

What it shows: patches learned per second and microseconds per time step for
the default V1 model (``models/v1.py``: 64 pixels, 96 Student-t latents,
dt = 0.05 ms, 30 ms presentations, plasticity every step) learning with
64 streams, for

* ``hee``            hee-brian's default device (cpp_standalone, the default threads)
* ``hee-1thread``    the same with ``threads=0`` (no OpenMP, one BLAS thread)
* ``hee-f32``        the default with ``float32=True`` weights
* ``hee-sampling-euler``  the V1 model's earlier sampler: sampling pixel
                     interneurons and Euler-Maruyama steps (what the
                     hand-written contenders do)
* ``numpy``          a careful batched NumPy version (``v1_learning_contenders.py``),
                     float64, OpenBLAS with as many threads as hee's default
* ``numpy-f32``      the same in float32
* ``torch``, ``torch-compile``  the PyTorch float32 versions, where an
                     interpreter with PyTorch is given (``--torch-python``) or
                     this one has it

every contender starting from the same W and learning the same patches.
Each runs in a fresh process of its own, warmed up first (hee-brian
compiles its project, ``torch.compile`` compiles its step), one at a time,
over ``--rounds`` rounds in rotated order; the median wall time of the
learning is reported.  The ratios are to ``numpy`` in the same run.

The floor: the FLOPs of a step (three (B x n0 x n1) matrix products,
2 * 3 * B n0 n1) at the core's dgemm/sgemm peak, measured here with one
OpenBLAS thread on 1024 x 1024 matrices; the 10,240 normals a step needs are
not in it.  ``floor x`` is a contender's time over that floor.

That the contenders do the same work: after learning, each W's column-norm
growth, cosine to the start and largest likelihood eigenvalue
(lambda_max = sigma_0^2 ||W||_2^2) are printed next to each other.

Writes ``<out>/bench_v1_learning.json``.  The default (6400 patches, 3
rounds) takes about 6 minutes on 2 cores::

    python benchmarks/bench_v1_learning.py --out results/bench
    python benchmarks/bench_v1_learning.py --torch-python /path/to/python-with-torch
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONTENDERS = HERE / "v1_learning_contenders.py"

#: name: (kind, options)
TARGETS = {
    "hee": ("hee", {}),
    "hee-1thread": ("hee", {"threads": 0}),
    "hee-f32": ("hee", {"float32": True}),
    "hee-sampling-euler": ("hee", {"interneurons": "sampling", "integrator": "euler"}),
    "numpy": ("hand", {"backend": "numpy", "dtype": "float64"}),
    "numpy-f32": ("hand", {"backend": "numpy", "dtype": "float32"}),
    "torch": ("hand", {"backend": "torch", "dtype": "float32"}),
    "torch-compile": ("hand", {"backend": "torch-compile", "dtype": "float32"}),
}

#: hee-brian's side of a contender, run as ``python bench_v1_learning.py --worker ...``.
WORKER = "worker"


def _inputs(n_patches, seed):
    """Model parameters, the start W and the patches, as a contender reads them."""
    from brian2 import Hz

    from hee_brian import models
    from hee_brian.datasets import natural_images as ni

    v1 = models.get("v1")
    train = v1.training("single")
    images = ni.load_images(None, downsample=train["downsample"], f0=train["f0"])
    patches = ni.sample_patches(images, n_patches, 8, seed=train["data_seed"],
                                normalize=train["normalize"], remove_mean=train["remove_mean"])
    model = v1.build("single", seed=seed)
    fam0, fam1 = model.layers[0].family, model.layers[1].family
    params = dict(dt=model.dt_s, tau_x=model.tau_x_s, tau_eps=model.tau_eps_layers_s[0],
                  sigma0=fam0.sigma, nu=fam1.nu, scale=fam1.scale, s=fam1.s,
                  budget=list(np.asarray(model.noise_budget()[1], dtype=float)),
                  eta_w=float(train["eta_w"] / Hz), streams=train["streams"],
                  presentation=int(round(float(train["presentation"]) / model.dt_s)),
                  b0=list(model.biases[0]), b1=list(model.biases[1]))
    return params, model.weights[0], patches


def _worker(args):
    """hee-brian's contender: learn the inputs' patches with one device setting."""
    from brian2 import Hz

    from hee_brian import models

    data = np.load(args.inputs)
    p = json.loads(str(data["params"]))
    options = json.loads(args.options)
    v1 = models.get("v1")
    train = v1.training("single")
    patches = data["patches"]
    B = p["streams"]
    chunk = B * max(1, len(patches) // (4 * B))  # about 4 runs of one compiled project

    def learn(n):
        model = v1.build("single", seed=1, **options)
        model.set_weights(W=[data["W"]])
        t0 = time.perf_counter()
        model.learn(patches[:n], presentation=train["presentation"], eta_w=p["eta_w"] * Hz,
                    eta_b=0 * Hz, chunk=chunk, progress=False, streams=p["streams"])
        return model, time.perf_counter() - t0

    _, warm = learn(chunk)  # compiles (or finds) the project
    model, wall = learn(len(patches))
    np.savez(args.out, W=model.weights[0], wall_s=wall, warmup_s=warm)


def _run(name, inputs, workdir, threads, torch_python):
    kind, options = TARGETS[name]
    out = Path(workdir) / f"{name}.npz"
    env = dict(os.environ)
    if kind == "hee":
        if threads is not None:
            options = dict({"threads": threads}, **options)
        cmd = [sys.executable, __file__, WORKER, "--inputs", str(inputs), "--out", str(out),
               "--options", json.dumps(options)]
    else:
        from hee_brian.devices import usable_cores

        n = str(max(threads or usable_cores(), 1))
        python = torch_python if options["backend"].startswith("torch") else sys.executable
        cmd = [python, str(CONTENDERS), str(inputs), str(out), "--backend", options["backend"],
               "--dtype", options["dtype"], "--threads", n]
        # the BLAS thread pools of NumPy and PyTorch: all the usable cores
        env.update(OPENBLAS_NUM_THREADS=n, OMP_NUM_THREADS=n)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    res = np.load(out)
    return {"wall_s": float(res["wall_s"]), "warmup_s": float(res["warmup_s"]), "W": res["W"]}


def peak_gflops(dtype):
    """One core's GEMM peak (GFLOP/s), from OpenBLAS on 1024 x 1024 matrices."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        threadpool_limits = None
    a = np.random.default_rng(0).standard_normal((1024, 1024)).astype(dtype)
    best = np.inf
    ctx = threadpool_limits(1) if threadpool_limits else None
    if ctx:
        ctx.__enter__()
    try:
        for _ in range(5):
            t0 = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - t0)
    finally:
        if ctx:
            ctx.__exit__(None, None, None)
    return 2 * 1024**3 / best / 1e9


def dictionary_check(W, W0, sigma0):
    """(column-norm growth, mean cosine to the start, lambda_max) of a learned W."""
    growth = np.linalg.norm(W, axis=0).mean() / np.linalg.norm(W0, axis=0).mean()
    cos = np.mean(np.sum(W * W0, axis=0) / np.linalg.norm(W, axis=0) / np.linalg.norm(W0, axis=0))
    return float(growth), float(cos), float(sigma0**2 * np.linalg.norm(W, 2) ** 2)


def torch_interpreter(given):
    """The Python that runs the PyTorch contenders, or None where there is none."""
    if given:
        return given
    try:
        import torch  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == [WORKER]:
        ap = argparse.ArgumentParser()
        for opt in ("--inputs", "--out", "--options"):
            ap.add_argument(opt, required=True)
        return _worker(ap.parse_args(argv[1:]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patches", type=int, default=6400, help="patches learned (default 6400)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    ap.add_argument("--threads", type=int, default=None,
                    help="threads of hee's default and of the NumPy/PyTorch BLAS (default: "
                         "hee-brian's threads='auto'; all usable cores for the others)")
    ap.add_argument("--torch-python", default=None,
                    help="a Python interpreter with PyTorch for the torch contenders")
    ap.add_argument("--out", default="results/bench")
    args = ap.parse_args(argv)
    threads = args.threads
    torch_python = torch_interpreter(args.torch_python)
    targets = [t for t in args.targets if torch_python or not t.startswith("torch")]
    skipped = sorted(set(args.targets) - set(targets))
    if skipped:
        print(f"skipped (no PyTorch; give --torch-python): {', '.join(skipped)}")
    params, W0, patches = _inputs(args.patches, seed=1)
    n_patches = len(patches) // params["streams"] * params["streams"]
    steps = n_patches // params["streams"] * params["presentation"]
    n0, n1 = W0.shape
    flops = 2 * 3 * params["streams"] * n0 * n1
    peaks = {"float64": peak_gflops(np.float64), "float32": peak_gflops(np.float32)}
    walls = {t: [] for t in targets}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "inputs.npz"
        np.savez(inputs, params=json.dumps(params), W=W0, patches=patches[:n_patches])
        for r in range(args.rounds):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for t in order:
                res = _run(t, inputs, tmp, threads, torch_python)
                walls[t].append(res["wall_s"])
                results[t] = res
                print(f"round {r + 1}/{args.rounds} {t:14s} {res['wall_s']:7.2f} s", flush=True)
    rows = []
    base = np.median(walls["numpy"]) if "numpy" in walls else None
    for t in targets:
        wall = float(np.median(walls[t]))
        dtype = "float32" if TARGETS[t][1].get("dtype") == "float32" or \
            TARGETS[t][1].get("float32") else "float64"
        floor_us = flops / (peaks[dtype] * 1e9) * 1e6
        us = wall / steps * 1e6
        growth, cos, lam = dictionary_check(results[t]["W"], W0, params["sigma0"])
        rows.append(dict(target=t, wall_s=wall, walls=walls[t], patches_per_s=n_patches / wall,
                         us_per_step=us, vs_numpy=(base / wall) if base else None,
                         floor_us_1core=floor_us, floor_x=us / floor_us, norm_growth=growth,
                         cosine_to_start=cos, lambda_max=lam))
    print(f"\nV1 learning: {n_patches} patches, {params['streams']} streams, {steps} steps; "
          f"threads {'auto' if threads is None else threads}; peak "
          f"{peaks['float64']:.0f} GFLOP/s float64, {peaks['float32']:.0f} float32 (one core)")
    print(f"{'target':14s} {'patches/s':>9s} {'us/step':>8s} {'range s':>11s} {'x numpy':>8s} "
          f"{'floor x':>8s} {'norm x':>7s} {'cos':>6s} {'lam_max':>7s}")
    for row in rows:
        ratio = f"{row['vs_numpy']:8.2f}" if row["vs_numpy"] else f"{'-':>8s}"
        spread = f"{min(row['walls']):.1f}-{max(row['walls']):.1f}"
        print(f"{row['target']:14s} {row['patches_per_s']:9.0f} {row['us_per_step']:8.1f} "
              f"{spread:>11s} {ratio} {row['floor_x']:8.1f} {row['norm_growth']:7.3f} "
              f"{row['cosine_to_start']:6.3f} {row['lambda_max']:7.2f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    record = dict(rows=rows, patches=n_patches, steps=steps, threads=threads, peaks=peaks,
                  machine=dict(platform=platform.platform(), cpus=os.cpu_count(),
                               load=os.getloadavg()), torch_python=torch_python)
    (out / "bench_v1_learning.json").write_text(json.dumps(record, indent=1))
    print(f"written: {out / 'bench_v1_learning.json'}")


if __name__ == "__main__":
    main()
