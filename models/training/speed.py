"""How training steps run on the device (issue 19): precision, memory format, compilation.

None of these change what a run learns beyond rounding; the defaults keep the CPU path exactly as it
always was (fp32, contiguous NCHW, eager) and use what is standard for convnets on CUDA (bfloat16
autocast, channels_last).
"""

from dataclasses import dataclass, replace

import torch
from torch import nn

PRECISIONS = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class SpeedOptions:
    """precision: fp32, bf16 (autocast of forward and loss; weights, gradients and optimizer state stay
    fp32) or auto (bf16 on CUDA, fp32 on the CPU). channels_last: NHWC memory format for the model and
    its 4-D inputs; None: on CUDA only. compile: torch.compile the training step (off by default: the
    first steps pay the compilation, measured in benchmarks/training_throughput_cpu.md)."""

    precision: str = "auto"
    channels_last: bool | None = None
    compile: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    def resolved(self, device: torch.device) -> "SpeedOptions":
        """The automatic choices made for `device`."""
        cuda = device.type == "cuda"
        precision = ("bf16" if cuda else "fp32") if self.precision == "auto" else self.precision
        channels_last = cuda if self.channels_last is None else self.channels_last
        return replace(self, precision=precision, channels_last=channels_last)

    def autocast(self, device: torch.device):
        """The autocast context of a forward pass and its loss (a no-op in fp32); on resolved options."""
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def laid_out(self, tensor: torch.Tensor) -> torch.Tensor:
        """An image or feature batch ([N, C, H, W]) channels_last when asked; anything else untouched."""
        return tensor.contiguous(memory_format=torch.channels_last) if self.channels_last and tensor.dim() == 4 else tensor


def compiled(step: nn.Module, speed: SpeedOptions) -> nn.Module:
    """The step module, compiled when asked."""
    return torch.compile(step) if speed.compile else step
