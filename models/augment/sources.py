"""Anomaly sources and the blend that pastes them: texture banks (DRAEM's DTD stand-in) and
the `Anomalies` batch every superimposition method returns."""

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data as skdata

from ..data.files import image_array, image_files, read_image
from ..data.samples import Samples
from ..data.synthetic import tint_channels
from ..data.textures import random_surface
from ..errors import ModelsError


class Anomalies(NamedTuple):
    """Augmented images float [N, C, H, W], masks uint8 [N, H, W], labels int64 [N] (1 iff mask)."""

    images: torch.Tensor
    masks: torch.Tensor
    labels: torch.Tensor

    def to_samples(self, paths: tuple[str, ...] | None = None) -> Samples:
        return Samples(self.images.cpu().numpy(), self.labels.cpu().numpy(), self.masks.cpu().numpy(), paths)


# Photographs in scikit-image's wheel (offline) unlike any inspected surface: DTD's role in DRAEM.
FOREIGN_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field",
                  "coins", "camera", "moon")


@lru_cache(maxsize=None)
def _foreign_photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skdata, name)()).convert("RGB")


def _foreign_crop(rng: np.random.Generator, size: int, channels: int) -> np.ndarray:
    """A random square crop (1/8 to 1/2 of the short side) of a foreign photo, at size x size."""
    photo = _foreign_photo(FOREIGN_PHOTOS[int(rng.integers(len(FOREIGN_PHOTOS)))])
    side = int(rng.integers(min(photo.size) // 8, min(photo.size) // 2 + 1))
    left, top = int(rng.integers(photo.width - side + 1)), int(rng.integers(photo.height - side + 1))
    return image_array(photo.crop((left, top, left + side, top + side)), size, channels)


def builtin_textures(size: int, channels: int = 1, count: int = 32, seed: int = 0) -> torch.Tensor:
    """[count, channels, size, size] offline anomaly sources: half crops of FOREIGN_PHOTOS, half
    surfaces of the synthetic set (scikit-image's brick, grass, gravel and procedural ones)."""
    rng = np.random.default_rng([seed, 7])
    bank = [
        _foreign_crop(rng, size, channels) if index % 2 else tint_channels(rng, random_surface(rng, size), channels)
        for index in range(count)
    ]
    return torch.from_numpy(np.stack(bank))


def folder_textures(folder: str | Path, size: int, channels: int = 1) -> torch.Tensor:
    """Every image of `folder` (for example the DTD images) as a [K, channels, size, size] bank."""
    folder = Path(folder)
    files = image_files(folder) if folder.is_dir() else []
    if not files:
        raise ModelsError(f"no texture images in {folder}", "point it at a folder of .png/.jpg textures")
    return torch.from_numpy(np.stack([read_image(path, size, channels) for path in files]))


def pick_sources(bank: torch.Tensor, count: int, like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """`count` random textures from `bank`, resized and converted to the channels of `like`."""
    chosen = bank[torch.randint(len(bank), (count,), generator=generator, device=generator.device).cpu()]
    chosen = chosen.to(device=like.device, dtype=like.dtype)
    if chosen.shape[1] != like.shape[1]:
        chosen = chosen.mean(1, keepdim=True).expand(-1, like.shape[1], -1, -1)
    if chosen.shape[-2:] != like.shape[-2:]:
        chosen = F.interpolate(chosen, size=like.shape[-2:], mode="bilinear", align_corners=False)
    return chosen


def blend(images: torch.Tensor, sources: torch.Tensor, masks: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Inside each mask, `keep` of the original image shows through the source:
    I (1 - M) + M ((1 - keep) S + keep I). DRAEM's beta and MemSeg's 1 - delta are `keep`."""
    m = masks[:, None].to(images.dtype)
    k = keep.view(-1, 1, 1, 1).to(images.dtype)
    return images * (1 - m) + m * ((1 - k) * sources + k * images)


def anomalies(images: torch.Tensor, masks: torch.Tensor, keep_clean: torch.Tensor, blended: torch.Tensor) -> Anomalies:
    """The batch with the `keep_clean` rows left untouched (empty mask, label 0)."""
    masks = masks & ~keep_clean.view(-1, 1, 1)
    out = torch.where(keep_clean.view(-1, 1, 1, 1), images, blended)
    return Anomalies(out, masks.to(torch.uint8), masks.flatten(1).any(1).to(torch.int64))
