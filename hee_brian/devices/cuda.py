"""Make brian2cuda's ``cuda_standalone`` device work out of the box.

brian2cuda 1.0b1 with brian2 2.10.1 and a current CUDA toolkit needs a few
settings that a user should not have to know about.  :func:`configure_cuda_standalone`
applies them, and :mod:`hee_brian.devices` calls it before every
``cuda_standalone`` build, so a user only names the device:

* **CUDA root.**  brian2cuda derives the toolkit root from ``nvcc`` on the
  PATH; where that ``nvcc`` is a wrapper script or a symlink (as on machines
  with several toolkits) the derived root has no headers.  We resolve the real
  ``nvcc`` and set ``cuda_path`` to its root.
* **GPU selection without a GPU.**  Code generation asks ``nvidia-smi`` and
  ``deviceQuery`` for the GPU's compute capability.  With no GPU visible we
  switch detection off and compile for a fixed architecture
  (``$HEE_CUDA_COMPUTE_CAPABILITY``, default 8.0, which CUDA 12 and 13
  both support); with a GPU we read its compute capability from
  ``nvidia-smi --query-gpu=compute_cap`` (brian2cuda's own detection needs
  the ``deviceQuery`` sample binary, which toolkits no longer ship).
* **cuRAND.**  Recent toolkits installed from the NVIDIA wheels or slim
  images lack cuRAND; the ``nvidia-curand`` wheels (``nvidia-curand-cu12``,
  or ``nvidia-curand`` for CUDA 13) ship its headers and
  ``libcurand.so.10``.  We add their include directory, a link directory
  holding an unversioned ``libcurand.so`` symlink (the makefile links with
  ``-lcurand``) and an rpath, unless the toolkit has its own cuRAND.
* **C++17.**  brian2's gcc flags and brian2cuda's makefile hard-code
  ``-std=c++11``; the Thrust of CUDA >= 12 refuses anything below C++17.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from brian2 import prefs

from ..errors import HEEParameterError
from .cache import cache_dir
from .base import register_backend
from .standalone import StandaloneBackend

__all__ = ["configure_cuda_standalone", "find_cuda_root", "gpu_compute_capability",
           "curand_paths", "CPP_STANDARD", "CudaStandaloneBackend"]

#: The C++ standard used for host and device code (Thrust needs >= C++17).
CPP_STANDARD = "-std=c++17"

#: Compute capability compiled for when no GPU is visible.
DEFAULT_COMPUTE_CAPABILITY = 8.0


def find_cuda_root(nvcc=None):
    """Root of the CUDA toolkit whose real ``nvcc`` is behind ``nvcc`` on the PATH.

    Follows symlinks and one level of ``exec /path/to/nvcc`` wrapper scripts;
    ``$CUDA_PATH`` / ``$CUDA_HOME`` win when they hold ``bin/nvcc``.

    Returns
    -------
    str or None
        The directory holding ``bin/nvcc`` and ``include/cuda_runtime.h``,
        or None when no toolkit is found.
    """
    for env in ("CUDA_PATH", "CUDA_HOME"):
        root = os.environ.get(env)
        if root and (Path(root) / "bin" / "nvcc").is_file():
            return str(Path(root).resolve())
    nvcc = nvcc or shutil.which("nvcc")
    if nvcc is None:
        return None
    path = Path(nvcc).resolve()
    # A wrapper script (e.g. ``exec /usr/local/cuda-13.0/bin/nvcc "$@"``):
    # read the path it executes.
    try:
        head = path.read_bytes()[:4096]
    except OSError:
        head = b""
    if head.startswith(b"#!"):
        m = re.search(rb"exec\s+(\S+/nvcc)\b", head)
        if m:
            path = Path(m.group(1).decode()).resolve()
    root = path.parent.parent
    if (root / "bin" / "nvcc").is_file():
        return str(root)
    return None


def gpu_compute_capability(gpu_id=0):
    """Compute capability of visible GPU ``gpu_id`` from ``nvidia-smi``, or None."""
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [s.strip() for s in out.stdout.splitlines() if s.strip()]
    if out.returncode != 0 or len(lines) <= gpu_id:
        return None
    try:
        return float(lines[gpu_id])
    except ValueError:
        return None


def curand_paths(cuda_root, link_dir):
    """Include, link and runtime directories that provide cuRAND.

    Parameters
    ----------
    cuda_root : str
        The toolkit root; if it has ``curand.h`` and ``libcurand.so`` nothing
        else is needed.
    link_dir : Path
        Where to put an unversioned ``libcurand.so`` symlink to the wheel's
        ``libcurand.so.10`` when the toolkit has none.

    Returns
    -------
    (include_dirs, library_dirs, runtime_library_dirs) : tuple of lists
    """
    root = Path(cuda_root)
    has_header = (root / "include" / "curand.h").is_file()
    has_lib = any((root / d / "libcurand.so").exists() for d in ("lib64", "lib"))
    if has_header and has_lib:
        return [], [], []
    try:
        import nvidia.curand as nc
    except ImportError:
        raise HEEParameterError(
            f"the CUDA toolkit at {cuda_root} has no cuRAND, which brian2cuda needs; "
            "install it with `pip install nvidia-curand-cu12` (or `pip install "
            "hee-brian[cuda]`)."
        ) from None
    base = Path(list(nc.__path__)[0])
    inc, lib = base / "include", base / "lib"
    libs = sorted(lib.glob("libcurand.so*"))
    if not (inc / "curand.h").is_file() or not libs:
        raise HEEParameterError(
            f"the nvidia-curand wheel at {base} lacks curand.h or libcurand.so; "
            "reinstall it (pip install --force-reinstall nvidia-curand-cu12)."
        )
    link_dir = Path(link_dir)
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / "libcurand.so"
    if not link.exists():
        try:
            link.symlink_to(libs[-1])
        except FileExistsError:  # another process made it first
            pass
    return [str(inc)], [str(link_dir)], [str(lib)]


def _add_unique(pref_name, values):
    current = list(prefs[pref_name])
    prefs[pref_name] = current + [v for v in values if v not in current]


def configure_cuda_standalone(compute_capability=None, gpu_id=0):
    """Set every preference ``cuda_standalone`` needs here; safe to call repeatedly.

    Parameters
    ----------
    compute_capability : float, optional
        Architecture to compile for.  Default: the visible GPU's, else
        ``$HEE_CUDA_COMPUTE_CAPABILITY`` or 8.0.
    gpu_id : int
        GPU to run on.

    Returns
    -------
    dict
        What was chosen: ``cuda_path``, ``gpu``, ``compute_capability``,
        ``curand`` (include/link/rpath directories, empty when the toolkit
        has cuRAND).
    """
    try:
        import brian2cuda  # noqa: F401  (registers the cuda_standalone device)
    except ImportError:
        raise HEEParameterError(
            "device='cuda_standalone' needs brian2cuda; install it with "
            "`pip install brian2cuda==1.0b1 nvidia-curand-cu12` (or `pip install "
            "hee-brian[cuda]`)."
        ) from None
    root = find_cuda_root()
    if root is None:
        raise HEEParameterError(
            "device='cuda_standalone' needs the CUDA toolkit (nvcc); none was found on "
            "the PATH or in $CUDA_PATH. Install it or set CUDA_PATH to its root."
        )
    backend = prefs.devices.cuda_standalone.cuda_backend
    backend.cuda_path = root
    gpu_cc = gpu_compute_capability(gpu_id)
    if compute_capability is None:
        compute_capability = gpu_cc or float(
            os.environ.get("HEE_CUDA_COMPUTE_CAPABILITY", DEFAULT_COMPUTE_CAPABILITY)
        )
    # Detection needs deviceQuery (no longer shipped); we know what it would say.
    backend.detect_gpus = False
    backend.gpu_id = int(gpu_id)
    backend.compute_capability = float(compute_capability)

    inc, libdirs, rpaths = curand_paths(root, cache_dir() / "curand_lib")
    _add_unique("codegen.cpp.include_dirs", inc)
    _add_unique("codegen.cpp.library_dirs", libdirs)
    _add_unique("codegen.cpp.runtime_library_dirs", rpaths)

    flags = [f for f in prefs["codegen.cpp.extra_compile_args_gcc"]
             if not f.startswith("-std=")]
    prefs["codegen.cpp.extra_compile_args_gcc"] = flags + [CPP_STANDARD]
    return {
        "cuda_path": root,
        "gpu": gpu_cc is not None,
        "compute_capability": float(compute_capability),
        "curand": {"include": inc, "lib": libdirs, "rpath": rpaths},
    }


def _cpp17_device_class():
    """brian2cuda's device, writing ``-std=c++17`` into the makefiles it generates.

    A subclass, so brian2cuda itself is left as it is.
    """
    from brian2cuda.device import CUDAStandaloneDevice

    class CUDAStandaloneDeviceCpp17(CUDAStandaloneDevice):
        def generate_makefile(self, writer, *args, **kwds):
            write = writer.write

            def write_cpp17(filename, contents):
                if filename == "makefile":
                    contents = contents.replace("-std=c++11", CPP_STANDARD)
                return write(filename, contents)

            writer.write = write_cpp17
            try:
                return super().generate_makefile(writer, *args, **kwds)
            finally:
                writer.write = write

    return CUDAStandaloneDeviceCpp17


class CudaStandaloneBackend(StandaloneBackend):
    """brian2cuda's ``cuda_standalone``: the cpp_standalone scheme on the GPU.

    The duration and the recording interval still select the compiled
    project (its main code is not patched); the fused dense projection is a
    cpp_standalone template and does not exist here.
    """

    dense_projection = False
    bulk_noise = False  # brian2cuda already fills cuRAND buffers in bulk
    openmp = False
    values_are_run_args = False
    precompiled_header = False  # nvcc's makefile, not GCC's

    def new_device(self):
        configure_cuda_standalone()  # imports brian2cuda, or says how to install it
        return _cpp17_device_class()()

    def configure(self):
        configure_cuda_standalone()

    def seed_code(self, device, built):
        # brian2cuda's cuRAND host and device generators (what brian2.seed()
        # emits), with the seed a run_arg
        seed_array = device.get_array_name(built.seed_holder.variables["seed"])
        return ("random_number_buffer.set_seed("
                f"(unsigned long long)brian::{seed_array}[0]);")


register_backend("cuda_standalone", CudaStandaloneBackend)
