"""Zoo entries for split-computing heads, so `load_checkpoint` and `tinyctl build` take them."""

from .modules import SplitHead, SplitHeadConfig

SPLIT_ARCHS = {"split_head": (SplitHeadConfig, SplitHead)}
