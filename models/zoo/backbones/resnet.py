"""ResNet-18/34/50 (He et al. 2016) and the MLPerf-Tiny ResNet-8, written here (no torchvision).

Module names follow torchvision's (conv1, bn1, layer1..4, downsample.0/1), so a torchvision
state_dict loads as a user-supplied weights file.
"""

from torch import nn

from .base import Backbone


def _conv_bn(cin: int, cout: int, kernel: int, stride: int = 1) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    return nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=False), nn.BatchNorm2d(cout)


class BasicBlock(nn.Module):
    """Two 3x3 convs and an identity (or 1x1 projection) shortcut."""

    expansion = 1

    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(cin, width, 3, stride)
        self.conv2, self.bn2 = _conv_bn(width, width, 3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, width * self.expansion, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.downsample(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (stride here, as torchvision's v1.5), 1x1 expand by 4."""

    expansion = 4

    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(cin, width, 1)
        self.conv2, self.bn2 = _conv_bn(width, width, 3, stride)
        self.conv3, self.bn3 = _conv_bn(width, width * self.expansion, 1)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(cin, width * self.expansion, stride)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + self.downsample(x))


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module:
    if stride == 1 and cin == cout:
        return nn.Identity()
    return nn.Sequential(*_conv_bn(cin, cout, 1, stride))


# name -> (block, blocks per stage, stage widths, ImageNet stem with 7x7/2 conv and max pool)
RESNETS = {
    "resnet8": (BasicBlock, (1, 1, 1), (16, 32, 64), False),
    "resnet18": (BasicBlock, (2, 2, 2, 2), (64, 128, 256, 512), True),
    "resnet34": (BasicBlock, (3, 4, 6, 3), (64, 128, 256, 512), True),
    "resnet50": (Bottleneck, (3, 4, 6, 3), (64, 128, 256, 512), True),
}


class ResNet(Backbone):
    """Stages layer1.. of a ResNet; each later stage halves the resolution."""

    def __init__(self, name: str, in_channels: int) -> None:
        super().__init__()
        block, depths, widths, imagenet_stem = RESNETS[name]
        stem_width = widths[0]
        if imagenet_stem:
            self.conv1 = nn.Conv2d(in_channels, stem_width, 7, 2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, padding=1)
        else:  # MLPerf-Tiny ResNet-8: a 3x3 stem at full resolution, for 32x32 inputs
            self.conv1 = nn.Conv2d(in_channels, stem_width, 3, 1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1, self.relu = nn.BatchNorm2d(stem_width), nn.ReLU(inplace=True)
        cin, stride, strides = stem_width, 4 if imagenet_stem else 1, []
        for index, (depth, width) in enumerate(zip(depths, widths), start=1):
            step = 1 if index == 1 else 2
            stride *= step
            strides.append(stride)
            blocks = [block(cin, width, step)] + [block(width * block.expansion, width, 1) for _ in range(depth - 1)]
            setattr(self, f"layer{index}", nn.Sequential(*blocks))
            cin = width * block.expansion
        self.channels = tuple(w * block.expansion for w in widths)
        self.strides = tuple(strides)

    def stages(self):
        return [getattr(self, f"layer{i}") for i in range(1, len(self.channels) + 1)]

    def stem(self, x):
        return self.maxpool(self.relu(self.bn1(self.conv1(x))))

    def _drop_stages_after(self, last: int) -> None:
        for index in range(last + 2, len(self.channels) + 1):
            delattr(self, f"layer{index}")
