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


def test_refuses_what_it_cannot_write_exactly():
    model = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(3, "student_t"),
                         hb.Layer(2, "gaussian")], dt=0.002 * ms)
    with pytest.raises(HEEParameterError, match="layer 1 .*closed-form"):
        log_posterior(model, np.zeros(4))
    model, _ = _gaussian_problem()
    with pytest.raises(HEEParameterError, match=r"x0 must have shape \(6,\)"):
        log_posterior(model, np.zeros(5))
    with pytest.raises(HEEParameterError, match="draws"):
        nuts_posterior(model, np.zeros(6), draws=0)
