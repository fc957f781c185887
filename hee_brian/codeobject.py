"""The cpp_standalone code object of hee-brian's own templates.

Two passes of every step are hand-written C++ rather than Brian2-generated
loops, because they are the same for every HEE model and Brian2's loops
cannot express them efficiently: the fused dense projection
(:mod:`hee_brian.dense`, ``templates/hee_dense_projection.cpp``) and the
bulk noise (:mod:`hee_brian.noise`, ``templates/hee_noise.cpp``).  Both are
Brian2 ``CodeRunner`` objects whose code objects find their templates here,
next to Brian2's own.
"""
from __future__ import annotations

from pathlib import Path

from brian2.devices.cpp_standalone.codeobject import CPPStandaloneCodeObject
from jinja2 import ChoiceLoader, FileSystemLoader

__all__ = ["HEECodeObject", "TEMPLATE_DIR"]

#: hee-brian's Jinja templates.
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


class HEECodeObject(CPPStandaloneCodeObject):
    """cpp_standalone code object that also knows hee-brian's templates."""

    templater = CPPStandaloneCodeObject.templater.derive("brian2.devices.cpp_standalone")
    templater.env.loader = ChoiceLoader(
        [FileSystemLoader(str(TEMPLATE_DIR)), templater.env.loader]
    )
