"""The one sample/batch type every dataset, augmentation and trainer passes around."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Samples:
    """One split: images float32 [N, C, H, W] in [0, 1], labels int64 [N] (1 = defect),
    masks uint8 [N, H, W] (1 = defect pixel), and optionally the file each image came from."""

    images: np.ndarray
    labels: np.ndarray
    masks: np.ndarray
    paths: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not len(self.images) == len(self.labels) == len(self.masks):
            raise ValueError("images, labels and masks must have the same length")
        if self.paths is not None and len(self.paths) != len(self.labels):
            raise ValueError("paths must have one entry per image")

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray) -> "Samples":
        """The samples at `indices`, in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        paths = None if self.paths is None else tuple(self.paths[i] for i in indices)
        return Samples(self.images[indices], self.labels[indices], self.masks[indices], paths)


def concatenate(parts: list[Samples]) -> Samples:
    """All samples of `parts` in order; paths survive only if every part has them."""
    if not parts:
        raise ValueError("nothing to concatenate")
    paths = None
    if all(part.paths is not None for part in parts):
        paths = tuple(path for part in parts for path in part.paths)
    return Samples(
        images=np.concatenate([part.images for part in parts]),
        labels=np.concatenate([part.labels for part in parts]),
        masks=np.concatenate([part.masks for part in parts]),
        paths=paths,
    )
