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


# -- the continuous Bernoulli: x in [0, 1], g = 0 inside, reflection at the walls --
# (not in FAMILY_CASES: the generic tests there assume support on the whole line)

CB_ETAS = [-30.0, -10.0, -2.0, -0.3, -0.1, -0.05, -1e-6, 0.0, 1e-6, 0.05, 0.1, 0.3, 2.0, 10.0,
           30.0]


def _cb_quadrature(eta):
    """A, A', A'' of exp(eta x) on [0, 1] by scipy quadrature (shifted by max(eta, 0))."""
    from scipy import integrate

    shift = max(eta, 0.0)
    quad = lambda f: integrate.quad(lambda x: f(x) * np.exp(eta * x - shift), 0.0, 1.0,  # noqa: E731
                                    epsabs=0.0, epsrel=1e-13, limit=200)[0]
    z = quad(lambda x: 1.0)
    m = quad(lambda x: x) / z
    return np.log(z) + shift, m, quad(lambda x: (x - m) ** 2) / z


@pytest.mark.parametrize("eta", CB_ETAS)
def test_continuous_bernoulli_closed_forms_match_quadrature(eta):
    """A, A' (NumPy and the Brian2 expression) and A'' against quadrature, 0 and +-30 included.

    |eta| = 0.1 is where the closed forms hand over to their Taylor series.
    """
    fam = hb.continuous_bernoulli()
    A, m, v = _cb_quadrature(eta)
    assert float(fam.log_partition(eta)) == pytest.approx(A, rel=1e-12, abs=1e-14)
    assert float(fam.mean(eta)) == pytest.approx(m, rel=1e-12)
    assert float(fam.variance(eta)) == pytest.approx(v, rel=1e-9)
    # the Brian2 expression of A'(eta) (for interneurons="closed_form"), in NumPy
    namespace = {"eta": np.array(eta), "tanh": np.tanh, "abs": np.abs,
                 "int": lambda b: np.asarray(b, dtype=float)}
    with np.errstate(divide="ignore"):
        assert float(eval(fam.mean_expr("eta"), namespace)) == pytest.approx(m, rel=1e-12)
    # and the generic quadrature path of the base class agrees
    assert ExponentialFamily.mean(fam, eta) == pytest.approx(m, rel=1e-9)


def test_continuous_bernoulli_is_vectorised_symmetric_and_parses_in_brian2():
    fam = hb.continuous_bernoulli()
    eta = np.array(CB_ETAS)
    np.testing.assert_allclose(fam.mean(-eta), 1 - fam.mean(eta), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fam.variance(-eta), fam.variance(eta), rtol=1e-12)
    assert fam.variance_bound() == pytest.approx(float(fam.variance(0.0)))
    assert np.all(fam.variance(eta) <= fam.variance_bound() * (1 + 1e-12))
    # no overflow far out (underflow to 0 is fine), and the limits -1/eta, 1 - 1/eta
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        np.testing.assert_allclose(fam.mean(np.array([-800.0, 800.0])), [1 / 800, 1 - 1 / 800])
        np.testing.assert_allclose(fam.log_partition(800.0), 800 - np.log(800), rtol=1e-15)
    Equations(f"y = {fam.mean_expr('eta')} : 1\neta : 1")
    Equations(f"dx/dt = (eta - ({fam.gprime_expr('x')}))/tau : 1\neta : 1\ntau : second")
    assert fam.equation_params() == {} and fam.params() == {"eta_max": 20.0}


def test_continuous_bernoulli_reflection_folds_into_the_interval():
    """The fold is the identity inside and mirrors at each wall, for any overshoot."""
    fam = hb.continuous_bernoulli()
    x = np.array([-3.25, -1.5, -0.2, 0.0, 0.3, 1.0, 1.3, 2.5, 7.9])
    want = np.array([0.75, 0.5, 0.2, 0.0, 0.3, 1.0, 0.7, 0.5, 0.1])
    np.testing.assert_allclose(fam.reflect(x), want, atol=1e-12)
    namespace = {"x": x, "abs": np.abs}
    np.testing.assert_allclose(eval(fam.reflect_expr("x"), namespace), want, atol=1e-12)
    assert hb.gaussian().reflect_expr("x") is None and not hb.gaussian().is_bounded()


@pytest.mark.parametrize("eta", [-30.0, -2.0, 0.0, 0.05, 3.0, 30.0])
def test_continuous_bernoulli_exact_draws_follow_the_cdf(eta):
    """KS distance of 20000 draws to F(x) = (e^(eta x) - 1)/(e^eta - 1).

    The DKW inequality bounds it by sqrt(log(2/alpha) / (2 n)) with
    probability 1 - alpha; alpha = 1e-3 gives 0.0138 (fixed seed).
    """
    fam = hb.continuous_bernoulli()
    n = 20000
    x = np.sort(fam.sample(eta, n, np.random.default_rng(11)))
    assert x.min() >= 0 and x.max() <= 1
    if eta == 0:
        cdf = x
    elif eta > 0:  # e^(eta (x - 1)) form: no overflow at eta = 30 and beyond
        cdf = (np.exp(eta * (x - 1)) - np.exp(-eta)) / -np.expm1(-eta)
    else:
        cdf = np.expm1(eta * x) / np.expm1(eta)
    ecdf_hi, ecdf_lo = np.arange(1, n + 1) / n, np.arange(n) / n
    ks = max(np.max(ecdf_hi - cdf), np.max(cdf - ecdf_lo))
    assert ks <= np.sqrt(np.log(2 / 1e-3) / (2 * n))


@pytest.mark.parametrize("eta", [0.0, 6.0, -20.0])
def test_continuous_bernoulli_stiffness_is_the_reflected_samplers_gap(eta):
    """pi^2 + eta^2/4 is the relaxation rate of the reflected diffusion on [0, 1].

    The diffusion dx = eta dt + sqrt(2) dW with zero-flux walls, discretised
    as a reversible jump process on 1000 cells (as the noise budget's
    :func:`~hee_brian.stability.interneuron_load` does): its slowest decay
    rate is the stiffness of a family checked for eta_max = |eta|.
    """
    n = 1000
    h = 1.0 / n
    x = (np.arange(n) + 0.5) * h
    logp = eta * x
    up = np.exp(0.5 * (logp[1:] - logp[:-1])) / h**2
    down = np.exp(0.5 * (logp[:-1] - logp[1:])) / h**2
    # symmetrised generator p^(1/2) G p^(-1/2): off-diagonals sqrt(up * down) = 1/h^2
    diag = np.zeros(n)
    diag[:-1] -= up
    diag[1:] -= down
    from scipy.linalg import eigh_tridiagonal

    rates = -eigh_tridiagonal(diag, np.sqrt(up * down), eigvals_only=True)[::-1]
    gap = np.sort(rates)[1]
    fam = hb.continuous_bernoulli(eta_max=max(abs(eta), 1e-9))
    assert gap == pytest.approx(fam.stiffness(), rel=1e-3)


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_continuous_bernoulli_refuses_a_bad_eta_max(value):
    with pytest.raises(hb.HEEParameterError, match=r"eta_max=.*valid range \(0.0, inf\)"):
        hb.Layer(4, "continuous_bernoulli", eta_max=value)


def test_continuous_bernoulli_model_checks():
    """Data outside [0, 1], adaptation on a bounded latent layer and a too-coarse dt are
    refused, each naming the fix; the noise budget covers a bounded layer below."""
    from brian2 import ms

    cb = hb.Layer(4, "continuous_bernoulli", eta_max=5.0)
    model = hb.HEEModel([cb, hb.Layer(2, "gaussian")], device="runtime", seed=1,
                        interneurons="closed_form")
    with pytest.raises(hb.HEEParameterError, match=r"x0 has values outside \[0, 1\].*scale"):
        model.infer(np.array([0.2, 1.3, 0.0, 0.5]), 1 * ms)
    with pytest.raises(hb.HEEParameterError, match="adaptation=None"):
        hb.HEEModel([hb.Layer(4, "gaussian"), hb.Layer(2, "continuous_bernoulli")],
                    adaptation=hb.Adaptation(m=5, tau_a=50 * ms), device="runtime")
    # sampling interneurons at tau_eps = 0.25 ms need dt <= 0.25 ms / (pi^2 + 20^2/4)
    with pytest.raises(hb.HEEParameterError,
                       match=r"interneurons of layer 0.*dt <= 0.002275 ms.*eta_max.*closed_form"):
        hb.HEEModel([hb.Layer(4, "continuous_bernoulli"), hb.Layer(2, "gaussian")],
                    device="runtime")
    # the likelihood a bounded layer feeds the layer above is at most (1/12) ||W||^2
    W = np.full((4, 2), 30.0)
    curvature = np.linalg.norm(W, 2) ** 2 / 12  # 600: rate (600 + 1)/10 ms > 1/dt
    with pytest.raises(hb.HEEParameterError, match=rf"max Var 0.0833 \|\|W\|\|\^2 = {curvature:.3g}"):
        model.set_weights(W=[W])
    sampled = hb.HEEModel([cb, hb.Layer(2, "gaussian")], device="runtime", seed=1,
                          tau_eps=1 * ms, dt=0.01 * ms, n_interneurons=2)
    sampled.set_weights(W=[np.full((4, 2), 0.5)], b=[np.array([-3.0, 0.0, 1.0, 4.0]),
                                                      np.zeros(2)])
    budget = sampled.noise_budget()[1]
    assert np.all((budget > 0.9) & (budget < 1))
