"""What every backbone offers the detectors: per-stage features with known channels and strides."""

import torch
from torch import nn


class Backbone(nn.Module):
    """A stem then stages; `channels[i]` and `strides[i]` describe the output of stage i."""

    channels: tuple[int, ...]
    strides: tuple[int, ...]
    stem_key: str = "conv1.weight"  # first conv, whose input channels a weights file may need adapting to

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def stages(self) -> list[nn.Module]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, upto: int | None = None) -> list[torch.Tensor]:
        """Outputs of stages 0..upto (all stages by default), shallowest first."""
        last = len(self.channels) - 1 if upto is None else upto
        outputs, x = [], self.stem(x)
        for stage in self.stages()[: last + 1]:
            x = stage(x)
            outputs.append(x)
        return outputs

    def stage_with_stride(self, stride: int) -> int:
        """Index of the deepest stage that outputs features at `stride`."""
        matches = [i for i, s in enumerate(self.strides) if s == stride]
        if not matches:
            raise ValueError(f"{type(self).__name__} has no stage at stride {stride}; its stage strides are {list(self.strides)}")
        return matches[-1]

    def truncate(self, last: int) -> None:
        """Drop the stages after `last`: a detector that never reads them should neither store nor export them."""
        if not 0 <= last < len(self.channels):
            raise ValueError(f"stage {last} does not exist; this backbone has stages 0..{len(self.channels) - 1}")
        self._drop_stages_after(last)
        self.channels, self.strides = self.channels[: last + 1], self.strides[: last + 1]

    def _drop_stages_after(self, last: int) -> None:
        raise NotImplementedError
