"""The fused dense projection (hee_brian.dense) against the plain Synapses path.

Both integrate the same equations with the same explicit Euler step and draw
the same random numbers in the same order, so with one seed they must agree
to floating-point rounding (differences come only from the summation order
the compiler picks): inference traces, learned weights and biases.
"""
import numpy as np
import pytest
from brian2 import Hz, ms

import hee_brian as hb

# Rounding differences of ~1e-16 per operation, amplified over a few
# thousand Euler steps, stay many orders of magnitude below this.
FP_TOL = 1e-9


def three_layer(projection, seed=2, **kwds):
    """16 -> 8 -> 4 with tanh: unequal sizes and a nonlinear phi, so a swapped
    pre/post index or a wrong phi would show."""
    model = hb.HEEModel(
        [hb.Layer(16, "gaussian", sigma=0.5), hb.Layer(8, "sparse", lam=1.0, delta=0.2, s=3.0),
         hb.Layer(4, "gaussian", sigma=1.0)],
        phi="tanh", tau_x=10 * ms, device="cpp_standalone", seed=seed,
        projection=projection, **kwds,
    )
    rng = np.random.default_rng(seed)
    model.set_weights(W=[rng.normal(0, 0.3, (16, 8)), rng.normal(0, 0.3, (8, 4))],
                      b=[rng.normal(0, 0.1, n) for n in (16, 8, 4)])
    return model


def learn_once(projection, plasticity_dt=None, streams=1, **kwds):
    model = three_layer(projection, **kwds)
    data = np.random.default_rng(7).normal(0, 1, (4 * streams, 16))
    model.learn(data, presentation=2.5 * ms, eta_w=20 * Hz, eta_b=5 * Hz, chunk=4 * streams,
                progress=False, seed=11, plasticity_dt=plasticity_dt, streams=streams)
    return model


def test_default_projection_is_dense_on_cpp_and_synapses_elsewhere():
    layers = [hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(2, "gaussian", sigma=1.0)]
    assert hb.HEEModel(layers, device="cpp_standalone").projection_impl == "dense"
    assert hb.HEEModel(layers, device="runtime").projection_impl == "synapses"
    assert hb.HEEModel(layers, device="cuda_standalone").projection_impl == "synapses"


@pytest.mark.parametrize("kwds, word", [
    ({"projection": "fused"}, "projection"),
    ({"projection": "dense", "device": "runtime"}, "dense"),
    ({"float32": True, "device": "numpy"}, "float32"),
    ({"float32": True, "projection": "synapses"}, "float32"),
])
def test_bad_projection_settings_are_refused(kwds, word):
    layers = [hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(2, "gaussian", sigma=1.0)]
    with pytest.raises(hb.HEEParameterError, match=word):
        hb.HEEModel(layers, **kwds)


def test_projection_is_an_execution_setting_given_at_load(tmp_path):
    """The model file holds the model, not how this machine ran it."""
    model = three_layer("synapses")
    model.save(tmp_path / "m.npz")
    assert "projection" not in model.config() and "device" not in model.config()
    assert hb.HEEModel.load(tmp_path / "m.npz").projection == "auto"
    again = hb.HEEModel.load(tmp_path / "m.npz", projection="synapses")
    assert again.projection == "synapses" and again.float32 is False
    np.testing.assert_array_equal(again.weights[0], model.weights[0])


def test_dense_equals_synapses_learning_every_step():
    """Same seed: learned weights and biases agree to fp tolerance, while
    learning changed them by far more than that.  The biases integrate
    x - epsbar of every layer, so they also check the summed inputs."""
    dense = learn_once("dense")
    syn = learn_once("synapses")
    start = three_layer("dense")
    for l in range(2):
        change = np.max(np.abs(syn.weights[l] - start.weights[l]))
        assert change > 1e-3  # learning did something measurable
        np.testing.assert_allclose(dense.weights[l], syn.weights[l], rtol=0, atol=FP_TOL)
    for l in range(3):
        assert np.max(np.abs(syn.biases[l] - start.biases[l])) > 1e-4
        np.testing.assert_allclose(dense.biases[l], syn.biases[l], rtol=0, atol=FP_TOL)


def test_streams_dense_equals_shared_weight_synapses():
    """B = 3 streams: the fused pass and the Synapses path's weight store
    (linked w, Hebbian sums into the store) learn the same W and biases."""
    dense = learn_once("dense", streams=3)
    syn = learn_once("synapses", streams=3)
    start = three_layer("dense")
    for l in range(2):
        assert np.max(np.abs(syn.weights[l] - start.weights[l])) > 1e-3
        np.testing.assert_allclose(dense.weights[l], syn.weights[l], rtol=0, atol=FP_TOL)
    for l in range(3):
        np.testing.assert_allclose(dense.biases[l], syn.biases[l], rtol=0, atol=FP_TOL)
    # and three streams are not one stream shown the same patches
    one = learn_once("dense", streams=1)
    assert np.max(np.abs(one.weights[0] - dense.weights[0])) > 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("streams", [1, 3])
def test_closed_form_dense_equals_synapses_learning(streams):
    """interneurons='closed_form' (layers 0 and 2 Gaussian: no interneurons; the
    fused pass sums td before the error) and Leimkuhler-Matthews steps: the two
    paths learn the same weights and biases, as with sampling interneurons."""
    kwds = dict(interneurons="closed_form", integrator="leimkuhler_matthews")
    dense = learn_once("dense", streams=streams, **kwds)
    syn = learn_once("synapses", streams=streams, **kwds)
    sampling = learn_once("dense", streams=streams)
    assert dense.closed_form == (True, False, True)
    for l in range(2):
        np.testing.assert_allclose(dense.weights[l], syn.weights[l], rtol=0, atol=FP_TOL)
        # a different sampler: not the weights the interneurons' path learns
        assert np.max(np.abs(dense.weights[l] - sampling.weights[l])) > 1e-4
    for l in range(3):
        np.testing.assert_allclose(dense.biases[l], syn.biases[l], rtol=0, atol=FP_TOL)


@pytest.mark.slow
def test_streams_dense_equals_shared_weight_synapses_in_inference():
    x0 = np.random.default_rng(3).normal(0, 1, (2, 16))
    recs = {p: three_layer(p).infer(x0, 20 * ms, presentation=20 * ms, spikes=False, seed=12,
                                    streams=2)
            for p in ("dense", "synapses")}
    for l in (1, 2):
        assert recs["synapses"].x[l].shape[1] == 2 * (8 if l == 1 else 4)
        np.testing.assert_allclose(recs["dense"].x[l], recs["synapses"].x[l], rtol=0,
                                   atol=FP_TOL)


@pytest.mark.slow
def test_dense_equals_synapses_in_inference():
    """Recorded traces of every layer, same seed."""
    x0 = np.random.default_rng(3).normal(0, 1, 16)
    recs = {p: three_layer(p).infer(x0, 20 * ms, spikes=False, seed=12)
            for p in ("dense", "synapses")}
    for l in (1, 2):
        assert np.std(recs["synapses"].x[l]) > 0.05
        np.testing.assert_allclose(recs["dense"].x[l], recs["synapses"].x[l], rtol=0,
                                   atol=FP_TOL)
        np.testing.assert_allclose(recs["dense"].eps[l], recs["synapses"].eps[l], rtol=0,
                                   atol=FP_TOL)


@pytest.mark.slow
@pytest.mark.parametrize("streams", [1, 3])
def test_dense_equals_synapses_on_a_slow_plasticity_clock(streams):
    dense = learn_once("dense", plasticity_dt=0.1 * ms, streams=streams)
    syn = learn_once("synapses", plasticity_dt=0.1 * ms, streams=streams)
    every = learn_once("dense", streams=streams)
    for l in range(2):
        np.testing.assert_allclose(dense.weights[l], syn.weights[l], rtol=0, atol=FP_TOL)
    # the slow clock is really slower: a different (but close) result
    diff = np.max(np.abs(dense.weights[0] - every.weights[0]))
    assert 1e-9 < diff < 1e-2


@pytest.mark.slow
def test_dense_equals_synapses_in_marginal_generation():
    """Marginal generation: the fused pass without the likelihood sum (joint
    generation uses the same code as inference, checked above)."""
    out = {}
    for projection in ("dense", "synapses"):
        model = three_layer(projection)
        out[projection] = model.generate(5, mode="marginal", settle=2 * ms, burn_in=4 * ms,
                                         spacing=2 * ms, seed=5)
    assert np.std(out["synapses"]) > 0.05
    np.testing.assert_allclose(out["dense"], out["synapses"], rtol=0, atol=FP_TOL)


@pytest.mark.slow
@pytest.mark.parametrize("streams", [1, 3])
def test_float32_weights_track_float64(streams):
    """Single precision changes rounding only: learned weights agree to ~1e-5.

    One stream runs the hand loop, three the OpenBLAS sgemm products.
    """
    f64 = learn_once("dense", streams=streams)
    f32 = learn_once("dense", float32=True, streams=streams)
    for l in range(2):
        np.testing.assert_allclose(f32.weights[l], f64.weights[l], rtol=0, atol=1e-4)
    assert f32.weights[0].dtype == np.float64  # the model's copy stays float64
