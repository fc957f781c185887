"""Tests of analysis.tuning and analysis.v1_data on synthetic curves with known answers."""
import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import iv

from hee_brian.analysis import tuning, v1_data

THETAS = np.arange(36) * np.pi / 36  # 5 deg steps
LEVEL = 1 / np.sqrt(2)


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
    # the denominator is sum |r| (Ringach 2002; Marques 2021): r = (1, 0, -1, 0) at
    # 0, 45, 90, 135 deg has |sum r e^{2i theta}| = 2 = sum |r| -> CV 0 (sum r = 0 would divide by 0)
    th4 = np.arange(4) * np.pi / 4
    assert tuning.circular_variance(th4, [1.0, 0.0, -1.0, 0.0]) == pytest.approx(0.0, abs=1e-12)


# ----------------------------------------------------------------------
# orientation bandwidth: Hanning smoothing + periodic spline + 1 deg grid

def _expected_halfwidth(coef, n_theta, level=LEVEL):
    """Half-width (deg) of the smoothed curve, and the spline's worst error on it.

    A curve sum_k coef[k] cos(2 k phi) sampled at n_theta equally spaced
    orientations, one of them at its peak.  The normalised kernel (2/9, 5/9, 2/9)
    on neighbouring samples (step d = pi / n_theta) multiplies harmonic k by
    H_k = 5/9 + 4/9 cos(2 k d) exactly at the samples, so the smoothed samples
    are samples of s(phi) = sum_k coef[k] H_k cos(2 k phi).  A periodic cubic
    spline through samples of s departs from s by at most 5/384 h^4 max|s''''|
    (Hall & Meyer 1976), h the step in deg; near the crossing this moves the
    crossing by at most (1 + level) err / |s'| (the peak, and so the level,
    move by err too).
    """
    k = np.arange(len(coef))
    d = np.pi / n_theta
    c = np.asarray(coef) * (5 / 9 + 4 / 9 * np.cos(2 * k * d))
    rad = np.pi / 180

    def s(x):
        return np.sum(c * np.cos(2 * k * x * rad))

    def ds(x):
        return -np.sum(c * 2 * k * rad * np.sin(2 * k * x * rad))

    h = brentq(lambda x: s(x) - level * s(0.0), 0.0, 90.0)
    err = 5 / 384 * (180 / n_theta) ** 4 * np.sum(np.abs(c) * (2 * k * rad) ** 4)
    slope = min(abs(ds(x)) for x in np.linspace(h - 1, h + 1, 41))
    return h, (1 + level) * err / slope


def _von_mises_coef(kappa, kmax=30):
    # exp(kappa cos 2phi) = I0(kappa) + 2 sum_k I_k(kappa) cos 2k phi
    k = np.arange(kmax)
    return np.where(k == 0, 1.0, 2.0) * iv(k, kappa)


@pytest.mark.parametrize("kappa", [1.5, 3.5])  # half-widths 20.4 and 13.6 deg
def test_orientation_bandwidth_of_von_mises_is_the_smoothed_spline_half_width(kappa):
    n = 24  # 7.5 deg steps; the peak on a sample at 60 deg (an integer degree)
    thetas = np.arange(n) * np.pi / n
    r = np.exp(kappa * (np.cos(2 * (thetas - np.radians(60))) - 1))
    h, delta = _expected_halfwidth(_von_mises_coef(kappa), n)
    # the curve is symmetric about the grid peak: each side is measured to the first
    # 1 deg grid point at or below the level, so the answer is ceil(h), exactly,
    # as long as the spline error cannot carry the crossing over an integer
    assert delta < min(h - np.floor(h), np.ceil(h) - h)
    assert tuning.orientation_bandwidth(thetas, r) == np.ceil(h)
    assert tuning.orientation_selective(thetas, r)
    # the unsmoothed von Mises half-width is narrower: smoothing widens, by < 1 step
    raw = np.degrees(0.5 * np.arccos(1 - np.log(np.sqrt(2)) / kappa))
    assert raw < h < raw + 7.5


def test_orientation_bandwidth_of_a_cosine_and_of_flat_curves():
    n = 24
    thetas = np.arange(n) * np.pi / n
    # 1 + a cos 2(theta - 30 deg): selective if the smoothed minimum (1 - a H_1) is
    # at or below level * (1 + a H_1)
    a = 0.5
    r = 1 + a * np.cos(2 * (thetas - np.radians(30)))
    h, delta = _expected_halfwidth([1.0, a], n)
    assert delta < min(h - np.floor(h), np.ceil(h) - h)
    assert tuning.orientation_bandwidth(thetas, r) == np.ceil(h)
    # a = 0.1: (1 - 0.1 H_1) / (1 + 0.1 H_1) > 0.707: never falls to the level
    r = 1 + 0.1 * np.cos(2 * (thetas - np.radians(30)))
    assert tuning.orientation_bandwidth(thetas, r) == 90.0
    assert not tuning.orientation_selective(thetas, r)
    assert tuning.orientation_bandwidth(thetas, np.ones(n)) == 90.0
    assert not tuning.orientation_selective(thetas, np.ones(n))
    # no response at all: NaN, not selective
    assert np.isnan(tuning.orientation_bandwidth(thetas, np.zeros(n)))
    assert not tuning.orientation_selective(thetas, np.zeros(n))
    with pytest.raises(ValueError):  # the kernel needs equally spaced orientations
        tuning.orientation_bandwidth(np.radians([0, 10, 50, 90]), np.ones(4))


def _periodic_spline_crossing(y, step_deg, peak_idx, target):
    """Independent periodic cubic spline (second-derivative form) through y."""
    n = len(y)
    # M_{j-1} + 4 M_j + M_{j+1} = 6 (y_{j-1} - 2 y_j + y_{j+1}) / h^2, cyclically
    A = 4 * np.eye(n) + np.roll(np.eye(n), 1, axis=1) + np.roll(np.eye(n), -1, axis=1)
    M = np.linalg.solve(A, 6 * (np.roll(y, 1) - 2 * y + np.roll(y, -1)) / step_deg ** 2)
    j, h = peak_idx, step_deg

    def s(x):  # x in [0, h] from sample j towards j + 1
        a, b = h - x, x
        return (M[j] * a ** 3 + M[j + 1] * b ** 3) / (6 * h) + \
            (y[j] / h - M[j] * h / 6) * a + (y[j + 1] / h - M[j + 1] * h / 6) * b

    return brentq(lambda x: s(x) - target, 0.0, h)


def test_a_one_orientation_response_is_widened_by_the_smoothing():
    n = 24
    thetas = np.arange(n) * np.pi / n
    r = np.zeros(n)
    r[8] = 1.0  # 60 deg
    # smoothed: 2/9, 5/9, 2/9 at 52.5, 60, 67.5 deg; the spline through them peaks at 60
    y = np.zeros(n)
    y[7:10] = [2 / 9, 5 / 9, 2 / 9]
    h = _periodic_spline_crossing(y, 7.5, 8, LEVEL * 5 / 9)
    assert min(h - np.floor(h), np.ceil(h) - h) > 1e-6
    bw = tuning.orientation_bandwidth(thetas, r)
    assert bw == np.ceil(h)
    # linear interpolation of the raw curve (the old measure) gave 7.5 (1 - 0.707) = 2.2 deg
    assert bw > 2 * 7.5 * (1 - LEVEL)


def test_orth_pref_ratio():
    rr = 1 + 0.5 * np.cos(2 * (THETAS - np.radians(30)))
    # preferred 1.5, orthogonal 0.5
    assert tuning.orth_pref_ratio(THETAS, rr) == pytest.approx(1 / 3, abs=1e-9)


# ----------------------------------------------------------------------
# spatial frequency, responsiveness

def test_sf_bandwidth_of_a_log_triangle():
    freqs = 0.05 * 2 ** (np.arange(9) / 2)
    lf = np.log2(freqs)
    peak = lf[4]
    r = np.clip(1 - np.abs(lf - peak) / 1.5, 0, None)  # half height at +-0.75 oct
    bw, pf = tuning.sf_bandwidth(freqs, r)
    assert bw == pytest.approx(1.5, abs=1e-9)
    assert pf == freqs[4]
    # low-pass: never falls on the low side -> unmeasured
    bw_lp, _ = tuning.sf_bandwidth(freqs, np.linspace(1, 0, 9))
    assert np.isnan(bw_lp)


def test_sf_bandwidth_on_a_log_grid_up_to_nyquist():
    freqs = 0.5 * 2 ** (-np.arange(8)[::-1] / 2)  # 0.044 ... 0.5 cycles/pixel
    lf = np.log2(freqs / 0.125)
    # triangle in log2 f peaked at 0.125 (a sample): half height at +-0.65 oct, between
    # samples where linear interpolation in log f is exact
    bw, pf = tuning.sf_bandwidth(freqs, np.clip(1 - np.abs(lf) / 1.3, 0, None))
    assert bw == pytest.approx(1.3, abs=1e-12) and pf == 0.125
    # level 1/sqrt(2): half-width 1.3 (1 - 0.707) on each side
    bw, _ = tuning.sf_bandwidth(freqs, np.clip(1 - np.abs(lf) / 1.3, 0, None), level=LEVEL)
    assert bw == pytest.approx(2 * 1.3 * (1 - LEVEL), abs=1e-12)
    # high-pass up to Nyquist: unmeasured bandwidth, peak at the edge
    bw, pf = tuning.sf_bandwidth(freqs, np.linspace(0.1, 1, 8))
    assert np.isnan(bw) and pf == 0.5
    with pytest.raises(ValueError):
        tuning.sf_bandwidth([0.0, 0.1, 0.2], [1, 2, 1])


def test_responsive_is_peak_above_spontaneous_plus_5():
    peak = np.array([10.0, 5.9, 6.0, 6.1, np.nan, 3.0])
    spont = np.array([1.0, 1.0, 1.0, 1.0, 1.0, np.nan])
    np.testing.assert_array_equal(tuning.responsive(peak, spont),
                                  [True, False, False, True, False, False])
    assert tuning.responsive(12.0, 4.0, margin_hz=8.0) == np.False_


# ----------------------------------------------------------------------
# contrast response

C = np.array([0.0, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0])
TRUE = dict(r_max=30.0, c50=0.15, n=2.5, r0=2.0)


def test_naka_rushton_values():
    assert tuning.naka_rushton(0.0, **TRUE) == pytest.approx(2.0, abs=1e-15)
    assert tuning.naka_rushton(0.15, **TRUE) == pytest.approx(2.0 + 15.0, abs=1e-12)
    assert tuning.naka_rushton(1e6, **TRUE) == pytest.approx(32.0, abs=1e-9)


def test_fit_naka_rushton_recovers_noiseless_parameters():
    fit = tuning.fit_naka_rushton(C, tuning.naka_rushton(C, **TRUE))
    for k, v in TRUE.items():
        assert fit[k] == pytest.approx(v, rel=1e-6)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-12) and fit["responds"]


def test_fit_naka_rushton_recovers_noisy_parameters_within_their_errors():
    sigma = 1.0
    p = np.array([TRUE[k] for k in ("r_max", "c50", "n", "r0")])
    # Fisher information of Gaussian noise: cov = sigma^2 (J^T J)^-1 at the truth
    J = np.empty((C.size, 4))
    for i in range(4):
        dp = np.zeros(4)
        dp[i] = 1e-6 * p[i]
        J[:, i] = (tuning.naka_rushton(C, *(p + dp)) - tuning.naka_rushton(C, *(p - dp))) / (2 * dp[i])
    se = np.sqrt(np.diag(sigma ** 2 * np.linalg.inv(J.T @ J)))
    rng = np.random.default_rng(4)
    for _ in range(5):
        y = tuning.naka_rushton(C, *p) + rng.normal(0, sigma, C.size)
        fit = tuning.fit_naka_rushton(C, y, sem=np.full(C.size, sigma))
        for i, k in enumerate(("r_max", "c50", "n", "r0")):
            assert abs(fit[k] - p[i]) < 4 * se[i], k
            # the reported errors are the fit's covariance: near the Fisher ones
            assert fit[f"{k}_se"] == pytest.approx(se[i], rel=0.3), k


def test_fit_naka_rushton_of_a_cell_that_does_not_respond():
    rng = np.random.default_rng(5)
    flat = 3.0 + rng.normal(0, 0.1, C.size)
    fit = tuning.fit_naka_rushton(C, flat, sem=np.full(C.size, 0.1))
    assert not fit["responds"] and all(np.isnan(fit[k]) for k in ("r_max", "c50", "n", "r0", "r2"))
    assert np.isnan(tuning.fit_naka_rushton(C, np.full(C.size, 3.0))["c50"])
    assert np.isnan(tuning.fit_naka_rushton(C[:3], [1.0, 2.0, 3.0])["r_max"])


# ----------------------------------------------------------------------
# modulation ratio

def test_f1_f0_of_rectified_and_flat_responses():
    ph = np.arange(8) * 2 * np.pi / 8
    assert tuning.f1_f0(ph, np.ones(8)) == pytest.approx(0.0, abs=1e-12)
    r = 1 + np.cos(ph - 0.3)  # F0 = 1, F1 amplitude 1
    assert tuning.f1_f0(ph, r) == pytest.approx(1.0, abs=1e-12)


def test_f1_f0_timeseries_of_a_half_wave_rectified_sinusoid():
    f, dt = 4.0, 1e-3
    N = 250  # samples per cycle, 4 cycles
    t = np.arange(4 * N) * dt
    r = 20 * np.maximum(0, np.sin(2 * np.pi * f * t))
    f0, f1, ratio = tuning.f1_f0_timeseries(r, dt, f)
    # sampled at N points a cycle: mean = cot(pi/N) / N, first-harmonic amplitude
    # exactly 1/2, so F1/F0 = N tan(pi/N) / 2 -> pi/2 (continuous time) as N grows
    assert f0 == pytest.approx(20 / N / np.tan(np.pi / N), rel=1e-12)
    assert f1 == pytest.approx(20 * 0.5, rel=1e-12)
    assert ratio == pytest.approx(N * np.tan(np.pi / N) / 2, rel=1e-12)
    assert ratio == pytest.approx(np.pi / 2, abs=np.pi ** 3 / (6 * N ** 2) * 1.01)
    # several time courses at once; a sinusoid on an offset: F0 2, F1 1
    both = np.stack([2 + np.cos(2 * np.pi * f * t + 0.7), np.full(t.size, 3.0)])
    f0, f1, ratio = tuning.f1_f0_timeseries(both, dt, f)
    np.testing.assert_allclose(f0, [2.0, 3.0], rtol=1e-12)
    np.testing.assert_allclose(ratio, [0.5, 0.0], atol=1e-12)
    with pytest.raises(ValueError):  # 3.5 cycles
        tuning.f1_f0_timeseries(r[: 875], dt, f)


# ----------------------------------------------------------------------
# all properties of a grating experiment, and the comparison with V1

def test_tuning_properties_on_a_separable_cell():
    thetas = np.arange(12) * np.pi / 12
    freqs = 0.05 * 2 ** (np.arange(7) / 2)
    phases = np.arange(4) * np.pi / 2
    ori = 1 + 0.8 * np.cos(2 * (thetas - thetas[3]))
    sf = np.clip(1 - np.abs(np.log2(freqs / freqs[3])) / 1.0, 0, None)
    R = ori[:, None, None, None] * sf[None, :, None, None] * np.ones((1, 1, 4, 1))
    # a second, high-pass cell with a flat orientation curve
    R2 = np.ones((12, 1, 4, 1)) * np.linspace(0.2, 1.0, 7)[None, :, None, None]
    props = tuning.tuning_properties(np.concatenate([R, R2], axis=3), thetas, freqs, phases)
    assert props["circular_variance"][0] == pytest.approx(1 - 0.4, abs=1e-12)
    assert props["sf_bandwidth_oct"][0] == pytest.approx(1.0, abs=1e-9)
    assert props["peak_sf"][0] == freqs[3]
    assert props["pref_theta"][0] == pytest.approx(thetas[3])
    assert props["f1_f0"][0] == pytest.approx(0.0, abs=1e-12)
    assert props["peak_response"][0] == pytest.approx(1.8)
    assert props["orientation_selective"].tolist() == [True, False]
    assert props["orientation_bandwidth_deg"][1] == 90.0
    assert props["sf_peak_at_edge"].tolist() == [False, True]
    assert np.isnan(props["sf_bandwidth_oct"][1])


def _props(bw, selective=None):
    n = len(bw)
    p = {"circular_variance": np.linspace(0.2, 0.8, n), "orientation_bandwidth_deg": np.array(bw),
         "orth_pref_ratio": np.full(n, 0.2), "sf_bandwidth_oct": np.full(n, 1.4),
         "peak_sf": np.full(n, 0.1)}
    if selective is not None:
        p["orientation_selective"] = np.array(selective)
    return p


def test_compare_with_v1_keeps_selective_cells_for_bandwidth():
    props = _props([10.0, 20.0, 30.0, 90.0, 90.0, np.nan], [True, True, True, False, False, False])
    out = tuning.compare_with_v1(props)["orientation_bandwidth_deg"]
    assert out["n"] == 3 and out["median"] == 20.0
    assert out["n_unselective"] == 2 and out["fraction_selective"] == pytest.approx(3 / 5)
    assert out["binned_ks"]["n_model"] == 3
    assert "Marques" in out["binned_ks"]["method"]
    # without the flag every finite bandwidth counts
    out = tuning.compare_with_v1(_props([10.0, 20.0, 30.0, 90.0, 90.0]))["orientation_bandwidth_deg"]
    assert out["n"] == 5 and out["median"] == 30.0 and out["n_unselective"] == 0


def test_grating_orientation_and_frequency():
    g = tuning.grating((8, 8), 0.0, 0.25, phase=0.0, contrast=2.0).reshape(8, 8)
    # theta = 0: varies along x only, period 4 pixels
    np.testing.assert_allclose(g[0], g[5])
    np.testing.assert_allclose(g[:, 0], g[:, 4])
    assert np.abs(g).max() <= 2.0 + 1e-12
    s = tuning.grating_set((4, 4), [0, 1], [0.1, 0.2, 0.3], [0, 1, 2, 3])
    assert s.shape == (24, 16)


# ----------------------------------------------------------------------
# analysis.v1_data

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


