"""Named HEE model definitions, loaded by name.

Each module in this package defines one named model (or a family of
variants): its sizes, exponential families, time constants and training
settings.  A model module provides

* ``build(**overrides) -> hee_brian.HEEModel`` — the untrained model, where
  ``overrides`` replace any keyword of :class:`hee_brian.HEEModel` (device,
  seed, dt, ...);
* ``TRAINING`` (optional) — a dict of defaults for ``HEEModel.learn`` and
  the data it is trained on.

Scripts load models by name:

>>> from hee_brian import models
>>> model = models.build("demo", device="runtime")
>>> model.sizes
[64, 16]
>>> models.available()
['demo', 'digits', 'linear_gaussian', 'v1']
"""
from __future__ import annotations

import importlib
import pkgutil

from hee_brian.errors import HEEParameterError

__all__ = ["available", "get", "build"]


def available():
    """Names of the model definitions in this package."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get(name):
    """The module that defines the named model.

    Raises
    ------
    HEEParameterError
        If no such model exists (the message lists those that do).
    """
    if name not in available():
        raise HEEParameterError(
            f"unknown model {name!r}; choose one of {available()} (modules in models/)."
        )
    return importlib.import_module(f"{__name__}.{name}")


def build(name, **overrides):
    """Build the named model, untrained; ``overrides`` go to ``HEEModel``."""
    return get(name).build(**overrides)
