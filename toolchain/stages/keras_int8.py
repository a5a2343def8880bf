"""A float Keras model -> fully-int8 TFLite with TensorFlow's own converter (int8 input and output,
TFLITE_BUILTINS_INT8 only, per-channel weights), calibrated on the samples it is given."""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from ..errors import TinyctlError

KERAS_COPY = "model.keras"   # a Keras source's copy in the build directory (validation re-runs it)


@functools.cache
def keras_modules():
    """(tensorflow, keras), imported once with TensorFlow's C++ logging quiet."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import keras

    return tf, keras


def load_keras(path: Path):
    """A saved .keras model (safe mode: no arbitrary code), or a clear error."""
    _, keras = keras_modules()
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # keras raises ValueError, TypeError, OSError... for a bad file
        raise TinyctlError(f"cannot load Keras model {path}: {' '.join(str(exc).split())[:200]}",
                           "save it with model.save('model.keras') (Keras 3)") from exc


def keras_int8_tflite(model, input_shape: tuple[int, ...], representative: Callable[[], Iterator[list]]) -> bytes:
    """The int8 TFLite of `model` for a batch-1 input of `input_shape` (batch included), its activation ranges
    from `representative` (a generator of [one float32 input] lists)."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    tf, _ = keras_modules()
    function = tf.function(lambda x: model(x, training=False),
                           input_signature=[tf.TensorSpec(input_shape, tf.float32, name="input")])
    # Freezing the Keras 3 variables into constants here skips the SavedModel round trip that
    # from_keras_model makes (three times slower, and it prints the exported signature).
    frozen = convert_variables_to_constants_v2(function.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    with warnings.catch_warnings():  # "Statistics for quantized inputs were expected": int8 input is meant
        warnings.simplefilter("ignore", UserWarning)
        return bytes(converter.convert())


def convert_keras_int8(path: Path, out: Path, calibration_nhwc: np.ndarray) -> None:
    """Stage `int8 TFLite (TFLite converter)`: out = the int8 TFLite of the Keras model at `path`, calibrated on
    the calibration set in the model's own (channels-last) layout."""
    model = load_keras(path)
    shape = (1, *calibration_nhwc.shape[1:])
    out.write_bytes(keras_int8_tflite(model, shape, lambda: ([x[None].astype(np.float32)] for x in calibration_nhwc)))
