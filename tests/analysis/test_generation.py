"""Tests of analysis/generation.py: exact answers on synthetic data."""
import numpy as np
import pytest

from hee_brian.analysis import generation as gen


def test_frechet_distance_of_gaussians_with_known_answer():
    # Commuting covariances: d^2 = |mu1-mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    a, b = np.array([1.0, 2.0, 0.5, 4.0, 0.1]), np.array([4.0, 1.0, 0.5, 1.0, 0.0])
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    exact = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    c1, c2 = Q @ np.diag(a) @ Q.T, Q @ np.diag(b) @ Q.T
    d = gen.frechet_distance(mu1, c1, mu2, c2)
    # Rounding alone: each term is known to within a few n * eps of the
    # covariances' scale.  b has a zero eigenvalue, where an eigenvalue-based
    # square root of the cross term loses half the digits (error ~ sqrt(eps)).
    tol = 16 * 5 * np.finfo(float).eps * (np.trace(c1) + np.trace(c2) + np.sum((mu1 - mu2) ** 2))
    assert abs(d - exact) < tol
    # one dimension: (m1 - m2)^2 + (s1 - s2)^2
    assert gen.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)


def test_frechet_distance_of_rank_deficient_covariances_is_exact_to_rounding():
    # Two covariances of rank 2 in 6 dimensions with orthogonal ranges: the
    # cross term is exactly zero, so d^2 = tr(c1) + tr(c2).
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    c1 = Q[:, :2] @ np.diag([3.0, 0.7]) @ Q[:, :2].T
    c2 = Q[:, 2:4] @ np.diag([1.5, 2.5]) @ Q[:, 2:4].T
    d = gen.frechet_distance(np.zeros(6), c1, np.zeros(6), c2)
    tol = 16 * 6 * np.finfo(float).eps * (np.trace(c1) + np.trace(c2))
    assert abs(d - (np.trace(c1) + np.trace(c2))) < tol


def test_frechet_distance_non_commuting_against_scipy_sqrtm():
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    c1, c2 = A @ A.T, B @ B.T
    exact = np.trace(c1 + c2 - 2 * np.real(sqrtm(sqrtm(c1) @ c2 @ sqrtm(c1))))
    assert gen.frechet_distance(np.zeros(6), c1, np.zeros(6), c2) == pytest.approx(exact, rel=1e-8)


def test_frechet_distance_zero_for_identical_sets():
    x = np.random.default_rng(2).normal(size=(200, 8))
    assert gen.frechet_distance(*gen.gaussian_stats(x), *gen.gaussian_stats(x)) == pytest.approx(
        0, abs=1e-9)


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError):
        gen.frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


@pytest.fixture(scope="module")
def blobs():
    """Ten well-separated classes of 16-pixel 'images' in [0, 1]."""
    rng = np.random.default_rng(3)
    centres = rng.random((10, 16))
    y = np.repeat(np.arange(10), 60)
    x = np.clip(centres[y] + rng.normal(0, 0.03, (600, 16)), 0, 1)
    return x, y, centres


@pytest.fixture(scope="module")
def clf(blobs):
    x, y, _ = blobs
    return gen.train_feature_classifier(x, y, hidden=(16,), seed=0)


def test_coverage_confidence_on_synthetic_classes(blobs, clf):
    x, y, centres = blobs
    rng = np.random.default_rng(4)
    all_classes = np.clip(centres[rng.integers(0, 10, 500)] + rng.normal(0, 0.03, (500, 16)), 0, 1)
    s = gen.classifier_scores(clf, all_classes)
    assert s["coverage"] == 1.0
    assert s["confidence"] > 0.9
    assert s["class_entropy_bits"] == pytest.approx(np.log2(10), abs=0.05)
    # samples of three classes only: coverage 3/10, entropy about log2(3)
    three = np.clip(centres[rng.integers(0, 3, 300)] + rng.normal(0, 0.03, (300, 16)), 0, 1)
    s3 = gen.classifier_scores(clf, three)
    assert s3["coverage"] == pytest.approx(0.3)
    assert s3["class_entropy_bits"] == pytest.approx(np.log2(3), abs=0.05)


def test_feature_frechet_distance_separates_good_from_bad(blobs, clf):
    x, _, centres = blobs
    rng = np.random.default_rng(5)
    fresh = np.clip(centres[rng.integers(0, 10, 600)] + rng.normal(0, 0.03, (600, 16)), 0, 1)
    noise = rng.random((600, 16))
    good = gen.feature_frechet_distance(clf, fresh, x)
    bad = gen.feature_frechet_distance(clf, noise, x)
    assert good < 0.05 * bad


def test_nearest_neighbour_check_flags_copies(blobs):
    x, _, centres = blobs
    train, heldout = x[::2], x[1::2]
    copies = train[:100] + 1e-6
    c = gen.nearest_neighbour_check(copies, train, heldout)
    assert c["copy_fraction"] == 1.0 and c["nn_ratio"] < 1e-3
    rng = np.random.default_rng(6)
    new = np.clip(centres[rng.integers(0, 10, 300)] + rng.normal(0, 0.03, (300, 16)), 0, 1)
    n = gen.nearest_neighbour_check(new, train, heldout)
    # new draws from the same distribution behave like held-out data:
    # about 1 % below the 1 % quantile (binomial sd 0.6 % at n = 300)
    assert n["copy_fraction"] < 0.04
    assert 0.8 < n["nn_ratio"] < 1.25
    h = gen.nearest_neighbour_check(heldout, train, heldout)
    assert h["nn_ratio"] == 1.0


def test_nearest_distances_match_brute_force():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(30, 5)), rng.normal(size=(40, 5))
    brute = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(gen._nearest_distances(a, b, block=7), brute, rtol=1e-9)


def test_gaussian_baseline_matches_moments():
    rng = np.random.default_rng(8)
    train = rng.normal(size=(400, 3)) @ np.array([[1, 0.5, 0], [0, 1, 0.3], [0, 0, 0.5]])
    s = gen.gaussian_baseline(train, 20000, seed=1)
    mu, cov = gen.gaussian_stats(train)
    # standard error of the mean ~ sqrt(var / 20000) < 0.01
    np.testing.assert_allclose(s.mean(0), mu, atol=0.04)
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.06)


def test_rbm_baseline_shapes_and_range():
    rng = np.random.default_rng(9)
    train = (rng.random((100, 16)) < 0.3).astype(float)
    rbm = gen.train_rbm(train, n_components=8, n_iter=2, seed=0)
    v = gen.rbm_baseline(rbm, 7, gibbs_steps=5, seed=0)
    assert v.shape == (7, 16) and np.all((v >= 0) & (v <= 1))
    vb = gen.rbm_baseline(rbm, 7, gibbs_steps=5, seed=0, mean=False)
    assert set(np.unique(vb)) <= {0.0, 1.0}


def test_markdown_table_rows(blobs, clf):
    x, _, _ = blobs
    s = gen.score_samples(clf, x[:100], x[100:300], x[300:])
    table = gen.markdown_table({"a": s, "b": s})
    lines = table.strip().splitlines()
    assert len(lines) == 4 and lines[2].startswith("| a | 100 |")


def test_class_switch_rate_stuck_versus_independent(blobs, clf):
    _, _, centres = blobs
    rng = np.random.default_rng(10)
    labels = rng.integers(0, 10, 1000)
    indep = np.clip(centres[labels] + rng.normal(0, 0.03, (1000, 16)), 0, 1)
    s = gen.class_switch_rate(clf, indep)
    # binomial sd of the rate ~0.01 at 999 pairs
    assert s["switch_rate"] == pytest.approx(s["switch_rate_independent"], abs=0.04)
    assert s["switch_rate_independent"] == pytest.approx(0.9, abs=0.01)
    # two chains of 500 samples, each stuck on one class: no switch inside a chain
    stuck = np.clip(centres[np.repeat([2, 7], 500)] + rng.normal(0, 0.03, (1000, 16)), 0, 1)
    assert gen.class_switch_rate(clf, stuck, chain_length=500)["switch_rate"] == 0.0
    assert gen.class_switch_rate(clf, stuck)["switch_rate"] == pytest.approx(1 / 999)


def test_markdown_table_drops_absent_columns(blobs, clf):
    x, _, _ = blobs
    s = gen.score_samples(clf, x[:100], x[100:300], x[300:])
    assert "deep features" not in gen.markdown_table({"a": s})
    s2 = gen.score_samples(clf, x[:100], x[100:300], x[300:], deep_clf=clf)
    assert s2["fd_deep"] == pytest.approx(s2["fd"])
    assert "deep features" in gen.markdown_table({"a": s2})


class _LinearFeatures:
    """A stand-in classifier: hidden features x + 10 (the ReLU never clips), class = x_0 > 0."""

    def __init__(self, d):
        self.coefs_ = [np.eye(d), np.zeros((d, 2))]
        self.intercepts_ = [np.full(d, 10.0), np.zeros(2)]

    def predict(self, x):
        return (np.asarray(x)[:, 0] > 0).astype(int)


def _ar1(rho, chains, draws, d, seed):
    rng = np.random.default_rng(seed)
    x = np.empty((chains, draws, d))
    x[:, 0] = rng.standard_normal((chains, d))
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((chains, d))
    return x


def test_chain_mixing_of_ar1_chains_against_the_exact_answers():
    """AR(1) chains, rho = 0.8: acf rho^k, IAT (1 + rho)/(1 - rho) = 9 samples, switches
    arccos(rho)/pi per step.

    32,000 draws in 8 dimensions.  The acf at lag k (traced over 8 independent
    dimensions) has sd about sqrt(IAT / 256,000) = 0.006: tolerance 0.03 (5 sd).
    Stan's ESS of one dimension has relative sd about sqrt(2 (2M + 1) / N) with
    its window M of a few IATs, about 0.1; the median of 8 about 0.05: 0.2 (4 sd).
    The sign-change rate 0.205 from 28,000 correlated pairs has sd about 0.005:
    0.025 (5 sd).
    """
    rho, spacing = 0.8, 0.5
    m = gen.chain_mixing(_LinearFeatures(8), _ar1(rho, 4, 8000, 8, seed=11), spacing,
                         max_lag=10)
    np.testing.assert_allclose(m["lags"], np.arange(11) * spacing)
    np.testing.assert_allclose(m["acf"], rho ** np.arange(11), atol=0.03)
    assert m["iat"] / spacing == pytest.approx((1 + rho) / (1 - rho), rel=0.2)
    assert m["ess_per_unit_time"] == pytest.approx(m["ess"] / (4 * 8000 * spacing))
    assert m["class_switches_per_unit_time"] * spacing == pytest.approx(
        np.arccos(rho) / np.pi, abs=0.025)
    assert m["classes"].shape == (4, 8000)


def test_chain_mixing_sees_chains_stuck_apart():
    """Two white-noise chains about means -1 and +1: each mixes within itself, but the
    pooled-mean acf stays at 1/2 (between-chain variance 1 of total 2); 2000 draws per
    chain give it an sd of about 0.02 at any lag: tolerance 0.1."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2000, 4)) + np.array([-1.0, 1.0])[:, None, None]
    m = gen.chain_mixing(_LinearFeatures(4), x, 1.0, max_lag=20)
    np.testing.assert_allclose(m["acf"][5:], 0.5, atol=0.1)
    assert m["ess"] < 200  # Stan's split R-hat-aware ESS: far below the 4000 draws


@pytest.mark.parametrize("chains, spacing, word", [(np.zeros((10, 16)), 1.0, "shape"),
                                                    (np.zeros((2, 10, 16)), 0.0, "spacing")])
def test_chain_mixing_refuses_bad_input(chains, spacing, word):
    with pytest.raises(ValueError, match=word):
        gen.chain_mixing(_LinearFeatures(16), chains, spacing)


def _clustered_latents(n, rng):
    """Latents c u + noise with a random sign c: a two-cluster q with covariance u u^T + I/4."""
    u = np.array([1.0, 1.0, -1.0])
    return rng.choice([-1.0, 1.0], n)[:, None] * u + 0.5 * rng.standard_normal((n, 3))


_CLUSTER_COV = np.outer([1.0, 1.0, -1.0], [1.0, 1.0, -1.0]) + 0.25 * np.eye(3)


def test_latent_prior_gap_against_the_exact_distances():
    """Linear features and pixels = latents, so each Frechet distance is one between
    Gaussians known in closed form: 0 for q and for q's Gaussian (same two moments), and
    FD(N(0, C), N(0, diag C)) = 1.233 for the factorial q and for a prior that is
    N(0, diag C).

    2000 images a set against 20,000 reference ones: the distance's sampling sd is
    about 0.03 where it is 1.2 (its gradient in the covariance is O(1), the covariance's
    entries have sd sqrt(2 / 2000) 1.25 = 0.04) and its bias about k / n = 0.002 where it
    is 0: tolerances 0.15 and 0.02.
    """
    rng = np.random.default_rng(21)
    train = _clustered_latents(20000, rng)
    q = _clustered_latents(8000, rng)
    prior = rng.standard_normal((2000, 3)) * np.sqrt(np.diag(_CLUSTER_COV))
    exact = gen.frechet_distance(np.zeros(3), _CLUSTER_COV, np.zeros(3),
                                 np.diag(np.diag(_CLUSTER_COV)))
    assert exact == pytest.approx(1.233, abs=1e-3)
    g = gen.latent_prior_gap(_LinearFeatures(3), lambda z: z, q, prior, train, n=2000,
                             seed=2, n_boot=20)
    assert g["posterior"]["fd"] < 0.02 and g["posterior, Gaussian"]["fd"] < 0.02
    assert g["posterior, factorial"]["fd"] == pytest.approx(exact, abs=0.15)
    assert g["prior"]["fd"] == pytest.approx(exact, abs=0.15)
    # per-latent variances match (the median ratio has sd 0.024: 5 sd); pixels = latents
    assert g["latent_variance_ratio"] == pytest.approx(1.0, abs=0.12)
    assert g["prior"]["pixel_variance"] == pytest.approx(np.trace(_CLUSTER_COV), rel=0.1)
    assert list(g)[:4] == list(gen.GAP_SETS)


def test_latent_prior_gap_of_a_prior_equal_to_q():
    """A prior with q's law: its distance is q's to within sampling, and its latent
    covariance has q's off-diagonal pattern (entries +-1 against sd 0.03)."""
    rng = np.random.default_rng(22)
    train, q, p = (_clustered_latents(m, rng) for m in (20000, 4000, 2000))
    g = gen.latent_prior_gap(_LinearFeatures(3), lambda z: z, q, p, train, deep_clf=
                             _LinearFeatures(3), n=2000, seed=3, n_boot=20)
    assert g["prior"]["fd"] < 0.02
    assert g["latent_covariance_corr"] > 0.99
    assert g["prior"]["fd_deep"] == g["prior"]["fd"]


@pytest.mark.parametrize("q, p, n, word", [
    (np.zeros((100, 3)), np.zeros((50, 4)), 10, "width"),
    (np.zeros((100, 3)), np.zeros((50, 3)), 1000, "n = 1000"),
])
def test_latent_prior_gap_refuses_bad_input(q, p, n, word):
    with pytest.raises(ValueError, match=word):
        gen.latent_prior_gap(_LinearFeatures(3), lambda z: z, q, p, np.zeros((10, 3)), n=n)
