"""A Langevin-sampled energy-based model: a modern baseline for generated digits.

After Du & Mordatch (2019, "Implicit generation and generalization in
energy-based models") and Nijkamp et al. (2019, "Learning non-convergent
non-persistent short-run MCMC toward energy-based model"): an MLP energy
E_theta(x) on images x (rows of pixels in [0, 1]),

    E_theta(x) = w_3 . silu(W_2 silu(W_1 x + b_1) + b_2) + b_3,

trained by contrastive divergence (:func:`train_langevin_ebm`) whose
negatives are K short clipped Langevin updates

    x <- clip(x - step_size * grad_x E_theta(x) + noise_sd * N(0, 1), 0, 1)

of rows of a replay buffer, each restarted from uniform noise with
probability ``reinit``, and sampled (:func:`langevin_ebm_baseline`) by the
same update from uniform noise -- never from data.  It is scored with the
functions of :mod:`.generation`, like :func:`~.generation.rbm_baseline`.

Defaults: every negative is a fresh K = 40-step run from noise
(``reinit=1``, Nijkamp et al.'s short-run model), so the sampler the model
is trained with is the one it generates with, and generation takes exactly
those K steps: the model is a K-step sampler, not a density that longer
chains converge to.  ``reinit=0.05`` gives Du & Mordatch's replay buffer,
whose persistent chains chains from noise do not reproduce.  The
measurements behind these choices are in docs/model.md section 5.

Determinism: every draw comes from ``jax.random`` keys (threefry, named
explicitly) derived from ``seed`` and from the step's index, everything is
float32 whether or not JAX's 64-bit mode is on (the NUTS reference of
:mod:`hee_brian.nuts` switches it on for the whole process), and scalars
that would otherwise promote are cast.  The same seed gave bit-identical
parameters, buffer and samples in fresh processes, with XLA restricted to
one thread (``XLA_FLAGS="--xla_cpu_multi_thread_eigen=false ..."``), on
one core (``taskset -c 0``) and with 64-bit mode on.  Only this one CPU
type was tried: XLA may pick other vector kernels on another CPU.

JAX is an optional dependency (``pip install numpyro``, or the ``test``
extra); it is imported only when a function here is called.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from hee_brian.errors import HEEParameterError, import_optional

__all__ = ["LangevinEBM", "train_langevin_ebm", "langevin_ebm_baseline"]


def _jax():
    # unlike hee_brian.nuts, leaves JAX's 64-bit mode as it is: everything
    # here is float32 either way
    return import_optional(
        ("jax", "jax.numpy", "jax.example_libraries.optimizers"),
        "the Langevin EBM baseline needs JAX: pip install numpyro "
        "(or pip install 'hee-brian[test]')")


def _key(jax, seed):
    # The PRNG is named rather than taken from the configuration, so a
    # process that changes jax_default_prng_impl still gets the same draws.
    return jax.random.key(int(seed), impl="threefry2x32")


def _energy(jax, jnp, params, x):
    """E_theta(x) for each row of x, shape (n,)."""
    (W1, b1), (W2, b2), (w3, b3) = params
    h = jax.nn.silu(x @ W1 + b1)
    h = jax.nn.silu(h @ W2 + b2)
    return h @ w3 + b3


def _energy_grad(jax, jnp, params, x):
    """grad_x E_theta(x) row by row: the drift of the Langevin update.

    Rows do not interact, so the gradient of the summed energy is each
    row's own gradient.
    """
    return jax.grad(lambda y: jnp.sum(_energy(jax, jnp, params, y)))(x)


def _langevin(jax, jnp, params, x, key, n_steps, step_size, noise_sd):
    """``n_steps`` clipped Langevin updates of every row of x (a ``lax.fori_loop``)."""
    def body(i, x):
        noise = jax.random.normal(jax.random.fold_in(key, i), x.shape, dtype=x.dtype)
        x = x - step_size * _energy_grad(jax, jnp, params, x) + noise_sd * noise
        return jnp.clip(x, 0.0, 1.0)

    return jax.lax.fori_loop(0, n_steps, body, x)


def _as_float32_params(jnp, params):
    return tuple((jnp.asarray(W, dtype=jnp.float32), jnp.asarray(b, dtype=jnp.float32))
                 for W, b in params)


def _init_params(jax, jnp, key, d, hidden):
    """LeCun-normal weights (variance 1 / fan-in), zero biases, float32."""
    params = []
    for k, (n_in, n_out) in zip(jax.random.split(key, 3), [(d, hidden), (hidden, hidden),
                                                           (hidden, 1)]):
        # a Python float scale is weakly typed: the product stays float32
        # (a NumPy float64 would promote it when JAX's 64-bit mode is on)
        W = jax.random.normal(k, (n_in, n_out), dtype=jnp.float32) * float(n_in ** -0.5)
        params.append((W, jnp.zeros(n_out, dtype=jnp.float32)))
    # the output layer maps to a scalar per row: keep w_3 as a vector
    (W3, b3) = params[2]
    params[2] = (W3[:, 0], b3[0])
    return tuple(params)


@dataclass(frozen=True, eq=False)
class LangevinEBM:
    """A trained energy-based model and the Langevin sampler it was trained with.

    Attributes
    ----------
    params : tuple of (W, b) pairs of float32 ndarrays
        ``(W_1 (d, h), b_1 (h,)), (W_2 (h, h), b_2 (h,)), (w_3 (h,), b_3 ())``.
    step_size, noise_sd : float
        The Langevin update the model was trained with (and is sampled with).
    settings : dict
        All arguments of :func:`train_langevin_ebm`.
    energy_pos, energy_neg : ndarray, shape (n_iter,)
        Mean energy of each step's data batch and of its negatives.  Their
        difference is the contrastive term, which hovers about zero once the
        negatives look like the data (with the defaults on the digits both
        stay within 0.02 of zero after the first few hundred steps);
        values that grow without bound mean the training has diverged.
    buffer : ndarray, shape (buffer_size, d)
        The replay buffer at the end of training (persistent chains started
        from noise).  :func:`langevin_ebm_baseline` does not use it.
    seconds : float
        Wall time of the training (compilation included).
    """

    params: tuple
    step_size: float
    noise_sd: float
    settings: dict
    energy_pos: np.ndarray = field(repr=False)
    energy_neg: np.ndarray = field(repr=False)
    buffer: np.ndarray = field(repr=False)
    seconds: float = 0.0

    @property
    def d(self):
        """Number of pixels per image."""
        return self.params[0][0].shape[0]

    def energy(self, x):
        """E_theta(x) of each row of ``x`` (float32 computation), shape (n,)."""
        jax, jnp, _ = _jax()
        x = _check_images(x, "x", self.d)
        return np.asarray(_energy(jax, jnp, _as_float32_params(jnp, self.params),
                                  jnp.asarray(x, dtype=jnp.float32)))

    def energy_grad(self, x):
        """grad_x E_theta(x) of each row, shape (n, d): the drift of the Langevin update."""
        jax, jnp, _ = _jax()
        x = _check_images(x, "x", self.d)
        return np.asarray(_energy_grad(jax, jnp, _as_float32_params(jnp, self.params),
                                       jnp.asarray(x, dtype=jnp.float32)))


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise HEEParameterError(
            f"{name} must be an integer >= {minimum}, got {value!r}: pass a whole number "
            f"of at least {minimum}.")
    return int(value)


def _check_positive_float(value, name, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise HEEParameterError(
            f"{name} must be a finite number {bound}, got {value!r}: pass a finite "
            f"{'non-negative' if allow_zero else 'positive'} value.")
    return v


def _check_images(x, name, d=None):
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise HEEParameterError(
            f"{name} must be a 2-D array of images (n, d), got shape {x.shape}: "
            "flatten each image to a row.")
    if d is not None and x.shape[1] != d:
        raise HEEParameterError(
            f"{name} has {x.shape[1]} pixels per row but the model has d = {d}: "
            "pass images of the size the model was trained on.")
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise HEEParameterError(
            f"{name} must have finite pixels in [0, 1], got the range "
            f"[{np.nanmin(x):.4g}, {np.nanmax(x):.4g}]: rescale the images to [0, 1].")
    return x


def train_langevin_ebm(train, hidden=128, n_iter=6000, batch_size=128, langevin_steps=40,
                       step_size=1.0, noise_sd=0.01, buffer_size=10000, reinit=1.0,
                       learning_rate=1e-4, alpha=1.0, seed=0, progress=None):
    """Fit an MLP energy by contrastive divergence with short-run Langevin negatives.

    Each step draws ``batch_size`` training images x+ (with replacement) and
    ``batch_size`` distinct rows of the replay buffer, each replaced by
    uniform noise with probability ``reinit``; runs ``langevin_steps``
    clipped Langevin updates on the latter to get the negatives x-; writes
    them back to the buffer; and takes one Adam step (betas (0, 0.999), as
    in both papers) on

        mean E(x+) - mean E(x-) + alpha (mean E(x+)^2 + mean E(x-)^2),

    with x- held constant.  The alpha term (Du & Mordatch's regulariser)
    keeps the energies of order one, so a Langevin step of a given size
    keeps its meaning while the model trains.

    With the defaults, the 8x8 digits train in about two minutes on two CPU
    cores (docs/model.md section 5 has the sample quality).

    Parameters
    ----------
    train : array_like, shape (n, d)
        Training images, pixels in [0, 1].
    hidden : int
        Width of the two SiLU hidden layers.
    n_iter : int
        Number of training steps (the time is proportional to it).
    batch_size : int
        Data images and negatives per step.
    langevin_steps : int
        Langevin updates per step (K); the sampler then takes as many.
    step_size, noise_sd : float
        The Langevin update (module docstring).  As in Nijkamp et
        al., the noise is far below sqrt(2 step_size): the sampler is a
        short, nearly deterministic descent that the model learns to turn
        into digits, not a converged sampler of exp(-E).
    buffer_size : int
        Rows of the replay buffer (started uniform on [0, 1]); at least
        ``batch_size``.
    reinit : float in [0, 1]
        Probability, per negative and step, of restarting it from uniform
        noise.  The default 1 (every negative a fresh run: Nijkamp et al.)
        makes the training's sampler the generator's; Du & Mordatch's 0.05
        trains a model of the buffer's persistent chains, which chains from
        noise do not reproduce (docs/model.md section 5).
    learning_rate : float
        Adam's step size.
    alpha : float
        Weight of the energy-magnitude regulariser (>= 0).
    seed : int
        Seed of every draw (initial weights, batches, buffer, noise): the same
        seed gives the same model bit for bit.
    progress : callable, optional
        Called as ``progress(done, n_iter)`` after every block of 100 steps
        (the blocks do not change the result).

    Returns
    -------
    LangevinEBM
    """
    train = _check_images(train, "train")
    if train.shape[0] < 2:
        raise HEEParameterError("train must hold at least 2 images: pass the training set.")
    hidden = _check_positive_int(hidden, "hidden")
    n_iter = _check_positive_int(n_iter, "n_iter")
    batch_size = _check_positive_int(batch_size, "batch_size")
    langevin_steps = _check_positive_int(langevin_steps, "langevin_steps")
    buffer_size = _check_positive_int(buffer_size, "buffer_size")
    if buffer_size < batch_size:
        raise HEEParameterError(
            f"buffer_size ({buffer_size}) must be at least batch_size ({batch_size}): "
            "each step takes batch_size distinct buffer rows.")
    step_size = _check_positive_float(step_size, "step_size")
    noise_sd = _check_positive_float(noise_sd, "noise_sd", allow_zero=True)
    learning_rate = _check_positive_float(learning_rate, "learning_rate")
    alpha = _check_positive_float(alpha, "alpha", allow_zero=True)
    reinit = _check_positive_float(reinit, "reinit", allow_zero=True)
    if reinit > 1:
        raise HEEParameterError(f"reinit must be a probability in [0, 1], got {reinit!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise HEEParameterError(f"seed must be a non-negative integer, got {seed!r}.")
    if progress is not None and not callable(progress):
        raise HEEParameterError("progress must be callable as progress(done, n_iter) or None.")
    settings = dict(hidden=hidden, n_iter=n_iter, batch_size=batch_size,
                    langevin_steps=langevin_steps, step_size=step_size, noise_sd=noise_sd,
                    buffer_size=buffer_size, reinit=reinit, learning_rate=learning_rate,
                    alpha=alpha, seed=int(seed))

    jax, jnp, _ = _jax()
    t0 = time.perf_counter()
    f32 = jnp.float32
    d = train.shape[1]
    k_init, k_buffer, k_run = jax.random.split(_key(jax, seed), 3)
    params = _init_params(jax, jnp, k_init, d, hidden)
    buffer = jax.random.uniform(k_buffer, (buffer_size, d), dtype=f32)
    opt_init, get_params, run = _trainer(batch_size, langevin_steps, step_size, noise_sd,
                                         reinit, learning_rate, alpha)
    data = jnp.asarray(train, dtype=f32)
    carry = (opt_init(params), buffer, jnp.zeros((n_iter, 2), dtype=f32))
    # blocks only so that ``progress`` can report; the bounds are traced, so
    # one compilation serves every block
    block = 100
    for start in range(0, n_iter, block):
        stop = min(start + block, n_iter)
        carry = run(jnp.int32(start), jnp.int32(stop), carry, data, k_run)
        if progress is not None:
            jax.block_until_ready(carry)
            progress(stop, n_iter)
    opt_state, buffer, e_hist = jax.block_until_ready(carry)
    params = tuple((np.asarray(W), np.asarray(b)) for W, b in get_params(opt_state))
    e_hist = np.asarray(e_hist)
    return LangevinEBM(params=params, step_size=step_size, noise_sd=noise_sd,
                       settings=settings, energy_pos=e_hist[:, 0], energy_neg=e_hist[:, 1],
                       buffer=np.asarray(buffer), seconds=time.perf_counter() - t0)


@functools.lru_cache(maxsize=8)
def _trainer(batch_size, langevin_steps, step_size, noise_sd, reinit, learning_rate, alpha):
    """Adam's init and read-out, and the jitted block of training steps, for these settings.

    Cached so that trainings that differ only in data, seed or length reuse
    one compiled function (``jax.jit`` caches per shape and per 64-bit mode).
    """
    jax, jnp, optimizers = _jax()
    f32 = jnp.float32
    opt_init, opt_update, get_params = optimizers.adam(learning_rate, b1=0.0, b2=0.999)

    def loss(params, x_pos, x_neg):
        e_pos = _energy(jax, jnp, params, x_pos)
        e_neg = _energy(jax, jnp, params, jax.lax.stop_gradient(x_neg))
        cd = jnp.mean(e_pos) - jnp.mean(e_neg)
        reg = jnp.mean(e_pos ** 2) + jnp.mean(e_neg ** 2)
        return cd + alpha * reg, (jnp.mean(e_pos), jnp.mean(e_neg))

    def step(i, carry, data, k_run):
        opt_state, buffer, e_hist = carry
        params = get_params(opt_state)
        (n, d), buffer_size = data.shape, buffer.shape[0]
        # one key per step from the step's index: the draws do not depend on
        # how the steps are grouped into blocks
        k_data, k_rows, k_re, k_u, k_lv = jax.random.split(jax.random.fold_in(k_run, i), 5)
        x_pos = data[jax.random.randint(k_data, (batch_size,), 0, n, dtype=jnp.int32)]
        # distinct rows: a scatter with repeated indices has no defined winner
        rows = jax.random.choice(k_rows, buffer_size, (batch_size,), replace=False)
        # p as float32: bernoulli draws uniforms of p's dtype, which would be
        # float64 (other bits) when JAX's 64-bit mode is on
        fresh = jax.random.bernoulli(k_re, jnp.float32(reinit), (batch_size, 1))
        x0 = jnp.where(fresh, jax.random.uniform(k_u, (batch_size, d), dtype=f32),
                       buffer[rows])
        x_neg = _langevin(jax, jnp, params, x0, k_lv, langevin_steps, step_size, noise_sd)
        buffer = buffer.at[rows].set(x_neg)
        grads, (e_pos, e_neg) = jax.grad(loss, has_aux=True)(params, x_pos, x_neg)
        opt_state = opt_update(i, grads, opt_state)
        e_hist = e_hist.at[i].set(jnp.stack([e_pos, e_neg]))
        return opt_state, buffer, e_hist

    @jax.jit
    def run(start, stop, carry, data, k_run):
        return jax.lax.fori_loop(start, stop, lambda i, c: step(i, c, data, k_run), carry)

    return opt_init, get_params, run


@functools.lru_cache(maxsize=8)
def _sampler(steps, step_size, noise_sd):
    """The jitted sampler for these settings (cached like :func:`_trainer`)."""
    jax, jnp, _ = _jax()

    @jax.jit
    def sample(params, x0, key):
        return _langevin(jax, jnp, params, x0, key, steps, step_size, noise_sd)

    return sample


def langevin_ebm_baseline(ebm, n, steps=None, seed=0):
    """``n`` samples: short Langevin runs of a trained model started from uniform noise.

    Chains start uniform on [0, 1] (never from data, which would flatter a
    model that copies) and take ``steps`` updates of the model's own
    Langevin rule (its ``step_size`` and ``noise_sd``); the last state of
    each chain is a sample.

    Parameters
    ----------
    ebm : LangevinEBM
        From :func:`train_langevin_ebm`.
    n : int
        Number of samples (independent chains).
    steps : int, optional
        Langevin updates per chain; by default the ``langevin_steps`` the
        model was trained with, which scored best by far (module
        docstring): the trained model is a K-step sampler, and longer
        chains leave the digits.
    seed : int
        The same seed gives the same samples bit for bit.

    Returns
    -------
    ndarray, shape (n, d)
        Pixels in [0, 1] (float32 values, returned as float64).
    """
    if not isinstance(ebm, LangevinEBM):
        raise HEEParameterError(
            f"ebm must be a LangevinEBM from train_langevin_ebm, got {type(ebm).__name__}.")
    n = _check_positive_int(n, "n")
    if steps is None:
        steps = ebm.settings["langevin_steps"]
    steps = _check_positive_int(steps, "steps", minimum=0)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise HEEParameterError(f"seed must be a non-negative integer, got {seed!r}.")
    jax, jnp, _ = _jax()
    params = _as_float32_params(jnp, ebm.params)
    k_start, k_run = jax.random.split(_key(jax, seed))
    x0 = jax.random.uniform(k_start, (n, ebm.d), dtype=jnp.float32)

    sample = _sampler(steps, float(ebm.step_size), float(ebm.noise_sd))
    return np.asarray(sample(params, x0, k_run), dtype=float)
