"""The demo script runs end to end and writes what its docstring promises."""
import json

import numpy as np


def test_demo_writes_figure_recording_and_summary(tmp_path, script):
    demo = script("demo_traces")
    summary = demo.main(["--out", str(tmp_path), "--device", "numpy", "--presentation", "20"])
    for name in ("traces.png", "recording.npz", "summary.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert json.loads((tmp_path / "summary.json").read_text()) == json.loads(json.dumps(summary))
    rates = np.array(summary["mean_rate_hz"])
    assert rates.shape == (5, 16) and np.all(rates > 0)
    with np.load(tmp_path / "recording.npz") as rec:
        assert rec["x_1"].shape == (100, 16) and rec["x_0"].shape == (100, 64)
