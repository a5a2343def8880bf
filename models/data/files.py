"""Reading image and mask files into the arrays of `Samples`: resized, scaled, binarised.

Every layout reader funnels through here, so all of them resize the same way (with Pillow): images
bilinearly to the asked height x width, masks by the share of each output pixel the defect covers.
`size` is a side (square, as the built-in set) or (height, width): the caller picks the aspect ratio.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import ModelsError
from .samples import Samples

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
MASK_COVER = 0.5  # an output pixel is defective when the defect covers at least half of it
MIN_SIDE = 8
IMAGE_MODES = {1: "L", 3: "RGB"}  # channels -> the Pillow mode every image is converted to

Size = int | tuple[int, int]  # a side, or (height, width)


def height_width(size: Size) -> tuple[int, int]:
    """(height, width) of a size given as a side or as (height, width)."""
    if isinstance(size, int):
        return size, size
    height, width = size
    return int(height), int(width)


def image_files(folder: Path) -> list[Path]:
    """Image files directly in `folder`, sorted by name so every run sees the same order."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _open(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
    except (OSError, ValueError) as error:
        raise ModelsError(f"cannot read image {path}: {error}", "replace or remove the broken file") from None
    return image


def image_array(image: Image.Image, size: Size, channels: int) -> np.ndarray:
    """float32 [channels, height, width] in [0, 1] from a PIL image; gray for 1 channel, RGB for 3."""
    height, width = height_width(size)
    image = image.convert(IMAGE_MODES[channels]).resize((width, height), Image.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def read_image(path: Path, size: Size, channels: int) -> np.ndarray:
    """An image file as `image_array` gives it."""
    return image_array(_open(path), size, channels)


def binarise_mask(mask: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """uint8 mask resized from a full-size boolean one; `size` is a side or PIL's (width, height).

    Output pixels at least MASK_COVER covered are defective. A defect too thin to cover any
    pixel that much keeps its best-covered pixels, so a defective file never yields an empty mask.
    """
    size = (size, size) if isinstance(size, int) else size
    cover = np.asarray(Image.fromarray(mask.astype(np.float32)).resize(size, Image.BOX))
    out = cover >= MASK_COVER
    if mask.any() and not out.any():
        out = cover >= cover.max()
    return out.astype(np.uint8)


def read_mask(path: Path, size: Size) -> np.ndarray:
    """uint8 [height, width] mask (1 = defect) from a file where any non-zero pixel is defect."""
    height, width = height_width(size)
    return binarise_mask(np.asarray(_open(path).convert("L")) > 0, (width, height))


Item = tuple[Path, int, Path | None]  # image file, label, mask file (None: empty mask)


def mask_has_defect(path: Path) -> bool:
    """Whether a mask file has any non-zero pixel (the KSDD2 labelling rule)."""
    return bool(np.asarray(_open(path)).any())


def read_samples(items: list[Item], size: Size, channels: int) -> Samples:
    """Samples from (image, label, mask) items; an item without a mask file gets an empty mask."""
    height, width = height_width(size)
    images = np.empty((len(items), channels, height, width), dtype=np.float32)
    masks = np.zeros((len(items), height, width), dtype=np.uint8)
    for index, (image_path, _, mask_path) in enumerate(items):
        images[index] = read_image(image_path, size, channels)
        if mask_path is not None:
            masks[index] = read_mask(mask_path, size)
    labels = np.array([label for _, label, _ in items], dtype=np.int64)
    return Samples(images, labels, masks, tuple(str(path) for path, _, _ in items))


def check_size(size: Size, channels: int) -> None:
    """Reject shapes no reader can produce, before touching any file."""
    shape_ok = isinstance(size, int) or (isinstance(size, (tuple, list)) and len(size) == 2)
    if not shape_ok or not all(isinstance(side, int) and not isinstance(side, bool) for side in height_width(size)):
        raise ValueError(f"size must be a side or (height, width) in whole pixels, got {size!r}")
    if min(height_width(size)) < MIN_SIDE:
        raise ValueError(f"each side must be at least {MIN_SIDE} pixels, got {size!r}")
    if channels not in IMAGE_MODES:
        raise ValueError(f"channels must be 1 (gray) or 3 (RGB), got {channels}: images are read as "
                         "Pillow's L or RGB; convert other images (CMYK, RGBA as 4 channels) before reading")
