"""Tests of hee_brian.datasets.natural_images: loading, whitening, patches."""
import numpy as np
import pytest

from hee_brian import HEEParameterError
from hee_brian.datasets import natural_images as ni


def _slope(img, lo=0.03, hi=0.25):
    """Log-log slope of the radial power spectrum between lo and hi cycles/pixel."""
    f, p = ni.radial_power_spectrum(img)
    sel = (f >= lo) & (f <= hi)
    return np.polyfit(np.log(f[sel]), np.log(p[sel]), 1)[0]


def test_builtin_images_load_as_gray_unit_range():
    for name in ("camera", "china"):  # one from scikit-image, one from scikit-learn
        img = ni.builtin_image(name)
        assert img.ndim == 2 and min(img.shape) >= 300
        assert 0.0 <= img.min() and img.max() <= 1.0


def test_unknown_builtin_image_is_refused():
    with pytest.raises(HEEParameterError, match="unknown built-in image"):
        ni.builtin_image("mona_lisa")


def _pink_noise(n=256, seed=0):
    """An image with a 1/f^2 power spectrum and random phases (ideal scene)."""
    rng = np.random.default_rng(seed)
    f = np.hypot(np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :])
    f[0, 0] = 1.0
    spec = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / f
    return np.real(np.fft.ifft2(spec))


def test_whitening_flattens_a_one_over_f_squared_spectrum():
    raw = _pink_noise()
    white = ni.whiten(raw)
    assert _slope(raw) == pytest.approx(-2.0, abs=0.25)
    # the ramp |f| exactly undoes 1/f^2 below the roll-off
    assert abs(_slope(white, hi=0.2)) < 0.25
    assert abs(white.mean()) < 1e-9 and abs(white.std() - 1) < 1e-9
    assert white.shape == raw.shape


def test_whitening_flattens_the_photos():
    raw = [ni.log_transform(ni.builtin_image(n)) for n in ("camera", "grass", "china")]
    before = np.array([_slope(r) for r in raw])
    after = np.array([_slope(ni.whiten(r)) for r in raw])
    # photos fall like f^-1.9 .. f^-2.7; whitening raises each slope by about
    # 2 (less the roll-off) and leaves them much flatter
    assert np.all(before < -1.5)
    assert np.all((after - before > 1.6) & (after - before < 2.1))
    assert np.mean(np.abs(after)) < 0.4 * np.mean(np.abs(before))


def test_whitening_filter_rolls_off_above_f0():
    filt = ni.whitening_filter((64, 64), f0=0.2)
    f = np.fft.fftfreq(64)
    # along the x axis: |f| exp(-(|f|/f0)^4), peaked below f0
    row = filt[0]
    np.testing.assert_allclose(row, np.abs(f) * np.exp(-(np.abs(f) / 0.2) ** 4))
    assert row[np.argmax(row)] > 5 * row[32]


def test_sample_patches_shapes_and_determinism():
    images = [np.random.default_rng(k).standard_normal((40, 50)) for k in range(3)]
    a = ni.sample_patches(images, 100, 6, seed=3)
    b = ni.sample_patches(images, 100, 6, seed=3)
    assert a.shape == (100, 36)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, ni.sample_patches(images, 100, 6, seed=4))


def test_contrast_ceiling_and_unit_variance():
    images = [np.random.default_rng(0).standard_normal((60, 60)) * np.linspace(0.1, 5, 60)]
    p = ni.sample_patches(images, 500, 4, seed=0, max_contrast=1.0)
    assert p.std(axis=1).max() <= 1.0 + 1e-12
    q = ni.sample_patches(images, 500, 4, seed=0, max_contrast=1.0, unit_variance=True)
    assert abs(q.std() - 1) < 1e-12


def test_array_and_mat_sources(tmp_path):
    from scipy.io import savemat

    arr = np.random.default_rng(1).standard_normal((32, 40, 3)) * 3 + 2
    imgs = ni.load_images(arr)  # IMAGES.mat-style: already whitened
    assert len(imgs) == 3 and imgs[0].shape == (32, 40)
    assert all(abs(im.mean()) < 1e-9 and abs(im.std() - 1) < 1e-9 for im in imgs)
    savemat(tmp_path / "IMAGES.mat", {"IMAGES": arr})
    from_mat = ni.load_images(tmp_path / "IMAGES.mat")
    np.testing.assert_allclose(from_mat[2], imgs[2])


def test_folder_source(tmp_path):
    from skimage import io

    img = (np.random.default_rng(2).random((48, 64)) * 255).astype(np.uint8)
    io.imsave(tmp_path / "a.png", img)
    imgs = ni.load_images(tmp_path)
    assert len(imgs) == 1 and imgs[0].shape == (48, 64)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(HEEParameterError, match="no image files"):
        ni.load_images(empty)
    with pytest.raises(HEEParameterError, match="does not exist"):
        ni.load_images(tmp_path / "missing")


def test_bad_inputs_are_refused():
    with pytest.raises(HEEParameterError, match="size"):
        ni.sample_patches([np.zeros((20, 20))], 10, 0)
    with pytest.raises(HEEParameterError, match="large enough"):
        ni.sample_patches([np.zeros((10, 10))], 10, 8)
    with pytest.raises(HEEParameterError, match="downsample"):
        ni.load_images(np.zeros((8, 8, 1)), downsample=0)
