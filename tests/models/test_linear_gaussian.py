"""The linear-Gaussian test models have the posteriors they claim (no simulation)."""
import numpy as np
import pytest

from hee_brian.models import linear_gaussian as lg
from hee_brian.reference import gaussian_posterior


def test_ill_conditioned_posterior_has_the_requested_precisions_and_offsets():
    model, x0 = lg.build_ill_conditioned(precisions=(1.0, 0.01), copies=3, device="runtime",
                                         seed=0)
    mean, cov = gaussian_posterior(model, x0)
    u, v = np.array([1.0, 1.0]) / np.sqrt(2), np.array([1.0, -1.0]) / np.sqrt(2)
    for c in range(3):  # every copy is the same, independent posterior
        blk = cov[2 * c:2 * c + 2, 2 * c:2 * c + 2]
        np.testing.assert_allclose(np.linalg.inv(blk), 0.01 * np.eye(2) + 0.99 * np.outer(u, u),
                                   atol=1e-12)
        mu = mean[2 * c:2 * c + 2]
        assert mu @ v == pytest.approx(3.0 * 10.0)  # 3 sd along the slow direction
        assert mu @ u == pytest.approx(2.0)         # 2 sd along the fast direction
    assert np.allclose(cov[:2, 2:], 0)


def test_copies_are_block_diagonal_and_split_back():
    model = lg.build(copies=2, device="runtime", seed=0)
    W = model.weights[0]
    assert W.shape == (32, 16)
    assert np.all(W[:16, 8:] == 0) and np.all(W[16:, :8] == 0)
    np.testing.assert_array_equal(W[:16, :8], W[16:, 8:])
    trace = np.arange(3 * 16).reshape(3, 16)
    np.testing.assert_array_equal(lg.split_copies(trace, 2)[:, 1], trace[:, 8:])


@pytest.mark.parametrize("k", [1.0, 0.01])
def test_momentum_iat_is_exact_for_plain_langevin_and_leaves_the_variance(k):
    assert lg.momentum_iat(k) == pytest.approx((2.0 / k, 1.0 / k))
    for m, tau_a in [(3.0, 1.0), (20.0, 10.0), (100.0, 30.0)]:
        iat, var = lg.momentum_iat(k, m, tau_a)
        assert var == pytest.approx(1.0 / k, rel=1e-9)  # the sampler is exact
        # the zero-frequency spectrum shrinks by 1 + m (Lyapunov solution)
        assert iat == pytest.approx(2.0 / (k * (1.0 + m)), rel=1e-9)


def test_ill_conditioned_refuses_inverted_precisions():
    import hee_brian as hb
    with pytest.raises(hb.HEEParameterError, match="precisions"):
        lg.build_ill_conditioned(precisions=(0.01, 1.0), device="runtime")
