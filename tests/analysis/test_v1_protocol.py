"""analysis/v1_protocol.py: stimuli, protocols and the pure functions of a session."""
import numpy as np
import pytest

from hee_brian.analysis import v1_protocol as vp
from hee_brian.analysis.tuning import grating


def test_drifting_grating_advances_its_phase_by_the_drift_rate():
    frames = vp.drifting_grating((8, 8), 0.3, 0.125, temporal_freq=4.0, duration_s=0.25,
                                 frame_s=0.0125)
    assert frames.shape == (20, 64)
    # frame k is the static grating at phase -2 pi tf k frame_s
    for k in (0, 3, 19):
        np.testing.assert_allclose(frames[k], grating((8, 8), 0.3, 0.125,
                                                      -2 * np.pi * 4.0 * 0.0125 * k))
    # one full cycle (20 frames at 4 Hz and 12.5 ms) later the grating repeats
    again = vp.drifting_grating((8, 8), 0.3, 0.125, 4.0, 0.5, 0.0125)
    np.testing.assert_allclose(again[20], again[0], atol=1e-12)
    with pytest.raises(ValueError, match="whole number"):
        vp.drifting_grating((8, 8), 0.3, 0.125, 4.0, 0.26, 0.0125)


def test_grating_protocol_orders_conditions_orientation_major():
    thetas, freqs = np.radians([0, 45, 90]), [0.1, 0.2]
    p = vp.grating_protocol((4, 4), thetas, freqs, blank_s=0.05, stimulus_s=0.05,
                            frame_s=0.0125, temporal_freq=20.0, repeats=2)
    assert p.n_conditions == 6 and p.repeats == 2
    assert p.trial_duration_s == pytest.approx(0.1)
    first_grating = p.conditions[3][1]  # condition 3: theta 45 deg, sf 0.2
    assert first_grating.params == {"theta_deg": 45.0, "sf": 0.2, "contrast": 1.5}
    c = vp.contrast_protocol((4, 4), [(0.0, 0.1)], [0.0, 1.0], blank_s=0.05, stimulus_s=0.05,
                             frame_s=0.0125, temporal_freq=20.0, repeats=1)
    assert c.n_conditions == 2
    assert np.all(c.conditions[0][1].stimulus == 0)  # contrast 0 is a blank


def test_condition_rates_and_preferred_conditions():
    counts = np.array([[1.0, 0], [3, 0], [2, 5], [2, 7]])
    condition = np.array([0, 0, 1, 1])
    mean, sem = vp.condition_rates(counts, condition)
    np.testing.assert_allclose(mean, [[2, 0], [2, 6]])
    np.testing.assert_allclose(sem, [[1, 0], [0, 1]])
    R = np.zeros((2 * 3, 2))
    R[1, 0] = 5  # unit 0 prefers theta 0, freq 1
    R[5, 1] = 5  # unit 1 prefers theta 1, freq 2
    ti, fi = vp.preferred_conditions(R, 2, 3)
    assert list(ti) == [0, 1] and list(fi) == [1, 2]


def test_calibration_solves_the_threshold_linear_readout_exactly():
    """Blank states uniform on [-1, 1], the preferred response a constant 2.

    Then spont(theta) = (1 - theta)^2 / 4 and peak(theta) = 2 - theta, so the
    ratio R = 33.8 / 0.82 fixes u = 1 - theta as the root of
    R u^2 - 4 u - 4 = 0; the midpoint rule on 20,000 samples leaves a
    relative error of about 1e-8 in the mean.
    """
    n_units = 5
    grid = -1 + (np.arange(20000) + 0.5) / 10000  # midpoints on [-1, 1]
    x_blank = np.broadcast_to(grid[None, :, None], (1, grid.size, n_units))
    x_stim = np.zeros((2, 50, n_units))
    x_stim[0] = 2.0  # condition 0: the preferred one
    x_stim[1] = -3.0
    cal = vp.calibrate_readout(x_blank, x_stim, np.array([0, 1]))
    R = vp.V1_MEDIAN_PEAK_HZ / vp.V1_MEDIAN_SPONTANEOUS_HZ
    u = (4 + np.sqrt(16 + 16 * R)) / (2 * R)
    assert cal["rate_threshold"] == pytest.approx(1 - u, abs=1e-6)
    assert cal["rate_scale_hz"] == pytest.approx(vp.V1_MEDIAN_SPONTANEOUS_HZ / (u**2 / 4),
                                                 rel=1e-5)
    assert cal["median_peak_hz"] == pytest.approx(vp.V1_MEDIAN_PEAK_HZ, rel=1e-6)
    assert cal["median_spontaneous_hz"] == pytest.approx(vp.V1_MEDIAN_SPONTANEOUS_HZ, rel=1e-6)


def test_calibration_refuses_responses_it_cannot_reach():
    x_blank = np.zeros((1, 10, 3))
    x_stim = np.full((1, 10, 3), 0.0)
    with pytest.raises(ValueError, match="no threshold|threshold-linear"):
        vp.calibrate_readout(x_blank, x_stim, np.array([0]))
