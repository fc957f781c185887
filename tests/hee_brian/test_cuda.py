"""brian2cuda: configuration, code generation + compilation, and GPU runs.

* fast: the helpers of hee_brian.devices.cuda on fake toolkits;
* slow: the model's CUDA code generates and compiles with the machine's
  nvcc (no GPU needed; a few minutes of nvcc on 2 cores);
* gpu: the model runs on the GPU and samples the exact posterior.
"""
import os
import stat

import numpy as np
import pytest
from brian2 import Hz, ms, prefs

import hee_brian as hb
from hee_brian.devices.cuda import configure_cuda_standalone, curand_paths, find_cuda_root


@pytest.fixture
def restore_prefs():
    prefs._backup()
    yield
    prefs._restore()


def _fake_toolkit(root):
    (root / "bin").mkdir(parents=True)
    nvcc = root / "bin" / "nvcc"
    nvcc.write_text("#!/bin/sh\necho fake\n")
    nvcc.chmod(nvcc.stat().st_mode | stat.S_IEXEC)
    return nvcc


def test_find_cuda_root_follows_a_wrapper_script(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_PATH", raising=False)
    monkeypatch.delenv("CUDA_HOME", raising=False)
    real = _fake_toolkit(tmp_path / "cuda-13.0")
    wrapper = tmp_path / "wrap" / "nvcc"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec {real} "$@"\n')
    assert find_cuda_root(str(wrapper)) == str((tmp_path / "cuda-13.0").resolve())


def test_find_cuda_root_follows_a_symlink_and_honours_cuda_path(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_PATH", raising=False)
    monkeypatch.delenv("CUDA_HOME", raising=False)
    real = _fake_toolkit(tmp_path / "cuda-12.4")
    link = tmp_path / "nvcc"
    link.symlink_to(real)
    assert find_cuda_root(str(link)) == str((tmp_path / "cuda-12.4").resolve())
    _fake_toolkit(tmp_path / "other")
    monkeypatch.setenv("CUDA_PATH", str(tmp_path / "other"))
    assert find_cuda_root(str(link)) == str((tmp_path / "other").resolve())


def test_curand_from_the_wheel_when_the_toolkit_has_none(tmp_path):
    pytest.importorskip("nvidia.curand")
    _fake_toolkit(tmp_path / "cuda")
    inc, lib, rpath = curand_paths(tmp_path / "cuda", tmp_path / "link")
    assert os.path.isfile(os.path.join(inc[0], "curand.h"))
    assert (tmp_path / "link" / "libcurand.so").resolve().is_file()
    assert lib == [str(tmp_path / "link")] and os.path.isdir(rpath[0])


def test_curand_from_the_toolkit_when_it_has_one(tmp_path):
    _fake_toolkit(tmp_path / "cuda")
    (tmp_path / "cuda" / "include").mkdir()
    (tmp_path / "cuda" / "include" / "curand.h").write_text("")
    (tmp_path / "cuda" / "lib64").mkdir()
    (tmp_path / "cuda" / "lib64" / "libcurand.so").write_text("")
    assert curand_paths(tmp_path / "cuda", tmp_path / "link") == ([], [], [])


def test_configure_sets_what_brian2cuda_needs(restore_prefs):
    pytest.importorskip("brian2cuda")
    if find_cuda_root() is None:
        pytest.skip("no CUDA toolkit (nvcc) on this machine")
    info = configure_cuda_standalone()
    backend = prefs.devices.cuda_standalone.cuda_backend
    assert backend.cuda_path == info["cuda_path"]
    assert os.path.isfile(os.path.join(info["cuda_path"], "include", "cuda_runtime.h"))
    assert backend.detect_gpus is False and backend.compute_capability >= 7.5
    assert "-std=c++17" in prefs["codegen.cpp.extra_compile_args_gcc"]
    assert "-std=c++11" not in prefs["codegen.cpp.extra_compile_args_gcc"]


def _small_model(device, seed=1):
    model = hb.HEEModel([hb.Layer(16, "gaussian", sigma=0.5), hb.Layer(8, "gaussian", sigma=1.0)],
                        tau_x=10 * ms, device=device, seed=seed)
    model.set_weights(W=[np.random.default_rng(seed).normal(0, 0.5, (16, 8))])
    return model


@pytest.mark.slow
def test_cuda_code_generates_and_compiles(tmp_path, monkeypatch):
    """The whole model (interneurons, averages, both summed variables, the
    plasticity of B = 2 streams sharing W) as CUDA.

    Without a GPU the binary compiles and its run fails at cudaSetDevice;
    with one it must run.
    """
    pytest.importorskip("brian2cuda")
    if find_cuda_root() is None:
        pytest.skip("no CUDA toolkit (nvcc) on this machine")
    from hee_brian.devices.cuda import gpu_compute_capability
    from hee_brian.devices import get_backend
    from hee_brian.network import RunSpec

    monkeypatch.setenv("HEE_BRIAN_CACHE", str(tmp_path))
    prefs._backup()
    try:
        model = _small_model("cuda_standalone")
        backend = get_backend("cuda_standalone")
        # learning with 2 streams sharing W: the weight store, the linked
        # weights and the Hebbian sums too; no monitors: fewer files for nvcc
        spec = RunSpec(mode="clamped", n_steps=40, learn=True, streams=2, learn_bias=False)
        try:
            backend.run(model, spec, seed=1, stimuli=np.zeros((1, 2 * 16)), eta_w=1 * Hz,
                        eta_b=0 * Hz)
        except RuntimeError as exc:  # the run, not the build
            if gpu_compute_capability() is not None:
                raise
            assert "run failed" in str(exc)
    finally:
        prefs._restore()
    projects = [p for p in tmp_path.glob("cuda_standalone_*") if p.is_dir()]
    assert len(projects) == 1
    project = projects[0]
    binary = project / "main"
    assert binary.is_file() and os.access(binary, os.X_OK)
    makefile = (project / "makefile").read_text()
    assert "-std=c++17" in makefile and "-std=c++11" not in makefile
    objects = [f.name for f in (project / "code_objects").glob("*.o")]
    for name in ("streams_1_summed_variable_td", "streams_1_summed_variable_lik",
                 "hebbian_1_summed_variable_hebb", "projection_1_stateupdater"):
        assert any(o.startswith(name) for o in objects), (name, objects)


@pytest.mark.gpu
@pytest.mark.slow
def test_gpu_samples_the_exact_posterior():
    """Linear-Gaussian model on the GPU: sample mean within 5 standard errors.

    Standard error from the chain's effective sample size: Langevin on a
    Gaussian relaxes each mode k at rate lambda_k / tau_x (lambda_k the
    eigenvalues of the posterior precision), so the integrated
    autocorrelation time is at most 2 tau_x max_k(1 / lambda_k).
    """
    from hee_brian.reference import gaussian_posterior

    model = _small_model("cuda_standalone")
    x0 = np.random.default_rng(4).normal(0, 1, 16)
    duration = 4000 * ms
    rec = model.infer(x0, duration, spikes=False)
    mean, cov = gaussian_posterior(model, x0)
    x = rec.x[1][len(rec.t) // 10:]  # drop the burn-in
    sd = np.sqrt(np.diag(cov))
    tau_int = 2 * model.tau_x_s * np.linalg.eigvalsh(cov).max()
    n_eff = 0.9 * float(duration / ms) * 1e-3 / tau_int
    np.testing.assert_array_less(np.abs(x.mean(axis=0) - mean), 5 * sd / np.sqrt(n_eff))


@pytest.mark.gpu
@pytest.mark.slow
def test_gpu_learning_changes_weights_and_stays_finite():
    model = _small_model("cuda_standalone")
    before = model.weights[0]
    data = np.random.default_rng(5).normal(0, 1, (20, 16))
    model.learn(data, presentation=5 * ms, eta_w=5 * Hz, chunk=20, progress=False)
    after = model.weights[0]
    assert np.all(np.isfinite(after)) and np.max(np.abs(after - before)) > 1e-4
