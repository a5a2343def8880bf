"""Stage `sensitivity`: the int8 error of every layer against the float TFLite of the same conversion."""

from __future__ import annotations

from pathlib import Path

from ..compress.sensitivity import SAMPLES, layer_sensitivity, summary
from ..datasets import labelled_split
from ..model_source import ModelSource
from .quantize import FLOAT_TFLITE


def int8_sensitivity(build_dir: Path, source: ModelSource) -> dict:
    images, _ = labelled_split(source, "test")
    layers = layer_sensitivity((build_dir / FLOAT_TFLITE).read_bytes(),
                               (build_dir / "model_int8.tflite").read_bytes(), images)
    return {"split": "test", "images": min(len(images), SAMPLES), **summary(layers), "layers": layers}
