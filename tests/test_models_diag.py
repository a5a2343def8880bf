"""DIAG on a tiny random SDXL inpainting pipeline built here, saved, and loaded back offline."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from tinyctl.models.augment import diag
from tinyctl.models.augment.diag import DIAG_MODEL_ID, DiagSettings, generate, load_sdxl_inpainter
from tinyctl.models.augment.tiny_sdxl import save_tiny_pipeline
from tinyctl.models.data import load_folder
from tinyctl.models.errors import ModelsError

FAST = DiagSettings(steps=2, size=64, per_prompt=2)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_pipeline(tmp_path_factory.mktemp("tiny_sdxl"))


@pytest.fixture(scope="module")
def inpainter(model_dir):
    return load_sdxl_inpainter(model_dir, device="cpu")


@pytest.fixture
def inputs(tmp_path):
    """Two negatives (one at the paint size, one not square) and a mask folder with one empty mask."""
    rng = np.random.default_rng(0)
    (tmp_path / "neg").mkdir()
    (tmp_path / "masks").mkdir()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "neg" / "a.png")
    Image.fromarray(rng.integers(0, 256, (80, 48), dtype=np.uint8)).save(tmp_path / "neg" / "b.png")
    for name, box in (("m0.png", (8, 8, 40, 24)), ("m1.png", None)):
        mask = np.zeros((64, 64), dtype=np.uint8)
        if box:
            mask[box[1] : box[3], box[0] : box[2]] = 255
        Image.fromarray(mask).save(tmp_path / "masks" / name)
    (tmp_path / "prompts.txt").write_text("# defects\ncopper metal scratches\nwhite marks on the wall\nnegative: smooth\n")
    return tmp_path


def test_paper_settings():
    settings = DiagSettings()
    assert (settings.steps, settings.guidance, settings.strength, settings.size) == (30, 20.0, 0.99, 1024)
    assert DIAG_MODEL_ID == "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
    assert diag.DIAG_PROMPTS == ("white marks on the wall", "copper metal scratches")
    assert diag.NEGATIVE_PROMPT == "smooth, plain, black, dark, shadow"
    with pytest.raises(ValueError, match="strength"):
        DiagSettings(strength=1.0)
    with pytest.raises(ValueError, match="denoising step"):
        DiagSettings(steps=1)


def test_diag_loop_on_the_tiny_pipeline(inpainter, inputs):
    prompts, negative = diag.read_prompts(inputs / "prompts.txt")
    assert prompts == ("copper metal scratches", "white marks on the wall") and negative == "smooth"
    masks = diag.read_masks(diag.folder_images(inputs / "masks"))
    assert [name.rsplit("/", 1)[1] for name, _ in masks] == ["m0.png"]  # the empty mask is skipped
    negatives = diag.folder_images(inputs / "neg")
    out = generate(inpainter, negatives, masks, inputs / "out", prompts, negative, FAST)
    manifest = json.loads((out / "diag.json").read_text())
    assert len(manifest["images"]) == 4 and manifest["settings"]["guidance"] == 20.0
    assert {Image.open(r["negative"]).size for r in manifest["images"]} == {(64, 64), (48, 80)}  # seed 0 picks both
    for record in manifest["images"]:
        painted = np.asarray(Image.open(out / "defect" / record["image"]))
        source = Image.open(record["negative"])
        assert painted.shape == np.asarray(source).shape  # back to the negative's size and mode
        mask = np.asarray(Image.open(out / "masks" / record["image"])) > 0
        assert mask.shape == painted.shape[:2] and mask.any()
        if source.size == (64, 64):  # painted at its own size: outside the mask it is untouched
            assert np.array_equal(painted[~mask], np.asarray(source)[~mask])
            assert (painted[mask] != np.asarray(source)[mask]).mean() > 0.5
    generated = load_folder(out, size=32)
    assert len(generated) == 4 and generated.labels.tolist() == [1, 1, 1, 1] and generated.masks.any(axis=(1, 2)).all()
    again = generate(inpainter, negatives, masks, inputs / "again", prompts, negative, FAST)
    other = generate(inpainter, negatives, masks, inputs / "other", prompts, negative, DiagSettings(steps=2, size=64, per_prompt=2, seed=1))
    first = [np.asarray(Image.open(p)) for p in sorted((out / "defect").iterdir())]
    assert all(np.array_equal(a, np.asarray(Image.open(again / "defect" / f"{i:05d}.png"))) for i, a in enumerate(first))
    assert not all(np.array_equal(a, np.asarray(Image.open(other / "defect" / f"{i:05d}.png"))) for i, a in enumerate(first))


def test_a_mask_thinner_than_a_paint_pixel_still_paints(inpainter, inputs):
    thin = np.zeros((128, 128), dtype=np.uint8)
    thin[60, 20:100] = 255  # vanishes under a plain nearest resize to 32 px
    settings = DiagSettings(steps=2, size=32, per_prompt=1)
    out = generate(inpainter, [inputs / "neg" / "a.png"], [("thin", Image.fromarray(thin))], inputs / "t", ("x",), "", settings)
    assert (np.asarray(Image.open(out / "masks" / "00000.png")) > 0).any()


def test_cli_generates_from_a_ksdd2_folder(model_dir, tmp_path):
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
        for i in range(5):
            Image.fromarray(rng.integers(0, 256, (40, 24, 3), dtype=np.uint8)).save(tmp_path / split / f"{i}.png")
            mask = np.zeros((40, 24), np.uint8)
            mask[10:20, 5:15] = 255 * (i % 2)
            Image.fromarray(mask).save(tmp_path / split / f"{i}_GT.png")
    args = ["--model", str(model_dir), "--out", str(tmp_path / "out"), "--layout", "ksdd2", "--root", str(tmp_path),
            "--per-prompt", "1", "--steps", "2", "--size", "32", "--device", "cpu"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out" / "defect").iterdir()) == ["00000.png", "00001.png"]
    assert Image.open(tmp_path / "out" / "defect" / "00000.png").size == (24, 40)
    bad = CliRunner().invoke(_app(), ["--model", str(tmp_path), "--out", str(tmp_path / "x"), "--layout", "ksdd2", "--root", str(tmp_path)])
    assert bad.exit_code == 2 and "not a local diffusers model folder" in bad.output


def _app():
    import typer

    app = typer.Typer()
    app.command()(diag.run)
    return app


def test_fp16_variant_loads_in_half_precision(tmp_path, inputs):
    folder = save_tiny_pipeline(tmp_path / "fp16", fp16=True)
    assert list((folder / "unet").glob("*.fp16.safetensors"))
    inpainter = load_sdxl_inpainter(folder, device="cpu", half=True)
    assert inpainter.pipeline.unet.dtype == torch.float16
    masks = diag.read_masks([inputs / "masks" / "m0.png"])
    out = generate(inpainter, [inputs / "neg" / "a.png"], masks, tmp_path / "out", ("x",), "", DiagSettings(steps=2, size=32, per_prompt=1))
    assert Image.open(out / "defect" / "00000.png").size == (64, 64)


def test_hub_id_is_refused_without_network():
    with pytest.raises(ModelsError, match="not a local diffusers model folder"):
        load_sdxl_inpainter(DIAG_MODEL_ID)
