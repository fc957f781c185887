"""Smoke test of simulations/generate_digits.py at toy sizes (slow: compiles 3 networks)."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hee_brian.report import read_json

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("pixels", [None, "continuous_bernoulli"])
def test_generate_digits_writes_table_summary_and_grids(tmp_path, pixels):
    cmd = [sys.executable, str(ROOT / "simulations" / "generate_digits.py"), "--out", str(tmp_path),
           "--n-presentations", "20", "--n-samples", "30", "--chains", "1", "--burn-in", "2",
           "--spacing", "1", "--settle", "1", "--mixing-steps", "2", "--gibbs-steps", "5",
           "--rbm-iter", "2", "--ebm-iter", "20", "--gap-images", "40"]
    if pixels is not None:
        cmd += ["--pixels", pixels]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    for name in ("model.npz", "summary.json", "table.md", "grids.png", "mixing.png", "gap.png"):
        assert (tmp_path / name).exists(), name
    summary = read_json(tmp_path / "summary.json")
    assert set(summary["scores"]) >= {"HEE marginal", "HEE joint", "RBM (PCD) binary",
                                      "Langevin EBM (short-run)", "Gaussian",
                                      "held-out digits"}
    assert summary["model"]["layers"][0]["family"] == (pixels or "gaussian")
    table = (tmp_path / "table.md").read_text()
    assert "| HEE marginal | 30 |" in table and "| held-out digits |" in table
    files = summary["sample_files"]
    assert set(files) == set(summary["scores"])
    for name, path in files.items():  # (n, pixels), back in pixels like every generator
        x = np.load(tmp_path / path)
        assert x.shape == ((30 if name.startswith("HEE") else x.shape[0]), 64), name
        assert x.min() >= 0 and x.max() <= 1, name
    # mixing on the chains that were scored: joint states 1/2 tau_x apart, marginal
    # ones a cycle (3 layers x settle 1 tau_x) apart
    mixing = summary["mixing"]
    assert mixing["joint"]["spacing"] == pytest.approx(0.5)
    assert mixing["joint"]["n_draws"] == 60 and mixing["marginal"]["n_draws"] == 30
    assert mixing["marginal"]["spacing"] == pytest.approx(3.0)
    for m in mixing.values():
        assert m["acf"][0] == pytest.approx(1.0) and 0 < m["ess"] <= m["n_draws"] * 2
    # the latents recorded with the marginal samples are the ones they were drawn from:
    # the pixel layer's mean given them is the samples, so the same Frechet distance
    gap = summary["latent_gap"]
    assert list(gap)[:4] == ["posterior", "posterior, factorial", "posterior, Gaussian", "prior"]
    assert gap["prior"]["fd"] == pytest.approx(summary["scores"]["HEE marginal"]["fd"], rel=1e-9)
    assert "| the model's prior (marginal generation) |" in table
    if pixels is None:
        # the scored joint samples are every 2nd state of the finer chains: the samples
        # of a run recorded once per --spacing (same model, loaded from model.npz)
        coarse = tmp_path / "coarse"
        coarse.mkdir()
        (coarse / "model.npz").write_bytes((tmp_path / "model.npz").read_bytes())
        cmd[cmd.index("--out") + 1] = str(coarse)
        cmd[cmd.index("--mixing-steps") + 1] = "1"
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        again = read_json(coarse / "summary.json")["sample_files"]
        np.testing.assert_array_equal(np.load(coarse / again["HEE joint"]),
                                      np.load(tmp_path / files["HEE joint"]))


@pytest.mark.parametrize("argv, match", [
    (["--model", "demo"], "no TRAINING defaults"),
    (["--model", "v1"], "no TRAINING defaults"),
    (["--ebm-iter", "-1"], "--ebm-iter must be >= 0"),
    (["--gap-images", "50"], "--gap-images must be 0 or a multiple of 40"),
    (["--gap-images", "40", "--n-samples", "300"], "at least .* 60 digits, got 40"),
])
def test_bad_model_or_options_are_refused_before_anything_runs(tmp_path, script, argv, match):
    from hee_brian.errors import HEEParameterError

    out = tmp_path / "out"
    with pytest.raises(HEEParameterError, match=match):
        script("generate_digits").main(["--out", str(out), *argv])
    assert not out.exists()  # nothing written


def test_pixels_the_model_does_not_offer_are_refused(tmp_path, script, monkeypatch):
    from hee_brian import models
    from hee_brian.errors import HEEParameterError

    monkeypatch.setattr(models.get("digits"), "PIXELS", ("gaussian",))
    with pytest.raises(HEEParameterError, match="--pixels continuous_bernoulli: .* offers"):
        script("generate_digits").main(["--out", str(tmp_path / "out"),
                                        "--pixels", "continuous_bernoulli"])
    assert not (tmp_path / "out").exists()
