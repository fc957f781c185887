"""The building blocks of a model: a layer of one family, and adaptation."""
from __future__ import annotations

import math

import numpy as np
from brian2 import second

from .errors import HEEParameterError
from .families import ExponentialFamily, make_family
from .validation import as_time

__all__ = ["Layer", "Adaptation"]


class Layer:
    """One layer of the HEE model: ``n`` neurons of one exponential family.

    Parameters
    ----------
    n : int
        Number of neurons.
    family : str or ExponentialFamily
        ``"gaussian"`` (parameter ``sigma``), ``"sparse"`` (``lam``,
        ``delta``, ``s``), ``"student_t"`` (``nu``, ``scale``, ``s``),
        ``"continuous_bernoulli"`` (x in [0, 1]; ``eta_max``, the |eta| the dt
        check covers), or a family instance.
    **family_params
        Parameters of the family.

    Examples
    --------
    >>> Layer(16, "gaussian", sigma=0.5)
    Layer(16, gaussian(sigma=0.5))
    """

    def __init__(self, n, family="gaussian", **family_params):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise HEEParameterError(f"Layer n must be a positive integer, got {n!r}.")
        self.n = int(n)
        self.family: ExponentialFamily = make_family(family, **family_params)

    def __repr__(self):
        return f"Layer({self.n}, {self.family.describe()})"

    def to_dict(self):
        """The layer as JSON-serialisable data (size, family name, parameters)."""
        return {"n": self.n, "family": self.family.name, "params": self.family.params()}


class Adaptation:
    """Neural adaptation as momentum (docs/model.md section 4).

    Parameters
    ----------
    m : float
        Adaptation strength (m = 0 is plain Langevin).
    tau_a : Quantity
        Adaptation time constant.
    variant : {"momentum", "activity"}
        ``momentum``: tau_a da/dt = -a - m I + sqrt(2 m tau_x) xi_a, exact for
        every m >= 0, tau_a > 0.  ``activity``: tau_a da/dt = -a + m g'(x),
        the classic activity-driven current without noise (biased; the bias
        is measured, not assumed away).
    """

    VARIANTS = ("momentum", "activity")

    def __init__(self, m, tau_a, variant="momentum"):
        if variant not in self.VARIANTS:
            raise HEEParameterError(
                f"Adaptation variant {variant!r} is unknown; choose one of {self.VARIANTS}."
            )
        if not isinstance(m, (int, float, np.floating, np.integer)) or not (
            math.isfinite(m) and m >= 0
        ):
            raise HEEParameterError(f"Adaptation m must be a finite number >= 0, got {m!r}.")
        self.m = float(m)
        self.tau_a_s = as_time(tau_a, "Adaptation tau_a")
        self.tau_a = self.tau_a_s * second
        self.variant = variant

    def __repr__(self):
        return f"Adaptation(m={self.m:g}, tau_a={self.tau_a}, variant={self.variant!r})"

    def to_dict(self):
        """The adaptation as JSON-serialisable data (tau_a in seconds)."""
        return {"m": self.m, "tau_a": self.tau_a_s, "variant": self.variant}
