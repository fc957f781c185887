"""Bulk noise (hee_brian.noise): the generator, its NumPy reference, its statistics."""
import numpy as np
import pytest
from scipy import special, stats

from hee_brian.noise import noise_values, normal_quantile, philox4x32

# Random123's known-answer vectors for Philox4x32-10 (kat_vectors):
# counter, key, result
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


def test_philox_matches_random123_known_answers():
    counter = np.array([c for c, _, _ in KAT], dtype=np.uint64)
    key = np.array([k for _, k, _ in KAT], dtype=np.uint64)
    np.testing.assert_array_equal(philox4x32(counter, key),
                                  np.array([r for _, _, r in KAT], dtype=np.uint32))


def test_normal_quantile_within_acklams_bound():
    """Relative error below Acklam's 1.15e-9 from u = 2^-33 to the centre and back."""
    u = np.concatenate([np.logspace(-10, np.log10(0.5), 20000), [2.0**-33, 0.02425]])
    u = np.concatenate([u, 1 - u])
    exact = special.ndtri(u)
    rel = np.abs(normal_quantile(u) - exact) / np.maximum(np.abs(exact), 1e-300)
    assert rel[np.abs(exact) > 1e-6].max() < 1.15e-9
    assert np.abs(normal_quantile(0.5)) < 1e-15


def _draw(steps=25, n=40000, seed=7, variable="noise_xi_x"):
    return np.stack([noise_values(seed, "neurons_1", variable, s, n) for s in range(steps)])


def test_bulk_normals_are_standard_normal():
    """Moments, KS distance and correlations of 10^6 draws, at 4 sd of their sampling error.

    Each tolerance is what an exact N(0, 1) sample of this size meets with
    probability above 0.9999: mean sd 1/sqrt(n), variance sd sqrt(2/n),
    skewness sd sqrt(6/n), excess kurtosis sd sqrt(24/n), a correlation
    sd 1/sqrt(n), and the KS distance's 0.9999 quantile 2.08/sqrt(n).
    """
    z = _draw()
    v = z.reshape(-1)
    n = v.size
    assert abs(v.mean()) < 4 / np.sqrt(n)
    assert abs(v.var() - 1) < 4 * np.sqrt(2 / n)
    assert abs(stats.skew(v)) < 4 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(v)) < 4 * np.sqrt(24 / n)
    assert stats.kstest(v, "norm").statistic < 2.08 / np.sqrt(n)
    # neighbouring neurons, the same neuron on consecutive steps, the same
    # block's four words (neurons k and k + nb), two noise variables, two seeds
    pairs = [
        (z[:, :-1], z[:, 1:]),
        (z[:-1], z[1:]),
        (z[:, :10000], z[:, 10000:20000]),
        (z, _draw(variable="noise_xi_a")),
        (z, _draw(seed=8)),
    ]
    for a, b in pairs:
        r = np.corrcoef(a.reshape(-1), b.reshape(-1))[0, 1]
        assert abs(r) < 4 / np.sqrt(a.size), r


def test_uniforms_strictly_inside_the_unit_interval():
    u = noise_values(3, "neurons_1", "noise_spike", 0, 100003, kind="uniform")
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").statistic < 2.08 / np.sqrt(u.size)


@pytest.fixture(scope="module", params=[0, 2], ids=["no OpenMP", "2 threads"])
def compiled_noise(request, tmp_path_factory):
    """Noise recorded from a compiled Brian2 network (three groups, 4 steps)."""
    import brian2
    from brian2 import Clock, Network, NeuronGroup, StateMonitor, ms

    from hee_brian.devices.standalone import preferences_restored
    from hee_brian.noise import NoiseFiller, noise_declarations, noise_variables
    from hee_brian.stateupdater import bulk_euler

    directory = tmp_path_factory.mktemp("noise_project")
    with preferences_restored():
        brian2.prefs.devices.cpp_standalone.openmp_threads = request.param
        brian2.set_device("cpp_standalone", build_on_run=False, directory=str(directory))
        try:
            clock = Clock(dt=0.1 * ms, name="noise_clock")
            holder = NeuronGroup(1, "seed : integer (shared, constant)", name="noise_seed")
            holder.seed = 2**31 - 5
            groups, monitors = [], []
            # 6 and 13 neurons: not multiples of the 4 words of a Philox
            # block, and fewer blocks than a vector has lanes
            for name, n, eqs, spikes in [
                ("grp_a", 6, "dv/dt = -v/(10*ms) + xi_v/sqrt(10*ms) : 1", True),
                ("grp_b", 13, "dv/dt = -v/(10*ms) + (xi_1 + xi_2)/sqrt(10*ms) : 1", False),
                ("grp_c", 1000, "dv/dt = -v/(10*ms) + xi_v/sqrt(10*ms) : 1", False),
            ]:
                variables = noise_variables(eqs, spikes=spikes)
                g = NeuronGroup(n, eqs + "\n" + noise_declarations(variables),
                                method=bulk_euler, clock=clock, name=name)
                g.contained_objects.append(NoiseFiller(g, variables, (holder, "seed"), clock))
                monitors.append(StateMonitor(g, [v for v, _ in variables], record=True,
                                             clock=clock, when="end", name=name + "_mon"))
                groups.append((g, variables))
            net = Network(holder, *[g for g, _ in groups], *monitors)
            net.run(0.4 * ms)
            brian2.device.build(directory=str(directory), compile=True, run=True,
                                with_output=False)
            out = {(g.name, v, kind): np.asarray(getattr(mon, v)) for (g, variables), mon
                   in zip(groups, monitors) for v, kind in variables}
        finally:
            brian2.device.reinit()
            brian2.device.activate()
            brian2.set_device("runtime")
    return out


@pytest.mark.slow
def test_compiled_noise_equals_numpy_reference(compiled_noise):
    """Every value the compiled filler drew, against the NumPy reference of the same counters.

    With and without OpenMP threads: the values cannot depend on how the
    loops are split.
    """
    assert len(compiled_noise) == 5
    for (group, variable, kind), values in compiled_noise.items():
        n, steps = values.shape
        ref = np.stack([noise_values(2**31 - 5, group, variable, s, n, kind) for s in range(steps)],
                       axis=1)
        np.testing.assert_allclose(values, ref, rtol=1e-12, atol=1e-12)
