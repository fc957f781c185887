"""Shared pytest configuration.

Fast unit tests run by default.  The scientific checks that simulate long
enough to measure posterior statistics are marked ``slow`` and run with
``--slow`` (CI runs them).  GPU tests are marked ``gpu`` and skip cleanly
unless an NVIDIA GPU is visible.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="also run the slow scientific checks (marked 'slow')",
    )


def pytest_report_header(config):
    """Which linear-algebra library the run used (results must not depend on it)."""
    try:
        import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then sees)
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    blas = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, "
            f"{i.get('num_threads')} threads)" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    return "BLAS: " + ", ".join(blas or ["unknown"])


def _gpu_available():
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        out = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "GPU" in out.stdout


def pytest_collection_modifyitems(config, items):
    run_slow = config.getoption("--slow")
    has_gpu = _gpu_available()
    skip_slow = pytest.mark.skip(reason="slow scientific check: run with --slow")
    skip_gpu = pytest.mark.skip(reason="no NVIDIA GPU visible (nvidia-smi -L)")
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(skip_slow)
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session", autouse=True)
def _standalone_cache(tmp_path_factory):
    """Compile each standalone project once per test session.

    Unless the user points HEE_BRIAN_CACHE somewhere, tests share one cache
    directory so repeated networks reuse their compiled binaries.
    """
    if "HEE_BRIAN_CACHE" not in os.environ:
        os.environ["HEE_BRIAN_CACHE"] = str(tmp_path_factory.mktemp("hee_cache"))
    yield


def load_file_module(path):
    """The module of a script that is not in a package (simulations/, benchmarks/), by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repo_script():
    """``repo_script("benchmarks", "bench_v1_learning")``: that file's module."""
    return lambda folder, name: load_file_module(ROOT / folder / f"{name}.py")
