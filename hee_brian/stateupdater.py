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

:data:`lm_euler` and :data:`lm_bulk_euler` are the Leimkuhler-Matthews
scheme on the same code: the noise of a step is the mean of this step's and
the previous step's standard normals (kept in ``noise_prev_<xi>``), which
makes the stationary law of a Gaussian target exact at any stable dt.

:class:`Reflecting` wraps any of them for a population whose family lives on
an interval (:attr:`hee_brian.families.ExponentialFamily.bounds`): after the
step, the state is folded back into the interval by reflection at the walls.
"""
from __future__ import annotations

from brian2 import Equations
from brian2.stateupdaters.explicit import ExplicitStateUpdater

from .noise import noise_variable

__all__ = ["euler", "bulk_euler", "lm_euler", "lm_bulk_euler", "previous_noise_variable",
           "previous_noise_declarations", "Reflecting"]


def previous_noise_variable(xi):
    """Name of the state variable holding noise term ``xi``'s draw of the last step."""
    return f"noise_prev_{xi}"


def previous_noise_declarations(equations):
    """Equation lines declaring the Leimkuhler-Matthews memory of each noise term."""
    return "\n".join(f"{previous_noise_variable(xi)} : 1  # last step's draw of {xi} "
                      "(Leimkuhler-Matthews)"
                      for xi in sorted(Equations(equations).stochastic_variables))


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


class LeimkuhlerMatthews:
    """Wraps an explicit updater: each draw becomes the mean of it and the last one.

    ``x_new = x + dt f(x) + g(x) dt**.5 (z_n + z_{n+1})/2``, with ``z_n``
    the previous step's standard normal of the same noise term
    (:func:`previous_noise_variable`).
    """

    def __init__(self, updater, bulk):
        self.updater, self.bulk = updater, bulk

    def __call__(self, eqs, variables=None, method_options=None):
        code = self.updater(eqs, variables, method_options)
        tail = []
        for xi in sorted(eqs.stochastic_variables):
            prev = previous_noise_variable(xi)
            if self.bulk:
                draw, line = noise_variable(xi), f"{xi} = dt**.5 * {noise_variable(xi)}"
                new = f"{xi} = dt**.5 * 0.5*({draw} + {prev})"
            else:
                draw, line = f"_lm_{xi}", f"{xi} = dt**.5 * randn()"
                new = f"{draw} = randn()\n{xi} = dt**.5 * 0.5*({draw} + {prev})"
            if line not in code:
                raise AssertionError(f"the Euler code has no line {line!r}")
            code = code.replace(line, new)
            tail.append(f"{prev} = {draw}")
        return code + "\n" + "\n".join(tail)

    def can_integrate(self, equations, variables, method_options=None):
        return self.updater.can_integrate(equations, variables, method_options)


class Reflecting:
    """Wraps an explicit updater: a bounded variable is reflected at its walls after the step.

    ``x_new = fold(x + dt f(x) + g dW)``, where ``fold`` (the family's
    :meth:`~hee_brian.families.ExponentialFamily.reflect_expr`) mirrors a
    state that crossed a wall back inside.  Reflection is the zero-flux
    boundary condition of the Fokker-Planck equation, so the reflected
    diffusion keeps the family's density restricted to the interval; the
    Euler chain converges to it as dt -> 0 (docs/model.md section 1, the
    continuous Bernoulli).  Only the variable's own line changes: every
    other line of the wrapped updater's code, and so the random numbers a
    seed gives, stay as they were.

    Parameters
    ----------
    updater : callable
        One of this module's updaters.
    variable : str
        The bounded state variable (``x`` or ``eps``).
    fold : str
        Brian2 expression of ``variable`` folded into its interval.
    """

    def __init__(self, updater, variable, fold):
        self.updater, self.variable, self.fold = updater, variable, fold

    def __call__(self, eqs, variables=None, method_options=None):
        """The wrapped updater's code, then ``variable = fold``."""
        if self.variable not in eqs.diff_eq_names:
            raise AssertionError(f"{self.variable} is not a differential equation of {eqs}")
        code = self.updater(eqs, variables, method_options)
        return code + f"\n{self.variable} = {self.fold}"

    def can_integrate(self, equations, variables, method_options=None):
        """Whatever the wrapped updater can integrate."""
        return self.updater.can_integrate(equations, variables, method_options)


_SCHEME = "x_new = x + dt * f(x,t) + g(x,t) * dW"

#: Forward Euler-Maruyama, as Brian2's ``euler``, independent of hash order.
euler = OrderedNoiseStateUpdater(_SCHEME, stochastic="additive")

#: :data:`euler` with the noise drawn in bulk (:mod:`hee_brian.noise`).
bulk_euler = BulkNoiseStateUpdater(_SCHEME, stochastic="additive")

#: Leimkuhler-Matthews on :data:`euler` (noise from ``randn()``).
lm_euler = LeimkuhlerMatthews(euler, bulk=False)

#: Leimkuhler-Matthews on :data:`bulk_euler` (noise from :mod:`hee_brian.noise`).
lm_bulk_euler = LeimkuhlerMatthews(bulk_euler, bulk=True)
