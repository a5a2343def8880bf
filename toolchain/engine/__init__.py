"""Parameters for tinyctl's own C inference engine (firmware_templates/engine)."""

from .params import MeanOp, PadOp, PoolOp, WeightedOp, mean_op, nhwc, pad_op, pool_op, weighted_op
from .quant import activation_range, effective_scales, padding_offset, quantize_multiplier

__all__ = ["MeanOp", "PadOp", "PoolOp", "WeightedOp", "activation_range", "effective_scales", "mean_op",
           "nhwc", "pad_op", "padding_offset", "pool_op", "quantize_multiplier", "weighted_op"]
