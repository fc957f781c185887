"""Smoke test of simulations/v1_receptive_fields.py (slow: compiles two
standalone projects): the quick variant runs end to end and writes every
output.  (Resuming from the checkpoint is HEEModel.learn's job and is
tested with it.)"""
import json

import pytest


@pytest.mark.slow
def test_quick_variant_end_to_end(tmp_path, script):
    sim = script("v1_receptive_fields")

    args = ["--variant", "quick", "--out", str(tmp_path), "--rc-frames", "336",
            "--grating-repeats", "1", "--fano-blocks", "1"]
    sim.main(args)
    for name in ("model.npz", "checkpoint.npz", "summary.json", "rf_grid.png", "traces.png",
                 "nx_ny.png", "tuning_examples.png", "v1_distributions.png",
                 "variability.png"):
        assert (tmp_path / name).exists(), name
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["patches_presented"] == 512  # 32 presentations x 16 streams
    assert 0.0 <= on_disk["gabor"]["fraction_initial_dictionary"] <= 1.0
    g = on_disk["gabor"]
    assert 0.0 <= g["fraction_generative"] <= 1.0
    assert set(g["control_fractions"]) >= {"white_random_weights",
                                           "gaussian_fields_with_data_covariance"}
    assert {"before", "after", "change_ci95"} <= set(on_disk["fano_onset"])
    # the model round-trips
    from hee_brian import HEEModel

    model = HEEModel.load(tmp_path / "model.npz")
    assert model.sizes == [16, 12]
