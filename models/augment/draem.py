"""DRAEM anomaly synthesis: a texture, changed by three random ops, pasted through a rotated,
thresholded Perlin mask with opacity 1 - beta (Zavrtanik et al., ICCV 2021)."""

import torch

from .ops import random_ops, uniform
from .perlin import perlin_masks
from .sources import Anomalies, anomalies, blend, pick_sources


def draem(
    images: torch.Tensor,
    textures: torch.Tensor,
    generator: torch.Generator,
    anomaly_p: float = 0.5,
    beta_max: float = 0.8,
    threshold: float = 0.5,
) -> Anomalies:
    """Augment a batch [N, C, H, W] in [0, 1]; each image becomes anomalous with `anomaly_p`.

    beta ~ U(0, beta_max) is the share of the original kept inside the mask. A drawn mask can
    be empty (label 0), as in DRAEM. Runs on the generator's device, where `images` must live.
    """
    count = len(images)
    sources = pick_sources(textures, count, images, generator)
    sources = torch.stack([random_ops(source, generator) for source in sources])
    masks = perlin_masks(count, tuple(images.shape[-2:]), generator, threshold=threshold)
    beta = uniform(generator, 0.0, beta_max, count)
    keep_clean = torch.rand(count, generator=generator, device=generator.device) >= anomaly_p
    return anomalies(images, masks, keep_clean, blend(images, sources, masks, beta))
