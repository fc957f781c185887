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

__all__ = ["euler"]


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


#: Forward Euler-Maruyama, as Brian2's ``euler``, independent of hash order.
euler = OrderedNoiseStateUpdater("x_new = x + dt * f(x,t) + g(x,t) * dW", stochastic="additive")
