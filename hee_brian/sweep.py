"""Many simulations at once: a parameter grid times seeds on dask.distributed.

:func:`sweep` runs ``fn(**params, seed=seed)`` for every grid point and seed
on a dask cluster: by default a ``LocalCluster`` of single-threaded worker
processes on this machine, or any ``distributed.Client`` or scheduler
address (an HPC queue through dask-jobqueue, a cloud cluster).  Models are
built inside the workers, never pickled; each worker process keeps the
standalone projects it compiled, so points that differ only in values
compile nothing, and workers on one machine share one compile cache safely
(:mod:`hee_brian.devices.cache`).

A row's result depends only on its parameters and seed, never on the number
of workers, their order or a resume.  With ``out``, every finished row is
written at once (``out/rows/<id>.json``, arrays in ``out/arrays/<id>.npz``)
and the table to ``out/sweep.csv``; running the same call again reruns only
the rows that are missing or failed.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import socket
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from .errors import HEEParameterError
from .report import read_json, write_json

__all__ = ["sweep", "expand_grid", "local_cluster"]


def expand_grid(grid, seeds=None):
    """The rows of a sweep: a list of (params, seed), in a fixed order.

    Parameters
    ----------
    grid : dict of lists or list of dicts
        A dict gives the product of its lists (keys in the order given); a
        list gives its points as they are.
    seeds : int, list of int or None
        An int ``n`` means seeds ``0 .. n-1``; None runs each point once
        without a seed.

    Returns
    -------
    list of (dict, int or None)
    """
    if isinstance(grid, dict):
        for key, values in grid.items():
            if not isinstance(values, (list, tuple, np.ndarray)) or len(values) == 0:
                raise HEEParameterError(
                    f"grid[{key!r}] must be a non-empty list of values, got {values!r}."
                )
        keys = list(grid)
        points = [dict(zip(keys, combo)) for combo in itertools.product(*grid.values())]
    elif isinstance(grid, (list, tuple)) and all(isinstance(p, dict) for p in grid):
        points = [dict(p) for p in grid]
    else:
        raise HEEParameterError(
            "grid must be a dict of lists (their product) or a list of dicts, "
            f"got {type(grid).__name__}."
        )
    if seeds is None:
        seed_list = [None]
    elif isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise HEEParameterError(f"seeds must be >= 1 or a list, got {seeds}.")
        seed_list = list(range(int(seeds)))
    else:
        seed_list = [int(s) for s in seeds]
    for p in points:
        if "seed" in p:
            raise HEEParameterError(
                "a grid point sets 'seed'; give seeds with seeds=... (each point runs "
                "once per seed)."
            )
    return [(p, s) for p in points for s in seed_list]


def _spread_order(n):
    """0..n-1 ordered by their bit-reversed binary digits (0, n/2, n/4, 3n/4, ...)."""
    bits = max(1, (n - 1).bit_length())
    return sorted(range(n), key=lambda k: int(f"{k:0{bits}b}"[::-1], 2))


def _row_id(params, seed):
    """A name for a row that depends on its parameters and seed only."""
    text = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=repr)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _run_row(fn, params, seed):
    """Run one row in a worker: scalars and arrays back, errors as a status."""
    from .devices import compilations

    before = compilations()
    t0 = time.perf_counter()
    kwds = dict(params) if seed is None else {**params, "seed": seed}
    try:
        result = fn(**kwds)
        if not isinstance(result, dict):
            raise TypeError(f"the sweep function must return a dict, got {type(result).__name__}")
        status = "ok"
    except Exception as exc:  # a refused or diverging point is a row, not a crash
        result = {}
        status = f"{type(exc).__name__}: {exc}"
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        if last and not str(exc):
            status += f" (at {last[0].filename}:{last[0].lineno})"
    scalars, arrays = {}, {}
    for key, value in result.items():
        if isinstance(value, (bool, int, float, str, np.integer, np.floating)) or value is None:
            scalars[key] = value.item() if isinstance(value, np.generic) else value
        else:
            arrays[key] = np.asarray(value)
    return {"status": status, "scalars": scalars, "arrays": arrays,
            "wall_s": time.perf_counter() - t0, "compiled": compilations() - before,
            "worker": f"{socket.gethostname()}:{os.getpid()}"}


def local_cluster(n_workers=None):
    """A dask ``LocalCluster`` made for sweeps: one single-threaded process per worker.

    What :func:`sweep` starts when given no client.  The workers'
    statistical profiler is off: it samples every thread 100 times a second
    for the dashboard's flame graphs, and since a row mostly waits on a
    compiled binary that sampling is pure overhead (about 3 % of a core per
    worker; docs/performance.md section 6).

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default: one per core).

    Returns
    -------
    distributed.LocalCluster
        Use it as ``with local_cluster(4) as cluster, Client(cluster) as client:``.
    """
    import dask
    from distributed import LocalCluster

    n = (os.cpu_count() or 1) if n_workers is None else int(n_workers)
    if n < 1:
        raise HEEParameterError(f"n_workers must be >= 1, got {n_workers}.")
    # set when the cluster is made: the nannies hand this config to the workers
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                            dashboard_address=":0")


def _client(client):
    """(client, close_when_done) for ``client`` = None, a Client, or an address."""
    from distributed import Client

    if client is None:
        return Client(local_cluster()), True
    if isinstance(client, str):
        return Client(client), True
    if isinstance(client, Client):
        return client, False
    raise HEEParameterError(
        "client must be None (a LocalCluster on this machine), a distributed.Client, "
        f"or a scheduler address such as 'tcp://10.0.0.5:8786', got {client!r}."
    )


def _pickle_by_value_if_not_importable(fn):
    """Ship ``fn`` by value when workers could not import its module by name.

    A function of a script or a test file lives in a module that a worker
    process cannot import; cloudpickle then sends the function itself.
    """
    import importlib.util

    import cloudpickle

    name = getattr(fn, "__module__", None)
    if not name or name == "__main__" or name not in sys.modules:
        return
    try:
        importable = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        importable = False
    if not importable:
        cloudpickle.register_pickle_by_value(sys.modules[name])


def _save_row(out, rid, row):
    if row["arrays"]:
        tmp = out / "arrays" / f"{rid}.tmp.npz"
        np.savez(tmp, **row["arrays"])
        os.replace(tmp, out / "arrays" / f"{rid}.npz")
    record = {k: v for k, v in row.items() if k != "arrays"}
    record["arrays"] = sorted(row["arrays"])
    write_json(out / "rows" / f"{rid}.json", record)


def _report(progress, done, total, failed, t0):
    if not progress:
        return
    info = {"done": done, "total": total, "failed": failed,
            "elapsed_s": time.perf_counter() - t0}
    rate = done / info["elapsed_s"] if info["elapsed_s"] > 0 else math.nan
    info["left_s"] = (total - done) / rate if rate > 0 else math.nan
    if callable(progress):
        progress(info)
    else:
        print(f"sweep: {done}/{total} rows ({failed} failed), ~{info['left_s']:.0f} s left",
              file=sys.stderr, flush=True)


def sweep(fn, grid, *, seeds=None, client=None, out=None, progress=True, retries=2):
    """Run ``fn`` over a parameter grid and seeds on dask.distributed.

    Parameters
    ----------
    fn : callable
        ``fn(**params, seed=seed) -> dict`` builds and runs a model inside
        the worker and returns scalars (numbers, strings) and/or arrays.  It
        must be importable or picklable (a module-level function).
    grid : dict of lists or list of dicts
        Parameter points (see :func:`expand_grid`).
    seeds : int, list of int, optional
        Each point runs once per seed, passed to ``fn`` as ``seed=``.
    client : None, distributed.Client or str
        None starts a ``LocalCluster`` with one single-threaded worker
        process per core and closes it at the end; a scheduler address
        (``"tcp://host:8786"``) connects to a running cluster.
    out : str or Path, optional
        Folder for the table (``sweep.csv``), one JSON file per row and the
        arrays (``arrays/<id>.npz``).  Rerunning the same call resumes: rows
        already done are read back, missing or failed ones rerun.
    progress : bool or callable
        Print rows done and time left on stderr, or call ``progress(dict)``.
    retries : int
        Times dask reruns a row whose worker died.

    Returns
    -------
    pandas.DataFrame
        One row per (point, seed): the parameters, ``seed``, the returned
        scalars, ``status`` ("ok" or the error's type and message),
        ``wall_s``, ``compiled`` (projects the row compiled) and ``worker``;
        ``id`` names the row's files in ``out``.
    """
    import pandas as pd
    from distributed import as_completed

    if not callable(fn):
        raise HEEParameterError(f"fn must be callable, got {fn!r}.")
    _pickle_by_value_if_not_importable(fn)
    rows = expand_grid(grid, seeds)
    ids = [_row_id(p, s) for p, s in rows]
    results = {}
    if out is not None:
        out = Path(out)
        (out / "rows").mkdir(parents=True, exist_ok=True)
        (out / "arrays").mkdir(exist_ok=True)
        for rid in ids:
            path = out / "rows" / f"{rid}.json"
            if path.exists():
                record = read_json(path)
                if record["status"] == "ok":
                    results[rid] = record
    todo = [(rid, p, s) for rid, (p, s) in zip(ids, rows) if rid not in results]
    # Submit in a spread-out order (bit-reversed index): neighbouring rows of a
    # grid usually share a network structure, so this lets the first tasks of
    # the workers compile different structures at once instead of queueing
    # for the same one.  Results do not depend on the order.
    todo = [todo[k] for k in _spread_order(len(todo))]
    t0 = time.perf_counter()
    failed = 0
    if todo:
        dask_client, close = _client(client)
        try:
            futures = {dask_client.submit(_run_row, fn, p, s, key=f"hee-sweep-{rid}",
                                          pure=False, retries=retries): rid
                       for rid, p, s in todo}
            for future in as_completed(futures):
                rid = futures[future]
                row = future.result()
                failed += row["status"] != "ok"
                if out is not None:
                    _save_row(out, rid, row)
                results[rid] = {k: v for k, v in row.items() if k != "arrays"}
                results[rid]["arrays"] = sorted(row["arrays"])
                _report(progress, len(results), len(rows), failed, t0)
        finally:
            if close:
                dask_client.close()
                if client is None:
                    dask_client.cluster.close()
    table = []
    for rid, (params, seed) in zip(ids, rows):
        r = results[rid]
        table.append({**params, "seed": seed, **r["scalars"], "status": r["status"],
                      "wall_s": r["wall_s"], "compiled": r["compiled"], "worker": r["worker"],
                      "id": rid})
    frame = pd.DataFrame(table)
    if out is not None:
        frame.to_csv(out / "sweep.csv", index=False)
    return frame
