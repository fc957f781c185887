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

from .errors import HEEParameterError

__all__ = ["STABILITY_LIMIT", "check_stiffness", "noise_budget", "effective_noise_budget"]

#: Largest allowed dt * (relaxation rate) of any population.  Euler-Maruyama
#: on a linear population is unstable at 2; half of that leaves room for
#: state-dependent stiffness and for the coupling between layers.
STABILITY_LIMIT = 1.0


def check_stiffness(model, W=None):
    """Refuse a dt that is too large for the stiffest population.

    Every population relaxes at a rate (its family's stiffness over its time
    constant; the adaptation current at 1/tau_a and m/tau_a; with weights,
    a Gaussian layer below adds its likelihood curvature sigma^2 ||W||^2).
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
                 f"tau_eps = {model.tau_eps_layers_s[l] * 1e3:g} ms)")
            )
        checks.append(
            (k / model.tau_x_s, f"the neurons of layer {l} "
             f"({layer.family.describe(mark_defaults=True)}, tau_x = {model.tau_x_s * 1e3:g} ms)")
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
        # sigma^2 W^T W to the neurons above it.
        for l in range(1, len(model.layers)):
            var = model.layers[l - 1].family.fixed_variance()
            if var is not None:
                curv = var * np.linalg.norm(W[l - 1], 2) ** 2
                checks.append(
                    ((curv + model.layers[l].family.stiffness()) / model.tau_x_s,
                     f"the neurons of layer {l} with their likelihood "
                     f"(sigma^2 ||W||^2 = {curv:.3g}, tau_x = {model.tau_x_s * 1e3:g} ms)")
                )
    rate, who = max(checks, key=lambda c: c[0])
    if rate * model.dt_s > STABILITY_LIMIT:
        limit = STABILITY_LIMIT / rate
        # the suggestion is rounded down, so that the dt it names passes
        digits = 2 - math.floor(math.log10(limit * 1e3))
        suggest = math.floor(limit * 1e3 * 10 ** digits) / 10 ** digits
        raise HEEParameterError(
            f"dt = {model.dt_s * 1e3:g} ms is too large for {who}: its relaxation "
            f"rate is {rate / 1e3:.4g} /ms, so Euler-Maruyama needs "
            f"dt <= {limit * 1e3:.4g} ms. Choose dt <= {suggest:.3g}*ms, or "
            "make that population slower."
        )


def noise_budget(model, temperature=1.0):
    """Fraction of the neurons' own noise that keeps the posterior exact.

    The interneurons relax with a lag of about Var(x_{l-1}) tau_eps, which
    lowers the neurons' effective friction by tau_eps Var^2 W^T W, and
    their fluctuation adds noise of intensity 2 tau_eps Var^2 W^T W / K
    (low-frequency limit).  Fluctuation-dissipation then asks the
    neuron's own noise variance to shrink to

        budget_j = 1 - (tau_eps/tau_x) (1 + 1/(K T)) sum_i Var_i^2 W_ij^2,

    the diagonal of the exact matrix correction (the off-diagonal part
    would need correlated noise; it is left and is second order in
    tau_eps/tau_x).  Var_i is the conditional variance of the layer
    below: sigma^2 for a Gaussian layer, A''(b) for other families (their
    variance at the bias, see :func:`_conditional_variance`); a layer
    whose A'(eta) is used in closed form adds neither lag nor noise, so the
    layer above it gets 1.

    Returns
    -------
    list
        ``[None, budget_1, ..., budget_L]`` (arrays of shape (n_l,)).
    """
    out = [None]
    if not model.use_noise_budget:
        return out + [np.ones(layer.n) for layer in model.layers[1:]]
    for l in range(1, len(model.layers)):
        ratio = model.tau_eps_layers_s[l - 1] / model.tau_x_s  # interneurons below
        if model.closed_form[l - 1]:
            out.append(np.ones(model.layers[l].n))
            continue
        var = _conditional_variance(model, l - 1)
        s = np.sum(var[:, None] ** 2 * model.weights[l - 1] ** 2, axis=0)
        out.append(1.0 - ratio * (1.0 + 1.0 / (model.n_interneurons * temperature)) * s)
    return out


def _conditional_variance(model, l):
    """Var[x_l | eta_l] per neuron of layer ``l``, for the noise budget.

    A Gaussian layer's is sigma^2 whatever eta.  Other families' depends on
    eta; it is taken at eta = b_l, where the layer sits when the layer
    above is at rest (first order in the top-down drive W x_{l+1}), by
    quadrature once per distinct bias.
    """
    family, n = model.layers[l].family, model.layers[l].n
    fixed = family.fixed_variance()
    if fixed is not None:
        return np.full(n, fixed)
    b = np.zeros(n) if model.biases[l] is None else np.asarray(model.biases[l], float)
    values, index = np.unique(np.round(b, 6), return_inverse=True)
    return np.array([family.variance(float(v)) for v in values])[index]


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
