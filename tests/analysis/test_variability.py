"""Tests of analysis.variability on synthetic spike counts with known Fano factors.

Standard errors used as tolerances come from the delta method for the ratio
var/mean of one unit over n trials, for counts of mean mu, Fano factor F and
third and fourth cumulants k3, k4:

    Var(v/m) = 2 F^2 / (n - 1) + (k4 - 2 F k3 + F^3 mu) / (n mu^2),

which is 2 / (n - 1) for Poisson counts (k3 = k4 = mu).  The Variance
Toolbox's weights n / (m + window)^2 make the regression slope close to the
plain mean of the units' var/mean, so its SE is sqrt(mean Var(v/m) / n_units).
"""
import numpy as np
import pytest

from hee_brian.analysis import variability

WINDOW = 0.08


def _nb_cumulants(mu, F):
    """k3, k4 of gamma-Poisson (negative binomial) counts of mean mu and Fano F."""
    return mu * F * (2 * F - 1), mu * F * (6 * F ** 2 - 6 * F + 1)


def _ratio_var(mu, F, n):
    k3, k4 = _nb_cumulants(mu, F)
    return 2 * F ** 2 / (n - 1) + (k4 - 2 * F * k3 + F ** 3 * mu) / (n * mu ** 2)


def _gamma_poisson(rng, mu, F, shape):
    """Counts with mean mu and Fano F > 1 per unit: Poisson with a gamma-distributed rate.

    Gain variance c = (F - 1) / mu gives var = mu + c mu^2 = F mu.
    """
    mu = np.broadcast_to(np.asarray(mu, dtype=float), shape[-1:])
    F = np.broadcast_to(np.asarray(F, dtype=float), shape[-1:])
    c = (F - 1) / mu
    return rng.poisson(mu * rng.gamma(1 / c, c, shape)).astype(float)


def test_sliding_counts_sum_the_bins_of_each_window():
    binned = np.arange(2 * 10 * 3, dtype=float).reshape(2, 10, 3)
    counts, t = variability.sliding_counts(binned, 0.01, window=0.03, step=0.02, t0=-0.05)
    # windows start at bins 0, 2, 4, 6 (the last one ends at bin 9 < 10)
    assert counts.shape == (4, 2, 3)
    np.testing.assert_allclose(t, [-0.035, -0.015, 0.005, 0.025], atol=1e-12)
    np.testing.assert_array_equal(counts[2, 1], binned[1, 4:7].sum(axis=0))
    with pytest.raises(ValueError):  # 25 ms is not a whole number of 10 ms bins
        variability.sliding_counts(binned, 0.01, window=0.025)


def test_mean_matching_keeps_the_common_distribution_and_the_toolbox_weights():
    # 2 trials (m - 0.05, m + 0.05): mean m, variance 0.005, for means
    # time 0: 0.1, 0.1, 0.6, 1.1   time 1: 0.1, 0.6, 0.6, 1.6   (each unit x3)
    # 0.25-spike bins: t0 {0: 2, 2: 1, 4: 1}, t1 {0: 1, 2: 2, 6: 1} -> common {0: 1, 2: 1}
    m = np.array([[0.1, 0.1, 0.6, 1.1], [0.1, 0.6, 0.6, 1.6]]).repeat(3, axis=1)
    counts = np.stack([m - 0.05, m + 0.05], axis=1)
    r = variability.mean_matched_fano(counts, [-0.1, 0.1], window_s=WINDOW)
    assert r["n_units_kept"] == 6 and r["n_units"] == 12
    np.testing.assert_allclose(r["mean_count_matched"], [0.35, 0.35], atol=1e-12)
    # the kept units are three at 0.1 and three at 0.6 at both times: the slope
    # sum(w m v) / sum(w m^2) with w = n / (m + window)^2
    w1, w2 = 2 / (0.1 + WINDOW) ** 2, 2 / (0.6 + WINDOW) ** 2
    expected = (w1 * 0.1 + w2 * 0.6) * 0.005 / (w1 * 0.01 + w2 * 0.36)
    np.testing.assert_allclose(r["fano"], [expected, expected], rtol=1e-12)
    # unweighted: sum(m v) / sum(m^2)
    r = variability.mean_matched_fano(counts, [-0.1, 0.1], weighted=False)
    np.testing.assert_allclose(r["fano"], 0.7 * 0.005 / 0.37, rtol=1e-12)


def test_mean_matched_fano_of_poisson_counts_is_one():
    rng = np.random.default_rng(0)
    n_units, n = 600, 50
    mu = rng.uniform(1, 8, n_units)
    counts = rng.poisson(mu, (3, n, n_units)).astype(float)
    r = variability.mean_matched_fano(counts, [-0.1, 0.0, 0.1], window_s=WINDOW)
    # given the means, E[var] = mean for Poisson counts: the slope is unbiased
    se_raw = np.sqrt(2 / (n - 1) / n_units)
    se = np.sqrt(2 / (n - 1) / r["n_units_kept"])
    assert np.all(np.abs(r["fano_raw"] - 1) < 4 * se_raw)
    assert np.all(np.abs(r["fano"] - 1) < 4 * se)
    # the toolbox's interval is slope +- 2 SE of the regression: its SE matches
    # the sampling theory (to the ~10 % an SE is estimated to from ~500 units)
    np.testing.assert_allclose(np.diff(r["fano_raw_ci95"], axis=1)[:, 0] / 4, se_raw, rtol=0.2)
    np.testing.assert_allclose(np.diff(r["fano_ci95"], axis=1)[:, 0] / 4, se, rtol=0.2)


def test_mean_matched_fano_recovers_a_known_fano_factor():
    rng = np.random.default_rng(1)
    n_units, n, F = 500, 100, 2.0
    mu = rng.uniform(2, 8, n_units)
    counts = _gamma_poisson(rng, mu, F, (2, n, n_units))
    r = variability.mean_matched_fano(counts, [0.0, 0.1], window_s=WINDOW)
    # first-order bias of var/mean for these counts: -F (F - 1) / (n mu), at most 0.01
    bias = F * (F - 1) / (n * mu.min())
    se_raw = np.sqrt(np.mean(_ratio_var(mu, F, n)) / n_units)
    se = np.sqrt(np.mean(_ratio_var(mu, F, n)) / r["n_units_kept"])
    assert np.all(np.abs(r["fano_raw"] - F) < 4 * se_raw + bias)
    assert np.all(np.abs(r["fano"] - F) < 4 * se + bias)


def _rate_change_with_fixed_variability(rng, n_units=1000, n=200, c=0.2):
    """Units with the same gain variability c: Fano 1 + c mu rises with the rate.

    Before onset every unit has a mean count in U(1, 6); after it, half the
    units double their rate.  The mechanism of variability is unchanged, but
    units at higher rates have higher Fano factors.
    """
    mu0 = rng.uniform(1, 6, n_units)
    mu1 = mu0.copy()
    mu1[: n_units // 2] *= 2
    counts = np.stack([_gamma_poisson(rng, m, 1 + c * m, (n, n_units)) for m in (mu0, mu0, mu1, mu1)])
    return counts, np.array([-0.2, -0.1, 0.1, 0.2]), mu0, mu1


def test_mean_matching_removes_a_change_that_is_only_a_change_of_rate():
    rng = np.random.default_rng(2)
    c, n = 0.2, 200
    counts, t, mu0, mu1 = _rate_change_with_fixed_variability(rng, c=c, n=n)
    r = variability.mean_matched_fano(counts, t, window_s=WINDOW)
    # raw slope ~ mean over units of their Fano 1 + c mu (weights nearly equal)
    expected_raw_change = c * (mu1.mean() - mu0.mean())  # 0.2 * 1.75 = 0.35
    F_all = 1 + c * np.concatenate([mu0, mu1])
    se_raw = np.sqrt(np.mean(_ratio_var(np.concatenate([mu0, mu1]), F_all, n)) / mu0.size)
    raw_change = r["fano_raw"][2:].mean() - r["fano_raw"][:2].mean()
    assert abs(raw_change - expected_raw_change) < 4 * se_raw + 0.02  # 0.02: bias bound
    # mean-matched: the same distribution of means at every time, so the same Fano.
    # Tolerance: 4 SE of a difference of two independent estimates, plus c * bin width
    # (matched units may differ in mean by up to one 0.25-spike bin)
    se = np.sqrt(np.mean(_ratio_var(mu0, 1 + c * mu0, n)) / r["n_units_kept"])
    matched_change = r["fano"][2:].mean() - r["fano"][:2].mean()
    assert abs(matched_change) < 4 * se * np.sqrt(2) + c * 0.25
    assert abs(matched_change) < raw_change / 3
    # the bootstrap over trials of the change at onset says the same, with intervals
    ch = variability.fano_change_at_onset(counts, t, onset=0.0, n_boot=100, window_s=WINDOW)
    assert ch["times_before"] == [-0.2, -0.1] and ch["times_after"] == [0.1, 0.2]
    assert ch["change"] == pytest.approx(matched_change, abs=1e-12)
    assert ch["raw_change_ci95"][0] > 0.2
    assert ch["change_ci95"][0] < 0.02 and ch["change_ci95"][1] > -0.02
    # each side averages 2 windows: SE of the change ~ se (independent windows)
    assert ch["change_se"] == pytest.approx(se, rel=0.5)
    # with 200 trials of 1000 units the interval is well within +-0.05
    assert ch["change_ci95"][1] - ch["change_ci95"][0] < 0.1


def test_fano_change_at_onset_detects_quenching_at_a_constant_rate():
    rng = np.random.default_rng(3)
    n_units, n = 400, 100
    mu = rng.uniform(2, 6, n_units)
    before = _gamma_poisson(rng, mu, 2.0, (2, n, n_units))
    after = rng.poisson(mu, (2, n, n_units)).astype(float)
    counts = np.concatenate([before, after])
    ch = variability.fano_change_at_onset(counts, [-0.15, -0.05, 0.05, 0.15], n_boot=100)
    se = np.sqrt((np.mean(_ratio_var(mu, 2.0, n)) + 2 / (n - 1)) / 2 / ch["n_units_kept"])
    bias = 2.0 / (n * mu.min())
    assert abs(ch["change"] - (-1.0)) < 4 * se + bias
    assert ch["change_ci95"][1] < -0.8
    assert ch["change_se"] == pytest.approx(se, rel=0.5)


def test_with_few_trials_clusters_of_units_give_an_unshrunk_interval():
    """10 trials per unit, Fano 2 -> 1 at a constant rate.

    Resampling 10 trials with replacement duplicates them and shrinks every
    variance by about (1 - 1/10), so the trial bootstrap's interval is pulled
    towards zero; resampling clusters of units keeps each unit's trials and
    centres the interval on the estimate.
    """
    rng = np.random.default_rng(8)
    n_units, n = 2000, 10
    mu = rng.uniform(2, 6, n_units)
    counts = np.concatenate([_gamma_poisson(rng, mu, 2.0, (2, n, n_units)),
                             rng.poisson(mu, (2, n, n_units)).astype(float)])
    t = [-0.15, -0.05, 0.05, 0.15]
    by_cluster = variability.fano_change_at_onset(counts, t, method="clusters", n_boot=100,
                                                  clusters=np.arange(n_units) // 10)
    by_trial = variability.fano_change_at_onset(counts, t, method="trials", n_boot=100)
    assert by_cluster["method"] == "bootstrap over clusters of units, matching fixed"
    lo, hi = by_cluster["change_ci95"]
    assert lo < by_cluster["change"] < hi
    mid_c, mid_t = np.mean(by_cluster["change_ci95"]), np.mean(by_trial["change_ci95"])
    # the trial bootstrap's centre sits about 10 % of the change closer to zero
    assert abs(mid_t) < abs(mid_c) - 0.05
    with pytest.raises(ValueError, match="one id per unit"):
        variability.fano_change_at_onset(counts, t, method="clusters", n_boot=2,
                                         clusters=[0, 1])
    with pytest.raises(ValueError, match="needs clusters"):
        variability.fano_change_at_onset(counts, t, method="clusters")
    with pytest.raises(ValueError, match="method must be"):
        variability.fano_change_at_onset(counts, t, method="bootstrap")


def test_cluster_bootstrap_se_matches_the_spread_over_independent_sessions():
    """The interval's width is right where the matching matters.

    60 independent synthetic sessions, 10 trials per unit, rates rising
    0.8-3x at onset while the Fano factor falls 2 -> 1.5, 1200 units in 60
    clusters: the bootstrap SE of each session (clusters resampled, matching
    held fixed) must match the sd of the change over sessions.  The sd of a
    sample sd of 60 draws is 9 % of it, so +-30 % is over 3 of its SE.
    """
    t = [-0.25, -0.15, -0.05, 0.05, 0.15, 0.25]
    changes, ses = [], []
    for rep in range(60):
        rng = np.random.default_rng(100 + rep)
        mu0 = rng.gamma(1.0, 1.0, 1200) + 0.05
        mu1 = mu0 * rng.uniform(0.8, 3.0, 1200)
        counts = np.concatenate([_gamma_poisson(rng, mu0, 2.0, (3, 10, 1200)),
                                 _gamma_poisson(rng, mu1, 1.5, (3, 10, 1200))])
        ch = variability.fano_change_at_onset(counts, t, method="clusters", n_boot=200,
                                              seed=rep, clusters=np.arange(1200) // 20)
        lo, hi = ch["change_ci95"]
        assert lo < ch["change"] < hi
        changes.append(ch["change"])
        ses.append(ch["change_se"])
    assert 0.75 < np.mean(ses) / np.std(changes, ddof=1) < 1.3


def test_jackknife_se_matches_the_trial_noise_of_fixed_heterogeneous_units():
    """The default interval measures the noise of the trials, the units held fixed.

    1200 units whose rates (0.8-3x up at onset) and Fano factors (before
    1.5-3, after 1-2) differ from unit to unit, fixed; 60 experiments of 10
    trials each are drawn from them.  The jackknife SE of each (9 df) must
    match the sd of the change over the experiments: the mean of 60 SEs
    has a relative sd of about 0.24 / sqrt(60) = 3 %, the sd of the
    changes 9 %, so +-30 % is over 3 SE.
    """
    t = [-0.25, -0.15, -0.05, 0.05, 0.15, 0.25]
    rng = np.random.default_rng(7)
    mu0 = rng.gamma(1.0, 1.0, 1200) + 0.05
    mu1 = mu0 * rng.uniform(0.8, 3.0, 1200)
    F0, F1 = rng.uniform(1.5, 3.0, 1200), rng.uniform(1.0, 2.0, 1200)
    changes, ses = [], []
    for rep in range(60):
        rng = np.random.default_rng(200 + rep)
        counts = np.concatenate([_gamma_poisson(rng, mu0, F0, (3, 10, 1200)),
                                 _gamma_poisson(rng, mu1, np.maximum(F1, 1 + 1e-9),
                                                (3, 10, 1200))])
        ch = variability.fano_change_at_onset(counts, t, seed=rep)
        assert ch["method"] == "delete-one-trial jackknife, matching fixed"
        changes.append(ch["change"])
        ses.append(ch["change_se"])
    assert 0.75 < np.mean(ses) / np.std(changes, ddof=1) < 1.3


def test_mean_matched_fano_bootstrap_interval():
    rng = np.random.default_rng(6)
    n_units, n = 300, 40
    mu = rng.uniform(1, 5, n_units)
    counts = rng.poisson(mu, (2, n, n_units)).astype(float)
    r = variability.mean_matched_fano(counts, [0.0, 0.1], n_boot=60)
    assert r["ci_method"].startswith("percentile bootstrap")
    se = np.sqrt(2 / (n - 1) / r["n_units_kept"])
    width = np.diff(r["fano_ci95"], axis=1)[:, 0]
    # a 95 % interval is about 2 x 1.96 SE wide (60 resamples: +-30 %)
    np.testing.assert_allclose(width, 2 * 1.96 * se, rtol=0.35)
    assert np.all((r["fano_ci95"][:, 0] < r["fano"]) & (r["fano"] < r["fano_ci95"][:, 1]))


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


def test_variability_vs_contrast_errors_match_sampling_theory():
    rng = np.random.default_rng(7)
    n = 1000  # trials per contrast, one neuron
    contrast = np.repeat([0.0, 1.0], n)
    lam = np.where(contrast == 0, 2.0, 4.0)[:, None]
    counts = rng.poisson(lam).astype(float)
    x = rng.normal(0, np.where(contrast == 0, 1.0, 0.5)[:, None])
    res = variability.variability_vs_contrast(contrast, counts, x, n_boot=300, seed=1)
    # Poisson var/mean: SE sqrt(2 / (n - 1)); std of a normal sample: sigma / sqrt(2 (n - 1));
    # a bootstrap SE from 300 resamples is itself uncertain by ~1/sqrt(600) = 4 %
    np.testing.assert_allclose(res["fano_se"], np.sqrt(2 / (n - 1)), rtol=0.2)
    np.testing.assert_allclose(res["x_std_se"], np.array([1.0, 0.5]) / np.sqrt(2 * (n - 1)),
                               rtol=0.2)
    for key in ("fano", "x_std"):
        for v, (lo, hi), se in zip(res[key], res[f"{key}_ci95"], res[f"{key}_se"]):
            assert lo < v < hi and (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.2)
    # without resamples: no errors, the rest unchanged
    res0 = variability.variability_vs_contrast(contrast, counts, x, n_boot=0)
    assert res0["fano"] == res["fano"] and np.isnan(res0["fano_se"]).all()


def test_population_fano_with_toolbox_weights():
    # two neurons, two trials: means 1 and 4, (n - 1) variances 2 and 8
    counts = np.array([[0.0, 2.0], [2.0, 6.0]])
    m, v, w_n = np.array([1.0, 4.0]), np.array([2.0, 8.0]), 2.0
    assert variability.population_fano(counts) == pytest.approx((m @ v) / (m @ m))
    w = w_n / (m + 0.08) ** 2
    assert variability.population_fano(counts, window_s=0.08) == pytest.approx(
        np.sum(w * m * v) / np.sum(w * m * m), rel=1e-12)
