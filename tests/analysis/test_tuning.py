"""Tests of analysis.tuning, analysis.v1_data and analysis.variability on
synthetic curves with known answers."""
import numpy as np
import pytest

from hee_brian.analysis import tuning, v1_data, variability

THETAS = np.arange(36) * np.pi / 36  # 5 deg steps


def test_circular_variance_exact_values():
    # untuned -> 1, single orientation -> 0
    assert tuning.circular_variance(THETAS, np.ones(36)) == pytest.approx(1.0)
    r = np.zeros(36)
    r[7] = 3.0
    assert tuning.circular_variance(THETAS, r) == pytest.approx(0.0, abs=1e-12)
    # r = 1 + a cos(2 (theta - t0)): CV = 1 - a/2 exactly on a uniform grid
    for a in (0.2, 0.6, 1.0):
        rr = 1 + a * np.cos(2 * (THETAS - 0.4))
        assert tuning.circular_variance(THETAS, rr) == pytest.approx(1 - a / 2, abs=1e-12)


def test_orientation_bandwidth_of_a_triangle():
    # triangle peaked at 90 deg falling linearly to 0 at +-40 deg: the
    # 1/sqrt(2) level is reached at 40 (1 - 1/sqrt(2)) deg exactly
    deg = np.degrees(THETAS)
    d = np.abs(((deg - 90) + 90) % 180 - 90)
    r = np.clip(1 - d / 40, 0, None)
    expected = 40 * (1 - 1 / np.sqrt(2))
    assert tuning.orientation_bandwidth(THETAS, r) == pytest.approx(expected, abs=1e-9)
    # flat curve: untuned, capped at 90
    assert tuning.orientation_bandwidth(THETAS, np.ones(36)) == 90.0


def test_orientation_bandwidth_of_von_mises():
    kappa, t0 = 3.0, 1.1
    fine = np.arange(720) * np.pi / 720
    r = np.exp(kappa * (np.cos(2 * (fine - t0)) - 1))
    # half-width where exp(kappa (cos 2d - 1)) = 1/sqrt(2)
    expected = np.degrees(0.5 * np.arccos(1 - np.log(np.sqrt(2)) / kappa))
    assert tuning.orientation_bandwidth(fine, r) == pytest.approx(expected, abs=0.05)


def test_orth_pref_ratio():
    rr = 1 + 0.5 * np.cos(2 * (THETAS - np.radians(30)))
    # preferred 1.5, orthogonal 0.5
    assert tuning.orth_pref_ratio(THETAS, rr) == pytest.approx(1 / 3, abs=1e-9)


def test_sf_bandwidth_of_a_log_triangle():
    freqs = 0.05 * 2 ** (np.arange(9) / 2)
    lf = np.log2(freqs)
    peak = lf[4]
    r = np.clip(1 - np.abs(lf - peak) / 1.5, 0, None)  # half height at +-0.75 oct
    bw, pf = tuning.sf_bandwidth(freqs, r)
    assert bw == pytest.approx(1.5, abs=1e-9)
    assert pf == pytest.approx(freqs[4])
    # low-pass: never falls on the low side -> unmeasured
    bw_lp, _ = tuning.sf_bandwidth(freqs, np.linspace(1, 0, 9))
    assert np.isnan(bw_lp)


def test_f1_f0_of_rectified_and_flat_responses():
    ph = np.arange(8) * 2 * np.pi / 8
    assert tuning.f1_f0(ph, np.ones(8)) == pytest.approx(0.0, abs=1e-12)
    r = 1 + np.cos(ph - 0.3)  # F0 = 1, F1 amplitude 1
    assert tuning.f1_f0(ph, r) == pytest.approx(1.0, abs=1e-12)


def test_tuning_properties_on_a_separable_cell():
    thetas = np.arange(12) * np.pi / 12
    freqs = 0.05 * 2 ** (np.arange(7) / 2)
    phases = np.arange(4) * np.pi / 2
    ori = 1 + 0.8 * np.cos(2 * (thetas - thetas[3]))
    sf = np.clip(1 - np.abs(np.log2(freqs / freqs[3])) / 1.0, 0, None)
    R = ori[:, None, None, None] * sf[None, :, None, None] * np.ones((1, 1, 4, 1))
    props = tuning.tuning_properties(R, thetas, freqs, phases)
    assert props["circular_variance"][0] == pytest.approx(1 - 0.4, abs=1e-12)
    assert props["sf_bandwidth_oct"][0] == pytest.approx(1.0, abs=1e-9)
    assert props["peak_sf"][0] == pytest.approx(freqs[3])
    assert props["pref_theta"][0] == pytest.approx(thetas[3])
    assert props["f1_f0"][0] == pytest.approx(0.0, abs=1e-12)


def test_grating_orientation_and_frequency():
    g = tuning.grating((8, 8), 0.0, 0.25, phase=0.0, contrast=2.0).reshape(8, 8)
    # theta = 0: varies along x only, period 4 pixels
    np.testing.assert_allclose(g[0], g[5])
    np.testing.assert_allclose(g[:, 0], g[:, 4])
    assert np.abs(g).max() <= 2.0 + 1e-12
    s = tuning.grating_set((4, 4), [0, 1], [0.1, 0.2, 0.3], [0, 1, 2, 3])
    assert s.shape == (24, 16)


def test_ks_similarity_exact_cases():
    cdf = v1_data.reference_cdf("circular_variance")
    # the reference quantiles themselves, many times -> close to 1
    q = np.interp(np.linspace(0.0005, 0.9995, 1000), [0, .25, .5, .75, 1], [0, .34, .6, .79, 1])
    assert v1_data.ks_similarity(q, cdf) > 0.99
    # everything at 0.1 (below the 25 % point 0.34): D = 1 - F(0.1)
    F01 = np.interp(0.1, [0, 0.34], [0, 0.25])
    assert v1_data.ks_similarity(np.full(50, 0.1), cdf) == pytest.approx(F01, abs=1e-12)
    assert np.isnan(v1_data.ks_similarity([np.nan], cdf))


def test_binned_ks_similarity_exact_cases():
    """Marques et al. 2021's score: a hand-computed case, the extremes, and the ceiling."""
    bins = np.array([0.0, 1.0, 2.0, 3.0])
    q = np.array([0.5, 0.25, 0.25])
    # every model value in the first bin: KS = 1 - q_0 = 0.5; the largest distance
    # from q is max(1 - q_0, 1 - q_last) = 0.75 -> similarity 1 - 0.5/0.75
    r = v1_data.binned_ks_similarity(np.full(20, 0.5), bins, q, n_cells=10, n_boot=50)
    assert r["mean"] == pytest.approx(1 - 0.5 / 0.75, abs=1e-12) and r["sd"] == 0
    # all in the last bin (values beyond the range are clipped into it): similarity 0
    r = v1_data.binned_ks_similarity([7.0, 9.0], bins, q, n_cells=10, n_boot=50)
    assert r["mean"] == pytest.approx(0.0, abs=1e-12)
    # values drawn from q itself score like the ceiling, within a few of its sds
    rng = np.random.default_rng(0)
    v = rng.choice([0.5, 1.5, 2.5], size=5000, p=q)
    r = v1_data.binned_ks_similarity(v, bins, q, n_cells=100, n_boot=400, seed=1)
    # two means of 400 draws (4 standard errors of their difference), plus the
    # model sample's own KS distance from q (1.36/sqrt(5000) at 95 %, over KS_max)
    tol = 4 * np.sqrt(2) * r["ceiling_sd"] / np.sqrt(400) + 1.36 / np.sqrt(5000) / 0.75
    assert abs(r["mean"] - r["ceiling"]) < tol
    assert 0.8 < r["ceiling"] < 1 and r["ceiled"] == pytest.approx(r["mean"] / r["ceiling"])
    assert np.isnan(v1_data.binned_ks_similarity([np.nan], bins, q, 10)["mean"])


def test_reference_histograms_are_the_published_ones():
    bins, probs, n, what = v1_data.reference_histogram("circular_variance")
    assert len(bins) == 14 and n == 308 and probs.sum() == pytest.approx(1)
    # the published quartiles, at the bin edges: exactly the reference CDF there
    cdf = v1_data.reference_cdf("circular_variance")
    np.testing.assert_allclose(np.r_[0, np.cumsum(probs)], cdf(bins), atol=1e-12)
    assert cdf(0.60) == 0.5
    bins, probs, n, what = v1_data.de_valois_log_sf_histogram()
    assert n == 148 and probs[4] == pytest.approx(25 / 148) and "De Valois" in what


def test_de_valois_cdf_is_centred():
    cdf = v1_data.de_valois_log_sf_cdf()
    assert cdf(0.0) == pytest.approx(0.5)
    assert cdf(-10) == 0.0 and cdf(10) == 1.0


def test_fano_factor_of_poisson_and_of_doubly_stochastic_counts():
    rng = np.random.default_rng(0)
    n_trials, n = 4000, 20
    pois = rng.poisson(3.0, (n_trials, n))
    # var/mean of Poisson = 1 with standard error ~ sqrt(2/(n_trials-1)) per neuron
    ff = variability.fano_factor(pois)
    assert np.all(np.abs(ff - 1) < 5 * np.sqrt(2 / n_trials))
    # gamma-mixed rate with var 1 on mean 3: Fano = 1 + 1/3
    lam = rng.gamma(9.0, 1 / 3.0, (n_trials, n))
    mixed = rng.poisson(lam)
    assert variability.population_fano(mixed) == pytest.approx(4 / 3, abs=0.05)


def test_population_fano_uses_within_stimulus_variance():
    rng = np.random.default_rng(1)
    groups = np.repeat([0, 1], 2000)
    means = np.where(groups == 0, 1.0, 6.0)[:, None] * np.ones((1, 5))
    counts = rng.poisson(means)
    # pooling stimuli would add their mean difference to the variance
    assert variability.population_fano(counts, groups) == pytest.approx(1.0, abs=0.06)
    assert variability.population_fano(counts) > 2


def test_onset_fano_detects_a_drop():
    rng = np.random.default_rng(2)
    before = rng.poisson(rng.gamma(2.0, 1.0, (3000, 10)))  # Fano 1 + 1 = 2
    after = rng.poisson(2.0, (3000, 10))  # Fano 1
    res = variability.onset_fano(before, after, n_boot=50)
    assert res["before"] == pytest.approx(2.0, abs=0.15)
    assert res["after"] == pytest.approx(1.0, abs=0.1)
    assert res["change_ci95"][1] < 0


def test_variability_vs_contrast_groups():
    rng = np.random.default_rng(3)
    contrast = np.repeat([0.0, 1.0], 1000)
    counts = rng.poisson(np.where(contrast == 0, 2.0, 4.0)[:, None] * np.ones((1, 3)))
    x = rng.normal(0, np.where(contrast == 0, 1.0, 0.5)[:, None] * np.ones((1, 3)))
    res = variability.variability_vs_contrast(contrast, counts, x)
    assert res["contrast"] == [0.0, 1.0]
    assert res["x_std"][0] == pytest.approx(1.0, abs=0.1)
    assert res["x_std"][1] == pytest.approx(0.5, abs=0.05)
    assert res["mean_count"][1] == pytest.approx(4.0, abs=0.2)
