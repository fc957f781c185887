"""Smoke test of simulations/v1_receptive_fields.py (slow: compiles several
standalone projects): the quick hierarchical variant runs the whole session
end to end and writes every output.  (Resuming from the checkpoints is
HEEModel.learn's job and is tested with it.)"""
import numpy as np
import pytest

from hee_brian.report import read_json


@pytest.mark.slow
def test_quick_variant_end_to_end(tmp_path, script):
    sim = script("v1_receptive_fields")

    args = ["--variant", "quick", "--out", str(tmp_path), "--rc-frames", "512",
            "--repeats", "3", "--n-theta", "6"]
    sim.main(args)
    for name in ("model.npz", "checkpoint_stage1.npz", "checkpoint.npz", "summary.json",
                 "rf_grid.png", "traces.png", "nx_ny.png", "tuning_examples.png",
                 "v1_distributions.png", "fano.png", "variability.png", "second_layer.png"):
        assert (tmp_path / name).exists(), name
    s = read_json(tmp_path / "summary.json")  # non-finite numbers back from "nan" strings
    assert s["patches_presented"] == 1024
    g = s["gabor"]
    assert 0.0 <= g["fraction_generative"] <= 1.0 and g["initial_dictionary"] == "random"
    assert set(g["control_fractions"]) >= {"white_random_weights",
                                           "gaussian_fields_with_data_covariance"}
    # the calibration reaches its targets on the pilot; the session's medians are
    # measured on other trials, so they are only near them
    cal = s["readout_calibration"]
    assert cal["median_peak_hz"] == pytest.approx(33.8, rel=1e-6)
    assert cal["median_spontaneous_hz"] == pytest.approx(0.82, rel=1e-6)
    assert 0 < s["rates_hz"]["median_spontaneous"] < 10 < s["rates_hz"]["median_peak"]
    assert {"change", "change_ci95", "before", "after"} <= set(s["fano_onset"])
    assert set(s["figures"]) >= {"rf_grid.png", "fano.png", "second_layer.png"}
    assert np.isfinite(s["second_layer"]["pooling"]["orientation_deg"]["pooled"])
    from hee_brian import HEEModel

    model = HEEModel.load(tmp_path / "model.npz")
    assert model.sizes == [16, 12, 4]
    assert model.readout == "relu" and model.rate_threshold == cal["rate_threshold"]


@pytest.mark.parametrize("flag, value, match", [("--rc-frame-ms", "2.52", "multiple of dt"),
                                                ("--rc-contrast", "0", "must be > 0")])
def test_bad_reverse_correlation_settings_are_refused_before_anything_runs(tmp_path, script,
                                                                          flag, value, match):
    """A frame that is no whole number of steps would fail after the learning: refused first."""
    from hee_brian.errors import HEEParameterError

    sim = script("v1_receptive_fields")
    out = tmp_path / "out"
    with pytest.raises(HEEParameterError, match=match):
        sim.main(["--out", str(out), flag, value])
    assert not out.exists()  # nothing written
