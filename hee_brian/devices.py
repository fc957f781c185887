"""Where an HEE network runs: Brian2 runtime or a standalone device.

* ``"runtime"`` (Cython if it compiles, else NumPy), ``"numpy"``, ``"cython"``:
  Brian2's runtime code generation; objects are rebuilt for every run.
* ``"cpp_standalone"`` (the default) and ``"cuda_standalone"`` (brian2cuda):
  the network is generated and compiled once per structure into a project
  directory under the cache (``$HEE_BRIAN_CACHE``, default
  ``~/.cache/hee_brian``), and every later run of the same structure only
  re-runs the binary with new values passed as ``run_args`` (weights, biases,
  initial states, parameters, stimulus and the random seed).  A structure
  seen before in another process re-generates its code into the same
  directory, where ``make`` finds nothing to recompile.

Everything device-specific lives in this module.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import brian2
from brian2 import TimedArray, prefs, set_device
from brian2.devices.device import all_devices, reset_device


from .errors import HEEParameterError
from .network import BuiltNetwork, RunSpec, build_network, run_values

__all__ = ["DEVICES", "cache_dir", "get_backend", "BuildTimes"]

DEVICES = ("runtime", "numpy", "cython", "cpp_standalone", "cuda_standalone")


def cache_dir() -> Path:
    """Directory holding compiled standalone projects (``$HEE_BRIAN_CACHE``)."""
    root = os.environ.get("HEE_BRIAN_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "hee_brian"
    )
    return Path(root)


class BuildTimes(dict):
    """Seconds spent in the last call: ``codegen``, ``compile``, ``run``."""


def _apply(values):
    """Assign run values directly (runtime device, or standalone defaults)."""
    for owner, name, value in values:
        if isinstance(owner, TimedArray):
            continue  # TimedArray values are given at construction / run_args
        setattr(owner, name, value)


class RuntimeBackend:
    """Brian2 runtime code generation (NumPy or Cython)."""

    def __init__(self, target):
        self.name = target
        self.target = target
        self.times = BuildTimes()

    def run(self, model, spec: RunSpec, seed: int, **value_kwds) -> BuiltNetwork:
        if self.target == "runtime":
            target = "cython" if _cython_works() else "numpy"
        else:
            target = self.target
        set_device("runtime")
        try:
            prefs.codegen.target = target
            t0 = time.perf_counter()
            built = build_network(model, spec, stimuli=value_kwds.get("stimuli"))
            _apply(run_values(model, spec, built, **value_kwds))
            brian2.seed(seed)
            built.net.run(spec.n_steps * model.dt, namespace=built.namespace)
            self.times = BuildTimes(codegen=0.0, compile=0.0, run=time.perf_counter() - t0)
        finally:
            reset_device()
        return built


_CYTHON_OK = None


def _cython_works():
    global _CYTHON_OK
    if _CYTHON_OK is None:
        try:
            import Cython  # noqa: F401

            _CYTHON_OK = True
        except ImportError:
            _CYTHON_OK = False
    return _CYTHON_OK


class StandaloneBackend:
    """cpp_standalone / cuda_standalone: compile once per structure, run many."""

    # Brian2 keeps one standalone project per process; remember which one.
    _current: dict = {}

    def __init__(self, name, threads=0):
        self.name = name
        self.threads = int(threads)
        self.times = BuildTimes()

    def _key(self, model, spec, with_duration=True):
        """Hash of what shapes the generated code.

        The project directory is keyed without the run's duration: a new
        duration changes little more than ``main.cpp``, and building it in
        the same directory lets ``make`` recompile only what changed.
        """
        spec_desc = dict(spec.__dict__)
        if not with_duration or self._duration_is_run_arg(spec):
            spec_desc.pop("n_steps")
        desc = {
            "device": self.name,
            "threads": self.threads,
            "model": model.structure(),
            "spec": spec_desc,
        }
        text = json.dumps(desc, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def _duration_is_run_arg(self, spec):
        """Whether the compiled binary takes its duration from the command line.

        True on cpp_standalone except for marginal generation, whose phase
        schedule is a TimedArray sized by the number of steps.
        """
        return self.name == "cpp_standalone" and spec.mode != "marginal"

    @staticmethod
    def _duration_from_run_args(device, built):
        """Make the network's run read its duration from a run_arg.

        Brian2 writes the duration into ``main.cpp`` as a literal; replacing
        it by the shared variable ``hee_seed.duration`` (set from the command
        line just before the run) lets one compiled project run for any
        duration.
        """
        duration = "brian::" + device.get_array_name(built.seed_holder.variables["duration"])
        pattern = re.compile(rf"^{re.escape(built.net.name)}\.run\(([^,]+),")
        for k in range(len(device.main_queue) - 1, -1, -1):
            func, args = device.main_queue[k]
            if func != "run_network":
                continue
            net, lines = args
            patched = [pattern.sub(f"{built.net.name}.run({duration}[0],", line) for line in lines]
            if patched == lines:
                break
            device.main_queue[k] = (func, (net, patched))
            return
        raise RuntimeError("could not find the network run in the standalone main code")

    def _prepare_device(self):
        if self.name == "cuda_standalone":
            from .cuda import configure_cuda_standalone

            configure_cuda_standalone()
        else:
            prefs.devices.cpp_standalone.openmp_threads = self.threads

    def run(self, model, spec: RunSpec, seed: int, **value_kwds) -> BuiltNetwork:
        key = self._key(model, spec)
        directory = cache_dir() / f"{self.name}_{self._key(model, spec, with_duration=False)}"
        current = StandaloneBackend._current.get(self.name)
        times = BuildTimes(codegen=0.0, compile=0.0)
        if current is None or current["key"] != key:
            self._prepare_device()
            device = all_devices[self.name]
            if getattr(device, "code_objects", None) or getattr(device, "has_been_run", False):
                device.reinit()
            set_device(self.name, build_on_run=False, directory=str(directory))
            try:
                t0 = time.perf_counter()
                built = build_network(model, spec)
                # Initial values written into the project are placeholders:
                # every run overrides them from the command line.
                _apply(run_values(model, spec, built, **value_kwds))
                device.apply_run_args()
                nthreads = max(self.threads, 1) if self.name == "cpp_standalone" else 1
                seed_array = device.get_array_name(built.seed_holder.variables["seed"])
                if self.name == "cpp_standalone":
                    device.insert_code(
                        "main",
                        f"for (int _i=0; _i<{nthreads}; _i++) "
                        f"brian::_random_generators[_i].seed("
                        f"(unsigned long)brian::{seed_array}[0] + _i);",
                    )
                else:
                    # brian2cuda's cuRAND host and device generators (what
                    # brian2.seed() emits, with the seed a run_arg)
                    device.insert_code(
                        "main",
                        "random_number_buffer.set_seed("
                        f"(unsigned long long)brian::{seed_array}[0]);",
                    )
                built.net.run(spec.n_steps * model.dt, namespace=built.namespace)
                if self._duration_is_run_arg(spec):
                    self._duration_from_run_args(device, built)
                t1 = time.perf_counter()
                device.build(
                    directory=str(directory), compile=True, run=False, with_output=False
                )
                t2 = time.perf_counter()
            finally:
                reset_device()
            times = BuildTimes(codegen=t1 - t0, compile=t2 - t1)
            current = {"key": key, "built": built, "device": device}
            StandaloneBackend._current[self.name] = current
        built, device = current["built"], current["device"]
        run_args = {}
        for owner, name, value in run_values(model, spec, built, **value_kwds):
            if isinstance(owner, TimedArray):
                run_args[owner] = value
            else:
                run_args[getattr(owner, name)] = value
        run_args[built.seed_holder.seed] = int(seed) % (2**31)
        if self._duration_is_run_arg(spec):
            run_args[built.seed_holder.duration] = spec.n_steps * model.dt
        # The recorded length changes with the duration: let Brian2 infer the
        # time dimension of the monitors' 2-D arrays from the files it reads.
        for mon in built.state_monitors.values():
            for var in mon.variables.values():
                size = getattr(var, "size", None)
                if isinstance(size, tuple) and len(size) == 2:
                    var.size = (0, size[1])
        t3 = time.perf_counter()
        device.run(directory=str(directory), with_output=False, run_args=run_args)
        times["run"] = time.perf_counter() - t3
        self.times = times
        # Each run writes its array files under a new hash; drop them so a
        # long training run does not fill the disk.
        for fname in device.run_args_arrays:
            try:
                os.remove(os.path.join(directory, "static_arrays", fname))
            except OSError:
                pass
        device.run_args_arrays.clear()
        return built


_BACKENDS = {}


def get_backend(device: str, threads: int = 0):
    """The backend object for a device name (cached, so compiled projects persist)."""
    if device not in DEVICES:
        raise HEEParameterError(
            f"unknown device {device!r}; choose one of {DEVICES}."
        )
    key = (device, threads)
    if key not in _BACKENDS:
        if device in ("runtime", "numpy", "cython"):
            _BACKENDS[key] = RuntimeBackend(device)
        else:
            _BACKENDS[key] = StandaloneBackend(device, threads=threads)
    return _BACKENDS[key]
