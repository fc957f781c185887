"""Tests of analysis/langevin_ebm.py: input checks, shapes, determinism, the Langevin drift.

The fast tests train a tiny model for a few steps on random binary images
(about two seconds each, most of it XLA compilation); the slow ones train
on the digits and run fresh Python processes.
"""
import hashlib
import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")

from hee_brian.analysis import langevin_ebm as le  # noqa: E402
from hee_brian.errors import HEEParameterError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# small enough that a training is mostly compilation
TINY = dict(hidden=8, n_iter=3, batch_size=8, langevin_steps=3, buffer_size=16)


def _x64(on):
    """Context manager switching JAX's 64-bit mode (restored on exit)."""
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(on)
    from jax.experimental import disable_x64, enable_x64  # older JAX
    return enable_x64() if on else disable_x64()


def _images():
    return (np.random.default_rng(0).random((40, 16)) < 0.3).astype(float)


@pytest.fixture(scope="module")
def images():
    return _images()


@pytest.fixture(scope="module")
def tiny(images):
    return le.train_langevin_ebm(images, seed=0, **TINY)


def _digest(ebm, samples):
    h = hashlib.sha256()
    for W, b in ebm.params:
        h.update(np.ascontiguousarray(W).tobytes())
        h.update(np.ascontiguousarray(b).tobytes())
    h.update(ebm.buffer.tobytes())
    h.update(samples.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("change, name", [
    (dict(train=np.full((5, 4), 1.5)), "train"),
    (dict(train=np.array([[0.2, np.nan]] * 4)), "train"),
    (dict(train=np.zeros(16)), "train"),
    (dict(hidden=0), "hidden"),
    (dict(hidden=2.5), "hidden"),
    (dict(n_iter=0), "n_iter"),
    (dict(batch_size=-1), "batch_size"),
    (dict(langevin_steps=0), "langevin_steps"),
    (dict(buffer_size=4), "buffer_size"),
    (dict(step_size=0.0), "step_size"),
    (dict(noise_sd=-0.1), "noise_sd"),
    (dict(learning_rate=float("nan")), "learning_rate"),
    (dict(alpha=-1.0), "alpha"),
    (dict(reinit=1.5), "reinit"),
    (dict(seed=-1), "seed"),
    (dict(progress="yes"), "progress"),
])
def test_bad_training_input_is_refused_naming_the_parameter(images, change, name):
    kwargs = dict(TINY, train=images)
    kwargs.update(change)
    with pytest.raises(HEEParameterError, match=name):
        le.train_langevin_ebm(**kwargs)


@pytest.mark.parametrize("change, name", [
    (dict(ebm={"params": None}), "ebm"),
    (dict(n=0), "n "),
    (dict(steps=-1), "steps"),
    (dict(seed=-3), "seed"),
])
def test_bad_sampling_input_is_refused_naming_the_parameter(tiny, change, name):
    kwargs = dict(ebm=tiny, n=4)
    kwargs.update(change)
    with pytest.raises(HEEParameterError, match=name):
        le.langevin_ebm_baseline(**kwargs)


def test_energy_refuses_images_of_the_wrong_size(tiny):
    with pytest.raises(HEEParameterError, match="d = 16"):
        tiny.energy(np.zeros((2, 9)))


def test_shapes_dtypes_and_bounds(tiny):
    (W1, b1), (W2, b2), (w3, b3) = tiny.params
    assert (W1.shape, b1.shape, W2.shape, b2.shape, w3.shape, b3.shape) == (
        (16, 8), (8,), (8, 8), (8,), (8,), ())
    assert all(a.dtype == np.float32 for pair in tiny.params for a in pair)
    assert tiny.energy_pos.shape == tiny.energy_neg.shape == (TINY["n_iter"],)
    assert tiny.buffer.shape == (TINY["buffer_size"], 16)
    assert tiny.settings["reinit"] == 1.0 and tiny.settings["seed"] == 0
    x = le.langevin_ebm_baseline(tiny, 37, seed=2)
    assert x.shape == (37, 16) and x.dtype == np.float64
    assert np.all(np.isfinite(x)) and x.min() >= 0 and x.max() <= 1
    # float32 values returned as float64: converting back loses nothing
    assert np.array_equal(x.astype(np.float32).astype(np.float64), x)
    assert tiny.energy(x).shape == (37,)
    assert tiny.energy_grad(x).shape == (37, 16)


def test_progress_is_reported_without_changing_the_result(images, tiny):
    calls = []
    ebm = le.train_langevin_ebm(images, seed=0, progress=lambda i, n: calls.append((i, n)),
                                **TINY)
    assert calls == [(TINY["n_iter"], TINY["n_iter"])]
    assert all(np.array_equal(a, b) for p, q in zip(ebm.params, tiny.params)
               for a, b in zip(p, q))


def test_same_seed_is_bit_identical_and_other_seeds_differ(images, tiny):
    again = le.train_langevin_ebm(images, seed=0, **TINY)
    s = le.langevin_ebm_baseline(tiny, 20, seed=5)
    assert _digest(again, le.langevin_ebm_baseline(again, 20, seed=5)) == _digest(tiny, s)
    other = le.train_langevin_ebm(images, seed=1, **TINY)
    assert not np.array_equal(other.params[0][0], tiny.params[0][0])
    assert not np.array_equal(le.langevin_ebm_baseline(tiny, 20, seed=6), s)


def test_results_do_not_depend_on_jax_64_bit_mode(images):
    # Other tests in the same process (the NUTS reference) switch 64-bit
    # mode on globally; the module must compute in float32 either way.
    digests = []
    for on in (False, True):
        with _x64(on):
            ebm = le.train_langevin_ebm(images, seed=0, **TINY)
            samples = le.langevin_ebm_baseline(ebm, 20, seed=5)
            assert ebm.energy(samples).dtype == np.float32
        digests.append(_digest(ebm, samples))
    assert digests[0] == digests[1]


def test_langevin_drift_is_the_finite_difference_gradient_of_the_energy(tiny):
    import jax.numpy as jnp

    rng = np.random.default_rng(1)
    x_np = rng.uniform(0.2, 0.8, size=(5, 16))
    with _x64(True):
        # the tiny model's float32 weights, evaluated in float64 so that
        # central differences are accurate to ~1e-10
        params = tuple((jnp.asarray(W, dtype=jnp.float64), jnp.asarray(b, dtype=jnp.float64))
                       for W, b in tiny.params)
        x = jnp.asarray(x_np, dtype=jnp.float64)
        energy = lambda y: np.asarray(le._energy(jax, jnp, params, jnp.asarray(y)))  # noqa: E731
        grad = np.asarray(le._energy_grad(jax, jnp, params, x))
        assert grad.dtype == np.float64
        h = 1e-5
        fd = np.empty_like(x_np)
        for j in range(x_np.shape[1]):
            e = np.zeros(x_np.shape[1])
            e[j] = h
            fd[:, j] = (energy(x_np + e) - energy(x_np - e)) / (2 * h)
        # truncation h^2 |E'''| and rounding eps |E| / h are both below 1e-9
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
        # one noiseless step of the sampler moves x by -step_size times it
        # (x stays inside (0, 1), so the clip does nothing)
        step = 0.05
        x1 = np.asarray(le._langevin(jax, jnp, params, x, le._key(jax, 0), 1, step, 0.0))
        np.testing.assert_allclose(x1, x_np - step * fd, rtol=0, atol=1e-10)
    # the public float32 gradient is the same function, to float32 rounding
    np.testing.assert_allclose(tiny.energy_grad(x_np), fd, rtol=1e-4,
                               atol=1e-5 * np.abs(fd).max())


# the tiny model of the fixtures, trained and hashed by the same code as above
_SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    if sys.argv[1] == "x64":
        import jax
        jax.config.update("jax_enable_x64", True)
    from hee_brian.analysis import langevin_ebm as le
""") + inspect.getsource(_images) + inspect.getsource(_digest) + textwrap.dedent(f"""
    ebm = le.train_langevin_ebm(_images(), seed=0, **{TINY!r})
    print(_digest(ebm, le.langevin_ebm_baseline(ebm, 20, seed=5)))
""")


@pytest.mark.slow
def test_fresh_processes_and_one_xla_thread_give_the_same_bits(tiny):
    # Nothing may depend on the process (hash seeds, time) or on how many
    # threads XLA uses; this process may have 64-bit mode on or off.
    expected = _digest(tiny, le.langevin_ebm_baseline(tiny, 20, seed=5))
    one_thread = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    for flags, mode in [(None, "plain"), (None, "plain"), (one_thread, "x64")]:
        env = dict(os.environ)
        if flags is not None:
            env["XLA_FLAGS"] = flags
        out = subprocess.run([sys.executable, "-c", _SCRIPT, mode], capture_output=True,
                             text=True, env=env, cwd=ROOT, timeout=300)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == expected, (flags, mode)


@pytest.mark.slow
def test_short_training_on_digits_beats_uniform_noise_by_far():
    from hee_brian.analysis import generation as gen
    from hee_brian.datasets.digits import load_digits

    d = load_digits("sklearn")
    clf = gen.train_feature_classifier(d.train, d.y_train, hidden=(64,), seed=1)
    ebm = le.train_langevin_ebm(d.train, n_iter=500, seed=0)
    samples = le.langevin_ebm_baseline(ebm, 1000, seed=0)
    fd = gen.feature_frechet_distance(clf, samples, d.train)
    noise = np.random.default_rng(0).random(samples.shape)
    fd_noise = gen.feature_frechet_distance(clf, noise, d.train)
    # Measured (this classifier, 1000 samples): uniform noise 53; 500
    # training steps 6.0 (training seed 0) and 5.2 (seed 1), 1000 steps 2.2,
    # the default 6000 steps 0.4.  The bound 15 is 2.5 times the worst of
    # the 500-step values, room for another platform's rounding to move a
    # short-run sampler, and still under a third of the noise's distance.
    assert fd_noise > 40
    assert fd < 15, fd
