"""tinyctl's own C inference engine (firmware_templates/engine): the op registry, each op's kernel
parameters and C call (ops/), and TFLite's quantization arithmetic (quant)."""

from .ops.binary import AddParams, BinaryOp, MulParams, binary_op
from .ops.concat import ConcatOp, concat_op
from .ops.hard_swish import HardSwishOp, hard_swish_op
from .ops.leaky_relu import LeakyReluOp, LeakyReluParams, leaky_relu_op
from .ops.logistic_tanh import LogisticTanhOp, logistic_tanh_op
from .ops.mean import MeanOp, mean_op
from .ops.pad import PadOp, pad_op
from .ops.pool import PoolOp, pool_op
from .ops.rescale import RescaleOp, rescale_op
from .ops.resize import ResizeOp, resize_op
from .ops.softmax import SoftmaxOp, softmax_op
from .ops.weighted import WeightedOp, weighted_op
from .params import nhwc
from .quant import activation_range, effective_scales, padding_offset, quantize_multiplier

__all__ = ["HardSwishOp", "LogisticTanhOp", "SoftmaxOp", "hard_swish_op", "logistic_tanh_op", "softmax_op",
           "MeanOp", "PadOp", "PoolOp", "WeightedOp", "activation_range", "effective_scales", "mean_op",
           "nhwc", "pad_op", "padding_offset", "pool_op", "quantize_multiplier", "weighted_op",
           "AddParams", "BinaryOp", "ConcatOp", "LeakyReluOp", "LeakyReluParams", "MulParams", "RescaleOp",
           "ResizeOp", "binary_op", "concat_op", "leaky_relu_op", "rescale_op", "resize_op"]
