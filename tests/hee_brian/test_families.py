"""Exponential families: derivatives, stiffness, exact moments, validation."""
import numpy as np
import pytest
from brian2 import Equations

import hee_brian as hb
from hee_brian.families import FAMILIES, ExponentialFamily, register_family

FAMILY_CASES = [
    hb.gaussian(sigma=0.5),
    hb.gaussian(sigma=2.0),
    hb.sparse(lam=1.0, delta=0.2, s=3.0),
    hb.sparse(lam=3.0, delta=0.05, s=10.0),
    hb.student_t(nu=1.0, scale=0.2, s=3.0),
    hb.student_t(nu=4.0, scale=0.5, s=10.0),
]


@pytest.mark.parametrize("fam", FAMILY_CASES, ids=lambda f: f.describe())
def test_gprime_is_the_derivative_of_g(fam):
    x = np.linspace(-5, 5, 201)
    h = 1e-6
    numeric = (fam.g(x + h) - fam.g(x - h)) / (2 * h)
    np.testing.assert_allclose(fam.gprime(x), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fam", FAMILY_CASES, ids=lambda f: f.describe())
def test_stiffness_bounds_the_curvature(fam):
    x = np.linspace(-10, 10, 200001)
    curvature = np.gradient(fam.gprime(x), x)
    # the bound is attained (at x = 0 for both families), not just an upper bound
    assert curvature.max() <= fam.stiffness() * (1 + 1e-6)
    assert curvature.max() >= fam.stiffness() * (1 - 1e-3)


@pytest.mark.parametrize("fam", FAMILY_CASES, ids=lambda f: f.describe())
def test_brian2_expression_matches_numpy(fam):
    """The Brian2 string for g'(x) evaluates to the NumPy g'(x)."""
    x = np.linspace(-4, 4, 17)
    namespace = {"x": x, "sqrt": np.sqrt, **{f"g_{k}": v for k, v in fam.params().items()}}
    expr = fam.gprime_expr("x", prefix="g_")
    np.testing.assert_allclose(eval(expr, namespace), fam.gprime(x), rtol=1e-12)
    # and it is a valid Brian2 equation right-hand side
    Equations(f"y = {fam.gprime_expr('x')} : 1")


def test_gaussian_mean_is_closed_form_and_agrees_with_quadrature():
    fam = hb.gaussian(sigma=0.7)
    for eta in (-3.0, 0.0, 0.4, 5.0):
        assert fam.mean(eta) == pytest.approx(0.49 * eta)
        quad = ExponentialFamily.mean(fam, eta)  # the generic quadrature path
        assert quad == pytest.approx(0.49 * eta, abs=1e-8)


def test_sparse_mean_by_quadrature():
    fam = hb.sparse(lam=2.0, delta=0.1, s=3.0)
    assert fam.mean(0.0) == pytest.approx(0.0, abs=1e-10)
    assert fam.mean(1.0) == pytest.approx(-fam.mean(-1.0), rel=1e-8)
    # A'(eta) is increasing (its derivative is the conditional variance)
    means = [fam.mean(e) for e in np.linspace(-4, 4, 9)]
    assert np.all(np.diff(means) > 0)
    # compare with a brute-force Riemann sum on a fine grid
    x = np.linspace(-60, 60, 400001)
    for eta in (0.5, 2.5):
        w = np.exp(fam.log_density(x, eta) - fam.log_density(x, eta).max())
        assert fam.mean(eta) == pytest.approx(np.sum(x * w) / np.sum(w), rel=1e-6)


def test_student_t_mean_and_exact_draws():
    fam = hb.student_t(nu=1.0, scale=0.2, s=3.0)
    assert fam.mean(0.0) == pytest.approx(0.0, abs=1e-10)
    assert fam.mean(1.5) == pytest.approx(-fam.mean(-1.5), rel=1e-8)
    x = np.linspace(-80, 80, 800001)
    for eta in (0.3, 3.0):
        w = np.exp(fam.log_density(x, eta) - fam.log_density(x, eta).max())
        riemann = np.sum(x * w) / np.sum(w)
        assert fam.mean(eta) == pytest.approx(riemann, rel=1e-6)
        # exact draws: sample mean within 5 standard errors of A'(eta)
        sd = np.sqrt(np.sum((x - riemann) ** 2 * w) / np.sum(w))
        draws = fam.sample(eta, 40000, np.random.default_rng(3))
        assert abs(draws.mean() - riemann) < 5 * sd / np.sqrt(draws.size)
    # heavier-tailed than the smooth Laplace of the same variance: excess kurtosis
    w = np.exp(fam.log_density(x, 0.0) - fam.log_density(x, 0.0).max())
    var = np.sum(x**2 * w) / np.sum(w)
    kurt = np.sum(x**4 * w) / np.sum(w) / var**2
    assert kurt > 6.0  # Laplace: 6


@pytest.mark.parametrize(
    "name, params, bad",
    [
        ("gaussian", {"sigma": 0.0}, "sigma"),
        ("gaussian", {"sigma": -1.0}, "sigma"),
        ("gaussian", {"sigma": float("nan")}, "sigma"),
        ("sparse", {"lam": -1.0}, "lam"),
        ("sparse", {"delta": 0.0}, "delta"),
        ("student_t", {"nu": 0.0}, "nu"),
        ("student_t", {"scale": -0.1}, "scale"),
    ],
)
def test_invalid_parameters_are_refused_by_name(name, params, bad):
    with pytest.raises(hb.HEEParameterError, match=bad):
        hb.make_family(name, **params)


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(hb.HEEParameterError, match="unknown family 'poisson'.*gaussian"):
        hb.Layer(4, "poisson")


def test_unexpected_family_parameter_is_refused():
    with pytest.raises(hb.HEEParameterError, match="has no parameter 'lam'; its parameters are sigma"):
        hb.Layer(4, "gaussian", lam=1.0)


def test_misspelt_family_parameter_is_named_alone_with_the_closest_valid_name():
    with pytest.raises(hb.HEEParameterError) as err:
        hb.Layer(8, "sparse", lamda=1.0)
    msg = str(err.value)
    assert "no parameter 'lamda' (did you mean 'lam'?)" in msg
    # only the misspelt name is reported as wrong; the valid ones are listed as valid
    assert msg.count("'delta'") == 0 and "its parameters are lam, delta, s" in msg


def test_defaulted_family_parameters_are_shown():
    model = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5),
                         hb.Layer(3, "sparse", lam=1.0, delta=0.2)], device="runtime", seed=1)
    text = str(model)
    assert "sparse(lam=1, delta=0.2, s=10 (default))" in text
    assert "gaussian(sigma=0.5)" in text
    # and in an error about a value the user did not write: delta = 0.1 makes
    # the prior stiff (lam / delta) and the default dt too large for it
    with pytest.raises(hb.HEEParameterError, match=r"delta=0.1 \(default\)"):
        hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(3, "sparse", lam=5.0)],
                    device="runtime")


def test_register_a_new_family():
    from dataclasses import dataclass

    @register_family
    @dataclass(frozen=True)
    class Quartic(ExponentialFamily):
        c: float = 1.0
        name = "quartic_test"

        def __post_init__(self):
            object.__setattr__(self, "param_ranges", {"c": (0.0, np.inf)})

        def gprime_expr(self, var, prefix=""):
            return f"{prefix}c*{var}**3"

        def g(self, x):
            return self.c * np.asarray(x) ** 4 / 4

        def gprime(self, x):
            return self.c * np.asarray(x) ** 3

        def stiffness(self):
            return 3 * self.c * 25.0  # curvature within |x| < 5

        def support_for_quadrature(self, eta):
            return -10.0, 10.0

    try:
        layer = hb.Layer(3, "quartic_test", c=2.0)
        assert layer.family.describe() == "quartic_test(c=2)"
        # symmetric density: zero mean at eta = 0, by quadrature
        assert layer.family.mean(0.0) == pytest.approx(0.0, abs=1e-10)
    finally:
        FAMILIES.pop("quartic_test")


def test_tabulated_log_partition_matches_closed_forms_and_quadrature():
    """The table of a Gaussian equals its closed form inside and beyond the nodes
    (the quadratic continuation is exact there); a Student-t's interpolated A'
    and its A'' at the nodes equal scipy's quadrature mean and variance."""
    from hee_brian.errors import HEEParameterError
    from hee_brian.families import TabulatedLogPartition, gaussian, student_t

    g = gaussian(0.7)
    table = g.tabulated_log_partition()
    eta = np.linspace(-15, 15, 3001)
    np.testing.assert_allclose(table(eta), g.log_partition(eta), atol=1e-10)
    st = student_t(nu=1.0, scale=0.2, s=6.0)
    for e in (0.05, 0.3, 0.6, 1.5):
        assert abs(st.tabulated_log_partition().mean(e) - st.mean(e)) < 1e-6
    # the variance at a node (trapezoid) against scipy's quadrature, relative
    nodes = st.tabulated_log_partition()
    for k in (2000, 2010, 2040, 2100):  # eta = 0, 0.05, 0.2, 0.5
        assert abs(nodes.d2A[k] / st.variance(nodes.eta[k]) - 1) < 1e-6
    with pytest.raises(HEEParameterError, match="eta_max"):
        TabulatedLogPartition(st, eta_max=1.0, step=2.0)
