"""Export of recordings to the formats the field keeps its data in.

* :mod:`hee_brian.export.neo` -- a ``neo.Block``, one ``Segment`` per
  trial, ready for Elephant;
* :mod:`hee_brian.export.nwb` -- an NWB file (pynwb): units, trials,
  epochs, state and rate traces, the stimuli and the model's metadata.

Both need the ``io`` extra: ``pip install "hee-brian[io]"``.
"""
from __future__ import annotations

import importlib

from ..errors import HEEParameterError

__all__ = ["require"]


def require(module):
    """Import an optional export dependency, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise HEEParameterError(
            f"exporting needs the {module!r} package: pip install \"hee-brian[io]\" "
            "(neo, pynwb, elephant)."
        ) from None
