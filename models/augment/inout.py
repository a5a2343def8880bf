"""In&Out mixing (Capogrosso et al., VISAPP 2024): a training set whose synthetic positives are
part in-distribution (generated, e.g. by DIAG) and part out-of-distribution (superimposed on
normal images by DRAEM or MemSeg), in configurable shares."""

from dataclasses import dataclass

import numpy as np
import torch

from ..data.samples import Samples, concatenate
from .draem import draem
from .memseg import memseg

OOD_METHODS = {"draem": draem, "memseg": memseg}
_OOD_ROUNDS = 8  # superimposition rounds before giving up on masks that keep coming out empty


@dataclass(frozen=True)
class MixConfig:
    """`positives` synthetic positives, `in_share` of them in-distribution, the rest by `ood_method`."""

    positives: int
    in_share: float = 0.5
    ood_method: str = "draem"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.positives < 0:
            raise ValueError(f"positives must be non-negative, got {self.positives}")
        if not 0.0 <= self.in_share <= 1.0:
            raise ValueError(f"in_share must be in [0, 1], got {self.in_share}")
        if self.ood_method not in OOD_METHODS:
            raise ValueError(f"ood_method must be one of {', '.join(OOD_METHODS)}, got {self.ood_method!r}")

    @property
    def counts(self) -> tuple[int, int]:
        """(in-distribution, out-of-distribution) positives."""
        inside = round(self.positives * self.in_share)
        return inside, self.positives - inside


def _pick(rng: np.random.Generator, available: int, wanted: int) -> np.ndarray:
    """`wanted` indices, without replacement while `available` allows."""
    return rng.choice(available, size=wanted, replace=wanted > available)


def _out_of_distribution(normals: Samples, count: int, textures: torch.Tensor, config: MixConfig) -> Samples:
    """`count` superimposed positives on random normal images, empty draws redrawn."""
    rng = np.random.default_rng([config.seed, 1])
    generator = torch.Generator().manual_seed(config.seed)
    parts, found = [], 0
    for _ in range(_OOD_ROUNDS):
        if found >= count:
            break
        picked = _pick(rng, len(normals), count - found)
        made = OOD_METHODS[config.ood_method](torch.from_numpy(normals.images[picked]), textures, generator, anomaly_p=1.0)
        keep = made.labels.numpy() == 1
        paths = None if normals.paths is None else tuple(f"{config.ood_method}:{normals.paths[i]}" for i in picked[keep])
        parts.append(made.to_samples(paths).subset(np.flatnonzero(keep)))
        found += int(keep.sum())
    if found < count:
        raise ValueError(f"{config.ood_method} gave only {found} non-empty masks of {count}; lower its threshold")
    return concatenate(parts)


def in_and_out(normals: Samples, generated: Samples, textures: torch.Tensor, config: MixConfig) -> Samples:
    """normals + config.counts[0] generated positives + config.counts[1] superimposed ones."""
    if generated.images.shape[1:] != normals.images.shape[1:]:
        raise ValueError(f"generated images {generated.images.shape[1:]} differ from normals {normals.images.shape[1:]}")
    normal = normals.subset(np.flatnonzero(normals.labels == 0))
    inside, outside = config.counts
    parts = [normal]
    if inside:
        positive = generated.subset(np.flatnonzero(generated.labels == 1))
        if not len(positive):
            raise ValueError("the generated set has no positives to mix in")
        parts.append(positive.subset(_pick(np.random.default_rng([config.seed, 0]), len(positive), inside)))
    if outside:
        parts.append(_out_of_distribution(normal, outside, textures, config))
    return concatenate(parts)
