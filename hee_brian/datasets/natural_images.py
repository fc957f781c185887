"""Natural image patches, offline.

Photos that ship with scikit-image and scikit-learn, or the user's own
images (docs/model.md section 7).

The preprocessing is the classic one of Olshausen & Field (1996/1997):

1. gamma-encoded 8-bit photos are linearised and log-transformed (the eye's
   compressive response to luminance; it also makes the statistics of bright
   and dark regions alike);
2. each image is whitened in the Fourier domain with the filter
   ``|f| exp(-(|f|/f0)^4)``: the ramp ``|f|`` flattens the ~1/f^2 power
   spectrum of natural scenes, the exponential roll-off above ``f0`` (in
   cycles/pixel) removes the aliased, noisy corner frequencies;
3. images are scaled to unit pixel variance and patches are cut at random.

The same loader takes a folder of image files or an ``IMAGES.mat``-style
array of shape (height, width, n_images) (already whitened, as the
Olshausen ``IMAGES.mat`` is), so users can train on van Hateren or Olshausen
images they already have.

>>> from hee_brian.datasets import natural_images as ni
>>> images = ni.load_images()                 # the built-in photos, whitened
>>> ni.sample_patches(images, 1000, 8, seed=0).shape
(1000, 64)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import HEEParameterError

__all__ = [
    "BUILTIN_IMAGES",
    "builtin_image",
    "load_images",
    "log_transform",
    "whiten",
    "whitening_filter",
    "radial_power_spectrum",
    "sample_patches",
    "natural_patches",
]

#: Photos of natural and man-made scenes shipped with the packages: scikit-image
#: ``data`` (name -> function) and scikit-learn ``load_sample_images``
#: (``china``, ``flower``).  Astronomical and microscopy images (hubble,
#: cells) are left out: their statistics are not those of natural scenes.
BUILTIN_IMAGES = (
    "camera", "grass", "gravel", "brick", "moon", "coffee", "chelsea",
    "astronaut", "rocket", "china", "flower",
)

_SKLEARN_IMAGES = ("china", "flower")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".pgm", ".ppm")


def _to_gray(img):
    """(H, W) or (H, W, 3/4) uint8/float -> (H, W) float in [0, 1]."""
    img = np.asarray(img)
    if img.dtype == bool:
        img = img.astype(float)
    elif np.issubdtype(img.dtype, np.integer):
        img = img.astype(float) / np.iinfo(img.dtype).max
    else:
        img = img.astype(float)
    if img.ndim == 3:
        if img.shape[2] == 4:
            img = img[..., :3]
        # ITU-R 601 luma weights, as skimage.color.rgb2gray
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114])
    if img.ndim != 2:
        raise HEEParameterError(
            f"an image must be 2-D (grayscale) or 3-D (colour), got shape {img.shape}."
        )
    return img


def builtin_image(name):
    """One of :data:`BUILTIN_IMAGES` as a (H, W) float array in [0, 1]."""
    if name not in BUILTIN_IMAGES:
        raise HEEParameterError(
            f"unknown built-in image {name!r}; choose from {BUILTIN_IMAGES}."
        )
    if name in _SKLEARN_IMAGES:
        from sklearn.datasets import load_sample_image

        return _to_gray(load_sample_image(f"{name}.jpg"))
    from skimage import data

    return _to_gray(getattr(data, name)())


def log_transform(img, gamma=2.2, floor=1e-2):
    """Linearise a gamma-encoded image and take the log of luminance.

    Parameters
    ----------
    img : ndarray
        Gray values in [0, 1].
    gamma : float
        Display gamma (2.2 for sRGB-like photos; 1 for linear data).
    floor : float
        Added to the luminance before the log, so black pixels stay finite.
    """
    return np.log(np.clip(img, 0, None) ** gamma + floor)


def whitening_filter(shape, f0=0.4):
    """The Olshausen-Field filter ``|f| exp(-(|f|/f0)^4)`` on an FFT grid.

    Parameters
    ----------
    shape : tuple of int
        Image shape (rows, columns).
    f0 : float
        Roll-off frequency in cycles/pixel (Olshausen & Field used 0.4 x
        the image size in cycles/picture, i.e. 0.4 cycles/pixel).
    """
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.fftfreq(shape[1])[None, :]
    rho = np.sqrt(fx**2 + fy**2)
    return rho * np.exp(-((rho / f0) ** 4))


def whiten(img, f0=0.4, pad=16):
    """Whiten one image (zero mean, unit variance, flat spectrum below f0).

    The image is mirror-padded by ``pad`` pixels before the FFT so that its
    borders do not wrap around into spurious edges, then cropped back.
    """
    if f0 <= 0 or f0 > 0.5 * np.sqrt(2):
        raise HEEParameterError(f"f0 = {f0!r} must lie in (0, 0.707] cycles/pixel.")
    img = np.asarray(img, dtype=float)
    img = img - img.mean()
    p = int(max(0, min(pad, img.shape[0] - 1, img.shape[1] - 1)))
    padded = np.pad(img, p, mode="reflect") if p else img
    out = np.real(np.fft.ifft2(np.fft.fft2(padded) * whitening_filter(padded.shape, f0)))
    if p:
        out = out[p:-p, p:-p]
    out = out - out.mean()
    return out / out.std()


def _read_image_file(path):
    from skimage import io

    return _to_gray(io.imread(str(path)))


def load_images(source=None, names=None, *, whitened=None, log=True, f0=0.4, downsample=1):
    """Load and whiten natural images.

    Parameters
    ----------
    source : None, str, Path or ndarray
        ``None``: the built-in photos (:data:`BUILTIN_IMAGES`).  A folder:
        every image file in it (png, jpg, tif, ...).  A ``.mat`` file: its
        ``IMAGES`` (or first 3-D) array.  An ndarray of shape (H, W, n) or a
        list of 2-D arrays: images as they are.
    names : list of str, optional
        Subset of the built-in photos (only with ``source=None``).
    whitened : bool, optional
        Whether the images are already whitened (skip log and whitening).
        Default: False for photos, True for ``.mat`` files and arrays, which
        are normally the Olshausen ``IMAGES.mat``-style whitened images.
    log : bool
        Log-transform before whitening (photos only).
    f0 : float
        Whitening roll-off in cycles/pixel.
    downsample : int
        Average ``downsample x downsample`` blocks first (coarser scale per
        patch pixel).

    Returns
    -------
    list of ndarray
        2-D float images, each with zero mean and unit variance.
    """
    if not isinstance(downsample, (int, np.integer)) or downsample < 1:
        raise HEEParameterError(f"downsample must be a positive integer, got {downsample!r}.")
    if source is None:
        chosen = BUILTIN_IMAGES if names is None else tuple(names)
        raw = [builtin_image(n) for n in chosen]
        default_whitened = False
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
            if not files:
                raise HEEParameterError(
                    f"no image files ({', '.join(_IMAGE_SUFFIXES)}) in folder {path}."
                )
            raw = [_read_image_file(p) for p in files]
            default_whitened = False
        elif path.suffix.lower() == ".mat":
            raw = _read_mat(path)
            default_whitened = True
        elif path.is_file():
            raw = [_read_image_file(path)]
            default_whitened = False
        else:
            raise HEEParameterError(f"image source {path} does not exist.")
    else:
        arr = source
        if isinstance(arr, np.ndarray) and arr.ndim == 3:
            raw = [np.asarray(arr[:, :, k], dtype=float) for k in range(arr.shape[2])]
        elif isinstance(arr, np.ndarray) and arr.ndim == 2:
            raw = [np.asarray(arr, dtype=float)]
        elif isinstance(arr, (list, tuple)) and all(np.ndim(a) == 2 for a in arr):
            raw = [np.asarray(a, dtype=float) for a in arr]
        else:
            raise HEEParameterError(
                "source must be None, a folder, a .mat file, an array of shape "
                f"(H, W, n_images) or a list of 2-D arrays; got {type(source).__name__} "
                f"with shape {np.shape(source)}."
            )
        default_whitened = True
    done = default_whitened if whitened is None else bool(whitened)
    out = []
    for img in raw:
        if downsample > 1:
            h = img.shape[0] // downsample * downsample
            w = img.shape[1] // downsample * downsample
            img = img[:h, :w].reshape(h // downsample, downsample, w // downsample,
                                      downsample).mean(axis=(1, 3))
        if done:
            img = (img - img.mean()) / img.std()
        else:
            img = whiten(log_transform(img) if log else img, f0=f0)
        out.append(img)
    return out


def _read_mat(path):
    from scipy.io import loadmat

    d = loadmat(str(path))
    arrays = {k: v for k, v in d.items() if not k.startswith("__") and np.ndim(v) == 3}
    key = "IMAGES" if "IMAGES" in arrays else (sorted(arrays)[0] if arrays else None)
    if key is None:
        raise HEEParameterError(
            f"{path} holds no 3-D array (expected IMAGES of shape (H, W, n_images))."
        )
    arr = arrays[key]
    return [np.asarray(arr[:, :, k], dtype=float) for k in range(arr.shape[2])]


def radial_power_spectrum(img, n_bins=24):
    """Radially averaged power spectrum of an image.

    Returns
    -------
    f : ndarray
        Bin centres in cycles/pixel (log-spaced from 1/min(shape) to 0.5).
    power : ndarray
        Mean |FFT|^2 in each bin.
    """
    img = np.asarray(img, dtype=float)
    img = img - img.mean()
    # a Hann window stops the image borders from adding a 1/f^2 cross
    win = np.outer(np.hanning(img.shape[0]), np.hanning(img.shape[1]))
    p = np.abs(np.fft.fft2(img * win)) ** 2
    fy = np.fft.fftfreq(img.shape[0])[:, None]
    fx = np.fft.fftfreq(img.shape[1])[None, :]
    rho = np.sqrt(fx**2 + fy**2)
    edges = np.geomspace(2.0 / min(img.shape), 0.5, n_bins + 1)
    idx = np.digitize(rho.ravel(), edges) - 1
    ok = (idx >= 0) & (idx < n_bins)
    s = np.bincount(idx[ok], weights=p.ravel()[ok], minlength=n_bins)
    c = np.bincount(idx[ok], minlength=n_bins)
    keep = c > 0
    return np.sqrt(edges[:-1] * edges[1:])[keep], s[keep] / c[keep]


def sample_patches(images, n_patches, size, seed=0, scale=1.0, remove_mean=False,
                   border=4, max_contrast=None, unit_variance=False, normalize=None):
    """Cut square patches at random positions from whitened images.

    Parameters
    ----------
    images : list of ndarray
        2-D images (from :func:`load_images`).
    n_patches : int
        Number of patches.
    size : int
        Patch side in pixels.
    seed : int
        Seed of the positions (and of the image chosen for each patch).
    scale : float
        Multiply every patch by this (the images have unit pixel variance).
    remove_mean : bool
        Subtract each patch's mean (DC).
    border : int
        Pixels kept away from the image edges (where whitening is least clean).
    max_contrast : float, optional
        Contrast ceiling: a patch whose pixel standard deviation exceeds this
        is scaled down to it.  Whitened photos are heavy-tailed (the rare
        high-contrast patches have 10-20x the median contrast) and those
        patches dominate plasticity; a ceiling acts like the saturating
        contrast gain of the early visual system.
    unit_variance : bool
        After the ceiling, divide by the patch set's pixel standard deviation
        (before ``scale``).
    normalize : float, optional
        Divisive contrast normalization with this semi-saturation constant
        c0: each patch is divided by sqrt(std^2 + c0^2), so patches well above
        c0 end with unit contrast and near-blank ones stay faint (the
        contrast gain control of retina and LGN; it makes every patch
        informative, where raw whitened photos are mostly low contrast).

    Returns
    -------
    ndarray, shape (n_patches, size * size)
        Row-major flattened patches.
    """
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise HEEParameterError(f"size must be a positive integer, got {size!r}.")
    if not isinstance(n_patches, (int, np.integer)) or n_patches < 1:
        raise HEEParameterError(f"n_patches must be a positive integer, got {n_patches!r}.")
    if not images:
        raise HEEParameterError("images is empty: load some with load_images().")
    usable = [im for im in images if min(im.shape) >= size + 2 * border]
    if not usable:
        raise HEEParameterError(
            f"no image is large enough for {size}x{size} patches with a border of "
            f"{border} pixels; use smaller patches or larger images."
        )
    rng = np.random.default_rng(seed)
    # images are chosen in proportion to their area, so every pixel is equally likely
    area = np.array([im.size for im in usable], dtype=float)
    which = rng.choice(len(usable), size=n_patches, p=area / area.sum())
    out = np.empty((n_patches, size * size))
    for k, w in enumerate(which):
        im = usable[w]
        r = rng.integers(border, im.shape[0] - size - border + 1)
        c = rng.integers(border, im.shape[1] - size - border + 1)
        out[k] = im[r:r + size, c:c + size].ravel()
    if remove_mean:
        out -= out.mean(axis=1, keepdims=True)
    if normalize is not None:
        if not normalize > 0:
            raise HEEParameterError(f"normalize must be > 0, got {normalize!r}.")
        out /= np.sqrt(out.var(axis=1) + normalize**2)[:, None]
    if max_contrast is not None:
        if not max_contrast > 0:
            raise HEEParameterError(f"max_contrast must be > 0, got {max_contrast!r}.")
        sd = out.std(axis=1)
        over = sd > max_contrast
        out[over] *= (max_contrast / sd[over])[:, None]
    if unit_variance:
        out /= out.std()
    return out * scale


def natural_patches(n_patches, size=8, seed=0, source=None, scale=1.0, **load_kwds):
    """Load (built-in) images and sample patches in one call.

    See :func:`load_images` and :func:`sample_patches`.
    """
    return sample_patches(load_images(source, **load_kwds), n_patches, size, seed=seed,
                          scale=scale)
