"""The cache of compiled standalone projects.

A project directory under :func:`cache_dir` is keyed by the network's
structure and by :func:`toolchain_id` (compiler, flags, CPU target) and the
hee-brian sources (:func:`source_fingerprint`).  Builds run under a file
lock and mark the folder complete only once they succeeded; every process
writes its runs into a results folder of its own, removed at exit.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from brian2 import prefs
from brian2.utils.filelock import FileLock

__all__ = ["cache_dir", "compilations", "toolchain_id", "source_fingerprint",
           "COMPLETE_MARKER", "build_once", "results_folder"]

#: Marker written into a project directory once its build succeeded.
COMPLETE_MARKER = ".hee_complete.json"


def cache_dir() -> Path:
    """Directory holding compiled standalone projects (``$HEE_BRIAN_CACHE``), absolute.

    Absolute because the binaries run inside their project folder: a run
    argument's file named relative to the caller's working directory would
    not be found there, and Brian2's binary then keeps the built values
    without failing (it only prints "Error reading ...").
    """
    root = os.environ.get("HEE_BRIAN_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "hee_brian"
    )
    return Path(root).resolve()


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


_FINGERPRINT: list = []


def source_fingerprint():
    """hee-brian's version and a fingerprint of its code-generating sources.

    The fingerprint makes an edited checkout (same version number, other
    equations) compile its own projects instead of running stale ones.
    """
    from .. import __version__

    if not _FINGERPRINT:
        root = Path(__file__).resolve().parents[1]  # the hee_brian package
        h = hashlib.sha1()
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".cpp", ".h") and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
        _FINGERPRINT.append(h.hexdigest()[:16])
    return f"{__version__}+{_FINGERPRINT[0]}"




def build_once(directory, device_name, build):
    """Run ``build()`` into ``directory`` unless a complete project is there.

    Holds a file lock beside the directory, so concurrent processes build a
    structure once; a folder left incomplete by a crash is removed first.

    Returns
    -------
    bool
        Whether this call compiled the project.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory) + ".lock"):
        if (directory / COMPLETE_MARKER).exists():
            return False
        shutil.rmtree(directory, ignore_errors=True)
        build()
        info = {"host": socket.gethostname(), "pid": os.getpid(), "time": time.time(),
                "device": device_name}
        tmp = directory / (COMPLETE_MARKER + ".tmp")
        tmp.write_text(json.dumps(info))
        os.replace(tmp, directory / COMPLETE_MARKER)
    _COMPILED[device_name] = _COMPILED.get(device_name, 0) + 1
    return True


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




def results_folder(directory):
    """A results folder of this process inside project ``directory`` (relative path)."""
    directory = Path(directory)
    _remove_orphaned_results(directory / "results")
    rel = os.path.join("results", f"{socket.gethostname()}-{os.getpid()}-"
                                  f"{os.urandom(4).hex()}")
    _OWN_RESULTS.append(str(directory / rel))
    return rel
