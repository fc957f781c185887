"""Tests of analysis.receptive_fields: Gabor fits, generative fields, STA."""
import numpy as np
import pytest

from hee_brian.analysis import receptive_fields as rfa


def _angle_diff(a, b, period=np.pi):
    d = (a - b) % period
    return min(d, period - d)


@pytest.mark.parametrize("k", range(6))
def test_fit_recovers_synthetic_gabor_parameters_with_noise(k):
    rng = np.random.default_rng(100 + k)
    true = dict(x0=rng.uniform(2.5, 4.5), y0=rng.uniform(2.5, 4.5),
                theta=rng.uniform(0, np.pi), freq=rng.uniform(0.12, 0.28),
                phase=rng.uniform(0, 2 * np.pi), sigma_x=rng.uniform(1.1, 1.8),
                sigma_y=rng.uniform(1.1, 2.2))
    clean = rfa.gabor((8, 8), **true)
    noise_sd = 0.05 * np.abs(clean).max()
    fit = rfa.fit_gabor(clean + noise_sd * rng.standard_normal((8, 8)))
    # noise at 5 % of the peak leaves R^2 well above the 0.7 threshold
    assert fit.r2 > 0.85
    assert abs(fit.x0 - true["x0"]) < 0.4 and abs(fit.y0 - true["y0"]) < 0.4
    assert _angle_diff(fit.theta, true["theta"]) < np.radians(12)
    assert abs(fit.freq - true["freq"]) < 0.04
    assert abs(fit.sigma_x - true["sigma_x"]) < 0.45
    assert abs(fit.sigma_y - true["sigma_y"]) < 0.6
    np.testing.assert_allclose(fit.nx, fit.sigma_x * fit.freq)
    np.testing.assert_allclose(fit.ny, fit.sigma_y * fit.freq)
    # the carrier phase is defined relative to theta; compare the fitted
    # and the true image instead of the raw angle
    assert np.corrcoef(rfa.gabor((8, 8), fit.x0, fit.y0, fit.theta, fit.freq, fit.phase,
                                 fit.sigma_x, fit.sigma_y).ravel(), clean.ravel())[0, 1] > 0.95


def test_exact_gabor_fits_perfectly():
    g = rfa.gabor((8, 8), 3.6, 3.2, 0.7, 0.2, 1.0, 1.4, 1.9, amplitude=2.0)
    fit = rfa.fit_gabor(g)
    assert fit.r2 > 0.999
    assert abs(fit.amplitude - 2.0) < 0.02


def test_white_noise_fields_are_not_gabors():
    rng = np.random.default_rng(0)
    r2 = np.array([rfa.fit_gabor(rng.standard_normal((8, 8))).r2 for _ in range(20)])
    # an unconstrained 9-parameter fit explains some noise, but rarely 70 %
    assert np.mean(r2 >= 0.7) <= 0.1
    assert np.median(r2) < 0.5


def test_flat_field_gives_zero_r2():
    assert rfa.fit_gabor(np.ones((8, 8))).r2 == 0.0


def test_generative_fields_reshape_columns():
    W = np.arange(12.0).reshape(4, 3)  # 4 pixels (2x2), 3 latents
    rf = rfa.generative_fields(W, (2, 2), sigma0=0.5)
    assert rf.shape == (3, 2, 2)
    np.testing.assert_allclose(rf[1].ravel(), 0.25 * W[:, 1])
    with pytest.raises(ValueError):
        rfa.generative_fields(W, (3, 3))


def test_spike_triggered_average_recovers_a_linear_filter():
    rng = np.random.default_rng(1)
    n_frames, n_pix = 20000, 16
    frames = rng.standard_normal((n_frames, n_pix))
    k = rng.standard_normal((2, n_pix))
    k /= np.linalg.norm(k, axis=1, keepdims=True)
    rate = np.exp(0.5 * frames @ k.T)  # LNP neurons
    counts = rng.poisson(0.2 * rate)
    sta = rfa.spike_triggered_average(frames, counts)
    for j in range(2):
        assert np.corrcoef(sta[j], k[j])[0, 1] > 0.95
    # a lag shifts which frame is credited
    lagged = np.vstack([np.zeros((1, 2)), counts[:-1]])
    sta_lag = rfa.spike_triggered_average(frames, lagged, lags=(1,))
    assert np.corrcoef(sta_lag[0], k[0])[0, 1] > 0.95


def test_split_half_reliability_corrects_the_sta_for_spike_noise():
    """200 LNP neurons with few spikes: noisy STAs whose corrected correlation is 1.

    With about 0.07 spikes per frame and 4000 frames the STAs correlate only
    about 0.68 with their filters; divided by sqrt(reliability) the median
    is 1 (the SE of that median over 200 neurons is about 0.02).
    """
    rng = np.random.default_rng(0)
    n_frames, n_pix, n = 4000, 64, 200
    frames = rng.standard_normal((n_frames, n_pix))
    k = rng.standard_normal((n, n_pix))
    k /= np.linalg.norm(k, axis=1, keepdims=True)
    counts = rng.poisson(0.05 * np.exp(0.5 * frames @ k.T))
    sta = rfa.spike_triggered_average(frames, counts)
    rel = rfa.split_half_reliability(frames, counts)
    r = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(sta, k)])
    assert np.median(r) < 0.75
    assert abs(np.median(r / np.sqrt(rel)) - 1.0) < 0.06
    # a silent neuron has no reliability
    assert np.isnan(rfa.split_half_reliability(frames, np.zeros((n_frames, 1))))[0]


def test_response_kernel_of_a_linear_response_is_its_filter():
    """r = f k + noise of the same variance: the kernel is k, up to sampling noise.

    Each kernel entry's error has sd sqrt(2 / n_frames) = 0.01 (frame times
    noisy response); over 16 pixels of a unit filter that is a correlation
    near 1 - 16 * 1e-4 / 2.
    """
    rng = np.random.default_rng(4)
    n_frames = 20000
    frames = rng.standard_normal((n_frames, 16))
    k = rng.standard_normal((3, 16))
    k /= np.linalg.norm(k, axis=1, keepdims=True)
    r = frames @ k.T + rng.standard_normal((n_frames, 3)) + 5.0  # an offset changes nothing
    ker = rfa.response_kernel(frames, r)
    np.testing.assert_allclose(ker, k, atol=5 * np.sqrt(2 / n_frames))
    with pytest.raises(ValueError, match="same number of rows"):
        rfa.response_kernel(frames, r[:10])


def test_sta_of_silent_neuron_is_zero():
    frames = np.random.default_rng(2).standard_normal((50, 4))
    sta = rfa.spike_triggered_average(frames, np.zeros((50, 1)))
    assert np.all(sta == 0)


def test_likelihood_lambda_max_of_orthogonal_columns():
    """Orthogonal columns of mean-space norms 1 and 2: sigma_0^2 W^T W = diag(1, 4)/sigma_0^2."""
    s0 = 0.5
    D = np.zeros((4, 2))
    D[0, 0], D[1, 1] = 1.0, 2.0
    assert rfa.likelihood_lambda_max(D / s0**2, s0) == pytest.approx(4.0 / s0**2)


@pytest.mark.slow
def test_reverse_correlation_on_streams_recovers_the_fields():
    """8 streams, frame p on stream p % 8: the STAs match the generative fields as one chain's do.

    The demo model (Gabor dictionary) at 200 Hz, 1600 frames of tau_x.  A
    frame paired with the wrong counts leaves an STA of noise, whose
    correlation with a 64-pixel field has sd 1/8: median 0 +- 0.04 over 16
    units, against the 0.5 one chain measures.
    """
    from brian2 import Hz

    from hee_brian.models import demo

    model = demo.build(seed=1, rate_scale=200 * Hz)
    gen = rfa.generative_fields(model.weights[0], (8, 8), 0.5)
    median = {}
    for streams in (1, 8):
        sta = rfa.reverse_correlation(model, n_frames=1600, lags=(0,), seed=3, chunk=800,
                                      streams=streams)
        median[streams] = np.median([np.corrcoef(a.ravel(), b.ravel())[0, 1]
                                     for a, b in zip(gen, sta)])
    assert median[1] > 0.35 and median[8] > 0.35
    assert abs(median[8] - median[1]) < 0.12
    # the states' kernel has no spike noise: closer to the fields than the spikes' STA
    # (0.59 against 0.52 when written); frames paired with the wrong states would
    # leave it near 0
    full = rfa.reverse_correlation(model, n_frames=1600, lags=(0,), seed=3, chunk=800,
                                   streams=8, full=True)
    np.testing.assert_array_equal(full["sta"], sta)
    membrane = np.median(rfa.field_correlation(gen, full["membrane"]))
    # the same numbers as np.corrcoef field by field
    np.testing.assert_allclose(
        rfa.field_correlation(gen, full["membrane"]),
        [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(gen, full["membrane"])],
        rtol=1e-12)
    assert membrane > max(median[8], 0.35)
    assert full["reliability"].shape == (len(gen),) and full["spikes_per_frame"] > 0
    with pytest.raises(ValueError, match="multiples of streams"):
        rfa.reverse_correlation(model, n_frames=1600, chunk=300, streams=8)
    # frames of 50 steps (1.25 ms at dt = 25 us): the states are sampled twice per frame,
    # at whole steps (4 samples would fall between steps); 6400 short frames at pixel sd 2
    # are half the simulated time of the runs above.  Misaligned states would leave the
    # kernel near 0.
    from brian2 import us

    short = rfa.reverse_correlation(model, n_frames=6400, frame=1250 * us, contrast=2.0,
                                    lags=(0,), seed=3, chunk=3200, streams=8, full=True)
    assert short["membrane"].shape == gen.shape
    assert np.median(rfa.field_correlation(gen, short["membrane"])) > 0.35


def test_gabor_jacobian_matches_finite_differences():
    """The analytic Jacobian of the fit, against central differences (error ~h^2)."""
    yy, xx = np.mgrid[0:8, 0:8].astype(float)
    p = np.array([3.2, 4.1, 0.7, 0.18, 1.1, 1.4, 1.9, 1.3, 0.05])
    J = rfa._gabor_jacobian(xx, yy, *p)
    h = 1e-6
    for k in range(len(p)):
        dp = np.zeros_like(p)
        dp[k] = h
        fd = (rfa._gabor_xy(xx, yy, *(p + dp)) - rfa._gabor_xy(xx, yy, *(p - dp))).ravel() / (2 * h)
        np.testing.assert_allclose(J[:, k], fd, rtol=0, atol=1e-7)


def test_pooling_similarity_detects_pooled_orientations_against_shuffles():
    """12 first-layer units at 4 orientations; a second-layer unit per orientation."""
    n1 = 12
    theta = np.repeat(np.radians([0.0, 45.0, 90.0, 135.0]), 3)
    x0 = np.zeros(n1)
    y0 = np.arange(n1, dtype=float)
    phase = np.zeros(n1)
    W = np.zeros((n1, 4))
    for j in range(4):
        W[3 * j:3 * j + 3, j] = 1.0
    out = rfa.pooling_similarity(W, theta, x0, y0, phase, k=3, n_shuffle=500, seed=1)
    assert out["orientation_deg"]["pooled"] == 0.0  # each pools one orientation
    # a pair of distinct units shares its orientation with probability 2/11 and
    # differs by 45 or 90 deg (on the 180 deg circle) with 6/11 and 3/11; the
    # control averages 500 x 4 triples, sd of one pair's distance ~30 deg
    assert out["orientation_deg"]["shuffled"] == pytest.approx(
        (6 / 11 * 45 + 3 / 11 * 90), abs=2.0)
    assert out["orientation_deg"]["p"] <= 2 / 501
    assert out["phase_deg"]["pooled"] == 0.0 and out["phase_deg"]["p"] == 1.0
    np.testing.assert_array_equal(np.sort(out["pooled_units"], axis=1)[0], [0, 1, 2])
    with pytest.raises(ValueError, match="valid first-layer units"):
        rfa.pooling_similarity(W, np.full(n1, np.nan), x0, y0, phase, k=3)
