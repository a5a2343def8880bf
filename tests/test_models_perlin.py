"""Perlin noise and masks: shape, determinism, sensible coverage."""

import numpy as np
import pytest
import torch

from tinyctl.models.augment.perlin import perlin_mask, rand_perlin_2d, rand_perlin_batch


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_noise_shape_range_and_zero_on_lattice():
    noise = rand_perlin_2d((64, 32), (4, 2), _generator())
    assert noise.shape == (64, 32)
    assert noise.abs().max() <= 1.5
    # Gradient noise vanishes at lattice nodes: every 16th pixel on both axes.
    assert torch.allclose(noise[::16, ::16], torch.zeros(4, 2), atol=1e-6)


def test_noise_is_deterministic_by_seed():
    first = rand_perlin_2d((32, 32), (4, 4), _generator(3))
    assert torch.equal(first, rand_perlin_2d((32, 32), (4, 4), _generator(3)))
    assert not torch.equal(first, rand_perlin_2d((32, 32), (4, 4), _generator(4)))


def test_noise_rejects_indivisible_shape():
    with pytest.raises(ValueError, match="divisible"):
        rand_perlin_2d((30, 32), (4, 4), _generator())


@pytest.mark.parametrize("size", [64, 50])
def test_mask_shape_and_dtype(size):
    mask = perlin_mask(size, _generator())
    assert mask.shape == (size, size) and mask.dtype == torch.bool


def test_mask_is_deterministic_by_seed():
    assert torch.equal(perlin_mask(64, _generator(5)), perlin_mask(64, _generator(5)))


def test_mask_coverage_over_many_draws():
    generator = _generator(1)
    coverage = np.array([perlin_mask(64, generator).float().mean().item() for _ in range(300)])
    assert 0.01 < coverage.mean() < 0.25
    assert (coverage > 0).mean() > 0.8  # most draws give a usable shape
    assert coverage.max() < 0.6  # never most of the image at threshold 0.5


def test_lower_threshold_covers_more():
    low = perlin_mask(64, _generator(2), threshold=0.1).float().mean()
    high = perlin_mask(64, _generator(2), threshold=0.5).float().mean()
    assert low >= high


def test_batched_noise_is_per_image_noise_for_the_same_angles(monkeypatch):
    scales = torch.tensor([[0, 0], [2, 5], [5, 1], [3, 3]])
    batch = rand_perlin_batch(32, scales, 5, _generator(3))
    angles = torch.rand(4, 33, 33, generator=_generator(3))  # what the batch drew, image by image
    for index, (a, b) in enumerate(scales.tolist()):
        used = angles[index, : (1 << a) + 1, : (1 << b) + 1]  # the corners of this image's lattice
        monkeypatch.setattr(torch, "rand", lambda *args, used=used, **kwargs: used)
        single = rand_perlin_2d((32, 32), (1 << a, 1 << b), _generator())
        monkeypatch.undo()
        torch.testing.assert_close(batch[index], single, rtol=0, atol=1e-6)


def test_batched_noise_rejects_a_side_the_lattice_does_not_divide():
    with pytest.raises(ValueError, match="divisible"):
        rand_perlin_batch(24, torch.tensor([[1, 1]]), 4, _generator())
