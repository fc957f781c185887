"""cpp_standalone: each network structure compiled once, then run with run_args.

Each network *structure* (sizes, families, K, streams, adaptation on/off,
projection, dt, what is recorded, device, threads) is generated and compiled
once into a project directory of :mod:`hee_brian.devices.cache`.  Every
later run of that structure, in this process or another, re-runs the binary
with the run's values passed as Brian2 ``run_args``: weights, biases,
initial states, time constants, family parameters, rates, the stimulus and
its presentation time, the random seed, the duration and the recording
interval.  In one process every compiled structure stays loaded, each on a
Brian2 device object of its own, so going back to an earlier structure
costs nothing.
"""
from __future__ import annotations

import copy
import hashlib
import json
import time
from pathlib import Path

import brian2
from brian2 import TimedArray, prefs, set_device
from brian2.devices.device import all_devices, reset_device

from ..network import BuiltNetwork, RunSpec, build_network
from ..runvalues import run_values
from .base import Backend, BuildTimes, apply_values, register_backend
from .cache import build_once, cache_dir, results_folder, source_fingerprint, toolchain_id
from .pch import enabled as pch_enabled
from .pch import use_precompiled_header

__all__ = ["StandaloneBackend", "preferences_restored"]


class preferences_restored:
    """Context manager: Brian2's preferences as they were before, afterwards.

    Building sets device preferences (OpenMP threads, CUDA paths and flags);
    they are put back so that a user's own Brian2 code is not affected.
    """

    def __enter__(self):
        self._saved = {name: copy.copy(prefs[name]) for name in prefs}
        return self

    def __exit__(self, *exc):
        for name, value in self._saved.items():
            if prefs[name] != value:
                prefs[name] = value
        return False


def link_openblas():
    """Add the scipy-openblas32 wheel's OpenBLAS to the C++ build preferences.

    The fused dense projection of several streams (:mod:`hee_brian.dense`)
    calls its ``scipy_cblas_?gemm``; the library is found at run time
    through the rpath, so nothing has to be installed system-wide.
    """
    import scipy_openblas32

    lib = scipy_openblas32.get_lib_dir()
    for name, value in (("include_dirs", scipy_openblas32.get_include_dir()),
                        ("library_dirs", lib), ("runtime_library_dirs", lib),
                        ("libraries", scipy_openblas32.get_library())):
        if value not in prefs[f"codegen.cpp.{name}"]:
            prefs[f"codegen.cpp.{name}"] = prefs[f"codegen.cpp.{name}"] + [value]


def openblas_version():
    """The linked OpenBLAS wheel's version (part of the compile-cache key)."""
    import scipy_openblas32

    return scipy_openblas32.__version__


class _Project:
    """A compiled standalone project loaded in this process."""

    def __init__(self, device, built, directory, results):
        self.device = device  # the Brian2 device object that built ``built``
        self.built = built
        self.directory = directory
        self.results = results  # this process's results folder, relative to directory


class StandaloneBackend(Backend):
    """Brian2's ``cpp_standalone``: compile once per structure, run many times."""

    dense_projection = True
    bulk_noise = True
    openmp = True

    #: Whether duration and recording interval are run_args (not structure):
    #: true where :meth:`_patch_main` can rewrite the main code.
    values_are_run_args = True
    #: Units compiled with the standard-library header precompiled (:mod:`.pch`).
    precompiled_header = True

    def __init__(self, name, threads=0):
        super().__init__(name, threads)
        self._projects: dict[str, _Project] = {}

    # -- what differs between standalone devices ---------------------------
    def new_device(self):
        """A fresh Brian2 device object for one structure."""
        return type(all_devices[self.name])()

    def configure(self):
        """Set the Brian2 preferences a build needs (restored afterwards)."""
        prefs.devices.cpp_standalone.openmp_threads = self.threads
        link_openblas()

    def seed_code(self, device, built):
        """Main code seeding the random generators from the ``hee_seed.seed`` run_arg."""
        seed_array = device.get_array_name(built.seed_holder.variables["seed"])
        nthreads = max(self.threads, 1)
        return (f"for (int _i=0; _i<{nthreads}; _i++) "
                f"brian::_random_generators[_i].seed("
                f"(unsigned long)brian::{seed_array}[0] + _i);")

    # -- the compile cache -------------------------------------------------
    def key(self, model, spec):
        """Hash of everything that selects a compiled project."""
        spec_desc = dict(spec.__dict__)
        # presentation time and marginal stage length are run values on
        # every standalone device; duration and recording interval where
        # the main code is patched
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
            "hee_brian": source_fingerprint(),
            "toolchain": toolchain_id(self.name),
            "openblas": openblas_version(),
            "pch": self.precompiled_header and pch_enabled(),
        }
        text = json.dumps(desc, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:20]

    @staticmethod
    def _patch_main(device, built, duration):
        """Make the network's run read its duration from the ``hee_seed.duration`` run_arg.

        Brian2 writes the duration into the main code as a literal
        (``<net>.run(<duration>, ...)``); replacing that literal by the
        shared variable (set from the command line just before the run) lets
        one compiled project run for any duration.
        """
        array = "brian::" + device.get_array_name(built.seed_holder.variables["duration"])
        literal = f"{built.net.name}.run({float(duration)!r},"
        for k in range(len(device.main_queue) - 1, -1, -1):
            func, args = device.main_queue[k]
            if func != "run_network":
                continue
            net, lines = args
            patched = [line.replace(literal, f"{built.net.name}.run({array}[0],", 1)
                       for line in lines]
            if patched != lines:
                device.main_queue[k] = (func, (net, patched))
                return
        raise RuntimeError("could not find the network run in the standalone main code")

    def _generate(self, model, spec, values):
        """Build the Brian2 objects of one structure on a device object of their own."""
        device = self.new_device()
        set_device(device, build_on_run=False)
        try:
            built = build_network(model, spec)
            # Initial values written into the project are placeholders:
            # every run overrides them from the command line.
            apply_values(run_values(model, spec, built, **values))
            device.apply_run_args()
            device.insert_code("main", self.seed_code(device, built))
            if self.values_are_run_args and built.record_clock is not None:
                clock_dt = device.get_array_name(built.record_clock.variables["dt"])
                record_dt = device.get_array_name(built.seed_holder.variables["record_dt"])
                device.insert_code("main", f"brian::{clock_dt}[0] = brian::{record_dt}[0];")
            duration = spec.n_steps * model.dt
            built.net.run(duration, namespace=built.namespace)
            if self.values_are_run_args:
                self._patch_main(device, built, duration)
        finally:
            reset_device()
        return device, built

    def _build(self, device, directory):
        from brian2.codegen.cpp_prefs import get_compiler_and_args

        set_device(device, build_on_run=False)
        try:
            device.build(directory=str(directory), compile=False, run=False, with_output=False)
            if self.precompiled_header:
                use_precompiled_header(directory)
                # A project is compiled once and never rebuilt incrementally,
                # so make's header-dependency scan (g++ -MM over every source,
                # serial, before any unit compiles) is skipped: an empty
                # make.deps newer than the sources is already up to date.
                (Path(directory) / "make.deps").write_text("")
            device.compile_source(str(directory), get_compiler_and_args()[0], debug=False,
                                  clean=False)
        finally:
            reset_device()

    def _load(self, model, spec, values, key):
        with preferences_restored():
            self.configure()
            t0 = time.perf_counter()
            device, built = self._generate(model, spec, values)
            t1 = time.perf_counter()
            directory = cache_dir() / f"{self.name}_{key}"
            compiled = build_once(directory, self.name, lambda: self._build(device, directory))
            t2 = time.perf_counter()
        device.project_dir = str(directory)
        project = _Project(device, built, Path(directory), results_folder(directory))
        self._projects[key] = project
        return project, BuildTimes(codegen=t1 - t0, compile=t2 - t1 if compiled else 0.0)

    # -- running -------------------------------------------------------------
    def _run_args(self, project, model, spec, seed, values):
        """The run's values as command-line arguments, arrays in this process's folder."""
        device, built = project.device, project.built
        own = project.directory / project.results
        own.mkdir(parents=True, exist_ok=True)
        for path in own.glob("init_*.dat"):  # the previous run's arguments
            path.unlink()
        items = [(owner if isinstance(owner, TimedArray) else getattr(owner, name), value)
                 for owner, name, value in run_values(model, spec, built, **values)]
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

    def run(self, model, spec: RunSpec, seed: int, **values) -> BuiltNetwork:
        key = self.key(model, spec)
        project = self._projects.get(key)
        times = BuildTimes(codegen=0.0, compile=0.0)
        if project is None:
            project, times = self._load(model, spec, values, key)
        built, device = project.built, project.device
        args = self._run_args(project, model, spec, seed, values)
        # The recorded length changes with the duration: let Brian2 infer the
        # time dimension of the monitors' 2-D arrays from the files it reads.
        for mon in built.state_monitors.values():
            for var in mon.variables.values():
                size = getattr(var, "size", None)
                if isinstance(size, tuple) and len(size) == 2:
                    var.size = (0, size[1])
        t0 = time.perf_counter()
        device.run(directory=str(project.directory), results_directory=project.results,
                   with_output=False, run_args=args)
        times["run"] = time.perf_counter() - t0
        self.times = times
        return built


register_backend("cpp_standalone", StandaloneBackend)
