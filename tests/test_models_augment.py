"""Superimposed anomaly synthesis: Perlin masks, image ops, DRAEM, MemSeg, In&Out mixing."""

import numpy as np
import pytest
import torch
from skimage.filters import threshold_otsu

from tinyctl.models.augment import ops
from tinyctl.models.augment.draem import draem
from tinyctl.models.augment.inout import MixConfig, in_and_out
from tinyctl.models.augment.memseg import foreground, memseg, otsu_threshold, shuffle_tiles
from tinyctl.models.augment.perlin import perlin_masks
from tinyctl.models.augment.sources import blend, builtin_textures, folder_textures
from tinyctl.models.data import make_split
from tinyctl.models.data.samples import Samples
from tinyctl.models.data.synthetic import SyntheticConfig

N = 48


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def normals() -> Samples:
    return make_split("train", SyntheticConfig(size=32, channels=3, n_train=N, defect_fraction=0.0))


@pytest.fixture(scope="module")
def textures() -> torch.Tensor:
    return builtin_textures(32, channels=3, count=8)


def test_perlin_masks_shape_coverage_and_seed():
    masks = perlin_masks(200, (48, 40), _gen(1))
    assert masks.shape == (200, 48, 40) and masks.dtype == torch.bool
    coverage = masks.float().mean(dim=(1, 2))
    assert 0.01 < coverage.mean() < 0.3 and coverage.max() < 0.7
    assert (coverage > 0).float().mean() > 0.6
    assert torch.equal(masks, perlin_masks(200, (48, 40), _gen(1)))
    assert perlin_masks(200, (48, 40), _gen(1), threshold=0.2).float().mean() > coverage.mean()


def test_every_op_keeps_shape_and_range():
    image = torch.rand(3, 24, 24, generator=_gen(2))
    for op in ops.OPS:
        out = op(image, _gen(3)).clamp(0, 1)
        assert out.shape == image.shape and torch.isfinite(out).all(), op.__name__
    assert torch.equal(ops.invert(image, _gen()), 1 - image)
    stretched = ops.autocontrast(image * 0.5 + 0.2, _gen())
    assert stretched.amin() == 0 and torch.isclose(stretched.amax(), torch.tensor(1.0))
    flat = ops.equalize(torch.linspace(0, 0.5, 576).view(1, 24, 24), _gen())
    assert flat.max() == 1.0 and flat.min() == 0.0  # spread to the full range
    assert torch.allclose(ops.rotate(image[None], torch.zeros(1))[0], image, atol=1e-5)
    quarter = ops.rotate(image[None], torch.tensor([90.0]))[0]
    assert any(torch.allclose(quarter, torch.rot90(image, k, (1, 2)), atol=1e-5) for k in (1, 3))


def test_blend_formula():
    image, source = torch.full((1, 1, 2, 2), 0.2), torch.full((1, 1, 2, 2), 1.0)
    mask = torch.tensor([[[True, False], [False, False]]])
    out = blend(image, source, mask, torch.tensor([0.25]))
    assert torch.isclose(out[0, 0, 0, 0], torch.tensor(0.25 * 0.2 + 0.75 * 1.0)) and out[0, 0, 1, 1] == 0.2


@pytest.mark.parametrize("method", [draem, memseg])
def test_superimposition_shapes_labels_and_determinism(method, normals, textures):
    images = torch.from_numpy(normals.images)
    first = method(images, textures, _gen(4), anomaly_p=0.5)
    assert first.images.shape == images.shape and first.masks.shape == (N, 32, 32)
    assert first.masks.dtype == torch.uint8 and first.labels.dtype == torch.int64
    assert 0 <= first.images.min() and first.images.max() <= 1
    assert torch.equal(first.labels, first.masks.flatten(1).any(1).long())
    clean = first.labels == 0
    assert torch.equal(first.images[clean], images[clean])  # untouched rows are the originals
    outside = first.masks == 0
    assert torch.allclose(first.images.permute(0, 2, 3, 1)[outside], images.permute(0, 2, 3, 1)[outside])
    share = first.labels.float().mean()
    assert 0.2 < share < 0.65, share
    again = method(images, textures, _gen(4), anomaly_p=0.5)
    assert torch.equal(first.images, again.images) and torch.equal(first.masks, again.masks)
    assert not torch.equal(first.masks, method(images, textures, _gen(5), anomaly_p=0.5).masks)


def test_mask_coverage_statistics(normals, textures):
    images = torch.from_numpy(normals.images)
    for made in (draem(images, textures, _gen(6), anomaly_p=1.0), memseg(images, textures, _gen(6))):
        coverage = made.masks.float().mean(dim=(1, 2))[made.labels == 1]
        assert 0.01 < coverage.mean() < 0.3 and coverage.max() < 0.75
    assert memseg(images, textures, _gen(6)).labels.float().mean() > 0.85  # empty ROIs are redrawn


def test_memseg_foreground_limits_the_mask():
    dark_left = torch.ones(4, 1, 32, 32)
    dark_left[..., :16] = 0.1
    assert torch.equal(foreground(dark_left, "dark")[0, :, :16], torch.ones(32, 16, dtype=torch.bool))
    made = memseg(dark_left, builtin_textures(32, 1, 4), _gen(7), foreground_side="dark")
    assert made.masks[..., 16:].sum() == 0 and made.labels.sum() > 0
    with pytest.raises(ValueError, match="foreground"):
        foreground(dark_left, "middle")


def test_otsu_matches_scikit_image(normals):
    for image in normals.images[:5]:
        gray = image.mean(0)
        ours = otsu_threshold(torch.from_numpy(gray)).item()
        assert abs(ours - threshold_otsu(np.round(gray * 255)) / 255) < 2.5 / 255


def test_shuffle_tiles_is_a_permutation_of_tiles():
    image = torch.arange(2 * 8 * 9, dtype=torch.float32).view(2, 8, 9)
    out = shuffle_tiles(image, 2, _gen(8))
    assert torch.equal(out[:, :, 8], image[:, :, 8])  # remainder column untouched
    tiles = lambda x: sorted(x[:, r : r + 4, c : c + 4].flatten().tolist() for r in (0, 4) for c in (0, 4))  # noqa: E731
    assert tiles(out) == tiles(image) and not torch.equal(out, image)


def test_builtin_textures_are_seeded_and_varied():
    bank = builtin_textures(16, channels=3, count=6, seed=2)
    assert bank.shape == (6, 3, 16, 16) and bank.dtype == torch.float32 and 0 <= bank.min() and bank.max() <= 1
    assert torch.equal(bank, builtin_textures(16, channels=3, count=6, seed=2))
    assert not torch.equal(bank, builtin_textures(16, channels=3, count=6, seed=3))
    assert len({tuple(t.mean(dim=(1, 2)).round(decimals=3).tolist()) for t in bank}) == 6


def test_folder_textures(tmp_path):
    from PIL import Image

    for i in range(3):
        Image.fromarray(np.full((20, 30, 3), 40 * i, np.uint8)).save(tmp_path / f"t{i}.jpg")
    bank = folder_textures(tmp_path, 16, channels=1)
    assert bank.shape == (3, 1, 16, 16) and bank.dtype == torch.float32
    with pytest.raises(Exception, match="no texture images"):
        folder_textures(tmp_path / "missing", 16)


def test_in_and_out_mix_shares(normals, textures):
    generated = make_split("val", SyntheticConfig(size=32, channels=3, n_val=10, defect_fraction=1.0))
    mixed = in_and_out(normals, generated, textures, MixConfig(positives=20, in_share=0.25, seed=1))
    assert len(mixed) == N + 20 and mixed.labels.sum() == 20
    positive_masks = mixed.masks[mixed.labels == 1].reshape(20, -1)
    assert positive_masks.any(1).all()
    generated_rows = {m.tobytes() for m in generated.images}
    inside = sum(image.tobytes() in generated_rows for image in mixed.images[N:])
    assert inside == 5  # 25% in-distribution
    again = in_and_out(normals, generated, textures, MixConfig(positives=20, in_share=0.25, seed=1))
    assert np.array_equal(mixed.images, again.images)
    only_ood = in_and_out(normals, generated, textures, MixConfig(positives=6, in_share=0.0, ood_method="memseg"))
    assert only_ood.labels.sum() == 6
    with pytest.raises(ValueError, match="in_share"):
        MixConfig(positives=3, in_share=1.5)
