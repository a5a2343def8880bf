"""A training run's options (`TrainConfig`): what `tinyctl train` parses and a checkpoint records to resume."""

from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..data import LAYOUTS
from ..data.files import check_size
from ..data.synthetic import SyntheticConfig
from ..zoo import ZOO
from .loop import DEFAULT_VAL_EVERY
from .speed import SpeedOptions
from .tasks import FitOptions

_GEOMETRY = {"in_channels": "channels", "input_size": "size"}  # model key -> the dataset setting it follows


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run depends on. `model` holds arch options on top of the arch
    defaults; the input geometry always comes from `dataset` (size, channels), or for a layout on disk
    read at a non-square size, from `image_size` [height, width]."""

    arch: str = "binary_cnn"
    model: dict = field(default_factory=dict)
    epochs: int = 100
    batch_size: int = 64
    lr: float = 4e-3
    seed: int = 0
    dataset: SyntheticConfig = SyntheticConfig()
    layout: str = "synthetic"
    data_root: str | None = None
    category: str | None = None
    image_size: tuple[int, int] | None = None
    val_every: int = DEFAULT_VAL_EVERY
    fit: FitOptions = FitOptions()
    speed: SpeedOptions = SpeedOptions()
    device: str = "auto"
    out: Path = Path("detector.pt")

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        if self.image_size is not None:
            object.__setattr__(self, "image_size", tuple(self.image_size))
            check_size(self.image_size, self.dataset.channels)
            if self.layout == "synthetic":
                raise ValueError(f"the built-in synthetic images are square; a {self.image_size[0]}x{self.image_size[1]} "
                                 "size needs a dataset on disk (--dataset and --data-root)")
        if self.arch not in ZOO:
            raise ValueError(f"unknown arch {self.arch!r}; known: {', '.join(sorted(ZOO))}")
        if self.epochs < 1 or self.batch_size < 1 or self.val_every < 1:
            raise ValueError(f"epochs, batch size and val-every must be at least 1, got {self.epochs}, {self.batch_size}, {self.val_every}")
        if not self.lr > 0:
            raise ValueError(f"learning rate must be positive, got {self.lr}")
        if self.seed < 0:
            raise ValueError(f"seed must be non-negative, got {self.seed}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"unknown dataset {self.layout!r}; choose one of {', '.join(LAYOUTS)}")
        if self.layout != "synthetic" and not self.data_root:
            raise ValueError(f"dataset {self.layout} needs --data-root (the folder that holds it)")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        for key, value in self._geometry().items():
            if key in self.model and self.model[key] != value:
                raise ValueError(f"model {key}={self.model[key]} disagrees with dataset {_GEOMETRY[key]}={value}")
        self.model_config()  # validates the arch options now rather than mid-run

    @property
    def input_hw(self) -> tuple[int, int]:
        """(height, width) of the images the model is trained on."""
        return self.image_size or (self.dataset.size, self.dataset.size)

    def _geometry(self) -> dict:
        size = self.dataset.size if self.image_size is None else list(self.image_size)
        return {"in_channels": self.dataset.channels, "input_size": size}

    def model_config(self) -> dict:
        """The full arch config: defaults, then `model`, then the dataset's geometry."""
        config_cls, _ = ZOO[self.arch]
        return config_cls.from_dict({**self.model, **self._geometry()}).to_dict()

    def to_dict(self) -> dict:
        """Plain-data form (checkpoint meta, resume)."""
        return {**asdict(self), "out": str(self.out), "image_size": self.image_size and list(self.image_size)}

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        values = dict(values)
        values["dataset"] = SyntheticConfig(**values.get("dataset", {}))
        values["fit"] = FitOptions(**values.get("fit", {}))
        values["speed"] = SpeedOptions(**values.get("speed", {}))
        return cls(**values)

    def command(self) -> str:
        """The `tinyctl train` command line that reproduces this run (model options as --model-opt)."""
        data = self.dataset
        size = data.size if self.image_size is None else "x".join(map(str, self.image_size))
        words = [f"tinyctl train --arch {self.arch} --epochs {self.epochs} --batch-size {self.batch_size} --lr {self.lr}",
                 f"--seed {self.seed} --size {size} --channels {data.channels} --n-train {data.n_train}"]
        if self.layout != "synthetic":
            words.append(f"--dataset {self.layout} --data-root {self.data_root}" + (f" --category {self.category}" if self.category else ""))
        words += [f"--model-opt {key}={_option_text(value)}" for key, value in sorted(self.model.items())]
        words += _speed_words(self.speed)
        words.append(f"--out {self.out}")
        return " ".join(words)


def _speed_words(speed: SpeedOptions) -> list[str]:
    """The speed flags that differ from the defaults (channels_last = false has no flag: --config only)."""
    words = [f"--precision {speed.precision}"] if speed.precision != "auto" else []
    return words + ["--channels-last"] * bool(speed.channels_last) + ["--compile"] * speed.compile


def _option_text(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value).lower() if isinstance(value, bool) else str(value)
