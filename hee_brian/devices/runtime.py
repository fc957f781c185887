"""Brian2's runtime devices: NumPy or Cython code generation, rebuilt every run."""
from __future__ import annotations

import time

import brian2
from brian2 import prefs, set_device
from brian2.devices.device import reset_device

from ..network import BuiltNetwork, RunSpec, build_network
from ..runvalues import run_values
from .base import Backend, BuildTimes, apply_values, register_backend

__all__ = ["RuntimeBackend"]


class RuntimeBackend(Backend):
    """Brian2 runtime code generation (NumPy or Cython)."""

    def __init__(self, name, threads=0):
        super().__init__(name, threads)
        self.target = name

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
            apply_values(run_values(model, spec, built, **value_kwds))
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




for _name in ("runtime", "numpy", "cython"):
    register_backend(_name, RuntimeBackend)
