"""Posterior statistics of sampled chains: how well and how fast a sampler samples.

Pure functions from recorded samples (plain NumPy arrays) to numbers.  Shapes
follow one convention throughout:

* one chain of a scalar: ``(T,)``;
* several chains of a scalar: ``(T, B)`` (time first, then chain);
* several chains of a vector: ``(T, B, d)``; a single vector chain ``(T, d)``
  is treated as ``B = 1`` wherever a function needs chains.

Autocorrelation times are returned in units of samples; multiply by the
recording interval to get seconds (or divide by ``tau_x`` for units of the
neurons' time constant).

References
----------
Sokal, A. D. (1997). Monte Carlo methods in statistical mechanics:
foundations and new algorithms.  (Automatic windowing of the integrated
autocorrelation time, with c = 5 and its error estimate.)
Geyer, C. J. (1992). Practical Markov chain Monte Carlo. Statist. Sci. 7,
473-483.  (Initial positive sequence estimator.)
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. & Buerkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat.
Bayesian Analysis 16, 667-718.  (Split R-hat.)
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "as_chains",
    "sample_mean",
    "sample_cov",
    "gaussian_kl",
    "kl_to_gaussian",
    "kl_estimation_floor",
    "variance_ratio",
    "ks_distance",
    "autocorrelation",
    "integrated_autocorrelation_time",
    "effective_sample_size",
    "split_rhat",
    "kl_vs_time",
    "marginal_kl_vs_time",
    "time_to_threshold",
    "compare_to_reference",
]


# ----------------------------------------------------------------------
# shapes
def as_chains(samples, vector=True):
    """Return ``samples`` as an array of shape (T, B, d) (``vector``) or (T, B).

    Parameters
    ----------
    samples : array_like
        ``(T,)``, ``(T, d)`` or ``(T, B, d)`` when ``vector`` is true (a 2-D
        array is one chain of a d-vector); ``(T,)`` or ``(T, B)`` otherwise.
    vector : bool
        Whether the samples are vectors (True) or scalars (False).
    """
    x = np.asarray(samples, dtype=float)
    if vector:
        if x.ndim == 1:
            return x[:, None, None]
        if x.ndim == 2:
            return x[:, None, :]
        if x.ndim == 3:
            return x
        raise ValueError(f"vector samples must have shape (T,), (T, d) or (T, B, d), got {x.shape}")
    if x.ndim == 1:
        return x[:, None]
    if x.ndim == 2:
        return x
    raise ValueError(f"scalar samples must have shape (T,) or (T, B), got {x.shape}")


def _pooled(samples):
    x = as_chains(samples)
    return x.reshape(-1, x.shape[-1])


# ----------------------------------------------------------------------
# moments and distances to a Gaussian reference
def sample_mean(samples):
    """Mean of all samples of all chains, shape (d,)."""
    return _pooled(samples).mean(axis=0)


def sample_cov(samples):
    """Covariance of all samples of all chains (pooled, ddof = 1), shape (d, d)."""
    return np.atleast_2d(np.cov(_pooled(samples), rowvar=False))


def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    """KL(N(mean_p, cov_p) || N(mean_q, cov_q)) in nats, exactly.

    KL = 1/2 [tr(Sq^-1 Sp) + (mq - mp)^T Sq^-1 (mq - mp) - d + ln det Sq - ln det Sp].
    """
    mp, mq = np.atleast_1d(np.asarray(mean_p, float)), np.atleast_1d(np.asarray(mean_q, float))
    Sp, Sq = np.atleast_2d(np.asarray(cov_p, float)), np.atleast_2d(np.asarray(cov_q, float))
    d = mp.size
    sign_p, logdet_p = np.linalg.slogdet(Sp)
    if sign_p <= 0:  # a degenerate p (e.g. chains that all start at one point)
        return float("inf")
    # Sq^-1 Sp and the Mahalanobis term through the Cholesky factor of Sq
    Lq = np.linalg.cholesky(Sq)
    A = np.linalg.solve(Lq, Sp)
    trace = np.trace(np.linalg.solve(Lq.T, A))
    diff = np.linalg.solve(Lq, mq - mp)
    _, logdet_q = np.linalg.slogdet(Sq)
    return float(0.5 * (trace + diff @ diff - d + logdet_q - logdet_p))


def kl_to_gaussian(samples, mean, cov):
    """KL from the Gaussian fitted to ``samples`` to the reference N(mean, cov).

    KL(N(m_hat, S_hat) || N(mean, cov)) in nats.  Even an exact sampler gives a
    positive value from the finite sample; see :func:`kl_estimation_floor`.
    """
    return gaussian_kl(sample_mean(samples), sample_cov(samples), mean, cov)


def kl_estimation_floor(d, n_eff):
    """Expected KL of a Gaussian fitted to ``n_eff`` independent exact samples.

    To leading order in 1/n the mean error contributes d/(2n) and the
    covariance error (Wishart, Var(E_ij) = (1 + delta_ij)/n) d(d+1)/(4n):
    E[KL] ~ d (d + 3) / (4 n).  Below this a measured KL says nothing.
    """
    return d * (d + 3) / (4.0 * n_eff)


def variance_ratio(samples, cov):
    """Sampled / exact variance along each eigen-direction of ``cov``.

    Returns the ratios ``v_k^T S_hat v_k / lambda_k`` ordered like the
    eigenvalues of ``cov`` (ascending), so the last entry is the slowest
    (widest) direction of the posterior.
    """
    lam, V = np.linalg.eigh(np.atleast_2d(cov))
    S = sample_cov(samples)
    return np.einsum("ik,ij,jk->k", V, S, V) / lam


def ks_distance(samples, cdf=None, grid=None, pdf=None):
    """Kolmogorov-Smirnov distance between 1-D samples and a reference density.

    Parameters
    ----------
    samples : array_like
        Scalar samples, any shape (flattened; chains pooled).
    cdf : callable, optional
        The reference cumulative distribution function F(x).
    grid, pdf : array_like, optional
        The reference density tabulated on an increasing ``grid`` (need not be
        normalised; it is integrated with the trapezoid rule and normalised,
        and F is interpolated linearly; mass outside the grid counts as 0).

    Returns
    -------
    float
        sup_x |F_n(x) - F(x)| over the sample points.
    """
    x = np.sort(np.asarray(samples, dtype=float).ravel())
    n = x.size
    if cdf is None:
        if grid is None or pdf is None:
            raise ValueError("give the reference as cdf=callable or as grid= and pdf= arrays")
        grid, pdf = np.asarray(grid, float), np.asarray(pdf, float)
        F_grid = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(grid))])
        F_grid /= F_grid[-1]
        F = np.interp(x, grid, F_grid, left=0.0, right=1.0)
    else:
        F = np.asarray(cdf(x), dtype=float)
    upper = np.arange(1, n + 1) / n - F
    lower = F - np.arange(0, n) / n
    return float(max(upper.max(), lower.max()))


# ----------------------------------------------------------------------
# autocorrelation
def autocorrelation(x, max_lag=None):
    """Normalised autocorrelation function, averaged over chains.

    All chains are centred on their common (grand) mean, so that chains
    shorter than a few autocorrelation times are not each pulled to zero
    (centring every chain on its own mean biases the autocorrelation down
    by about tau/T at every lag, which accumulates in the integrated time).
    The autocovariances (divided by T) of all chains are averaged before
    normalising, computed with FFTs.  A single chain is centred on its mean.

    Parameters
    ----------
    x : array_like, shape (T,) or (T, B)
    max_lag : int, optional
        Largest lag returned (default T - 1).

    Returns
    -------
    ndarray, shape (max_lag + 1,)
        rho[0] = 1.
    """
    x = as_chains(x, vector=False)
    T = x.shape[0]
    if T < 2:
        raise ValueError("need at least 2 samples per chain for an autocorrelation")
    max_lag = T - 1 if max_lag is None else int(min(max_lag, T - 1))
    xc = x - x.mean()
    n_fft = 1 << int(np.ceil(np.log2(2 * T)))
    f = np.fft.rfft(xc, n=n_fft, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=n_fft, axis=0)[: max_lag + 1] / T
    acov = acov.mean(axis=1)
    if acov[0] <= 0:
        raise ValueError("the chains are constant: the autocorrelation is undefined")
    return acov / acov[0]


def integrated_autocorrelation_time(x, method="sokal", c=5.0, return_error=False,
                                    min_length=50.0):
    """Integrated autocorrelation time tau = 1 + 2 sum_{k>=1} rho_k, in samples.

    For an AR(1) chain with coefficient r it is (1 + r)/(1 - r); a chain of N
    samples then holds N / tau effectively independent ones.

    Parameters
    ----------
    x : array_like, shape (T,) or (T, B)
        A scalar statistic of one or several chains (autocorrelations are
        averaged over chains).
    method : {"sokal", "geyer"}
        ``sokal``: self-consistent window, the smallest M with M >= c tau(M).
        ``geyer``: initial positive sequence, summing pairs
        rho_{2k} + rho_{2k+1} while they are positive.
    c : float
        Sokal's window factor (5 is standard; use more for slowly decaying,
        oscillating autocorrelations).
    min_length : float
        Chains shorter than ``min_length * tau`` samples are flagged (the
        rule of thumb of Foreman-Mackey et al. 2013, emcee).
    return_error : bool
        Also return Sokal's standard error sqrt(2 (2M + 1) / N) tau, with N
        the total number of samples.

    Returns
    -------
    float, or (float, float)
        tau in samples (and its standard error).  If no window closes within
        the chain, or a chain is shorter than ``min_length`` tau (the
        chain-centred autocorrelation of a short chain decays too fast, so
        tau comes out too small), the estimate is only a lower bound and the
        error is returned as infinite.
    """
    xs = as_chains(x, vector=False)
    T, B = xs.shape
    rho = autocorrelation(xs)
    closed = True
    if method == "sokal":
        taus = 2.0 * np.cumsum(rho) - 1.0  # tau(M) = 1 + 2 sum_{k=1}^{M} rho_k
        ok = np.arange(len(rho)) >= c * taus
        if ok.any():
            M = int(np.argmax(ok))
        else:
            M, closed = len(rho) - 1, False
        tau = float(taus[M])
    elif method == "geyer":
        n_pairs = len(rho) // 2
        pairs = rho[: 2 * n_pairs : 2] + rho[1 : 2 * n_pairs : 2]
        neg = np.flatnonzero(pairs <= 0)
        k = int(neg[0]) if neg.size else n_pairs
        closed = bool(neg.size)
        tau = float(2.0 * pairs[:k].sum() - 1.0)
        M = 2 * k
    else:
        raise ValueError(f"method must be 'sokal' or 'geyer', not {method!r}")
    tau = max(tau, 1.0 / (T * B))
    if not return_error:
        return tau
    closed = closed and T >= min_length * tau
    err = tau * np.sqrt(2.0 * (2 * M + 1) / (T * B)) if closed else float("inf")
    return tau, float(err)


def effective_sample_size(x, **kwds):
    """Effective number of independent samples, N_total / tau (all chains)."""
    xs = as_chains(x, vector=False)
    return xs.size / integrated_autocorrelation_time(xs, **kwds)


def split_rhat(chains):
    """Split R-hat (Gelman-Rubin) of a scalar over several chains.

    Every chain is cut into two halves, and R-hat compares the between-half
    variance of the means with the within-half variances.  About 1 for
    chains that sample the same distribution; values above ~1.01 mean the
    chains have not mixed.

    Parameters
    ----------
    chains : array_like, shape (T, B)
        One column per chain (B >= 1; one chain still gives two halves).
    """
    x = as_chains(chains, vector=False)
    n = x.shape[0] // 2
    if n < 2:
        raise ValueError("split R-hat needs at least 4 samples per chain")
    halves = np.concatenate([x[:n], x[-n:]], axis=1)  # (n, 2B)
    means = halves.mean(axis=0)
    W = halves.var(axis=0, ddof=1).mean()
    Bv = n * means.var(ddof=1)
    var_plus = (n - 1) / n * W + Bv / n
    return float(np.sqrt(var_plus / W))


# ----------------------------------------------------------------------
# convergence from a distant start
def kl_vs_time(ensemble, mean, cov, window=1):
    """KL from an ensemble of chains to a Gaussian reference, at every time.

    Parameters
    ----------
    ensemble : array_like, shape (T, B, d)
        B chains started together (e.g. from a point far from the posterior).
    mean, cov : array_like
        The reference (exact, or a long-run estimate).
    window : int
        Pool ``window`` consecutive samples of every chain into each estimate
        (trades time resolution for less finite-sample KL; 1: none).

    Returns
    -------
    ndarray, shape (T // window,)
        KL(N(m_t, S_t) || N(mean, cov)) of the Gaussian fitted at each time
        (or window).  With B chains, even the stationary ensemble reads about
        :func:`kl_estimation_floor` (d, B * window) (fewer effective samples if
        pooled samples are correlated).
    """
    x = as_chains(ensemble)
    T, B, d = x.shape
    if B * window < d + 1:
        raise ValueError(
            f"{B} chains x window {window} cannot fit a {d}-dimensional covariance: "
            f"need at least {d + 1} samples per time point"
        )
    n = T // window
    out = np.empty(n)
    for k in range(n):
        out[k] = kl_to_gaussian(x[k * window:(k + 1) * window], mean, cov)
    return out


def marginal_kl_vs_time(ensemble, mean, var, window=1):
    """Mean over dimensions of the 1-D Gaussian KL of each marginal, at every time.

    For high-dimensional posteriors where B chains cannot fit a full
    covariance: at each time (or window of ``window`` samples), each
    dimension's ensemble mean and variance are compared with the reference
    ``mean`` and ``var`` and the per-dimension KLs are averaged.  The
    stationary floor is about :func:`kl_estimation_floor` (1, B * window).

    Parameters
    ----------
    ensemble : array_like, shape (T, B, d)
    mean, var : array_like, shape (d,)
    window : int

    Returns
    -------
    ndarray, shape (T // window,)
    """
    x = as_chains(ensemble)
    T, B, d = x.shape
    if B * window < 2:
        raise ValueError("need at least 2 samples (chains x window) per time point")
    n = T // window
    xw = x[: n * window].reshape(n, window * B, d)  # pool each window's samples
    m_t = xw.mean(axis=1)
    v_t = xw.var(axis=1, ddof=1)
    mean, var = np.asarray(mean, float), np.asarray(var, float)
    with np.errstate(divide="ignore"):
        kl = 0.5 * (v_t / var + (m_t - mean) ** 2 / var - 1.0 + np.log(var / v_t))
    return kl.mean(axis=1)


def time_to_threshold(t, curve, threshold):
    """First time after which ``curve`` stays below ``threshold``.

    Returns ``nan`` if the curve ends above the threshold (not reached within
    the run).
    """
    t = np.asarray(t, dtype=float)
    curve = np.asarray(curve, dtype=float)
    above = np.flatnonzero(~(curve < threshold))
    if above.size == 0:
        return float(t[0])
    last = above[-1]
    if last == len(curve) - 1:
        return float("nan")
    return float(t[last + 1])


# ----------------------------------------------------------------------
# a sampler against reference samples (NUTS) of the same posterior
def _split_halves(x):
    """Two halves of a sample set: by chains where there are several, else by time."""
    T, B, _ = x.shape
    if B >= 2:
        return x[:, : B // 2], x[:, B // 2: 2 * (B // 2)]
    return x[: T // 2], x[T // 2: 2 * (T // 2)]


def _variance_relative_se(x, mean):
    """Relative standard error of each coordinate's variance estimate, x (T, B, d)."""
    dev2 = (x - mean) ** 2
    flat = dev2.reshape(-1, x.shape[-1])
    excess = flat.var(axis=0) / flat.mean(axis=0) ** 2  # kurtosis - 1
    ess = np.array([effective_sample_size(dev2[:, :, j]) for j in range(x.shape[-1])])
    return np.sqrt(excess / ess)


def compare_to_reference(samples, reference, n_directions=5):
    """How a sampler's samples differ from reference samples of the same posterior.

    Parameters
    ----------
    samples : array_like, shape (T, B, d)
        The sampler under test (e.g. a network's latents, B streams).
    reference : array_like, shape (T', C, d)
        Samples of the exact posterior (e.g. :func:`hee_brian.nuts.nuts_posterior`).
    n_directions : int
        How many of the stiffest (smallest-variance) and flattest
        (largest-variance) eigen-directions of the reference covariance to
        report.

    Returns
    -------
    dict
        Per latent: ``mean_error_sd`` (|mean difference| in reference sd),
        ``var_ratio`` (sampled / reference variance), ``var_ratio_se`` (the
        ratio's standard error from both sides' chains: the relative error of
        a variance estimate is sqrt((kurtosis - 1) / ESS), with the ESS of the
        squared deviations), ``ks`` (two-sample KS distance), ``ess`` and
        ``rhat`` of each side (``ess_ref``, ``rhat_ref``).  Per direction:
        ``stiff_ratio`` and ``flat_ratio``
        (variance ratio along the ``n_directions`` stiffest and flattest
        directions, stiffest first and flattest last).  ``kl``: KL between the
        Gaussians fitted to the two sets (sampled || reference), nats;
        ``kl_floor``: what two sets of these sizes and correlations of one
        law would read, from splitting each set in two (a half against the
        other reads 4 c / n for a set of n effective samples; sampled
        against reference reads c (1/n + 1/n'), so the floor is the mean
        split KL of the two sets over 4 each, summed).
    """
    from scipy import stats

    x, r = as_chains(samples), as_chains(reference)
    if x.shape[-1] != r.shape[-1]:
        raise ValueError(f"samples have d = {x.shape[-1]}, the reference d = {r.shape[-1]}")
    d = x.shape[-1]
    px, pr = x.reshape(-1, d), r.reshape(-1, d)
    mx, mr = px.mean(axis=0), pr.mean(axis=0)
    Cx, Cr = np.atleast_2d(np.cov(px, rowvar=False)), np.atleast_2d(np.cov(pr, rowvar=False))
    sd = np.sqrt(np.diag(Cr))
    lam, V = np.linalg.eigh(Cr)
    along = np.einsum("ik,ij,jk->k", V, Cx, V) / lam
    k = min(int(n_directions), d)
    split = []
    for z in (x, r):
        a, b = _split_halves(z)
        split.append(gaussian_kl(sample_mean(a), sample_cov(a), sample_mean(b), sample_cov(b)))
    rel_se = [_variance_relative_se(z, m) for z, m in ((x, mx), (r, mr))]
    var_ratio = np.diag(Cx) / np.diag(Cr)
    return {
        "mean_error_sd": np.abs(mx - mr) / sd,
        "var_ratio": var_ratio,
        "var_ratio_se": var_ratio * np.sqrt(rel_se[0] ** 2 + rel_se[1] ** 2),
        "ks": np.array([stats.ks_2samp(px[:, j], pr[:, j]).statistic for j in range(d)]),
        "stiff_ratio": along[:k],
        "flat_ratio": along[d - k:],
        "kl": gaussian_kl(mx, Cx, mr, Cr),
        "kl_floor": (split[0] + split[1]) / 4.0,
        "ess": np.array([effective_sample_size(x[:, :, j]) for j in range(d)]),
        "ess_ref": np.array([effective_sample_size(r[:, :, j]) for j in range(d)]),
        "rhat": np.array([split_rhat(x[:, :, j]) for j in range(d)]),
        "rhat_ref": np.array([split_rhat(r[:, :, j]) for j in range(d)]),
    }
