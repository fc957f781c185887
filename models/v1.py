"""V1: a hierarchical HEE model of whitened natural image patches.

Layer 0 holds the pixels of an 8x8 whitened, contrast-normalised patch
(Gaussian, sigma_0); layer 1 holds 96 latents with a heavy-tailed Cauchy
(Student-t) prior, the simple-cell-like layer (1.5x overcomplete); layer 2
holds 32 Gaussian latents above them (``default``).  phi is linear.
Because layer 1 has a parent, its interneurons sample A'(eta_1) of the
Cauchy family, which the learning of W_2 and of the biases needs.  Trained
with the local plasticity on patches from the built-in photos
(:mod:`hee_brian.datasets.natural_images`, :func:`train`), the columns of
W_1 become localised, oriented, band-pass receptive fields (docs/model.md
section 8), and W_2 learns which of them go together (section 8.6).
``single`` is the one-latent-layer model (fixed biases) on which the
sampler was checked against NUTS; ``quick`` and ``single_quick`` are 4x4
versions for tests.

The settings (a Cauchy prior confined at s = 6, sigma_0 = 0.35, dt =
tau_x / 200, DC-free patches, 64 streams of 30 ms presentations) and the
measurements behind each are in docs/model.md section 8.5.

The sampler: the pixels' A'(eta_0) = sigma_0^2 eta_0 in closed form
(``interneurons="closed_form"``: no pixel interneurons) and
Leimkuhler-Matthews steps (``integrator="leimkuhler_matthews"``).  Its
accuracy, checked against NUTS on the main job's trained models (model
seeds 1 and 2, three natural patches each; ``simulations/posterior_vs_nuts.py``,
docs/sampling.md): the 5 stiffest posterior directions within 3 %, the
Gaussian KL at its estimation floor, mean errors at most 0.033 posterior
sd, and, with chains of 6000 tau_x, 97-100 % of the latents' variance
ratios within +-5 % (98-100 % for an exact sampler with those chains).
The sampling pixel interneurons (K = 1, tau_eps = 0.45 ms) with Euler steps
it replaced left the stiffest direction 2.3-2.4x too wide, at about the
same cost per step.  In the one-layer models the latents' own
interneurons (5 ms) serve only bias learning, which is off there
(``eta_b = 0``).  Given a Gaussian layer above (the default hierarchy, and
the two-latent-layer check ``posterior_vs_nuts.py --top 16`` on a trained
one-layer model with random W_2 of drive sd 0.1), they sample A'(eta_1);
with the noise budget, 96-100 % of the 112 latents are
within +-5 % on 6000 tau_x chains (97-100 % for an exact sampler), the top
layer's median ratio 0.976 (K = 1; against its exact prior, 0.983 with K = 1
and 0.998 with K = 4).

"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, ms

import hee_brian as hb
from hee_brian.errors import HEEParameterError

__all__ = ["PRIORS", "VARIANTS", "TRAINING", "build", "training", "first_layer", "train"]

#: Priors of the latents, by name: the heavy-tailed Student-t (Cauchy, nu = 1)
#: of the default model, and the smooth Laplace it replaced (kept for
#: comparison; docs/model.md section 8.5 compares the fields each learns).
PRIORS = {
    "student_t": ("student_t", dict(nu=1.0, scale=0.2, s=6.0)),
    "laplace": ("sparse", dict(lam=1.0, delta=0.1, s=6.0)),
}

#: Model parameters of each variant.  ``default`` and ``quick`` are
#: hierarchies: pixels -> ``n_latents`` Cauchy latents (the simple-cell-like
#: layer, whose interneurons sample A'(eta_1) because the layer has a parent)
#: -> ``n_top`` Gaussian latents (``top``: family and parameters), every W
#: and bias learned.  ``single`` and ``single_quick`` are the one-latent-layer
#: models (fixed biases) that the sampler checks against NUTS were made on.
_SAMPLER = dict(tau_x=10 * ms, dt=0.05 * ms, n_interneurons=1, init_norm=0.5,
                interneurons="closed_form", integrator="leimkuhler_matthews")
VARIANTS = {
    "default": dict(patch_size=8, n_latents=96, n_top=32, top=("gaussian", {"sigma": 1.0}),
                    top_init_sd=0.1, sigma0=0.35, prior="student_t",
                    tau_eps=[0.45 * ms, 5.0 * ms, 5.0 * ms], **_SAMPLER),
    "quick": dict(patch_size=4, n_latents=12, n_top=4, top=("gaussian", {"sigma": 1.0}),
                  top_init_sd=0.1, sigma0=0.35, prior="student_t",
                  tau_eps=[0.45 * ms, 5.0 * ms, 5.0 * ms], **_SAMPLER),
    "single": dict(patch_size=8, n_latents=96, n_top=0, sigma0=0.35, prior="student_t",
                   tau_eps=[0.45 * ms, 5.0 * ms], **_SAMPLER),
    "single_quick": dict(patch_size=4, n_latents=12, n_top=0, sigma0=0.35, prior="student_t",
                         tau_eps=[0.45 * ms, 5.0 * ms], **_SAMPLER),
}

#: Training defaults per variant: ``HEEModel.learn`` keywords (``eta_w`` is
#: per stream: the ``streams`` local updates add up), and the data (built-in
#: photos downsampled 2x, whitened with roll-off f0 in cycles/pixel, DC
#: removed, contrast-normalised with semi-saturation constant
#: ``normalize``).  The hierarchies learn in two stages (:func:`train`):
#: ``stage1_patches`` with the first layer alone at ``eta_w`` times the
#: ``anneal`` schedule, then the rest with every W and bias learned
#: together (``eta_w_top`` for W_2, ``eta_b`` for every bias), the top
#: layer's columns held at their initial norm.
_DATA = dict(data_seed=0, downsample=2, f0=0.4, normalize=0.1, remove_mean=True)
TRAINING = {
    "default": dict(n_patches=166400, stage1_patches=128000, anneal=(6.0, 2.0),
                    presentation=30 * ms, eta_w=0.125 * Hz, eta_w_top=0.005 * Hz,
                    eta_b=0.0025 * Hz, streams=64, chunk=12800, **_DATA),
    "quick": dict(n_patches=1024, stage1_patches=512, anneal=(6.0, 1.0),
                  presentation=30 * ms, eta_w=0.125 * Hz, eta_w_top=0.02 * Hz,
                  eta_b=0.01 * Hz, streams=16, chunk=256, **_DATA),
    "single": dict(n_patches=204800, stage1_patches=204800, anneal=None,
                   presentation=30 * ms, eta_w=0.125 * Hz, eta_b=0.0 * Hz,
                   streams=64, chunk=12800, **_DATA),
    "single_quick": dict(n_patches=512, stage1_patches=512, anneal=None,
                         presentation=30 * ms, eta_w=0.125 * Hz, eta_b=0.0 * Hz,
                         streams=16, chunk=256, **_DATA),
}


def _variant(variant):
    if variant not in VARIANTS:
        raise HEEParameterError(
            f"unknown v1 variant {variant!r}; choose one of {sorted(VARIANTS)}."
        )
    return VARIANTS[variant]


def _prior(prior):
    if isinstance(prior, str):
        if prior not in PRIORS:
            raise HEEParameterError(
                f"unknown v1 prior {prior!r}; choose one of {sorted(PRIORS)} or give "
                "(family, parameters)."
            )
        return PRIORS[prior]
    family, params = prior
    return family, dict(params)


def training(variant="default"):
    """The training defaults of a variant (a fresh dict)."""
    _variant(variant)
    return dict(TRAINING[variant])


def build(variant="default", seed=1, init_patches=None, sigma0=None, prior=None, **overrides):
    """The untrained V1 model, with an initial dictionary.

    Parameters
    ----------
    variant : {"default", "quick"}
    seed : int
        Seed of the model (and of random initial weights).
    init_patches : ndarray, shape (n_latents, n_pixels), optional
        Start each dictionary column from one of these patches (a common
        initialisation of dictionary learning; the fields start ~35 %
        Gabor-like by the R^2 >= 0.7 test, against 0 % for random ones).
        Default: random unit directions.
    sigma0 : float, optional
        Observation noise replacing the variant's (comparisons of regimes;
        pick dt and ``tau_eps`` to match, see the module notes).
    prior : str or (str, dict), optional
        The latents' prior replacing the variant's: a name from
        :data:`PRIORS`, or a family name with its parameters, e.g.
        ``("sparse", dict(lam=2.0, delta=0.05, s=6.0))``.
    **overrides
        Keywords of :class:`hee_brian.HEEModel` (``device``, ``dt``,
        ``tau_eps``, ...) replacing the variant's values.

    Returns
    -------
    hee_brian.HEEModel
        Initial columns scaled to ``init_norm`` in mean space
        (W = D / sigma_0^2), biases zero.
    """
    p = dict(_variant(variant))
    if sigma0 is not None:
        p["sigma0"] = float(sigma0)
    prior_family, prior_params = _prior(p["prior"] if prior is None else prior)
    n0 = p["patch_size"] ** 2
    kw = dict(tau_x=p["tau_x"], tau_eps=p["tau_eps"], dt=p["dt"],
              n_interneurons=p["n_interneurons"], interneurons=p["interneurons"],
              integrator=p["integrator"], seed=seed, phi="linear")
    kw.update(overrides)
    layers = [hb.Layer(n0, "gaussian", sigma=p["sigma0"]),
              hb.Layer(p["n_latents"], prior_family, **prior_params)]
    if p["n_top"]:
        top_family, top_params = p["top"]
        layers.append(hb.Layer(p["n_top"], top_family, **top_params))
    model = hb.HEEModel(layers, **kw)
    rng = np.random.default_rng(model.seed)
    if init_patches is None:
        D = rng.standard_normal((n0, p["n_latents"]))
    else:
        D = np.array(init_patches, dtype=float).T
        if D.shape != (n0, p["n_latents"]):
            raise HEEParameterError(
                f"init_patches must have shape ({p['n_latents']}, {n0}), got "
                f"{np.shape(init_patches)}."
            )
    norms = np.linalg.norm(D, axis=0)
    if np.any(norms == 0):
        raise HEEParameterError("init_patches contains a blank patch; pick non-blank ones.")
    D *= p["init_norm"] / norms
    W = [D / p["sigma0"] ** 2]
    if p["n_top"]:
        # top-down drive eta_1 = W_1 x_2 of sd top_init_sd under the top prior N(0, 1)
        W.append(rng.normal(scale=p["top_init_sd"] / np.sqrt(p["n_top"]),
                            size=(p["n_latents"], p["n_top"])))
    model.set_weights(W=W)
    return model


def first_layer(model):
    """The pixels and the first latent layer of ``model``, as a model of their own.

    The same parameters and weights, without the layers above: the first
    layer's prior is then its family at its bias alone (the top-down drive
    a layer above would add is zero).
    """
    cfg = model.config()
    lower = hb.HEEModel.from_config(cfg, layers=cfg["layers"][:2],
                                    tau_eps=list(model.tau_eps_layers_s[:2]),
                                    **model.execution())
    lower.set_weights(W=[model.weights[0]], b=model.biases[:2])
    return lower


def train(model, patches, variant="default", out=None, progress=True, **changes):
    """Learn the V1 model from ``patches`` with the variant's two-stage schedule.

    Stage 1 learns the first layer alone (``first_layer``) on the first
    ``stage1_patches`` with rates annealed by ``anneal``; stage 2 learns the
    whole hierarchy on the rest, every W and bias at once, with the top
    layer's columns rescaled to their initial norm after each chunk
    (``column_norms``).  Why: learned together from the start, the top
    layer's weights grow without bound (its Hebbian term picks up the
    first layer's interneuron noise, which the top layer itself follows),
    the first layer's dictionary shrinks under the broadened prior and the
    run diverges (docs/model.md section 8.6).

    Parameters
    ----------
    model : hee_brian.HEEModel
        From :func:`build`; trained in place.
    patches : ndarray, shape (n_patches, n_pixels)
    variant : str
        Whose :data:`TRAINING` settings to use.
    out : str or Path, optional
        Folder for the checkpoints (``checkpoint_stage1.npz``,
        ``checkpoint.npz``); an interrupted run resumes from them.
    progress : bool or callable
        As :meth:`hee_brian.HEEModel.learn`.
    **changes
        Replacements of :data:`TRAINING` entries.

    Returns
    -------
    dict
        ``stage1`` and ``stage2``: the :class:`hee_brian.LearningHistory` of
        each (``stage2`` None for a one-layer model), and the settings used.
    """
    from pathlib import Path

    from hee_brian.learning import annealed

    t = training(variant)
    t.update(changes)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
    ckpt = (lambda name: None) if out is None else (lambda name: Path(out) / name)
    n1 = min(int(t["stage1_patches"]), len(patches))
    schedule = None if t["anneal"] is None else annealed(*t["anneal"])
    lower = first_layer(model) if len(model.layers) > 2 else model
    common = dict(presentation=t["presentation"], chunk=t["chunk"], streams=t["streams"],
                  progress=progress)
    stage1 = lower.learn(patches[:n1], eta_w=t["eta_w"], eta_b=t["eta_b"] if lower is model
                         else 0 * Hz, rate_schedule=schedule,
                         checkpoint=ckpt("checkpoint_stage1.npz"), **common)
    stage2 = None
    if lower is not model:
        model.set_weights(W=[lower.weights[0]] + model.weights[1:], b=model.biases)
        rest = patches[n1:]
        if len(rest):
            top_norms = [None] + [float(np.mean(np.linalg.norm(w, axis=0)))
                                  for w in model.weights[1:]]
            stage2 = model.learn(rest, eta_w=[t["eta_w"]] + [t["eta_w_top"]] * (len(top_norms) - 1),
                                 eta_b=t["eta_b"], column_norms=top_norms,
                                 checkpoint=ckpt("checkpoint.npz"), **common)
    return {"stage1": stage1, "stage2": stage2,
            "settings": {k: str(v) for k, v in t.items()}}
