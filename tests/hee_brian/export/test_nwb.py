"""to_nwb: round trips through pynwb and neo.NWBIO, nwbinspector, Elephant on the file."""
import json

import numpy as np
import pytest

import hee_brian as hb
from hee_brian.analysis.psth import psth
from hee_brian.analysis.variability import fano_factor

pynwb = pytest.importorskip("pynwb", reason="needs the io extra: pip install -e '.[io]'")
neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")
nwbinspector = pytest.importorskip("nwbinspector", reason="needs the test extra")
elephant_statistics = pytest.importorskip("elephant.statistics")


@pytest.fixture(scope="module")
def nwb_path(protocol_run, tmp_path_factory):
    return protocol_run.to_nwb(tmp_path_factory.mktemp("nwb") / "run.nwb",
                               identifier="hee-test", experimenter=["hee-brian tests"])


def test_units_trials_traces_stimuli_and_metadata_round_trip_through_pynwb(protocol_run,
                                                                           nwb_path):
    rec = protocol_run
    spikes = rec.session_spikes(1)
    with pynwb.NWBHDF5IO(str(nwb_path), "r") as io:
        f = io.read()
        units = f.units
        assert len(units) == 16 and list(units["layer"][:]) == [1] * 16
        assert list(units["neuron"][:]) == list(range(16))
        for j in range(16):
            np.testing.assert_array_equal(units["spike_times"][j], spikes.t[spikes.i == j])
            np.testing.assert_array_equal(units["obs_intervals"][j], [[0.0, 3.0]])
        assert units.resolution == rec.info["dt"]
        counts = np.array([len(units["spike_times"][j]) for j in range(16)])
        np.testing.assert_array_equal(counts, rec.trial_counts(1).sum(0))
        trials = f.trials.to_dataframe()
        assert len(trials) == 12 and list(trials["theta"][:2]) == [45.0, -45.0]
        assert list(trials["condition_name"][:2]) == ["grating theta=45.0", "grating theta=-45.0"]
        assert list(trials["stream"]) == list(np.repeat(np.arange(6), 2))
        np.testing.assert_allclose(trials["start_time"], 0.25 * np.arange(12))
        epochs = f.epochs.to_dataframe()
        assert len(epochs) == 24 and list(epochs["tags"][:2]) == [["blank"], ["grating"]]
        rate = f.processing["hee_brian"]["rate_layer1"]
        assert rate.unit == "Hz" and rate.rate == 2000.0
        np.testing.assert_array_equal(rate.data[:], rec.session_traces(1, "rate"))
        stim = f.stimulus["stimuli"]
        assert stim.data.shape == (24, 8, 8)
        np.testing.assert_array_equal(stim.data[1].ravel(), rec.trials.protocol.stimuli()[0])
        assert not np.any(stim.data[0])  # the blank
        notes = json.loads(f.notes)
        assert notes["seed"] == rec.info["seed"] and notes["dt"] == rec.info["dt"]
        assert notes["device"] == "cpp_standalone" and notes["model"]["layers"][1]["n"] == 16
        assert notes["trials"]["protocol"]["repeats"] == 6
        assert "brian2 2.10.1" in f.source_script


def test_neo_reads_the_same_spike_times_back(protocol_run, nwb_path):
    spikes = protocol_run.session_spikes(1)
    block = neo.NWBIO(str(nwb_path), "r").read_block()
    trains = block.segments[0].spiketrains
    assert len(trains) == 16
    for j, st in enumerate(trains):
        assert st.units == pq.s and st.t_start == 0 * pq.s and st.t_stop == 3.0 * pq.s
        np.testing.assert_array_equal(st.magnitude, spikes.t[spikes.i == j])


def test_nwbinspector_finds_no_critical_or_error_issue(nwb_path):
    bad = [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=str(nwb_path))
           if m.importance.value >= nwbinspector.Importance.CRITICAL.value]
    assert not bad, [(m.check_function_name, m.message) for m in bad]


def test_elephant_on_the_exported_trials_equals_the_projects_own_numbers(protocol_run,
                                                                         nwb_path):
    """Trials cut from the NWB file by its trials table, as a user would.

    Elephant's Fano factor divides the biased (n) variance by the mean; the
    project's ``fano_factor`` uses the unbiased (n - 1) one, hence the factor.
    """
    rec = protocol_run
    with pynwb.NWBHDF5IO(str(nwb_path), "r") as io:
        f = io.read()
        starts = f.trials["start_time"][:]
        cond = f.trials["condition"][:]
        per_unit = [np.asarray(f.units["spike_times"][j]) for j in range(16)]
    trains = [[neo.SpikeTrain((t[(t >= s0) & (t < s0 + 0.25)] - s0) * pq.s, t_stop=0.25 * pq.s)
               for s0 in starts[cond == 0]] for t in per_unit]  # [neuron][trial]
    grating = [[st.time_slice(0.1 * pq.s, 0.25 * pq.s) for st in row] for row in trains]
    theirs = np.array([elephant_statistics.fanofactor(row) for row in grating])
    counts = rec.trial_counts(1, epoch="grating")[0::2]
    np.testing.assert_allclose(theirs, fano_factor(counts) * 5 / 6, rtol=1e-12)
    # PSTH of neuron 4, 10 ms bins
    hist = elephant_statistics.time_histogram(trains[4], bin_size=10 * pq.ms, output="rate")
    mine, _ = psth(rec.trial_counts(1, edges=np.arange(26) * 0.01)[0::2, :, 4], 0.01)
    np.testing.assert_allclose(hist.rescale(pq.Hz).magnitude.ravel(), mine, rtol=1e-12)


def test_export_refuses_what_it_cannot_write(protocol_run, nwb_path, tmp_path):
    with pytest.raises(hb.HEEParameterError, match="overwrite=True"):
        protocol_run.to_nwb(nwb_path)
    with pytest.raises(hb.HEEParameterError, match="stimulus_shape"):
        protocol_run.to_nwb(tmp_path / "x.nwb", stimulus_shape=(4, 4))
    plain = hb.Recording(t=np.zeros(0), x=[], eps=[], a=[], spikes=[])
    with pytest.raises(hb.HEEParameterError, match="protocol runs"):
        plain.to_nwb(tmp_path / "y.nwb")
