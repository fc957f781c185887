"""The NUTS reference (hee_brian.nuts): the model's exact posterior, sampled by numpyro."""
import numpy as np
import pytest
from brian2 import ms

import hee_brian as hb
from hee_brian.errors import HEEParameterError
from hee_brian.models import linear_gaussian
from hee_brian.reference import gaussian_posterior

pytest.importorskip("numpyro")
from hee_brian.nuts import log_posterior, nuts_posterior  # noqa: E402


def _gaussian_problem():
    rng = np.random.default_rng(3)
    model = linear_gaussian.build(n_obs=6, n_latent=4, weight_seed=1, column_norm=1.5, seed=0)
    model.set_weights(b=[0.2 * rng.normal(size=6), 0.3 * rng.normal(size=4)])
    return model, linear_gaussian.sample_image(model, 0)


def test_log_posterior_gradient_is_the_networks_drift():
    """d log p / d x_1 = phi'(x1) W^T (x0 - A'(eta_0)) + b_1 - g_1'(x1): the current
    the latents integrate with exact interneurons, for a sparse (Student-t) latent
    layer under tanh."""
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    model = hb.HEEModel([hb.Layer(5, "gaussian", sigma=0.6),
                         hb.Layer(3, "student_t", nu=1.0, scale=0.3, s=4.0)], phi="tanh",
                        dt=0.005 * ms)
    W, b0, b1 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    model.set_weights(W=[W], b=[b0, b1])
    x0, x1 = rng.normal(size=5), rng.normal(size=3)
    grad = np.asarray(jax.grad(log_posterior(model, x0, xp=jnp))(jnp.asarray(x1)))
    fam0, fam1 = model.layers[0].family, model.layers[1].family
    eta0 = W @ np.tanh(x1) + b0
    drift = (1 - np.tanh(x1) ** 2) * (W.T @ (x0 - fam0.mean(eta0))) + b1 - fam1.gprime(x1)
    np.testing.assert_allclose(grad, drift, rtol=1e-12, atol=1e-12)


def test_nuts_samples_the_exact_linear_gaussian_posterior():
    """4 chains x 2000 draws: means within 4 standard errors (sd / sqrt(ESS)) of the
    analytic posterior, variances within 4 sd of a variance estimate (sqrt(2/ESS))."""
    model, x0 = _gaussian_problem()
    mean, cov = gaussian_posterior(model, x0)
    ref = nuts_posterior(model, x0, draws=2000, warmup=500, chains=4, seed=1)
    z = ref["x"][1].reshape(-1, 4)
    ess = ref["ess"]
    assert ref["divergences"] == 0 and np.all(ref["rhat"] < 1.01)
    assert np.all(ess > 1000), ess  # the tolerances below assume this many
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(z.mean(axis=0) - mean) < 4 * sd / np.sqrt(ess))
    assert np.all(np.abs(z.var(axis=0) / np.diag(cov) - 1) < 4 * np.sqrt(2 / ess))


def test_same_seed_same_draws():
    model, x0 = _gaussian_problem()
    a = nuts_posterior(model, x0, draws=50, warmup=50, chains=2, seed=7)["x"][1]
    b = nuts_posterior(model, x0, draws=50, warmup=50, chains=2, seed=7)["x"][1]
    np.testing.assert_array_equal(a, b)


def _hierarchy(n0=4, n1=3, n2=2, seed=0):
    rng = np.random.default_rng(seed)
    model = hb.HEEModel([hb.Layer(n0, "gaussian", sigma=0.5),
                         hb.Layer(n1, "student_t", nu=1.0, scale=0.3, s=4.0),
                         hb.Layer(n2, "gaussian", sigma=1.0)], dt=0.002 * ms)
    model.set_weights(W=[rng.normal(size=(n0, n1)), 0.3 * rng.normal(size=(n1, n2))],
                      b=[0.1 * rng.normal(size=n0), 0.1 * rng.normal(size=n1),
                         np.zeros(n2)])
    return model, rng.normal(size=n0)


def test_non_gaussian_middle_layer_gradient_uses_its_exact_mean():
    """With a Student-t middle layer, d log p / d x_2 = W_1^T (x_1 - A_1'(eta_1)) - x_2 /
    sigma_2^2: the tabulated A_1 differentiates to the quadrature mean (1e-7)."""
    import jax
    import jax.numpy as jnp

    model, x0 = _hierarchy()
    z = np.random.default_rng(1).normal(size=5)
    x1, x2 = z[:3], z[3:]
    grad = np.asarray(jax.grad(log_posterior(model, x0, xp=jnp))(jnp.asarray(z)))
    W1, b1 = model.weights[1], model.biases[1]
    fam1 = model.layers[1].family
    mean1 = np.array([fam1.mean(e) for e in W1 @ x2 + b1])
    np.testing.assert_allclose(grad[3:], W1.T @ (x1 - mean1) - x2, atol=1e-7)


@pytest.mark.slow
def test_nuts_samples_a_hierarchy_with_a_non_gaussian_middle_layer():
    """One pixel, one Student-t middle latent, one Gaussian top latent: NUTS against
    the posterior on a 2-D grid (A_1 by quadrature at each grid point). Means within
    4 standard errors, variances within 4 sd of a variance estimate
    (sqrt((kurtosis - 1) / ESS))."""
    from scipy.special import logsumexp

    model, x0 = _hierarchy(n0=1, n1=1, n2=1, seed=2)
    model.set_weights(W=[np.array([[1.5]]), np.array([[0.4]])])
    fam0, fam1 = model.layers[0].family, model.layers[1].family
    (w0,), (w1,) = model.weights[0][0], model.weights[1][0]
    b0, b1 = model.biases[0][0], model.biases[1][0]
    g1 = np.linspace(-14, 14, 1401)
    g2 = np.linspace(-7, 7, 701)
    # A_1(eta_1) on the x_2 grid by direct quadrature (independent of the table)
    x = np.linspace(-120, 120, 480001)
    eta1 = w1 * g2 + b1
    A1 = np.array([logsumexp(e * x - fam1.g(x)) + np.log(x[1] - x[0]) for e in eta1])
    np.testing.assert_allclose(fam1.tabulated_log_partition()(eta1), A1, atol=1e-7)
    Z1, Z2 = np.meshgrid(g1, g2, indexing="ij")
    eta0 = w0 * Z1 + b0
    lp = (eta0 * x0[0] - fam0.log_partition(eta0) + (w1 * Z2 + b1) * Z1 - fam1.g(Z1)
          - A1[None, :] - Z2**2 / 2)
    p = np.exp(lp - lp.max())
    p /= p.sum()
    moments = [(p * Z).sum() for Z in (Z1, Z2)]
    variances = [(p * (Z - m) ** 2).sum() for Z, m in zip((Z1, Z2), moments)]
    kurt = [(p * (Z - m) ** 4).sum() / v**2 for Z, m, v in zip((Z1, Z2), moments, variances)]
    ref = nuts_posterior(model, x0, draws=3000, warmup=1000, chains=4, seed=3)
    assert ref["divergences"] == 0 and np.all(ref["rhat"] < 1.01)
    ess = ref["ess"]
    assert np.all(ess > 1500), ess
    for k, samples in enumerate((ref["x"][1], ref["x"][2])):
        s = samples.reshape(-1)
        sd = np.sqrt(variances[k])
        assert abs(s.mean() - moments[k]) < 4 * sd / np.sqrt(ess[k])
        assert abs(s.var() / variances[k] - 1) < 4 * np.sqrt((kurt[k] - 1) / ess[k])


def test_refuses_bad_input():
    model, _ = _gaussian_problem()
    with pytest.raises(HEEParameterError, match=r"x0 must have shape \(6,\)"):
        log_posterior(model, np.zeros(5))
    with pytest.raises(HEEParameterError, match="draws"):
        nuts_posterior(model, np.zeros(6), draws=0)
