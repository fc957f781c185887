"""hee_brian.stability: the interneurons' load on the layer above (fast).

The noise budget rests on ``interneuron_load``, one linear solve with the
interneuron's discretised generator.  Each test holds it against something
computed another way: the closed form of a Gaussian (one relaxation mode),
and the two limits of any family, where the neuron is much slower than the
interneuron (the integrated autocorrelation time, a 1-D quadrature) and
much faster (the variance).
"""
import numpy as np
import pytest
from scipy import integrate

import hee_brian as hb
from hee_brian.stability import interneuron_load


@pytest.mark.parametrize("sigma, ratio", [(0.35, 0.045), (1.0, 0.5)])
def test_gaussian_interneurons_have_one_mode(sigma, ratio):
    """L = sigma^2 / (k + 1/(ratio sigma^2)): an Ornstein-Uhlenbeck process."""
    k = np.array([0.5, 1.0, 40.0])
    got = interneuron_load(hb.gaussian(sigma), [0.0, 2.0], k, ratio)
    want = sigma**2 / (k + 1 / (ratio * sigma**2))
    np.testing.assert_allclose(got, np.broadcast_to(want, got.shape), rtol=1e-4)


@pytest.mark.parametrize("family, eta", [
    (hb.sparse(lam=1.0, delta=0.2, s=3.0), 0.3),
    (hb.student_t(nu=1.0, scale=0.2, s=6.0), 0.1),  # the V1 model's Cauchy layer
])
def test_load_limits_are_the_autocorrelation_time_and_the_variance(family, eta):
    """Slow neuron: L -> (tau_eps/tau_x) int F^2/p (Var tau_int / tau_x);
    fast neuron: k L -> Var[eps | eta].

    F(x) = int_{-inf}^x (y - mean) p(y) dy; for a 1-D reversible diffusion
    of time constant tau_eps the integrated autocorrelation time of eps is
    tau_eps int F^2/p dx / Var.  Both references are scipy quadratures of
    the density, not the generator.
    """
    lo, hi = family.support_for_quadrature(eta)
    logp = lambda x: eta * x - family.g(x)  # noqa: E731
    shift = max(logp(np.linspace(lo, hi, 4001)))
    dens = lambda x: np.exp(logp(x) - shift)  # noqa: E731
    z = integrate.quad(dens, lo, hi, limit=400, points=[0])[0]
    mean = integrate.quad(lambda x: x * dens(x), lo, hi, limit=400, points=[0])[0] / z
    var = family.variance(eta)

    def F(x):  # from the nearer end, so that the tails keep their precision
        if x < mean:
            return integrate.quad(lambda y: (y - mean) * dens(y), lo, x, limit=200)[0] / z
        return -integrate.quad(lambda y: (y - mean) * dens(y), x, hi, limit=200)[0] / z

    xs = np.linspace(lo, hi, 6001)
    keep = dens(xs) > 1e-12
    iat = np.trapezoid([F(x) ** 2 / (dens(x) / z) for x in xs[keep]], xs[keep])
    ratio = 1e-4
    slow = interneuron_load(family, [eta], [1.0], ratio, n_grid=8001)[0, 0]
    assert slow / ratio == pytest.approx(iat, rel=2e-3)
    fast = interneuron_load(family, [eta], [1e7], 0.5, n_grid=8001)[0, 0]
    assert fast * 1e7 == pytest.approx(var, rel=2e-3)
