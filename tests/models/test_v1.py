"""models/v1.py: the named V1 model builds as documented."""
import numpy as np
import pytest

import hee_brian as hb
from hee_brian.models import v1


def test_every_variant_builds_and_passes_the_stiffness_check():
    for variant in ("default", "quick", "single", "single_quick"):
        model = v1.build(variant)
        p = v1.VARIANTS[variant]
        top = [p["n_top"]] if p["n_top"] else []
        assert model.sizes == [p["patch_size"] ** 2, p["n_latents"]] + top
        norms = np.linalg.norm(model.weights[0], axis=0) * p["sigma0"] ** 2
        np.testing.assert_allclose(norms, p["init_norm"])
        train = v1.training(variant)
        # whole presentations: chunks and totals divide among the streams
        assert train["chunk"] % train["streams"] == 0
        assert train["n_patches"] % train["chunk"] == 0
        assert train["stage1_patches"] % train["chunk"] == 0
    # the top layer's initial drive eta_1 = W_2 x_2 has sd top_init_sd per unit
    p = v1.VARIANTS["default"]
    W2 = v1.build("default").weights[1]
    assert np.sqrt(np.mean(np.sum(W2**2, axis=1))) == pytest.approx(p["top_init_sd"], rel=0.1)


def test_first_layer_is_the_lower_half_of_the_hierarchy():
    model = v1.build("quick", seed=3)
    lower = v1.first_layer(model)
    assert lower.sizes == model.sizes[:2]
    np.testing.assert_array_equal(lower.weights[0], model.weights[0])
    assert lower.tau_eps_layers_s == model.tau_eps_layers_s[:2]
    assert lower.config()["layers"] == model.config()["layers"][:2]


def test_initial_dictionary_from_patches():
    rng = np.random.default_rng(0)
    patches = rng.normal(size=(12, 16))
    model = v1.build("quick", init_patches=patches)
    D = model.weights[0] * v1.VARIANTS["quick"]["sigma0"] ** 2
    # each column is its patch, rescaled to init_norm
    cos = np.sum(D * patches.T, axis=0) / (np.linalg.norm(D, axis=0)
                                           * np.linalg.norm(patches, axis=1))
    np.testing.assert_allclose(cos, 1.0)


@pytest.mark.parametrize("bad, word", [(np.ones((11, 16)), "shape"),
                                       (np.zeros((12, 16)), "blank")])
def test_bad_initial_patches_are_refused(bad, word):
    with pytest.raises(hb.HEEParameterError, match=word):
        v1.build("quick", init_patches=bad)


def test_unknown_variant_is_refused():
    with pytest.raises(hb.HEEParameterError, match="unknown v1 variant"):
        v1.build("huge")


def test_sigma0_override_changes_only_the_observation_noise():
    from brian2 import ms

    model = v1.build("quick", sigma0=0.7, dt=0.1 * ms, tau_eps=[1 * ms, 10 * ms, 10 * ms])
    assert model.layers[0].family.sigma == 0.7
    assert model.layers[1].family.params() == v1.build("quick").layers[1].family.params()
    np.testing.assert_allclose(np.linalg.norm(model.weights[0], axis=0) * 0.7**2,
                               v1.VARIANTS["quick"]["init_norm"])
