"""Defect-free surfaces for the synthetic dataset: photographed and procedural textures.

Every function takes a numpy Generator and returns a float32 [size, size] image in [0, 1].
"""

from functools import lru_cache

import numpy as np
import torch
from scipy import ndimage
from skimage import data as skdata

from ..augment.perlin import rand_perlin_2d

PHOTO_NAMES = ("brick", "grass", "gravel")
PHOTO_GRAIN_STD = 0.07  # grain contrast of photographed surfaces before jitter


@lru_cache(maxsize=None)
def _photo(name: str) -> np.ndarray:
    """One of the 512x512 grayscale textures scikit-image ships in its wheel (no download)."""
    return getattr(skdata, name)().astype(np.float32) / 255.0


def _photo_crop(rng: np.random.Generator, size: int, name: str) -> np.ndarray:
    """Random crop at zoom 1 or 1/2 (2x2 block mean), so grain size varies between images."""
    zoom = int(rng.integers(1, 3))
    image = _photo(name)
    side = size * zoom
    top, left = rng.integers(0, image.shape[0] - side + 1, size=2)
    crop = image[top : top + side, left : left + side].reshape(size, zoom, size, zoom).mean(axis=(1, 3))
    # Photos vary 2x in grain contrast; bring them to the procedural surfaces' level so a
    # defect's visibility depends on its own contrast, not on which photo it landed on.
    return crop.mean() + (crop - crop.mean()) * (PHOTO_GRAIN_STD / (crop.std() + 1e-6))


def _brushed_metal(rng: np.random.Generator, size: int) -> np.ndarray:
    """Noise smeared along one axis: the streaks of a brushed or ground metal sheet."""
    noise = rng.normal(0.0, 1.0, (size, size)).astype(np.float32)
    streaks = ndimage.uniform_filter1d(noise, size=int(rng.integers(8, 24)), axis=1, mode="wrap")
    return 0.5 + 0.07 * streaks / (streaks.std() + 1e-6)


def _granular(rng: np.random.Generator, size: int) -> np.ndarray:
    """Fine isotropic grain, like sand-blasted or cast surfaces."""
    noise = rng.normal(0.0, 1.0, (size, size)).astype(np.float32)
    grain = ndimage.gaussian_filter(noise, sigma=float(rng.uniform(0.5, 1.2)))
    return 0.5 + 0.06 * grain / (grain.std() + 1e-6)


def _shaded(rng: np.random.Generator, size: int) -> np.ndarray:
    """Smooth illumination gradient with low-frequency Perlin mottling."""
    angle = rng.uniform(0.0, 2 * np.pi)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    ramp = np.cos(angle) * xs + np.sin(angle) * ys
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    mottle = rand_perlin_2d((size, size), (4, 4), generator).numpy()  # size is a multiple of 8
    return 0.5 + 0.25 * (ramp - ramp.mean()) + 0.06 * mottle


_PROCEDURAL = (_brushed_metal, _granular, _shaded)


def _jitter(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Random 90-degree rotation, flip, contrast and brightness, clipped to [0, 1]."""
    image = np.rot90(image, k=int(rng.integers(4)))
    if rng.random() < 0.5:
        image = image[:, ::-1]
    mean = image.mean()
    image = (image - mean) * rng.uniform(0.8, 1.2) + mean + rng.uniform(-0.15, 0.15)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def random_surface(rng: np.random.Generator, size: int) -> np.ndarray:
    """A defect-free surface drawn evenly from the photographed and procedural kinds."""
    kind = int(rng.integers(len(PHOTO_NAMES) + len(_PROCEDURAL)))
    if kind < len(PHOTO_NAMES):
        image = _photo_crop(rng, size, PHOTO_NAMES[kind])
    else:
        image = _PROCEDURAL[kind - len(PHOTO_NAMES)](rng, size)
    return _jitter(rng, image)
