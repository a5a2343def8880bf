"""Shared fixtures: one real build of the shipped default detector, reused by the build tests; one build
of a small model for the Cortex-M0+ board (its micro:bit stand-in's 16 KiB of RAM); the four reference
models, converted once."""

import shutil
import numpy as np
import pytest

from tinyctl.pipeline import BuildOptions, build


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """`tinyctl build --target stm32` on the default model: (build directory, report)."""
    out = tmp_path_factory.mktemp("builds") / "default-stm32"
    directory, report = build(BuildOptions(target="stm32", out=str(out)))
    return directory, report


def _small_model(tf, x):
    """CONV_2D, MAX_POOL_2D, DEPTHWISE_CONV_2D, ADD, MEAN, FULLY_CONNECTED and SOFTMAX on a 16x16 image, in
    2.5 KiB of arena: the micro:bit's RAM holds it."""
    rng = np.random.default_rng(3)
    conv = tf.nn.relu(tf.nn.conv2d(x, tf.constant(rng.normal(size=(3, 3, 1, 8)), tf.float32), 1, "SAME"))
    pooled = tf.nn.max_pool2d(conv, 2, 2, "VALID")
    depthwise = tf.nn.depthwise_conv2d(pooled, tf.constant(rng.normal(size=(3, 3, 8, 1)), tf.float32), [1, 1, 1, 1],
                                       "SAME")
    features = tf.reduce_mean(tf.nn.relu(depthwise) + pooled, axis=[1, 2])
    return tf.nn.softmax(tf.matmul(features, tf.constant(rng.normal(size=(8, 3)), tf.float32)))


@pytest.fixture(scope="session")
def small_tflite(tmp_path_factory):
    from kernel_harness import convert

    path = tmp_path_factory.mktemp("cores") / "small.tflite"
    path.write_bytes(convert(_small_model, (1, 16, 16, 1), 5))
    return path


@pytest.fixture(scope="session")
def m0plus_build(small_tflite, tmp_path_factory):
    """`tinyctl build --target nucleo-g0b1re` on the small model: (build directory, report)."""
    out = tmp_path_factory.mktemp("builds") / "small-g0b1re"
    return build(BuildOptions(target="nucleo-g0b1re", model=str(small_tflite), out=str(out)))


@pytest.fixture
def build_copy(default_build, tmp_path):
    """A private copy of the default build that a test may change."""
    copy = tmp_path / "copy"
    shutil.copytree(default_build[0], copy)
    return copy


@pytest.fixture(scope="session")
def reference_tflite():
    """{name: int8 TFLite bytes} of the four MLPerf Tiny reference models (seed 0), one conversion each."""
    from tinyctl.reference_models import build_reference_model

    return {name: build_reference_model(name) for name in ("resnet8", "mobilenet_v1_025", "ds_cnn", "fc_autoencoder")}
