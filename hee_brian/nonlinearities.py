"""Named nonlinearities: the latent output ``phi`` and the spiking readout.

``phi`` maps a latent neuron's state to what it sends down to the layer below
(eta_{l-1} = W phi(x_l) + b).  Its derivative multiplies the likelihood
current (docs/model.md section 2).  The readout turns a latent state into a
Poisson firing rate in Hz, so users see spike trains as well as rates.
Each entry is a Brian2 expression of ``x`` (and, for the readout, of the
shared group variable ``rate_scale`` in Hz), with its NumPy twin for the
reference implementation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import HEEParameterError

__all__ = ["Phi", "PHI", "get_phi", "READOUTS", "get_readout", "readout_expr", "readout_rate"]


@dataclass(frozen=True)
class Phi:
    """An output nonlinearity with its derivative, in Brian2 and in NumPy."""

    name: str
    expr: str  # Brian2 expression of x
    dexpr: str  # Brian2 expression of phi'(x)
    f: Callable  # f(x, xp=numpy): xp is the array module (jax.numpy for hee_brian.nuts)
    df: Callable


PHI = {
    "linear": Phi("linear", "x", "1", lambda x, xp=np: x, lambda x: np.ones_like(x)),
    "tanh": Phi(
        "tanh", "tanh(x)", "1 - tanh(x)**2", lambda x, xp=np: xp.tanh(x),
        lambda x: 1 - np.tanh(x) ** 2
    ),
    # log(1 + exp(x)) written so it neither overflows nor loses precision
    "softplus": Phi(
        "softplus",
        "log(1 + exp(-abs(x))) + clip(x, 0, inf)",
        "1/(1 + exp(-x))",
        lambda x, xp=np: xp.logaddexp(0, x),
        lambda x: 1 / (1 + np.exp(-x)),
    ),
    # softplus(x) - log 2: zero at x = 0, where the latents' sparse priors put
    # their mode.  Plain softplus sends log 2 down from a silent latent, and a
    # unit can only fall silent below about x = -3, against its prior; the
    # digits model's learning then fails (docs/model.md section 5).
    "shifted_softplus": Phi(
        "shifted_softplus",
        "log(1 + exp(-abs(x))) + clip(x, 0, inf) - log(2)",
        "1/(1 + exp(-x))",
        lambda x, xp=np: xp.logaddexp(0, x) - np.log(2),
        lambda x: 1 / (1 + np.exp(-x)),
    ),
}

#: Readout nonlinearities: rate in Hz as a function of x (rate_scale in Hz).
#: The model applies each to ``x - rate_threshold`` (:func:`readout_expr`,
#: :func:`readout_rate`), so a threshold-linear V1 readout is ``"relu"``.
READOUTS = {
    "softplus": ("rate_scale*(log(1 + exp(-abs(x))) + clip(x, 0, inf))",
                 lambda x, r: r * np.logaddexp(0, x)),
    "exp": ("rate_scale*exp(clip(x, -50, 10))", lambda x, r: r * np.exp(np.clip(x, -50, 10))),
    "relu": ("rate_scale*clip(x, 0, inf)", lambda x, r: r * np.clip(x, 0, None)),
    "sigmoid": ("rate_scale/(1 + exp(-x))", lambda x, r: r / (1 + np.exp(-x))),
}


def get_phi(name: str) -> Phi:
    """Look up an output nonlinearity by name (a key of :data:`PHI`)."""
    if name not in PHI:
        raise HEEParameterError(
            f"unknown phi {name!r}; choose one of {sorted(PHI)}."
        )
    return PHI[name]


def get_readout(name: str):
    """Look up a readout rate nonlinearity by name; returns (brian2 expr, numpy f)."""
    if name not in READOUTS:
        raise HEEParameterError(
            f"unknown readout {name!r}; choose one of {sorted(READOUTS)}."
        )
    return READOUTS[name]


def readout_expr(name: str) -> str:
    """The Brian2 expression of readout ``name`` applied to ``x - rate_threshold``.

    With ``rate_threshold = 0`` it computes exactly the unthresholded
    readout (``x - 0`` is ``x`` in floating point).
    """
    from brian2.utils.stringtools import word_substitute

    return word_substitute(get_readout(name)[0], {"x": "(x - rate_threshold)"})


def readout_rate(name: str, x, rate_scale_hz: float, rate_threshold: float = 0.0):
    """NumPy twin of :func:`readout_expr`: the rate (Hz) for latent states ``x``."""
    return get_readout(name)[1](np.asarray(x, dtype=float) - float(rate_threshold),
                                float(rate_scale_hz))
