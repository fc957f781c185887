"""The examples in the docstrings run and show what they say (doctest)."""
import doctest
import importlib
import pkgutil

import pytest

import hee_brian
import hee_brian.analysis
import hee_brian.models


def _modules():
    names = []
    for package in (hee_brian, hee_brian.models, hee_brian.analysis):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return sorted(set(names))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
