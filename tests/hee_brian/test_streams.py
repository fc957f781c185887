"""B parallel streams sharing one weight matrix.

``HEEModel.infer/learn(streams=B)`` run B copies of every layer side by side;
the fused dense pass (hee_brian.dense) gives each copy its own sums through
the shared W and adds the B local weight updates; on the Synapses path (any
device) W lives in a weight store that each stream's synapses read as a
linked variable (``tests/hee_brian/test_dense.py`` checks the two agree).  The fast tests check the
index layout and the refusals; the slow ones check that each stream samples
its own patch's exact posterior and that B streams learn the same dictionary
as one stream does (``tests/hee_brian/test_learning.py``).
"""
import gc

import numpy as np
import pytest
from brian2 import ms, second, start_scope
from brian2.utils.logger import catch_logs

import hee_brian as hb
from hee_brian.dense import index_synapses
from hee_brian.network import RunSpec, build_network
from hee_brian.models import linear_gaussian
from hee_brian.reference import gaussian_posterior


def test_index_synapses_reach_every_neuron_of_every_stream():
    n_pre, n_post, B = 3, 2, 4
    i, j = index_synapses(n_pre, n_post, B)
    # W first, i-major
    assert list(i[:6]) == [0, 0, 1, 1, 2, 2] and list(j[:6]) == [0, 1, 0, 1, 0, 1]
    for s in range(1, B):
        first = n_pre * n_post + (s - 1) * (n_pre + n_post)
        # what the template reads: phi of post s*n_post + k, err of pre s*n_pre + k
        assert list(j[first:first + n_post]) == [s * n_post + k for k in range(n_post)]
        assert list(i[first + n_post:first + n_post + n_pre]) == [s * n_pre + k for k in range(n_pre)]
        # and every index synapse stays inside its stream
        assert set(i[first:first + n_pre + n_post] // n_pre) == {s}
        assert set(j[first:first + n_pre + n_post] // n_post) == {s}
    assert len(i) == n_pre * n_post + (B - 1) * (n_pre + n_post)


def small_model(**kwds):
    return hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(2, "gaussian", sigma=1.0)],
                       **kwds)


def test_streams_share_one_weight_store_on_the_synapses_path():
    """Every device runs streams: W lives once, in a store the streams' Synapses link to."""
    model = small_model(device="runtime")
    model.set_weights(W=[np.arange(8.0).reshape(4, 2)])
    start_scope()
    built = build_network(model, RunSpec(mode="clamped", n_steps=1, learn=True, streams=3))
    store = built.projections[0]
    assert len(store) == 4 * 2 and "hebb" in store.variables
    syn = [o for o in built.net.objects if o.name == "streams_1"][0]
    hebb = [o for o in built.net.objects if o.name == "hebbian_1"][0]
    # stream s's synapse (i, j) joins neuron s*4 + i to s*2 + j and reads W_ij
    s, i, j = 2, 3, 1
    k = s * 8 + i * 2 + j
    assert syn.i[k] == s * 4 + i and syn.j[k] == s * 2 + j and syn.w_index[k] == i * 2 + j
    # its Hebbian synapse adds (x - epsbar) of that neuron times phi of that latent to W_ij
    assert hebb.i[k] == s * 4 + i and hebb.j[k] == i * 2 + j and hebb.up_index[k] == s * 2 + j
    with catch_logs():  # built only to be inspected, never run: no warnings about it
        del built, syn, hebb, store
        gc.collect()


@pytest.mark.parametrize("streams", [0, 2.5, True])
def test_bad_stream_counts_are_refused(streams):
    with pytest.raises(hb.HEEParameterError, match="streams must be an integer"):
        small_model().learn(np.zeros((8, 4)), streams=streams, progress=False)


def test_chunk_and_patch_counts_must_divide_among_streams():
    model = small_model()
    with pytest.raises(hb.HEEParameterError, match="multiple of 4"):
        model.learn(np.zeros((12, 4)), chunk=6, streams=4, progress=False)
    with pytest.raises(hb.HEEParameterError, match="do not divide among streams = 4"):
        model.infer(np.zeros((6, 4)), 1 * ms, presentation=0.5 * ms, streams=4)


@pytest.mark.slow
@pytest.mark.parametrize("device", ["cpp_standalone", "runtime",
                                    pytest.param("cuda_standalone", marks=pytest.mark.gpu)])
def test_each_stream_samples_its_own_patch_posterior(device):
    """Four streams, four patches: every stream's mean is its patch's exact mean.

    The model is that of the exact-posterior test (test_sampling.py).  On
    cpp_standalone the streams share W through the fused dense pass, on the
    runtime and cuda_standalone through the Synapses path's weight store
    (runtime and cpp_standalone draw the same random numbers, so their
    figures agree exactly).  10 s
    is 1000 tau_x per stream; the slowest posterior mode relaxes in about
    tau_x / 2, so each mean rests on ~1000 effective draws and has a standard
    error of ~0.03 posterior sd.  The tolerance, 0.2 sd, is 6 standard
    errors; the four patches' exact means lie several sd apart, so a stream
    reading another stream's neurons would miss by far more (checked below).
    """
    rng = np.random.default_rng(0)
    model = linear_gaussian.build(weight_seed=0, column_norm=2.0, seed=1, device=device)
    model.set_weights(b=[0.2 * rng.normal(size=16), 0.3 * rng.normal(size=8)])
    B = 4
    patches = np.array([linear_gaussian.sample_image(model, seed) for seed in range(B)])
    rec = model.infer(patches, 10 * second, record_every=1 * ms, spikes=False, streams=B)
    x = rec.x[1][100:].reshape(-1, B, 8)
    assert rec.x[1].shape[1] == B * 8
    errors = np.empty((B, B))
    for s in range(B):
        mean, cov = gaussian_posterior(model, patches[s])
        sd = np.sqrt(np.diag(cov))
        for r in range(B):
            errors[r, s] = np.max(np.abs(x[:, r].mean(0) - mean) / sd)
        var_ratio = np.mean(x[:, s].var(0) / np.diag(cov))
        print(f"stream {s}: max |mean error| {errors[s, s]:.3f} sd, variance ratio {var_ratio:.3f}")
        assert abs(var_ratio - 1) < 0.15
    assert np.all(np.diag(errors) < 0.2)
    off = errors[~np.eye(B, dtype=bool)]
    print(f"a stream against another stream's posterior: min {off.min():.2f} sd")
    assert off.min() > 1.0


@pytest.mark.slow
def test_streams_learn_the_same_dictionary_as_one_stream(learn_dictionary):
    """The dictionary-recovery problem of test_learning.py with 8 streams.

    Same data, schedule and rates per patch: B streams add their local
    updates, so each patch moves W as in one stream while 8 patches are
    shown at a time.  Single stream: best-match cosine 0.989 (its test);
    8 streams must reach 0.95 with the true column norms.
    """
    before, after, norms = learn_dictionary(streams=8)
    print(f"8 streams: best-match cosine {before:.3f} -> {after:.3f}; norms {np.round(norms, 2)}")
    assert after >= 0.95
    assert np.median(norms) == pytest.approx(1.0, abs=0.1)


@pytest.mark.gpu
@pytest.mark.slow
def test_gpu_streams_learn_the_same_dictionary(learn_dictionary):
    """The 8-stream dictionary-recovery check on cuda_standalone (weight store)."""
    before, after, norms = learn_dictionary(streams=8, device="cuda_standalone")
    print(f"GPU, 8 streams: best-match cosine {before:.3f} -> {after:.3f}")
    assert after >= 0.95
    assert np.median(norms) == pytest.approx(1.0, abs=0.1)
