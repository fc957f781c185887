"""Slow scientific check: adaptation as momentum in the Brian2 network.

Runs ``simulations/adaptation_speedup.py`` small (posterior precisions 1 and
0.05, 64 chains, no V1 part) and compares its measurements with exact
answers: the continuous-time IAT of plain Langevin (2/k) and of the
momentum sampler (2/(k(1+m))), and the exact posterior variance.
"""
import math

import pytest

from hee_brian.report import read_json


@pytest.mark.slow
def test_momentum_is_faster_and_keeps_the_posterior(tmp_path, script):
    k, m, tau_a = 0.05, 10.0, 3.0
    script("adaptation_speedup").main(["--slow-precision", str(k), "--m", str(m), "--tau-a", str(tau_a),
                    "--copies", "32", "--seeds", "2", "--chunk", "500", "--max-chunks", "8",
                    "--kl-window", "4",
                    "--skip-v1", "--skip-activity", "--out", str(tmp_path)])
    res = read_json(tmp_path / "summary.json")["gaussian"]
    plain, mom = res["plain"], res["sweep"][0]
    assert plain["status"] == "ok" and mom["status"] == "ok"
    # IATs agree with the exact continuous-time values within 4 standard
    # errors plus a systematic allowance: 10 % for plain Langevin (Euler steps
    # of tau_x/100, interneurons), 25 % for momentum, whose oscillating
    # autocorrelation the Sokal window truncates (up to ~15 % on exact
    # samples of the same process) -- still far from plain Langevin's 1 + m
    for r, exact, slack in [(plain, 2 / k, 0.1), (mom, 2 / (k * (1 + m)), 0.25)]:
        assert r["iat_theory"] == pytest.approx(exact)
        assert math.isfinite(r["iat_slow_err"]), r
        assert abs(r["iat_slow"] - exact) < 4 * r["iat_slow_err"] + slack * exact, r
    assert plain["iat_slow"] / mom["iat_slow"] > 5
    # the stationary variance stays exact (slow direction: no interneuron
    # noise reaches it) within 4 standard errors plus 2 %
    for r in (plain, mom):
        assert abs(r["var_ratio_slow"] - 1) < 4 * r["var_ratio_slow_se"] + 0.02, r
        assert abs(r["mean_error_sd"]) < 0.15, r
    # and the ensemble started 3 sd away converges faster
    assert mom["t_kl"] < plain["t_kl"]
