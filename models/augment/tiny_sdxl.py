"""A tiny randomly initialised SDXL inpainting pipeline, built from diffusers components offline.

It has the real pipeline's structure (two CLIP text encoders and tokenizers, a 9-channel
inpainting UNet with text-time conditioning, an 8x VAE, the Euler scheduler) at a few MB, so
the DIAG path, including saving and loading a local model folder, runs anywhere without the
7 GB checkpoint. Its images are noise, not defects: it is for smoke tests only.
"""

import json
from pathlib import Path

import torch

TEXT_HIDDEN = 32  # both text encoders; the UNet's cross-attention sees their concatenation
TIME_EMBED = 8
MAX_TOKENS = 77
# Merges that make whole tokens of the DIAG prompt words; anything else falls back to bytes.
_MERGES = ("c o", "p p", "e r</w>", "co pp", "copp er</w>", "m e", "t a", "me ta", "meta l</w>")


def _byte_characters() -> list[str]:
    """GPT-2/CLIP's printable stand-in for each of the 256 bytes, in byte order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    codes, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            codes[byte] = byte
        else:
            codes[byte] = 256 + extra
            extra += 1
    return [chr(codes[byte]) for byte in range(256)]


def write_tokenizer_files(folder: Path) -> int:
    """CLIP-style byte-level BPE vocab.json and merges.txt; returns the vocabulary size."""
    folder.mkdir(parents=True, exist_ok=True)
    characters = _byte_characters()
    tokens = characters + [c + "</w>" for c in characters]
    tokens += ["".join(merge.split()) for merge in _MERGES]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({token: i for i, token in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(_MERGES) + "\n")
    return len(tokens)


def _text_encoders(vocab_size: int):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(
        vocab_size=vocab_size, hidden_size=TEXT_HIDDEN, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=MAX_TOKENS, projection_dim=TEXT_HIDDEN,
        hidden_act="quick_gelu", layer_norm_eps=1e-5,
        bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1,
    )
    return CLIPTextModel(config), CLIPTextModelWithProjection(config)


def _unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=16, in_channels=9, out_channels=4, block_out_channels=(32, 64), layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, transformer_layers_per_block=(1, 1),
        norm_num_groups=32, cross_attention_dim=2 * TEXT_HIDDEN, addition_embed_type="text_time",
        addition_time_embed_dim=TIME_EMBED,
        # Six size/crop time ids (no aesthetic score) plus the pooled text embedding.
        projection_class_embeddings_input_dim=6 * TIME_EMBED + TEXT_HIDDEN,
    )


def _vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(  # four levels: the 8x latent scale of real SDXL
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(32, 32, 32, 32),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1, norm_num_groups=32, sample_size=128, scaling_factor=0.13025, force_upcast=False,
    )


def build_tiny_pipeline(seed: int = 0):
    """The random tiny StableDiffusionXLInpaintPipeline (same seed, same weights)."""
    import tempfile

    from diffusers import EulerDiscreteScheduler, StableDiffusionXLInpaintPipeline
    from transformers import CLIPTokenizer

    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as scratch:
        vocab_size = write_tokenizer_files(Path(scratch))
        tokenizer = CLIPTokenizer.from_pretrained(scratch, model_max_length=MAX_TOKENS)
        tokenizer_2 = CLIPTokenizer.from_pretrained(scratch, model_max_length=MAX_TOKENS, pad_token="!")
    text_encoder, text_encoder_2 = _text_encoders(vocab_size)
    scheduler = EulerDiscreteScheduler(
        num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
        steps_offset=1, timestep_spacing="leading", prediction_type="epsilon", use_karras_sigmas=False,
    )
    return StableDiffusionXLInpaintPipeline(
        vae=_vae(), text_encoder=text_encoder, text_encoder_2=text_encoder_2, tokenizer=tokenizer,
        tokenizer_2=tokenizer_2, unet=_unet(), scheduler=scheduler, requires_aesthetics_score=False,
        force_zeros_for_empty_prompt=True, add_watermarker=False,
    )


def save_tiny_pipeline(folder: str | Path, seed: int = 0, fp16: bool = False) -> Path:
    """Build the tiny pipeline and save it as a local model folder that `load_sdxl_inpainter` reads;
    `fp16` saves float16 weights as the "fp16" variant, the file layout of the paper's checkpoint."""
    folder = Path(folder)
    pipeline = build_tiny_pipeline(seed)
    if fp16:
        pipeline.to(torch.float16).save_pretrained(folder, variant="fp16")
    else:
        pipeline.save_pretrained(folder)
    return folder
