"""The precompiled standard-library header of cpp_standalone builds (hee_brian.devices.pch).

That results do not change with it is checked bit for bit in fresh processes
(``test_reproducibility.py::test_precompiled_header_changes_no_result``).
"""
import subprocess

import numpy as np
import pytest
from brian2 import ms

import hee_brian as hb
from hee_brian.devices import pch


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HEE_BRIAN_CACHE", str(tmp_path))
    return tmp_path


FLAGS = ["-w", "-O3", "-std=c++11"]


def test_header_is_built_once_and_gcc_loads_it(cache):
    if not pch._compiler()[1]:
        pytest.skip("the C++ compiler is not GCC")
    header = pch.precompiled_header(FLAGS)
    gch = header.with_name(header.name + ".gch")
    stamp = gch.stat().st_mtime_ns
    assert pch.precompiled_header(FLAGS) == header and gch.stat().st_mtime_ns == stamp
    # g++ -H marks a header it loaded precompiled with '!', one it parsed with 'x'
    probe = subprocess.run(["g++", *FLAGS, "-include", str(header), "-H", "-fsyntax-only",
                            "-x", "c++", "-"], input="int main() { return 0; }\n",
                           capture_output=True, text=True)
    assert f"! {gch}" in probe.stderr
    # other flags, another header
    assert pch.precompiled_header(FLAGS + ["-DHEE_TEST"]) != header


def test_no_header_without_gcc(cache, monkeypatch):
    monkeypatch.setenv("CXX", "no-such-compiler-hee")
    assert pch.precompiled_header(FLAGS) is None


def _project(model, cache):
    """Run ``model`` once and return the project directory it compiled."""
    before = {p for p in cache.glob("cpp_standalone_*") if p.is_dir()}
    model.infer(np.zeros(model.layers[0].n), 1 * ms, spikes=False)
    (new,) = {p for p in cache.glob("cpp_standalone_*") if p.is_dir()} - before
    return new


def test_projects_include_it_unless_turned_off(cache, monkeypatch):
    def build(seed):
        return hb.HEEModel([hb.Layer(3, "gaussian"), hb.Layer(2, "gaussian")], seed=seed)

    if not pch._compiler()[1]:
        pytest.skip("the C++ compiler is not GCC")
    project = _project(build(1), cache)
    makefile = (project / "makefile").read_text()
    assert "-include" in makefile and "hee_pch.h" in makefile
    assert (project / "make.deps").read_text() == ""  # the dependency scan skipped
    monkeypatch.setenv("HEE_BRIAN_PCH", "0")  # part of the cache key: a project of its own
    plain = _project(build(2), cache)
    assert "-include" not in (plain / "makefile").read_text()
