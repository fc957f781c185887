"""A precompiled header of the C++ standard library for cpp_standalone builds.

A Brian2 standalone project has one translation unit per code object (about
twenty for a two-layer model), and each one parses the same standard
headers (``<iostream>``, ``<random>``, ``<vector>``, ...) that Brian2's
``objects.h`` and code-object templates include: most of a unit's compile
time.  GCC can load them from a precompiled header instead.  This module
builds that header once per compiler and flag set into the compile cache
(under a file lock, so concurrent processes build it once) and makes a
project's makefile force-include it (``-include``) ahead of every unit.

The header holds only standard headers that the generated sources include
anyway, so the code compiled is the same; only the parsing is saved.  GCC
checks a precompiled header against the flags of each compilation and
parses the plain header where they differ, and :func:`precompiled_header`
only returns one that GCC accepted for these flags.  Set
``HEE_BRIAN_PCH=0`` to build without it.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from brian2.utils.filelock import FileLock

from .cache import cache_dir

__all__ = ["STANDARD_HEADERS", "precompiled_header", "use_precompiled_header", "enabled"]

#: What the header includes: the standard headers of Brian2's brianlib,
#: objects.h and code-object templates, and of hee-brian's own templates.
STANDARD_HEADERS = (
    "algorithm", "cassert", "chrono", "climits", "cmath", "cstddef", "cstdint", "cstdlib",
    "cstring", "ctime", "fstream", "iostream", "iterator", "limits", "map", "random", "set",
    "sstream", "string", "type_traits", "utility", "vector", "math.h", "stdint.h", "stdlib.h",
)

HEADER_NAME = "hee_pch.h"

# The makefile line of Brian2's cpp_standalone template that the -include
# goes into; its $(OPTIMISATIONS) are the compiler flags of the project.
_CXXFLAGS = "CXXFLAGS = -c -Wno-write-strings $(OPTIMISATIONS)"


def enabled() -> bool:
    """Whether builds use the precompiled header (``HEE_BRIAN_PCH`` not ``0``)."""
    return os.environ.get("HEE_BRIAN_PCH", "1").strip() not in ("0", "false", "no", "off")


def _compiler():
    """The C++ compiler the makefile runs (make's ``$(CXX)``) and whether it is GCC."""
    return _identify(os.environ.get("CXX") or "g++")


@functools.lru_cache(maxsize=None)
def _identify(cxx):
    """(cxx, its ``--version`` line if it is GCC else ""), asked once per process."""
    exe = shutil.which(shlex.split(cxx)[0])
    if exe is None:
        return cxx, ""
    out = subprocess.run([*shlex.split(cxx), "--version"], capture_output=True, text=True)
    first = out.stdout.splitlines()[0] if out.stdout else ""
    # clang answers "clang version ..." and has its own PCH format
    return cxx, first if ("g++" in first or "GCC" in first) and "clang" not in first else ""


def _makefile_flags(makefile_text):
    """The compile flags of a generated makefile's units, without ``-c``."""
    lines = dict(line.split(" = ", 1) for line in makefile_text.splitlines() if " = " in line)
    flags = lines["CXXFLAGS"].replace("$(OPTIMISATIONS)", lines["OPTIMISATIONS"])
    return [f for f in shlex.split(flags) if f != "-c"]


def precompiled_header(flags) -> Path | None:
    """A precompiled standard-library header for these compile flags.

    Built once into ``<cache>/pch/<key>/`` (the key: the compiler's
    identity, the flags and the header's text) and checked with ``g++ -H``,
    which marks a header it loaded precompiled with ``!``.

    Parameters
    ----------
    flags : list of str
        The flags every unit of the project is compiled with.

    Returns
    -------
    Path or None
        The header to ``-include`` (its ``.gch`` beside it), or None where
        the compiler is not GCC or GCC would not use it.
    """
    cxx, version = _compiler()
    if not version:
        return None
    text = "".join(f"#include <{name}>\n" for name in STANDARD_HEADERS)
    key = hashlib.sha1("\n".join([version, *flags, text]).encode()).hexdigest()[:16]
    folder = cache_dir() / "pch" / key
    header = folder / HEADER_NAME
    done = folder / "usable"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if done.exists():
            return header if done.read_text() == "yes" else None
        header.write_text(text)
        tmp = folder / (HEADER_NAME + ".gch.tmp")
        build = subprocess.run([*shlex.split(cxx), "-x", "c++-header", *flags, str(header),
                                "-o", str(tmp)], capture_output=True, text=True)
        usable = False
        if build.returncode == 0:
            os.replace(tmp, folder / (HEADER_NAME + ".gch"))
            probe = subprocess.run([*shlex.split(cxx), *flags, "-include", str(header), "-H",
                                    "-fsyntax-only", "-x", "c++", "-"],
                                   input="int main() { return 0; }\n",
                                   capture_output=True, text=True)
            usable = probe.returncode == 0 and f"! {header}.gch" in probe.stderr
        done.write_text("yes" if usable else "no")
    return header if usable else None


def use_precompiled_header(directory) -> bool:
    """Make a generated cpp_standalone project force-include the header.

    Parameters
    ----------
    directory : str or Path
        The project, after Brian2 wrote its sources and makefile.

    Returns
    -------
    bool
        Whether the makefile now includes a precompiled header.
    """
    if not enabled():
        return False
    makefile = Path(directory) / "makefile"
    text = makefile.read_text()
    if _CXXFLAGS not in text:
        return False
    header = precompiled_header(_makefile_flags(text))
    if header is None:
        return False
    makefile.write_text(text.replace(_CXXFLAGS, f"{_CXXFLAGS} -include {shlex.quote(str(header))}",
                                     1))
    return True
