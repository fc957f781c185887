"""The backend interface and the registry of devices.

A backend runs one :class:`~hee_brian.network.RunSpec` of a model: it builds
(or finds already built) the Brian2 objects, sets the run's values and runs
them.  Backends register under the device names users give
(``HEEModel(device=...)``), as Brian2's own devices do in ``all_devices``.
"""
from __future__ import annotations

from brian2 import TimedArray

from ..errors import HEEParameterError

__all__ = ["Backend", "BuildTimes", "register_backend", "get_backend", "backend_class",
           "DEVICES"]


class BuildTimes(dict):
    """Seconds spent in the last call: ``codegen``, ``compile``, ``run``."""


class Backend:
    """Runs HEE networks on one Brian2 device.

    Subclasses set ``dense_projection`` (whether the fused dense pass of
    :mod:`hee_brian.dense` runs there) and implement :meth:`run`.
    """

    #: Whether :mod:`hee_brian.dense`'s fused projection exists on this device.
    dense_projection = False

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


def get_backend(device: str, threads: int = 0):
    """The backend object for a device name (kept, so compiled projects persist)."""
    cls = backend_class(device)
    key = (device, int(threads))
    if key not in _BACKENDS:
        _BACKENDS[key] = cls(device, threads=threads)
    return _BACKENDS[key]
