"""Smoke test of simulations/generate_digits.py at toy sizes (slow: compiles 3 networks)."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("pixels", [None, "continuous_bernoulli"])
def test_generate_digits_writes_table_summary_and_grids(tmp_path, pixels):
    cmd = [sys.executable, str(ROOT / "simulations" / "generate_digits.py"), "--out", str(tmp_path),
           "--n-presentations", "20", "--n-samples", "30", "--chains", "1", "--burn-in", "2",
           "--spacing", "1", "--settle", "1", "--gibbs-steps", "5", "--rbm-iter", "2"]
    if pixels is not None:
        cmd += ["--pixels", pixels]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    for name in ("model.npz", "summary.json", "table.md", "grids.png", "samples.npz"):
        assert (tmp_path / name).exists(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["scores"]) >= {"HEE marginal", "HEE joint", "RBM (PCD) binary",
                                      "Gaussian", "held-out digits"}
    assert summary["model"]["layers"][0]["family"] == (pixels or "gaussian")
    table = (tmp_path / "table.md").read_text()
    assert "| HEE marginal | 30 |" in table and "| held-out digits |" in table
    samples = np.load(tmp_path / "samples.npz")
    for mode in ("HEE_marginal", "HEE_joint"):  # back in pixels, like every generator
        assert samples[mode].shape == (30, 64)
        assert samples[mode].min() >= 0 and samples[mode].max() <= 1
