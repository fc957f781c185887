"""model.generate against the exact marginal of a linear-Gaussian model.

x1 ~ N(s1^2 b1, s1^2 I) and x0 | x1 ~ N(s0^2 (W x1 + b0), s0^2 I), so

    x0 ~ N( s0^2 (W mu1 + b0),  s0^4 s1^2 W W^T + s0^2 I ),   mu1 = s1^2 b1,

and at temperature T both generation modes target p^(1/T): the same mean and
T times the covariance.  The checks are likelihood-ratio statistics with
known null distributions (chi-square), so the tolerances follow from the
sample size; a wrong temperature, a missing noise term or a missing layer
fails them by orders of magnitude (see the T = 2 sample scored against the
T = 1 covariance).
"""
import numpy as np
import pytest
from brian2 import ms
from scipy import stats

import hee_brian as hb

N = 1000  # samples per run; lag-1 autocorrelation at the default spacing is ~0
P_MIN = 1e-3  # each statistic must not be rejected at this level


def _lr_statistics(x, mean, cov):
    """Likelihood-ratio statistics of N(mean, cov) for samples ``x`` and their p-values.

    Covariance: n (tr(S C^-1) - log det(S C^-1) - d) ~ chi2(d (d+1) / 2);
    mean: n (xbar - mean)^T C^-1 (xbar - mean) ~ chi2(d).
    """
    n, d = x.shape
    P = np.linalg.inv(cov)
    M = np.cov(x, rowvar=False) @ P
    stat_cov = n * (np.trace(M) - np.linalg.slogdet(M)[1] - d)
    dm = x.mean(axis=0) - mean
    stat_mean = n * dm @ P @ dm
    return stats.chi2.sf(stat_cov, d * (d + 1) // 2), stats.chi2.sf(stat_mean, d)


@pytest.fixture(scope="module")
def linear_gaussian():
    s0, s1 = 0.5, 1.0
    model = hb.HEEModel([hb.Layer(16, "gaussian", sigma=s0), hb.Layer(8, "gaussian", sigma=s1)],
                        tau_x=10 * ms, device="cpp_standalone", seed=1)
    rng = np.random.default_rng(0)
    W, b0, b1 = rng.normal(0, 0.4, (16, 8)), rng.normal(0, 0.5, 16), rng.normal(0, 0.5, 8)
    model.set_weights(W=[W], b=[b0, b1])
    mean = s0**2 * (W @ (s1**2 * b1) + b0)
    cov_mean = s0**4 * s1**2 * W @ W.T  # covariance of the conditional mean s0^2 eta_0
    return model, mean, cov_mean + s0**2 * np.eye(16), cov_mean


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["joint", "marginal"])
def test_generate_matches_exact_marginal(linear_gaussian, mode):
    model, mean, cov, _ = linear_gaussian
    x = model.generate(N, mode=mode, seed=11)
    assert x.shape == (N, 16)
    p_cov, p_mean = _lr_statistics(x, mean, cov)
    assert p_cov > P_MIN and p_mean > P_MIN, (p_cov, p_mean)
    # a second seed at temperature 2 (same compiled network): mean unchanged,
    # covariance doubled; scored against the T = 1 covariance it must fail
    x2 = model.generate(N, mode=mode, temperature=2.0, seed=12)
    p_cov2, p_mean2 = _lr_statistics(x2, mean, 2 * cov)
    assert p_cov2 > P_MIN and p_mean2 > P_MIN, (p_cov2, p_mean2)
    assert _lr_statistics(x2, mean, cov)[0] < 1e-12


@pytest.mark.slow
def test_generate_marginal_observation_mean(linear_gaussian):
    # observation="mean" returns A'(eta_0) = s0^2 eta_0: the pixel noise s0^2 I is gone
    model, mean, _, cov_mean = linear_gaussian
    x = model.generate(N, mode="marginal", observation="mean", seed=13)
    # cov_mean has rank 8: test in the 8-dimensional range of W
    U = np.linalg.svd(cov_mean)[0][:, :8]
    p_cov, p_mean = _lr_statistics(x @ U, U.T @ mean, U.T @ cov_mean @ U)
    assert p_cov > P_MIN and p_mean > P_MIN, (p_cov, p_mean)


@pytest.mark.slow
def test_generate_records_the_latents_each_sample_was_drawn_from():
    # marginal mode holds x_1 while layer 0 settles, so the recorded x_1 gives the
    # recorded eta_0 = W_1 x_1 + b_0, and the mean s0^2 eta_0, to rounding; given x_2
    # the recorded x_1 is N(W_2 x_2 + b_1, I) (s1 = 1): its standardised residuals
    # pass the likelihood-ratio test of N(0, I)
    rng = np.random.default_rng(3)
    model = hb.HEEModel([hb.Layer(16, "gaussian", sigma=0.5), hb.Layer(8, "gaussian"),
                         hb.Layer(4, "gaussian")], tau_x=10 * ms, device="cpp_standalone",
                        seed=2)
    model.set_weights(W=[rng.normal(0, 0.4, (16, 8)), rng.normal(0, 0.4, (8, 4))],
                      b=[rng.normal(0, 0.5, n) for n in (16, 8, 4)])
    (W1, W2), (b0, b1, _) = model.weights, model.biases
    x, rec = model.generate_with_recording(N, mode="marginal", observation="mean", seed=14,
                                           layers=[1, 2])
    x1, x2 = rec.x[1][-N:], rec.x[2][-N:]
    np.testing.assert_allclose(0.25 * (x1 @ W1.T + b0), x, atol=1e-12)
    p_cov, p_mean = _lr_statistics(x1 - (x2 @ W2.T + b1), np.zeros(8), np.eye(8))
    assert p_cov > P_MIN and p_mean > P_MIN, (p_cov, p_mean)


def test_generate_rejects_bad_arguments():
    model = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(2, "gaussian")],
                        device="runtime", seed=0)
    with pytest.raises(hb.HEEParameterError, match="mode"):
        model.generate(10, mode="ancestral")
    with pytest.raises(hb.HEEParameterError, match="temperature"):
        model.generate(10, temperature=0)
    with pytest.raises(hb.HEEParameterError, match="burn_in"):
        model.generate(10, burn_in=5)
    with pytest.raises(hb.HEEParameterError, match="observation"):
        model.generate(10, observation="expected")
    for layers in ([0], [2], ["1"]):  # only latent layers 1..L, as integers
        with pytest.raises(hb.HEEParameterError, match="layers must list latent layers 1..1"):
            model.generate_with_recording(10, layers=layers)
