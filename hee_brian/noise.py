"""Bulk noise for cpp_standalone: counter-based random numbers, one pass a step.

Brian2's ``euler`` writes each noise term as ``xi = dt**.5 * randn()``, and on
cpp_standalone ``randn()`` is one call per neuron and term into a Mersenne
twister, one generator per OpenMP thread.  Drawn one at a time, these calls
dominate the step of a large network (docs/performance.md), they keep the
neuron loops from vectorising, and with several threads the values a neuron
gets depend on how the loop is split.

Here every stochastic population gets, for each noise term ``xi``, a state
variable ``noise_xi`` holding this step's standard normal, and the state
updater (:data:`hee_brian.stateupdater.bulk_euler`) reads it in place of
``randn()``.  A :class:`NoiseFiller` fills all of a group's noise variables at
the start of each step, in one vectorised pass
(``hee_brian/templates/hee_noise.cpp``):

.. code-block:: text

    bits = Philox4x32-10(key = (seed, stream id of the variable),
                         counter = (block, 0, step low, step high))
    u    = (bits + 1/2) 2^-32                 (strictly inside (0, 1))
    z    = Phi^-1(u)                          (Acklam's approximation)

Value k of a variable of N neurons is word k // nb of block k % nb,
nb = ceil(N / 4).  Because each value depends only on (seed, variable, step,
neuron), a seed gives the same numbers whatever the number of threads.  The
spiking readout's ``rand()`` is replaced the same way by a uniform
``noise_spike``.  This module also holds the NumPy reference of the same
numbers (:func:`noise_values`), against which the compiled generator is
tested value for value.
"""
from __future__ import annotations

import zlib

import numpy as np
from brian2 import Equations
from brian2.groups.group import CodeRunner

from .codeobject import HEECodeObject

__all__ = ["philox4x32", "normal_quantile", "noise_values", "noise_variable", "stream_id",
           "noise_variables", "noise_declarations", "SPIKE_UNIFORM", "NoiseFiller"]

#: Philox4x32 round multipliers and Weyl key increments (Random123).
_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK = np.uint64(0xFFFFFFFF)

#: The uniform of the spiking readout (``threshold = noise_spike < rate*dt``).
SPIKE_UNIFORM = "noise_spike"


def philox4x32(counter, key, rounds=10):
    """Philox4x32-R of each counter, vectorised over the leading axis.

    Parameters
    ----------
    counter : array_like of uint32, shape (..., 4)
    key : array_like of uint32, shape (..., 2)

    Returns
    -------
    ndarray of uint32, shape (..., 4)
    """
    c = np.asarray(counter, dtype=np.uint64)
    k = np.asarray(key, dtype=np.uint64)
    c0, c1, c2, c3 = (c[..., i].copy() for i in range(4))
    k0, k1 = k[..., 0].copy(), k[..., 1].copy()
    for r in range(rounds):
        if r > 0:
            k0 = (k0 + np.uint64(_W0)) & _MASK
            k1 = (k1 + np.uint64(_W1)) & _MASK
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0, p1 & _MASK,
                          (p0 >> np.uint64(32)) ^ c3 ^ k1, p0 & _MASK)
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


# Acklam's rational approximation of the normal quantile.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01, 1.0)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00, 1.0)
_TAIL = 0.02425


def normal_quantile(u):
    """Acklam's approximation of the standard normal quantile (relative error < 1.15e-9).

    The NumPy reference of ``_hee_normal`` in ``hee_brian/templates/hee_noise.cpp``.
    """
    u = np.asarray(u, dtype=float)
    q = u - 0.5
    r = q * q
    central = np.polyval(_A, r) * q / np.polyval(_B, r)
    p = np.where(q < 0, u, 1.0 - u)
    t = np.sqrt(-2.0 * np.log(p))
    tail = np.polyval(_C, t) / np.polyval(_D, t)
    return np.where(p < _TAIL, np.where(q < 0, tail, -tail), central)


def stream_id(group_name, variable):
    """The 32-bit Philox key word of one noise variable: fixed by the names alone."""
    return zlib.crc32(f"{group_name}.{variable}".encode())


def noise_values(seed, group_name, variable, step, n, kind="normal"):
    """The values the compiled filler gives ``variable`` of ``group_name`` at ``step``.

    Parameters
    ----------
    seed : int
        The run's seed (its low 32 bits are the Philox key).
    group_name, variable : str
        The Brian2 group and its noise variable (``noise_xi_x``, ...).
    step : int
        The time step (``t_in_timesteps``).
    n : int
        Number of neurons in the group.
    kind : {"normal", "uniform"}

    Returns
    -------
    ndarray, shape (n,)
    """
    nb = (n + 3) // 4
    blocks = np.arange(nb, dtype=np.uint64)
    counter = np.stack([blocks, np.zeros(nb, np.uint64),
                        np.full(nb, step & 0xFFFFFFFF, np.uint64),
                        np.full(nb, step >> 32, np.uint64)], axis=-1)
    key = np.broadcast_to(np.array([seed & 0xFFFFFFFF, stream_id(group_name, variable)],
                                   dtype=np.uint64), (nb, 2))
    bits = philox4x32(counter, key).T.reshape(-1)[:n]  # planar: word k // nb of block k % nb
    u = (bits.astype(float) + 0.5) * 2.0 ** -32
    return normal_quantile(u) if kind == "normal" else u


def noise_variable(xi):
    """Name of the state variable that holds noise term ``xi``'s value of this step."""
    return f"noise_{xi}"


def noise_variables(equations, spikes=False):
    """The noise variables that bulk noise adds to ``equations`` (a Brian2 string).

    Returns
    -------
    list of (name, kind)
        ``noise_<xi>`` ("normal") for each noise term ``xi``, in sorted order,
        and, with ``spikes``, the spiking readout's :data:`SPIKE_UNIFORM`
        ("uniform").
    """
    names = [(noise_variable(xi), "normal")
             for xi in sorted(Equations(equations).stochastic_variables)]
    return names + [(SPIKE_UNIFORM, "uniform")] if spikes else names


def noise_declarations(variables):
    """Equation lines declaring the :func:`noise_variables` ``variables``."""
    return "\n".join(f"{name} : 1  # this step's {kind} draw (hee_brian.noise)"
                      for name, kind in variables)


class NoiseFiller(CodeRunner):
    """Fills a group's noise variables at the start of every step (cpp_standalone).

    Parameters
    ----------
    group : NeuronGroup
        With the ``variables`` declared (:func:`noise_declarations`).
    variables : list of (name, kind)
        From :func:`noise_variables`.
    seed_variable : tuple (group, name)
        The shared integer variable holding the run's seed.
    clock : Clock
    """

    def __init__(self, group, variables, seed_variable, clock):
        fills = [(name, kind, stream_id(group.name, name)) for name, kind in variables]
        owner, seed_name = seed_variable
        group.variables.add_reference("run_seed", owner, seed_name)
        CodeRunner.__init__(
            self, group=group, template="hee_noise", code="", clock=clock,
            when="start", order=0, name=group.name + "_noise",
            needed_variables=[name for name, _ in variables] + ["run_seed", "t_in_timesteps"],
            template_kwds={"fills": fills}, codeobj_class=HEECodeObject,
        )
