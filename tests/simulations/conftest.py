"""Load the simulation scripts as modules, by file path (they are not a package)."""
import pytest


@pytest.fixture
def script(repo_script):
    """``script("demo_traces")`` is the module of ``simulations/demo_traces.py``."""
    return lambda name: repo_script("simulations", name)
