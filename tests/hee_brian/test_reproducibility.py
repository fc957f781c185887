"""Same seed, same result in any process; compiled projects safe side by side.

Each check runs the model in fresh Python processes, since what differs
between processes (the hash seed that orders Python's sets, another process
writing into the same cache) cannot be seen by rerunning inside one.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from brian2 import Hz, ms

import hee_brian as hb
from hee_brian.devices import compilations

#: Runs one population kind per scenario and prints a digest of every array
#: it produced, so two processes can be compared bit for bit.
PROBE = textwrap.dedent('''
    import hashlib, json, sys
    import numpy as np
    from brian2 import ms, Hz
    import hee_brian as hb
    from hee_brian.devices import compilations

    device, scenarios = sys.argv[1], sys.argv[2].split(",")
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else "auto"

    def model(K=2, adaptation=True):
        m = hb.HEEModel(
            [hb.Layer(6, "gaussian", sigma=0.5), hb.Layer(4, "sparse", lam=1.0, delta=0.2, s=3.0)],
            tau_x=10*ms, n_interneurons=K, device=device, seed=123, threads=threads,
            adaptation=hb.Adaptation(m=5, tau_a=50*ms) if adaptation else None)
        m.set_weights(W=[np.random.default_rng(0).normal(size=(6, 4))])
        return m

    def digest(*arrays):
        h = hashlib.sha1()
        for a in arrays:
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
        return h.hexdigest()

    x0 = np.random.default_rng(1).normal(size=(2, 6))
    out = {}
    for s in scenarios:
        if s == "adaptation":
            r = model(K=1).infer(x0[0], 20*ms, seed=7)
            out[s] = digest(r.x[1], r.eps[0], r.a[1], r.spikes[1].t, r.spikes[1].i)
        elif s == "interneurons":
            r = model(K=3, adaptation=False).infer(x0[0], 20*ms, seed=7)
            out[s] = digest(r.x[1], r.eps[0], r.eps[1])
        elif s == "streams":
            r = model().infer(x0, 20*ms, seed=7, streams=2)
            out[s] = digest(r.x[1], r.eps[0], r.a[1], r.spikes[1].t, r.spikes[1].i)
        elif s == "learning":
            m = model()
            data = np.random.default_rng(2).normal(size=(8, 6))
            m.learn(data, presentation=2*ms, chunk=4, eta_w=5*Hz, progress=False, seed=9)
            out[s] = digest(*m.weights, *m.biases)
        elif s == "wide":
            # V1-sized products (64 x 96, 64 streams), where OpenBLAS may split
            m = hb.HEEModel([hb.Layer(64, "gaussian", sigma=0.5),
                             hb.Layer(96, "sparse", lam=1.0, delta=0.2, s=3.0)],
                            tau_x=10*ms, n_interneurons=1, device=device, seed=3, threads=threads)
            m.set_weights(W=[np.random.default_rng(0).normal(size=(64, 96)) / 8])
            data = np.random.default_rng(2).normal(size=(128, 64))
            m.learn(data, presentation=1*ms, chunk=128, eta_w=5*Hz, progress=False, seed=9,
                    streams=64)
            out[s] = digest(*m.weights)
        elif s == "joint":
            out[s] = digest(model().generate(3, mode="joint", burn_in=5*ms, spacing=2*ms, seed=5))
        elif s == "marginal":
            out[s] = digest(model().generate(3, mode="marginal", burn_in=5*ms, settle=1*ms,
                                             seed=5))
    out["compilations"] = compilations()
    print("RESULT " + json.dumps(out))
''')

SCENARIOS = "adaptation,interneurons,streams,learning,joint,marginal"


def _start(device, scenarios, hash_seed, cache, threads=None, cwd=None, **env_extra):
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed), HEE_BRIAN_CACHE=str(cache),
               **env_extra)
    args = [device, scenarios] + ([str(threads)] if threads is not None else [])
    return subprocess.Popen([sys.executable, "-c", PROBE, *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc, timeout=900):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    line = [s for s in out.splitlines() if s.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


@pytest.mark.slow
@pytest.mark.parametrize("device", ["cpp_standalone", "runtime"])
def test_same_seed_same_result_in_fresh_processes(device, tmp_path):
    """Four processes with hash seeds 0-3 give identical arrays for every kind.

    Hash seeds 0/1 and 2/3 ordered the two noise draws of the adaptation
    population differently before the state updater sorted them; every
    other scenario covers a population kind that could hide another order.
    """
    # hash seeds 0 and 2 each generate and compile their own projects (two
    # caches), as two machines would; 1 and 3 then reuse the first cache
    a, b = tmp_path / "a", tmp_path / "b"
    procs = [_start(device, SCENARIOS, 0, a), _start(device, SCENARIOS, 2, b)]
    results = [_result(p) for p in procs]
    procs = [_start(device, SCENARIOS, h, a) for h in (1, 3)]
    results += [_result(p) for p in procs]
    first = results[0]
    if device == "cpp_standalone":
        assert results[1]["compilations"] == first["compilations"] > 0
        assert results[2]["compilations"] == results[3]["compilations"] == 0
    for r in results[1:]:
        for s in SCENARIOS.split(","):
            assert r[s] == first[s], f"{s} differs between processes on {device}"


@pytest.mark.slow
def test_a_relative_cache_path_runs_with_the_same_values(tmp_path):
    """HEE_BRIAN_CACHE given relative to the working directory: the same arrays.

    The binaries run inside their project folder, so run arguments (weights,
    biases, stimuli) written under a relative cache path were not found
    there; Brian2's binary printed "Error reading" and ran on the values it
    was built with, and learning silently went wrong (the V1 main job with
    ``--out output/...`` reached 51 % Gabor-like fields instead of 91 %).
    The second process reuses the first one's binaries through the relative
    path, so only where it reads its arguments from differs.
    """
    scenarios = "streams,learning"
    first = _result(_start("cpp_standalone", scenarios, 0, tmp_path / "cache"))
    again = _result(_start("cpp_standalone", scenarios, 0, "cache", cwd=tmp_path))
    assert first["compilations"] > 0 and again["compilations"] == 0
    for s in scenarios.split(","):
        assert again[s] == first[s], f"{s} differs with a relative cache path"


@pytest.mark.slow
def test_same_seed_same_result_with_any_thread_count(tmp_path):
    """cpp_standalone with 1 and 2 OpenMP threads: identical arrays.

    Every random number is counter-based (hee_brian.noise), the matrix
    products of several streams are cut into blocks that do not depend on
    the thread count, and every other loop is element-wise, so the thread
    count cannot change a result.  Streams (the dense products), learning
    (the weight update) and V1-sized learning with 64 streams are the
    scenarios where it could.  A build without OpenMP (``threads=0``)
    arranges its loops' arithmetic differently: the same trajectories to
    rounding, not bit for bit.
    """
    scenarios = "adaptation,streams,learning,wide"
    procs = [_start("cpp_standalone", scenarios, 0, tmp_path / str(t), threads=t)
             for t in (1, 2)]
    results = [_result(p) for p in procs]
    for r in results[1:]:
        for s in scenarios.split(","):
            assert r[s] == results[0][s], f"{s} differs between thread counts"


@pytest.mark.slow
def test_precompiled_header_changes_no_result(tmp_path):
    """Builds with and without the precompiled standard headers (hee_brian.devices.pch),
    each in a fresh process and cache: every array bit for bit, one stream and two
    (the fused dense pass of each), learning included."""
    scenarios = "adaptation,streams,learning"
    with_pch = _start("cpp_standalone", scenarios, 0, tmp_path / "pch")
    without = _start("cpp_standalone", scenarios, 0, tmp_path / "plain", HEE_BRIAN_PCH="0")
    a, b = _result(with_pch), _result(without)
    assert a == b
    assert len(list((tmp_path / "pch" / "pch").glob("*/hee_pch.h.gch"))) == 1
    assert not (tmp_path / "plain" / "pch").exists()


def test_no_openmp_differs_from_openmp_by_rounding_only():
    """threads=0 against threads=1: the same trajectory within 1e-12 over 20 ms."""
    # K = 2: a structure of its own, so that the compile counts of the other
    # tests in this process are not changed by projects this one loads
    recs = [_small(threads=t, n_interneurons=2).infer(np.linspace(-1, 1, 5), 20 * ms, seed=7)
            for t in (0, 1)]
    for l in (1,):
        assert np.std(recs[0].x[l]) > 0.05
        np.testing.assert_allclose(recs[1].x[l], recs[0].x[l], rtol=0, atol=1e-12)
    np.testing.assert_allclose(recs[1].eps[0], recs[0].eps[0], rtol=0, atol=1e-12)


@pytest.mark.slow
def test_four_processes_at_once_each_equal_to_its_run_alone(tmp_path):
    """Same structure, different seeds, side by side on one cold cache.

    The structure is compiled once (the others wait for the lock and use the
    finished project), and each process's result equals the same run done
    alone afterwards.
    """
    procs = {seed: _start_seeded(seed, tmp_path) for seed in range(4)}
    together = {seed: _result(p) for seed, p in procs.items()}
    assert sum(r["compilations"] for r in together.values()) == 1
    for seed in range(4):
        alone = _result(_start_seeded(seed, tmp_path))
        assert alone["compilations"] == 0
        assert alone["adaptation"] == together[seed]["adaptation"]
    assert len({r["adaptation"] for r in together.values()}) == 4  # seeds do differ


def _start_seeded(seed, cache):
    probe = PROBE.replace("model(K=1).infer(x0[0], 20*ms, seed=7)",
                          f"model(K=1).infer(x0[0], 20*ms, seed={seed})")
    env = dict(os.environ, HEE_BRIAN_CACHE=str(cache))
    return subprocess.Popen([sys.executable, "-c", probe, "cpp_standalone", "adaptation"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _small(**kwds):
    kw = dict(tau_x=10 * ms, seed=3, adaptation=hb.Adaptation(m=2, tau_a=40 * ms))
    kw.update(kwds)
    m = hb.HEEModel([hb.Layer(5, "gaussian", sigma=0.5),
                     hb.Layer(3, "sparse", lam=1.0, delta=0.2, s=3.0)], **kw)
    m.set_weights(W=[np.random.default_rng(4).normal(size=(5, 3))])
    return m


def test_values_never_compile_and_structures_stay_loaded(tmp_path, monkeypatch):
    """Changing any value compiles nothing; going back to a structure neither.

    Values: time constants, m, tau_a, the rate scale, a family parameter,
    the recording interval (also when set from tau_x by default), the
    stimulus and its presentation time, the weights, the seed and the
    duration.  Also in a new
    process: nothing is compiled there at all.
    """
    monkeypatch.setenv("HEE_BRIAN_CACHE", str(tmp_path))  # nothing compiled yet
    x0 = np.random.default_rng(5).normal(size=5)
    before = compilations()
    _small().infer(x0, 10 * ms, seed=1)
    assert compilations() == before + 1
    variants = [
        _small(tau_x=12 * ms),  # also moves the default recording interval
        _small(tau_eps=0.2 * ms),
        _small(adaptation=hb.Adaptation(m=4, tau_a=30 * ms)),
        _small(rate_scale=30 * Hz),
        hb.HEEModel([hb.Layer(5, "gaussian", sigma=0.7),
                     hb.Layer(3, "sparse", lam=1.5, delta=0.3, s=3.0)], tau_x=10 * ms,
                    seed=3, adaptation=hb.Adaptation(m=2, tau_a=40 * ms)),
    ]
    for m in variants:
        m.set_weights(W=[np.random.default_rng(6).normal(size=(5, 3))])
        m.infer(2 * x0, 13 * ms, seed=2)
    m = _small()
    rec = m.infer(x0, 7 * ms, record_every=0.5 * ms, seed=4)
    assert rec.t.shape == (14,) and rec.t[1] == pytest.approx(0.5e-3)
    assert compilations() == before + 1
    # patch sequences: the presentation time is a value, and the stimulus
    # table is padded to a power of two rows, so 3 and 4 patches share a project
    m.infer(np.tile(x0, (3, 1)), 9 * ms, presentation=3 * ms)
    assert compilations() == before + 2
    rec = m.infer(np.tile(x0, (4, 1)) * np.arange(1, 5)[:, None], 8 * ms,
                  presentation=2 * ms, record_every=1 * ms)
    assert compilations() == before + 2
    # patch k is shown from 2k ms on: the clamped layer records it
    np.testing.assert_array_equal(rec.x[0][:, 4], x0[4] * np.array([1, 1, 2, 2, 3, 3, 4, 4]))
    before += 1
    # another structure, then back to the first: nothing compiles the second time
    _small(n_interneurons=3).infer(x0, 5 * ms)
    assert compilations() == before + 2
    _small().infer(x0, 5 * ms)
    assert compilations() == before + 2
    # a new process finds both projects compiled
    code = textwrap.dedent('''
        import numpy as np, hee_brian as hb
        from brian2 import ms
        from hee_brian.devices import compilations
        for K in (4, 3):
            m = hb.HEEModel([hb.Layer(5, "gaussian", sigma=0.5),
                             hb.Layer(3, "sparse", lam=1.0, delta=0.2, s=3.0)], tau_x=10*ms,
                            seed=3, n_interneurons=K, adaptation=hb.Adaptation(m=2, tau_a=40*ms))
            m.set_weights(W=[np.random.default_rng(4).normal(size=(5, 3))])
            m.infer(np.zeros(5), 5*ms)
        print("COMPILED", compilations())
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "COMPILED 0" in out.stdout


def test_recording_interval_as_run_value_matches_a_fresh_build():
    """The recording interval set at run time records what a build for it records."""
    x0 = np.random.default_rng(7).normal(size=5)
    m = _small()
    a = m.infer(x0, 6 * ms, record_every=0.25 * ms, seed=8)
    b = m.infer(x0, 6 * ms, record_every=0.75 * ms, seed=8)
    # the same trajectory, sampled every third point
    np.testing.assert_array_equal(b.x[1], a.x[1][::3])
    np.testing.assert_array_equal(b.t, a.t[::3])


def test_generation_length_is_a_run_value():
    """More samples from the same seed: the same chain, run longer, no compile."""
    m = _small(adaptation=None)
    kw = dict(burn_in=4 * ms, settle=1 * ms, spacing=2 * ms, seed=5)
    for mode in ("marginal", "joint"):
        short = m.generate(3, mode=mode, **kw)
        n = compilations()
        long = m.generate(5, mode=mode, **kw)
        assert compilations() == n
        np.testing.assert_array_equal(long[:3], short)
