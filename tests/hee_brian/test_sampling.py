"""The Brian2 network samples the exact posterior (slow scientific checks).

Each test runs a cpp_standalone network long enough to measure posterior
statistics and compares them with an exact answer: the analytic posterior of a
linear-Gaussian model, quadrature for a sparse latent, and the closed-form
stationary law of Langevin dynamics for the adaptation check.  Tolerances
follow from the effective sample sizes noted in each test.
"""
import numpy as np
import pytest
from brian2 import ms, second
from scipy.stats import norm

import hee_brian as hb
from hee_brian.analysis.posterior import (gaussian_kl, integrated_autocorrelation_time, ks_distance,
                                         variance_ratio)
from hee_brian.models import linear_gaussian
from hee_brian.reference import gaussian_posterior

pytestmark = pytest.mark.slow


def linear_gaussian_problem(seed=0, **model_kwds):
    """The 16-pixel (sigma_0 = 0.5), 8-latent model of ``models/linear_gaussian.py``.

    Dictionary columns of length 2 and random biases make the posterior
    precise (precisions up to ~40) and its mean non-zero; the clamped image
    is drawn from the model itself.
    """
    rng = np.random.default_rng(seed)
    model = linear_gaussian.build(weight_seed=seed, column_norm=2.0, seed=seed + 1, **model_kwds)
    model.set_weights(b=[0.2 * rng.normal(size=16), 0.3 * rng.normal(size=8)])
    return model, linear_gaussian.sample_image(model, seed)


@pytest.mark.parametrize("float32, streams", [(False, 1), (True, 4)],
                         ids=["float64", "float32 on 4 streams"])
def test_linear_gaussian_posterior_is_exact_with_default_settings(float32, streams):
    """KL(sampled || exact) <= 0.05 nats with the default interneuron settings.

    40 s of simulated time is about 4000 tau_x; the slowest posterior mode
    relaxes in tau_x / 2, so the sample holds roughly 4000 effective draws,
    whose finite-sample KL bias is d (d + 3) / (4 N) ~ 0.006 nats.  The
    single-precision weights (with 4 streams of 10 s: the sgemm products)
    must meet the same bound.
    """
    model, x0 = linear_gaussian_problem(float32=float32)
    rec = model.infer(np.tile(x0, (streams, 1)), 40 / streams * second, record_every=1 * ms,
                      spikes=False, streams=streams)
    mean, cov = gaussian_posterior(model, x0)
    # drop the first 10 tau_x of each stream, then pool the streams' samples
    x = rec.x[1][100:].reshape(-1, streams, 8).transpose(1, 0, 2).reshape(-1, 8)
    kl = gaussian_kl(x.mean(0), np.cov(x.T), mean, cov)
    var_ratio = np.mean(np.diag(np.cov(x.T)) / np.diag(cov))
    print(f"KL = {kl:.4f} nats, variance ratio {var_ratio:.3f}, {model.last_times}")
    assert kl <= 0.05
    assert abs(var_ratio - 1) < 0.1


def test_single_interneuron_without_correction_is_measurably_biased():
    """The failure mode the defaults fix (docs/model.md section 2) is visible.

    K = 1 and tau_eps / tau_x = 0.1 without the noise budget inflate the
    variance by about a third; this guards the KL measurement itself against
    being blind.
    """
    model, x0 = linear_gaussian_problem(n_interneurons=1, tau_eps=1 * ms, noise_budget=False)
    rec = model.infer(x0, 20 * second, record_every=1 * ms, spikes=False)
    mean, cov = gaussian_posterior(model, x0)
    x = rec.x[1][100:]
    var_ratio = np.mean(np.diag(np.cov(x.T)) / np.diag(cov))
    assert gaussian_kl(x.mean(0), np.cov(x.T), mean, cov) > 0.3
    assert 1.15 < var_ratio < 1.6


@pytest.mark.parametrize("device, streams, projection",
                         [("cpp_standalone", 1, "auto"), ("cpp_standalone", 4, "auto"),
                          ("cpp_standalone", 4, "synapses")],
                         ids=["dense, 1 stream", "dense, 4 streams", "synapses, 4 streams"])
def test_closed_form_with_leimkuhler_matthews_is_exact_at_a_coarse_dt(device, streams,
                                                                     projection):
    """interneurons='closed_form' and Leimkuhler-Matthews steps at dt = tau_x/50.

    The stiffest posterior direction relaxes at rate lam = 1/var_min (units of
    1/tau_x), lam dt/tau_x ~ 0.7 here: Euler-Maruyama's stationary variance
    there is 1/(1 - lam dt/2) ~ 1.5x too large (checked below), LM's is exact.
    Along each eigen-direction, samples every 2 ms (tau_x/5) of 4 x 50 s are
    nearly independent for the stiff directions (relaxation < tau_x/10) and
    about tau_x/lam_k apart for the others; each variance ratio is held to 4
    standard errors sqrt(2 tau_k / n) of its own direction.
    """
    model, x0 = linear_gaussian_problem(interneurons="closed_form",
                                        integrator="leimkuhler_matthews", dt=0.2 * ms,
                                        device=device, projection=projection)
    assert model.closed_form == (True, True) and np.all(model.noise_budget()[1] == 1)
    mean, cov = gaussian_posterior(model, x0)
    lam, V = np.linalg.eigh(cov)
    assert 0.5 < 0.02 / lam[0] < 1.0  # the regime where Euler's error is large
    rec = model.infer(np.tile(x0, (streams, 1)), 200 / streams * second, record_every=2 * ms,
                      spikes=False, streams=streams)
    X = rec.x[1][50:].reshape(-1, streams, 8)
    ratios = variance_ratio(X, cov)
    for k in range(8):
        tau_k = max(1.0, 2 * lam[k] / 0.2)  # samples per relaxation time 2 var_k tau_x
        tol = 4 * np.sqrt(2 * tau_k / (X.shape[0] * X.shape[1]))
        assert abs(ratios[k] - 1) < tol, (k, ratios[k], tol)
    # the same model with Euler-Maruyama steps: the stiffest direction is too wide
    euler, _ = linear_gaussian_problem(interneurons="closed_form", dt=0.2 * ms, device=device,
                                       projection=projection)
    rec = euler.infer(np.tile(x0, (streams, 1)), 200 / streams * second, record_every=2 * ms,
                      spikes=False, streams=streams)
    stiff = variance_ratio(rec.x[1][50:].reshape(-1, streams, 8), cov)[0]
    expected = 1 / (1 - 0.02 / lam[0] / 2)
    assert abs(stiff - expected) < 4 * expected * np.sqrt(2 / (X.shape[0] * X.shape[1]))


def sparse_posterior_density(model, x0, grid):
    """Unnormalised posterior density of a single latent on ``grid`` (for quadrature).

    log p(x1 | x0) = b1 x1 - g1(x1) + sum_i [eta_i x0_i - A(eta_i)],
    eta = W x1 + b0, A(eta) = sigma0^2 eta^2 / 2.
    """
    s0 = model.layers[0].family.sigma
    W, b0, b1 = model.weights[0][:, 0], model.biases[0], model.biases[1][0]
    eta = np.outer(grid, W) + b0
    logp = b1 * grid - model.layers[1].family.g(grid) + (eta * x0 - s0**2 * eta**2 / 2).sum(1)
    return np.exp(logp - logp.max())


@pytest.mark.parametrize("family, params, kwds", [
    ("sparse", dict(lam=1.5, delta=0.2, s=3.0), {}),
    # the top layer's interneurons (bias learning only) slower than the
    # default tau_x/40: the Cauchy's curvature at 0 would force a tiny dt
    ("student_t", dict(nu=1.0, scale=0.3, s=3.0), dict(tau_eps=[0.25 * ms, 2.5 * ms])),
])
def test_sparse_latent_posterior_matches_quadrature(family, params, kwds):
    """One sparse latent over 4 Gaussian pixels: KS distance to quadrature <= 0.03.

    The evidence pulls the latent away from the prior's peak at 0, so the
    posterior is skewed and peaked (smooth Laplace) or has a second bump
    (Student-t, whose potential is not convex), far from Gaussian.  200 s at
    a correlation time of about tau_x gives ~10^4 effective draws: the KS
    statistic's own noise is ~0.01.
    """
    model = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5),
                         hb.Layer(1, family, **params)], seed=3, **kwds)
    model.set_weights(W=[np.full((4, 1), 1.0)])
    x0 = np.array([0.4, 0.1, 0.3, 0.2])
    rec = model.infer(x0, 200 * second, record_every=2 * ms, spikes=False)
    samples = rec.x[1][50:, 0]
    grid = np.linspace(-6, 6, 24001)
    ks = ks_distance(samples, grid=grid, pdf=sparse_posterior_density(model, x0, grid))
    ks_gauss = ks_distance(samples, cdf=lambda x: norm.cdf(x, samples.mean(), samples.std()))
    print(f"KS to quadrature {ks:.4f}; to a moment-matched Gaussian {ks_gauss:.4f}")
    assert ks <= 0.03
    # the check has power: the posterior is visibly non-Gaussian
    assert ks_gauss > 2 * ks


def ill_conditioned_gaussian(adaptation, n_chains=50):
    """``n_chains`` independent 2-D Gaussian posteriors with precisions 1 and 0.01.

    Latent 2k has prior precision 0.01 plus a likelihood precision of 0.99
    from pixel k; latent 2k + 1 sees no pixel, so its posterior is its prior
    N(0, 100).  Each chain is one pair; all pixels are clamped to 0.  Unlike
    ``models.linear_gaussian.build_ill_conditioned`` (sigma_0 = 1), the pixels
    keep sigma_0 = 0.5, so their interneurons relax four times faster: the
    momentum current multiplies the interneurons' noise by m, and with
    sigma_0 = 1 the fast direction's variance comes out ~9 % high.
    """
    s0 = 0.5
    model = hb.HEEModel([hb.Layer(n_chains, "gaussian", sigma=s0),
                         hb.Layer(2 * n_chains, "gaussian", sigma=10.0)],
                        dt=0.05 * ms, adaptation=adaptation, seed=5)
    W = np.zeros((n_chains, 2 * n_chains))
    W[np.arange(n_chains), 2 * np.arange(n_chains)] = np.sqrt(0.99) / s0
    model.set_weights(W=[W])
    # start every chain from the exact posterior, so no burn-in is needed
    rng = np.random.default_rng(6)
    start = rng.normal(size=2 * n_chains) * np.tile([1.0, 10.0], n_chains)
    return model, np.zeros(n_chains), {("x", 1): start}


def test_adaptation_keeps_the_posterior_and_speeds_up_the_slow_direction():
    """Momentum adaptation (m = 20, tau_a = 10 tau_x): variance within 5 %, IAT 5x shorter.

    Plain Langevin on a direction of precision 0.01 is an Ornstein-Uhlenbeck
    process with correlation time 100 tau_x: its IAT is exactly 200 tau_x,
    checked here through its autocorrelation at lag 10 tau_x, exp(-0.1).
    Chains start from the exact posterior.  50 chains x 2000 tau_x with adaptation give ~10^4 effective draws of the
    slow direction (IAT ~ 8 tau_x): the variance's standard error is ~1.5 %.
    """
    tau_x = 10 * ms
    model, x0, start = ill_conditioned_gaussian(hb.Adaptation(m=20, tau_a=10 * tau_x))
    rec = model.infer(x0, 20 * second, record_every=1 * ms, spikes=False, initial_state=start)
    x = rec.x[1]
    slow, fast = x[:, 1::2], x[:, 0::2]
    iat_slow = integrated_autocorrelation_time(slow) * 1 * ms / tau_x
    print(f"adapted: var slow {slow.var():.2f} (exact 100), var fast {fast.var():.3f} "
          f"(exact 1), IAT slow {iat_slow:.1f} tau_x (plain Langevin: 200)")
    assert slow.var() == pytest.approx(100.0, rel=0.05)
    assert fast.var() == pytest.approx(1.0, rel=0.05)
    assert iat_slow <= 200 / 5

    plain, x0, start = ill_conditioned_gaussian(None)
    rec = plain.infer(x0, 10 * second, record_every=1 * ms, spikes=False, initial_state=start)
    slow = rec.x[1][:, 1::2]  # the exact mean is 0: no mean subtracted (that would bias it)
    lag = 100  # samples of 1 ms = 10 tau_x
    acf_lag = np.mean(slow[lag:] * slow[:-lag]) / np.mean(slow * slow)
    print(f"plain Langevin: autocorrelation at 10 tau_x {acf_lag:.3f} (exact {np.exp(-0.1):.3f})")
    assert acf_lag == pytest.approx(np.exp(-0.1), abs=0.03)


def test_noise_budget_offsets_non_gaussian_interneurons_below_a_layer():
    """A Gaussian layer above sampling Cauchy interneurons keeps its exact variance.

    The V1 hierarchy's upper half: 96 Cauchy latents (Student-t nu = 1,
    scale 0.2, s = 6, as ``models/v1.py``) whose K = 1 interneurons
    (tau_eps = tau_x/2) sample A'(eta_1) for 16 Gaussian latents above,
    eta_1 = W_1 x_2 with sd 0.1.  With W_0 = 0 the pixels say nothing, so
    the top layer's exact marginal is its prior N(0, 1), whatever the
    Cauchy layer does: an exact check without a reference sampler.  The
    interneurons' lag and noise widen it by 7-12 % (measured); the budget
    (the interneurons' relaxation modes, :func:`hee_brian.stability.
    interneuron_load`) takes that back to within 1-2.5 %; its first-order
    theory over-states the noise part (docs/sampling.md).  64 streams x
    1000 tau_x give most latents' variance a standard error of 0.6-0.8 %
    (stream-to-stream spread; a few reach 1.5-3 % where a Cauchy latent's
    rare far excursion pushes them), the median of 16 about a third of
    that.
    """
    rng = np.random.default_rng(3)

    def run(noise_budget):
        model = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.35),
                             hb.Layer(96, "student_t", nu=1.0, scale=0.2, s=6.0),
                             hb.Layer(16, "gaussian", sigma=1.0)],
                            tau_x=10 * ms, tau_eps=[0.45 * ms, 5 * ms, 5 * ms], dt=0.05 * ms,
                            n_interneurons=1, interneurons="closed_form",
                            integrator="leimkuhler_matthews", noise_budget=noise_budget, seed=4)
        model.set_weights(W=[np.zeros((4, 96)), W1])
        rec = model.infer(np.zeros((64, 4)), 1000 * 10 * ms, record_every=2.5 * ms,
                          layers=[2], spikes=False, streams=64, seed=5)
        x = rec.x[2].reshape(rec.x[2].shape[0], 64, 16)[80:]  # drop 20 tau_x
        return x.var(axis=(0, 1)), x.var(axis=0).std(axis=0) / 8, model

    W1 = rng.normal(scale=0.1 / 4, size=(96, 16))
    var, se, model = run(True)
    plain, _, _ = run(False)
    budget = model.noise_budget()[2]
    print(f"budget {budget.min():.3f}-{budget.max():.3f}; var with budget "
          f"{np.median(var):.4f} [{var.min():.3f}, {var.max():.3f}], without "
          f"{np.median(plain):.4f}; se {np.round(se, 4)}")
    assert np.median(se) < 0.012
    assert np.median(plain) > 1.05  # the widening the budget must take back is real
    assert abs(np.median(var) - 1) < 0.03
    assert np.all(np.abs(var - 1) < 0.03 + 3 * se)


def test_continuous_bernoulli_samplers_stay_in_the_interval_with_exact_moments():
    """Reflected Langevin on [0, 1] keeps every sample inside and samples exp(eta x - A(eta)).

    Three populations of a continuous Bernoulli family, each with eta fixed
    by the biases (W = 0) at -5, -1.5, 0, 2 and 5, 8 chains per value:

    * free (joint generation): the observation layer, with epsbar the
      closed-form A'(eta) (checked against NumPy to 1e-12);
    * clamped (inference): a latent layer's neurons, whose posterior is their
      prior since the pixels carry no weight, and its K = 1 interneurons
      (epsbar is the one interneuron's state).

    dt = tau/2000 for all of them: the reflected Euler chain's mean sits too
    far from the wall by about 0.5 eta^2 dt/tau of its distance (measured in
    NumPy), at most 1.3e-3 here, below the statistical tolerance.  5 s is
    500 tau; the slowest relaxation (eta = 0) takes tau/pi^2, so samples
    every tau/10 have an integrated autocorrelation time of about 2 samples,
    measured per eta and population; mean and variance must lie within 4.5
    standard errors of A'(eta) and A''(eta) over the effective sample size.
    """
    etas = np.repeat([-5.0, -1.5, 0.0, 2.0, 5.0], 8)
    n = etas.size
    fam = hb.continuous_bernoulli(eta_max=6.0)
    tau = 10 * ms

    def check(x, label):
        assert np.all((x >= 0) & (x <= 1)), f"{label}: a sample left [0, 1]"
        for eta in np.unique(etas):
            chains = x[:, etas == eta]  # (T, 8)
            mean, var = float(fam.mean(eta)), float(fam.variance(eta))
            iat_m = integrated_autocorrelation_time(chains)
            iat_v = integrated_autocorrelation_time((chains - mean) ** 2)
            se_m = np.sqrt(var * iat_m / chains.size)
            fourth = np.mean((chains - mean) ** 4)
            se_v = np.sqrt((fourth - var**2) * iat_v / chains.size)
            print(f"{label} eta={eta:+.1f}: mean {chains.mean():.4f} (exact {mean:.4f}, se "
                  f"{se_m:.4f}, IAT {iat_m:.2f}), var {chains.var():.5f} (exact {var:.5f}, se "
                  f"{se_v:.5f})")
            assert abs(chains.mean() - mean) < 4.5 * se_m, (label, eta)
            assert abs(chains.var() - var) < 4.5 * se_v, (label, eta)

    free = hb.HEEModel([hb.Layer(n, fam), hb.Layer(1, "gaussian")], tau_x=tau,
                       dt=0.005 * ms, interneurons="closed_form", seed=7)
    free.set_weights(W=[np.zeros((n, 1))], b=[etas, np.zeros(1)])
    x, rec = free.generate_with_recording(5000, mode="joint", burn_in=2 * tau, spacing=1 * ms)
    np.testing.assert_allclose(rec.eps[0][-1], fam.mean(etas), rtol=1e-12)
    check(x, "free observation layer")

    clamped = hb.HEEModel([hb.Layer(4, "gaussian", sigma=0.5), hb.Layer(n, fam)], tau_x=tau,
                          tau_eps=[0.25 * ms, tau], n_interneurons=1, dt=0.005 * ms, seed=8)
    clamped.set_weights(W=[np.zeros((4, n))], b=[np.zeros(4), etas])
    start = {("x", 1): fam.sample(etas, n, np.random.default_rng(9)),
             ("eps", 1): fam.sample(etas, n, np.random.default_rng(10))}
    rec = clamped.infer(np.zeros(4), 5 * second, record_every=1 * ms, layers=[1], spikes=False,
                        initial_state=start)
    check(rec.x[1], "latent neurons")
    check(rec.eps[1], "latent interneurons")
