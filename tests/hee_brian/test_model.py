"""HEEModel: validation before building, the public surface, recordings,
divergence handling and resumable learning (fast; NumPy runtime target)."""
import numpy as np
import pytest
from brian2 import Equations, Hz, ms
from scipy import integrate, stats

import hee_brian as hb
from hee_brian import stability, storage
from hee_brian import equations as eqs
from hee_brian.nonlinearities import PHI, get_phi


def small_model(**kwds):
    kwds.setdefault("device", "numpy")
    kwds.setdefault("seed", 7)
    return hb.HEEModel([hb.Layer(6, "gaussian", sigma=0.5),
                        hb.Layer(4, "sparse", lam=1.0, delta=0.2, s=3.0),
                        hb.Layer(2, "gaussian", sigma=1.0)], **kwds)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwds, match",
    [
        ({"tau_x": -10 * ms}, "tau_x must be a positive"),
        ({"tau_x": 0 * ms}, "tau_x must be a positive"),
        ({"tau_eps": 0 * ms}, "tau_eps must be a positive"),
        ({"tau_x": 10}, "tau_x must be a Brian2 time quantity"),
        ({"tau_x": 10 * Hz}, "tau_x must have units of time"),
        ({"tau_eps": 20 * ms}, "tau_eps = .* is longer than tau_x"),
        ({"n_interneurons": 0}, "n_interneurons must be an integer >= 1"),
        ({"device": "gpu"}, "unknown device 'gpu'"),
        ({"phi": "relu6"}, "unknown phi 'relu6'"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"dt": 0.2 * ms}, r"dt = 0.2 ms is too large for the interneurons of layer 1 .*"
                           r"Choose dt <= 0.0489\*ms"),
        ({"adaptation": "momentum"}, "adaptation must be None or hee_brian.Adaptation"),
        ({"interneurons": "exact"}, "interneurons must be one of 'sampling', 'closed_form'"),
        ({"integrator": "heun"}, "integrator must be one of 'euler', 'leimkuhler_matthews'"),
    ],
)
def test_bad_model_parameters_are_refused_by_name(kwds, match):
    with pytest.raises(hb.HEEParameterError, match=match):
        small_model(**kwds)


@pytest.mark.parametrize("tau_eps", [0.45, 2.5, 3.7])
def test_the_dt_the_stability_error_suggests_is_accepted(tau_eps):
    """The suggested dt is rounded down, never up past the limit."""
    import re
    with pytest.raises(hb.HEEParameterError) as err:
        small_model(tau_eps=tau_eps * ms, dt=1 * ms)
    suggested = float(re.search(r"Choose dt <= ([0-9.e+-]+)\*ms", str(err.value)).group(1))
    small_model(tau_eps=tau_eps * ms, dt=suggested * ms)


def test_bad_adaptation_is_refused():
    with pytest.raises(hb.HEEParameterError, match="variant 'hebbian' is unknown"):
        hb.Adaptation(1.0, 10 * ms, variant="hebbian")
    with pytest.raises(hb.HEEParameterError, match="m must be a finite number >= 0"):
        hb.Adaptation(-1.0, 10 * ms)
    with pytest.raises(hb.HEEParameterError, match="tau_a must be a positive"):
        hb.Adaptation(1.0, -10 * ms)
    # a strong, fast momentum coupling is a stiffness too
    with pytest.raises(hb.HEEParameterError, match="momentum coupling"):
        small_model(adaptation=hb.Adaptation(1000.0, 10 * ms))


def test_layers_must_be_layers():
    with pytest.raises(hb.HEEParameterError, match="at least two Layer"):
        hb.HEEModel([hb.Layer(3)])
    with pytest.raises(hb.HEEParameterError, match=r"layers\[1\] is 4"):
        hb.HEEModel([hb.Layer(3), 4])
    with pytest.raises(hb.HEEParameterError, match="positive integer"):
        hb.Layer(0, "gaussian")


def test_weight_and_bias_shapes_are_checked():
    model = small_model()
    with pytest.raises(hb.HEEParameterError, match="W has 1 matrices but the model has 2"):
        model.set_weights(W=[np.zeros((6, 4))])
    with pytest.raises(hb.HEEParameterError, match=r"W\[0\] has shape \(4, 6\) .* must be \(6, 4\)"):
        model.set_weights(W=[np.zeros((4, 6)), np.zeros((4, 2))])
    with pytest.raises(hb.HEEParameterError, match=r"W\[1\] contains NaN"):
        model.set_weights(W=[np.zeros((6, 4)), np.full((4, 2), np.nan)])
    with pytest.raises(hb.HEEParameterError, match=r"b\[2\] has 3 entries but layer 2 has 2"):
        model.set_weights(b=[np.zeros(6), np.zeros(4), np.zeros(3)])
    # weights too strong for dt: the likelihood curvature is a stiffness too
    with pytest.raises(hb.HEEParameterError, match="with their likelihood"):
        model.set_weights(W=[np.full((6, 4), 100.0), np.zeros((4, 2))])
    # nothing was changed by the refused calls
    assert all(np.all(w == 0) for w in model.weights)


def test_stimulus_and_durations_are_checked_before_building(monkeypatch):
    """Bad run input is refused before a single Brian2 object exists."""
    from hee_brian.devices import runtime, standalone

    def no_build(*args, **kwds):
        raise AssertionError("a network was built for a refused run")

    for backend_module in (runtime, standalone):
        monkeypatch.setattr(backend_module, "build_network", no_build)
    model = small_model()
    x0 = np.zeros(6)
    bad = x0.copy()
    bad[3] = np.nan
    with pytest.raises(hb.HEEParameterError, match=r"x0 contains NaN or inf \(first at index \(0, 3\)\)"):
        model.infer(bad, 10 * ms)
    with pytest.raises(hb.HEEParameterError, match=r"shape \(n_0,\) or \(n_patches, n_0\) with n_0 = 6"):
        model.infer(np.zeros(5), 10 * ms)
    with pytest.raises(hb.HEEParameterError, match="duration = .* must be a positive multiple of dt"):
        model.infer(x0, 0.01 * ms)
    with pytest.raises(hb.HEEParameterError, match="presentation=..."):
        model.infer(np.zeros((3, 6)), 10 * ms)
    with pytest.raises(hb.HEEParameterError, match="data contains NaN"):
        model.learn(np.full((2, 6), np.inf))
    with pytest.raises(hb.HEEParameterError, match=r"eta_w must be a rate such as 1\*Hz"):
        model.learn(np.zeros((2, 6)), eta_w=0.1)
    with pytest.raises(hb.HEEParameterError, match="mode must be 'marginal' or 'joint'"):
        model.generate(3, mode="ancestral")


# ---------------------------------------------------------- public surface
def test_printing_a_model_shows_its_equations():
    text = str(small_model(adaptation=hb.Adaptation(2.0, 50 * ms)))
    for piece in ("dx/dt = (I - a)/tau_x", "deps/dt = (eta - (", "da/dt = (-a - m*I)/tau_a",
                  "td_pre = w*phix_post : 1 (summed)", "lik_post = w*(x_pre - epsbar_pre)",
                  "dw/dt = eta_w*(x_pre - epsbar_pre)*phix_post", "lam*x/sqrt(x**2 + delta**2)",
                  "x = stimulus(timestep(t, presentation)*second, i)"):
        assert piece in text, piece


def test_closed_form_layers_and_the_integrator_show_and_persist(tmp_path):
    """interneurons='closed_form' replaces the interneurons of Gaussian layers only:
    printed, in the structure (its own compiled project), the noise budget above
    them is 1, their interneuron dt check is gone, and save/load keeps both settings."""
    model = small_model(interneurons="closed_form", integrator="leimkuhler_matthews")
    assert model.closed_form == (True, False, True)  # gaussian, sparse, gaussian
    text = str(model)
    assert "epsbar = sigma**2*eta : 1  # A'(eta) in closed form" in text
    assert "# layer 0 interneurons" not in text and "# layer 1 interneurons" in text
    assert "integrator: leimkuhler_matthews" in text
    assert "interneurons='closed_form', integrator='leimkuhler_matthews'" in repr(model)
    assert model.structure() != small_model().structure()
    rng = np.random.default_rng(0)
    model.set_weights(W=[rng.normal(size=(6, 4)), rng.normal(size=(4, 2))])
    budget = model.noise_budget()
    assert np.all(budget[1] == 1)  # no pixel interneurons: nothing to make up for
    sampling = small_model()
    sampling.set_weights(W=model.weights)
    assert np.all(sampling.noise_budget()[1] < 1)
    model.save(tmp_path / "m.npz")
    loaded = hb.HEEModel.load(tmp_path / "m.npz")
    assert loaded.closed_form == model.closed_form and loaded.integrator == model.integrator
    # a step the pixel interneurons (tau_eps = 0.25 ms) could not take is fine without them
    fast_pixels = [hb.Layer(4, "gaussian", sigma=0.1), hb.Layer(2, "gaussian")]
    with pytest.raises(hb.HEEParameterError, match="interneurons of layer 0"):
        hb.HEEModel(fast_pixels, dt=0.01 * ms)
    hb.HEEModel(fast_pixels, dt=0.01 * ms, interneurons="closed_form")


def test_numpy_reference_closed_form_and_lm_are_exact_at_a_coarse_dt():
    """The NumPy reference of the same equations: at dt = tau_x/20, Leimkuhler-
    Matthews with closed-form A' samples a Gaussian posterior exactly along its
    stiffest direction, Euler-Maruyama 1/(1 - lam dt/2) too wide (4 standard
    errors of a variance estimate from nearly independent samples)."""
    from hee_brian.models import linear_gaussian
    from hee_brian.reference import gaussian_posterior, simulate

    for integrator in ("leimkuhler_matthews", "euler"):
        model = linear_gaussian.build(n_obs=6, n_latent=3, weight_seed=2, column_norm=1.2,
                                      seed=0, interneurons="closed_form", integrator=integrator,
                                      dt=0.5 * ms)
        x0 = linear_gaussian.sample_image(model, 1)
        mean, cov = gaussian_posterior(model, x0)
        lam, V = np.linalg.eigh(cov)
        h = 0.05  # dt / tau_x
        res = simulate(model, x0, 8000, record_every=5, streams=64, seed=2)
        proj = (res["x"][1][20:] - mean) @ V[:, 0]
        ratio = proj.var() / lam[0]
        expected = 1.0 if integrator != "euler" else 1 / (1 - h / lam[0] / 2)
        assert 0.3 < h / lam[0] < 1.0
        assert abs(ratio - expected) < 4 * expected * np.sqrt(2 / proj.size), (integrator, ratio)


@pytest.mark.parametrize("variant", [None, "momentum", "activity"])
@pytest.mark.parametrize("phi", sorted(PHI))
def test_equations_are_valid_brian2(variant, phi):
    fam = hb.sparse(lam=1.0, delta=0.2, s=3.0)
    for top in (False, True):
        Equations(eqs.latent_neuron_equations(fam, get_phi(phi), top=top,
                                              adaptation=variant, learn_bias=True))
        Equations(eqs.interneuron_equations(fam, top=top))
    Equations(eqs.observation_equations(fam, clamped=False, learn_bias=True))
    Equations(eqs.projection_equations(plastic=True))


def test_save_and_load_round_trip(tmp_path):
    model = small_model(adaptation=hb.Adaptation(3.0, 40 * ms, variant="activity"),
                        n_interneurons=2, phi="tanh")
    rng = np.random.default_rng(0)
    model.set_weights(W=[rng.normal(size=(6, 4)), rng.normal(size=(4, 2))],
                      b=[rng.normal(size=6), rng.normal(size=4), rng.normal(size=2)])
    model.save(tmp_path / "m.npz")
    loaded = hb.HEEModel.load(tmp_path / "m.npz")
    assert loaded.config() == model.config()
    for a, b in zip(loaded.weights + loaded.biases, model.weights + model.biases):
        np.testing.assert_array_equal(a, b)
    assert hb.HEEModel.load(tmp_path / "m.npz", device="runtime").device == "runtime"


def test_infer_returns_traces_of_every_layer_and_spikes():
    model = small_model()
    rng = np.random.default_rng(1)
    model.set_weights(W=[rng.normal(size=(6, 4)), rng.normal(size=(4, 2))])
    x0 = rng.normal(size=6)
    rec = model.infer(x0, 20 * ms, record_every=1 * ms)
    assert rec.t.shape == (20,)
    np.testing.assert_allclose(rec.t, np.arange(20) * 1e-3)
    assert [x.shape for x in rec.x] == [(20, 6), (20, 4), (20, 2)]
    assert [e.shape for e in rec.eps] == [(20, 6), (20, 4), (20, 2)]
    np.testing.assert_array_equal(rec.x[0], np.tile(x0, (20, 1)))  # clamped
    assert rec.spikes[0] is None and rec.spikes[1].n == 4
    assert np.all((rec.spikes[1].t >= 0) & (rec.spikes[1].t < 0.02))
    assert np.all(np.isfinite(rec.x[1])) and np.any(rec.x[1] != 0)
    # a chain continues from where the last one stopped
    more = model.infer(x0, 2 * ms, record_every=1 * ms, initial_state=rec.final_state)
    assert np.abs(more.x[1][0] - rec.final_state[("x", 1)]).max() == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow is the point
def test_diverging_run_stops_with_variable_time_and_advice(tmp_path):
    model = small_model()
    rng = np.random.default_rng(2)
    model.set_weights(W=[rng.normal(size=(6, 4)), rng.normal(size=(4, 2))])
    before = model.weights
    ckpt = tmp_path / "ckpt.npz"
    with pytest.raises(hb.SimulationDiverged) as info:
        model.learn(5 * rng.normal(size=(4, 6)), presentation=1 * ms, eta_w=1e7 * Hz,
                    chunk=4, checkpoint=ckpt, progress=False)
    message = str(info.value)
    assert "diverged" in message and "smaller dt" in message and "t = " in message
    assert info.value.variable and 0 < info.value.time <= 4e-3
    assert not ckpt.exists()  # no results written
    for a, b in zip(model.weights, before):
        np.testing.assert_array_equal(a, b)


def test_learning_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    """An interrupted run, resumed, ends exactly where an uninterrupted one does."""
    rng = np.random.default_rng(3)
    data = rng.normal(size=(12, 6))
    W0 = [0.3 * rng.normal(size=(6, 4)), 0.3 * rng.normal(size=(4, 2))]
    kwds = dict(presentation=1 * ms, eta_w=2 * Hz, eta_b=1 * Hz, chunk=3, progress=False)

    whole = small_model()
    whole.set_weights(W=W0)
    whole.learn(data, **kwds)

    ckpt = tmp_path / "ckpt.npz"
    first = small_model()
    first.set_weights(W=W0)
    calls = []
    original = storage.write_checkpoint

    def interrupt_after_two(*args):
        original(*args)
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(storage, "write_checkpoint", interrupt_after_two)
    with pytest.raises(KeyboardInterrupt):
        first.learn(data, checkpoint=ckpt, **kwds)
    monkeypatch.undo()

    resumed = small_model()
    resumed.set_weights(W=W0)
    history = resumed.learn(data, checkpoint=ckpt, **kwds)
    assert history["patches"] == [3, 6, 9, 12]
    for a, b in zip(resumed.weights + resumed.biases, whole.weights + whole.biases):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert not np.allclose(whole.weights[0], W0[0])  # learning happened

    with pytest.raises(hb.HEEParameterError, match="written for other data"):
        small_model().learn(data[:9], checkpoint=ckpt, **kwds)


def test_interneuron_time_constants_per_layer(tmp_path):
    """tau_eps may differ per layer: the stiffness check and the budget use each layer's."""
    with pytest.raises(hb.HEEParameterError, match="tau_eps has 2 entries but the model has 3"):
        small_model(tau_eps=[0.25 * ms, 0.25 * ms])
    # layer 1's sparse interneurons (stiffness 5) need dt <= tau_eps/5
    with pytest.raises(hb.HEEParameterError, match=r"interneurons of layer 1 .*tau_eps = 0.1 ms"):
        small_model(tau_eps=[0.25 * ms, 0.1 * ms, 0.25 * ms], dt=0.025 * ms)
    model = small_model(tau_eps=[0.25 * ms, 2 * ms, 1 * ms])
    assert [float(model.interneuron_tau(l) / ms) for l in range(3)] == [0.25, 2, 1]
    W = [np.ones((6, 4)), np.full((4, 2), 0.25)]
    model.set_weights(W=W)
    # the budget of layer 1 uses layer 0's Gaussian interneurons, one mode
    # (c = sigma0^2, lambda tau_x = tau_x/(tau_eps sigma0^2) = 160) filtered by
    # the neuron's stiffness k = 1/Var_1(b) + sigma0^2 sum_i W_ij^2:
    # 1 - (1 + 1/4) sum_i W_ij^2 c / (k + lambda tau_x)
    budget = model.noise_budget()
    table = model.layers[1].family.tabulated_log_partition()
    var0 = table.d2A[len(table.d2A) // 2]  # Var_1 at eta = 0, an independent quadrature
    k1 = 1 / var0 + 0.25 * 6
    np.testing.assert_allclose(budget[1], 1 - 1.25 * 6 * 0.25 / (k1 + 160), rtol=1e-6)
    # that of layer 2 the sparse interneurons of layer 1 (tau_eps/tau_x = 0.2),
    # their load averaged over the top-down drive eta_1 = W_1 x_2 ~ N(0, 2 x
    # 0.25^2) under layer 2's prior N(0, 1); the reference averages by scipy's
    # quadrature instead of the library's spline on a grid
    family = model.layers[1].family
    k2 = 1 + 4 * 0.25**2 * var0
    drive = stats.norm(0, np.sqrt(2) * 0.25)
    load = integrate.quad(lambda e: stability.interneuron_load(family, [e], [k2], 0.2)[0, 0]
                          * drive.pdf(e), -2.2, 2.2, epsabs=1e-9)[0]
    np.testing.assert_allclose(budget[2], 1 - 1.25 * 4 * 0.25**2 * load, rtol=1e-4)
    assert np.all(budget[2] < 1)
    model.save(tmp_path / "m.npz")
    loaded = hb.HEEModel.load(tmp_path / "m.npz")
    assert loaded.tau_eps_layers_s == model.tau_eps_layers_s
    assert "tau_eps=[0.25*ms, 2*ms, 1*ms]" in repr(loaded)
    # W_1 = 1 is strong: eta_1 spreads over N(0, 2), where the sparse layer's
    # variance reaches the s^2 = 9 of its Gaussian confinement
    model.set_weights(W=[np.ones((6, 4)), np.ones((4, 2))])
    with pytest.warns(UserWarning, match=r"noise budget -\d+\.?\d* < 0.05"):
        rec = model.infer(np.zeros(6), 2 * ms, record_every=1 * ms)
    assert np.all(np.isfinite(rec.eps[1]))


def test_recording_save_then_load_gives_equal_arrays_and_metadata(tmp_path):
    model = small_model(adaptation=hb.Adaptation(2.0, 50 * ms))
    rec = model.infer(np.linspace(-1, 1, 6), 20 * ms, seed=3)
    rec.save(tmp_path / "rec.npz")
    back = hb.Recording.load(tmp_path / "rec.npz")
    np.testing.assert_array_equal(back.t, rec.t)
    for name in ("x", "eps", "a"):
        for mine, theirs in zip(getattr(rec, name), getattr(back, name)):
            assert (mine is None and theirs is None) or np.array_equal(mine, theirs)
    for mine, theirs in zip(rec.spikes, back.spikes):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            np.testing.assert_array_equal(mine.t, theirs.t)
            np.testing.assert_array_equal(mine.i, theirs.i)
            assert mine.n == theirs.n
    assert back.final_state.keys() == rec.final_state.keys()
    for k in rec.final_state:
        np.testing.assert_array_equal(back.final_state[k], rec.final_state[k])
    assert back.info["seed"] == rec.info["seed"] and back.info["dt"] == rec.info["dt"]
    assert back.info["device"] == rec.info["device"]
