"""Parameters for tinyctl's own C inference engine (firmware_templates/engine)."""

from .activation_params import (HardSwishOp, LogisticTanhOp, SoftmaxOp, hard_swish_op, logistic_tanh_op,
                                softmax_op)
from .elementwise import (AddParams, BinaryOp, LeakyReluOp, LeakyReluParams, MulParams, RescaleOp, binary_op,
                          leaky_relu_op, rescale_op)
from .params import (ConcatOp, MeanOp, PadOp, PoolOp, ResizeOp, WeightedOp, concat_op, mean_op, nhwc, pad_op,
                     pool_op, resize_op, weighted_op)
from .quant import activation_range, effective_scales, padding_offset, quantize_multiplier

__all__ = ["HardSwishOp", "LogisticTanhOp", "SoftmaxOp", "hard_swish_op", "logistic_tanh_op", "softmax_op",
           "MeanOp", "PadOp", "PoolOp", "WeightedOp", "activation_range", "effective_scales", "mean_op",
           "nhwc", "pad_op", "padding_offset", "pool_op", "quantize_multiplier", "weighted_op",
           "AddParams", "BinaryOp", "ConcatOp", "LeakyReluOp", "LeakyReluParams", "MulParams", "RescaleOp",
           "ResizeOp", "binary_op", "concat_op", "leaky_relu_op", "rescale_op", "resize_op"]
