"""What a build's compression asks for (the options `tinyctl build` and `tinyctl prune` share) and the name of
what it makes. The compression stages themselves (budget search or target search, prune + fine-tune, QAT,
the compressed checkpoint, bias correction) are listed in tinyctl.pipeline."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..compress import FINE_TUNE_EPOCHS, PRUNE_STEPS
from ..compress.calibration import Calibration
from ..compress.prune import check_ratio
from ..compress.search import Target
from ..errors import TinyctlError
from ..model_source import ModelSource

COMPRESSED_CHECKPOINT = "model.pt"
BIAS_CORRECTED_ONNX = "model_bias_corrected.onnx"


@dataclass(frozen=True)
class CompressionOptions:
    prune: float | None = None          # share of channels to remove
    prune_target: str | None = None     # KIND=LIMIT: the least pruning that meets it
    max_drop: float | None = None       # AP budget (percentage points): the most pruning within it
    fine_tune_epochs: int = FINE_TUNE_EPOCHS
    prune_steps: int = PRUNE_STEPS      # gradual pruning: slices, each followed by its share of the fine-tune
    qat_epochs: int = 0
    calibration: str = "minmax"
    percentile: float = 99.99
    bias_correction: bool = False

    def __post_init__(self):
        chosen = [flag for flag, value in (("--prune", self.prune), ("--prune-target", self.prune_target),
                                           ("--max-drop", self.max_drop)) if value is not None]
        if len(chosen) > 1:
            raise TinyctlError(f"{' and '.join(chosen)} both choose the pruning ratio", "give only one of them")
        if self.prune is not None:
            check_ratio(self.prune)
        if self.prune_target is not None:
            Target.parse(self.prune_target)
        if self.max_drop is not None and self.max_drop < 0:
            raise TinyctlError(f"--max-drop {self.max_drop} is negative", "give the AP points you accept to lose, e.g. 0.5")
        if self.prune_steps < 1:
            raise TinyctlError(f"--prune-steps {self.prune_steps} is below 1", f"1 prunes in one cut; {PRUNE_STEPS} is the default")
        if self.fine_tune_epochs < 0 or self.qat_epochs < 0:
            raise TinyctlError("--fine-tune-epochs and --qat-epochs cannot be negative", "0 skips that training")
        self.calibration_options()

    def calibration_options(self, method: str | None = None) -> Calibration:
        return Calibration(method or self.calibration, self.percentile, self.bias_correction)

    def uncompressed(self) -> CompressionOptions:
        """The plain build's options with this build's int8 ranges: the baseline the savings are measured from."""
        return CompressionOptions(calibration=self.calibration, percentile=self.percentile)

    @property
    def changes_model(self) -> bool:
        return any(v is not None for v in (self.prune, self.prune_target, self.max_drop)) or self.qat_epochs > 0


def compressed_label(source: ModelSource, options: CompressionOptions) -> ModelSource:
    """Name a compressed build after what was done, so it does not overwrite the plain build's directory."""
    if not options.changes_model:
        return source
    if source.kind != "checkpoint":
        raise TinyctlError(f"pruning and QAT need the trained model, not a {source.kind} file",
                           "pass the tinyctl checkpoint (.pt) the model came from")
    parts = [source.name]
    if options.prune is not None:
        parts.append(f"pruned{round(100 * options.prune)}")
    if options.prune_target is not None:
        parts.append(options.prune_target.replace("=", ""))
    if options.max_drop is not None:
        parts.append(f"drop{options.max_drop:g}pp")
    if options.qat_epochs:
        parts.append(f"qat{options.qat_epochs}")
    return dataclasses.replace(source, label="-".join(parts))
