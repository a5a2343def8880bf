"""Photometric and geometric image ops for anomaly sources (the imgaug list DRAEM and MemSeg draw
from), as torch ops on [C, H, W] images in [0, 1] that run on the generator's device."""

import math

import torch
import torch.nn.functional as F

_LEVELS = 255.0


def uniform(generator: torch.Generator, low: float, high: float, count: int = 1) -> torch.Tensor:
    """`count` draws from U(low, high) on the generator's device."""
    return low + (high - low) * torch.rand(count, generator=generator, device=generator.device)


def rotate(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each [N, C, H, W] image about its centre by its angle; uncovered corners become 0."""
    radians = degrees.to(images.dtype) * math.pi / 180
    cos, sin, zero = torch.cos(radians), torch.sin(radians), torch.zeros_like(radians)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def gamma_contrast(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """x ** gamma with gamma in [0.5, 2] per channel."""
    gamma = uniform(generator, 0.5, 2.0, image.shape[0]).view(-1, 1, 1)
    return image.clamp(min=0) ** gamma


def brightness(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Multiply by [0.8, 1.2] and add [-30, 30] grey levels."""
    return image * uniform(generator, 0.8, 1.2) + uniform(generator, -30, 30) / _LEVELS


def sharpness(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Move away from (or towards) a 3x3 smoothed copy, as PIL's ImageEnhance.Sharpness."""
    kernel = torch.tensor([[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]], device=image.device) / 13
    kernel = kernel.expand(image.shape[0], 1, 3, 3)
    smooth = F.conv2d(F.pad(image[None], (1, 1, 1, 1), mode="replicate"), kernel, groups=image.shape[0])[0]
    return smooth + uniform(generator, 0.0, 3.0) * (image - smooth)


def hue_saturation(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Rotate hue by up to +-50/255 of a turn and scale saturation (RGB only; gray is unchanged)."""
    if image.shape[0] != 3:
        return image
    grey = image.mean(0, keepdim=True)
    angle = uniform(generator, -50, 50) / _LEVELS * 2 * math.pi
    # Rotation about the grey axis (1, 1, 1) is a hue shift that keeps brightness.
    cos, sin, third = torch.cos(angle), torch.sin(angle), 1 / 3
    root = math.sqrt(third)
    a, b, c = cos + (1 - cos) * third, (1 - cos) * third - root * sin, (1 - cos) * third + root * sin
    matrix = torch.stack([torch.cat([a, b, c]), torch.cat([c, a, b]), torch.cat([b, c, a])])
    rotated = torch.einsum("ij,jhw->ihw", matrix, image)
    return grey + uniform(generator, 0.5, 1.5) * (rotated - grey)


def solarize(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Invert the pixels above a threshold of 32..128 grey levels."""
    threshold = uniform(generator, 32, 128) / _LEVELS
    return torch.where(image >= threshold, 1.0 - image, image)


def posterize(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Keep 4..7 bits per channel."""
    bits = int(torch.randint(4, 8, (1,), generator=generator, device=generator.device))
    step = 2 ** (8 - bits)
    return torch.floor(image.clamp(0, 1) * _LEVELS / step) * step / _LEVELS


def invert(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return 1.0 - image


def autocontrast(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Stretch each channel to the full [0, 1] range."""
    low = image.amin(dim=(1, 2), keepdim=True)
    high = image.amax(dim=(1, 2), keepdim=True)
    return (image - low) / (high - low).clamp(min=1e-6)


def equalize(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Histogram equalisation per channel over 256 grey levels."""
    levels = (image.clamp(0, 1) * _LEVELS).round().long()
    out = torch.empty_like(image)
    for channel in range(image.shape[0]):
        counts = torch.bincount(levels[channel].flatten(), minlength=256).to(image.dtype)
        cdf = counts.cumsum(0)
        cdf = (cdf - cdf[cdf > 0][0]) / (cdf[-1] - cdf[cdf > 0][0]).clamp(min=1)
        out[channel] = cdf.clamp(min=0)[levels[channel]]
    return out


def affine_rotate(image: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Rotate by -45..45 degrees."""
    return rotate(image[None], uniform(generator, -45, 45))[0]


OPS = (gamma_contrast, brightness, sharpness, hue_saturation, solarize, posterize, invert,
       autocontrast, equalize, affine_rotate)


def random_ops(image: torch.Tensor, generator: torch.Generator, count: int = 3) -> torch.Tensor:
    """Apply `count` distinct ops from OPS in random order, clipped to [0, 1] (DRAEM's recipe)."""
    for index in torch.randperm(len(OPS), generator=generator, device=generator.device)[:count].tolist():
        image = OPS[index](image, generator).clamp(0.0, 1.0)
    return image
