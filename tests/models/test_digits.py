"""The digits model's pixel options build what they claim (no simulation)."""
import numpy as np
import pytest

from hee_brian.errors import HEEParameterError
from hee_brian.families import ContinuousBernoulli
from hee_brian.models import digits


@pytest.fixture(scope="module")
def means():
    return digits.pixel_means()


def test_default_model_keeps_gaussian_pixels_and_sampling_interneurons():
    model = digits.build(device="runtime")
    assert model.layers[0].family.name == "gaussian"
    assert model.interneurons == "sampling" and not any(model.closed_form)
    assert all(np.all(b == 0) for b in model.biases)


def test_continuous_bernoulli_pixels_build_with_closed_form_and_data_mean_biases(means):
    model = digits.build(pixels="continuous_bernoulli", data_mean=means, device="runtime")
    fam = model.layers[0].family
    assert isinstance(fam, ContinuousBernoulli) and fam.eta_max == digits.PIXEL_ETA_MAX
    assert model.sizes == list(digits.SIZES)
    assert [layer.family.name for layer in model.layers[1:]] == ["sparse", "sparse"]
    # the pixels' A'(eta) in closed form; the sparse latents have none
    assert model.interneurons == "closed_form" and model.closed_form == (True, False, False)
    b0 = np.asarray(model.biases[0])
    # bisection to 1e-10 in eta, and |dA'/deta| = A'' <= 1/12: the mean is
    # right to 1e-11; 1e-9 leaves room for rounding in A' itself
    np.testing.assert_allclose(fam.mean(b0), means, rtol=0, atol=1e-9)
    # the margin keeps every bias within the eta_max the dt check covers
    assert np.all(np.abs(b0) <= fam.eta_max + 1e-6)
    assert np.min(b0) == pytest.approx(-fam.eta_max, abs=1e-6)  # always-black pixels
    # random weights of the documented scale: 12 x init_scale x sd bound
    sd = np.sqrt(np.mean(means * (1 - means)))
    assert np.std(model.weights[0]) == pytest.approx(12 * 0.05 * sd, rel=0.1)


def test_margin_is_the_mean_at_eta_max_and_to_model_round_trips():
    assert ContinuousBernoulli().mean(-digits.PIXEL_ETA_MAX) == pytest.approx(
        digits.PIXEL_MARGIN, rel=1e-12)
    x = np.linspace(0, 1, 17)
    y = digits.to_model(x)
    assert y.min() == pytest.approx(digits.PIXEL_MARGIN)
    assert y.max() == pytest.approx(1 - digits.PIXEL_MARGIN)
    np.testing.assert_allclose(digits.from_model(y), x, atol=1e-12)
    assert digits.from_model(np.array([0.0, 1.0])).tolist() == [0.0, 1.0]  # clipped


def test_natural_from_mean_inverts_the_mean_over_the_whole_interval():
    m = np.array([1e-4, 0.05, 0.3, 0.5, 0.7, 0.95, 1 - 1e-4])
    eta = digits.natural_from_mean(m)
    np.testing.assert_allclose(ContinuousBernoulli().mean(eta), m, rtol=0, atol=1e-11)
    assert eta[3] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(eta, -eta[::-1], atol=1e-6)  # A'(-eta) = 1 - A'(eta)


@pytest.mark.parametrize("kwargs, match", [
    ({"pixels": "beta"}, "unknown pixels"),
    ({"pixels": "continuous_bernoulli", "data_mean": np.full(10, 0.5)}, "64 pixels"),
    ({"pixels": "continuous_bernoulli", "data_mean": np.r_[0.0, np.full(63, 0.5)]},
     "strictly inside"),
])
def test_bad_options_are_refused(kwargs, match):
    with pytest.raises(HEEParameterError, match=match):
        digits.build(device="runtime", **kwargs)


def test_to_model_refuses_centred_data():
    with pytest.raises(HEEParameterError, match=r"raw intensities in \[0, 1\]"):
        digits.to_model(np.array([-0.5, 0.2, 1.3]))
