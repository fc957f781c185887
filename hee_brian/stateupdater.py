"""Euler-Maruyama with the noise terms drawn in a fixed order.

Brian2's ``euler`` draws one ``randn()`` per noise term (``xi_x``, ``xi_a``,
...) in the order of a Python ``set`` of their names, and the order of a set
of strings follows the process's hash seed (``PYTHONHASHSEED``).  A
population with two noise terms, such as latent neurons with the momentum
adaptation current, would then pair the random stream with the noise terms
differently from one process to the next, and the same seed would give
different trajectories.  :data:`euler` is Brian2's own scheme
(``x_new = x + dt f(x, t) + g(x, t) dW``) with the noise terms taken in
sorted order, so the generated code, and therefore the result of a seed, is
the same in every process.
"""
from __future__ import annotations

from brian2.stateupdaters.explicit import ExplicitStateUpdater

from .noise import noise_variable

__all__ = ["euler", "bulk_euler"]


class _SortedNoise:
    """View of Brian2 ``Equations`` whose noise terms come as a sorted list."""

    def __init__(self, eqs):
        self._eqs = eqs

    def __getattr__(self, name):
        return getattr(self._eqs, name)

    @property
    def stochastic_variables(self):
        return sorted(self._eqs.stochastic_variables)


class OrderedNoiseStateUpdater(ExplicitStateUpdater):
    """An explicit Brian2 state updater that draws noise terms in sorted order."""

    def __call__(self, eqs, variables=None, method_options=None):
        return super().__call__(_SortedNoise(eqs), variables, method_options)


class BulkNoiseStateUpdater(OrderedNoiseStateUpdater):
    """:class:`OrderedNoiseStateUpdater` reading each noise term from its variable.

    Brian2 writes noise term ``xi`` as ``xi = dt**.5 * randn()``; here that
    line reads ``xi = dt**.5 * noise_xi``, the standard normal of this step
    that a :class:`hee_brian.noise.NoiseFiller` drew.
    """

    def __call__(self, eqs, variables=None, method_options=None):
        code = super().__call__(eqs, variables, method_options)
        for xi in eqs.stochastic_variables:
            line = f"{xi} = dt**.5 * randn()"
            if line not in code:
                raise AssertionError(f"Brian2's Euler code has no line {line!r}")
            code = code.replace(line, f"{xi} = dt**.5 * {noise_variable(xi)}")
        return code


_SCHEME = "x_new = x + dt * f(x,t) + g(x,t) * dW"

#: Forward Euler-Maruyama, as Brian2's ``euler``, independent of hash order.
euler = OrderedNoiseStateUpdater(_SCHEME, stochastic="additive")

#: :data:`euler` with the noise drawn in bulk (:mod:`hee_brian.noise`).
bulk_euler = BulkNoiseStateUpdater(_SCHEME, stochastic="additive")
