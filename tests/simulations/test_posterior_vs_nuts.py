"""The NUTS check of the V1 model runs end to end; its candidate samplers do what they claim."""
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from hee_brian.models import linear_gaussian, v1
from hee_brian.reference import gaussian_posterior

pytest.importorskip("numpyro")


def test_writes_table_figure_and_summary(tmp_path, script):
    """A quick V1 model (4x4 pixels, 12 latents), one patch, short chains on both sides."""
    check = script("posterior_vs_nuts")
    model = v1.build("single_quick", seed=2)
    model.save(tmp_path / "model.npz")
    out = tmp_path / "out"
    results = check.main(["--model", str(tmp_path / "model.npz"), "--out", str(out),
                          "--patches", "1", "--settings", "model", "--candidates",
                          "--streams", "4", "--duration", "40", "--burn-in", "5",
                          "--draws", "300", "--warmup", "300", "--chains", "2"])
    for name in ("summary.json", "table.md", "nuts_check.png"):
        assert (out / name).stat().st_size > 0
    assert json.loads((out / "summary.json").read_text())["runs"][0]["setting"] == "model"
    names = [r["setting"] for r in results["runs"]]
    assert names == ["model", *check.CANDIDATES]
    for r in results["runs"]:
        s = r["summary"]
        assert len(s["stiff_ratio"]) == 5 and 0 < s["var_ratio_median"] < 3
        assert r["cost"]["steps_per_s"] > 0
    assert "| tmp_path0/model.npz | model | 0 |" in (out / "table.md").read_text().replace(
        tmp_path.name, "tmp_path0")


def test_checks_a_two_latent_layer_model(tmp_path, script):
    """--top puts Gaussian latents above the trained ones: the trained layer
    gets a parent (its interneurons sample A'(eta_1)), and every latent of
    both layers is compared with NUTS on the hierarchy."""
    check = script("posterior_vs_nuts")
    model = v1.build("single_quick", seed=2)
    model.save(tmp_path / "model.npz")
    hier = check.with_top_layer(model, 3, 0.2, seed=1)
    assert [layer.n for layer in hier.layers] == [16, 12, 3]
    np.testing.assert_array_equal(hier.weights[0], model.weights[0])
    assert not hier.closed_form[1]  # the Cauchy layer now samples its A'
    # eta_1 = W_2 x_2 has the requested sd under the top prior N(0, 1)
    assert np.sqrt(np.sum(hier.weights[1] ** 2, axis=1)).mean() == pytest.approx(0.2, rel=0.5)
    results = check.main(["--model", str(tmp_path / "model.npz"), "--out", str(tmp_path / "o"),
                          "--top", "3", "--patches", "1", "--settings", "model", "K4",
                          "--streams", "4", "--duration", "40", "--burn-in", "5",
                          "--draws", "300", "--warmup", "300", "--chains", "2"])
    assert [r["setting"] for r in results["runs"]] == ["model", "K4"]
    assert len(results["runs"][0]["summary"]["stiff_ratio"]) == 5
    assert [layer["n"] for layer in results["runs"][0]["summary"]["by_layer"]] == [12, 3]
    assert "two-latent-layer" in (tmp_path / "o" / "table.md").read_text()
    with pytest.raises(SystemExit):
        check.parse_args(["--top", "3", "--candidates"])
    with pytest.raises(SystemExit):
        check.parse_args(["--exact-prior"])  # needs a top layer
    with pytest.raises(SystemExit):
        check.parse_args(["--top", "3", "--settings", "sampling_euler"])


def test_exact_prior_check_reports_the_top_layer_against_its_prior(tmp_path, script):
    """--exact-prior: W_0 = 0, no NUTS; per setting the top layer's variances
    (against the exact 1), their standard errors and the budget's widening."""
    check = script("posterior_vs_nuts")
    v1.build("single_quick", seed=2).save(tmp_path / "model.npz")
    results = check.main(["--model", str(tmp_path / "model.npz"), "--out", str(tmp_path / "o"),
                          "--top", "3", "--exact-prior", "--settings", "model", "no_budget",
                          "--streams", "4", "--duration", "40", "--burn-in", "5"])
    model, plain = results["runs"]
    assert [model["setting"], plain["setting"]] == ["model", "no_budget"]
    assert len(model["var"]) == len(model["se"]) == 3
    assert all(0.2 < v < 5 for v in model["var"])  # 4 streams x 35 tau_x: rough
    assert 0 < min(model["budget_offset"]) and plain["budget_offset"] == [0, 0, 0]
    assert results["nuts"] == []
    assert "exact" in (tmp_path / "o" / "table.md").read_text()


def test_leimkuhler_matthews_candidate_is_exact_where_euler_is_not(script):
    """On a linear-Gaussian posterior (exact covariance known) at dt = tau_x/20:
    Euler-Maruyama's stationary variance along the stiffest direction is
    1/(1 - lambda dt/2) too large, the LM candidate's is exact, each within 4
    standard errors of a variance estimate from its effective samples."""
    check = script("posterior_vs_nuts")
    model = linear_gaussian.build(n_obs=6, n_latent=3, weight_seed=2, column_norm=1.2, seed=0)
    x0 = linear_gaussian.sample_image(model, 1)
    mean, cov = gaussian_posterior(model, x0)
    lam, V = np.linalg.eigh(cov)
    stiff = V[:, 0]
    rate = 1 / lam[0]  # relaxation rate of the stiffest direction, 1/tau_x
    h = 1 / 20
    assert 0.2 < rate * h < 1.0  # a regime where Euler's error is large
    args = SimpleNamespace(streams=64, duration=400.0, burn_in=10.0, seed=3)
    for scheme, expected in (("em", 1 / (1 - rate * h / 2)), ("lm", 1.0)):
        X, _ = check.candidate_samples(model, x0, scheme, 20, args)
        proj = (X - mean) @ stiff  # (T, B): the stiffest direction
        # samples every tau_x/4 are nearly independent along it (relaxation time
        # < tau_x/4), so the variance's relative standard error is sqrt(2/n)
        n = proj.size
        ratio = proj.var() / lam[0]
        assert abs(ratio - expected) < 4 * expected * math.sqrt(2 / n), (scheme, ratio)
