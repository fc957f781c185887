"""Offline quality of generated digits, and the baselines it is compared with.

Everything here maps plain arrays of images (rows of pixels in [0, 1]) to
numbers, the way the field scores generative models without downloading a
feature network:

* :func:`frechet_distance` -- the Frechet (2-Wasserstein) distance between
  two Gaussians; :func:`feature_frechet_distance` applies it to the hidden
  layer of a classifier trained on the real training digits
  (:func:`train_feature_classifier`): the FID idea at digit scale.
* :func:`classifier_scores` -- the classifier's confidence on samples and
  how many classes they cover.
* :func:`class_switch_rate` -- how often consecutive samples of a chain
  change class (mixing); :func:`chain_mixing` -- mixing of chains sampled
  finely in time: the autocorrelation of classifier features against lag,
  Stan's effective sample size per simulated time, and class switches per
  unit time.
* :func:`latent_prior_gap` -- where a two-stage generator loses quality: the
  same observation model scored on the latents inferred from real images,
  on their marginals and second moments only, and on the prior's latents.
* :func:`nearest_neighbour_check` -- distances from samples to the nearest
  training image, against the same distances of held-out real digits, so a
  model that copies its training set shows up.
* Baselines scored with the same functions in the same run:
  :func:`gaussian_baseline` (the data's mean and covariance),
  :func:`rbm_baseline` (scikit-learn's ``BernoulliRBM``, trained by
  persistent contrastive divergence, sampled by block Gibbs chains).
* :func:`score_table` / :func:`markdown_table` -- one row per generator.
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = [
    "frechet_distance",
    "gaussian_stats",
    "train_feature_classifier",
    "classifier_features",
    "feature_frechet_distance",
    "classifier_scores",
    "nearest_neighbour_check",
    "gaussian_baseline",
    "train_rbm",
    "rbm_baseline",
    "bootstrap_fd_se",
    "class_switch_rate",
    "chain_mixing",
    "latent_prior_gap",
    "score_samples",
    "markdown_table",
    "plot_sample_grid",
]


def gaussian_stats(x):
    """Mean and covariance (rows are samples) of ``x``."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need a 2-D array with at least 2 rows, got shape {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def psd_sqrt(cov):
    """Symmetric square root of a covariance matrix.

    Eigenvalues below ``n * eps`` times the largest (and negative ones) are
    rounding noise of a positive semi-definite matrix and are set to zero.

    Parameters
    ----------
    cov : ndarray, shape (n, n)

    Returns
    -------
    ndarray, shape (n, n)
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=float))
    w, v = linalg.eigh((cov + cov.T) / 2)
    floor = cov.shape[0] * np.finfo(float).eps * max(float(w.max(initial=0.0)), 0.0)
    w = np.where(w > floor, w, 0.0)
    return (v * np.sqrt(w)) @ v.T


def frechet_distance(mu1, cov1, mu2, cov2):
    """Squared Frechet distance between N(mu1, cov1) and N(mu2, cov2).

    d^2 = |mu1 - mu2|^2 + tr(cov1 + cov2 - 2 (cov1^{1/2} cov2 cov1^{1/2})^{1/2}),

    computed without squaring anything small: with S_k the symmetric
    square roots of the covariances (eigenvalues below ``n * eps`` times the
    largest set to zero, so rounding noise is not mistaken for variance), the
    cross term tr (S_1 cov2 S_1)^{1/2} is the sum of the singular values of
    S_1 S_2.  A singular value is computed to within eps ||S_1 S_2||, while
    the square root of a computed eigenvalue of S_1 cov2 S_1 would carry an
    error of sqrt(eps) there; the result therefore does not depend on the
    linear-algebra library beyond rounding.

    Returns
    -------
    float
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(float), np.atleast_1d(mu2).astype(float)
    cov1, cov2 = np.atleast_2d(cov1).astype(float), np.atleast_2d(cov2).astype(float)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape or cov1.shape != (mu1.size,) * 2:
        raise ValueError("means and covariances must have matching shapes (d,), (d, d)")
    s1, s2 = psd_sqrt(cov1), psd_sqrt(cov2)
    cross = linalg.svdvals(s1 @ s2).sum()
    d2 = np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross
    return float(max(d2, 0.0))


def train_feature_classifier(images, labels, hidden=(64,), seed=0, max_iter=600):
    """Train the classifier whose hidden layer is the feature space.

    Parameters
    ----------
    images : ndarray, shape (n, d)
        Real training digits, pixels in [0, 1].
    labels : ndarray of int
    hidden : tuple of int
        Hidden layer sizes of the MLP (ReLU); the last one gives the features.
    seed : int
    max_iter : int

    Returns
    -------
    sklearn.neural_network.MLPClassifier
    """
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=hidden, alpha=1e-3, max_iter=max_iter,
                        random_state=seed)
    clf.fit(np.asarray(images, dtype=float), np.asarray(labels))
    return clf


def classifier_features(clf, images):
    """Activations of the classifier's last hidden layer (ReLU) for ``images``."""
    h = np.asarray(images, dtype=float)
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        h = np.maximum(h @ W + b, 0.0)
    return h


def feature_frechet_distance(clf, samples, reference):
    """Frechet distance between samples and reference in classifier features (the FID idea).

    The features are the activations of the classifier's last hidden layer.
    """
    return frechet_distance(*gaussian_stats(classifier_features(clf, samples)),
                            *gaussian_stats(classifier_features(clf, reference)))


def classifier_scores(clf, samples, min_share=0.5):
    """Confidence and class coverage of the classifier on generated samples.

    Parameters
    ----------
    clf : fitted classifier with ``predict_proba`` and ``classes_``
    samples : ndarray, shape (n, d)
    min_share : float
        A class counts as covered when it is predicted for at least
        ``min_share`` times its uniform share (1 / n_classes) of the samples.

    Returns
    -------
    dict
        ``confidence`` (mean of the largest class probability),
        ``coverage`` (fraction of classes covered), ``class_entropy_bits``
        (entropy of the predicted-class histogram; log2(n_classes) when
        uniform) and ``class_counts``.
    """
    p = clf.predict_proba(np.asarray(samples, dtype=float))
    k = p.shape[1]
    counts = np.bincount(np.argmax(p, axis=1), minlength=k)
    share = counts / counts.sum()
    nz = share[share > 0]
    return {
        "confidence": float(np.mean(np.max(p, axis=1))),
        "coverage": float(np.mean(share >= min_share / k)),
        "class_entropy_bits": float(-(nz * np.log2(nz)).sum()),
        "class_counts": counts.tolist(),
    }


def _nearest_distances(a, b, block=512):
    """Euclidean distance from each row of ``a`` to its nearest row of ``b``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    bb = np.sum(b**2, axis=1)
    out = np.empty(len(a))
    for s in range(0, len(a), block):
        blk = a[s:s + block]
        d2 = np.sum(blk**2, axis=1)[:, None] + bb[None, :] - 2 * blk @ b.T
        out[s:s + block] = np.sqrt(np.clip(d2.min(axis=1), 0, None))
    return out


def nearest_neighbour_check(samples, train, heldout, quantile=0.01):
    """Check whether the samples are copies of training images.

    Held-out real digits are new digits by construction; their distances to
    the nearest training image set the scale.  A sample closer to a training
    image than the ``quantile`` of those distances counts as a near copy, so
    held-out digits score ``quantile`` and a copying model scores near 1.

    Returns
    -------
    dict
        ``nn_median`` (median sample-to-train distance), ``nn_ratio`` (that
        median over the held-out one: ~1 for new digits, ~0 for copies),
        ``copy_fraction`` and ``threshold``.
    """
    d_s = _nearest_distances(samples, train)
    d_h = _nearest_distances(heldout, train)
    thr = float(np.quantile(d_h, quantile))
    return {
        "nn_median": float(np.median(d_s)),
        "nn_ratio": float(np.median(d_s) / np.median(d_h)),
        "copy_fraction": float(np.mean(d_s < thr)),
        "threshold": thr,
    }


def gaussian_baseline(train, n, seed=0):
    """``n`` samples of a Gaussian with the training images' mean and covariance."""
    mu, cov = gaussian_stats(train)
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(mu, cov, size=n, method="eigh")


def train_rbm(train, n_components=64, n_iter=400, learning_rate=0.01, batch_size=10, seed=0):
    """scikit-learn ``BernoulliRBM`` fitted by persistent contrastive divergence.

    The defaults were chosen for the 8x8 digits by a small sweep scored
    with :func:`feature_frechet_distance` (n_components 32-256, learning
    rate 0.003-0.1, 60-800 epochs): slow learning with many epochs gave the
    best samples, sklearn's defaults (0.1, 10 epochs) far worse ones.
    """
    from sklearn.neural_network import BernoulliRBM

    rbm = BernoulliRBM(n_components=n_components, learning_rate=learning_rate,
                       batch_size=batch_size, n_iter=n_iter, random_state=seed)
    rbm.fit(np.asarray(train, dtype=float))
    return rbm


def rbm_baseline(rbm, n, gibbs_steps=1000, seed=0, mean=True):
    """``n`` samples from independent block-Gibbs chains of a fitted RBM.

    Chains start from uniform random binary images (not from data, which
    would flatter a model that copies).  With ``mean`` the last visible
    conditional p(v | h) is returned (the analogue of an observation layer's
    conditional mean), else the binary sample.
    """
    rng = np.random.default_rng(seed)
    W, bh, bv = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
    v = (rng.random((n, W.shape[1])) < 0.5).astype(float)
    pv = v
    for _ in range(gibbs_steps):
        h = (rng.random((n, W.shape[0])) < sig(v @ W.T + bh)).astype(float)
        pv = sig(h @ W + bv)
        v = (rng.random(pv.shape) < pv).astype(float)
    return pv if mean else v


def bootstrap_fd_se(clf, samples, reference, n_boot=100, seed=0):
    """Bootstrap standard error of :func:`feature_frechet_distance` over the samples.

    Resamples the generated samples (the reference statistics are fixed), so
    it measures how much the distance would move with another draw of the
    same number of samples.  Correlated samples (one slow chain) make it an
    underestimate.
    """
    f = classifier_features(clf, samples)
    ref = gaussian_stats(classifier_features(clf, reference))
    rng = np.random.default_rng(seed)
    d = [frechet_distance(*gaussian_stats(f[rng.integers(0, len(f), len(f))]), *ref)
         for _ in range(n_boot)]
    return float(np.std(d, ddof=1))


def class_switch_rate(clf, samples, chain_length=None):
    """How often consecutive samples of a chain change predicted class.

    A mixing diagnostic for samples taken in order from Markov chains:
    independent draws switch class at rate 1 - sum_c p_c^2 (about 0.9 for
    ten balanced classes); a chain stuck on one digit switches rarely.

    Parameters
    ----------
    clf : fitted classifier
    samples : ndarray, shape (n, d)
        In chain order, chains concatenated.
    chain_length : int, optional
        Samples per chain (pairs across chain boundaries are skipped);
        default: one chain.

    Returns
    -------
    dict
        ``switch_rate`` and ``switch_rate_independent`` (the rate expected
        of independent draws with the same class histogram).
    """
    c = clf.predict(np.asarray(samples, dtype=float))
    n = len(c)
    chain_length = n if chain_length is None else int(chain_length)
    pair = np.arange(n - 1)
    pair = pair[(pair + 1) % chain_length != 0]
    share = np.bincount(np.searchsorted(clf.classes_, c), minlength=len(clf.classes_)) / n
    return {"switch_rate": float(np.mean(c[pair] != c[pair + 1])),
            "switch_rate_independent": float(1 - np.sum(share**2))}


def _pooled_acf(f, max_lag):
    """Autocorrelation of vector chains about the pooled mean, traced over dimensions.

    ``f`` has shape (chains, draws, d).  Centring on the mean over every
    chain (not each chain's own) keeps a chain stuck in one mode visible: its
    deviation from the pooled mean persists at every lag.  Returns
    (chains, max_lag + 1): the autocovariance summed over dimensions, over
    the pooled total variance.
    """
    f = f - f.reshape(-1, f.shape[-1]).mean(axis=0)
    var = np.mean(np.sum(f**2, axis=-1))
    n = f.shape[1]
    acf = np.empty((f.shape[0], max_lag + 1))
    for k in range(max_lag + 1):
        acf[:, k] = np.mean(np.sum(f[:, :n - k] * f[:, k:], axis=-1), axis=1)
    return acf / var


def chain_mixing(clf, chains, spacing, max_lag=None):
    """How fast chains of generated samples mix, in units of simulated time.

    Parameters
    ----------
    clf : fitted MLPClassifier
        Its last hidden layer gives the features (:func:`classifier_features`)
        and its predictions the classes.
    chains : array_like, shape (n_chains, n_draws, d)
        Samples (pixels in [0, 1]) of independent chains, in time order.
    spacing : float
        Simulated time between consecutive samples of a chain, in the unit
        every result is given in (e.g. tau_x).
    max_lag : int, optional
        Longest lag of the autocorrelation, in samples (default: a quarter of
        a chain).

    Returns
    -------
    dict
        ``lags`` (max_lag + 1 lags, in the unit of ``spacing``), ``acf``
        (its mean over chains) and ``acf_se`` (standard error over chains)
        of the classifier features about their pooled mean
        (:func:`_pooled_acf`); ``ess`` and ``ess_per_unit_time``: the
        median over features of Stan's multi-chain effective sample size
        (``numpyro.diagnostics.effective_sample_size``: Geyer's initial
        monotone sequence) and of that over the chains' total time, with
        ``ess_per_unit_time_se``, the standard error of the latter from each
        chain's own rate;
        ``iat``: the integrated autocorrelation time, the chains' total time
        over ``ess``; ``class_switches_per_unit_time``: changes
        of the predicted class between consecutive samples per unit time,
        with its standard error over chains; ``classes``: the predicted
        class of every sample, (n_chains, n_draws).
    """
    from numpyro.diagnostics import effective_sample_size

    chains = np.asarray(chains, dtype=float)
    if chains.ndim != 3 or chains.shape[1] < 4:
        raise ValueError("chains must have shape (n_chains, n_draws >= 4, pixels), got "
                         f"{chains.shape}")
    if not spacing > 0:
        raise ValueError(f"spacing must be > 0 (time between samples), got {spacing}")
    n_chains, n_draws, _ = chains.shape
    flat = chains.reshape(n_chains * n_draws, -1)
    f = classifier_features(clf, flat).reshape(n_chains, n_draws, -1)
    f = f[..., f.reshape(-1, f.shape[-1]).std(axis=0) > 0]  # ReLU units that never fire
    max_lag = n_draws // 4 if max_lag is None else min(int(max_lag), n_draws - 1)
    acf = _pooled_acf(f, max_lag)
    # nanmedian: a feature constant within one chain (a ReLU unit silent there) has no ESS
    ess = np.nanmedian(effective_sample_size(f))
    total = n_chains * n_draws * spacing
    rate = [np.nanmedian(effective_sample_size(f[c:c + 1])) / (n_draws * spacing)
            for c in range(n_chains)]
    classes = clf.predict(flat).reshape(n_chains, n_draws)
    switches = np.mean(classes[:, 1:] != classes[:, :-1], axis=1) / spacing
    return {
        "lags": np.arange(max_lag + 1) * spacing,
        "acf": acf.mean(axis=0),
        "acf_se": acf.std(axis=0, ddof=1) / np.sqrt(n_chains) if n_chains > 1
        else np.full(max_lag + 1, np.nan),
        "ess": float(ess),
        "ess_per_unit_time": float(ess / total),
        "ess_per_unit_time_se": float(np.std(rate, ddof=1) / np.sqrt(n_chains))
        if n_chains > 1 else float("nan"),
        "iat": float(total / ess),
        "class_switches_per_unit_time": float(switches.mean()),
        "class_switches_per_unit_time_se": float(switches.std(ddof=1) / np.sqrt(n_chains))
        if n_chains > 1 else float("nan"),
        "classes": classes,
        "n_chains": int(n_chains), "n_draws": int(n_draws), "spacing": float(spacing),
    }


#: The latent sets of :func:`latent_prior_gap`, in the order it scores them.
GAP_SETS = ("posterior", "posterior, factorial", "posterior, Gaussian", "prior")


def latent_prior_gap(clf, to_pixels, posterior, prior, train, deep_clf=None, n=1000, seed=0,
                     n_boot=100):
    """Where a two-stage generator loses sample quality: its observation model or its prior.

    A hierarchical generator makes an image in two stages: latents ``z``
    from its prior, then pixels from the observation model given ``z``
    (``to_pixels``).  Its samples can only be as good as the prior's match
    to the latents the model itself infers from real images, the aggregate
    posterior q(z).  This scores pixels made by the same ``to_pixels`` from
    four sets of latents:

    ``posterior``
        q(z) itself (latents inferred from training images): the best the
        prior could do with this observation model.
    ``posterior, factorial``
        each latent's values permuted independently across samples: q's
        one-dimensional marginals, with every dependence between latents
        removed.
    ``posterior, Gaussian``
        a Gaussian with q's mean and covariance: q's dependencies to second
        order only.
    ``prior``
        the model's own latents during generation.

    If ``posterior`` scores well and ``prior`` does not, the observation
    model is not what limits the samples; where ``prior`` falls between the
    other two says how much of q's structure the prior captures.

    Parameters
    ----------
    clf : fitted MLPClassifier
        Feature network (:func:`feature_frechet_distance`).
    to_pixels : callable
        Latents, shape (m, k) -> pixels in [0, 1], shape (m, d).
    posterior, prior : array_like, shape (m, k)
        Latent samples; ``posterior`` needs at least ``n`` rows.
    train : ndarray, shape (n_train, d)
        The reference images.
    deep_clf : MLPClassifier, optional
        A second feature network: adds ``fd_deep`` and ``fd_deep_se``.
    n : int
        Images scored per set (``n`` rows of ``posterior``, drawn without
        replacement; all of ``prior``).
    seed : int
        Seed of the draws, the permutations and the Gaussian.
    n_boot : int
        Bootstrap resamples of the standard errors (:func:`bootstrap_fd_se`).

    Returns
    -------
    dict
        One entry per name in :data:`GAP_SETS`, each with ``fd``, ``fd_se``
        (and ``fd_deep``, ``fd_deep_se``) and ``pixel_variance`` (the trace
        of the pixels' covariance); ``latent_variance_ratio``: the median
        over latents of the prior's variance over q's;
        ``latent_covariance_corr``: the correlation between the off-diagonal
        entries of the two latent covariances (1: the prior has q's pairwise
        dependencies, up to scale).

    Raises
    ------
    ValueError
        For latent sets of different widths, or fewer than ``n`` posterior
        samples.
    """
    q, p = np.asarray(posterior, dtype=float), np.asarray(prior, dtype=float)
    if q.ndim != 2 or p.ndim != 2 or q.shape[1] != p.shape[1] or q.shape[1] < 2:
        raise ValueError("posterior and prior must be (samples, latents) arrays of the same "
                         f"width >= 2, got shapes {q.shape} and {p.shape}")
    if len(q) < n or len(p) < 2:
        raise ValueError(f"need at least n = {n} posterior samples and 2 prior samples, got "
                         f"{len(q)} and {len(p)}; infer more images or lower n")
    rng = np.random.default_rng(seed)
    q_n = q[rng.choice(len(q), n, replace=False)]
    latents = {
        "posterior": q_n,
        # each column drawn from all of q, so the shuffle is not limited to the n rows
        "posterior, factorial": np.stack([rng.choice(q[:, j], n) for j in range(q.shape[1])],
                                         axis=1),
        "posterior, Gaussian": rng.multivariate_normal(q.mean(axis=0), np.cov(q, rowvar=False),
                                                       size=n, method="eigh"),
        "prior": p,
    }
    out = {}
    for name in GAP_SETS:
        x = np.asarray(to_pixels(latents[name]), dtype=float)
        row = {"fd": feature_frechet_distance(clf, x, train),
               "fd_se": bootstrap_fd_se(clf, x, train, n_boot=n_boot, seed=seed),
               "pixel_variance": float(np.trace(np.atleast_2d(np.cov(x, rowvar=False))))}
        if deep_clf is not None:
            row["fd_deep"] = feature_frechet_distance(deep_clf, x, train)
            row["fd_deep_se"] = bootstrap_fd_se(deep_clf, x, train, n_boot=n_boot, seed=seed)
        out[name] = row
    cq, cp = np.cov(q, rowvar=False), np.cov(p, rowvar=False)
    off = ~np.eye(q.shape[1], dtype=bool)
    out["latent_variance_ratio"] = float(np.median(np.diag(cp) / np.diag(cq)))
    out["latent_covariance_corr"] = float(np.corrcoef(cp[off], cq[off])[0, 1])
    return out


def score_samples(clf, samples, train, heldout, deep_clf=None, chain_length=None, n_boot=100):
    """All metrics of one generator's samples (pixels in [0, 1]).

    Parameters
    ----------
    clf : MLPClassifier
        Feature network (one hidden layer) and classifier for the scores.
    samples, train, heldout : ndarray, shape (n, d)
    deep_clf : MLPClassifier, optional
        A deeper feature network: adds ``fd_deep`` and ``fd_deep_se``.
        The ranking of generators can depend on the feature space, so the
        script reports both.
    chain_length : int, optional
        Samples per chain, for :func:`class_switch_rate`.
    n_boot : int
        Bootstrap resamples of :func:`bootstrap_fd_se`.

    Returns
    -------
    dict
        ``fd`` (feature Frechet distance to the training digits, the
        statistics the models were fitted to; held-out real digits scored
        the same way give the floor set by finite samples), ``fd_pixel``
        (the same in pixel space), ``fd_se`` (bootstrap standard error of
        ``fd``, :func:`bootstrap_fd_se`), the :func:`classifier_scores`,
        the :func:`class_switch_rate` and the :func:`nearest_neighbour_check`.
    """
    out = {
        "n": int(len(samples)),
        "fd": feature_frechet_distance(clf, samples, train),
        "fd_se": bootstrap_fd_se(clf, samples, train, n_boot=n_boot),
        "fd_pixel": frechet_distance(*gaussian_stats(samples), *gaussian_stats(train)),
    }
    if deep_clf is not None:
        out["fd_deep"] = feature_frechet_distance(deep_clf, samples, train)
        out["fd_deep_se"] = bootstrap_fd_se(deep_clf, samples, train, n_boot=n_boot)
    out.update(classifier_scores(clf, samples))
    out.update(class_switch_rate(clf, samples, chain_length))
    out.update(nearest_neighbour_check(samples, train, heldout))
    return out


_COLUMNS = [
    ("fd", "Frechet dist. (features)", "{:.2f}"),
    ("fd_se", "(bootstrap s.e.)", "{:.2f}"),
    ("fd_deep", "Frechet dist. (deep features)", "{:.2f}"),
    ("fd_deep_se", "(bootstrap s.e.)", "{:.2f}"),
    ("fd_pixel", "Frechet dist. (pixels)", "{:.2f}"),
    ("confidence", "classifier confidence", "{:.3f}"),
    ("coverage", "class coverage", "{:.2f}"),
    ("class_entropy_bits", "class entropy (bits)", "{:.2f}"),
    ("switch_rate", "class switch rate (consecutive)", "{:.2f}"),
    ("nn_ratio", "NN dist. / held-out NN dist.", "{:.2f}"),
    ("copy_fraction", "near-copy fraction", "{:.3f}"),
]


def markdown_table(scores):
    """Markdown table, one row per generator, from ``{name: score_samples(...)}``.

    Columns missing from every row (e.g. ``fd_deep`` without a deep
    classifier) are left out; a value missing from one row shows as "-".
    """
    cols = [c for c in _COLUMNS if any(c[0] in s for s in scores.values())]
    head = "| generator | n | " + " | ".join(c[1] for c in cols) + " |"
    sep = "|" + " --- |" * (len(cols) + 2)
    rows = [head, sep]
    for name, s in scores.items():
        cells = [fmt.format(s[key]) if key in s else "-" for key, _, fmt in cols]
        rows.append(f"| {name} | {s['n']} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def plot_sample_grid(samples, side, axes=None, title="", ncols=10, nrows=10):
    """Draw the first ``nrows * ncols`` samples as a grey-level image grid.

    Pixels are shown on a fixed [0, 1] intensity scale (1 = full ink in the
    original digits) so grids of different generators compare directly.

    Parameters
    ----------
    samples : array_like, shape (n, side * side)
        Pixels in [0, 1].
    side : int
        Image side in pixels.
    axes : Axes, optional
        Drawn on a new figure when None.
    title : str
    ncols, nrows : int
        Grid size; places without a sample stay blank.

    Returns
    -------
    Axes
        Its image (for a colour bar) is ``axes.images[-1]``.
    """
    from .plotting import plot_image_grid

    samples = np.asarray(samples, dtype=float)
    return plot_image_grid(samples[:nrows * ncols], (side, side), axes=axes, title=title,
                           cmap="gray_r", vmin=0, vmax=1, ncols=ncols, nrows=nrows)
