"""to_neo: one Segment per trial with the recording's spikes, traces and epochs."""
import numpy as np
import pytest

from hee_brian.analysis.variability import fano_factor

neo = pytest.importorskip("neo", reason="needs the io extra: pip install -e '.[io]'")
pq = pytest.importorskip("quantities")
elephant_trials = pytest.importorskip("elephant.trials")
elephant_statistics = pytest.importorskip("elephant.statistics")


def test_segments_are_trials_with_their_spikes_traces_and_epochs(protocol_run):
    rec = protocol_run
    block = rec.to_neo()
    assert len(block.segments) == rec.trials.n_trials == 12
    times = rec.trial_spike_times(1)
    rates = rec.trial_traces(1, "rate")
    for k, seg in enumerate(block.segments):
        assert seg.annotations["trial"] == k and seg.annotations["condition"] == k % 2
        assert seg.annotations["session_start"] == pytest.approx(0.25 * k)
        assert len(seg.spiketrains) == 16
        for j, st in enumerate(seg.spiketrains):
            assert st.annotations["neuron"] == j and st.annotations["layer"] == 1
            assert st.t_start == 0 * pq.s and st.t_stop == 0.25 * pq.s
            np.testing.assert_array_equal(st.rescale(pq.s).magnitude, times[k][j])
        sig = {s.name: s for s in seg.analogsignals}["rate layer 1"]
        assert sig.units == pq.Hz and sig.sampling_rate == 2000 * pq.Hz
        np.testing.assert_array_equal(sig.magnitude, rates[k])
        ep = seg.epochs[0]
        assert list(ep.labels) == ["blank", "grating"]
        np.testing.assert_allclose(ep.times.rescale(pq.s).magnitude, [0.0, 0.1])
        np.testing.assert_allclose(ep.durations.rescale(pq.s).magnitude, [0.1, 0.15])
    assert len(block.groups) == 16 and len(block.groups[3].spiketrains) == 12
    assert block.annotations["seed"] == rec.info["seed"]


def test_elephant_fano_factor_on_the_block_equals_the_projects(protocol_run):
    """Elephant's Fano factor uses the biased (n) variance, the project's the unbiased."""
    rec = protocol_run
    block = rec.to_neo()
    cond0 = [seg.time_slice(0.1 * pq.s, 0.25 * pq.s) for seg in block.segments[0::2]]
    theirs = np.array([elephant_statistics.fanofactor([seg.spiketrains[j] for seg in cond0])
                       for j in range(16)])
    counts = rec.trial_counts(1, epoch="grating")[0::2]
    mine = fano_factor(counts) * (len(counts) - 1) / len(counts)
    np.testing.assert_allclose(theirs, mine, rtol=1e-12)
    trials = elephant_trials.TrialsFromBlock(block)
    assert trials.n_trials == 12


def test_a_run_without_trials_is_one_segment_of_every_stream(protocol_run):
    import hee_brian as hb
    from brian2 import ms
    model = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5),
                         hb.Layer(3, "sparse", lam=1.0, delta=0.2, s=3.0)], seed=1)
    rec = model.infer(np.zeros((2, 4)), 20 * ms, streams=2, record_every=1 * ms, seed=2)
    block = rec.to_neo()
    (seg,) = block.segments
    assert len(seg.spiketrains) == 6
    assert [st.annotations["stream"] for st in seg.spiketrains] == [0, 0, 0, 1, 1, 1]
    assert sum(len(st) for st in seg.spiketrains) == len(rec.spikes[1].t)
    assert {s.name for s in seg.analogsignals} == {"x layer 1", "rate layer 1"}
