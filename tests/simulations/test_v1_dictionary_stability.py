"""Smoke test of simulations/v1_dictionary_stability.py on the one-layer quick V1 variant."""
import json

import pytest


@pytest.mark.slow
def test_quick_run_writes_the_history(tmp_path, script):
    sim = script("v1_dictionary_stability")

    sim.main(["--variant", "single_quick", "--sigma0", "0.7", "--start", "random", "--patches", "256",
              "--chunk", "128", "--streams", "16", "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "summary.json").read_text())
    history = summary["results"]["0.7"]["history"]
    assert [h["patches"] for h in history] == [0, 128, 256]
    assert all(0.0 <= h["fraction"] <= 1.0 and h["lambda_max"] > 0 for h in history)
    assert (tmp_path / "stability.png").exists()
