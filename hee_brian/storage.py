"""Saving and loading models, and the checkpoints of long learning runs.

A model file (``.npz``) holds the model's parameters (:func:`config`) and
its weights and biases; it does not hold execution settings (device,
threads, projection, float32), which belong to the machine that runs it
and are given to :func:`load`.  Files are written atomically: an
interrupted write leaves the old file or the new one.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from brian2 import Hz, second

from .errors import HEEParameterError
from .layers import Adaptation, Layer

__all__ = ["EXECUTION_SETTINGS", "config", "execution", "from_config", "save", "load",
           "write_checkpoint", "read_checkpoint"]

#: Keywords of HEEModel that say how a model runs, not what it is.
EXECUTION_SETTINGS = ("device", "threads", "projection", "float32")


def config(model):
    """The model's parameters as a JSON-serialisable dict (no weights, no execution)."""
    return {
        "layers": [layer.to_dict() for layer in model.layers],
        "phi": model.phi,
        "tau_x": model.tau_x_s,
        "tau_eps": model.tau_eps_layers_s[0] if len(set(model.tau_eps_layers_s)) == 1
        else list(model.tau_eps_layers_s),
        "n_interneurons": model.n_interneurons,
        "adaptation": None if model.adaptation is None else model.adaptation.to_dict(),
        "dt": model.dt_s,
        "seed": model.seed,
        "readout": model.readout,
        "rate_scale": float(model.rate_scale / Hz),
        "rate_threshold": model.rate_threshold,
        "noise_budget": model.use_noise_budget,
        "interneurons": model.interneurons,
        "integrator": model.integrator,
    }


def execution(model):
    """The execution settings of a model: device, threads, projection, float32."""
    return {"device": model.device, "threads": model.threads, "projection": model.projection,
            "float32": model.float32}


def from_config(cls, cfg, **overrides):
    """Build a model from :func:`config` output.

    ``overrides`` replace entries or give execution settings (files written
    by older versions may carry them: they are ignored unless given again).
    """
    cfg = {k: v for k, v in cfg.items() if k not in EXECUTION_SETTINGS}
    run = {k: overrides.pop(k) for k in EXECUTION_SETTINGS if k in overrides}
    unknown = set(overrides) - {"layers", "phi", "tau_x", "tau_eps", "n_interneurons",
                                "adaptation", "dt", "seed", "readout", "rate_scale",
                                "rate_threshold", "noise_budget", "interneurons", "integrator"}
    if unknown:
        raise HEEParameterError(
            f"unknown model settings {sorted(unknown)}; give model parameters "
            f"(see HEEModel) or execution settings {EXECUTION_SETTINGS}."
        )
    cfg.update(overrides)
    layers = [Layer(d["n"], d["family"], **d["params"]) for d in cfg["layers"]]
    ad = cfg.get("adaptation")
    adaptation = None if ad is None else Adaptation(ad["m"], ad["tau_a"] * second,
                                                     ad["variant"])
    tau_eps = cfg["tau_eps"]
    tau_eps = [v * second for v in tau_eps] if isinstance(tau_eps, list) else tau_eps * second
    return cls(layers, phi=cfg["phi"], tau_x=cfg["tau_x"] * second, tau_eps=tau_eps,
               n_interneurons=cfg["n_interneurons"], adaptation=adaptation,
               dt=cfg["dt"] * second, seed=cfg["seed"], readout=cfg["readout"],
               rate_scale=cfg["rate_scale"] * Hz,
               rate_threshold=cfg.get("rate_threshold", 0.0),
               noise_budget=cfg.get("noise_budget", True),
               interneurons=cfg.get("interneurons", "sampling"),
               integrator=cfg.get("integrator", "euler"), **run)


def _write_npz(path, arrays):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)  # atomic: an interrupt leaves the old or the new file


def save(model, path):
    """Write parameters, weights and biases to ``path`` (``.npz``), atomically."""
    arrays = {f"W_{l}": w for l, w in enumerate(model.weights)}
    arrays.update({f"b_{l}": v for l, v in enumerate(model.biases)})
    arrays["config"] = np.array(json.dumps(config(model)))
    _write_npz(path, arrays)


def load(cls, path, **overrides):
    """Read a model written by :func:`save`; ``overrides`` as in :func:`from_config`."""
    with np.load(path, allow_pickle=False) as f:
        cfg = json.loads(str(f["config"]))
        W = [f[f"W_{l}"] for l in range(len(cfg["layers"]) - 1)]
        b = [f[f"b_{l}"] for l in range(len(cfg["layers"]))]
    model = from_config(cls, cfg, **overrides)
    model.set_weights(W=W, b=b)
    return model


def write_checkpoint(model, path, meta, state):
    """Weights, biases, the chains' state and ``meta`` (JSON) to ``path``, atomically."""
    arrays = {f"W_{l}": w for l, w in enumerate(model.weights)}
    arrays.update({f"b_{l}": v for l, v in enumerate(model.biases)})
    arrays.update({f"state_{k[0]}_{k[1]}": v for k, v in state.items()})
    arrays["meta"] = np.array(json.dumps({"config": config(model), **meta}))
    _write_npz(path, arrays)


def read_checkpoint(path, n_layers):
    """``(meta, W, b, state)`` from a file written by :func:`write_checkpoint`."""
    with np.load(path, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"]))
        W = [f[f"W_{l}"] for l in range(n_layers - 1)]
        b = [f[f"b_{l}"] for l in range(n_layers)]
        state = {}
        for k in f.files:
            if k.startswith("state_"):
                _, name, l = k.split("_")
                state[(name, int(l))] = f[k]
    return meta, W, b, state
