"""Perlin gradient noise and thresholded Perlin masks (DRAEM-style anomaly shapes).

Torch ops throughout, on the generator's device, so the same code serves CPU data
building and GPU augmentation.
"""

import math

import torch

from .ops import rotate, uniform


def _fade(t: torch.Tensor) -> torch.Tensor:
    """Quintic 6t^5 - 15t^4 + 10t^3: zero first and second derivative at the lattice."""
    return t * t * t * (t * (t * 6 - 15) + 10)


def _cell_coords(length: int, cells: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per pixel: index of its lattice cell and its fractional position inside it."""
    step = length // cells
    pos = torch.arange(length, device=device)
    return pos // step, (pos % step).float() / step


def rand_perlin_2d(shape: tuple[int, int], res: tuple[int, int], generator: torch.Generator) -> torch.Tensor:
    """Perlin noise of `shape` with `res` lattice cells per axis; values roughly in [-1, 1]."""
    (height, width), (cells_y, cells_x) = shape, res
    if height % cells_y or width % cells_x:
        raise ValueError(f"shape {shape} must be divisible by res {res}")
    device = generator.device
    angles = 2 * math.pi * torch.rand(cells_y + 1, cells_x + 1, generator=generator, device=device)
    grad_y, grad_x = torch.sin(angles), torch.cos(angles)
    iy, fy = _cell_coords(height, cells_y, device)
    ix, fx = _cell_coords(width, cells_x, device)

    def corner(dy: int, dx: int) -> torch.Tensor:
        # Dot product of the corner's gradient with the offset from that corner.
        gy = grad_y[iy + dy][:, ix + dx]
        gx = grad_x[iy + dy][:, ix + dx]
        return gy * (fy - dy)[:, None] + gx * (fx - dx)[None, :]

    u, v = _fade(fx)[None, :], _fade(fy)[:, None]
    top = torch.lerp(corner(0, 0), corner(0, 1), u)
    bottom = torch.lerp(corner(1, 0), corner(1, 1), u)
    # sqrt(2) stretches the theoretical range sqrt(0.5) of 2D gradient noise to about 1.
    return math.sqrt(2) * torch.lerp(top, bottom, v)


def rand_perlin_batch(side: int, scales: torch.Tensor, max_scale: int, generator: torch.Generator) -> torch.Tensor:
    """[N, side, side] Perlin noise in one pass, image n with 2^scales[n] lattice cells per axis (scales
    [N, 2] of (y, x) exponents, at most max_scale; side a multiple of 2^max_scale). The same noise as
    rand_perlin_2d for the same gradient angles, without a Python loop over images or a host sync
    (the angles are drawn differently)."""
    device = generator.device
    count, largest = len(scales), 1 << max_scale
    if side % largest:
        raise ValueError(f"side {side} must be divisible by every lattice, up to {largest} cells")
    angles = 2 * math.pi * torch.rand(count, largest + 1, largest + 1, generator=generator, device=device)
    grad_y, grad_x = torch.sin(angles), torch.cos(angles)
    step = side // (1 << scales.to(device))  # [N, 2] pixels per cell
    pos = torch.arange(side, device=device)
    iy, ix = pos // step[:, :1], pos // step[:, 1:]  # [N, side] each
    fy, fx = (pos % step[:, :1]).float() / step[:, :1], (pos % step[:, 1:]).float() / step[:, 1:]
    image = torch.arange(count, device=device)[:, None, None]

    def corner(dy: int, dx: int) -> torch.Tensor:
        rows, cols = (iy + dy)[:, :, None], (ix + dx)[:, None, :]
        return grad_y[image, rows, cols] * (fy - dy)[:, :, None] + grad_x[image, rows, cols] * (fx - dx)[:, None, :]

    u, v = _fade(fx)[:, None, :], _fade(fy)[:, :, None]
    top = torch.lerp(corner(0, 0), corner(0, 1), u)
    bottom = torch.lerp(corner(1, 0), corner(1, 1), u)
    return math.sqrt(2) * torch.lerp(top, bottom, v)


def perlin_mask(
    size: int,
    generator: torch.Generator,
    threshold: float = 0.5,
    min_scale: int = 0,
    max_scale: int = 4,
) -> torch.Tensor:
    """Boolean [size, size] mask: Perlin noise at random scales (2^a, 2^b) above `threshold`."""
    if not 0 <= min_scale <= max_scale:
        raise ValueError(f"need 0 <= min_scale <= max_scale, got {min_scale}, {max_scale}")
    a, b = torch.randint(min_scale, max_scale + 1, (2,), generator=generator, device=generator.device).tolist()
    # Lattice sizes are powers of two, so noise made at a power-of-two side always divides evenly.
    side = max(1 << (size - 1).bit_length(), 1 << max_scale)
    noise = rand_perlin_2d((side, side), (1 << a, 1 << b), generator)
    return noise[:size, :size] > threshold


def perlin_masks(
    count: int,
    shape: tuple[int, int],
    generator: torch.Generator,
    threshold: float = 0.5,
    max_scale: int = 5,
    rotate_noise: bool = True,
) -> torch.Tensor:
    """Boolean [count, H, W] DRAEM masks: noise at scales (2^a, 2^b), a, b in 0..max_scale,
    rotated by -90..90 degrees, above `threshold`."""
    height, width = shape
    side = max(1 << (max(height, width) - 1).bit_length(), 1 << max_scale)
    scales = torch.randint(0, max_scale + 1, (count, 2), generator=generator, device=generator.device).tolist()
    noise = torch.stack([rand_perlin_2d((side, side), (1 << a, 1 << b), generator) for a, b in scales])
    if rotate_noise:
        noise = rotate(noise[:, None], uniform(generator, -90, 90, count))[:, 0]
    top, left = (side - height) // 2, (side - width) // 2  # the centre stays covered after rotation
    return noise[:, top : top + height, left : left + width] > threshold
