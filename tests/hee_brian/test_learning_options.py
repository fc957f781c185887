"""Learning options (rates per layer, a rate schedule, synaptic scaling) and the
readout threshold (fast; NumPy runtime target)."""
import numpy as np
import pytest
from brian2 import Hz, ms

import hee_brian as hb
from hee_brian.learning import annealed


def small_model(**kwds):
    kwds.setdefault("device", "numpy")
    kwds.setdefault("seed", 7)
    model = hb.HEEModel([hb.Layer(6, "gaussian", sigma=0.5),
                         hb.Layer(4, "sparse", lam=1.0, delta=0.2, s=3.0),
                         hb.Layer(2, "gaussian", sigma=1.0)], **kwds)
    rng = np.random.default_rng(3)
    model.set_weights(W=[0.3 * rng.normal(size=(6, 4)), 0.3 * rng.normal(size=(4, 2))])
    return model


DATA = np.random.default_rng(4).normal(size=(8, 6))
KW = dict(presentation=1 * ms, chunk=4, progress=False, seed=11)


def test_rates_per_projection_and_per_layer_move_only_their_parameters():
    model = small_model()
    W0, W1 = model.weights
    model.learn(DATA, eta_w=[2 * Hz, 0 * Hz], eta_b=[0 * Hz, 1 * Hz, 0 * Hz], **KW)
    assert not np.allclose(model.weights[0], W0)
    np.testing.assert_array_equal(model.weights[1], W1)
    assert np.all(model.biases[0] == 0) and np.all(model.biases[2] == 0)
    assert np.any(model.biases[1] != 0)


@pytest.mark.parametrize("kwds, match", [
    (dict(eta_w=[1 * Hz]), "eta_w has 1 rates but the model has 2 projections"),
    (dict(eta_b=[1 * Hz] * 2), "eta_b has 2 rates but the model has 3 layers"),
    (dict(eta_w=[1 * Hz, 1]), r"eta_w\[1\] must be a rate"),
    (dict(rate_schedule=2.0), "rate_schedule must be a function"),
    (dict(rate_schedule=lambda f: -1.0), "rate_schedule gave factor -1"),
    (dict(column_norms=[1.0]), "column_norms must be a list with one entry per projection"),
    (dict(column_norms=[None, 0.0]), r"column_norms\[1\] = 0.0 must be None or a norm > 0"),
])
def test_bad_learning_options_are_refused_by_name(kwds, match):
    with pytest.raises(hb.HEEParameterError, match=match):
        small_model().learn(DATA, **{"eta_w": 1 * Hz, **kwds, **KW})


def test_a_schedule_factor_scales_every_rate_exactly():
    """Rates x factor 2 give bit for bit what rates twice as large give."""
    doubled = small_model()
    doubled.learn(DATA, eta_w=2 * Hz, eta_b=0.5 * Hz, **KW)
    scheduled = small_model()
    scheduled.learn(DATA, eta_w=1 * Hz, eta_b=0.25 * Hz, rate_schedule=lambda f: 2.0, **KW)
    for a, b in zip(doubled.weights + doubled.biases, scheduled.weights + scheduled.biases):
        np.testing.assert_array_equal(a, b)
    frozen = small_model()
    frozen.learn(DATA, eta_w=1 * Hz, eta_b=1 * Hz, rate_schedule=lambda f: 0.0, **KW)
    for a, b in zip(frozen.weights, small_model().weights):
        np.testing.assert_array_equal(a, b)


def test_annealed_falls_geometrically_from_start_to_end():
    f = annealed(4, 1)
    assert f(0) == 4.0 and f(0.5) == pytest.approx(2.0, rel=1e-12) and f(1) == 1.0
    with pytest.raises(hb.HEEParameterError, match="must be > 0"):
        annealed(0, 1)


def test_column_norms_rescale_the_named_projection_only():
    model = small_model()
    model.learn(DATA, eta_w=2 * Hz, column_norms=[None, 0.7], **KW)
    np.testing.assert_allclose(np.linalg.norm(model.weights[1], axis=0), 0.7, rtol=1e-12)
    assert not np.allclose(np.linalg.norm(model.weights[0], axis=0),
                           np.linalg.norm(small_model().weights[0], axis=0))


def test_readout_threshold_shapes_the_rate_and_persists(tmp_path):
    model = small_model(readout="relu", rate_scale=5000 * Hz, rate_threshold=0.5)
    assert "rate_threshold" in model.equations()
    rec = model.infer(DATA[0], 10 * ms, record_every=1 * ms, spikes=True)
    x = rec.x[1]
    np.testing.assert_allclose(rec.rates(1), 5000 * np.clip(x - 0.5, 0, None), rtol=1e-12)
    model.save(tmp_path / "m.npz")
    assert hb.HEEModel.load(tmp_path / "m.npz").rate_threshold == 0.5
    # far above every state the readout is silent; far below it fires on every neuron
    silent = small_model(readout="relu", rate_scale=5000 * Hz, rate_threshold=1e3)
    assert silent.infer(DATA[0], 10 * ms, spikes=True).spikes[1].t.size == 0
    loud = small_model(readout="relu", rate_scale=5000 * Hz, rate_threshold=-1e3)
    assert set(loud.infer(DATA[0], 2 * ms, spikes=True).spikes[1].i) == {0, 1, 2, 3}


@pytest.mark.parametrize("value", [np.nan, "high", 1 * ms])
def test_a_bad_readout_threshold_is_refused(value):
    with pytest.raises(hb.HEEParameterError, match="rate_threshold must be"):
        small_model(rate_threshold=value)
