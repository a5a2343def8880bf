"""Defect painters for the synthetic dataset: scratches, spots, cracks and Perlin stains.

A painter returns an alpha map (float32 [size, size] in [0, 1]) saying how strongly each pixel
belongs to the defect; `add_defect` turns it into a brighter or darker mark plus its pixel mask.
"""

import numpy as np
import torch
from scipy import ndimage

from ..augment.perlin import perlin_mask

CONTRAST_RANGE = (0.15, 0.5)
VISIBLE_STEP = 0.05  # a pixel whose fill clipping brought within this of its surroundings is not labelled
LOCAL_MEAN_SIGMA = 3.0  # pixels; smooths away grain but keeps shading and brick joints


def _stroke(points: np.ndarray, size: int, half_width: float) -> np.ndarray:
    """Alpha of a stroke through densely sampled (y, x) points, with a one-pixel soft edge."""
    pixels = np.rint(points).astype(np.int64)
    inside = np.all((pixels >= 0) & (pixels < size), axis=1)
    centre = np.ones((size, size), dtype=bool)
    centre[pixels[inside, 0], pixels[inside, 1]] = False
    if centre.all():
        return np.zeros((size, size), dtype=np.float32)
    distance = ndimage.distance_transform_edt(centre)
    return np.clip(half_width + 0.5 - distance, 0.0, 1.0).astype(np.float32)


def _densify(vertices: np.ndarray) -> np.ndarray:
    """Points every ~0.5 px along a polyline, so rounding leaves no gaps."""
    pieces = []
    for start, end in zip(vertices[:-1], vertices[1:]):
        steps = max(2, int(np.ceil(2 * np.linalg.norm(end - start))))
        pieces.append(start + np.linspace(0.0, 1.0, steps)[:, None] * (end - start))
    return np.concatenate(pieces)


def scratch(rng: np.random.Generator, size: int) -> np.ndarray:
    """A thin straight or gently bowed line."""
    start = rng.uniform(0.1, 0.9, 2) * size
    length = rng.uniform(0.25, 0.7) * size
    angle = rng.uniform(0.0, np.pi)
    direction = np.array([np.sin(angle), np.cos(angle)])
    normal = np.array([direction[1], -direction[0]])
    t = np.linspace(0.0, 1.0, int(2 * length) + 2)[:, None]
    bow = rng.uniform(-0.15, 0.15) * length * 4 * t * (1 - t)
    points = start + t * length * direction + bow * normal
    return _stroke(points, size, rng.uniform(0.7, 1.4))


def spot(rng: np.random.Generator, size: int) -> np.ndarray:
    """A rotated elliptical blob with a soft rim."""
    cy, cx = rng.uniform(0.1, 0.9, 2) * size
    ry, rx = rng.uniform(1.5, size / 8, 2)
    angle = rng.uniform(0.0, np.pi)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    u = (ys - cy) * np.cos(angle) + (xs - cx) * np.sin(angle)
    v = -(ys - cy) * np.sin(angle) + (xs - cx) * np.cos(angle)
    radius2 = (u / ry) ** 2 + (v / rx) ** 2
    return np.clip(1.5 * (1.0 - radius2), 0.0, 1.0).astype(np.float32)


def _random_walk(rng: np.random.Generator, start: np.ndarray, steps: int) -> np.ndarray:
    """Vertices of a walk whose heading drifts: the jagged path of a crack."""
    headings = rng.uniform(0.0, 2 * np.pi) + np.cumsum(rng.normal(0.0, 0.35, steps))
    moves = rng.uniform(1.5, 3.0, (steps, 1)) * np.stack([np.sin(headings), np.cos(headings)], axis=1)
    return np.concatenate([start[None], start + np.cumsum(moves, axis=0)])


def crack(rng: np.random.Generator, size: int) -> np.ndarray:
    """A jagged random-walk polyline, sometimes with one branch."""
    trunk = _random_walk(rng, rng.uniform(0.2, 0.8, 2) * size, int(rng.integers(10, 30)))
    paths = [trunk]
    if rng.random() < 0.4:
        fork = trunk[int(rng.integers(len(trunk)))]
        paths.append(_random_walk(rng, fork, int(rng.integers(4, 12))))
    points = np.concatenate([_densify(path) for path in paths])
    return _stroke(points, size, rng.uniform(0.6, 1.1))


def stain(rng: np.random.Generator, size: int) -> np.ndarray:
    """A Perlin-shaped blotch, kept local by a random disc, with blurred edges."""
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    blotch = perlin_mask(size, generator, threshold=rng.uniform(0.2, 0.45), min_scale=1, max_scale=3).numpy()
    cy, cx = rng.uniform(0.2, 0.8, 2) * size
    ys, xs = np.mgrid[0:size, 0:size]
    disc = (ys - cy) ** 2 + (xs - cx) ** 2 <= (rng.uniform(1 / 6, 1 / 3) * size) ** 2
    return ndimage.gaussian_filter((blotch & disc).astype(np.float32), sigma=0.8)


PAINTERS = (scratch, spot, crack, stain)


def add_defect(rng: np.random.Generator, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paint one random defect; returns the new image and its (possibly empty) pixel mask.

    The defect is filled with the local mean shifted by the contrast, not added on top of the
    texture: a mark of foreign material hides the grain beneath it, which is what makes it
    visible on busy surfaces such as grass or gravel.
    """
    alpha = PAINTERS[int(rng.integers(len(PAINTERS)))](rng, image.shape[0])
    # Bright surfaces mostly get dark marks and vice versa, so clipping rarely hides a defect.
    sign = -1.0 if rng.random() < image.mean() else 1.0
    local_mean = ndimage.gaussian_filter(image, sigma=LOCAL_MEAN_SIGMA)
    fill = np.clip(local_mean + sign * rng.uniform(*CONTRAST_RANGE), 0.0, 1.0)
    marked = image + alpha * (fill - image)
    mask = (alpha >= 0.5) & (np.abs(fill - local_mean) >= VISIBLE_STEP)
    return marked.astype(np.float32), mask
