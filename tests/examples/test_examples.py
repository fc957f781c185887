"""Every script in examples/ runs to the end and writes its figure.

Each runs as its own process in a temporary folder (the examples write
``output/examples/<name>.png`` relative to the current directory), with the
compile cache of the test session; each takes 10-25 s on 2 cores,
compilation included.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = sorted(p.stem for p in EXAMPLES.glob("*.py"))


def test_the_six_examples_are_there():
    assert NAMES == ["adaptation_momentum", "generation", "learning_dictionary",
                     "posterior_sampling", "protocol_to_nwb", "spikes_and_rates"]


@pytest.mark.parametrize("name", NAMES)
def test_example_runs_and_writes_its_figure(name, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    png = tmp_path / "output" / "examples" / f"{name}.png"
    assert png.stat().st_size > 10_000
    assert f"wrote output/examples/{name}.png" in proc.stdout
