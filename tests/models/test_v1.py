"""models/v1.py: the named V1 model builds as documented."""
import numpy as np
import pytest

import hee_brian as hb
from hee_brian.models import v1


def test_default_and_quick_variants_build_and_pass_the_stiffness_check():
    for variant in ("default", "quick"):
        model = v1.build(variant)
        p = v1.VARIANTS[variant]
        assert model.sizes == [p["patch_size"] ** 2, p["n_latents"]]
        norms = np.linalg.norm(model.weights[0], axis=0) * p["sigma0"] ** 2
        np.testing.assert_allclose(norms, p["init_norm"])
        train = v1.training(variant)
        # whole presentations: chunks and totals divide among the streams
        assert train["chunk"] % train["streams"] == 0
        assert train["n_patches"] % train["chunk"] == 0


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

    model = v1.build("quick", sigma0=0.7, dt=0.1 * ms, tau_eps=[1 * ms, 10 * ms])
    assert model.layers[0].family.sigma == 0.7
    assert model.layers[1].family.params() == v1.build("quick").layers[1].family.params()
    np.testing.assert_allclose(np.linalg.norm(model.weights[0], axis=0) * 0.7**2,
                               v1.VARIANTS["quick"]["init_norm"])
