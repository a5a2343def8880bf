"""MemSeg anomaly synthesis: a Perlin mask limited to the foreground, filled with a texture or
with the image's own shuffled tiles (a structure anomaly), at transparency delta (Yang et al. 2022)."""

import torch

from .ops import random_ops, uniform
from .perlin import perlin_masks
from .sources import Anomalies, anomalies, blend, pick_sources

FOREGROUNDS = ("all", "dark", "bright")
_MASK_TRIES = 4  # redraws of the Perlin mask when it misses the foreground


def otsu_threshold(gray: torch.Tensor) -> torch.Tensor:
    """Otsu's threshold of one [H, W] image in [0, 1] over 256 levels."""
    counts = torch.bincount((gray.clamp(0, 1) * 255).round().long().flatten(), minlength=256).to(gray.dtype)
    levels = torch.arange(256, device=gray.device, dtype=gray.dtype)
    weight = counts.cumsum(0)
    mass = (counts * levels).cumsum(0)
    below, above = weight, weight[-1] - weight
    between = (mass[-1] * below - mass * weight[-1]) ** 2 / (below * above).clamp(min=1)
    return (torch.argmax(between).to(gray.dtype) + 0.5) / 255


def foreground(images: torch.Tensor, side: str) -> torch.Tensor:
    """Boolean [N, H, W] region that may hold anomalies: everything, or one side of Otsu's split."""
    if side not in FOREGROUNDS:
        raise ValueError(f"foreground must be one of {', '.join(FOREGROUNDS)}, got {side!r}")
    gray = images.mean(1)
    if side == "all":
        return torch.ones_like(gray, dtype=torch.bool)
    thresholds = torch.stack([otsu_threshold(g) for g in gray]).view(-1, 1, 1)
    return gray <= thresholds if side == "dark" else gray > thresholds


def shuffle_tiles(image: torch.Tensor, grid: int, generator: torch.Generator) -> torch.Tensor:
    """Cut [C, H, W] into grid x grid tiles and shuffle them (a remainder strip stays in place)."""
    channels, height, width = image.shape
    th, tw = height // grid, width // grid
    tiles = image[:, : th * grid, : tw * grid].reshape(channels, grid, th, grid, tw).permute(1, 3, 0, 2, 4)
    tiles = tiles.reshape(grid * grid, channels, th, tw)
    tiles = tiles[torch.randperm(grid * grid, generator=generator, device=generator.device)]
    out = image.clone()
    out[:, : th * grid, : tw * grid] = (
        tiles.reshape(grid, grid, channels, th, tw).permute(2, 0, 3, 1, 4).reshape(channels, th * grid, tw * grid)
    )
    return out


def memseg(
    images: torch.Tensor,
    textures: torch.Tensor,
    generator: torch.Generator,
    anomaly_p: float = 1.0,
    texture_p: float = 0.5,
    delta: tuple[float, float] = (0.15, 1.0),
    foreground_side: str = "all",
    grid: int = 8,
    threshold: float = 0.5,
) -> Anomalies:
    """Augment a batch [N, C, H, W] in [0, 1] (MemSeg alternates clean and synthetic batches, so
    `anomaly_p` defaults to 1). Noise is a texture with `texture_p`, else the image itself after
    three random ops, tile-shuffled; delta ~ U(delta) is its opacity inside ROI = Perlin & foreground."""
    count = len(images)
    roi = foreground(images, foreground_side)
    masks = torch.zeros_like(roi)
    for _ in range(_MASK_TRIES):  # redraw only the rows whose ROI came out empty
        empty = ~masks.flatten(1).any(1)
        if not empty.any():
            break
        drawn = perlin_masks(count, tuple(images.shape[-2:]), generator, threshold=threshold) & roi
        masks = torch.where(empty.view(-1, 1, 1), drawn, masks)
    textured = pick_sources(textures, count, images, generator)
    use_texture = torch.rand(count, generator=generator, device=generator.device) < texture_p
    noise = torch.stack([
        textured[i] if use_texture[i] else shuffle_tiles(random_ops(images[i], generator), grid, generator)
        for i in range(count)
    ])
    opacity = uniform(generator, *delta, count)
    keep_clean = torch.rand(count, generator=generator, device=generator.device) >= anomaly_p
    return anomalies(images, masks, keep_clean, blend(images, noise, masks, 1 - opacity))
