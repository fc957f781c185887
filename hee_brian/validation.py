"""Checks of user input, before any Brian2 object is built.

Each function returns the value in plain SI floats (or NumPy arrays) or
raises :class:`~hee_brian.errors.HEEParameterError` with a message that
names the parameter, the value it got and what to give instead.
"""
from __future__ import annotations

import math

import numpy as np
from brian2 import Hz, Quantity, second
from brian2.units.fundamentalunits import DimensionMismatchError, fail_for_dimension_mismatch

from .errors import HEEParameterError

__all__ = ["as_time", "as_rate", "as_steps", "as_positive_int", "as_interneuron_times",
           "as_seed", "check_layers", "check_instance",
           "check_stimuli",
           "check_weights", "check_biases"]


def as_time(value, name, allow_zero=False):
    """Check ``value`` is a Brian2 time quantity > 0 and return it in seconds."""
    if not isinstance(value, Quantity):
        raise HEEParameterError(
            f"{name} must be a Brian2 time quantity such as 10*ms, got {value!r}."
        )
    try:
        fail_for_dimension_mismatch(value, second)
    except DimensionMismatchError:
        raise HEEParameterError(
            f"{name} must have units of time (e.g. 10*ms), got {value!r}."
        ) from None
    v = float(value / second)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise HEEParameterError(
            f"{name} must be a positive finite time, got {value!r}; "
            "time constants and steps must be > 0."
        )
    return v


def as_finite(value, name):
    """Check ``value`` is a finite dimensionless number and return it as a float."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise HEEParameterError(f"{name} must be a finite number, got {value!r}.") from None
    if isinstance(value, Quantity) and not value.is_dimensionless:
        raise HEEParameterError(f"{name} must be dimensionless, got {value!r}.")
    if not math.isfinite(v):
        raise HEEParameterError(f"{name} must be a finite number, got {value!r}.")
    return v


def as_rate(value, name):
    """Check ``value`` is a rate quantity >= 0 and return it in Hz."""
    if not isinstance(value, Quantity):
        raise HEEParameterError(f"{name} must be a rate such as 1*Hz, got {value!r}.")
    try:
        fail_for_dimension_mismatch(value, Hz)
    except DimensionMismatchError:
        raise HEEParameterError(f"{name} must have units of 1/time (Hz), got {value!r}.") from None
    v = float(value / Hz)
    if not math.isfinite(v) or v < 0:
        raise HEEParameterError(f"{name} must be a finite rate >= 0, got {value!r}.")
    return v


def as_steps(value, dt_s, name):
    """A duration as a positive whole number of steps of ``dt_s`` seconds."""
    t = as_time(value, name)
    n = int(round(t / dt_s))
    if n < 1 or abs(n * dt_s - t) > 1e-6 * t + 1e-12:
        raise HEEParameterError(
            f"{name} = {value} must be a positive multiple of dt = {dt_s * second}."
        )
    return n


def as_positive_int(value, name):
    """An integer >= 1 (booleans refused)."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise HEEParameterError(f"{name} must be an integer >= 1, got {value!r}.")
    return int(value)


def check_stimuli(stimuli, n0, name, family=None):
    """Patches as a finite float array of shape (n_patches, n0).

    With the observation layer's ``family``, the values must also lie in
    its support (``family.bounds``): outside it their density is zero.
    """
    arr = np.asarray(stimuli, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n0:
        raise HEEParameterError(
            f"{name} must have shape (n_0,) or (n_patches, n_0) with "
            f"n_0 = {n0}, got {np.shape(stimuli)}."
        )
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise HEEParameterError(
            f"{name} contains NaN or inf (first at index {tuple(int(k) for k in bad)}); clean "
            "the stimulus before presenting it."
        )
    if family is not None:
        lo, hi = family.bounds
        outside = (arr < lo) | (arr > hi)
        if np.any(outside):
            bad = tuple(int(k) for k in np.argwhere(outside)[0])
            raise HEEParameterError(
                f"{name} has values outside [{lo:g}, {hi:g}], the support of the observation "
                f"layer's family {family.describe()} (first at index {bad}: "
                f"{arr[bad]!r}); scale the data into [{lo:g}, {hi:g}] (e.g. divide "
                "intensities by their maximum) or clip it."
            )
    return arr


def check_weights(W, sizes):
    """Weight matrices ``W[l-1]`` of shape (sizes[l-1], sizes[l]), finite floats."""
    if len(W) != len(sizes) - 1:
        raise HEEParameterError(
            f"W has {len(W)} matrices but the model has {len(sizes) - 1} "
            "layer pairs; give one (n_{l-1}, n_l) matrix per pair."
        )
    out = []
    for l, w in enumerate(W, start=1):
        w = np.array(w, dtype=float)
        want = (sizes[l - 1], sizes[l])
        if w.shape != want:
            raise HEEParameterError(
                f"W[{l - 1}] has shape {w.shape} but layers {l - 1} and {l} have "
                f"{want[0]} and {want[1]} neurons: it must be {want} (rows: the "
                "lower layer)."
            )
        if not np.all(np.isfinite(w)):
            raise HEEParameterError(f"W[{l - 1}] contains NaN or inf values.")
        out.append(w)
    return out


def check_biases(b, sizes):
    """Bias vectors ``b[l]`` of shape (sizes[l],) (a scalar fills the layer), finite."""
    if len(b) != len(sizes):
        raise HEEParameterError(
            f"b has {len(b)} vectors but the model has {len(sizes)} layers."
        )
    out = []
    for l, v in enumerate(b):
        v = np.array(v, dtype=float).reshape(-1) if np.ndim(v) else np.full(sizes[l], float(v))
        if v.shape != (sizes[l],):
            raise HEEParameterError(
                f"b[{l}] has {v.size} entries but layer {l} has {sizes[l]} neurons."
            )
        if not np.all(np.isfinite(v)):
            raise HEEParameterError(f"b[{l}] contains NaN or inf values.")
        out.append(v)
    return out


def as_interneuron_times(tau_eps, n_layers, tau_x_s):
    """The interneurons' time constant per layer (s): one for all, or one per layer.

    Each must be shorter than tau_x: the interneurons serve neurons slower
    than themselves.
    """
    if isinstance(tau_eps, (list, tuple)):
        if len(tau_eps) != n_layers:
            raise HEEParameterError(
                f"tau_eps has {len(tau_eps)} entries but the model has "
                f"{n_layers} layers; give one time or one per layer."
            )
        out = [as_time(v, f"tau_eps[{l}]") for l, v in enumerate(tau_eps)]
    else:
        out = [as_time(tau_eps, "tau_eps")] * n_layers
    for l, te in enumerate(out):
        if te > tau_x_s:
            raise HEEParameterError(
                f"tau_eps = {te * 1e3:g} ms (layer {l}) is longer than tau_x = "
                f"{tau_x_s * 1e3:g} ms: the interneurons must be faster than the neurons "
                "they serve; use tau_eps <= tau_x (typically tau_x/20)."
            )
    return out


def as_seed(seed):
    """A seed as a non-negative int; None draws one (kept, so the run can be repeated)."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**31))
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise HEEParameterError(f"seed must be a non-negative integer or None, got {seed!r}.")
    return int(seed)


def as_threads(threads):
    """``"auto"`` or a non-negative int of OpenMP threads."""
    if threads == "auto":
        return threads
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 0:
        raise HEEParameterError(
            f"threads must be 'auto' or a non-negative integer (0: no OpenMP), got {threads!r}."
        )
    return int(threads)


def as_choice(value, name, choices):
    """``value`` if it is one of ``choices`` (strings), else a clear refusal."""
    if not isinstance(value, str) or value not in choices:
        raise HEEParameterError(
            f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}."
        )
    return value


def check_layers(layers, layer_class):
    """At least two layers, each a ``layer_class`` (the observation layer first)."""
    if not isinstance(layers, (list, tuple)) or len(layers) < 2:
        raise HEEParameterError(
            "layers must be a list of at least two Layer objects (the "
            "observation layer first, then one or more latent layers)."
        )
    for k, layer in enumerate(layers):
        if not isinstance(layer, layer_class):
            raise HEEParameterError(
                f"layers[{k}] is {layer!r}; build each with hee_brian.Layer(n, family, ...)."
            )
    return list(layers)


def check_instance(value, cls, name, expected):
    """``value`` if it is None or a ``cls``; else an error naming what to give."""
    if value is not None and not isinstance(value, cls):
        raise HEEParameterError(f"{name} must be {expected}, got {value!r}.")
    return value
