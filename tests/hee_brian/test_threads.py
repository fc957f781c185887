"""threads="auto": how many OpenMP threads a run gets, and bad thread counts refused."""
import pytest
from brian2 import ms

import hee_brian as hb
from hee_brian.devices import AUTO_NEURONS_PER_THREAD, auto_threads, usable_cores
from hee_brian.network import RunSpec


def _model(n0=64, n1=96, **kwds):
    return hb.HEEModel([hb.Layer(n0, "gaussian", sigma=0.35),
                        hb.Layer(n1, "sparse", lam=1.0, delta=0.2, s=3.0)],
                       tau_x=10 * ms, n_interneurons=1, **kwds)


def _spec(streams):
    return RunSpec(mode="clamped", n_steps=10, streams=streams)


def test_auto_gives_small_runs_no_openmp_and_large_ones_up_to_the_cores(monkeypatch):
    model = _model()
    assert model.threads == "auto"
    # 64 + 96 neurons with their interneurons: 320 per stream
    assert auto_threads(model, _spec(1)) == 0
    assert auto_threads(model, _spec(25)) == 0  # 8000 neurons: under two threads' worth
    monkeypatch.setattr("hee_brian.devices.base.usable_cores", lambda: 16)
    assert auto_threads(model, _spec(64)) == 64 * 320 // AUTO_NEURONS_PER_THREAD == 5
    monkeypatch.setattr("hee_brian.devices.base.usable_cores", lambda: 2)
    assert auto_threads(model, _spec(64)) == 2
    # one core: still OpenMP (one thread), so the numbers are those of any core count
    monkeypatch.setattr("hee_brian.devices.base.usable_cores", lambda: 1)
    assert auto_threads(model, _spec(64)) == 1


def test_explicit_threads_and_other_devices():
    assert auto_threads(_model(threads=0), _spec(64)) == 0
    assert auto_threads(_model(threads=3), _spec(1)) == 3
    assert auto_threads(_model(device="numpy"), _spec(64)) == 0
    assert 1 <= usable_cores()


@pytest.mark.parametrize("threads", [-1, 1.5, "two", True])
def test_bad_thread_counts_are_refused(threads):
    with pytest.raises(hb.HEEParameterError, match="threads must be 'auto' or a non-negative"):
        _model(threads=threads)


def test_dask_worker_threads_bound_auto(monkeypatch):
    """Inside a dask worker, "auto" uses that worker's threads, not the machine's cores."""
    distributed = pytest.importorskip("distributed")

    class Worker:
        class state:
            nthreads = 1

    monkeypatch.setattr(distributed, "get_worker", lambda: Worker)
    assert usable_cores() == 1
    assert auto_threads(_model(), _spec(64)) == 1  # not the machine's cores
