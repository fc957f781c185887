"""simulations/adaptation_sweep.py end to end on a one-worker LocalCluster."""
import json

import pandas as pd
import pytest

pytest.importorskip("distributed")


@pytest.mark.slow
def test_sweep_writes_table_map_and_summary(tmp_path, script):
    sim = script("adaptation_sweep")
    summary = sim.main(["--out", str(tmp_path), "--workers", "1", "--m", "0", "3",
                        "--tau-a", "3", "--seeds", "2", "--duration", "400"])
    frame = pd.read_csv(tmp_path / "sweep.csv")
    assert len(frame) == 4 and (frame["status"] == "ok").all()
    assert (tmp_path / "iat_map.png").exists()
    assert json.loads((tmp_path / "summary.json").read_text())["rows"] == 4
    # the exact IATs of the momentum sampler: 2/k plain, and for m = 3, tau_a = 3 tau_x
    plain = frame[frame["m"] == 0]
    assert plain["exact_iat"].iloc[0] == pytest.approx(2 / 0.05)
    # 16 chains x 400 tau_x: the IAT estimates are within a factor 2 of the exact ones,
    # and adaptation is measured to be faster (exact: 40 against 10 tau_x)
    ratio = frame["iat"] / frame["exact_iat"]
    assert ratio.between(0.5, 2.0).all(), ratio.tolist()
    assert frame[frame["m"] == 3]["iat"].max() < plain["iat"].min()
    assert summary["compiled"] <= 2  # two structures (adaptation off, on), one worker
