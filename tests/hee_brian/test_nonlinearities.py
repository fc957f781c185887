"""The output nonlinearities phi: Brian2 expressions against their NumPy twins."""
import numpy as np
import pytest
from brian2 import NeuronGroup, prefs

from hee_brian.nonlinearities import PHI, get_phi

X = np.concatenate([np.linspace(-30, 30, 121), [-1e-3, 0.0, 1e-3]])


def _brian2(expr):
    """``expr`` of x evaluated by Brian2's numpy target on the grid X."""
    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    try:
        g = NeuronGroup(len(X), f"x : 1\ny = {expr} : 1")
        g.x = X
        return np.asarray(g.y[:])
    finally:
        prefs.codegen.target = old


@pytest.mark.parametrize("name", sorted(PHI))
def test_phi_brian2_expression_matches_numpy(name):
    phi = get_phi(name)
    np.testing.assert_allclose(_brian2(phi.expr), phi.f(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_brian2(phi.dexpr), phi.df(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PHI))
def test_phi_derivative_matches_finite_differences(name):
    # central differences, h = 1e-5: truncation h^2 |phi'''| / 6 < 1e-10, rounding
    # eps |phi| / h < 1e-9 on |x| <= 30
    phi, h = get_phi(name), 1e-5
    fd = (phi.f(X + h) - phi.f(X - h)) / (2 * h)
    np.testing.assert_allclose(phi.df(X), fd, atol=1e-8)


def test_shifted_softplus_is_zero_at_the_priors_mode():
    phi = get_phi("shifted_softplus")
    assert phi.f(np.array(0.0)) == 0.0
    np.testing.assert_allclose(phi.f(X), get_phi("softplus").f(X) - np.log(2), atol=1e-15)
