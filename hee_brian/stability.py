"""Stability and accuracy theory: the dt check and the noise budget.

Both are computed from the model's parameters and weights before a run:
:func:`check_stiffness` refuses a step too large for the stiffest
population, and :func:`noise_budget` gives the share of each neuron's own
noise that keeps the sampled posterior exact once the interneurons' lag and
fluctuation are counted (docs/model.md section 2).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import interpolate, linalg

from .errors import HEEParameterError
from .families import trapezoid_moments

__all__ = ["STABILITY_LIMIT", "check_stiffness", "noise_budget", "effective_noise_budget"]

#: Largest allowed dt * (relaxation rate) of any population.  Euler-Maruyama
#: on a linear population is unstable at 2; half of that leaves room for
#: state-dependent stiffness and for the coupling between layers.
STABILITY_LIMIT = 1.0


def check_stiffness(model, W=None):
    """Refuse a dt that is too large for the stiffest population.

    Every population relaxes at a rate (its family's stiffness over its time
    constant; the adaptation current at 1/tau_a and m/tau_a; with weights,
    a layer below whose conditional variance is bounded, by sigma^2 for a
    Gaussian or 1/12 for the continuous Bernoulli, adds its likelihood
    curvature, at most that bound times ||W||^2).  A bounded family's
    stiffness is the relaxation rate of its reflected sampler at the
    largest |eta| it is checked for (pi^2 + eta_max^2/4 on [0, 1]).
    Euler-Maruyama needs dt times the largest rate below
    :data:`STABILITY_LIMIT`.
    """
    checks = []
    for l, layer in enumerate(model.layers):
        k = layer.family.stiffness()
        if not model.closed_form[l]:  # closed-form layers have no interneurons
            checks.append(
                (k / model.tau_eps_layers_s[l], f"the interneurons of layer {l} "
                 f"({layer.family.describe(mark_defaults=True)}, "
                 f"tau_eps = {model.tau_eps_layers_s[l] * 1e3:g} ms)",
                 _remedies(layer.family, interneurons=True))
            )
        checks.append(
            (k / model.tau_x_s, f"the neurons of layer {l} "
             f"({layer.family.describe(mark_defaults=True)}, tau_x = {model.tau_x_s * 1e3:g} ms)",
             _remedies(layer.family, interneurons=False))
        )
    if model.adaptation is not None:
        checks.append((1 / model.adaptation.tau_a_s, "the adaptation current (tau_a)"))
        checks.append(
            (model.adaptation.m / model.adaptation.tau_a_s,
             f"the momentum coupling (m / tau_a = {model.adaptation.m:g} / "
             f"{model.adaptation.tau_a_s * 1e3:g} ms)")
        )
    if W is not None:
        # A Gaussian layer below adds the likelihood curvature
        # sigma^2 W^T W to the neurons above it; a layer whose variance
        # A''(eta) is bounded adds at most that bound times W^T W.
        for l in range(1, len(model.layers)):
            var = model.layers[l - 1].family.variance_bound()
            if var is not None:
                curv = var * np.linalg.norm(W[l - 1], 2) ** 2
                name = "sigma^2" if model.layers[l - 1].family.fixed_variance() is not None \
                    else f"max Var {var:.3g}"
                checks.append(
                    ((curv + model.layers[l].family.stiffness()) / model.tau_x_s,
                     f"the neurons of layer {l} with their likelihood "
                     f"({name} ||W||^2 = {curv:.3g}, tau_x = {model.tau_x_s * 1e3:g} ms)")
                )
    rate, who, *remedy = max(checks, key=lambda c: c[0])
    if rate * model.dt_s > STABILITY_LIMIT:
        limit = STABILITY_LIMIT / rate
        # the suggestion is rounded down, so that the dt it names passes
        digits = 2 - math.floor(math.log10(limit * 1e3))
        suggest = math.floor(limit * 1e3 * 10 ** digits) / 10 ** digits
        raise HEEParameterError(
            f"dt = {model.dt_s * 1e3:g} ms is too large for {who}: its relaxation "
            f"rate is {rate / 1e3:.4g} /ms, so Euler-Maruyama needs "
            f"dt <= {limit * 1e3:.4g} ms. Choose dt <= {suggest:.3g}*ms, or "
            "make that population slower" + "".join(remedy) + "."
        )


def _remedies(family, interneurons):
    """What else than a smaller dt would pass the check, for a family with options.

    A bounded family's rate grows with the eta_max it is checked for, and a
    family with A'(eta) in closed form needs no interneurons at all.
    """
    out = ""
    if family.is_bounded() and "eta_max" in family.param_ranges:
        out += (f"; or lower the family's eta_max (now {family.eta_max:g}): its rate "
                "pi^2 + eta_max^2/4 is that of the reflected sampler at |eta| = eta_max, "
                "and a smaller eta_max is safe only if the layer's |eta| stays below it")
    if interneurons and family.mean_expr("eta") is not None:
        out += ("; or give the model interneurons='closed_form', which replaces these "
                "interneurons by the family's closed-form A'(eta)")
    return out


def noise_budget(model, temperature=1.0):
    """Fraction of the neurons' own noise that keeps the posterior exact.

    A neuron j of layer l feels the interneurons eps_i of layer l - 1
    through ``W_ij (x_i - eps_i)`` where the exact posterior has
    ``W_ij (x_i - A'(eta_i))``.  Two errors follow, both first order in
    ``W^2``: eps_i follows eta_i with a lag, which lowers the neuron's
    friction, and it fluctuates, which adds noise.  By linear response
    (the interneuron's mean follows eta through the same relaxation modes
    that make its autocorrelation, fluctuation-dissipation), each widens
    the neuron's variance by the same relative amount,

        L_ij = sum_n c_n / (k_j + lambda_n tau_x),

    where ``c_n`` and ``lambda_n`` are the weights and rates of the modes of
    the interneuron's autocorrelation at eta_i (:func:`interneuron_load`)
    and ``k_j`` the neuron's own stiffness in units of 1/tau_x (the
    neuron's relaxation filters the interneuron's slow modes).  K
    interneurons average the noise, not the lag, and the neurons' own
    noise shrinks by what the two add:

        budget_j = 1 - sum_i W_ij^2 <L_ij> (1 + 1/(K T)),

    the diagonal of the exact matrix correction (the off-diagonal part
    would need correlated noise; it is left and is second order in
    tau_eps/tau_x).  ``<L_ij>`` is the mean over the top-down drive that
    moves eta_i (:func:`_drive`).  For a Gaussian layer below there is one
    mode, ``c = sigma^2`` and ``lambda = 1/(tau_eps sigma^2)``, and
    for fast interneurons the formula tends to the low-frequency limit
    ``(tau_eps/tau_x) sigma^4``.  A layer whose A'(eta) is used in closed
    form adds neither lag nor noise, so the layer above it gets 1.

    Returns
    -------
    list
        ``[None, budget_1, ..., budget_L]`` (arrays of shape (n_l,)).
    """
    out = [None]
    if not model.use_noise_budget:
        return out + [np.ones(layer.n) for layer in model.layers[1:]]
    for l in range(1, len(model.layers)):
        if model.closed_form[l - 1]:
            out.append(np.ones(model.layers[l].n))
            continue
        W2 = np.asarray(model.weights[l - 1], float) ** 2
        _, var_below = _prior_moments(model, l - 1)
        _, var_self = _prior_moments(model, l)
        # the neuron's stiffness: its prior's plus the likelihood the layer below feeds it
        k = 1.0 / var_self + W2.T @ var_below
        load = _drive_averaged_load(model, l - 1, k)  # (n_{l-1}, n_l)
        s = np.sum(W2 * load, axis=0)
        out.append(1.0 - (1.0 + 1.0 / (model.n_interneurons * temperature)) * s)
    return out


def _bias(model, l):
    """Layer ``l``'s biases as floats (zeros where the model has none)."""
    b = model.biases[l]
    return np.zeros(model.layers[l].n) if b is None else np.asarray(b, float)


def _prior_moments(model, l):
    """Mean and variance of each neuron of layer ``l`` when it sits at eta = b_l.

    First order in the top-down drive (:func:`_drive`).  A Gaussian layer's
    variance is sigma^2 whatever eta.
    """
    family, n = model.layers[l].family, model.layers[l].n
    b = _bias(model, l)
    fixed = family.fixed_variance()
    if fixed is not None and family.mean_is_vectorised():
        return np.asarray(family.mean(b), float), np.full(n, fixed)
    values, index = np.unique(np.round(b, 6), return_inverse=True)
    _, mean, var = trapezoid_moments(family, values, 2001)
    return mean[index], var[index]


def _drive(model, l):
    """Centre and sd of eta_l = b_l + W_l x_{l+1} over the layer above's prior.

    The layer above is taken at its bias (mean m, variance v), and the drive
    Gaussian, N(b_l + W_l m, W_l^2 v); with no layer above, eta_l = b_l.
    """
    n = model.layers[l].n
    b = _bias(model, l)
    if l + 1 == len(model.layers):
        return b, np.zeros(n)
    W = np.asarray(model.weights[l], float)
    mean, var = _prior_moments(model, l + 1)
    return b + W @ mean, np.sqrt((W**2) @ var)


def _drive_averaged_load(model, l, k, n_grid=2001):
    """<L(eta_i, k_j)> for the interneurons of layer ``l``, shape (n_l, len(k)).

    A Gaussian layer's load does not depend on eta (one mode).  Otherwise
    L is computed on an eta grid shared by the layer's neurons, spaced an
    eighth of the narrowest drive's sd (at most 401 nodes;
    :func:`interneuron_load` on
    ``n_grid`` points), interpolated by a cubic spline, and averaged over
    each neuron's drive by the trapezoid rule on 97 points over +-6 sd,
    which stays accurate where the drive spans the bend where the
    variance saturates (a Gauss-Hermite sum does not).
    """
    family = model.layers[l].family
    ratio = model.tau_eps_layers_s[l] / model.tau_x_s
    k = np.asarray(k, float)
    fixed = family.fixed_variance()
    if fixed is not None:  # c = sigma^2, lambda tau_x = 1 / (ratio sigma^2)
        return np.broadcast_to(fixed / (k + 1.0 / (ratio * fixed)), (model.layers[l].n, k.size))
    centre, spread = _drive(model, l)
    # L is smooth in k (a sum of 1/(k + lambda_n)): at most 9 nodes, geometric,
    # and a cubic spline in log k between them
    ks = np.unique(k)
    if ks.size > 9:
        ks = np.geomspace(ks[0], ks[-1], 9)
    driven = spread > 1e-9
    out = np.empty((centre.size, ks.size))
    if not np.all(driven):  # no drive: the load at the bias
        values, index = np.unique(np.round(centre[~driven], 6), return_inverse=True)
        out[~driven] = interneuron_load(family, values, ks, ratio, n_grid)[index]
    if np.any(driven):
        t = np.linspace(-6.0, 6.0, 97)
        w = np.exp(-0.5 * t**2)
        eta = centre[driven, None] + spread[driven, None] * t
        lo, hi = eta.min(), eta.max()
        step = spread[driven].min() / 8
        grid = np.linspace(lo, hi, max(4, min(401, int(np.ceil((hi - lo) / step)) + 1)))
        spline = interpolate.CubicSpline(grid, interneuron_load(family, grid, ks, ratio, n_grid))
        out[driven] = np.einsum("itk,t->ik", spline(eta), w / w.sum())
    if ks.size == 1:
        return np.repeat(out, k.size, axis=1)
    if ks.size == np.unique(k).size:  # every k is a node
        return out[:, np.searchsorted(ks, k)]
    return interpolate.CubicSpline(np.log(ks), out, axis=1)(np.log(k))


def interneuron_load(family, eta, k, tau_ratio, n_grid=2001):
    """L(eta, k) = sum_n c_n / (k + lambda_n tau_x) of one sampling interneuron.

    The interneuron is the Langevin diffusion of p(eps | eta) with time
    constant tau_eps = ``tau_ratio`` tau_x; ``c_n`` and ``lambda_n`` are the
    weights and rates of its autocorrelation's modes, so that
    ``C(t) = sum_n c_n exp(-lambda_n t)``, ``sum_n c_n = Var[eps | eta]``.
    L is the relative widening of a neuron of stiffness ``k`` (in 1/tau_x)
    that the interneuron's lag, or its noise, causes per unit W^2
    (:func:`noise_budget`).  Rather than diagonalising, it is one solve:
    with the diffusion's generator G (in units of 1/tau_x) discretised on
    ``n_grid`` points of the family's support as a reversible jump process,
    L = <f, (k - G)^-1 f>_p for f = eps - E[eps].  For a Gaussian this
    gives sigma^2 / (k + 1/(tau_ratio sigma^2)); when the interneuron is
    much faster than the neuron, tau_ratio Var tau_int / tau_eps, with
    tau_int its integrated autocorrelation time.

    Parameters
    ----------
    family : ExponentialFamily
    eta : array_like
        Natural parameters, shape (m,).
    k : array_like
        Stiffnesses, shape (q,).
    tau_ratio : float
        tau_eps / tau_x.
    n_grid : int
        Points of the discretised support.

    Returns
    -------
    ndarray, shape (m, q)
    """
    eta, k = np.atleast_1d(np.asarray(eta, float)), np.atleast_1d(np.asarray(k, float))
    out = np.empty((eta.size, k.size))
    for a, e in enumerate(eta):
        lo, hi = family.support_for_quadrature(float(e))
        x = np.linspace(lo, hi, n_grid)
        h = x[1] - x[0]
        logp = e * x - family.g(x)
        p = np.exp(logp - logp.max())
        p /= p.sum()
        f = x - p @ x
        # jump rates between neighbours that keep p stationary (detailed balance)
        d = 1.0 / (tau_ratio * h * h)
        up = d * np.exp(0.5 * (logp[1:] - logp[:-1]))  # i -> i+1
        down = d * np.exp(0.5 * (logp[:-1] - logp[1:]))  # i+1 -> i
        leave = np.zeros(n_grid)
        leave[:-1] += up
        leave[1:] += down
        for b, kb in enumerate(k):
            bands = np.zeros((3, n_grid))
            bands[0, 1:], bands[1], bands[2, :-1] = -up, kb + leave, -down
            out[a, b] = p @ (f * linalg.solve_banded((1, 1), bands, f))
    return out


def effective_noise_budget(model, temperature=1.0):
    """:func:`noise_budget`, floored at 0.05 with a warning.

    A budget near zero means the interneurons' lag and noise already
    exceed the neurons' own noise: the posterior will be too broad.
    """
    out = model.noise_budget(temperature)
    low = min(float(np.min(v)) for v in out[1:])
    if low < 0.05:
        warnings.warn(
            f"noise budget {low:.3g} < 0.05: tau_eps/tau_x = "
            f"{max(model.tau_eps_layers_s) / model.tau_x_s:.3g} is too large for these weights, "
            "so the "
            "sampled posterior is too broad; reduce tau_eps or increase n_interneurons.",
            stacklevel=4,
        )
    return [None] + [np.maximum(v, 0.05) for v in out[1:]]
