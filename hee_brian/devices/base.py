"""The backend interface and the registry of devices.

A backend runs one :class:`~hee_brian.network.RunSpec` of a model: it builds
(or finds already built) the Brian2 objects, sets the run's values and runs
them.  Backends register under the device names users give
(``HEEModel(device=...)``), as Brian2's own devices do in ``all_devices``.
"""
from __future__ import annotations

import os
import sys

from brian2 import TimedArray

from ..dense import PROJECTIONS
from ..errors import HEEParameterError

__all__ = ["Backend", "BuildTimes", "register_backend", "get_backend", "backend_class",
           "choose_projection", "auto_threads", "usable_cores", "AUTO_NEURONS_PER_THREAD",
           "DEVICES"]


class BuildTimes(dict):
    """Seconds spent in the last call: ``codegen``, ``compile``, ``run``."""


class Backend:
    """Runs HEE networks on one Brian2 device.

    Subclasses set ``dense_projection`` (whether the fused dense pass of
    :mod:`hee_brian.dense` runs there) and ``bulk_noise`` (whether the noise
    of :mod:`hee_brian.noise` does) and implement :meth:`run`.
    """

    #: Whether :mod:`hee_brian.dense`'s fused projection exists on this device.
    dense_projection = False

    #: Whether ``threads`` means OpenMP threads on this device.
    openmp = False

    #: Whether :mod:`hee_brian.noise` draws the noise in bulk on this device
    #: (elsewhere Brian2's ``randn()`` does).
    bulk_noise = False

    def __init__(self, name, threads=0):
        self.name = name
        self.threads = int(threads)
        self.times = BuildTimes()

    def run(self, model, spec, seed, **values):
        """Run ``spec``; return the :class:`~hee_brian.network.BuiltNetwork`."""
        raise NotImplementedError


def apply_values(values):
    """Assign run values directly (runtime device, or standalone placeholders)."""
    for owner, name, value in values:
        if isinstance(owner, TimedArray):
            continue  # TimedArray values are given at construction / run_args
        setattr(owner, name, value)


_REGISTRY: dict[str, type] = {}
_BACKENDS: dict = {}

#: Device names, in the order they were registered (filled by register_backend).
DEVICES: list = []


def register_backend(name, cls):
    """Make ``HEEModel(device=name)`` run on backend class ``cls``."""
    _REGISTRY[name] = cls
    if name not in DEVICES:
        DEVICES.append(name)


def backend_class(device):
    """The backend class registered for ``device`` (refusing unknown names)."""
    if device not in _REGISTRY:
        raise HEEParameterError(
            f"unknown device {device!r}; choose one of {tuple(DEVICES)}."
        )
    return _REGISTRY[device]


#: Neurons per thread (all populations and streams counted) of ``threads="auto"``.
AUTO_NEURONS_PER_THREAD = 4096


def usable_cores():
    """Cores this process may use: its dask worker's threads, else its CPU affinity."""
    # a dask worker has imported distributed; elsewhere, do not import it
    # (a second of start-up) just to learn that this is no worker
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            return max(int(distributed.get_worker().state.nthreads), 1)
        except (ValueError, AttributeError):
            pass
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_threads(model, spec):
    """The OpenMP threads of one run: the model's own, or its ``"auto"`` choice.

    ``"auto"``: one thread per :data:`AUTO_NEURONS_PER_THREAD` neurons of the
    run (every layer, its interneurons, all streams), at most
    :func:`usable_cores`; a run of fewer than two threads' worth gets no
    OpenMP at all (0), since opening a parallel region costs about half a
    microsecond, more than a small network's whole step.  Every OpenMP
    thread count gives the same numbers, and the choice between OpenMP and
    none depends on the network's size alone, so ``"auto"`` gives the same
    result on a laptop and on a 64-core node (where there is one core, a
    large network runs one OpenMP thread).
    """
    if model.threads != "auto":
        return model.threads
    if not backend_class(model.device).openmp:
        return 0
    K = model.n_interneurons
    neurons = spec.streams * sum(layer.n * (1 + K) for layer in model.layers)
    n = neurons // AUTO_NEURONS_PER_THREAD
    return 0 if n < 2 else min(n, usable_cores())


def get_backend(device: str, threads: int = 0):
    """The backend object for a device name (kept, so compiled projects persist)."""
    cls = backend_class(device)
    key = (device, int(threads))
    if key not in _BACKENDS:
        _BACKENDS[key] = cls(device, threads=threads)
    return _BACKENDS[key]


def choose_projection(device, projection, float32=False):
    """The projection implementation for ``projection`` on ``device``.

    ``"auto"`` is the fused dense pass where the device's backend has it,
    else the ``Synapses`` reference; ``"dense"`` and ``float32`` are refused
    where it does not exist.
    """
    if projection not in PROJECTIONS:
        raise HEEParameterError(f"projection must be one of {PROJECTIONS}, not {projection!r}.")
    dense_devices = tuple(d for d in DEVICES if _REGISTRY[d].dense_projection)
    has_dense = backend_class(device).dense_projection
    if projection == "dense" and not has_dense:
        raise HEEParameterError(
            f"projection='dense' exists for devices {dense_devices}, not "
            f"{device!r}; use projection='auto' or 'synapses'."
        )
    if projection == "auto":
        projection = "dense" if has_dense else "synapses"
    if float32 and projection != "dense":
        raise HEEParameterError(
            "float32=True needs the dense projection (projection='dense' on "
            f"{dense_devices}); the Synapses path is float64 only."
        )
    return projection
