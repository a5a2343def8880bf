"""Models others made: the MLPerf Tiny reference architectures, built with Keras and converted to full int8.

Each model is built from its published architecture with seeded random weights (no training) and
batch-norm statistics set to seeded, non-trivial values, then converted by the TFLite converter to a
fully-int8 flatbuffer: int8 input and output, TFLITE_BUILTINS_INT8 only, per-channel weights,
calibrated on seeded random data. The same name and seed give the same bytes.

    python -m tinyctl.reference_models --out build/reference             # all four
    python -m tinyctl.reference_models --out /tmp/ref resnet8 ds_cnn     # some of them
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import TinyctlError
from .stages.keras_int8 import keras_int8_tflite, keras_modules

_CALIBRATION_SAMPLES = 8


class _Net:
    """Layer helpers that name every layer by its position and seed every initializer from one seed."""

    def __init__(self, keras, seed: int, dtype: str = "float32"):
        self.L, self.init, self.seed, self.count, self.dtype = keras.layers, keras.initializers, seed, 0, dtype

    def _args(self, kind: str) -> dict:
        self.count += 1
        return {"name": f"{kind}_{self.count}", "dtype": self.dtype}

    def _seeded(self, kind: str, offset: int = 0, **kwargs):  # a distinct seed for each initializer
        return getattr(self.init, kind)(seed=self.seed * 1000 + 2 * self.count + offset, **kwargs)

    def conv(self, x, filters, kernel, strides=1):
        args = self._args("conv")
        return self.L.Conv2D(filters, kernel, strides=strides, padding="same",
                             kernel_initializer=self._seeded("HeNormal"), **args)(x)

    def depthwise(self, x, kernel=3, strides=1):
        args = self._args("depthwise")
        return self.L.DepthwiseConv2D(kernel, strides=strides, padding="same",
                                      depthwise_initializer=self._seeded("HeNormal"), **args)(x)

    def dense(self, x, units, activation=None):
        args = self._args("dense")
        return self.L.Dense(units, activation=activation, kernel_initializer=self._seeded("GlorotUniform"),
                            bias_initializer=self._seeded("RandomNormal", 1, stddev=0.05), **args)(x)

    def bn(self, x, activation=None):
        x = self.L.BatchNormalization(**self._args("bn"))(x)
        return self.L.Activation(activation, **self._args(activation))(x) if activation else x

    def add_relu(self, x, y):
        return self.L.Activation("relu", **self._args("relu"))(self.L.Add(**self._args("add"))([x, y]))

    def avg_pool_flatten(self, x):
        x = self.L.AveragePooling2D(pool_size=tuple(x.shape[1:3]), **self._args("avgpool"))(x)
        return self.L.Flatten(**self._args("flatten"))(x)


def _resnet8(net: _Net, x):
    """MLPerf Tiny image classification (CIFAR-10): tiny/benchmark/training/image_classification."""
    x = net.bn(net.conv(x, 16, 3), "relu")
    for filters, strides in ((16, 1), (32, 2), (64, 2)):
        y = net.bn(net.conv(x, filters, 3, strides), "relu")
        y = net.bn(net.conv(y, filters, 3))
        if strides != 1 or x.shape[-1] != filters:
            x = net.conv(x, filters, 1, strides)          # 1x1 projection shortcut
        x = net.add_relu(x, y)
    return net.dense(net.avg_pool_flatten(x), 10, "softmax")


# MobileNetV1 (alpha 0.25): pointwise filters and depthwise stride of the 13 separable blocks.
MOBILENET_V1_025_BLOCKS = ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                           (128, 1), (128, 1), (128, 1), (256, 2), (256, 1))


def _mobilenet_v1_025(net: _Net, x):
    """MLPerf Tiny visual wake words: tiny/benchmark/training/visual_wake_words."""
    x = net.bn(net.conv(x, 8, 3, 2), "relu6")
    for filters, strides in MOBILENET_V1_025_BLOCKS:
        x = net.bn(net.depthwise(x, 3, strides), "relu6")
        x = net.bn(net.conv(x, filters, 1), "relu6")
    return net.dense(net.avg_pool_flatten(x), 2, "softmax")


def _ds_cnn(net: _Net, x):
    """MLPerf Tiny keyword spotting (DS-CNN small): tiny/benchmark/training/keyword_spotting."""
    x = net.bn(net.conv(x, 64, (10, 4), 2), "relu")
    for _ in range(4):
        x = net.bn(net.depthwise(x, 3), "relu")
        x = net.bn(net.conv(x, 64, 1), "relu")
    return net.dense(net.avg_pool_flatten(x), 12, "softmax")


# The dense layers of the anomaly-detection autoencoder (the last one is linear).
FC_AUTOENCODER_UNITS = (128, 128, 128, 128, 8, 128, 128, 128, 128, 640)


def _fc_autoencoder(net: _Net, x):
    """MLPerf Tiny anomaly detection (ToyADMOS): tiny/benchmark/training/anomaly_detection."""
    for units in FC_AUTOENCODER_UNITS[:-1]:
        x = net.bn(net.dense(x, units), "relu")
    return net.dense(x, FC_AUTOENCODER_UNITS[-1])


@dataclass(frozen=True)
class ReferenceModel:
    builder: Callable            # (_Net, keras input tensor) -> output tensor
    input_shape: tuple[int, ...]  # with the batch dimension (1)
    description: str


REFERENCE_MODELS: dict[str, ReferenceModel] = {
    "resnet8": ReferenceModel(_resnet8, (1, 32, 32, 3),
                              "ResNet-8, 32x32x3 image -> 10 classes (MLPerf Tiny image classification)"),
    "mobilenet_v1_025": ReferenceModel(_mobilenet_v1_025, (1, 96, 96, 3),
                                       "MobileNetV1 width 0.25, 96x96x3 -> 2 classes (visual wake words)"),
    "ds_cnn": ReferenceModel(_ds_cnn, (1, 49, 10, 1),
                             "DS-CNN small, 49x10 MFCC -> 12 keywords (keyword spotting)"),
    "fc_autoencoder": ReferenceModel(_fc_autoencoder, (1, 640),
                                     "FC autoencoder 640-128x4-8-128x4-640 (anomaly detection)"),
}


def _check_name(name: str) -> ReferenceModel:
    if name not in REFERENCE_MODELS:
        raise TinyctlError(f"unknown reference model {name!r}", f"choose from {', '.join(REFERENCE_MODELS)}")
    return REFERENCE_MODELS[name]


def _functional(name: str, seed: int, dtype: str):
    spec = REFERENCE_MODELS[name]
    _, keras = keras_modules()
    inputs = keras.Input(shape=spec.input_shape[1:], dtype=dtype, name="input")  # batch 1 is fixed later
    return keras.Model(inputs, spec.builder(_Net(keras, seed, dtype), inputs), name=name)


def build_keras_model(name: str, seed: int = 0):
    """The float Keras model: seeded initializers; batch-norm statistics and affine parameters set to
    seeded values that keep the activations alive through the depth of an untrained network."""
    spec = _check_name(name)
    _, keras = keras_modules()
    model = _functional(name, seed, "float32")
    rng = np.random.default_rng(seed)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:  # gamma, beta: seeded and not the identity
        n = layer.gamma.shape[0]
        layer.gamma.assign(rng.uniform(0.75, 1.5, n).astype(np.float32))
        layer.beta.assign(rng.normal(0.0, 0.2, n).astype(np.float32))
    # Moving mean and variance: the statistics of a seeded random batch (one training-mode pass with
    # momentum 0), as a trained network's would be; random statistics that ignore the actual scale
    # shrink the signal layer after layer and leave the int8 outputs constant. The pass runs on a
    # float64 twin: TensorFlow's float32 convolutions and reductions change in the last bits with the
    # number of CPU threads, float64 results rounded to float32 do not.
    twin = _functional(name, seed, "float64")
    twin.set_weights([np.asarray(w, dtype=np.float64) for w in model.get_weights()])
    twin_norms = [layer for layer in twin.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in twin_norms:
        layer.momentum = 0.0
    twin(rng.normal(size=(16,) + spec.input_shape[1:]), training=True)
    for layer, statistics in zip(norms, twin_norms):
        layer.moving_mean.assign(np.asarray(statistics.moving_mean).astype(np.float32))
        layer.moving_variance.assign(np.asarray(statistics.moving_variance).astype(np.float32))
    return model


def build_reference_model(name: str, seed: int = 0) -> bytes:
    """The named reference model as a fully-int8 .tflite (int8 input and output, per-channel weights)."""
    spec = _check_name(name)
    model = build_keras_model(name, seed)

    def representative():
        rng = np.random.default_rng(seed + 1)
        for _ in range(_CALIBRATION_SAMPLES):
            yield [rng.normal(size=spec.input_shape).astype(np.float32)]

    return keras_int8_tflite(model, spec.input_shape, representative)


def write_reference_models(out_dir: Path | str, names: list[str] | None = None, seed: int = 0) -> list[Path]:
    """Write `<name>.tflite` for each named model (all when None) into out_dir; returns the paths."""
    names = list(REFERENCE_MODELS) if names is None else list(names)
    for name in names:
        _check_name(name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.tflite" for name in names]
    for name, path in zip(names, paths):
        path.write_bytes(build_reference_model(name, seed))
    return paths


def main(argv: list[str] | None = None) -> int:
    listing = "\n".join(f"  {name:<18} {spec.description}" for name, spec in REFERENCE_MODELS.items())
    parser = argparse.ArgumentParser(
        prog="python -m tinyctl.reference_models",
        description="Build the MLPerf Tiny reference models with Keras (seeded random weights, no training)\n"
                    "and write each as a fully-int8 TFLite file DIR/NAME.tflite (int8 input and output,\n"
                    "per-channel weights, calibrated on seeded random data). The same seed gives the same bytes.",
        epilog=f"models:\n{listing}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME", help="models to build (default: all)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and calibration data (default 0)")
    args = parser.parse_args(argv)
    try:
        names = args.names or list(REFERENCE_MODELS)
        for name in names:
            _check_name(name)
        for name in names:
            start = time.perf_counter()
            path = write_reference_models(args.out, [name], args.seed)[0]
            print(f"{path}  {path.stat().st_size} bytes  {time.perf_counter() - start:.1f} s")
    except TinyctlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
