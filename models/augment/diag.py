"""DIAG: training-free in-distribution anomaly generation by SDXL inpainting (Girella et al.,
CBMI 2024). An expert supplies what a defect looks like (text prompts) and where it goes (masks,
e.g. the masks of positive training images); the inpainting model paints it into defect-free
images. No fine-tuning.

The model is read from a local folder only (a diffusers `save_pretrained` folder such as a
download of DIAG_MODEL_ID); nothing is fetched at run time. Generation goes through the small
`Inpainter` protocol, so any inpainting callable can stand in for SDXL.
"""

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import typer
from PIL import Image
from rich.progress import Progress

from ..data.files import binarise_mask, image_files
from ..errors import ModelsError

DIAG_MODEL_ID = "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"
DIAG_PROMPTS = ("white marks on the wall", "copper metal scratches")
NEGATIVE_PROMPT = "smooth, plain, black, dark, shadow"


@dataclass(frozen=True)
class DiagSettings:
    """The paper's generation settings; `size` is the square side the model paints at."""

    steps: int = 30
    guidance: float = 20.0
    strength: float = 0.99
    padding_mask_crop: int = 2
    size: int = 1024
    per_prompt: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.strength < 1.0:
            raise ValueError(f"strength must be in (0, 1), got {self.strength}")
        if int(self.steps * self.strength) < 1:
            raise ValueError(f"steps x strength must leave at least one denoising step, got {self.steps}")
        if self.size < 16 or self.size % 8:
            raise ValueError(f"size must be a multiple of 8 and at least 16, got {self.size}")
        if self.per_prompt < 1:
            raise ValueError(f"per_prompt must be at least 1, got {self.per_prompt}")


class Inpainter(Protocol):
    """Paints `prompt` into `image` inside `mask` (white = paint); returns an image of image's size."""

    def __call__(
        self, image: Image.Image, mask: Image.Image, prompt: str, negative_prompt: str, *,
        settings: DiagSettings, generator: torch.Generator,
    ) -> Image.Image: ...


class SdxlInpainter:
    """A diffusers StableDiffusionXLInpaintPipeline called with DIAG's arguments."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.device = pipeline.device

    def __call__(self, image, mask, prompt, negative_prompt, *, settings, generator):
        side = settings.size  # micro-conditioning at the paint size counters SDXL's shape bias
        return self.pipeline(
            prompt=prompt, negative_prompt=negative_prompt, image=image, mask_image=mask,
            height=side, width=side, original_size=(side, side), target_size=(side, side),
            num_inference_steps=settings.steps, guidance_scale=settings.guidance, strength=settings.strength,
            padding_mask_crop=settings.padding_mask_crop, generator=generator, output_type="pil",
        ).images[0]


def _has_fp16_variant(model_dir: Path) -> bool:
    return any(model_dir.glob("unet/*.fp16.safetensors"))


def load_sdxl_inpainter(model_dir: str | Path, device: str = "auto", half: bool | None = None) -> SdxlInpainter:
    """SDXL inpainting from a local folder. `half` (default: on CUDA) loads float16 weights, from
    the folder's fp16 variant files when it has them, as the paper does."""
    model_dir = Path(model_dir)
    if not (model_dir / "model_index.json").is_file():
        raise ModelsError(
            f"{model_dir} is not a local diffusers model folder (no model_index.json)",
            f"download {DIAG_MODEL_ID} on a connected machine (huggingface-cli download {DIAG_MODEL_ID} "
            "--local-dir DIR) and pass that folder",
        )
    from diffusers import StableDiffusionXLInpaintPipeline

    device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
    half = device.startswith("cuda") if half is None else half
    pipeline = StableDiffusionXLInpaintPipeline.from_pretrained(
        model_dir, local_files_only=True, dtype=torch.float16 if half else torch.float32,
        variant="fp16" if half and _has_fp16_variant(model_dir) else None,
    )
    pipeline.set_progress_bar_config(disable=True)
    return SdxlInpainter(pipeline.to(device))


def read_prompts(path: str | Path) -> tuple[tuple[str, ...], str]:
    """(prompts, negative prompt) from a text file: one prompt a line, `#` comments, and an
    optional `negative: ...` line (default NEGATIVE_PROMPT)."""
    prompts, negative = [], NEGATIVE_PROMPT
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.lower().startswith("negative:"):
            negative = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            prompts.append(line)
    if not prompts:
        raise ModelsError(f"no prompts in {path}", "write one defect description a line, e.g. copper metal scratches")
    return tuple(prompts), negative


NamedMask = tuple[str, Image.Image]  # where a mask came from, and the binary L mask


def read_masks(paths: list[Path]) -> list[NamedMask]:
    """Binary L masks (any non-zero pixel = paint); empty ones skipped, as DIAG uses positives only."""
    masks = []
    for path in paths:
        with Image.open(path) as mask:
            mask = mask.convert("L").point(lambda v: 255 if v else 0)
        if mask.getbbox() is not None:
            masks.append((str(path), mask))
    if not masks:
        raise ModelsError("none of the masks marks a defect pixel", "draw defects in white on black")
    return masks


def folder_images(folder: str | Path, pattern: str = "*") -> list[Path]:
    """Image files of `folder` matching `pattern`, sorted; duplicated `(copy)` files skipped."""
    folder = Path(folder)
    files = [p for p in image_files(folder) if p.match(pattern) and "(copy)" not in p.name] if folder.is_dir() else []
    if not files:
        raise ModelsError(f"no images matching {pattern} in {folder}", "check the folder and the pattern")
    return files


def _resize_mask(mask: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A binary L mask at PIL `size` that keeps even a defect thinner than a pixel there
    (the pipeline's mask crop fails on an empty mask)."""
    return Image.fromarray(binarise_mask(np.asarray(mask) > 0, size) * 255)


def _paint_one(inpainter, negative: Image.Image, mask: Image.Image, prompt, negative_prompt, settings, generator):
    """DIAG's step: both to the paint size, paint, back to the negative's size and mode."""
    side = (settings.size, settings.size)
    painted = inpainter(
        negative.convert("RGB").resize(side, Image.BILINEAR), _resize_mask(mask, side),
        prompt, negative_prompt, settings=settings, generator=generator,
    )
    return painted.resize(negative.size, Image.BILINEAR).convert(negative.mode), _resize_mask(mask, negative.size)


def generate(
    inpainter: Inpainter,
    negatives: list[Path],
    masks: list[NamedMask],
    out_dir: str | Path,
    prompts: tuple[str, ...] = DIAG_PROMPTS,
    negative_prompt: str = NEGATIVE_PROMPT,
    settings: DiagSettings = DiagSettings(),
) -> Path:
    """Paint settings.per_prompt defects per prompt, each into a negative and through a mask drawn
    uniformly with replacement (seeded), with one torch generator reused across calls as the paper.

    Writes a folder-layout set: out_dir/defect/NNNNN.png, out_dir/masks/NNNNN.png and diag.json
    (settings and the prompt, negative and mask of each image). Returns out_dir.
    """
    out_dir = Path(out_dir)
    (out_dir / "defect").mkdir(parents=True, exist_ok=True)
    (out_dir / "masks").mkdir(exist_ok=True)
    picker = random.Random(settings.seed)
    generator = torch.Generator(getattr(inpainter, "device", "cpu")).manual_seed(settings.seed)
    records = []
    jobs = [prompt for prompt in prompts for _ in range(settings.per_prompt)]
    with Progress(transient=True) as progress:
        task = progress.add_task("DIAG inpainting", total=len(jobs))
        for index, prompt in enumerate(jobs):
            negative_path, (mask_name, mask) = picker.choice(negatives), picker.choice(masks)
            with Image.open(negative_path) as negative:
                image, mask = _paint_one(inpainter, negative, mask, prompt, negative_prompt, settings, generator)
            image.save(out_dir / "defect" / f"{index:05d}.png")
            mask.save(out_dir / "masks" / f"{index:05d}.png")
            records.append({"image": f"{index:05d}.png", "prompt": prompt, "negative": str(negative_path), "mask": mask_name})
            progress.advance(task)
    manifest = {"settings": asdict(settings), "negative_prompt": negative_prompt, "images": records}
    (out_dir / "diag.json").write_text(json.dumps(manifest, indent=1))
    return out_dir


def layout_inputs(layout: str, root: str | Path, category: str | None = None) -> tuple[list[Path], list[NamedMask]]:
    """The paper's inputs from a dataset's train split: its negatives, and its positives' masks."""
    from ..data import list_split

    items = list_split(layout, "train", root=root, category=category)
    negatives = [image for image, label, _ in items if label == 0]
    positives = [mask for _, label, mask in items if label == 1 and mask is not None]
    if not negatives:
        raise ModelsError(f"the {layout} train split of {root} has no defect-free images", "pass --negatives DIR")
    if not positives:
        raise ModelsError(f"the {layout} train split of {root} has no defect masks", "pass --masks DIR (masks drawn by an expert)")
    return negatives, read_masks(positives)


def run(
    model: Path = typer.Option(..., help=f"local diffusers folder of {DIAG_MODEL_ID} (or any SDXL inpainting model)"),
    out: Path = typer.Option(..., help="where to write defect/, masks/ and diag.json"),
    layout: str = typer.Option("", help="take negatives and positive masks from this dataset layout's train split"),
    root: Path = typer.Option(None, help="dataset root for --layout"),
    category: str = typer.Option(None, help="dataset category for --layout"),
    negatives: Path = typer.Option(None, help="folder of defect-free images (instead of --layout)"),
    negatives_glob: str = typer.Option("*", help="which files of --negatives"),
    masks: Path = typer.Option(None, help="folder of expert-drawn masks, white = defect (instead of --layout)"),
    masks_glob: str = typer.Option("*", help="which files of --masks, e.g. '*_GT.png' for a KSDD2 folder"),
    prompts: Path = typer.Option(None, help="prompts file: one a line, optional 'negative: ...' line"),
    per_prompt: int = typer.Option(DiagSettings.per_prompt, help="images per prompt"),
    steps: int = typer.Option(DiagSettings.steps, help="denoising steps"),
    size: int = typer.Option(DiagSettings.size, help="square side the model paints at"),
    seed: int = typer.Option(DiagSettings.seed, help="seed of the picks and of the diffusion noise"),
    device: str = typer.Option("auto", help="cuda, cpu or auto"),
) -> None:
    """Generate a DIAG set: `python -m tinyctl.models.augment.diag --help`."""
    try:
        found_negatives, found_masks = layout_inputs(layout, root, category) if layout else ([], [])
        if negatives is not None:
            found_negatives = folder_images(negatives, negatives_glob)
        if masks is not None:
            found_masks = read_masks(folder_images(masks, masks_glob))
        if not (found_negatives and found_masks):
            raise ModelsError("no negatives or no masks", "pass --layout and --root, or --negatives and --masks")
        texts, negative_prompt = read_prompts(prompts) if prompts else (DIAG_PROMPTS, NEGATIVE_PROMPT)
        settings = DiagSettings(steps=steps, size=size, per_prompt=per_prompt, seed=seed)
        inpainter = load_sdxl_inpainter(model, device)
        generate(inpainter, found_negatives, found_masks, out, texts, negative_prompt, settings)
    except (ModelsError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {len(texts) * per_prompt} images to {out}/defect and their masks to {out}/masks")


def main() -> None:
    typer.run(run)


if __name__ == "__main__":
    main()
