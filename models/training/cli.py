"""`tinyctl train` arguments: defaults, then a TOML file (--config), then flags; or --resume."""

import argparse
import tomllib
from dataclasses import fields
from pathlib import Path

import torch

from ..checkpoint import CheckpointError, load_training_state
from ..data import LAYOUTS
from ..data.synthetic import SyntheticConfig
from ..zoo import ZOO
from .config import TrainConfig
from .speed import PRECISIONS, SpeedOptions
from .tasks import FitOptions

# flag dest -> (section of the config dict, key); section None is the top level
_FLAGS = {"arch": (None, "arch"), "epochs": (None, "epochs"), "batch_size": (None, "batch_size"), "lr": (None, "lr"),
          "seed": (None, "seed"), "out": (None, "out"), "val_every": (None, "val_every"), "device": (None, "device"),
          "layout": (None, "layout"), "data_root": (None, "data_root"), "category": (None, "category"),
          "channels": ("dataset", "channels"), "n_train": ("dataset", "n_train"),
          "backbone": ("model", "backbone"), "weights": ("model", "weights"),
          "precision": ("speed", "precision"), "channels_last": ("speed", "channels_last"), "compile": ("speed", "compile")}
CUDA_BATCH_FACTOR = 4  # the CPU-sized default batch leaves a GPU waiting on kernel launches


def build_parser() -> argparse.ArgumentParser:
    defaults, data = TrainConfig(), SyntheticConfig()
    parser = argparse.ArgumentParser(
        prog="tinyctl train",
        description="Train a detector (binary CNN, backbone classifier, CAM or SuperSimpleNet) and write a checkpoint "
                    "that `tinyctl build` compiles. Multi-GPU: torchrun --nproc_per_node=N -m tinyctl.models.train ...",
    )
    parser.add_argument("--config", type=Path, help="TOML file with the run's options (flags override it)")
    parser.add_argument("--resume", type=Path, help="continue the run saved in this checkpoint (optimizer and epoch too)")
    parser.add_argument("--arch", choices=sorted(ZOO), help=f"detector (default {defaults.arch})")
    parser.add_argument("--epochs", type=int, help=f"passes over the training split (default {defaults.epochs})")
    parser.add_argument("--batch-size", type=int,
                        help=f"default {defaults.batch_size}, {defaults.batch_size * CUDA_BATCH_FACTOR} on CUDA")
    parser.add_argument("--lr", type=float, help=f"peak learning rate (default {defaults.lr}, "
                        f"x{CUDA_BATCH_FACTOR ** 0.5:g} on CUDA when the batch size is the default)")
    parser.add_argument("--seed", type=int, help="weight init and batch order (the dataset keeps its own seed)")
    parser.add_argument("--out", type=Path, help=f"checkpoint file to write (default {defaults.out})")
    parser.add_argument("--val-every", type=int, help="validate (and checkpoint) every this many epochs, and after "
                        f"the last (default {defaults.val_every})")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default auto: CUDA when present")
    parser.add_argument("--dataset", dest="layout", choices=LAYOUTS, help="dataset layout (default synthetic)")
    parser.add_argument("--data-root", help="folder holding the dataset (not for synthetic)")
    parser.add_argument("--category", help="MVTec AD / VisA category, e.g. carpet")
    parser.add_argument("--size", type=_size, metavar="N|HxW",
                        help=f"image side, or height x width (e.g. 64x176) for a dataset on disk: images are resized "
                             f"to it (default {data.size})")
    parser.add_argument("--channels", type=int, choices=(1, 3), help=f"default {data.channels}")
    parser.add_argument("--n-train", type=int, help=f"synthetic training images (default {data.n_train})")
    parser.add_argument("--backbone", help="backbone for classifier, cam and supersimplenet (e.g. resnet18)")
    parser.add_argument("--weights", help="backbone weights: random, imagenet (EfficientNet-Lite0) or a state_dict file")
    parser.add_argument("--model-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="any other model config option, e.g. supervised=true or feature_strides=8,16 (repeatable)")
    parser.add_argument("--precision", choices=PRECISIONS,
                        help="bf16: bfloat16 autocast of forward and loss, fp32 weights and optimizer; "
                             "default auto: bf16 on CUDA, fp32 on the CPU")
    parser.add_argument("--channels-last", action="store_true", default=None,
                        help="NHWC memory format for model and batches (default: on CUDA only; off there with "
                             "channels_last = false in the [speed] section of --config)")
    parser.add_argument("--compile", action="store_true", default=None,
                        help="compile the training step with torch.compile (default off: compiling costs the first "
                             "steps a minute or more)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _size(text: str) -> tuple[int, int]:
    """--size: a side N, or HxW."""
    parts = text.lower().split("x")
    if len(parts) not in (1, 2) or not all(part.strip().isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"expected a side N or HEIGHTxWIDTH such as 64x176, got {text!r}")
    return int(parts[0]), int(parts[-1])


def _value(text: str):
    """A --model-opt value: bool, int, float, comma list of those (bare or in brackets, as TOML writes it),
    or the string itself."""
    if len(text) >= 2 and text[0] in "[(" and text[-1] in "])":
        return [_value(part.strip()) for part in text[1:-1].split(",") if part.strip()]
    if "," in text:
        return [_value(part.strip()) for part in text.split(",") if part.strip()]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"config file {path} is not valid TOML: {error}") from None


def _merge(base: dict, args: argparse.Namespace) -> dict:
    """The flags that were given, laid over `base` (a config dict)."""
    merged = {**base, **{section: dict(base.get(section, {})) for section in ("model", "dataset", "fit", "speed")}}
    for dest, (section, key) in _FLAGS.items():
        value = getattr(args, dest)
        if value is not None:
            (merged[section] if section else merged)[key] = str(value) if isinstance(value, Path) else value
    if args.size is not None:  # a square size is the dataset's side, as it always was
        height, width = args.size
        if height == width:
            merged["dataset"]["size"], merged["image_size"] = height, None
        else:
            merged["image_size"] = [height, width]
    for option in args.model_opt:
        key, sep, text = option.partition("=")
        if not sep or not key:
            raise ValueError(f"--model-opt takes KEY=VALUE, got {option!r}")
        merged["model"][key.strip()] = _value(text.strip())
    return merged


def _check_sections(values: dict, origin: str) -> None:
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{origin}: unknown option(s) {unknown}; known options are {sorted(known)}")
    for section, cls in (("dataset", SyntheticConfig), ("fit", FitOptions), ("speed", SpeedOptions)):
        extra = sorted(set(values.get(section, {})) - {f.name for f in fields(cls)})
        if extra:
            raise ValueError(f"{origin}: unknown [{section}] option(s) {extra}; known are {sorted(f.name for f in fields(cls))}")


def _cuda_batch(values: dict) -> dict:
    """On CUDA, unless a batch size was chosen: CUDA_BATCH_FACTOR times the default batch and, unless
    a learning rate was chosen, the default one times its square root (the usual rule for Adam)."""
    device = values.get("device", "auto")
    if "batch_size" in values or device == "cpu" or (device == "auto" and not torch.cuda.is_available()):
        return values
    defaults = TrainConfig()
    return {**values, "batch_size": defaults.batch_size * CUDA_BATCH_FACTOR,
            "lr": values.get("lr", defaults.lr * CUDA_BATCH_FACTOR ** 0.5)}


def parse_config(argv: list[str] | None) -> tuple[TrainConfig, dict | None, bool]:
    """(run config, training state to resume or None, quiet); usage errors exit with status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    resume = None
    try:
        if args.resume is not None:
            if args.config is not None:
                raise ValueError("--resume continues a saved run with its own config; drop --config")
            base, resume = load_training_state(args.resume)
            base = {**base, "out": str(args.resume)}
        else:
            base = _read_toml(args.config) if args.config is not None else {}
            _check_sections(base, str(args.config))
        merged = _merge(base, args)
        if resume is None:
            merged = _cuda_batch(merged)
        if resume is not None and merged["epochs"] != base["epochs"]:
            raise ValueError(f"--epochs must stay {base['epochs']} when resuming (the learning-rate schedule spans the whole run)")
        config = TrainConfig.from_dict(merged)
    except (ValueError, TypeError, CheckpointError) as error:
        parser.error(str(error))
    return config, resume, args.quiet
