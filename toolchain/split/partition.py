"""`tinyctl split partition`: cut a trained detector, insert the bottleneck, fine-tune it, export head and tail.

The directory it writes:
- head.pt: a tinyctl checkpoint (arch split_head) that `tinyctl build` takes like any detector;
- tail.onnx: decoder + the rest of the model for the server (float NCHW code in, logits out);
- split.json: the cut, the shapes, the payload, and the detector's metrics before and after.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from tinyctl.models.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
from tinyctl.models.metrics import detector_metrics, youden_threshold
from tinyctl.models.split.layers import cut_points, layer_label, sequential_layers
from tinyctl.models.split.modules import SplitHeadConfig, split_model

from ..errors import TinyctlError
from ..report import write_json
from ..stages.export import ONNX_OPSET
from .finetune import fit, outputs, task_loss

TAIL_INPUT = "code"


@dataclass(frozen=True)
class CutOptions:
    """Where to cut, the bottleneck, and how to train: what partition and MTL-Split share."""
    cut: int
    model: str | None = None
    out: str = "build/split"
    ratio: int = 8
    stages: int = 2
    epochs: int = 4
    lr: float = 2e-3
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self):
        if self.ratio < 1 or self.stages < 0 or self.epochs < 0 or self.batch_size < 1:
            raise TinyctlError("--ratio and the batch size must be >= 1, --stages and --epochs >= 0",
                               "the defaults are ratio 8, 2 stages, 4 epochs")


@dataclass(frozen=True)
class PartitionOptions(CutOptions):
    last_layer_epochs: int = 0

    def __post_init__(self):
        super().__post_init__()
        if self.last_layer_epochs < 0:
            raise TinyctlError("--last-layer-epochs must be >= 0", "0 skips the last-layer stage")


def cut_shape(layers: list, cut: int, input_shape) -> tuple[int, int, int]:
    x = torch.zeros((1, *input_shape))
    with torch.no_grad():
        for layer in layers[: cut + 1]:
            x = layer(x)
    return tuple(int(d) for d in x.shape[1:])


def head_config(checkpoint, cut: int, ratio: int, stages: int) -> SplitHeadConfig:
    """The split of `checkpoint` after layer `cut`, refusing a point where the model cannot be cut."""
    layers = sequential_layers(checkpoint.model)
    points = cut_points(layers)
    if cut not in points:
        raise TinyctlError(f"layer {cut} is not a cut point of this {checkpoint.arch}",
                           f"choose one of {', '.join(layer_label(layers, p) for p in points)} "
                           "(`tinyctl split rank` ranks them)")
    shape = cut_shape(layers, cut, checkpoint.preprocessing["input_shape"])
    return SplitHeadConfig(checkpoint.arch, checkpoint.config, cut, shape, ratio, stages)


def _metrics(model, data: dict) -> dict:
    """Test metrics at the Youden threshold chosen on val."""
    val, test = (outputs(model, data[s][0])[:, 0].numpy() for s in ("val", "test"))
    threshold = youden_threshold(val, data["val"][1])
    return {**detector_metrics(test, data["test"][1], threshold), "threshold": float(threshold)}


def export_onnx(module: torch.nn.Module, example: torch.Tensor, path: Path, input_name: str,
                output_names: list[str]) -> None:
    """Float ONNX with static shapes, checked against torch on the example."""
    module.eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, (example,), str(path), dynamo=False, opset_version=ONNX_OPSET,
                          input_names=[input_name], output_names=output_names, do_constant_folding=True,
                          dynamic_axes={input_name: {0: "batch"}})
        expected = module(example)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {input_name: example.numpy()})
    for want, have in zip(expected if isinstance(expected, tuple) else (expected,), got):
        if not np.allclose(want.numpy(), have, atol=1e-4, rtol=1e-3):
            raise TinyctlError(f"the exported {path.name} differs from the torch model",
                               "the model uses an op the ONNX exporter mistranslates; report it")


def _fine_tune(model, trainable, data, options: PartitionOptions, epochs: int, advance) -> None:
    labels = torch.from_numpy(data["train"][1])
    fit(model, trainable, data["train"][0], lambda m, x, i: task_loss(m(x), labels[i]), epochs, options.lr,
        options.batch_size, options.seed, advance)


def partition(options: PartitionOptions, data: dict, advance=None) -> tuple[Path, dict]:
    """Cut, insert the bottleneck, fine-tune it (then the last layer), export; data = {split: (x, y)}."""
    checkpoint = load_checkpoint(options.model or DEFAULT_CHECKPOINT)
    config = head_config(checkpoint, options.cut, options.ratio, options.stages)
    torch.manual_seed(options.seed)
    model = split_model(checkpoint.model, config)
    record = {"unsplit": _metrics(checkpoint.model, data), "inserted": _metrics(model, data)}
    bottleneck = [m for m in (model.head.encoder, model.tail.decoder) if any(True for _ in m.parameters())]
    if bottleneck and options.epochs:
        _fine_tune(model, bottleneck, data, options, options.epochs, advance)
        record["fine_tuned"] = _metrics(model, data)
    if options.last_layer_epochs:
        _fine_tune(model, [model.tail.layers[-1]], data, options, options.last_layer_epochs, advance)
        record["last_layer_tuned"] = _metrics(model, data)
    return _export(model, config, checkpoint, record, options)


def _export(model, config: SplitHeadConfig, checkpoint, record: dict, options: PartitionOptions) -> tuple[Path, dict]:
    final = record[list(record)[-1]]
    return export_split(Path(options.out), model.head, model.tail, config, checkpoint, final["threshold"],
                        {"metrics": record, "options": asdict(options)}, ["logit"])


def export_split(out: Path, head, tail, config: SplitHeadConfig, checkpoint, threshold: float, extra: dict,
                 output_names: list[str]) -> tuple[Path, dict]:
    """head.pt (a split_head checkpoint for `tinyctl build`), tail.onnx and split.json in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    code_shape = config.code_shape()
    summary = {"cut": config.cut, "cut_label": layer_label(sequential_layers(checkpoint.model), config.cut),
               "cut_shape": list(config.cut_shape), "code_shape": list(code_shape),
               "payload_int8_bytes": int(np.prod(code_shape)), "head_config": config.to_dict(),
               "threshold": threshold, "input_shape": list(checkpoint.preprocessing["input_shape"]),
               "outputs": output_names, **extra}
    save_checkpoint(out / "head.pt", head, "split_head", config.to_dict(), checkpoint.preprocessing, threshold,
                    {"split": {k: v for k, v in summary.items() if k not in ("metrics", "options")},
                     "base_meta": checkpoint.meta})
    export_onnx(tail, torch.zeros((1, *code_shape)), out / "tail.onnx", TAIL_INPUT, output_names)
    write_json(out / "split.json", summary)
    return out, summary
