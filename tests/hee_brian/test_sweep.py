"""hee_brian.sweep on a dask LocalCluster: same rows whatever the scheduling."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from brian2 import ms

import hee_brian as hb
from hee_brian.sweep import expand_grid, local_cluster

distributed = pytest.importorskip("distributed")


def posterior_point(tau_x_ms, m, seed, K=2):
    """A small model with adaptation: mean and variance of a latent, and its trace."""
    model = hb.HEEModel(
        [hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(2, "gaussian", sigma=1.0)],
        tau_x=tau_x_ms * ms, n_interneurons=K, seed=seed,
        adaptation=hb.Adaptation(m=m, tau_a=30 * ms) if m > 0 else None)
    model.set_weights(W=[np.random.default_rng(0).normal(size=(4, 2))])
    rec = model.infer(np.ones(4), 20 * ms, spikes=False, seed=seed)
    return {"mean": float(rec.x[1][:, 0].mean()), "var": float(rec.x[1][:, 0].var()),
            "trace": rec.x[1][:, 0]}


GRID = {"tau_x_ms": [8.0, 10.0], "m": [0.0, 2.0, 4.0]}  # 6 points x 2 seeds = 12 rows


def _cluster(n_workers):
    """A LocalCluster of single-threaded worker processes and its client."""
    cluster = local_cluster(n_workers)
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def one_worker():
    cluster, client = _cluster(1)
    with cluster, client:
        yield client


@pytest.fixture(scope="module")
def two_workers():
    cluster, client = _cluster(2)
    with cluster, client:
        yield client


def _results(frame):
    cols = ["tau_x_ms", "m", "seed", "mean", "var", "status"]
    return frame[cols].to_dict("records")


def test_grid_expands_to_points_times_seeds():
    rows = expand_grid(GRID, seeds=2)
    assert len(rows) == 12 and rows[0] == ({"tau_x_ms": 8.0, "m": 0.0}, 0)
    assert expand_grid([{"a": 1}, {"a": 2}], seeds=[5])[1] == ({"a": 2}, 5)
    with pytest.raises(hb.HEEParameterError, match="seeds=..."):
        expand_grid({"seed": [1, 2]})


@pytest.mark.slow
def test_same_rows_with_one_worker_two_workers_and_a_resume(one_worker, two_workers, tmp_path):
    """12 rows, bit for bit: sequential, two workers, and resumed after a kill."""
    seq = hb.sweep(posterior_point, GRID, seeds=2, client=one_worker, progress=False)
    par = hb.sweep(posterior_point, GRID, seeds=2, client=two_workers, progress=False,
                   out=tmp_path / "par")
    assert (seq["status"] == "ok").all()
    assert _results(seq) == _results(par)
    traces = [np.load(tmp_path / "par" / "arrays" / f"{rid}.npz")["trace"] for rid in par["id"]]
    assert len({t.tobytes() for t in traces}) == 12  # every row its own chain
    # a sweep killed half-way (its process exits abruptly once 6 rows are
    # written), then resumed by the same call
    out = tmp_path / "killed"
    script = textwrap.dedent(f"""
        import importlib.util, os
        import hee_brian as hb
        spec = importlib.util.spec_from_file_location("sweep_probe", {__file__!r})
        probe = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(probe)
        hb.sweep(probe.posterior_point, probe.GRID, seeds=2, out={str(out)!r}, client=None,
                 progress=lambda info: os._exit(9) if info["done"] >= 6 else None)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=600)
    assert proc.returncode == 9, proc.stderr[-2000:]
    assert len(list((out / "rows").glob("*.json"))) == 6
    resumed = hb.sweep(posterior_point, GRID, seeds=2, client=two_workers, out=out,
                       progress=False)
    assert _results(resumed) == _results(seq)
    table = json.loads(resumed.to_json(orient="records"))
    assert len(table) == 12


@pytest.mark.slow
def test_refused_rows_are_rows_and_compiles_are_bounded(two_workers):
    """K = 0 is refused in its row; the rest run, each structure compiled at most once
    per worker."""
    grid = [{"tau_x_ms": 10.0, "m": m, "K": K} for K in (1, 0, 2) for m in (0.0, 1.0, 3.0)]
    frame = hb.sweep(posterior_point, grid, seeds=1, client=two_workers, progress=False)
    refused = frame[frame["K"] == 0]
    assert refused["status"].str.startswith("HEEParameterError: n_interneurons").all()
    assert (frame[frame["K"] != 0]["status"] == "ok").all()
    # structures: (K = 1 or 2) x (adaptation on or off) = 4, on at most 2 workers
    assert frame["compiled"].sum() <= 4 * 2
