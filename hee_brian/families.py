"""Exponential families of the HEE model's one-dimensional conditionals.

Every neuron's conditional given the layer above is

    p(x | eta) = exp(eta * x - g(x) - A(eta)),     A'(eta) = E[x | eta]

(docs/model.md section 1).  A family supplies the base-measure potential ``g``
as a Brian2 expression for ``g'(x)`` (what the Langevin drift needs), its
parameters (which become shared, constant group variables so a compiled
standalone project can be re-run with new values), the stiffness
``max g''`` that bounds the Euler-Maruyama step, and ``A'(eta)`` (closed form
or quadrature) so the tests can compare the sampler against exact answers.

Add a family by subclassing :class:`ExponentialFamily` and decorating it with
:func:`register_family`.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, fields

import numpy as np
from scipy import integrate

from .errors import HEEParameterError

__all__ = [
    "ExponentialFamily",
    "Gaussian",
    "Sparse",
    "StudentT",
    "ContinuousBernoulli",
    "gaussian",
    "sparse",
    "student_t",
    "continuous_bernoulli",
    "make_family",
    "register_family",
    "TabulatedLogPartition",
    "trapezoid_moments",
    "FAMILIES",
]

#: Registry of family classes by name, filled by :func:`register_family`.
FAMILIES: dict[str, type["ExponentialFamily"]] = {}

#: Tabulated log-partitions, by family name, parameters and grid.
_TABLES: dict = {}


def register_family(cls):
    """Class decorator adding an :class:`ExponentialFamily` to :data:`FAMILIES`."""
    FAMILIES[cls.name] = cls
    return cls


@dataclass(frozen=True)
class ExponentialFamily:
    """Base class: one-dimensional exponential family with T(x) = x.

    Subclasses set ``name``, ``param_ranges`` ({parameter: (low, high)},
    open interval) and implement :meth:`gprime_expr`, :meth:`g`,
    :meth:`gprime` and :meth:`stiffness`.
    """

    name = "base"
    param_ranges: dict = field(default_factory=dict, init=False, repr=False)

    #: The interval the family lives on (``(-inf, inf)``: the real line).  A
    #: family with a finite bound has base measure g = +inf beyond it; its
    #: samplers keep the state inside by reflection (:meth:`reflect_expr`).
    bounds = (-math.inf, math.inf)

    # -- what Brian2 needs -------------------------------------------------
    def gprime_expr(self, var: str, prefix: str = "") -> str:
        """Brian2 expression for g'(var).

        Parameters
        ----------
        var : str
            Name of the state variable (``x`` or ``eps``).
        prefix : str
            Prefix of the parameter names as group variables, e.g. ``"g_"``
            turns ``sigma`` into ``g_sigma`` (avoids clashes between the
            parameters of two families in one group).
        """
        raise NotImplementedError

    def params(self) -> dict[str, float]:
        """The family's parameters as plain floats, by name."""
        return {k: float(getattr(self, k)) for k in self.param_ranges}

    def equation_params(self) -> dict[str, float]:
        """The parameters the Brian2 equations read (group variables), by name.

        All of :meth:`params` unless a parameter only informs the checks
        before a run (the continuous Bernoulli's ``eta_max``).
        """
        return self.params()

    # -- what the checks and the NumPy reference need ---------------------
    def g(self, x, xp=np):
        """Base-measure potential g(x).

        ``xp`` is the array module (NumPy by default; ``jax.numpy`` for the
        NUTS reference of :mod:`hee_brian.nuts`, which differentiates it).
        """
        raise NotImplementedError

    def gprime(self, x):
        """Derivative g'(x) (NumPy)."""
        raise NotImplementedError

    def stiffness(self) -> float:
        """Upper bound of g''(x) over x: the relaxation rate in units of 1/tau."""
        raise NotImplementedError

    def validate(self):
        """Check every parameter lies in its valid range; raise otherwise."""
        for pname, (lo, hi) in self.param_ranges.items():
            value = getattr(self, pname)
            if not isinstance(value, (int, float, np.floating, np.integer)) or not (
                math.isfinite(value) and lo < value < hi
            ):
                raise HEEParameterError(
                    f"{self.name} family: parameter {pname}={value!r} is outside its "
                    f"valid range ({lo}, {hi}); choose a finite value in that range."
                )

    # -- exact moments for tests ------------------------------------------
    def log_density(self, x, eta):
        """Unnormalised log p(x | eta) = eta x - g(x)."""
        return eta * np.asarray(x) - self.g(np.asarray(x))

    # -- optional capabilities (the base class says "not available") ------
    def log_partition(self, eta, xp=np):
        """A(eta) = log int exp(eta x - g(x)) dx in closed form, or None if it has none."""
        return None

    def tabulated_log_partition(self, eta_max=10.0, step=5e-3):
        """A(eta) by quadrature on a grid of eta, interpolated (:class:`TabulatedLogPartition`).

        For families without a closed form, where an exact posterior needs
        the A(eta) of a layer that has a parent (:mod:`hee_brian.nuts`).
        Built once per family and grid, then cached.
        """
        key = (self.name, tuple(sorted(self.params().items())), float(eta_max), float(step))
        if key not in _TABLES:
            _TABLES[key] = TabulatedLogPartition(self, eta_max, step)
        return _TABLES[key]

    def mean_expr(self, eta: str, prefix: str = "") -> str | None:
        """Brian2 expression of A'(eta) in closed form, or None if it has none.

        A layer whose family has one can replace its sampling interneurons
        by it (``HEEModel(interneurons="closed_form")``).
        """
        return None

    def fixed_variance(self) -> float | None:
        """The conditional variance if it does not depend on eta, else None.

        A family with a fixed variance (the Gaussian) lets the noise budget
        and the dt check account for the likelihood it feeds the layer above.
        """
        return None

    def variance_bound(self) -> float | None:
        """An upper bound of A''(eta) = Var[x | eta] over all eta, or None if there is none.

        The likelihood a layer of this family feeds the layer above has
        curvature at most ``variance_bound() * ||W||^2`` (for linear phi), which
        the dt check adds to the upper neurons' rate.  By default the fixed
        variance, if any.
        """
        return self.fixed_variance()

    # -- bounded support: reflection at the walls -------------------------
    def is_bounded(self) -> bool:
        """Whether :attr:`bounds` has a finite end (the samplers then reflect)."""
        return math.isfinite(self.bounds[0]) or math.isfinite(self.bounds[1])

    def reflect_expr(self, var: str) -> str | None:
        """Brian2 expression folding ``var`` back into :attr:`bounds`, or None if unbounded.

        After an Euler-Maruyama step has crossed a wall, the state is
        mirrored at it: the Langevin diffusion reflected at the walls has
        the stationary density exp(eta x - g(x) - A(eta)) restricted to the
        interval, because reflection is the zero-flux (Neumann) boundary
        condition of its Fokker-Planck equation.  On an interval [lo, hi]
        the reflections at both walls make the fold ``lo + w tri((x - lo)/w)``
        with w = hi - lo and tri(u) = 1 - |1 - (|u| mod 2)|, exact for a step
        of any length (several crossings in one step fold correctly too).
        """
        lo, hi = self.bounds
        if math.isfinite(lo) and math.isfinite(hi):
            if (lo, hi) == (0.0, 1.0):
                return f"1 - abs(1 - abs({var}) % 2)"
            w = hi - lo
            return f"{lo!r} + {w!r}*(1 - abs(1 - abs(({var} - {lo!r})/{w!r}) % 2))"
        if math.isfinite(lo):
            return f"{lo!r} + abs({var} - {lo!r})"
        if math.isfinite(hi):
            return f"{hi!r} - abs({hi!r} - {var})"
        return None

    def reflect(self, x):
        """NumPy twin of :meth:`reflect_expr` (the identity on an unbounded family)."""
        x = np.asarray(x, float)
        lo, hi = self.bounds
        if math.isfinite(lo) and math.isfinite(hi):
            w = hi - lo
            return lo + w * (1 - np.abs(1 - np.abs((x - lo) / w) % 2))
        if math.isfinite(lo):
            return lo + np.abs(x - lo)
        if math.isfinite(hi):
            return hi - np.abs(hi - x)
        return x

    def mean_is_vectorised(self) -> bool:
        """Whether :meth:`mean` accepts arrays of eta (closed form) or one value."""
        return False

    def mean(self, eta: float) -> float:
        """A'(eta) = E[x | eta], by quadrature unless a subclass overrides it."""
        return self._moments(eta, 1)[0]

    def variance(self, eta: float = 0.0) -> float:
        """A''(eta) = Var[x | eta], by quadrature unless a subclass overrides it."""
        return self._moments(eta, 2)[1]

    def _moments(self, eta, order):
        """(E[x | eta], Var[x | eta] if order == 2) by scipy quadrature."""
        lo, hi = self.support_for_quadrature(eta)
        logp = lambda x: self.log_density(x, eta)  # noqa: E731
        shift = np.max(logp(np.linspace(lo, hi, 4001)))
        quad = lambda f: integrate.quad(  # noqa: E731
            lambda x: f(x) * np.exp(logp(x) - shift), lo, hi, limit=200)[0]
        z = quad(lambda x: 1.0)
        m = quad(lambda x: x) / z
        v = quad(lambda x: (x - m) ** 2) / z if order == 2 else None
        return m, v

    def sample(self, eta, size, rng, n_grid=400001):
        """Exact draws from p(x | eta) by inverse transform on a fine grid.

        For generating data from the model itself (tests, dictionary-recovery
        checks); the simulator samples by Langevin dynamics.
        """
        lo, hi = self.support_for_quadrature(eta)
        grid = np.linspace(lo, hi, n_grid)
        logp = self.log_density(grid, eta)
        cdf = np.cumsum(np.exp(logp - logp.max()))
        return np.interp(rng.random(size), cdf / cdf[-1], grid)

    def support_for_quadrature(self, eta: float) -> tuple[float, float]:
        """Finite interval holding all but a negligible part of p(x | eta)."""
        raise NotImplementedError

    #: Parameters filled in from the family's defaults (set by make_family).
    defaulted = ()

    def describe(self, mark_defaults=False) -> str:
        """Short human-readable name with parameters, e.g. ``gaussian(sigma=0.5)``.

        With ``mark_defaults``, parameters the user did not give are marked
        ``(default)``.
        """
        inner = ", ".join(
            f"{k}={v:g}" + (" (default)" if mark_defaults and k in self.defaulted else "")
            for k, v in self.params().items())
        return f"{self.name}({inner})"


@register_family
@dataclass(frozen=True)
class Gaussian(ExponentialFamily):
    """Gaussian conditional: g(x) = x^2 / (2 sigma^2), so A'(eta) = sigma^2 eta."""

    sigma: float = 1.0
    name = "gaussian"

    def __post_init__(self):
        object.__setattr__(self, "param_ranges", {"sigma": (0.0, math.inf)})

    def gprime_expr(self, var, prefix=""):
        return f"{var}/{prefix}sigma**2"

    def g(self, x, xp=np):
        return xp.asarray(x) ** 2 / (2 * self.sigma**2)

    def gprime(self, x):
        return np.asarray(x) / self.sigma**2

    def stiffness(self):
        return 1.0 / self.sigma**2

    def mean(self, eta):
        return self.sigma**2 * eta

    def mean_expr(self, eta, prefix=""):
        return f"{prefix}sigma**2*{eta}"

    def log_partition(self, eta, xp=np):
        return self.sigma**2 * xp.asarray(eta) ** 2 / 2 + 0.5 * math.log(2 * math.pi
                                                                         * self.sigma**2)

    def variance(self, eta=0.0):
        """Conditional variance sigma^2 (independent of eta)."""
        return self.sigma**2

    def fixed_variance(self):
        return self.sigma**2

    def mean_is_vectorised(self):
        return True

    def support_for_quadrature(self, eta):
        m = self.sigma**2 * eta
        return m - 12 * self.sigma, m + 12 * self.sigma


@register_family
@dataclass(frozen=True)
class Sparse(ExponentialFamily):
    """Smooth Laplace with weak Gaussian confinement (the V1 prior).

    g(x) = lam (sqrt(x^2 + delta^2) - delta) + x^2 / (2 s^2).
    ``delta`` smooths the cusp of the Laplace at 0: the stiffness
    lam/delta + 1/s^2 grows as delta shrinks, so a smaller delta needs a
    smaller dt.  ``s`` keeps the density normalisable for any eta.
    """

    lam: float = 1.0
    delta: float = 0.1
    s: float = 10.0
    name = "sparse"

    def __post_init__(self):
        object.__setattr__(
            self,
            "param_ranges",
            {"lam": (0.0, math.inf), "delta": (0.0, math.inf), "s": (0.0, math.inf)},
        )

    def gprime_expr(self, var, prefix=""):
        p = prefix
        return (
            f"{p}lam*{var}/sqrt({var}**2 + {p}delta**2) + {var}/{p}s**2"
        )

    def g(self, x, xp=np):
        x = xp.asarray(x)
        return self.lam * (xp.sqrt(x**2 + self.delta**2) - self.delta) + x**2 / (
            2 * self.s**2
        )

    def gprime(self, x):
        x = np.asarray(x)
        return self.lam * x / np.sqrt(x**2 + self.delta**2) + x / self.s**2

    def stiffness(self):
        # g''(x) = lam delta^2 / (x^2 + delta^2)^1.5 + 1/s^2, largest at x = 0
        return self.lam / self.delta + 1.0 / self.s**2

    def support_for_quadrature(self, eta):
        # The tails decay at least like the Gaussian confinement (scale s) and,
        # for |eta| < lam, like a Laplace of rate lam - |eta|; the mode sits
        # where g'(x) = eta, at most |eta| s^2 away.
        centre = float(np.clip(eta * self.s**2, -1e3, 1e3))
        rate = max(self.lam - abs(eta), 0.0)
        width = min(12 * self.s, 60.0 / rate if rate > 0 else 12 * self.s)
        width = max(width, 12 * self.delta, 1.0)
        if abs(eta) < self.lam:
            return -width, width
        return centre - 12 * self.s, centre + 12 * self.s


@register_family
@dataclass(frozen=True)
class StudentT(ExponentialFamily):
    """Student-t with weak Gaussian confinement: a heavy-tailed sparse prior.

    g(x) = (nu + 1)/2 log(1 + x^2 / (nu scale^2)) + x^2 / (2 s^2).
    Sparser than the smooth Laplace (:class:`Sparse`): most of the mass sits
    within ``scale`` of zero and the tails fall off only as a power, so a
    few large values explain what many moderate ones would under a Laplace.
    ``nu = 1`` is the Cauchy prior of Olshausen & Field (1996).  The
    potential is not convex (its curvature turns negative beyond
    ``sqrt(nu) scale``), which the Langevin dynamics do not mind; ``s``
    keeps the density normalisable for any eta and sets its variance.
    """

    nu: float = 1.0
    scale: float = 0.2
    s: float = 3.0
    name = "student_t"

    def __post_init__(self):
        object.__setattr__(
            self,
            "param_ranges",
            {"nu": (0.0, math.inf), "scale": (0.0, math.inf), "s": (0.0, math.inf)},
        )

    def gprime_expr(self, var, prefix=""):
        p = prefix
        return (
            f"({p}nu + 1)*{var}/({p}nu*{p}scale**2 + {var}**2) + {var}/{p}s**2"
        )

    def g(self, x, xp=np):
        x = xp.asarray(x)
        return 0.5 * (self.nu + 1) * xp.log1p(x**2 / (self.nu * self.scale**2)) + x**2 / (
            2 * self.s**2
        )

    def gprime(self, x):
        x = np.asarray(x)
        return (self.nu + 1) * x / (self.nu * self.scale**2 + x**2) + x / self.s**2

    def stiffness(self):
        # g''(x) = (nu+1)(nu scale^2 - x^2)/(nu scale^2 + x^2)^2 + 1/s^2, largest at 0
        return (self.nu + 1) / (self.nu * self.scale**2) + 1.0 / self.s**2

    def support_for_quadrature(self, eta):
        # Beyond the bulk the density is at most exp(eta x - x^2/(2 s^2)): a
        # Gaussian of scale s centred at eta s^2.
        centre = float(np.clip(eta * self.s**2, -1e3, 1e3))
        width = max(12 * self.s, 60 * self.scale)
        return min(0.0, centre) - width, max(0.0, centre) + width


#: |eta| below which the continuous Bernoulli's A, A' and A'' use their Taylor
#: series: the closed forms cancel there (1/eta against 1/(1 - e^-eta)),
#: losing about 12 eps / eta^2 of relative precision in A''.
_CB_SERIES = 0.1


def _cb_series_mask(eta, xp=np):
    """(|eta| < _CB_SERIES, eta with those entries replaced by 1: safe to divide by)."""
    small = xp.abs(eta) < _CB_SERIES
    return small, xp.where(small, 1.0, eta)


@register_family
@dataclass(frozen=True)
class ContinuousBernoulli(ExponentialFamily):
    """Continuous Bernoulli: the exponential family of x in [0, 1] with T(x) = x.

    p(x | eta) = exp(eta x - A(eta)) on [0, 1] (g = 0 inside, +inf outside),

        A(eta)   = log((e^eta - 1) / eta)                 (0 at eta = 0)
        A'(eta)  = 1 / (1 - e^-eta) - 1 / eta              (1/2 at eta = 0)
        A''(eta) = 1 / eta^2 - 1 / (4 sinh^2(eta / 2))     (1/12 at eta = 0)

    the uniform density tilted by e^(eta x), also called the truncated
    exponential.  It is the one-parameter family on [0, 1] whose sufficient
    statistic is x itself, as the model requires (docs/model.md section 1),
    so it is the natural pixel family for intensities in [0, 1]: the
    Bernoulli likelihood that image models apply to grey levels, properly
    normalised on the interval (Loaiza-Ganem & Cunningham, "The continuous
    Bernoulli", NeurIPS 2019).  Nearly binary pixels are |eta| of 10 to 30
    (A'(20) = 0.95, A'(-20) = 0.05).  Its mean parameter A'(eta) covers
    (0, 1) and A'(-eta) = 1 - A'(eta).  A Beta base measure would also live
    on [0, 1], but its g'' is unbounded at the walls, which Euler-Maruyama
    cannot step through; here g' = 0 inside and the walls are handled by
    reflection (:meth:`ExponentialFamily.reflect_expr`).

    ``eta_max`` is not a parameter of the density: it is the largest |eta|
    the dt check guarantees the sampler for.  The drift inside is eta alone,
    so the stiffness g'' is 0, and what limits the step is the interval and
    the width 1/|eta| of the law at a wall.  The reflected diffusion
    tau dx/dt = eta + sqrt(2 tau) xi relaxes at rate (pi^2 + eta^2/4)/tau
    (its spectral gap on [0, 1] with zero-flux walls), which is the
    stiffness reported.  Beyond eta_max the step is too long for the
    boundary layer and the stationary law is biased (docs/model.md
    section 1, the continuous Bernoulli).
    """

    eta_max: float = 20.0
    name = "continuous_bernoulli"
    bounds = (0.0, 1.0)

    def __post_init__(self):
        object.__setattr__(self, "param_ranges", {"eta_max": (0.0, math.inf)})

    def equation_params(self):
        return {}  # eta_max is for the dt check; no equation reads it

    def gprime_expr(self, var, prefix=""):
        # flat inside the interval: the drift is eta alone, the walls reflect
        return "0"

    def g(self, x, xp=np):
        x = xp.asarray(x)
        return xp.where((x >= 0) & (x <= 1), 0.0, xp.inf)

    def gprime(self, x):
        return np.zeros(np.shape(x))

    def stiffness(self):
        # spectral gap of the reflected diffusion with drift eta_max on [0, 1]:
        # the generator eta f' + f'' with f'(0) = f'(1) = 0 has eigenvalues
        # (k pi)^2 + eta^2/4, k >= 1 (substitute f = e^(-eta x/2) h)
        return math.pi**2 + self.eta_max**2 / 4

    def log_partition(self, eta, xp=np):
        eta = xp.asarray(eta, dtype=float)
        small, safe = _cb_series_mask(eta, xp)
        a = xp.abs(safe)
        # log((e^eta - 1)/eta) = max(eta, 0) + log((1 - e^-|eta|)/|eta|): no overflow
        direct = xp.maximum(safe, 0.0) + xp.log(-xp.expm1(-a)) - xp.log(a)
        series = eta / 2 + eta**2 / 24 - eta**4 / 2880 + eta**6 / 181440
        return xp.where(small, series, direct)

    def mean(self, eta):
        eta = np.asarray(eta, dtype=float)
        small, safe = _cb_series_mask(eta)
        a = np.abs(safe)
        # for eta = a > 0: 1/(1 - e^-a) - 1/a; for eta = -a: 1/a - e^-a/(1 - e^-a)
        # (= 1 - A'(a)), both without e^+a, so without overflow
        up = 1 / -np.expm1(-a) - 1 / a
        down = 1 / a - np.exp(-a) / -np.expm1(-a)
        series = 0.5 + eta / 12 - eta**3 / 720 + eta**5 / 30240 - eta**7 / 1209600
        return np.where(small, series, np.where(safe > 0, up, down))

    def mean_expr(self, eta, prefix=""):
        # A'(eta) = 1/2 + coth(eta/2)/2 - 1/eta, with its Taylor series for
        # |eta| < 0.1; the closed form's denominator is shifted by 1 there
        # (both branches are evaluated, so neither may divide by zero)
        c = _CB_SERIES
        small, big = f"int(abs({eta}) < {c})", f"int(abs({eta}) >= {c})"
        safe = f"({eta} + {small})"
        return (f"0.5 + {big}*(0.5/tanh(0.5*{safe}) - 1/{safe})"
                f" + {small}*({eta}/12 - {eta}**3/720 + {eta}**5/30240 - {eta}**7/1209600)")

    def variance(self, eta=0.0):
        eta = np.asarray(eta, dtype=float)
        small, safe = _cb_series_mask(eta)
        a = np.abs(safe)
        # 1/(4 sinh^2(a/2)) = e^-a / (1 - e^-a)^2
        direct = 1 / a**2 - np.exp(-a) / np.expm1(-a) ** 2
        series = 1 / 12 - eta**2 / 240 + eta**4 / 6048 - eta**6 / 172800
        return np.where(small, series, direct)

    def variance_bound(self):
        return 1.0 / 12  # A'' is largest at eta = 0, where the law is uniform

    def mean_is_vectorised(self):
        return True

    def sample(self, eta, size, rng, n_grid=None):
        """Exact draws by inverting the CDF F(x) = (e^(eta x) - 1) / (e^eta - 1).

        ``eta`` may be an array broadcastable to ``size``; ``n_grid`` is
        ignored (kept for the signature of the base class).
        """
        u = rng.random(size)
        eta = np.broadcast_to(np.asarray(eta, dtype=float), np.shape(u))
        safe = np.where(eta == 0, 1.0, eta)
        a = np.abs(safe)
        # x = log(1 + u (e^eta - 1)) / eta, written with e^-|eta| only; for
        # eta > 0 as 1 + log(u + (1 - u) e^-eta) / eta
        up = 1 + np.log(u + (1 - u) * np.exp(-a)) / a
        down = np.log1p(u * np.expm1(-a)) / -a
        x = np.where(eta == 0, u, np.where(safe > 0, up, down))
        return np.clip(x, 0.0, 1.0)

    def support_for_quadrature(self, eta):
        return 0.0, 1.0


def trapezoid_moments(family, eta, n_grid=20001):
    """A(eta), A'(eta) = E[x | eta] and A''(eta) = Var[x | eta] for an array of eta.

    The trapezoid rule on ``n_grid`` points of the family's quadrature
    support at each eta, 64 values at a time (64 x n_grid arrays); the
    integrands are smooth, so the rule converges geometrically.  Vectorised,
    unlike :meth:`ExponentialFamily.variance` (scipy's adaptive quadrature,
    one eta per call).

    Returns
    -------
    (A, mean, variance) : tuple of ndarray, each of eta's shape
    """
    flat = np.asarray(eta, float).ravel()
    A, dA, d2A = np.empty(flat.size), np.empty(flat.size), np.empty(flat.size)
    u = np.linspace(0.0, 1.0, n_grid)
    trapezoid = np.ones(n_grid)
    trapezoid[[0, -1]] = 0.5
    for start in range(0, flat.size, 64):
        e = flat[start:start + 64, None]
        lo, hi = np.array([family.support_for_quadrature(float(v)) for v in e[:, 0]]).T
        x = lo[:, None] + (hi - lo)[:, None] * u
        logp = e * x - family.g(x)
        top = logp.max(axis=1, keepdims=True)
        w = np.exp(logp - top) * trapezoid
        z = w.sum(axis=1)
        m = (w * x).sum(axis=1) / z
        A[start:start + 64] = top[:, 0] + np.log(z * (hi - lo) / (n_grid - 1))
        dA[start:start + 64] = m
        d2A[start:start + 64] = (w * (x - m[:, None]) ** 2).sum(axis=1) / z
    shape = np.shape(eta)
    return A.reshape(shape), dA.reshape(shape), d2A.reshape(shape)


class TabulatedLogPartition:
    """A(eta), A'(eta) and A''(eta) of a family, tabulated by quadrature and interpolated.

    At nodes ``eta_k`` spaced ``step`` apart on [-eta_max, eta_max], A, its
    derivative E[x | eta] and its second derivative Var[x | eta] come from
    the trapezoid rule on a fine grid of the family's quadrature support (the
    integrands are smooth, so the rule converges geometrically).  Between
    nodes A is the cubic Hermite interpolant of (A, A'), with an error below
    step^4 max|A''''| / 384, so that its derivative (the interpolated A') is
    continuous.  Beyond the table A continues as the quadratic of its end
    node: the exact asymptote of families confined by a Gaussian
    (``x^2 / (2 s^2)`` in g), whose conditional tends to a Gaussian of
    variance s^2 as |eta| grows.  It works with any array module (``xp``),
    so JAX can differentiate it.

    Parameters
    ----------
    family : ExponentialFamily
    eta_max : float
        Half-width of the table in eta.
    step : float
        Node spacing.
    n_grid : int
        Quadrature points per node.
    """

    def __init__(self, family, eta_max=10.0, step=5e-3, n_grid=20001):
        if not (eta_max > 0 and 0 < step < eta_max):
            raise HEEParameterError(
                f"TabulatedLogPartition needs eta_max > 0 and 0 < step < eta_max, got "
                f"eta_max={eta_max!r}, step={step!r}."
            )
        self.family, self.step = family, float(step)
        n = int(round(2 * eta_max / step)) + 1
        self.eta = np.linspace(-eta_max, eta_max, n)
        self.A, self.dA, self.d2A = trapezoid_moments(family, self.eta, n_grid)

    def __call__(self, eta, xp=np):
        """A(eta), elementwise."""
        eta = xp.asarray(eta)
        h, n = self.step, len(self.eta)
        u = (eta - self.eta[0]) / h
        i = xp.clip(xp.floor(u), 0, n - 2).astype(int)
        t = xp.clip(u - i, 0.0, 1.0)
        A, dA = xp.asarray(self.A), xp.asarray(self.dA)
        inside = ((2 * t**3 - 3 * t**2 + 1) * A[i] + (t**3 - 2 * t**2 + t) * h * dA[i]
                  + (3 * t**2 - 2 * t**3) * A[i + 1] + (t**3 - t**2) * h * dA[i + 1])
        lo, hi = eta - self.eta[0], eta - self.eta[-1]
        below = self.A[0] + self.dA[0] * lo + 0.5 * self.d2A[0] * lo**2
        above = self.A[-1] + self.dA[-1] * hi + 0.5 * self.d2A[-1] * hi**2
        return xp.where(lo < 0, below, xp.where(hi > 0, above, inside))

    def mean(self, eta):
        """A'(eta) = E[x | eta] (NumPy), linear between the nodes."""
        return np.interp(eta, self.eta, self.dA)


def gaussian(sigma: float = 1.0) -> Gaussian:
    """Gaussian family with standard deviation ``sigma`` (see :class:`Gaussian`)."""
    fam = Gaussian(sigma=sigma)
    fam.validate()
    return fam


def sparse(lam: float = 1.0, delta: float = 0.1, s: float = 10.0) -> Sparse:
    """Smooth-Laplace sparse family (see :class:`Sparse`)."""
    fam = Sparse(lam=lam, delta=delta, s=s)
    fam.validate()
    return fam


def student_t(nu: float = 1.0, scale: float = 0.2, s: float = 3.0) -> StudentT:
    """Heavy-tailed Student-t sparse family (see :class:`StudentT`)."""
    fam = StudentT(nu=nu, scale=scale, s=s)
    fam.validate()
    return fam


def continuous_bernoulli(eta_max: float = 20.0) -> ContinuousBernoulli:
    """Continuous Bernoulli family on [0, 1] (see :class:`ContinuousBernoulli`)."""
    fam = ContinuousBernoulli(eta_max=eta_max)
    fam.validate()
    return fam


def make_family(family, **params) -> ExponentialFamily:
    """Turn a family name plus parameters (or a family instance) into a family.

    Raises
    ------
    HEEParameterError
        For an unknown name or invalid parameters.
    """
    if isinstance(family, ExponentialFamily):
        if params:
            raise HEEParameterError(
                f"family parameters {sorted(params)} were given next to a family "
                f"instance {family.describe()}; give either a name with parameters "
                "or an instance."
            )
        family.validate()
        return family
    if not isinstance(family, str) or family not in FAMILIES:
        raise HEEParameterError(
            f"unknown family {family!r}; choose one of {sorted(FAMILIES)} or "
            "register a new one with hee_brian.families.register_family."
        )
    cls = FAMILIES[family]
    valid = [f.name for f in fields(cls) if f.init]
    unknown = [p for p in params if p not in valid]
    if unknown:
        hints = []
        for p in unknown:
            close = difflib.get_close_matches(p, valid, n=1)
            hints.append(f"{p!r} (did you mean {close[0]!r}?)" if close else repr(p))
        raise HEEParameterError(
            f"family {family!r} has no parameter {', '.join(hints)}; its parameters "
            f"are {', '.join(valid)}."
        )
    fam = cls(**params)
    # remembered so that print(model) and error messages can say which
    # values the user did not write
    object.__setattr__(fam, "defaulted", tuple(p for p in valid if p not in params))
    fam.validate()
    return fam
