"""Built-in synthetic surface-defect dataset: deterministic by seed, nothing to download.

Surfaces come from `textures`, defects from `defects`. Each split draws from its own seed
stream, so the same (split, config) always gives the same arrays and splits never share images.
"""

from dataclasses import dataclass

import numpy as np

from .defects import add_defect
from .samples import Samples
from .textures import random_surface

SPLITS = ("train", "val", "test")
_EXTRA_DEFECT_P = 0.25  # share of defective images that get a second defect


@dataclass(frozen=True)
class SyntheticConfig:
    """Size and makeup of the synthetic dataset."""

    size: int = 64
    channels: int = 1
    n_train: int = 2000
    n_val: int = 400
    n_test: int = 400
    defect_fraction: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        # Crops at zoom 2 need 2 * size <= 512 (the photo side); multiples of 8 keep Perlin lattices even.
        if not (16 <= self.size <= 256 and self.size % 8 == 0):
            raise ValueError(f"size must be a multiple of 8 in [16, 256], got {self.size}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (gray) or 3 (RGB), got {self.channels}")
        for name in ("n_train", "n_val", "n_test"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.defect_fraction <= 1.0:
            raise ValueError(f"defect_fraction must be in [0, 1], got {self.defect_fraction}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")

    def count(self, split: str) -> int:
        """Number of images in `split`."""
        return getattr(self, f"n_{_check_split(split)}")


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits are {', '.join(SPLITS)}")
    return split


def _defective_surface(rng: np.random.Generator, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Paint one or two defects, repainting until at least one pixel is labelled."""
    wanted = 2 if rng.random() < _EXTRA_DEFECT_P else 1
    mask = np.zeros(image.shape, dtype=bool)
    painted = 0
    while painted < wanted or not mask.any():
        image, new = add_defect(rng, image)
        mask |= new
        painted += 1
    return image, mask


def tint_channels(rng: np.random.Generator, image: np.ndarray, channels: int) -> np.ndarray:
    """Gray stays [1, H, W]; colour gets a random per-channel tint of the same gray surface."""
    if channels == 1:
        return image[None]
    tint = rng.uniform(0.85, 1.15, (3, 1, 1)).astype(np.float32)
    return np.clip(image[None] * tint, 0.0, 1.0)


def make_split(split: str, config: SyntheticConfig = SyntheticConfig()) -> Samples:
    """Generate one split of the synthetic dataset."""
    count = config.count(split)
    rng = np.random.default_rng([config.seed, SPLITS.index(split)])
    labels = np.zeros(count, dtype=np.int64)
    labels[: round(count * config.defect_fraction)] = 1
    labels = rng.permutation(labels)
    images = np.empty((count, config.channels, config.size, config.size), dtype=np.float32)
    masks = np.zeros((count, config.size, config.size), dtype=np.uint8)
    for index, label in enumerate(labels):
        image = random_surface(rng, config.size)
        if label:
            image, mask = _defective_surface(rng, image)
            masks[index] = mask
        images[index] = tint_channels(rng, image, config.channels)
    return Samples(images=images, labels=labels, masks=masks)


def default_splits(config: SyntheticConfig = SyntheticConfig()) -> dict[str, Samples]:
    """All three splits of `config`, keyed by split name."""
    return {split: make_split(split, config) for split in SPLITS}
