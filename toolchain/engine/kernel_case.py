"""The test cases an op module declares: small single-op float graphs that the kernel tests
(tests/kernel_harness.py) convert to int8 with TensorFlow and run through the generated engine code
and TFLite-Micro, bit for bit. A builder gets `tf` as an argument so tinyctl never imports TensorFlow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class KernelCase:
    """`build(tf, x)` on a float input of `input_shape`, calibrated on seeded normal data of standard
    deviation `input_std`. `opcode`: the op the converted model must hold; `activation`: the fused
    activation it must keep ("none", "relu", "relu6", "relu_n1_to_1"); `options`: option values the
    converter must have kept; `patch`: flatbuffer edits the converter cannot make ("opcode": the
    single op becomes this one, "beta": softmax beta, "output_scale_factor": times the output scale);
    `wide_weights`: the op's weights go pre-widened to int16 (wide_weights.py), as --optimize speed has them."""
    opcode: str
    build: Callable
    input_shape: tuple[int, ...]
    seed: int
    activation: str | None = None
    input_std: float = 1.0
    per_channel_dense: bool = True
    options: Mapping[str, object] = field(default_factory=dict)
    patch: Mapping[str, object] = field(default_factory=dict)
    wide_weights: bool = False


def activation(tf, y, act: str):
    """`act` applied to y as a separate op the converter fuses into the one before."""
    return {"none": lambda v: v, "relu": tf.nn.relu, "relu6": tf.nn.relu6,
            "relu_n1_to_1": lambda v: tf.clip_by_value(v, -1.0, 1.0)}[act](y)


def normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.normal(size=shape).astype(np.float32)


def random_shape(rng: np.random.Generator, rank: int, ones: tuple[int, ...] = ()) -> tuple[int, ...]:
    """A random activation shape, extents 2..8, batch 1 when 4-D; the dims in `ones` are 1."""
    shape = [int(d) for d in rng.integers(2, 9, size=rank)]
    for d in (0, *ones) if rank == 4 else ones:
        shape[d] = 1
    return tuple(shape)


def small_shape(seed: int, rank: int) -> tuple[int, ...]:
    """A random shape of extents 1..8 (any of them may be 1)."""
    return tuple(int(d) for d in np.random.default_rng(seed).integers(1, 9, size=rank))
