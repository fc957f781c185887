"""Load the simulation scripts as modules, by file path (they are not a package)."""
import importlib.util
from pathlib import Path

import pytest

SIMULATIONS = Path(__file__).resolve().parents[2] / "simulations"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SIMULATIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script():
    """``script("demo_traces")`` is the module of ``simulations/demo_traces.py``."""
    return _load
