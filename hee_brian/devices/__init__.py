"""Where an HEE network runs: Brian2's runtime, cpp_standalone or brian2cuda.

Each device name is served by a backend class (:mod:`.base` keeps the
registry, as Brian2's ``all_devices`` does):

* ``"runtime"`` (Cython if it compiles, else NumPy), ``"numpy"``,
  ``"cython"``: :class:`~.runtime.RuntimeBackend`, objects rebuilt every run;
* ``"cpp_standalone"`` (the default): :class:`~.standalone.StandaloneBackend`,
  each network structure compiled once into the cache of :mod:`.cache` and
  re-run with every value as a ``run_arg``;
* ``"cuda_standalone"``: :class:`~.cuda.CudaStandaloneBackend`, the same on
  the GPU through brian2cuda, configured by :func:`~.cuda.configure_cuda_standalone`.

A new device is a :class:`~.base.Backend` subclass registered with
:func:`~.base.register_backend`.
"""
from . import cuda, runtime, standalone  # noqa: F401  (each registers its backends)
from .base import (AUTO_NEURONS_PER_THREAD, DEVICES, Backend, BuildTimes, auto_threads,
                   backend_class, choose_projection, get_backend, register_backend, usable_cores)
from .cache import cache_dir, compilations, toolchain_id

__all__ = ["AUTO_NEURONS_PER_THREAD", "DEVICES", "Backend", "BuildTimes", "auto_threads",
           "backend_class", "choose_projection", "get_backend", "register_backend", "usable_cores",
           "cache_dir", "compilations", "toolchain_id"]
