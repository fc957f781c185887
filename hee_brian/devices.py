"""Where an HEE network runs: Brian2 runtime or a standalone device.

* ``"runtime"`` (Cython if it compiles, else NumPy), ``"numpy"``, ``"cython"``:
  Brian2's runtime code generation; objects are rebuilt for every run.
* ``"cpp_standalone"`` (the default) and ``"cuda_standalone"`` (brian2cuda):
  each network *structure* (sizes, families, K, streams, adaptation on/off,
  projection, dt, what is recorded, device, threads) is generated and
  compiled once into a project directory under the cache
  (``$HEE_BRIAN_CACHE``, default ``~/.cache/hee_brian``).  Every later run of
  that structure, in this process or another, re-runs the binary with the
  run's values passed as ``run_args``: weights, biases, initial states, time
  constants, family parameters, rates, the stimulus, the random seed, the
  duration and the recording interval (the last two on cpp_standalone).

The cache is safe to share between processes and machines:

* a project directory is keyed by the structure, the Brian2 and hee-brian
  versions, the compiler (its version and flags) and, for ``-march=native``
  builds, the exact target CPU the compiler resolves, so a binary never runs
  on a CPU it was not compiled for;
* a project is generated and compiled under a file lock and marked complete
  only when the build succeeded; a process that finds a complete project
  uses it as it is (no code written, no ``make``);
* every process writes its run arguments and results into a folder of its
  own inside the project (``results/<host>-<pid>-<id>/``), removed when the
  process exits, so runs side by side never read each other's files.

In one process every compiled structure stays loaded (each on its own Brian2
device object), so going back to an earlier structure costs nothing.

Everything device-specific lives in this module.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import brian2
from brian2 import TimedArray, prefs, set_device
from brian2.devices.device import all_devices, reset_device
from brian2.utils.filelock import FileLock

from .errors import HEEParameterError
from .network import BuiltNetwork, RunSpec, build_network, run_values

__all__ = ["DEVICES", "cache_dir", "get_backend", "BuildTimes", "compilations",
           "toolchain_id"]

DEVICES = ("runtime", "numpy", "cython", "cpp_standalone", "cuda_standalone")

#: Marker written into a project directory once its build succeeded.
COMPLETE_MARKER = ".hee_complete.json"


def cache_dir() -> Path:
    """Directory holding compiled standalone projects (``$HEE_BRIAN_CACHE``)."""
    root = os.environ.get("HEE_BRIAN_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "hee_brian"
    )
    return Path(root)


class BuildTimes(dict):
    """Seconds spent in the last call: ``codegen``, ``compile``, ``run``."""


#: Standalone projects compiled (``make`` run) by this process, by device name.
_COMPILED: dict = {}


def compilations(device=None) -> int:
    """How many standalone projects this process has compiled.

    Parameters
    ----------
    device : str, optional
        Count only this device's projects (default: all).
    """
    if device is not None:
        return _COMPILED.get(device, 0)
    return sum(_COMPILED.values())


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
        previous_target = prefs.codegen.target
        try:
            prefs.codegen.target = target
            t0 = time.perf_counter()
            built = build_network(model, spec, stimuli=value_kwds.get("stimuli"))
            _apply(run_values(model, spec, built, **value_kwds))
            brian2.seed(seed)
            built.net.run(spec.n_steps * model.dt, namespace=built.namespace)
            self.times = BuildTimes(codegen=0.0, compile=0.0, run=time.perf_counter() - t0)
        finally:
            prefs.codegen.target = previous_target
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


_TOOLCHAIN: dict = {}


def toolchain_id(device: str) -> dict:
    """What, besides the generated code, decides the binary: compiler and target.

    The C++ compiler's identity (``--version``) and flags; where the flags
    contain ``-march=native``, the target the compiler resolves it to on this
    CPU (``-Q --help=target``), so a cache shared by machines of different
    CPUs keeps one binary per target.  Computed once per process.
    """
    if device in _TOOLCHAIN:
        return _TOOLCHAIN[device]
    from brian2.codegen.cpp_prefs import get_compiler_and_args

    compiler, flags = get_compiler_and_args()
    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or "c++"
    cxx = cxx.split()[0]

    def ask(*args):
        try:
            out = subprocess.run([cxx, *args], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout

    ident = {
        "compiler": compiler,
        "cxx": ask("--version").splitlines()[:1],
        "flags": list(flags),
        "extra_link_args": list(prefs["codegen.cpp.extra_link_args"]),
    }
    if any("native" in f for f in flags):
        target = ask("-march=native", "-Q", "--help=target")
        ident["target"] = hashlib.sha1(target.encode()).hexdigest()[:16]
    if device == "cuda_standalone":
        ident["nvcc_flags"] = list(prefs.get("devices.cuda_standalone.cuda_backend."
                                             "extra_compile_args_nvcc", []))
        ident["compute_capability"] = prefs.get(
            "devices.cuda_standalone.cuda_backend.compute_capability", None)
    _TOOLCHAIN[device] = ident
    return ident


class _Project:
    """A compiled standalone project loaded in this process."""

    def __init__(self, device, built, directory, results):
        self.device = device  # the Brian2 device object that built ``built``
        self.built = built
        self.directory = directory
        self.results = results  # this process's results folder, relative to directory


_OWN_RESULTS: list = []


@atexit.register
def _remove_own_results():
    for path in _OWN_RESULTS:
        shutil.rmtree(path, ignore_errors=True)


def _remove_orphaned_results(results):
    """Remove results folders left by processes of this host that no longer run."""
    host = socket.gethostname()
    for path in results.glob(f"{host}-*-*"):
        try:
            pid = int(path.name.rsplit("-", 2)[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


class StandaloneBackend:
    """cpp_standalone / cuda_standalone: compile once per structure, run many."""

    def __init__(self, name, threads=0):
        self.name = name
        self.threads = int(threads)
        self.times = BuildTimes()
        self._projects: dict[str, _Project] = {}

    @property
    def values_are_run_args(self):
        """Whether duration and recording interval are run_args (not structure).

        True on cpp_standalone, whose main code this module patches; on
        cuda_standalone they still select the compiled project.
        """
        return self.name == "cpp_standalone"

    def key(self, model, spec):
        """Hash of everything that selects a compiled project."""
        spec_desc = dict(spec.__dict__)
        # presentation time and marginal stage length are run values on
        # every standalone device; duration and recording interval where
        # this module patches the main code
        spec_desc.pop("presentation_steps")
        spec_desc.pop("stage_steps")
        if self.values_are_run_args:
            spec_desc.pop("n_steps")
            spec_desc["record_steps"] = spec.record_steps is not None
        desc = {
            "device": self.name,
            "threads": self.threads,
            "model": model.structure(),
            "spec": spec_desc,
            "brian2": brian2.__version__,
            "hee_brian": _version(),
            "toolchain": toolchain_id(self.name),
        }
        text = json.dumps(desc, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:20]

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

    def _seed_code(self, device, built):
        """Main code seeding the random generators from the ``hee_seed.seed`` run_arg."""
        seed_array = device.get_array_name(built.seed_holder.variables["seed"])
        if self.name == "cpp_standalone":
            nthreads = max(self.threads, 1)
            return (f"for (int _i=0; _i<{nthreads}; _i++) "
                    f"brian::_random_generators[_i].seed("
                    f"(unsigned long)brian::{seed_array}[0] + _i);")
        # brian2cuda's cuRAND host and device generators (what brian2.seed()
        # emits, with the seed a run_arg)
        return ("random_number_buffer.set_seed("
                f"(unsigned long long)brian::{seed_array}[0]);")

    def _generate(self, model, spec, value_kwds):
        """Build the Brian2 objects of one structure on a device object of their own."""
        self._prepare_device()
        device = type(all_devices[self.name])()
        set_device(device, build_on_run=False)
        previous_threads = prefs.devices.cpp_standalone.openmp_threads
        prefs.devices.cpp_standalone.openmp_threads = self.threads
        try:
            built = build_network(model, spec)
            # Initial values written into the project are placeholders:
            # every run overrides them from the command line.
            _apply(run_values(model, spec, built, **value_kwds))
            device.apply_run_args()
            device.insert_code("main", self._seed_code(device, built))
            if self.values_are_run_args and built.record_clock is not None:
                clock_dt = device.get_array_name(built.record_clock.variables["dt"])
                record_dt = device.get_array_name(built.seed_holder.variables["record_dt"])
                device.insert_code("main", f"brian::{clock_dt}[0] = brian::{record_dt}[0];")
            built.net.run(spec.n_steps * model.dt, namespace=built.namespace)
            if self.values_are_run_args:
                self._duration_from_run_args(device, built)
        finally:
            prefs.devices.cpp_standalone.openmp_threads = previous_threads
            reset_device()
        return device, built

    def _compile(self, device, directory):
        """Compile ``device``'s project into ``directory`` unless another process did."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(directory) + ".lock"):
            if (directory / COMPLETE_MARKER).exists():
                return False
            # a build that died half-way leaves an incomplete folder: start afresh
            shutil.rmtree(directory, ignore_errors=True)
            set_device(device, build_on_run=False)
            previous_threads = prefs.devices.cpp_standalone.openmp_threads
            prefs.devices.cpp_standalone.openmp_threads = self.threads
            try:
                device.build(directory=str(directory), compile=True, run=False,
                             with_output=False)
            finally:
                prefs.devices.cpp_standalone.openmp_threads = previous_threads
                reset_device()
            info = {"host": socket.gethostname(), "pid": os.getpid(), "time": time.time(),
                    "device": self.name}
            tmp = directory / (COMPLETE_MARKER + ".tmp")
            tmp.write_text(json.dumps(info))
            os.replace(tmp, directory / COMPLETE_MARKER)
            return True

    def _load(self, model, spec, value_kwds, key):
        t0 = time.perf_counter()
        device, built = self._generate(model, spec, value_kwds)
        t1 = time.perf_counter()
        directory = cache_dir() / f"{self.name}_{key}"
        compiled = self._compile(device, directory)
        t2 = time.perf_counter()
        if compiled:
            _COMPILED[self.name] = _COMPILED.get(self.name, 0) + 1
        device.project_dir = str(directory)
        _remove_orphaned_results(directory / "results")
        results = os.path.join("results", f"{socket.gethostname()}-{os.getpid()}-"
                                          f"{uuid.uuid4().hex[:8]}")
        _OWN_RESULTS.append(str(directory / results))
        project = _Project(device, built, directory, results)
        self._projects[key] = project
        return project, BuildTimes(codegen=t1 - t0, compile=t2 - t1 if compiled else 0.0)

    def _run_args(self, project, model, spec, seed, value_kwds):
        """The run's values as command-line arguments, arrays in this process's folder."""
        device, built = project.device, project.built
        own = project.directory / project.results
        own.mkdir(parents=True, exist_ok=True)
        for path in own.glob("init_*.dat"):  # the previous run's arguments
            path.unlink()
        items = [(owner if isinstance(owner, TimedArray) else getattr(owner, name), value)
                 for owner, name, value in run_values(model, spec, built, **value_kwds)]
        items.append((built.seed_holder.seed, int(seed) % (2**31)))
        if self.values_are_run_args:
            items.append((built.seed_holder.duration, spec.n_steps * model.dt))
            if built.record_clock is not None:
                items.append((built.seed_holder.record_dt, spec.record_steps * model.dt))
        args = []
        for key, value in items:
            if isinstance(key, TimedArray):
                name, text, fname, arr = device._prepare_timed_array_run_arg(key, value)
            else:
                name, text, fname, arr = device._prepare_variableview_run_arg(key, value)
            if fname:
                arr.tofile(own / fname)
                text = str(own / fname)
            args.append(f"{name}={text}")
        return args

    def run(self, model, spec: RunSpec, seed: int, **value_kwds) -> BuiltNetwork:
        key = self.key(model, spec)
        project = self._projects.get(key)
        times = BuildTimes(codegen=0.0, compile=0.0)
        if project is None:
            project, times = self._load(model, spec, value_kwds, key)
        built, device = project.built, project.device
        args = self._run_args(project, model, spec, seed, value_kwds)
        # The recorded length changes with the duration: let Brian2 infer the
        # time dimension of the monitors' 2-D arrays from the files it reads.
        for mon in built.state_monitors.values():
            for var in mon.variables.values():
                size = getattr(var, "size", None)
                if isinstance(size, tuple) and len(size) == 2:
                    var.size = (0, size[1])
        t3 = time.perf_counter()
        device.run(directory=str(project.directory), results_directory=project.results,
                   with_output=False, run_args=args)
        times["run"] = time.perf_counter() - t3
        self.times = times
        return built


_FINGERPRINT: list = []


def _version():
    """hee-brian's version and a fingerprint of its code-generating sources.

    The fingerprint makes an edited checkout (same version number, other
    equations) compile its own projects instead of running stale ones.
    """
    from . import __version__

    if not _FINGERPRINT:
        root = Path(__file__).resolve().parent
        h = hashlib.sha1()
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".cpp", ".h") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
        _FINGERPRINT.append(h.hexdigest()[:16])
    return f"{__version__}+{_FINGERPRINT[0]}"


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
