"""Tests of analysis.posterior on synthetic chains with known answers.

Every tolerance is derived from the sample size (a few standard errors), on
fixed seeds, so each check would fail for an estimator that is off by more
than its own sampling error.
"""
import math

import numpy as np
import pytest
from scipy import stats

from hee_brian.analysis import posterior as P


def ar1(rho, T, B, rng, sigma=1.0):
    """B stationary AR(1) chains x_t = rho x_{t-1} + sqrt(1 - rho^2) sigma e_t."""
    x = np.empty((T, B))
    x[0] = sigma * rng.standard_normal(B)
    e = rng.standard_normal((T, B)) * sigma * math.sqrt(1 - rho**2)
    for t in range(1, T):
        x[t] = rho * x[t - 1] + e[t]
    return x


# ----------------------------------------------------------------------
# Gaussian KL: exact formulas
def test_gaussian_kl_matches_univariate_closed_form():
    m1, s1, m2, s2 = 0.3, 0.7, -0.4, 1.9
    exact = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    assert P.gaussian_kl([m1], [[s1**2]], [m2], [[s2**2]]) == pytest.approx(exact, rel=1e-12)


def test_gaussian_kl_is_additive_over_independent_blocks_and_invariant_to_rotation():
    rng = np.random.default_rng(0)
    d = 4
    A = rng.standard_normal((d, d))
    Sp, Sq = A @ A.T + np.eye(d), np.diag(rng.uniform(0.5, 2, d))
    mp, mq = rng.standard_normal(d), rng.standard_normal(d)
    kl = P.gaussian_kl(mp, Sp, mq, Sq)
    # a rotation of both distributions leaves the KL unchanged
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    assert P.gaussian_kl(Q @ mp, Q @ Sp @ Q.T, Q @ mq, Q @ Sq @ Q.T) == pytest.approx(kl, rel=1e-10)
    # independent diagonal blocks add up
    D1, D2 = np.diag([1.0, 2.0]), np.diag([0.5, 3.0])
    total = P.gaussian_kl([0, 1], D1, [1, 0], D2)
    parts = sum(
        P.gaussian_kl([a], [[s]], [b], [[t]]) for a, s, b, t in [(0, 1, 1, 0.5), (1, 2, 0, 3)]
    )
    assert total == pytest.approx(parts, rel=1e-12)
    assert P.gaussian_kl(mp, Sp, mp, Sp) == pytest.approx(0.0, abs=1e-12)
    # chains that all sit at one point have a degenerate fit: infinitely far
    assert P.gaussian_kl(mp, np.zeros((d, d)), mq, Sq) == math.inf


def test_kl_of_exact_samples_is_at_the_finite_sample_floor():
    # 400 repetitions of n = 500 iid samples in d = 3: the mean KL matches
    # d (d + 3) / (4 n) to leading order; its standard error over the
    # repetitions sets the tolerance (plus the O(1/n^2) remainder).
    rng = np.random.default_rng(1)
    d, n, reps = 3, 500, 400
    mean = np.array([1.0, -2.0, 0.5])
    A = rng.standard_normal((d, d))
    cov = A @ A.T + 0.5 * np.eye(d)
    L = np.linalg.cholesky(cov)
    kls = np.array([
        P.kl_to_gaussian(mean + rng.standard_normal((n, d)) @ L.T, mean, cov)
        for _ in range(reps)
    ])
    floor = P.kl_estimation_floor(d, n)
    se = kls.std(ddof=1) / math.sqrt(reps)
    assert abs(kls.mean() - floor) < 4 * se + 0.1 * floor


def test_variance_ratio_orders_eigen_directions():
    rng = np.random.default_rng(2)
    cov = np.diag([4.0, 1.0])
    n = 20000
    x = rng.standard_normal((n, 2)) * np.array([2.0, 1.0]) * np.array([1.0, 1.2])
    r = P.variance_ratio(x, cov)
    # eigenvalues ascending: direction 1 (var 1, sampled 1.44), then 0 (var 4, exact)
    se = math.sqrt(2 / n)  # relative standard error of a variance
    assert r[0] == pytest.approx(1.44, abs=4 * 1.44 * se)
    assert r[1] == pytest.approx(1.0, abs=4 * se)


# ----------------------------------------------------------------------
# Kolmogorov-Smirnov distance
def test_ks_distance_agrees_with_scipy_and_grid_density():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(3000)
    d_cdf = P.ks_distance(x, cdf=stats.norm.cdf)
    assert d_cdf == pytest.approx(stats.kstest(x, "norm").statistic, rel=1e-10)
    grid = np.linspace(-8, 8, 4001)
    d_grid = P.ks_distance(x, grid=grid, pdf=np.exp(-0.5 * grid**2))  # unnormalised
    assert d_grid == pytest.approx(d_cdf, abs=1e-5)


def test_ks_distance_detects_a_shift_and_accepts_the_truth():
    rng = np.random.default_rng(4)
    n = 2000
    crit = 1.95 / math.sqrt(n)  # the KS statistic's 99.9 % quantile
    assert P.ks_distance(rng.standard_normal(n), cdf=stats.norm.cdf) < crit
    # a shift of 0.3 sd moves F by about 0.12 at the centre
    assert P.ks_distance(rng.standard_normal(n) + 0.3, cdf=stats.norm.cdf) > 0.12 - crit


def test_ks_distance_needs_a_reference():
    with pytest.raises(ValueError, match="cdf"):
        P.ks_distance([0.0, 1.0])


# ----------------------------------------------------------------------
# autocorrelation and integrated autocorrelation time
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9, 0.98])
def test_iat_of_ar1_matches_closed_form(rho):
    rng = np.random.default_rng(int(rho * 100))
    T, B = 20000, 8
    x = ar1(rho, T, B, rng)
    exact = (1 + rho) / (1 - rho)
    for method in ("sokal", "geyer"):
        tau, err = P.integrated_autocorrelation_time(x, method=method, return_error=True)
        assert math.isfinite(err)
        # Sokal's error, plus the window's truncation bias ~ 2 rho^M / (1 - rho)
        assert abs(tau - exact) < 4 * err + 0.02 * exact, (method, tau, exact, err)


def test_autocorrelation_of_ar1_is_geometric():
    rng = np.random.default_rng(5)
    rho, T, B = 0.8, 20000, 4
    x = ar1(rho, T, B, rng)
    acf = P.autocorrelation(x, max_lag=10)
    assert acf[0] == 1.0
    tau = (1 + rho) / (1 - rho)
    se = math.sqrt(tau / (T * B))  # Bartlett, to leading order
    np.testing.assert_allclose(acf, rho ** np.arange(11), atol=5 * se)


def test_effective_sample_size_of_ar1():
    rng = np.random.default_rng(6)
    rho, T, B = 0.9, 40000, 4
    x = ar1(rho, T, B, rng)
    ess = P.effective_sample_size(x)
    exact = T * B * (1 - rho) / (1 + rho)
    tau, err = P.integrated_autocorrelation_time(x, return_error=True)
    assert ess == pytest.approx(exact, rel=4 * err / tau + 0.02)
    # the ESS is what makes the standard error of the mean honest
    means = np.array([ar1(rho, 4000, 1, rng).mean() for _ in range(300)])
    predicted = math.sqrt(1.0 / (4000 * (1 - rho) / (1 + rho)))
    assert means.std(ddof=1) == pytest.approx(predicted, rel=4 / math.sqrt(2 * 299))


def test_iat_flags_a_chain_shorter_than_its_correlation():
    rng = np.random.default_rng(7)
    x = ar1(0.999, 300, 1, rng)
    tau, err = P.integrated_autocorrelation_time(x, return_error=True)
    assert err == math.inf


def test_constant_chain_is_an_error():
    with pytest.raises(ValueError, match="constant"):
        P.autocorrelation(np.ones(100))


# ----------------------------------------------------------------------
# split R-hat
def test_split_rhat_is_one_for_mixed_chains_and_large_for_shifted_ones():
    rng = np.random.default_rng(8)
    T, B = 4000, 4
    x = ar1(0.5, T, B, rng)
    r = P.split_rhat(x)
    # for independent halves, R - 1 has standard deviation ~ 1/sqrt(2 B n_eff)
    n_eff = (T // 2) / 3.0
    assert abs(r - 1) < 4 / math.sqrt(2 * B * n_eff) + 1 / (T // 2)
    shifted = x + np.array([0.0, 0.0, 0.0, 1.0])
    assert P.split_rhat(shifted) > 1.1
    # a trend inside a single chain is caught by the split
    trend = rng.standard_normal(T) + np.linspace(0, 2, T)
    assert P.split_rhat(trend) > 1.1


# ----------------------------------------------------------------------
# convergence curves
def test_kl_vs_time_tracks_a_known_relaxation():
    # ensemble whose mean relaxes as m(t) = 3 exp(-t): KL(t) = m(t)^2 / 2
    rng = np.random.default_rng(9)
    T, B = 40, 4000
    t = np.linspace(0, 6, T)
    m = 3 * np.exp(-t)
    ens = (m[:, None] + rng.standard_normal((T, B)))[:, :, None]
    kl = P.kl_vs_time(ens, [0.0], [[1.0]])
    exact = m**2 / 2
    floor = P.kl_estimation_floor(1, B)
    # sampling error of m_hat: KL error ~ m * (1/sqrt(B)) + floor
    assert np.all(np.abs(kl - exact) < 4 * (m + 0.5) / math.sqrt(B) + 5 * floor)
    t_hit = P.time_to_threshold(t, kl, 0.1)
    exact_hit = math.log(3 / math.sqrt(0.2))
    assert abs(t_hit - exact_hit) < 2 * (t[1] - t[0]) + 0.1
    assert math.isnan(P.time_to_threshold(t, np.full(T, 1.0), 0.1))


def test_marginal_kl_vs_time_equals_full_kl_for_independent_dimensions():
    rng = np.random.default_rng(10)
    T, B, d = 6, 50, 3
    ens = rng.standard_normal((T, B, d)) * np.array([1.0, 2.0, 0.5]) + 1.0
    mean, var = np.zeros(d), np.array([1.0, 3.0, 0.3])
    got = P.marginal_kl_vs_time(ens, mean, var, window=2)
    for k in range(T // 2):
        block = ens[2 * k:2 * k + 2].reshape(-1, d)
        want = np.mean([P.gaussian_kl([block[:, j].mean()], [[block[:, j].var(ddof=1)]],
                                      [mean[j]], [[var[j]]]) for j in range(d)])
        assert got[k] == pytest.approx(want, rel=1e-10)


def test_kl_vs_time_refuses_too_few_chains():
    with pytest.raises(ValueError, match="chains"):
        P.kl_vs_time(np.zeros((10, 2, 3)), np.zeros(3), np.eye(3))


def _correlated_gaussian(d, rng):
    A = rng.standard_normal((d, d))
    cov = A @ A.T / d + 0.05 * np.eye(d)  # condition number in the hundreds
    return rng.standard_normal(d), cov


def test_compare_to_reference_of_two_exact_sample_sets():
    """Two independent sets of 8 chains x 2000 iid draws of one 6-d Gaussian: every
    statistic within a few of its own standard errors, the KL at its floor."""
    rng = np.random.default_rng(4)
    d, T, B = 6, 2000, 8
    mean, cov = _correlated_gaussian(d, rng)
    L = np.linalg.cholesky(cov)
    draw = lambda: mean + rng.standard_normal((T, B, d)) @ L.T  # noqa: E731
    c = P.compare_to_reference(draw(), draw(), n_directions=2)
    n = T * B
    # |mean difference| / sd ~ |N(0, 2/n)|; a variance ratio ~ 1 +- sqrt(4/n)
    assert np.all(c["mean_error_sd"] < 4 * math.sqrt(2 / n))
    assert np.all(np.abs(c["var_ratio"] - 1) < 4 * math.sqrt(4 / n))
    assert np.all(np.abs(np.r_[c["stiff_ratio"], c["flat_ratio"]] - 1) < 4 * math.sqrt(4 / n))
    # two-sample KS of equal sizes: sqrt(2/n) sets the scale, 1.73 is its 99.9 % point
    assert np.all(c["ks"] < 1.95 * math.sqrt(2 / n))
    floor = P.kl_estimation_floor(d, n) * 2  # two independent sets of n samples each
    assert 0.5 * floor < c["kl_floor"] < 2 * floor
    assert c["kl"] < 3 * floor
    assert np.all(np.abs(c["ess"] / n - 1) < 0.2) and np.all(c["rhat"] < 1.01)
    # Gaussian draws: kurtosis 3, so the ratio's standard error is sqrt(2/n + 2/n)
    np.testing.assert_allclose(c["var_ratio_se"], c["var_ratio"] * math.sqrt(4 / n), rtol=0.2)


def test_variance_ratio_standard_error_follows_the_tails_and_the_autocorrelation():
    """Student-t (nu = 6, kurtosis 6) AR(1) chains with rho = 0.8: the ratio's
    standard error is the spread of the ratio over 200 repetitions, within 20 % (without
    the kurtosis it would read 0.63 of it, without the autocorrelation 0.47)."""
    rng = np.random.default_rng(6)
    T, B, rho = 1000, 4, 0.8

    from scipy.signal import lfilter

    def chains():  # AR(1) driven by t innovations: autocorrelated and heavy-tailed
        e = rng.standard_t(6, size=(T, B, 1))
        return lfilter([math.sqrt(1 - rho**2)], [1, -rho], e, axis=0)

    ref = rng.standard_normal((20_000, 1, 1)) * math.sqrt(1.5)  # the exact variance 6/4
    runs = [P.compare_to_reference(chains(), ref, n_directions=1) for _ in range(200)]
    spread = np.std([r["var_ratio"][0] for r in runs])
    predicted = np.median([r["var_ratio_se"][0] for r in runs])
    assert abs(predicted / spread - 1) < 0.2, (predicted, spread)


def test_compare_to_reference_finds_too_much_variance_along_the_stiffest_direction():
    """Samples whose stiffest direction has 1.5x the variance: the ratio reads 1.5 there,
    1 along the flattest, and the KL rises well above its floor."""
    rng = np.random.default_rng(5)
    d, T, B = 6, 2000, 8
    mean, cov = _correlated_gaussian(d, rng)
    lam, V = np.linalg.eigh(cov)
    wrong = cov + 0.5 * lam[0] * np.outer(V[:, 0], V[:, 0])
    ref = mean + rng.standard_normal((T, B, d)) @ np.linalg.cholesky(cov).T
    x = mean + rng.standard_normal((T, B, d)) @ np.linalg.cholesky(wrong).T
    c = P.compare_to_reference(x, ref, n_directions=1)
    tol = 4 * math.sqrt(4 / (T * B))
    assert abs(c["stiff_ratio"][0] - 1.5) < 1.5 * tol
    assert abs(c["flat_ratio"][0] - 1) < tol
    assert c["kl"] > 10 * c["kl_floor"]


def test_compare_to_reference_refuses_other_dimensions():
    with pytest.raises(ValueError, match="d = 3"):
        P.compare_to_reference(np.zeros((10, 2, 3)), np.zeros((10, 2, 4)))
